// Unix-domain stream sockets are captured like TCP: a listener's accepted connection and its
// client (role from accept/connect), a socketpair; datagram sockets are not. Addresses carry
// the sockets' own and peer inode numbers.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <string>
#include <thread>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

uint64_t inode_of(int fd) {
    struct stat st {};
    REQUIRE(fstat(fd, &st) == 0);
    return st.st_ino;
}

uint64_t ino_in(const uint8_t a[16]) {
    uint64_t v = 0;
    memcpy(&v, a, sizeof(v));
    return v;
}

void unix_and_check(bool task_btf) {
    BpfSourceOptions o;
    o.task_btf = task_btf;
    o.logger = test_logger();
    o.report_all_execs = false;
    BpfSource src(o);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    src.start();
    INFO(src.describe());
    const uint32_t me = static_cast<uint32_t>(getpid());

    const std::string path = "/tmp/beyla-ktest-" + std::to_string(getpid()) + ".sock";
    unlink(path.c_str());
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(l >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    REQUIRE(bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
    REQUIRE(listen(l, 4) == 0);
    int sfd = -1;
    std::thread server([&] {
        sfd = accept(l, nullptr, nullptr);
        if (sfd < 0) return;
        char buf[16];
        if (read(sfd, buf, 4) == 4) (void)!write(sfd, "pong", 4);
    });
    int cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(cfd >= 0);
    REQUIRE(connect(cfd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
    REQUIRE(write_all(cfd, "ping", 4));
    REQUIRE(read_exact(cfd, 4) == "pong");
    server.join();
    REQUIRE(sfd >= 0);
    const uint64_t cino = inode_of(cfd), sino = inode_of(sfd);

    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    REQUIRE(write_all(pair[0], "pair", 4));
    REQUIRE(read_exact(pair[1], 4) == "pair");
    int dg[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) == 0);
    REQUIRE(write(dg[0], "dgram", 5) == 5);
    char b[8];
    REQUIRE(read(dg[1], b, sizeof(b)) == 5);

    for (int fd : {cfd, sfd, pair[0], pair[1], dg[0], dg[1], l}) close(fd);
    unlink(path.c_str());

    Collector col(src);
    REQUIRE(col.wait_for(
        [&] { return col.conn(BEYLA_EV_CONN_CLOSE, cfd, me) && col.conn(BEYLA_EV_CONN_CLOSE, sfd, me); }));
    col.settle(100);
    col.sort_by_time();
    const Event *copen = col.conn(BEYLA_EV_CONN_OPEN, cfd, me);
    const Event *sopen = col.conn(BEYLA_EV_CONN_OPEN, sfd, me);
    REQUIRE(copen);
    REQUIRE(sopen);
    CHECK(copen->conn().role == BEYLA_ROLE_CLIENT);
    CHECK(sopen->conn().role == BEYLA_ROLE_SERVER);
    CHECK(copen->hdr().sock_id == cino);
    CHECK(sopen->hdr().sock_id == sino);
    for (const Event *e : {copen, sopen}) CHECK(e->conn().addr.family == AF_UNIX);
    CHECK(ino_in(copen->conn().addr.laddr) == cino);
    // At connect the peer is the server's embryo socket, with no inode before accept.
    CHECK((ino_in(copen->conn().addr.raddr) == sino || ino_in(copen->conn().addr.raddr) == 0));
    auto cd = col.data_on(cfd);
    REQUIRE(cd.size() == 2);
    CHECK(ino_in(cd.back()->data().addr.raddr) == sino); // the answer came after the accept
    CHECK(ino_in(sopen->conn().addr.laddr) == sino);
    CHECK(ino_in(sopen->conn().addr.raddr) == cino);
    CHECK(col.stream(cino, BEYLA_DIR_EGRESS) == "ping");
    CHECK(col.stream(cino, BEYLA_DIR_INGRESS) == "pong");
    CHECK(col.stream(sino, BEYLA_DIR_INGRESS) == "ping");
    CHECK(col.stream(sino, BEYLA_DIR_EGRESS) == "pong");
    for (const Event *e : col.data_on(sfd)) CHECK(e->data().role == BEYLA_ROLE_SERVER);
    // A socketpair is a stream like the rest, of unknown role (no accept, no connect).
    auto p0 = col.data_on(pair[0]);
    REQUIRE(p0.size() >= 1);
    CHECK(p0[0]->payload() == "pair");
    CHECK(p0[0]->data().addr.family == AF_UNIX);
    CHECK(p0[0]->data().role == BEYLA_ROLE_UNKNOWN);
    // Datagrams are not.
    CHECK(col.where([](const Event &e) { return e.type() == BEYLA_EV_DATA && e.payload() == "dgram"; })
              .empty());
    src.stop();
}

} // namespace

TEST_CASE("unix stream sockets: listener, client, socketpair; datagrams left out", "[kernel][unix]") {
    KTEST_REQUIRE_BPF();
    SECTION("fd walk through CO-RE reads") {
        unix_and_check(false);
    }
    SECTION("fd walk through typed kernel pointers") {
        if (!kernel_has_rdonly_cast()) {
            WARN("skipped: this kernel has no bpf_rdonly_cast kfunc (6.2+, kernel BTF)");
            return;
        }
        unix_and_check(true);
    }
}
