// Helpers for the kernel tests: privilege checks, loopback sockets, and collecting and
// decoding the events a BpfSource hands out.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "socket_trace.h"
#include "source/bpf_source.h"

namespace beyla::ktest {

// "" when the test can run; otherwise what is missing.
inline std::string missing_privilege() {
    if (geteuid() != 0) return "root (euid 0) to load BPF programs";
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, nullptr, 4, 4, 1, nullptr);
    if (fd < 0) {
        int err = errno;
        return std::string("bpf() refused (") + strerror(err) + "): CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN";
    }
    close(fd);
    return "";
}

#define KTEST_REQUIRE_BPF()                                                                                  \
    do {                                                                                                     \
        std::string missing_ = ::beyla::ktest::missing_privilege();                                          \
        if (!missing_.empty()) {                                                                             \
            WARN("skipped: needs " << missing_);                                                             \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

// Library and libbpf messages (the verifier's log among them) on stderr; BEYLA_TEST_LOG=debug
// for everything.
inline void log_to_stderr(beyla_log_level lvl, const char *msg, void *) {
    static const char *names[] = {"error", "warn", "info", "debug"};
    fprintf(stderr, "[%s] %s\n", names[lvl], msg);
}
inline const Logger *test_logger() {
    static const Logger logger(log_to_stderr, nullptr,
                               getenv("BEYLA_TEST_LOG") && std::string(getenv("BEYLA_TEST_LOG")) == "debug"
                                   ? BEYLA_LOG_DEBUG
                                   : BEYLA_LOG_WARN);
    return &logger;
}

inline bool kernel_has_ringbuf() {
    return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) > 0;
}

// What the typed-pointer fd walk needs (bpf/sock.bpf.h): the kfunc in the kernel's BTF.
inline bool kernel_has_rdonly_cast() {
    struct btf *btf = btf__load_vmlinux_btf();
    if (!btf) return false;
    bool found = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) >= 0;
    btf__free(btf);
    return found;
}

struct Event {
    std::vector<uint8_t> raw;
    uint32_t type() const {
        uint32_t t;
        memcpy(&t, raw.data(), sizeof(t));
        return t;
    }
    const beyla_event_header &hdr() const {
        return *reinterpret_cast<const beyla_event_header *>(raw.data());
    }
    const beyla_data_event &data() const { return *reinterpret_cast<const beyla_data_event *>(raw.data()); }
    const beyla_conn_event &conn() const { return *reinterpret_cast<const beyla_conn_event *>(raw.data()); }
    const beyla_proc_event &proc() const { return *reinterpret_cast<const beyla_proc_event *>(raw.data()); }
    const beyla_h2_header_event &h2() const {
        return *reinterpret_cast<const beyla_h2_header_event *>(raw.data());
    }
    std::string payload() const {
        const auto &d = data();
        return std::string(reinterpret_cast<const char *>(raw.data() + sizeof(beyla_data_event)), d.captured);
    }
};

class Collector {
  public:
    explicit Collector(BpfSource &src) : src_(src) {}

    // Polls until pred() holds or timeout_ms passes; returns pred().
    bool wait_for(const std::function<bool()> &pred, int timeout_ms = 5000) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= until) return false;
            src_.poll(100, [&](const void *d, size_t n) { add(d, n); });
        }
        return true;
    }
    // Whatever arrives within ms.
    void settle(int ms = 300) {
        wait_for([] { return false; }, ms);
    }

    std::vector<Event> events;

    // Perf buffers are per CPU: events of different CPUs arrive out of order.
    void sort_by_time() {
        std::stable_sort(events.begin(), events.end(),
                         [](const Event &a, const Event &b) { return a.hdr().ts_exit < b.hdr().ts_exit; });
    }

    std::vector<const Event *> where(const std::function<bool(const Event &)> &f) const {
        std::vector<const Event *> out;
        for (const auto &e : events)
            if (f(e)) out.push_back(&e);
        return out;
    }
    std::vector<const Event *> data_on(int32_t fd, uint64_t sock_id = 0) const {
        return where([&](const Event &e) {
            return e.type() == BEYLA_EV_DATA && e.hdr().fd == fd && (!sock_id || e.hdr().sock_id == sock_id);
        });
    }
    // All payload bytes of direction dir on sock_id, in order.
    std::string stream(uint64_t sock_id, int dir) const {
        std::string s;
        for (const auto &e : events)
            if (e.type() == BEYLA_EV_DATA && e.hdr().sock_id == sock_id && e.data().direction == dir)
                s += e.payload();
        return s;
    }
    const Event *conn(uint32_t type, int32_t fd, uint32_t tgid) const {
        for (const auto &e : events)
            if (e.type() == type && e.hdr().fd == fd && e.hdr().tgid == tgid) return &e;
        return nullptr;
    }

  private:
    void add(const void *d, size_t n) {
        REQUIRE(n >= sizeof(beyla_event_header));
        Event e;
        e.raw.assign(static_cast<const uint8_t *>(d), static_cast<const uint8_t *>(d) + n);
        if (e.type() == BEYLA_EV_DATA) {
            REQUIRE(n == sizeof(beyla_data_event) + e.data().captured);
        } else if (e.type() == BEYLA_EV_CONN_OPEN || e.type() == BEYLA_EV_CONN_CLOSE) {
            REQUIRE(n == sizeof(beyla_conn_event));
        } else if (e.type() == BEYLA_EV_HTTP2_HEADER) {
            REQUIRE(n == sizeof(beyla_h2_header_event));
        } else {
            REQUIRE(n == sizeof(beyla_proc_event));
        }
        events.push_back(std::move(e));
    }
    BpfSource &src_;
};

struct Listener {
    int fd = -1;
    uint16_t port = 0;
    Listener() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
        REQUIRE(listen(fd, 16) == 0);
        socklen_t len = sizeof(a);
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~Listener() {
        if (fd >= 0) close(fd);
    }
    Listener(const Listener &) = delete;
    Listener &operator=(const Listener &) = delete;
};

// Connected client socket to 127.0.0.1:port, or -1 (safe in a forked child: no REQUIRE).
inline int connect_loopback(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

inline uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    return ntohs(a.sin_port);
}

inline bool write_all(int fd, const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
        ssize_t r = write(fd, c, n);
        if (r <= 0) return false;
        c += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// Reads exactly n bytes in reads of at most chunk bytes.
inline std::string read_exact(int fd, size_t n, size_t chunk = 1000) {
    std::string out;
    std::vector<char> buf(chunk);
    while (out.size() < n) {
        ssize_t r = read(fd, buf.data(), std::min(chunk, n - out.size()));
        if (r <= 0) break;
        out.append(buf.data(), static_cast<size_t>(r));
    }
    return out;
}

inline bool is_loopback_v4(const uint8_t a[16]) {
    static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    return memcmp(a, want, 16) == 0;
}

} // namespace beyla::ktest
