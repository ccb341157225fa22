// One span as one JSON object: the keys of `beyla trace --format jsonl`.
#pragma once

#include <string>

#include "beyla/beyla.h"

namespace beyla {

void span_to_json(const beyla_span &s, std::string &out);
const char *span_kind_name(int kind);
const char *protocol_name(int protocol);

} // namespace beyla
