// Which processes are traced: fork following, exec reports, port selection, and several
// sources side by side.
#include <fcntl.h>
#include <sys/wait.h>

#include <cerrno>
#include <stdexcept>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

BpfSourceOptions quiet() {
    BpfSourceOptions o;
    o.logger = test_logger();
    return o;
}

const Event *proc_event(const Collector &col, uint32_t type, uint32_t tgid) {
    for (const auto &e : col.events)
        if (e.type() == type && e.hdr().tgid == tgid) return &e;
    return nullptr;
}

} // namespace

TEST_CASE("a traced process' forked child is traced, its exec and exit are reported", "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    BpfSource src(quiet());
    src.start();
    const uint32_t me = static_cast<uint32_t>(getpid());
    src.trace_pid(me, BEYLA_PROC_F_FOLLOW_CHILDREN);
    Listener l;

    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int fd = connect_loopback(l.port);
        if (fd >= 0) {
            (void)!write(fd, "from-child", 10);
            close(fd);
        }
        _exit(0);
    }
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    REQUIRE(read_exact(s, 10) == "from-child");
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    close(s);

    pid_t execer = fork();
    REQUIRE(execer >= 0);
    if (execer == 0) {
        execl("/bin/true", "true", static_cast<char *>(nullptr));
        _exit(127);
    }
    REQUIRE(waitpid(execer, &status, 0) == execer);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    const uint32_t c = static_cast<uint32_t>(child), x = static_cast<uint32_t>(execer);
    Collector col(src);
    REQUIRE(col.wait_for([&] {
        return proc_event(col, BEYLA_EV_PROC_EXIT, c) && proc_event(col, BEYLA_EV_PROC_EXIT, x) &&
               proc_event(col, BEYLA_EV_PROC_EXEC, x);
    }));
    const Event *fork_ev = proc_event(col, BEYLA_EV_PROC_FORK, c);
    REQUIRE(fork_ev);
    CHECK(fork_ev->proc().ppid == me);
    CHECK(fork_ev->hdr().tid == c);
    CHECK(fork_ev->hdr().fd == -1);
    CHECK(fork_ev->hdr().sock_id == 0);
    CHECK(fork_ev->proc().filename[0] == 0);

    // The child's own connection, seen from the child.
    auto child_writes = col.where([&](const Event &e) {
        return e.type() == BEYLA_EV_DATA && e.hdr().tgid == c && e.data().direction == BEYLA_DIR_EGRESS;
    });
    REQUIRE(child_writes.size() == 1);
    CHECK(child_writes[0]->payload() == "from-child");
    CHECK(child_writes[0]->data().role == BEYLA_ROLE_CLIENT);
    const Event *child_open = col.conn(BEYLA_EV_CONN_OPEN, child_writes[0]->hdr().fd, c);
    REQUIRE(child_open);
    CHECK(child_open->conn().role == BEYLA_ROLE_CLIENT);

    const Event *exec_ev = proc_event(col, BEYLA_EV_PROC_EXEC, x);
    CHECK(std::string(exec_ev->proc().filename) == "/bin/true");
    CHECK(std::string(exec_ev->proc().comm) == "true");
    CHECK(exec_ev->proc().ppid == me);
    CHECK(proc_event(col, BEYLA_EV_PROC_FORK, x) != nullptr);

    const Event *exit_ev = proc_event(col, BEYLA_EV_PROC_EXIT, c);
    CHECK(exit_ev->proc().ppid == me);
    // An exited process leaves the kernel's map.
    CHECK_FALSE(src.is_traced(c));
    CHECK_FALSE(src.is_traced(x));
    CHECK(src.is_traced(me));
}

