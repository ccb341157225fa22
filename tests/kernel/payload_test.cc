// What the kernel side copies: the payload prefix, iovec limits, mmsg calls, IPv6.
#include <sys/uio.h>

#include <thread>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    return s;
}

struct Pair {
    Listener l;
    int c = -1, s = -1;
    Pair() {
        c = connect_loopback(l.port);
        REQUIRE(c >= 0);
        s = accept(l.fd, nullptr, nullptr);
        REQUIRE(s >= 0);
    }
    ~Pair() {
        close(c);
        close(s);
    }
};

const Event *egress_on(const Collector &col, int fd, int sys) {
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA && e.hdr().fd == fd && e.data().direction == BEYLA_DIR_EGRESS &&
            e.data().syscall == sys)
            return &e;
    return nullptr;
}

} // namespace

TEST_CASE("payload prefix: bytes counted in full, captured up to the prefix", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    for (uint32_t prefix : {4096u, static_cast<uint32_t>(BEYLA_MAX_PAYLOAD)}) {
        DYNAMIC_SECTION("prefix " << prefix) {
            BpfSourceOptions o;
            o.payload_prefix = prefix;
            o.logger = test_logger();
            o.report_all_execs = false;
            BpfSource src(o);
            src.start();
            src.trace_pid(static_cast<uint32_t>(getpid()), 0);
            Pair p;
            const size_t n = prefix == 4096 ? 10000 : 20000;
            const std::string big = pattern(n);
            REQUIRE(write_all(p.c, big.data(), big.size()));
            REQUIRE(read_exact(p.s, n, 65536) == big);

            Collector col(src);
            REQUIRE(col.wait_for([&] { return egress_on(col, p.c, BEYLA_SYS_WRITE) != nullptr; }));
            const Event *w = egress_on(col, p.c, BEYLA_SYS_WRITE);
            CHECK(w->data().bytes == n);
            CHECK(w->data().captured == prefix);
            CHECK(w->payload() == big.substr(0, prefix));
            CHECK((w->data().flags & ~BEYLA_DATA_F_POS) == 0);
            CHECK(src.counters().truncated >= 1);
        }
    }
}

TEST_CASE("payload prefix: options outside 1..BEYLA_MAX_PAYLOAD are refused", "[kernel][payload]") {
    for (uint32_t prefix : {0u, static_cast<uint32_t>(BEYLA_MAX_PAYLOAD + 1)}) {
        BpfSourceOptions o;
        o.payload_prefix = prefix;
        BpfSource src(o);
        try {
            src.start();
            FAIL("start() accepted payload prefix " << prefix);
        } catch (const Error &e) {
            CHECK(e.code() == EINVAL);
        }
    }
}

TEST_CASE("writev with more iovecs than are walked is marked partial", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.bpf_loop = false; // the walk of BEYLA_MAX_IOV entries (with bpf_loop: every one, iovec_test.cc)
    BpfSource src(o);
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Pair p;
    const std::string text = pattern(BEYLA_MAX_IOV + 4);
    std::vector<iovec> iov;
    for (size_t i = 0; i < text.size(); i++) iov.push_back({const_cast<char *>(&text[i]), 1});
    REQUIRE(writev(p.c, iov.data(), static_cast<int>(iov.size())) == static_cast<ssize_t>(text.size()));
    REQUIRE(read_exact(p.s, text.size()) == text);

    Collector col(src);
    REQUIRE(col.wait_for([&] { return egress_on(col, p.c, BEYLA_SYS_WRITEV) != nullptr; }));
    const Event *w = egress_on(col, p.c, BEYLA_SYS_WRITEV);
    CHECK(w->data().bytes == text.size());
    CHECK(w->data().captured == BEYLA_MAX_IOV);
    CHECK(w->payload() == text.substr(0, BEYLA_MAX_IOV));
    CHECK((w->data().flags & BEYLA_DATA_F_PARTIAL) != 0);
}

