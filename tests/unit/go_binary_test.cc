// Go executables for the crypto/tls probes: detection, version, symbols and RET offsets.
// Go programs are built here with the installed toolchain; without one those cases are
// skipped, saying so.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include "tls/go_binary.h"

using namespace beyla::tls;
namespace fs = std::filesystem;

namespace {

std::string run(const std::string &cmd, int *status) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) {
        *status = -1;
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// A TLS client over net.Dial: crypto/tls and the *net.TCPConn itab, no net/http (quick).
const char *kTlsProgram = R"(package main

import (
	"crypto/tls"
	"net"
	"os"
)

func main() {
	c, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	t := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	t.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	b := make([]byte, 100)
	t.Read(b)
}
)";

const char *kPlainProgram = R"(package main

import "os"

func main() { os.Stdout.WriteString("hi\n") }
)";

// Builds the Go programs once per test run; empty dir when there is no Go toolchain.
struct GoPrograms {
    std::string dir, skip, version;
    std::string tls_bin, stripped_bin, plain_bin;

    GoPrograms() {
        int st = 0;
        version = run("go env GOVERSION 2>/dev/null", &st);
        while (!version.empty() && isspace(static_cast<unsigned char>(version.back()))) version.pop_back();
        if (st != 0 || version.empty()) {
            skip = "no Go toolchain (`go` not in PATH)";
            return;
        }
        char tmpl[] = "/tmp/beyla-gobin-XXXXXX";
        if (!mkdtemp(tmpl)) {
            skip = "mkdtemp failed";
            return;
        }
        dir = tmpl;
        std::ofstream(dir + "/tlsprog.go") << kTlsProgram;
        std::ofstream(dir + "/plain.go") << kPlainProgram;
        // A writable cache shared with the integration tests' Go builds; absolute outputs.
        std::string env = "HOME=" + dir + " GOCACHE=" + BEYLA_TEST_GOCACHE + " GO111MODULE=off GOFLAGS= ";
        tls_bin = dir + "/tlsprog";
        stripped_bin = dir + "/tlsprog_stripped";
        plain_bin = dir + "/plain";
        for (auto [out, src, flags] :
             {std::tuple{tls_bin, "tlsprog.go", ""}, std::tuple{stripped_bin, "tlsprog.go", "-ldflags=-s"},
              std::tuple{plain_bin, "plain.go", ""}}) {
            std::string cmd =
                "cd " + dir + " && " + env + "go build " + flags + " -o " + out + " " + src + " 2>&1";
            std::string log = run(cmd, &st);
            if (st != 0) FAIL("go build failed: " << cmd << "\n" << log);
        }
    }
    ~GoPrograms() {
        if (!dir.empty()) fs::remove_all(dir);
    }
};

GoPrograms &programs() {
    static GoPrograms p;
    return p;
}