TEST_CASE("children are not followed without FOLLOW_CHILDREN, execs of untraced processes are reported",
          "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    BpfSource src(quiet()); // report_all_execs: on
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    pid_t execer = fork();
    REQUIRE(execer >= 0);
    if (execer == 0) {
        execl("/bin/true", "true", static_cast<char *>(nullptr));
        _exit(127);
    }
    int status = 0;
    REQUIRE(waitpid(execer, &status, 0) == execer);
    const uint32_t x = static_cast<uint32_t>(execer);
    Collector col(src);
    REQUIRE(col.wait_for([&] { return proc_event(col, BEYLA_EV_PROC_EXEC, x) != nullptr; }));
    col.settle(200);
    CHECK(proc_event(col, BEYLA_EV_PROC_FORK, x) == nullptr);
    CHECK(proc_event(col, BEYLA_EV_PROC_EXIT, x) == nullptr); // never traced
    CHECK(std::string(proc_event(col, BEYLA_EV_PROC_EXEC, x)->proc().filename) == "/bin/true");
}

TEST_CASE("accept on a traced port starts tracing the accepting process", "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o = quiet();
    o.report_all_execs = false;
    BpfSource src(o);
    Listener l;
    Listener other;
    src.trace_port(l.port); // before start: applied at load
    src.start();
    const uint32_t me = static_cast<uint32_t>(getpid());
    CHECK_FALSE(src.is_traced(me));

    // Another port does nothing.
    int c0 = connect_loopback(other.port);
    REQUIRE(c0 >= 0);
    int s0 = accept(other.fd, nullptr, nullptr);
    REQUIRE(s0 >= 0);
    CHECK_FALSE(src.is_traced(me));

    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    CHECK(src.is_traced(me));
    REQUIRE(write_all(c, "ping", 4));
    REQUIRE(read_exact(s, 4) == "ping");

    Collector col(src);
    REQUIRE(col.wait_for([&] { return !col.data_on(s).empty(); }));
    const Event *open = col.conn(BEYLA_EV_CONN_OPEN, s, me);
    REQUIRE(open);
    CHECK(open->conn().role == BEYLA_ROLE_SERVER);
    CHECK(open->conn().addr.lport == l.port);
    CHECK(col.data_on(s)[0]->payload() == "ping");
    CHECK(col.data_on(s)[0]->data().role == BEYLA_ROLE_SERVER);
    // The connection accepted before tracing began produced nothing.
    CHECK(col.conn(BEYLA_EV_CONN_OPEN, s0, me) == nullptr);
    for (int fd : {c0, s0, c, s}) close(fd);
}

TEST_CASE("two sources in one process both receive the events", "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions ro = quiet(), po = quiet();
    ro.report_all_execs = po.report_all_execs = false;
    po.transport = BpfTransport::PerfBuf;
    BpfSource a(ro), b(po);
    a.start();
    b.start();
    const uint32_t me = static_cast<uint32_t>(getpid());
    a.trace_pid(me, 0);
    b.trace_pid(me, 0);
    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    REQUIRE(write_all(c, "to-both", 7));
    REQUIRE(read_exact(s, 7) == "to-both");

    Collector ca(a), cb(b);
    for (Collector *col : {&ca, &cb}) {
        REQUIRE(col->wait_for([&] { return !col->data_on(c).empty() && !col->data_on(s).empty(); }));
        CHECK(col->data_on(c)[0]->payload() == "to-both");
        CHECK(col->data_on(s)[0]->payload() == "to-both");
    }
    // Independent selections: untracing in one leaves the other tracing.
    a.untrace_pid(me);
    CHECK_FALSE(a.is_traced(me));
    CHECK(b.is_traced(me));
    close(c);
    close(s);
}

TEST_CASE("an exception from the event callback reaches poll()'s caller", "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o = quiet();
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(write_all(c, "x", 1));
    bool thrown = false;
    for (int i = 0; i < 50 && !thrown; i++) {
        try {
            src.poll(100, [](const void *, size_t) { throw std::runtime_error("consumer failed"); });
        } catch (const std::runtime_error &e) {
            thrown = std::string(e.what()) == "consumer failed";
        }
    }
    CHECK(thrown);
    // The source is still usable afterwards.
    Collector col(src);
    REQUIRE(write_all(c, "y", 1));
    REQUIRE(col.wait_for([&] { return !col.data_on(c).empty(); }));
    close(c);
    close(s);
}

