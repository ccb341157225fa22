// Vectored I/O with up to IOV_MAX iovecs: the payload prefix is taken across all of them
// (bpf_loop), or from the first BEYLA_MAX_IOV where the kernel has no bpf_loop (forced here).
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

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

// Bytes of `text` cut into iovecs of the given sizes (0 allowed), in order.
struct Vec {
    std::vector<iovec> iov;
    Vec(char *base, const std::vector<size_t> &sizes) {
        size_t off = 0;
        for (size_t n : sizes) {
            iov.push_back({base + off, n});
            off += n;
        }
    }
};

std::string text_of(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('!' + (i * 13 + i / 91) % 90);
    return s;
}

enum class Call { writev, sendmsg, readv, recvmsg };

const char *name_of(Call c) {
    switch (c) {
    case Call::writev:
        return "writev";
    case Call::sendmsg:
        return "sendmsg";
    case Call::readv:
        return "readv";
    case Call::recvmsg:
        return "recvmsg";
    }
    return "?";
}

// One syscall of kind `call` moving `total` bytes through iovecs of `sizes` on a loopback
// pair: the sender side for writev/sendmsg, the receiver for readv/recvmsg (the bytes are
// all queued first, so that the one read takes them all).
ssize_t vectored(Call call, Pair &p, std::string &buf, const std::vector<size_t> &sizes) {
    Vec v(buf.data(), sizes);
    msghdr m{};
    m.msg_iov = v.iov.data();
    m.msg_iovlen = v.iov.size();
    const int n = static_cast<int>(v.iov.size());
    switch (call) {
    case Call::writev:
        return writev(p.c, v.iov.data(), n);
    case Call::sendmsg:
        return sendmsg(p.c, &m, 0);
    case Call::readv:
    case Call::recvmsg: {
        const std::string sent = buf;
        if (!write_all(p.c, sent.data(), sent.size())) return -1;
        int queued = 0;
        for (int i = 0; i < 500 && queued < static_cast<int>(sent.size()); i++) {
            if (ioctl(p.s, FIONREAD, &queued) != 0) return -1;
            if (queued < static_cast<int>(sent.size())) usleep(1000);
        }
        std::fill(buf.begin(), buf.end(), '\0');
        ssize_t r = call == Call::readv ? readv(p.s, v.iov.data(), n) : recvmsg(p.s, &m, 0);
        if (r >= 0 && buf != sent) return -2;
        return r;
    }
    }
    return -1;
}

int sys_of(Call c) {
    switch (c) {
    case Call::writev:
        return BEYLA_SYS_WRITEV;
    case Call::sendmsg:
        return BEYLA_SYS_SENDMSG;
    case Call::readv:
        return BEYLA_SYS_READV;
    case Call::recvmsg:
        return BEYLA_SYS_RECVMSG;
    }
    return 0;
}

const Event *find(const Collector &col, const Pair &p, Call call) {
    int fd = call == Call::writev || call == Call::sendmsg ? p.c : p.s;
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA && e.hdr().fd == fd && e.data().syscall == sys_of(call)) return &e;
    return nullptr;
}

// Iovec sizes: 1024 of one byte (1 KiB, under the prefix), 1024 of 7 bytes (over 4 KiB),
// and 1024 of 0..15 bytes with empty ones among them.
std::vector<std::pair<std::string, std::vector<size_t>>> shapes() {
    std::vector<size_t> ones(BEYLA_IOV_MAX, 1), sevens(BEYLA_IOV_MAX, 7), mixed;
    for (size_t i = 0; i < BEYLA_IOV_MAX; i++) mixed.push_back((i * 7) % 16);
    return {{"1024 x 1 B", ones}, {"1024 x 7 B", sevens}, {"1024 x 0..15 B", mixed}};
}

BpfSourceOptions options(std::optional<bool> bpf_loop, uint32_t prefix = BEYLA_DEFAULT_PAYLOAD) {
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.bpf_loop = bpf_loop;
    o.payload_prefix = prefix;
    return o;
}

