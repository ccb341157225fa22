// The file formats the capability probe reads, one parser at a time.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "caps/parsers.h"
#include "caps/ring_size.h"
#include "common/json.h"

using namespace beyla;

TEST_CASE("kernel releases parse into major.minor.patch", "[caps][parsers]") {
    auto v = parse_kernel_release("4.18.0-348.el8.x86_64");
    REQUIRE(v.ok);
    CHECK(v.major == 4);
    CHECK(v.minor == 18);
    CHECK(v.patch == 0);

    v = parse_kernel_release("6.18.44-fc-v769");
    REQUIRE(v.ok);
    CHECK((v.major == 6 && v.minor == 18 && v.patch == 44));

    v = parse_kernel_release("5.10");
    REQUIRE(v.ok);
    CHECK((v.major == 5 && v.minor == 10 && v.patch == 0));

    v = parse_kernel_release("6.1.0-13-arm64");
    CHECK((v.ok && v.patch == 0 && v.minor == 1));

    CHECK_FALSE(parse_kernel_release("").ok);
    CHECK_FALSE(parse_kernel_release("linux").ok);
    CHECK_FALSE(parse_kernel_release("6").ok);
    CHECK_FALSE(parse_kernel_release("99999999999.1").ok);

    // Sublevels above 255 are clamped, as KERNEL_VERSION does.
    CHECK(kernel_version_code(parse_kernel_release("4.9.337")) == (4u << 16 | 9u << 8 | 255u));
    CHECK(kernel_version_code(parse_kernel_release("5.8.1")) == (5u << 16 | 8u << 8 | 1u));
}

TEST_CASE("os-release: quoted and unquoted values", "[caps][parsers]") {
    auto os = parse_os_release("NAME=\"Red Hat Enterprise Linux\"\n"
                               "# a comment\n"
                               "ID=\"rhel\"\n"
                               "ID_LIKE='fedora'\n"
                               "VERSION_ID=8.5\n"
                               "PRETTY_NAME=\"Red Hat \\\"Enterprise\\\" Linux 8.5 (Ootpa)\"\n");
    CHECK(os.found);
    CHECK(os.id == "rhel");
    CHECK(os.id_like == "fedora");
    CHECK(os.version_id == "8.5");
    CHECK(os.pretty_name == "Red Hat \"Enterprise\" Linux 8.5 (Ootpa)");
    CHECK_FALSE(parse_os_release("garbage\n").found);
}

TEST_CASE("RHEL-like 4.18 kernels are recognised as backports", "[caps][parsers]") {
    std::string why;
    OsRelease rhel;
    rhel.id = "rhel";
    rhel.id_like = "fedora";
    auto v418 = parse_kernel_release("4.18.0-348.el8.x86_64");
    CHECK(is_rhel_backport(v418, "4.18.0-348.el8.x86_64", rhel, &why));
    CHECK(why.find(".el tag") != std::string::npos);
    CHECK(why.find("rhel") != std::string::npos);

    // The release tag alone is enough (a container with another distribution's os-release).
    OsRelease debian;
    debian.id = "debian";
    CHECK(is_rhel_backport(v418, "4.18.0-348.el8.x86_64", debian, &why));

    // So is a RHEL-like distribution with an untagged 4.18 build.
    OsRelease rocky;
    rocky.id = "rocky";
    rocky.id_like = "rhel centos fedora";
    CHECK(is_rhel_backport(parse_kernel_release("4.18.0-custom"), "4.18.0-custom", rocky, &why));

    // Neither: a plain 4.18, or any other version.
    CHECK_FALSE(is_rhel_backport(parse_kernel_release("4.18.20"), "4.18.20", debian, &why));
    CHECK_FALSE(
        is_rhel_backport(parse_kernel_release("5.14.0-70.el9.x86_64"), "5.14.0-70.el9.x86_64", rhel, &why));
    CHECK_FALSE(is_rhel_backport(parse_kernel_release("4.18.0-els.x"), "4.18.0-els.x", debian, &why));
}

TEST_CASE("lockdown: the bracketed level", "[caps][parsers]") {
    CHECK(parse_lockdown("none [integrity] confidentiality\n") == "integrity");
    CHECK(parse_lockdown("[none] integrity confidentiality") == "none");
    CHECK(parse_lockdown("none integrity [confidentiality]") == "confidentiality");
    CHECK(parse_lockdown("none integrity confidentiality").empty());
    CHECK(parse_lockdown("").empty());

    CHECK(parse_cmdline_lockdown("BOOT_IMAGE=/vmlinuz ro lockdown=integrity quiet") == "integrity");
    CHECK(parse_cmdline_lockdown("ro quiet").empty());
    CHECK(parse_cmdline_lockdown("lockdown=integrity lockdown=confidentiality") == "confidentiality");
    // Words after "--" belong to init, not the kernel.
    CHECK(parse_cmdline_lockdown("ro -- lockdown=integrity").empty());
    CHECK(parse_cmdline_lockdown("xlockdown=integrity").empty());
}

