// The capability probe through the shared library: options semantics, sized outputs, lookups.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include <beyla/beyla.h>

namespace {

const std::string kData = std::string(BEYLA_TEST_DATA) + "/caps/";

// A probe of a fake tree that reads files only: fast, and the same on every machine.
struct beyla_caps *probe_tree(const char *name) {
    static thread_local std::string proc, sys, boot, etc; // must outlive the call only
    proc = kData + name + "/proc";
    sys = kData + name + "/sys";
    boot = kData + name + "/boot";
    etc = kData + name + "/etc";
    struct beyla_caps_opts o {};
    o.sz = sizeof(o);
    o.proc_root = proc.c_str();
    o.sys_root = sys.c_str();
    o.boot_root = boot.c_str();
    o.etc_root = etc.c_str();
    o.files_only = true;
    return beyla_caps_probe(&o);
}

std::string state_of(const beyla_caps *caps, const char *name) {
    beyla_cap_item it{};
    it.sz = sizeof(it);
    if (beyla_caps_find(caps, name, &it) != 0) return "missing";
    return it.state == BEYLA_YES ? "yes" : it.state == BEYLA_NO ? "no" : "unknown";
}

} // namespace

TEST_CASE("caps: NULL options mean the defaults", "[caps]") {
    struct beyla_caps *caps = beyla_caps_probe(nullptr);
    REQUIRE(caps);
    CHECK(beyla_caps_count(caps) > 30);
    beyla_caps_summary s{};
    s.sz = sizeof(s);
    REQUIRE(beyla_caps_get_summary(caps, &s) == 0);
    CHECK(s.page_size >= 4096);
    CHECK((s.page_size & (s.page_size - 1)) == 0);
    CHECK(s.kernel_major >= 3);
    REQUIRE(s.lockdown);
    REQUIRE(s.capture_path);
    REQUIRE(s.transport);
    REQUIRE(s.btf_source);
    // The summary agrees with the items it summarises.
    CHECK(state_of(caps, "bpf.ringbuf") == (s.ringbuf == BEYLA_YES  ? "yes"
                                            : s.ringbuf == BEYLA_NO ? "no"
                                                                    : "unknown"));
    CHECK(state_of(caps, "hook.kprobe") == (s.kprobes == BEYLA_YES  ? "yes"
                                            : s.kprobes == BEYLA_NO ? "no"
                                                                    : "unknown"));
    bool can =
        std::string(s.capture_path) != "none" && std::string(s.transport) != "none" && s.btf == BEYLA_YES;
    CHECK(s.can_trace == (can ? BEYLA_YES : BEYLA_NO));
    beyla_caps_free(caps);
}

TEST_CASE("caps: options struct sizes", "[caps]") {
    SECTION("sz too small") {
        struct beyla_caps_opts o {};
        o.sz = sizeof(o);
        o.sz = 4;
        errno = 0;
        CHECK(beyla_caps_probe(&o) == nullptr);
        CHECK(errno == EINVAL);
    }
    SECTION("a bigger struct from a newer caller") {
        // The caller's struct has a field this build does not know.
        struct newer {
            struct beyla_caps_opts base;
            uint64_t future_field;
        } n;
        memset(&n, 0, sizeof(n));
        n.base.sz = sizeof(n);
        n.base.files_only = true;
        n.future_field = 1;
        errno = 0;
        CHECK(beyla_caps_probe(&n.base) == nullptr);
        CHECK(errno == EINVAL);

        n.future_field = 0; // zero tail: fine
        struct beyla_caps *caps = beyla_caps_probe(&n.base);
        REQUIRE(caps);
        beyla_caps_free(caps);
    }
    SECTION("an older, smaller struct: the rest takes defaults") {
        struct beyla_caps_opts o {};
        o.sz = sizeof(o);
        o.proc_root = "/nonexistent-proc-root";
        o.sz = offsetof(struct beyla_caps_opts, proc_root); // proc_root not covered: ignored
        o.files_only = true;                                // not covered either
        struct beyla_caps *caps = beyla_caps_probe(&o);
        REQUIRE(caps);
        beyla_cap_item it{};
        it.sz = sizeof(it);
        REQUIRE(beyla_caps_find(caps, "kernel.release", &it) == 0);
        CHECK(std::string(it.reason).find("/nonexistent-proc-root") == std::string::npos);
        beyla_caps_free(caps);
    }
}

