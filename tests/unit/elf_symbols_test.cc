// Function symbols to uprobe offsets, checked against the code the loader mapped.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "tls/elf_symbols.h"
#include "tls/tls_library.h"

using namespace beyla::tls;

extern "C" __attribute__((noinline, used)) int beyla_elf_probe_target(int x) {
    return x * 7 + 3;
}

TEST_CASE("a function's file offset holds its code", "[tls][elf]") {
    ElfFunctions f = find_functions("/proc/self/exe", {"beyla_elf_probe_target", "no_such_function_here"});
    REQUIRE(f.error.empty());
    CHECK(f.has_symbols);
    REQUIRE(f.offsets.count("beyla_elf_probe_target") == 1);
    CHECK(f.offsets.count("no_such_function_here") == 0);
    // The bytes at that offset of the file are the bytes at the function's address.
    std::vector<unsigned char> file(32);
    int fd = open("/proc/self/exe", O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(pread(fd, file.data(), file.size(), static_cast<off_t>(f.offsets["beyla_elf_probe_target"])) == 32);
    close(fd);
    CHECK(memcmp(file.data(), reinterpret_cast<const void *>(&beyla_elf_probe_target), file.size()) == 0);
    CHECK(beyla_elf_probe_target(1) == 10);
}

TEST_CASE("what is not an ELF file with symbols says so", "[tls][elf]") {
    CHECK(find_functions("/nonexistent/file", {"x"}).error.find("cannot open") == 0);
    std::string path = "/tmp/beyla-elf-test-" + std::to_string(getpid());
    { std::ofstream(path) << "#!/bin/sh\necho not elf\n"; }
    ElfFunctions f = find_functions(path, {"x"});
    CHECK(f.error == "not an ELF file");
    CHECK(f.offsets.empty());
    unlink(path.c_str());
}

TEST_CASE("TLS libraries are told by their file name", "[tls]") {
    CHECK(kind_of_library("/usr/lib/x86_64-linux-gnu/libssl.so.3") == Kind::OpensslShared);
    CHECK(kind_of_library("/opt/app/lib/libssl.so.1.1") == Kind::OpensslShared);
    CHECK(kind_of_library("/usr/lib/x86_64-linux-gnu/libgnutls.so.30") == Kind::Gnutls);
    CHECK(!kind_of_library("/usr/lib/x86_64-linux-gnu/libgnutls-openssl.so.27"));
    CHECK(!kind_of_library("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"));
    CHECK(!kind_of_library("/usr/lib/libssl3.so")); // NSS, not OpenSSL
    CHECK(std::string(kind_name(Kind::OpensslStatic)) == "openssl-static");
    CHECK(functions_of(Kind::Gnutls).size() == 2);
    CHECK(functions_of(Kind::OpensslShared).size() == 4);
}