TEST_CASE("CapEff from /proc/self/status", "[caps][parsers]") {
    std::string status = "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
                         "CapEff:\t000001fffeffffff\nCapBnd:\t000001ffffffffff\n";
    auto eff = parse_cap_eff(status);
    REQUIRE(eff);
    CHECK(*eff == 0x000001fffeffffffull);
    CHECK((*eff >> 39 & 1) == 1); // CAP_BPF
    CHECK((*eff >> 24 & 1) == 0); // CAP_SYS_RESOURCE cleared

    CHECK(parse_cap_eff("CapEff:\t0000000000000000\n") == std::optional<uint64_t>(0));
    CHECK(parse_cap_eff("CapEff:\t00000000a80425fb") == std::optional<uint64_t>(0xa80425fbull));
    CHECK_FALSE(parse_cap_eff("CapPrm:\t0000000000000000\n"));
    CHECK_FALSE(parse_cap_eff("CapEff:\tnothex\n"));
    CHECK_FALSE(parse_cap_eff("CapEff:\t00000000000000000000\n")); // too long for 64 bits
}

TEST_CASE("Max locked memory from /proc/self/limits", "[caps][parsers]") {
    std::string limits = "Limit                     Soft Limit           Hard Limit           Units     \n"
                         "Max locked memory         8388608              16777216             bytes     \n";
    CHECK(parse_memlock_limit(limits) == std::optional<uint64_t>(8388608));
    CHECK(
        parse_memlock_limit("Max locked memory         unlimited            unlimited            bytes\n") ==
        std::optional<uint64_t>(UINT64_MAX));
    CHECK_FALSE(parse_memlock_limit("Max open files 1024 4096 files\n"));
}

TEST_CASE("kernel config lines", "[caps][parsers]") {
    auto cfg =
        parse_kernel_config("#\n# comment\nCONFIG_BPF=y\n# CONFIG_KPROBES is not set\nCONFIG_NET_CLS_BPF=m\n"
                            "CONFIG_LSM=\"lockdown,yama\"\nCONFIG_HZ=250\n\n");
    CHECK(cfg["CONFIG_BPF"] == "y");
    CHECK(cfg["CONFIG_KPROBES"] == "n");
    CHECK(cfg["CONFIG_NET_CLS_BPF"] == "m");
    CHECK(cfg["CONFIG_LSM"] == "lockdown,yama");
    CHECK(cfg["CONFIG_HZ"] == "250");
    CHECK(cfg.count("CONFIG_UPROBES") == 0);
}

TEST_CASE("human sizes", "[caps][parsers]") {
    CHECK(human_bytes(8ull << 20) == "8 MiB");
    CHECK(human_bytes(16384) == "16 KiB");
    CHECK(human_bytes(65536) == "64 KiB");
    CHECK(human_bytes(1000) == "1000 bytes");
    CHECK(human_bytes(UINT64_MAX) == "unlimited");
}

TEST_CASE("ring sizes are power-of-two page multiples", "[caps][ring]") {
    for (uint64_t page : {4096ull, 16384ull, 65536ull}) {
        INFO("page " << page);
        CHECK(ring_size_for_page(0, page) == page);
        CHECK(ring_size_for_page(1, page) == page);
        CHECK(ring_size_for_page(page, page) == page);
        CHECK(ring_size_for_page(page + 1, page) == 2 * page);
        CHECK(ring_size_for_page(8ull << 20, page) == 8ull << 20);
        for (uint64_t req : {3ull, 4095ull, 5000ull, 100000ull, 3000000ull, (8ull << 20) + 1}) {
            uint64_t r = ring_size_for_page(req, page);
            INFO("requested " << req << " -> " << r);
            CHECK(r >= req);
            CHECK(r % page == 0);
            CHECK((r & (r - 1)) == 0);
            CHECK(r < 2 * std::max(req, page)); // the smallest such size
        }
    }
    CHECK(ring_size_for_page(4096, 16384) == 16384);
    CHECK(ring_size_for_page(20000, 16384) == 32768);
    CHECK(ring_size_for_page(70000, 65536) == 131072);
    CHECK(ring_size_for_page(1ull << 63, 4096) == 1ull << 63);
    CHECK(ring_size_for_page((1ull << 63) + 1, 4096) == 0); // would overflow
    CHECK(ring_size_for_page(UINT64_MAX, 4096) == 0);
    CHECK(ring_size_for_page(4096, 0) == 0);
    CHECK(ring_size_for_page(4096, 12288) == 0); // not a power of two
}

TEST_CASE("json_escape and the writer", "[json]") {
    CHECK(json_escape("plain") == "plain");
    CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
    CHECK(json_escape("l1\nl2\t\r") == "l1\\nl2\\t\\r");
    CHECK(json_escape(std::string("\x01\x1f", 2)) == "\\u0001\\u001f");
    CHECK(json_escape("caf\xc3\xa9") == "caf\xc3\xa9");       // valid UTF-8 passes
    CHECK(json_escape("bad\xff") == "bad\\ufffd");            // invalid byte replaced
    CHECK(json_escape("cut\xe2\x82") == "cut\\ufffd\\ufffd"); // truncated sequence
    CHECK(json_escape(std::string("nul\0x", 5)) == "nul\\u0000x");
    CHECK(json_quote("q") == "\"q\"");

    JsonWriter w;
    w.begin_object().field("a", 1).field("b", "x\"y");
    w.key("list").begin_array().value(true).null().value(uint64_t{18446744073709551615ull}).end_array();
    w.key("empty").begin_object().end_object();
    w.end_object();
    CHECK(w.str() == "{\"a\":1,\"b\":\"x\\\"y\",\"list\":[true,null,18446744073709551615],\"empty\":{}}");
}