TEST_CASE("caps: a short summary struct is written only up to its sz", "[caps]") {
    struct beyla_caps *caps = probe_tree("arm64_16k");
    REQUIRE(caps);
    const size_t short_sz = offsetof(struct beyla_caps_summary, btf); // kernel version and page size only
    std::vector<unsigned char> buf(sizeof(struct beyla_caps_summary) + 32, 0xAB);
    auto *s = reinterpret_cast<struct beyla_caps_summary *>(buf.data());
    s->sz = short_sz;
    REQUIRE(beyla_caps_get_summary(caps, s) == 0);
    CHECK(s->kernel_major == 6);
    CHECK(s->kernel_minor == 1);
    CHECK(s->page_size == 16384);
    for (size_t i = short_sz; i < buf.size(); i++) {
        INFO("byte " << i);
        REQUIRE(buf[i] == 0xAB);
    }
    // sz smaller than the sz field itself is refused.
    beyla_caps_summary tiny{};
    tiny.sz = 2;
    CHECK(beyla_caps_get_summary(caps, &tiny) == -EINVAL);
    CHECK(beyla_caps_get_summary(caps, nullptr) == -EINVAL);
    CHECK(beyla_caps_get_summary(nullptr, s) == -EINVAL);
    beyla_caps_free(caps);
}

TEST_CASE("caps: items, find, plan and JSON", "[caps]") {
    struct beyla_caps *caps = probe_tree("rhel8");
    REQUIRE(caps);
    size_t n = beyla_caps_count(caps);
    REQUIRE(n > 30);
    std::string json = beyla_caps_json(caps);
    CHECK(json.rfind("{\"version\":\"", 0) == 0);
    for (size_t i = 0; i < n; i++) {
        beyla_cap_item it{};
        it.sz = sizeof(it);
        REQUIRE(beyla_caps_item(caps, i, &it) == 0);
        REQUIRE(it.name);
        REQUIRE(it.category);
        REQUIRE(it.value);
        REQUIRE(it.reason);
        REQUIRE(it.degraded);
        CHECK((it.state == BEYLA_YES || it.state == BEYLA_NO || it.state == BEYLA_UNKNOWN));
        CHECK(json.find(std::string("\"name\":\"") + it.name + "\"") != std::string::npos);
        beyla_cap_item again{};
        again.sz = sizeof(again);
        REQUIRE(beyla_caps_find(caps, it.name, &again) == 0);
        CHECK(again.reason == it.reason); // the same stored string
    }
    beyla_cap_item it{};
    it.sz = sizeof(it);
    CHECK(beyla_caps_item(caps, n, &it) == -ENOENT);
    CHECK(beyla_caps_find(caps, "no.such.item", &it) == -ENOENT);
    CHECK(std::string(beyla_caps_last_error(caps)).find("no.such.item") != std::string::npos);
    CHECK(beyla_caps_find(caps, nullptr, &it) == -EINVAL);
    CHECK(beyla_caps_find(caps, "bpf.btf", nullptr) == -EINVAL);

    REQUIRE(beyla_caps_find(caps, "kernel.rhel_backport", &it) == 0);
    CHECK(it.state == BEYLA_YES);
    CHECK(std::string(it.category) == "kernel");
    REQUIRE(beyla_caps_find(caps, "bpf.btf", &it) == 0);
    CHECK(it.state == BEYLA_NO);
    CHECK(std::string(it.degraded).find("CO-RE") != std::string::npos);

    // A short item struct: only name and category are written.
    beyla_cap_item short_it;
    memset(&short_it, 0xAB, sizeof(short_it));
    short_it.sz = offsetof(struct beyla_cap_item, state);
    REQUIRE(beyla_caps_find(caps, "bpf.btf", &short_it) == 0);
    CHECK(std::string(short_it.name) == "bpf.btf");
    const unsigned char *raw = reinterpret_cast<const unsigned char *>(&short_it);
    for (size_t i = offsetof(struct beyla_cap_item, state); i < sizeof(short_it); i++)
        REQUIRE(raw[i] == 0xAB);

    const char *plan = beyla_caps_plan_text(caps);
    REQUIRE(plan);
    CHECK(std::string(plan).find("capture:") != std::string::npos);
    beyla_caps_free(caps);

    // NULL handles.
    errno = 0;
    CHECK(beyla_caps_json(nullptr) == nullptr);
    CHECK(errno == EINVAL);
    CHECK(beyla_caps_plan_text(nullptr) == nullptr);
    CHECK(beyla_caps_count(nullptr) == 0);
    CHECK(beyla_caps_item(nullptr, 0, &it) == -EINVAL);
    CHECK(beyla_caps_find(nullptr, "bpf.btf", &it) == -EINVAL);
    CHECK(beyla_caps_last_error(nullptr) != nullptr);
    beyla_caps_free(nullptr);
}

