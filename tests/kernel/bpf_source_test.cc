// BpfSource against the running kernel: a loopback client and server in this process,
// traced by pid, through both transports.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cstdlib>
#include <thread>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

const std::string kFileData = [] {
    std::string s;
    for (int i = 0; s.size() < 5000; i++) s += "line " + std::to_string(i) + "\n";
    s.resize(5000);
    return s;
}();

// A temporary file holding kFileData; removed at once, the fd keeps it.
int temp_file() {
    char path[] = "/tmp/beyla_ktest_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    unlink(path);
    return fd;
}

struct ServerResult {
    int fd = -1;
    std::string got_read, got_readv, got_recvmsg, got_file;
};

// The server side, in its own thread: each step waits for the client's previous one.
void serve(int lfd, ServerResult &r) {
    char buf[128];
    r.fd = accept(lfd, nullptr, nullptr);
    if (r.fd < 0) return;
    ssize_t n = read(r.fd, buf, sizeof(buf));
    if (n > 0) r.got_read.assign(buf, static_cast<size_t>(n));
    send(r.fd, "resp-sendto", 11, 0);

    char a[4], b[64];
    iovec rv[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    n = readv(r.fd, rv, 2);
    if (n > 0) r.got_readv = std::string(a, std::min<size_t>(4, n)) + std::string(b, n > 4 ? n - 4 : 0);

    iovec sv[2] = {{const_cast<char *>("msg-"), 4}, {const_cast<char *>("part2"), 5}};
    msghdr sm{};
    sm.msg_iov = sv;
    sm.msg_iovlen = 2;
    sendmsg(r.fd, &sm, 0);

    char c[3], d[64];
    iovec mv[2] = {{c, sizeof(c)}, {d, sizeof(d)}};
    msghdr rm{};
    rm.msg_iov = mv;
    rm.msg_iovlen = 2;
    n = recvmsg(r.fd, &rm, 0);
    if (n > 0) r.got_recvmsg = std::string(c, std::min<size_t>(3, n)) + std::string(d, n > 3 ? n - 3 : 0);

    write_all(r.fd, "ok", 2);
    r.got_file = read_exact(r.fd, kFileData.size(), 1000);
    write_all(r.fd, "done", 4);
}

void expect_data(const Event *e, int dir, int sys, const std::string &payload, int role) {
    REQUIRE(e != nullptr);
    const auto &d = e->data();
    CHECK(d.direction == dir);
    CHECK(d.syscall == sys);
    CHECK(d.bytes == payload.size());
    CHECK(d.captured == payload.size());
    CHECK(e->payload() == payload);
    CHECK(d.role == role);
    CHECK(d.flags == BEYLA_DATA_F_POS);
    CHECK(e->hdr().ts_enter <= e->hdr().ts_exit);
    CHECK(e->hdr().tid != 0);
}

// The whole exchange with one source; the checks hold for either transport.
void exchange_and_check(BpfTransport transport, bool task_btf) {
    BpfSourceOptions o;
    o.transport = transport;
    o.task_btf = task_btf;
    o.logger = test_logger();
    o.report_all_execs = false; // only this process' events, so all can be checked
    BpfSource src(o);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0); // before start: applied at load
    src.start();
    INFO(src.describe());
    CHECK(src.using_ringbuf() == (transport == BpfTransport::RingBuf));
    CHECK(src.using_task_btf() == task_btf);
    const uint32_t me = static_cast<uint32_t>(getpid());

    // A regular file, written and read: must produce nothing.
    int file = temp_file();
    REQUIRE(write_all(file, kFileData.data(), kFileData.size()));
    char tmp[64];
    REQUIRE(pread(file, tmp, sizeof(tmp), 0) == sizeof(tmp));
    REQUIRE(lseek(file, 0, SEEK_SET) == 0);
    REQUIRE(read(file, tmp, sizeof(tmp)) == sizeof(tmp));

    Listener l;
    ServerResult sr;
    std::thread server(serve, l.fd, std::ref(sr));

    int cfd = connect_loopback(l.port);
    REQUIRE(cfd >= 0);
    uint16_t cport = local_port(cfd);
    REQUIRE(write_all(cfd, "hello-write", 11));
    char buf[128];
    REQUIRE(recvfrom(cfd, buf, sizeof(buf), 0, nullptr, nullptr) == 11);
    iovec wv[3] = {
        {const_cast<char *>("abc"), 3}, {const_cast<char *>("defgh"), 5}, {const_cast<char *>("ij"), 2}};
    REQUIRE(writev(cfd, wv, 3) == 10);
    iovec rv[1] = {{buf, sizeof(buf)}};
    msghdr rm{};
    rm.msg_iov = rv;
    rm.msg_iovlen = 1;
    REQUIRE(recvmsg(cfd, &rm, 0) == 9);
    iovec sv[2] = {{const_cast<char *>("xy"), 2}, {const_cast<char *>("z123"), 4}};
    msghdr sm{};
    sm.msg_iov = sv;
    sm.msg_iovlen = 2;
    REQUIRE(sendmsg(cfd, &sm, 0) == 6);
    REQUIRE(read_exact(cfd, 2) == "ok");
    off_t off = 0;
    REQUIRE(sendfile(cfd, file, &off, kFileData.size()) == static_cast<ssize_t>(kFileData.size()));
    REQUIRE(read_exact(cfd, 4) == "done");
    server.join();
    REQUIRE(sr.fd >= 0);
    CHECK(sr.got_read == "hello-write");
    CHECK(sr.got_readv == "abcdefghij");
    CHECK(sr.got_recvmsg == "xyz123");
    CHECK(sr.got_file == kFileData);
    const int sfd = sr.fd;
    REQUIRE(close(cfd) == 0);
    REQUIRE(close(sfd) == 0);

    Collector col(src);
    REQUIRE(col.wait_for(
        [&] { return col.conn(BEYLA_EV_CONN_CLOSE, cfd, me) && col.conn(BEYLA_EV_CONN_CLOSE, sfd, me); }));
    col.settle(100);
    col.sort_by_time();

    // Connections.
    const Event *copen = col.conn(BEYLA_EV_CONN_OPEN, cfd, me);
    const Event *sopen = col.conn(BEYLA_EV_CONN_OPEN, sfd, me);
    REQUIRE(copen);
    REQUIRE(sopen);
    CHECK(copen->conn().role == BEYLA_ROLE_CLIENT);
    CHECK(copen->conn().syscall == BEYLA_SYS_CONNECT);
    CHECK(sopen->conn().role == BEYLA_ROLE_SERVER);
    CHECK(sopen->conn().syscall == BEYLA_SYS_ACCEPT);
    CHECK(sopen->hdr().tid != copen->hdr().tid); // the server thread accepted
    for (const Event *e : {copen, sopen}) {
        CHECK(e->conn().addr.family == AF_INET);
        CHECK(is_loopback_v4(e->conn().addr.laddr));
        CHECK(is_loopback_v4(e->conn().addr.raddr));
        CHECK(e->hdr().ts_enter <= e->hdr().ts_exit);
    }
    CHECK(copen->conn().addr.lport == cport);
    CHECK(copen->conn().addr.rport == l.port);
    CHECK(sopen->conn().addr.lport == l.port);
    CHECK(sopen->conn().addr.rport == cport);
    const uint64_t csock = copen->hdr().sock_id, ssock = sopen->hdr().sock_id;
    CHECK(csock != 0);
    CHECK(ssock != 0);
    CHECK(csock != ssock);

    // Data, client side, in order.
    auto cd = col.data_on(cfd);
    REQUIRE(cd.size() == 8);
    expect_data(cd[0], BEYLA_DIR_EGRESS, BEYLA_SYS_WRITE, "hello-write", BEYLA_ROLE_CLIENT);
    expect_data(cd[1], BEYLA_DIR_INGRESS, BEYLA_SYS_RECVFROM, "resp-sendto", BEYLA_ROLE_CLIENT);
    expect_data(cd[2], BEYLA_DIR_EGRESS, BEYLA_SYS_WRITEV, "abcdefghij", BEYLA_ROLE_CLIENT);
    expect_data(cd[3], BEYLA_DIR_INGRESS, BEYLA_SYS_RECVMSG, "msg-part2", BEYLA_ROLE_CLIENT);
    expect_data(cd[4], BEYLA_DIR_EGRESS, BEYLA_SYS_SENDMSG, "xyz123", BEYLA_ROLE_CLIENT);
    expect_data(cd[5], BEYLA_DIR_INGRESS, BEYLA_SYS_READ, "ok", BEYLA_ROLE_CLIENT);
    // sendfile: the bytes are counted, none copied, and that is not a truncation.
    CHECK(cd[6]->data().syscall == BEYLA_SYS_SENDFILE);
    CHECK(cd[6]->data().direction == BEYLA_DIR_EGRESS);
    CHECK(cd[6]->data().bytes == kFileData.size());
    CHECK(cd[6]->data().captured == 0);
    expect_data(cd[7], BEYLA_DIR_INGRESS, BEYLA_SYS_READ, "done", BEYLA_ROLE_CLIENT);
    // Stream positions: each direction's running byte count, from 0 on a new socket.
    uint64_t cpos[2] = {0, 0};
    for (const Event *e : cd) {
        CHECK((e->data().flags & BEYLA_DATA_F_POS) != 0);
        CHECK(e->data().pos == cpos[e->data().direction]);
        cpos[e->data().direction] += e->data().bytes;
    }
    for (const Event *e : cd) {
        CHECK(e->hdr().sock_id == csock);
        CHECK(e->data().addr.lport == cport);
        CHECK(e->data().addr.rport == l.port);
        CHECK(is_loopback_v4(e->data().addr.raddr));
    }

    // Data, server side.
    auto sd = col.data_on(sfd);
    REQUIRE(sd.size() >= 8);
    expect_data(sd[0], BEYLA_DIR_INGRESS, BEYLA_SYS_READ, "hello-write", BEYLA_ROLE_SERVER);
    expect_data(sd[1], BEYLA_DIR_EGRESS, BEYLA_SYS_SENDTO, "resp-sendto", BEYLA_ROLE_SERVER);
    expect_data(sd[2], BEYLA_DIR_INGRESS, BEYLA_SYS_READV, "abcdefghij", BEYLA_ROLE_SERVER);
    expect_data(sd[3], BEYLA_DIR_EGRESS, BEYLA_SYS_SENDMSG, "msg-part2", BEYLA_ROLE_SERVER);
    expect_data(sd[4], BEYLA_DIR_INGRESS, BEYLA_SYS_RECVMSG, "xyz123", BEYLA_ROLE_SERVER);
    expect_data(sd[5], BEYLA_DIR_EGRESS, BEYLA_SYS_WRITE, "ok", BEYLA_ROLE_SERVER);
    expect_data(sd.back(), BEYLA_DIR_EGRESS, BEYLA_SYS_WRITE, "done", BEYLA_ROLE_SERVER);
    std::string file_seen;
    uint64_t file_bytes = 0;
    for (size_t i = 6; i + 1 < sd.size(); i++) {
        CHECK(sd[i]->data().syscall == BEYLA_SYS_READ);
        file_bytes += sd[i]->data().bytes;
        file_seen += sd[i]->payload();
    }
    CHECK(file_bytes == kFileData.size());
    CHECK(file_seen == kFileData);
    for (const Event *e : sd) {
        CHECK(e->hdr().sock_id == ssock);
        CHECK(e->data().addr.lport == l.port);
        CHECK(e->data().addr.rport == cport);
    }

    // Closes.
    const Event *cclose = col.conn(BEYLA_EV_CONN_CLOSE, cfd, me);
    const Event *sclose = col.conn(BEYLA_EV_CONN_CLOSE, sfd, me);
    CHECK(cclose->hdr().sock_id == csock);
    CHECK(cclose->conn().role == BEYLA_ROLE_CLIENT);
    CHECK(cclose->conn().syscall == BEYLA_SYS_CLOSE);
    CHECK(sclose->hdr().sock_id == ssock);
    CHECK(sclose->conn().role == BEYLA_ROLE_SERVER);

    // A new connection on the same fd number is another socket. accept() reserves its fd
    // before it blocks, so which of the two numbers was lower depends on thread timing.
    int cfd2 = connect_loopback(l.port);
    REQUIRE((cfd2 == cfd || cfd2 == sfd));
    int sfd2 = accept(l.fd, nullptr, nullptr);
    REQUIRE(sfd2 >= 0);
    REQUIRE(write_all(cfd2, "second", 6));
    REQUIRE(read_exact(sfd2, 6) == "second");
    auto second = [&] {
        return col.where([](const Event &e) { return e.type() == BEYLA_EV_DATA && e.payload() == "second"; });
    };
    REQUIRE(col.wait_for([&] { return second().size() == 2; }));
    for (const Event *e : second()) {
        CHECK(e->hdr().sock_id != csock);
        CHECK(e->hdr().sock_id != ssock);
        if (e->data().direction == BEYLA_DIR_EGRESS) {
            CHECK(e->hdr().fd == cfd2);
            CHECK(e->data().role == BEYLA_ROLE_CLIENT);
        } else {
            CHECK(e->data().role == BEYLA_ROLE_SERVER);
        }
    }

    // An untraced child's socket I/O is not seen (flags 0: children are not followed).
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int fd = connect_loopback(l.port);
        if (fd >= 0) {
            (void)!write(fd, "from-untraced", 13);
            close(fd);
        }
        _exit(0);
    }
    int sfd3 = accept(l.fd, nullptr, nullptr);
    REQUIRE(sfd3 >= 0);
    REQUIRE(read_exact(sfd3, 13) == "from-untraced");
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    auto closes = [&] {
        return col.where([](const Event &e) { return e.type() == BEYLA_EV_CONN_CLOSE; }).size();
    };
    size_t closes_before = closes();
    close(sfd3);
    close(sfd2);
    close(cfd2);
    REQUIRE(col.wait_for([&] { return closes() == closes_before + 3; }));
    col.sort_by_time();
    auto accepts = col.where(
        [](const Event &e) { return e.type() == BEYLA_EV_CONN_OPEN && e.conn().role == BEYLA_ROLE_SERVER; });
    REQUIRE(accepts.size() == 3);
    CHECK(accepts[2]->hdr().fd == sfd3);
    CHECK(col.stream(accepts[2]->hdr().sock_id, BEYLA_DIR_INGRESS) == "from-untraced");
    // Only the server side of that connection: the child's connect and write are absent.
    CHECK(col.where([](const Event &e) {
                 return e.type() == BEYLA_EV_CONN_OPEN && e.conn().role == BEYLA_ROLE_CLIENT;
             })
              .size() == 2);

    for (const auto &e : col.events) {
        CHECK(e.hdr().tgid == me);
        CHECK(e.hdr().fd != file); // the regular file never shows up
    }
    auto c = src.counters();
    CHECK(c.kernel_events >= col.events.size());
    CHECK(c.ring_full == 0);
    CHECK(c.read_fault == 0);
    CHECK(c.perf_lost == 0);
    src.stop();
    close(file);
}

} // namespace