namespace {

// curl, exec'd by a forked child, asks 127.0.0.1:port once; we answer. Returns its pid.
pid_t curl_once(Listener &l) {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string url = "http://127.0.0.1:" + std::to_string(l.port) + "/exec-probe";
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        execl("/usr/bin/curl", "curl", "-s", "-m", "5", url.c_str(), static_cast<char *>(nullptr));
        _exit(127);
    }
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    std::string req;
    char buf[512];
    while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(s, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
    }
    const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    REQUIRE(write_all(s, resp, sizeof(resp) - 1));
    close(s);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return child;
}

} // namespace

TEST_CASE("an executable glob matched at exec traces the process from its first syscall",
          "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    if (access("/usr/bin/curl", X_OK) != 0) {
        WARN("skipped: needs /usr/bin/curl");
        return;
    }
    if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, nullptr) <= 0) {
        WARN("skipped: the kernel has no bpf_loop (5.17+)");
        return;
    }
    for (const char *glob : {"curl", "/usr/bin/curl", "cur*", "*url", "*cur*", "*/bin/*rl"}) {
        DYNAMIC_SECTION("glob " << glob) {
            BpfSourceOptions o = quiet();
            o.exe_globs = {glob, "never?matches"};
            BpfSource src(o);
            src.start();
            REQUIRE(src.kernel_exe_globs() == std::vector<std::string>{glob});
            Listener l;
            const uint32_t x = static_cast<uint32_t>(curl_once(l));
            Collector col(src);
            REQUIRE(col.wait_for([&] { return proc_event(col, BEYLA_EV_PROC_EXIT, x) != nullptr; }));
            const Event *exec_ev = proc_event(col, BEYLA_EV_PROC_EXEC, x);
            REQUIRE(exec_ev);
            CHECK((exec_ev->proc().flags & BEYLA_PROC_EV_F_SELECTED) != 0);
            // Its connect and request, though no one in user space selected it.
            bool connect_seen = false, request_seen = false;
            for (const auto &e : col.events) {
                if (e.hdr().tgid != x) continue;
                connect_seen =
                    connect_seen || (e.type() == BEYLA_EV_CONN_OPEN && e.conn().role == BEYLA_ROLE_CLIENT);
                request_seen =
                    request_seen || (e.type() == BEYLA_EV_DATA && e.data().direction == BEYLA_DIR_EGRESS &&
                                     e.payload().rfind("GET /exec-probe HTTP/1.1\r\n", 0) == 0);
            }
            CHECK(connect_seen);
            CHECK(request_seen);
            CHECK_FALSE(src.is_traced(x)); // gone with its exit
        }
    }
}

TEST_CASE("executable globs are left to user space without bpf_loop, or when they do not compile",
          "[kernel][process]") {
    KTEST_REQUIRE_BPF();
    if (access("/usr/bin/curl", X_OK) != 0) {
        WARN("skipped: needs /usr/bin/curl");
        return;
    }
    struct Case {
        std::optional<bool> bpf_loop;
        const char *glob;
    };
    for (Case c : {Case{false, "curl"}, Case{std::nullopt, "cur?"}}) {
        DYNAMIC_SECTION("bpf_loop " << (c.bpf_loop ? "off" : "probed") << ", glob " << c.glob) {
            BpfSourceOptions o = quiet();
            o.exe_globs = {c.glob};
            o.bpf_loop = c.bpf_loop;
            BpfSource src(o);
            src.start();
            CHECK(src.kernel_exe_globs().empty());
            Listener l;
            const uint32_t x = static_cast<uint32_t>(curl_once(l));
            Collector col(src);
            REQUIRE(col.wait_for([&] { return proc_event(col, BEYLA_EV_PROC_EXEC, x) != nullptr; }));
            col.settle(200);
            CHECK((proc_event(col, BEYLA_EV_PROC_EXEC, x)->proc().flags & BEYLA_PROC_EV_F_SELECTED) == 0);
            CHECK(proc_event(col, BEYLA_EV_PROC_EXIT, x) == nullptr); // never traced
            for (const auto &e : col.events) CHECK(!(e.type() == BEYLA_EV_DATA && e.hdr().tgid == x));
        }
    }
}