bool kernel_has_bpf_loop() {
    return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, nullptr) > 0;
}

} // namespace

TEST_CASE("vectored I/O with 1024 iovecs: the prefix of their concatenation, the true byte count",
          "[kernel][iovec]") {
    KTEST_REQUIRE_BPF();
    if (!kernel_has_bpf_loop()) {
        WARN("skipped: the kernel has no bpf_loop (5.17+)");
        return;
    }
    for (uint32_t prefix :
         {static_cast<uint32_t>(BEYLA_DEFAULT_PAYLOAD), static_cast<uint32_t>(BEYLA_MAX_PAYLOAD)}) {
        BpfSource src(options(std::nullopt, prefix));
        src.start();
        REQUIRE(src.using_bpf_loop());
        src.trace_pid(static_cast<uint32_t>(getpid()), 0);
        for (const auto &[shape, sizes] : shapes()) {
            size_t total = 0;
            for (size_t n : sizes) total += n;
            for (Call call : {Call::writev, Call::sendmsg, Call::readv, Call::recvmsg}) {
                INFO("prefix " << prefix << ", " << name_of(call) << ", " << shape);
                Pair p;
                const std::string text = text_of(total);
                std::string buf = text;
                REQUIRE(vectored(call, p, buf, sizes) == static_cast<ssize_t>(total));
                if (call == Call::writev || call == Call::sendmsg)
                    REQUIRE(read_exact(p.s, total, 65536) == text);

                Collector col(src);
                REQUIRE(col.wait_for([&] { return find(col, p, call) != nullptr; }));
                const Event *e = find(col, p, call);
                const size_t want = std::min<size_t>(total, prefix);
                CHECK(e->data().bytes == total);
                CHECK(e->data().captured == want);
                CHECK(e->payload() == text.substr(0, want));
                CHECK((e->data().flags & BEYLA_DATA_F_PARTIAL) == 0);
            }
        }
        CHECK(src.counters().read_fault == 0);
    }
}

TEST_CASE("vectored I/O without bpf_loop: the bounded walk loads, and marks what it leaves partial",
          "[kernel][iovec]") {
    KTEST_REQUIRE_BPF();
    BpfSource src(options(false));
    src.start();
    REQUIRE_FALSE(src.using_bpf_loop());
    CHECK(src.describe().find("first 16 iovecs") != std::string::npos);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    for (const auto &[shape, sizes] : shapes()) {
        size_t total = 0, walked = 0;
        for (size_t i = 0; i < sizes.size(); i++) {
            total += sizes[i];
            if (i < BEYLA_MAX_IOV) walked += sizes[i];
        }
        for (Call call : {Call::writev, Call::sendmsg, Call::readv, Call::recvmsg}) {
            INFO(name_of(call) << ", " << shape);
            Pair p;
            const std::string text = text_of(total);
            std::string buf = text;
            REQUIRE(vectored(call, p, buf, sizes) == static_cast<ssize_t>(total));
            if (call == Call::writev || call == Call::sendmsg) REQUIRE(read_exact(p.s, total, 65536) == text);

            Collector col(src);
            REQUIRE(col.wait_for([&] { return find(col, p, call) != nullptr; }));
            const Event *e = find(col, p, call);
            CHECK(e->data().bytes == total);
            CHECK(e->data().captured == walked);
            CHECK(e->payload() == text.substr(0, walked));
            CHECK((e->data().flags & BEYLA_DATA_F_PARTIAL) != 0);
        }
    }
    // Within the walk, everything is taken.
    Pair p;
    const std::string text = text_of(100);
    std::string buf = text;
    REQUIRE(vectored(Call::writev, p, buf, std::vector<size_t>(10, 10)) == 100);
    Collector col(src);
    REQUIRE(col.wait_for([&] { return find(col, p, Call::writev) != nullptr; }));
    CHECK(find(col, p, Call::writev)->payload() == text);
    CHECK((find(col, p, Call::writev)->data().flags & BEYLA_DATA_F_PARTIAL) == 0);
}