TEST_CASE("ring buffer: connections, data of every syscall, closes", "[kernel][ringbuf]") {
    KTEST_REQUIRE_BPF();
    if (!kernel_has_ringbuf()) {
        WARN("skipped: this kernel has no BPF ring buffer (5.8+)");
        return;
    }
    SECTION("fd walk through CO-RE reads") { exchange_and_check(BpfTransport::RingBuf, false); }
    SECTION("fd walk through typed kernel pointers") {
        if (!kernel_has_rdonly_cast()) {
            WARN("skipped: this kernel has no bpf_rdonly_cast kfunc (6.2+, kernel BTF)");
            return;
        }
        exchange_and_check(BpfTransport::RingBuf, true);
    }
}

TEST_CASE("perf buffer (forced): connections, data of every syscall, closes", "[kernel][perfbuf]") {
    KTEST_REQUIRE_BPF();
    exchange_and_check(BpfTransport::PerfBuf, false);
}

TEST_CASE("the fd walk through typed kernel pointers is used where the kernel takes it", "[kernel]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    INFO(src.describe());
    CHECK(src.using_task_btf() == kernel_has_rdonly_cast());
}

TEST_CASE("a kernel that refuses the typed-pointer fd walk gets the CO-RE one", "[kernel]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.refuse_task_btf = true;
    BpfSource src(o);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    src.start();
    INFO(src.describe());
    CHECK_FALSE(src.using_task_btf());
    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    REQUIRE(write_all(c, "after fallback", 14));
    REQUIRE(read_exact(s, 14) == "after fallback");
    Collector col(src);
    REQUIRE(col.wait_for([&] { return !col.data_on(c).empty() && !col.data_on(s).empty(); }));
    CHECK(col.data_on(c)[0]->payload() == "after fallback");
    CHECK(col.data_on(s)[0]->payload() == "after fallback");
    close(c);
    close(s);

    o.task_btf = true; // asked for by name: no fallback, start() says why
    BpfSource forced(o);
    CHECK_THROWS(forced.start());
}
