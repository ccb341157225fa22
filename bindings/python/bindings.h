// pybeyla: each part of the module binds itself; module.cc calls them in turn.
#pragma once

#include <pybind11/pybind11.h>

void bind_caps(pybind11::module_ &m);
void bind_tracer(pybind11::module_ &m);
