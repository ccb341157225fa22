// Executable globs for the kernel: the exec program (bpf/socket_trace.bpf.c) selects a
// process at its exec, before it runs, by running one DFA (struct beyla_exe_dfa) over the
// path given to execve and over the executed file's name. User space matches every exec
// as well (exe_matches), so a glob the DFA cannot hold only loses that head start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "socket_trace.h"

namespace beyla {

struct ExeDfa {
    // Zeroed when no glob compiled. Large (64 KiB): kept on the heap.
    std::unique_ptr<beyla_exe_dfa> table = std::make_unique<beyla_exe_dfa>();
    std::vector<std::string> compiled; // globs the table matches
    std::vector<std::string> left;     // globs left to user space, with why in `why`
    std::vector<std::string> why;
};

// Only literal bytes, '\' escapes and '*' compile: under fnmatch(3) without flags, which
// exe_matches uses, they match the same byte strings in every locale ('?' and brackets
// match characters, which a multibyte locale makes more than one byte). A glob that would
// push the union past BEYLA_EXE_DFA_STATES states is left out. An empty selection gives
// an empty `compiled`.
ExeDfa compile_exe_globs(const std::vector<std::string> &globs);

// What the kernel computes with the table for one string: the glob matched the whole
// string, or the part after its last '/'. For tests.
bool exe_dfa_accepts(const beyla_exe_dfa &dfa, const std::string &s);

} // namespace beyla
