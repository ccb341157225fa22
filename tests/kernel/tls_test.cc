// TLS through OpenSSL's libssl: plaintext from the uprobes, tied to the socket that the
// nested read/write used; that read/write itself is flagged encrypted and carries no payload.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

// One python3 process: a TLS server thread and a client on loopback, one exchange.
const char *kScript = R"(
import socket, ssl, sys, threading
d = sys.argv[1]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); sctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
def serve():
    c, _ = ls.accept()
    with sctx.wrap_socket(c, server_side=True) as s:
        s.recv(100); s.sendall(b"PONG-plaintext")
t = threading.Thread(target=serve); t.start()
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); cctx.check_hostname = False; cctx.verify_mode = ssl.CERT_NONE
with cctx.wrap_socket(socket.create_connection(ls.getsockname())) as s:
    s.sendall(b"PING-plaintext"); s.recv(100)
t.join()
)";

} // namespace

TEST_CASE("OpenSSL plaintext is captured on its socket, its ciphertext is flagged", "[kernel][tls]") {
    KTEST_REQUIRE_BPF();
    if (access("/usr/bin/python3", X_OK) != 0 || system("command -v openssl >/dev/null 2>&1") != 0) {
        WARN("skipped: needs /usr/bin/python3 and openssl");
        return;
    }
    std::string dir = "/tmp/beyla-ktls-" + std::to_string(getpid());
    std::string gen = "mkdir -p " + dir +
                      " && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
                      dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
    REQUIRE(system(gen.c_str()) == 0);
    { std::ofstream(dir + "/t.py") << kScript; }

    BpfSourceOptions o;
    o.logger = test_logger();
    o.tls = true;
    BpfSource src(o);
    src.start();
    if (src.tls_libraries().empty()) {
        WARN("skipped: no libssl.so.* in the system library directories");
        return;
    }
    Collector col(src);
    const uint32_t me = static_cast<uint32_t>(getpid());
    // The child is traced from its fork on, before python loads libssl.
    src.trace_pid(me, BEYLA_PROC_F_FOLLOW_CHILDREN);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        execl("/usr/bin/python3", "python3", (dir + "/t.py").c_str(), dir.c_str(),
              static_cast<char *>(nullptr));
        _exit(127);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    src.untrace_pid(me);
    auto tls_on = [&](uint8_t sys) {
        return col.where([&](const Event &e) {
            return e.type() == BEYLA_EV_DATA && e.hdr().tgid == static_cast<uint32_t>(child) &&
                   (e.data().flags & BEYLA_DATA_F_TLS) && e.data().syscall == sys;
        });
    };
    REQUIRE(col.wait_for(
        [&] { return tls_on(BEYLA_SYS_TLS_READ).size() >= 2 && tls_on(BEYLA_SYS_TLS_WRITE).size() >= 2; }));
    col.settle();
    std::string ping_sent, ping_read;
    for (const Event *e : tls_on(BEYLA_SYS_TLS_WRITE)) {
        CHECK(e->hdr().fd >= 0);
        CHECK(e->hdr().sock_id != 0);
        CHECK(e->data().direction == BEYLA_DIR_EGRESS);
        CHECK(e->data().addr.family != 0);
        if (e->payload() == "PING-plaintext") ping_sent = e->payload();
    }
    for (const Event *e : tls_on(BEYLA_SYS_TLS_READ)) {
        CHECK(e->hdr().sock_id != 0);
        CHECK(e->data().direction == BEYLA_DIR_INGRESS);
        if (e->payload() == "PING-plaintext") ping_read = e->payload();
    }
    CHECK(ping_sent == "PING-plaintext");
    CHECK(ping_read == "PING-plaintext");
    auto enc = col.where([&](const Event &e) {
        return e.type() == BEYLA_EV_DATA && e.hdr().tgid == static_cast<uint32_t>(child) &&
               (e.data().flags & BEYLA_DATA_F_ENCRYPTED);
    });
    REQUIRE(enc.size() >= 4);
    for (const Event *e : enc) {
        CHECK(e->data().captured == 0);
        CHECK(e->data().bytes > 0);
        CHECK((e->data().flags & BEYLA_DATA_F_TLS) == 0);
    }
    // No plaintext in any socket-level event.
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA && !(e.data().flags & BEYLA_DATA_F_TLS))
            CHECK(e.payload().find("PING-plaintext") == std::string::npos);
    system(("rm -rf " + dir).c_str());
}

TEST_CASE("without the TLS option no uprobe is attached", "[kernel][tls]") {
    KTEST_REQUIRE_BPF();
    BpfSourceOptions o;
    o.logger = test_logger();
    BpfSource src(o);
    src.start();
    CHECK(src.tls_libraries().empty());
}
