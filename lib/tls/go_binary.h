// What the Go TLS probes need from a Go executable: its toolchain version (the probes read
// arguments from registers, so the register ABI of Go 1.17+ is required), where
// crypto/tls.(*Conn).Read and Write start, every RET of each (Go functions get no
// uretprobes: the runtime moves goroutine stacks, and a uretprobe rewrites the return
// address on the stack), and the itab that marks a tls.Conn wrapping a *net.TCPConn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpf/go_http2.h"

namespace beyla::tls {

struct GoFunction {
    uint64_t vaddr = 0;  // symbol value (link-time address)
    uint64_t size = 0;   // bytes, from the symbol
    uint64_t offset = 0; // file offset of the entry: what uprobes take
    // File offsets of the function's RET instructions, ascending.
    std::vector<uint64_t> ret_offsets;
};

enum class GoStatus {
    NotGo,       // not an ELF file, or an ELF file Go did not build
    Unsupported, // Go, but too old for the register ABI, or not x86-64
    Stripped,    // Go without a symbol table: the functions cannot be found
    NoTls,       // Go, but crypto/tls is not linked in (or cannot be tied to a socket)
    Error,       // unreadable or malformed
    Ok,          // read, write, tcp_conn_itab are set
};

// One entry probe of the HTTP/2 header probes (bpf/go_http2.bpf.h): the function, how the
// BPF side reads it (offsets from DWARF, link-time itab addresses), and for encoding
// functions every RET.
struct GoH2Point {
    std::string symbol;
    GoFunction fn;
    beyla_go_h2_probe conf{};
};

// What the HTTP/2 header probes attach to in one executable.
struct GoHttp2 {
    std::vector<GoH2Point> points;
    // File offsets of hpack.(*Encoder).WriteField (net/http's vendored copy, x/net's).
    std::vector<uint64_t> write_fields;
    // Why some or all of it is not probed (no DWARF, a member not found); empty when all is.
    std::string reason;
    bool usable() const { return !points.empty(); }
};

struct GoBinary {
    GoStatus status = GoStatus::NotGo;
    // Why the binary is not probed, for the log; empty when Ok.
    std::string reason;
    std::string version; // "go1.19.8"; empty when not found
    int major = 0, minor = 0;
    GoFunction read, write;
    // Link-time address of go.itab.*net.TCPConn,net.Conn (go:itab.* since Go 1.20).
    uint64_t tcp_conn_itab = 0;
    // HTTP/2 header probe points (net/http's bundled HTTP/2, grpc's transport): looked for
    // whenever the version, machine and symbol table allow, with or without crypto/tls.
    GoHttp2 http2;
};

// Reads the file at `path`; errors are in the result, not thrown. Reasons name the file
// `display` (default: path), e.g. the target of a /proc/PID/exe that was opened.
GoBinary inspect_go_binary(const std::string &path, const std::string &display = {});

// Offsets from `code` of every RET (near return) among the x86-64 instructions that fill
// [code, code+size) exactly: decoded one by one with capstone, so that a 0xC3 byte inside
// another instruction is never taken for one. Empty with *error set when an instruction
// cannot be decoded.
std::vector<uint64_t> find_ret_instructions(const uint8_t *code, size_t size, std::string *error);

// "go1.19.8", "go1.21rc2", "devel go1.22-abcdef ..." -> (1, 19)... false when no "go1.N".
bool parse_go_version(const std::string &v, int *major, int *minor);

} // namespace beyla::tls
