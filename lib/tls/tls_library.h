// The TLS libraries whose plaintext the uprobes read: which files are which, and the
// functions probed in each.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace beyla::tls {

enum class Kind {
    OpensslShared, // libssl.so.*
    OpensslStatic, // OpenSSL or BoringSSL linked into an executable
    Gnutls,        // libgnutls.so.*
    Go,            // Go's crypto/tls, in each Go executable (bpf_source_go.cc)
};

// "openssl-shared", "openssl-static", "gnutls".
const char *kind_name(Kind k);

struct Function {
    const char *symbol;
    const char *entry_prog; // BPF program names in socket_trace.bpf.c / tls_libs.bpf.h
    const char *return_prog;
    bool required; // missing: the library is not probed at all
};

std::span<const Function> functions_of(Kind k);

// A mapped file that is a TLS library by its name ("/usr/lib/x86_64-linux-gnu/libssl.so.3").
std::optional<Kind> kind_of_library(const std::string &path);

struct MappedLibrary {
    Kind kind;
    std::string path; // as the process names it
};

// The TLS libraries in a /proc/PID/maps stream, each path once, deleted files skipped.
std::vector<MappedLibrary> tls_libraries_in_maps(std::istream &maps);

// One probed library file as reported: its kind, the path it was first found at, the
// functions probed, and the traced processes seen mapping it (sorted).
struct LibraryReport {
    Kind kind;
    std::string path;
    int functions = 0;
    std::vector<uint32_t> pids;
};

} // namespace beyla::tls