#define REQUIRE_GO()                                                                                         \
    do {                                                                                                     \
        if (!programs().skip.empty()) {                                                                      \
            WARN("skipped: " << programs().skip);                                                            \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

// Symbol -> (address, size) from the toolchain's own reader.
std::map<std::string, std::pair<uint64_t, uint64_t>> go_nm(const std::string &bin) {
    int st = 0;
    std::istringstream in(run("go tool nm -size " + bin, &st));
    std::map<std::string, std::pair<uint64_t, uint64_t>> syms;
    for (std::string line; std::getline(in, line);) {
        std::istringstream l(line);
        std::string addr, size, type, name;
        if (!(l >> addr >> size >> type) || !std::getline(l >> std::ws, name)) continue;
        syms[name] = {std::stoull(addr, nullptr, 16), std::stoull(size)};
    }
    return syms;
}

} // namespace

TEST_CASE("RET instructions are found by decoding, not by byte value", "[go_tls]") {
    // mov eax,0xc3 (a 0xC3 byte inside an instruction); ret; nop; ret
    const uint8_t code[] = {0xb8, 0xc3, 0x00, 0x00, 0x00, 0xc3, 0x90, 0xc3};
    std::string err;
    auto rets = find_ret_instructions(code, sizeof(code), &err);
    CHECK(err.empty());
    CHECK(rets == std::vector<uint64_t>{5, 7});

    // 0x06 (push es) does not exist in 64-bit mode: no partial answer.
    const uint8_t bad[] = {0xc3, 0x06, 0xc3};
    rets = find_ret_instructions(bad, sizeof(bad), &err);
    CHECK(rets.empty());
    CHECK(err.find("+0x1") != std::string::npos);
}

TEST_CASE("Go versions are parsed from toolchain strings", "[go_tls]") {
    int major = 0, minor = 0;
    CHECK(parse_go_version("go1.19.8", &major, &minor));
    CHECK((major == 1 && minor == 19));
    CHECK(parse_go_version("go1.21rc2", &major, &minor));
    CHECK(minor == 21);
    CHECK(parse_go_version("devel go1.22-4a1b2c3 Tue Jan 1", &major, &minor));
    CHECK(minor == 22);
    CHECK_FALSE(parse_go_version("go2", &major, &minor));
    CHECK_FALSE(parse_go_version("", &major, &minor));
    CHECK_FALSE(parse_go_version("ergo1.5", &major, &minor));
}

TEST_CASE("files that are not Go executables", "[go_tls]") {
    GoBinary self = inspect_go_binary("/proc/self/exe", "unit-tests");
    CHECK(self.status == GoStatus::NotGo);
    CHECK(self.reason == "unit-tests: not a Go executable");

    char tmpl[] = "/tmp/beyla-notelf-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "#!/bin/sh\n", 10) == 10);
    close(fd);
    GoBinary text = inspect_go_binary(tmpl);
    CHECK(text.status == GoStatus::NotGo);
    CHECK(text.reason.find("not an ELF file") != std::string::npos);
    unlink(tmpl);

    GoBinary missing = inspect_go_binary("/nonexistent/beyla-go");
    CHECK(missing.status == GoStatus::Error);
    CHECK(missing.reason.find("/nonexistent/beyla-go: cannot open") == 0);
}

TEST_CASE("a Go TLS program: version, crypto/tls functions and their RETs", "[go_tls]") {
    REQUIRE_GO();
    const auto &p = programs();
    GoBinary b = inspect_go_binary(p.tls_bin);
    INFO(b.reason);
    REQUIRE(b.status == GoStatus::Ok);
    CHECK(b.version == p.version);
    CHECK(b.major == 1);
    CHECK(b.minor >= 17);
    CHECK(b.tcp_conn_itab != 0);

    auto syms = go_nm(p.tls_bin);
    std::string image = slurp(p.tls_bin);
    REQUIRE(!image.empty());
    for (auto [fn, name] :
         {std::pair{&b.read, "crypto/tls.(*Conn).Read"}, std::pair{&b.write, "crypto/tls.(*Conn).Write"}}) {
        INFO(name);
        REQUIRE(syms.count(name));
        CHECK(fn->vaddr == syms[name].first);
        CHECK(fn->size == syms[name].second);
        REQUIRE(fn->size > 0);
        REQUIRE(fn->offset + fn->size <= image.size());
        // Go's prologue compares the stack pointer (or rsp minus the frame) with
        // g.stackguard0 through R14: cmp reg, [r14+0x10] = REX 3b 66 10, in the first
        // instruction or the second. The offset really is the function's start.
        CHECK(image.substr(fn->offset, 12).find("\x3b\x66\x10") != std::string::npos);
        REQUIRE_FALSE(fn->ret_offsets.empty());
        for (uint64_t off : fn->ret_offsets) {
            CHECK(off >= fn->offset);
            CHECK(off < fn->offset + fn->size);
            CHECK(static_cast<uint8_t>(image[off]) == 0xC3);
        }
    }
    std::string itab = syms.count("go.itab.*net.TCPConn,net.Conn") ? "go.itab.*net.TCPConn,net.Conn"
                                                                   : "go:itab.*net.TCPConn,net.Conn";
    REQUIRE(syms.count(itab));
    CHECK(b.tcp_conn_itab == syms[itab].first);
}

TEST_CASE("a stripped Go program is reported, not probed", "[go_tls]") {
    REQUIRE_GO();
    const auto &p = programs();
    GoBinary b = inspect_go_binary(p.stripped_bin);
    CHECK(b.status == GoStatus::Stripped);
    CHECK(b.reason == p.stripped_bin + ": Go binary is stripped, crypto/tls not probed");
    CHECK(b.version == p.version); // from .go.buildinfo, which -s keeps
    CHECK(b.read.ret_offsets.empty());
}

TEST_CASE("a Go program without crypto/tls", "[go_tls]") {
    REQUIRE_GO();
    GoBinary b = inspect_go_binary(programs().plain_bin);
    CHECK(b.status == GoStatus::NoTls);
    CHECK(b.reason.find("without crypto/tls") != std::string::npos);
}

TEST_CASE("a Go program older than the register ABI is not probed", "[go_tls]") {
    REQUIRE_GO();
    const auto &p = programs();
    // The same program with the version in .go.buildinfo rewritten to go1.16.
    std::string image = slurp(p.tls_bin);
    size_t magic = image.find("\xff Go buildinf:");
    REQUIRE(magic != std::string::npos);
    size_t at = image.find(p.version, magic);
    REQUIRE(at != std::string::npos);
    REQUIRE(at - magic < 64);
    std::string old = "go1.16";
    old.resize(p.version.size(), '.');
    if (p.version.size() > 6) old.replace(6, std::string::npos, p.version.substr(6));
    image.replace(at, old.size(), old);
    std::string path = p.dir + "/old";
    std::ofstream(path, std::ios::binary) << image;
    GoBinary b = inspect_go_binary(path);
    CHECK(b.status == GoStatus::Unsupported);
    CHECK(b.minor == 16);
    CHECK(b.reason.find("register ABI") != std::string::npos);
    CHECK(b.reason.find("not probed") != std::string::npos);
}