TEST_CASE("caps: two handles are independent", "[caps]") {
    struct beyla_caps *a = probe_tree("arm64_16k");
    struct beyla_caps *b = probe_tree("rhel8");
    REQUIRE(a);
    REQUIRE(b);
    beyla_caps_summary sa{}, sb{};
    sa.sz = sizeof(sa);
    sb.sz = sizeof(sb);
    REQUIRE(beyla_caps_get_summary(a, &sa) == 0);
    REQUIRE(beyla_caps_get_summary(b, &sb) == 0);
    beyla_caps_free(b); // a's strings must survive b
    CHECK(sa.page_size == 16384);
    CHECK(sb.kernel_minor == 18);
    CHECK(std::string(sa.lockdown) == "none");
    CHECK(std::string(sa.btf_source).find("arm64_16k") != std::string::npos);
    beyla_cap_item it{};
    it.sz = sizeof(it);
    CHECK(beyla_caps_find(a, "bpf.btf", &it) == 0);
    CHECK(it.state == BEYLA_YES);
    beyla_caps_free(a);
}

TEST_CASE("caps: the log callback hears the probe", "[caps]") {
    struct Seen {
        int count = 0;
        bool mentions_roots = false;
    } seen;
    struct beyla_caps_opts o {};
    o.sz = sizeof(o);
    std::string proc = kData + "rhel8/proc";
    o.proc_root = proc.c_str();
    o.files_only = true;
    o.log_fn = [](enum beyla_log_level, const char *msg, void *ctx) {
        auto *s = static_cast<Seen *>(ctx);
        s->count++;
        if (strstr(msg, "rhel8/proc")) s->mentions_roots = true;
    };
    o.log_ctx = &seen;
    struct beyla_caps *caps = beyla_caps_probe(&o);
    REQUIRE(caps);
    CHECK(seen.count > 0);
    CHECK(seen.mentions_roots);
    beyla_caps_free(caps);
}

TEST_CASE("caps: tls_pids lists each process's TLS libraries", "[caps][tls]") {
    const char *libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    if (access(libssl, R_OK) != 0) {
        WARN("skipped: no " << libssl << " to copy into the fake process tree");
        return;
    }
    // A fake /proc: process 4242 maps a copy of libssl (through its root) and a plain library.
    char tmpl[] = "/tmp/beyla-caps-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    const std::string root = tmpl;
    const std::string proc = root + "/proc";
    REQUIRE(system(("mkdir -p " + proc + "/4242/root/usr/lib && cp " + libssl + " " + proc +
                    "/4242/root/usr/lib/libssl.so.3 && printf '%s\\n%s\\n' '7f0000000000-7f0000001000 r-xp 00000000 "
                    "08:01 1234 /usr/lib/libssl.so.3' '7f0000002000-7f0000003000 r-xp 00000000 08:01 99 "
                    "/usr/lib/libz.so.1' > " + proc + "/4242/maps")
                       .c_str()) == 0);
    const int32_t pids[] = {4242, 4343};
    struct beyla_caps_opts o {};
    o.sz = sizeof(o);
    o.proc_root = proc.c_str();
    o.files_only = true;

    SECTION("a count with no array, or a bad pid, is refused") {
        o.tls_pid_count = 1;
        errno = 0;
        CHECK(beyla_caps_probe(&o) == nullptr);
        CHECK(errno == EINVAL);
        const int32_t bad[] = {0};
        o.tls_pids = bad;
        errno = 0;
        CHECK(beyla_caps_probe(&o) == nullptr);
        CHECK(errno == EINVAL);
    }
    SECTION("found, probeable, and a process that is not there") {
        o.tls_pids = pids;
        o.tls_pid_count = 2;
        struct beyla_caps *caps = beyla_caps_probe(&o);
        REQUIRE(caps);
        beyla_cap_item it{};
        it.sz = sizeof(it);
        REQUIRE(beyla_caps_find(caps, "tls.4242.0", &it) == 0);
        CHECK(std::string(it.category) == "tls");
        CHECK(it.state == BEYLA_YES);
        CHECK(std::string(it.value) == "openssl-shared /usr/lib/libssl.so.3");
        CHECK(std::string(it.reason).find("SSL_read") != std::string::npos);
        CHECK(beyla_caps_find(caps, "tls.4242.1", &it) == -ENOENT); // libz is no TLS library
        REQUIRE(beyla_caps_find(caps, "tls.4343", &it) == 0);
        CHECK(it.state == BEYLA_UNKNOWN);
        CHECK(std::string(beyla_caps_plan_text(caps)).find("tls.4242.0: openssl-shared /usr/lib/libssl.so.3") !=
              std::string::npos);
        beyla_caps_free(caps);
    }
    REQUIRE(system(("rm -rf " + root).c_str()) == 0);
}
