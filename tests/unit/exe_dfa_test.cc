#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "core/proc_scan.h"
#include "source/exe_dfa.h"

using namespace beyla;

namespace {

// The kernel sees the path given to execve; user space matches it with fnmatch (and the
// /proc/PID/exe path, which the kernel approximates by the executed file's name).
void check_same(const std::vector<std::string> &globs, const std::vector<std::string> &paths) {
    ExeDfa d = compile_exe_globs(globs);
    REQUIRE(d.compiled == globs);
    for (const auto &p : paths) {
        INFO("path " << p);
        CHECK(exe_dfa_accepts(*d.table, p) == exe_matches(globs, p));
    }
}

const std::vector<std::string> kPaths = {
    "/usr/bin/curl",
    "curl",
    "./curl",
    "/usr/bin/curl-config",
    "/opt/curly/bin/x",
    "/usr/sbin/nginx",
    "nginx",
    "/usr/bin/python3",
    "/usr/bin/python3.11",
    "/tmp/a/b/c",
    "/",
    "a/",
    "/usr/bin/xcurl",
    "/usr/local/bin/node",
    "/curl/curl/curl",
    "/usr/bin/c",
    "/usr/bin/cu",
    "/usr/bin/rlcurl",
    "/x/go_server",
    "/x/go_serv/r",
};

} // namespace

TEST_CASE("exe DFA: exact, base name, prefix, suffix and contains globs match as fnmatch does", "[exe_dfa]") {
    check_same({"/usr/bin/curl"}, kPaths);
    check_same({"curl"}, kPaths);
    check_same({"cur*"}, kPaths);
    check_same({"/usr/bin/cu*"}, kPaths);
    check_same({"*curl"}, kPaths);
    check_same({"*curl*"}, kPaths);
    check_same({"*/bin/*"}, kPaths);
    check_same({"py*3*"}, kPaths);
    check_same({"*"}, kPaths);
    check_same({"nginx", "*node", "/usr/bin/py*", "*url*"}, kPaths);
    check_same({"\\*x", "a\\b"}, {"*x", "/p/*x", "ab", "a\\b", "/x"});
}

TEST_CASE("exe DFA: random globs of literals and stars agree with fnmatch", "[exe_dfa]") {
    std::mt19937 rng(7);
    const std::string alphabet = "ab/.*";
    for (int round = 0; round < 300; round++) {
        std::vector<std::string> globs;
        int n = 1 + static_cast<int>(rng() % 3);
        for (int g = 0; g < n; g++) {
            std::string s;
            int len = 1 + static_cast<int>(rng() % 6);
            for (int i = 0; i < len; i++) s += alphabet[rng() % alphabet.size()];
            globs.push_back(s);
        }
        ExeDfa d = compile_exe_globs(globs);
        REQUIRE(d.compiled == globs);
        for (int k = 0; k < 40; k++) {
            std::string p;
            int len = 1 + static_cast<int>(rng() % 10);
            for (int i = 0; i < len; i++) p += "ab/."[rng() % 4];
            INFO("globs " << globs[0] << (n > 1 ? " " + globs[1] : "") << " path " << p);
            CHECK(exe_dfa_accepts(*d.table, p) == exe_matches(globs, p));
        }
    }
}

TEST_CASE("exe DFA: what it cannot hold is left to user space", "[exe_dfa]") {
    ExeDfa d = compile_exe_globs({"curl", "cur?", "[ab]x", "", "x\\", "*/go_serv?r"});
    CHECK(d.compiled == std::vector<std::string>{"curl"});
    CHECK(d.left == std::vector<std::string>{"cur?", "[ab]x", "", "x\\", "*/go_serv?r"});
    REQUIRE(d.why.size() == d.left.size());
    CHECK(exe_dfa_accepts(*d.table, "/usr/bin/curl"));
    CHECK_FALSE(exe_dfa_accepts(*d.table, "/usr/bin/curd"));

    // A union too large for the table: the globs that fit stay, the rest go to user space.
    std::vector<std::string> many;
    for (int i = 0; i < 24; i++)
        many.push_back("*" + std::string(1, static_cast<char>('a' + i % 26)) + std::to_string(i) + "*z*");
    ExeDfa big = compile_exe_globs(many);
    CHECK_FALSE(big.compiled.empty());
    CHECK_FALSE(big.left.empty());
    CHECK(big.compiled.size() + big.left.size() == many.size());
    for (const auto &g : big.compiled) {
        std::string hit = "/x/" + g.substr(1, g.size() - 4) + "z";
        CHECK(exe_dfa_accepts(*big.table, hit));
    }

    ExeDfa none = compile_exe_globs({});
    CHECK(none.compiled.empty());
    CHECK_FALSE(exe_dfa_accepts(*none.table, "/usr/bin/curl"));
}