TEST_CASE("sendmmsg/recvmmsg: total bytes, first message's payload", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Pair p;
    iovec a = {const_cast<char *>("m1aa"), 4}, b = {const_cast<char *>("m2bbb"), 5};
    mmsghdr msgs[2] = {};
    msgs[0].msg_hdr.msg_iov = &a;
    msgs[0].msg_hdr.msg_iovlen = 1;
    msgs[1].msg_hdr.msg_iov = &b;
    msgs[1].msg_hdr.msg_iovlen = 1;
    REQUIRE(sendmmsg(p.c, msgs, 2, 0) == 2);

    char buf[64];
    iovec r = {buf, sizeof(buf)};
    mmsghdr in[1] = {};
    in[0].msg_hdr.msg_iov = &r;
    in[0].msg_hdr.msg_iovlen = 1;
    std::string got;
    while (got.size() < 9) {
        int n = recvmmsg(p.s, in, 1, 0, nullptr);
        REQUIRE(n == 1);
        got.append(buf, in[0].msg_len);
    }
    REQUIRE(got == "m1aam2bbb");

    Collector col(src);
    auto recvs = [&] {
        return col.where([&](const Event &e) {
            return e.type() == BEYLA_EV_DATA && e.hdr().fd == p.s && e.data().syscall == BEYLA_SYS_RECVMMSG;
        });
    };
    REQUIRE(col.wait_for([&] {
        uint64_t total = 0;
        for (const Event *e : recvs()) total += e->data().bytes;
        return egress_on(col, p.c, BEYLA_SYS_SENDMMSG) && total == 9;
    }));
    const Event *s = egress_on(col, p.c, BEYLA_SYS_SENDMMSG);
    CHECK(s->data().bytes == 9);
    CHECK(s->payload() == "m1aa");
    CHECK((s->data().flags & BEYLA_DATA_F_MULTI_MSG) != 0);
    std::string seen;
    for (const Event *e : recvs()) {
        CHECK(e->data().direction == BEYLA_DIR_INGRESS);
        seen += e->payload();
    }
    CHECK(seen == "m1aam2bbb");
}

TEST_CASE("IPv6 loopback connections carry IPv6 addresses", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    int l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(l >= 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0) {
        close(l);
        WARN("skipped: no IPv6 loopback here");
        return;
    }
    REQUIRE(listen(l, 4) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(getsockname(l, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    const uint16_t port = ntohs(a.sin6_port);

    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    int c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(connect(c, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
    int s = accept(l, nullptr, nullptr);
    REQUIRE(s >= 0);
    REQUIRE(write_all(c, "v6", 2));
    REQUIRE(read_exact(s, 2) == "v6");

    Collector col(src);
    REQUIRE(col.wait_for([&] { return egress_on(col, c, BEYLA_SYS_WRITE) != nullptr; }));
    const auto &ad = egress_on(col, c, BEYLA_SYS_WRITE)->data().addr;
    CHECK(ad.family == AF_INET6);
    CHECK(memcmp(ad.laddr, &in6addr_loopback, 16) == 0);
    CHECK(memcmp(ad.raddr, &in6addr_loopback, 16) == 0);
    CHECK(ad.rport == port);
    close(c);
    close(s);
    close(l);
}

TEST_CASE("a syscall entered before tracing began is counted, not reported", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    Pair p;
    std::string got;
    std::thread reader([&] { got = read_exact(p.s, 5); });
    // Let the reader block inside read() while the process is still untraced.
    usleep(200 * 1000);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    REQUIRE(write_all(p.c, "late!", 5));
    reader.join();
    REQUIRE(got == "late!");

    Collector col(src);
    REQUIRE(col.wait_for([&] { return egress_on(col, p.c, BEYLA_SYS_WRITE) != nullptr; }));
    col.settle(200);
    CHECK(col.data_on(p.s).empty());
    CHECK(src.counters().args_missing >= 1);
}

TEST_CASE("stop() detaches, and a later poll drains what was queued", "[kernel][payload]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.wakeup_bytes = 1 << 20; // nothing wakes the reader: only the drain finds the events
    BpfSource src(o);
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Pair p;
    REQUIRE(write_all(p.c, "before-stop", 11));
    REQUIRE(read_exact(p.s, 11) == "before-stop");
    src.stop();
    src.stop(); // idempotent
    REQUIRE(write_all(p.c, "after-stop", 10));
    REQUIRE(read_exact(p.s, 10) == "after-stop");

    Collector col(src);
    REQUIRE(col.wait_for([&] { return egress_on(col, p.c, BEYLA_SYS_WRITE) != nullptr; }));
    col.settle(200);
    CHECK(egress_on(col, p.c, BEYLA_SYS_WRITE)->payload() == "before-stop");
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA) CHECK(e.payload().find("after-stop") == std::string::npos);
    CHECK(src.describe().find("stopped") != std::string::npos);
}
