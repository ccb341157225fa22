// Go crypto/tls: plaintext from the uprobes on (*Conn).Read/Write and their RETs, tied to
// the socket found through the tls.Conn; the socket's own reads and writes are flagged
// encrypted and carry no payload.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;
namespace fs = std::filesystem;

namespace {

// One Go process: a TLS server goroutine and a client on loopback, one exchange, started
// by a line on stdin. Neither side handshakes explicitly: the handshake runs inside the
// first Read (server) and Write (client), under the probes.
const char *kGoProgram = R"(package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"os"
)

func main() {
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		os.Exit(3)
	}
	bufio.NewReader(os.Stdin).ReadString('\n')
	done := make(chan bool)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(4)
		}
		b := make([]byte, 100)
		n, err := c.Read(b)
		if err != nil || string(b[:n]) != "PING-plaintext" {
			os.Exit(5)
		}
		c.Write([]byte("PONG-plaintext"))
		done <- true
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		os.Exit(6)
	}
	c := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
	c.Write([]byte("PING-plaintext"))
	b := make([]byte, 100)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "PONG-plaintext" {
		os.Exit(7)
	}
	<-done
}
)";

int sh(const std::string &cmd) {
    return system(cmd.c_str());
}

} // namespace

TEST_CASE("Go crypto/tls plaintext is captured on its socket, its ciphertext is flagged",
          "[kernel][tls][go]") {
    KTEST_REQUIRE_BPF();
    if (sh("command -v go >/dev/null 2>&1") != 0 || sh("command -v openssl >/dev/null 2>&1") != 0) {
        WARN("skipped: needs the Go toolchain (go) and openssl");
        return;
    }
    std::string dir = "/tmp/beyla-kgotls-" + std::to_string(getpid());
    REQUIRE(sh("mkdir -p " + dir +
               " && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
               "-keyout " +
               dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1") == 0);
    { std::ofstream(dir + "/prog.go") << kGoProgram; }
    REQUIRE(sh("cd " + dir + " && HOME=" + dir + " GOCACHE=" + BEYLA_TEST_GOCACHE +
               " GO111MODULE=off GOFLAGS= go build -o " + dir + "/prog prog.go") == 0);

    BpfSourceOptions o;
    o.logger = test_logger();
    o.tls = true;
    BpfSource src(o);
    src.start();
    Collector col(src);

    int in[2];
    REQUIRE(pipe(in) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        dup2(in[0], 0);
        close(in[1]);
        execl((dir + "/prog").c_str(), "prog", (dir + "/cert.pem").c_str(), (dir + "/key.pem").c_str(),
              static_cast<char *>(nullptr));
        _exit(127);
    }
    close(in[0]);
    // Selected once exec'd, while it waits on stdin: its executable is probed now.
    std::error_code ec;
    std::string exe = "/proc/" + std::to_string(child) + "/exe";
    for (int i = 0; i < 500 && fs::read_symlink(exe, ec).string() != dir + "/prog"; i++) usleep(10000);
    src.trace_pid(static_cast<uint32_t>(child), 0);
    auto probed = src.go_tls_executables();
    REQUIRE(probed.size() == 1);
    CHECK(probed[0] == dir + "/prog");
    REQUIRE(write(in[1], "go\n", 3) == 3);
    close(in[1]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));

    auto tls_on = [&](uint8_t sys) {
        return col.where([&](const Event &e) {
            return e.type() == BEYLA_EV_DATA && e.hdr().tgid == static_cast<uint32_t>(child) &&
                   (e.data().flags & BEYLA_DATA_F_TLS) && e.data().syscall == sys;
        });
    };
    REQUIRE(col.wait_for(
        [&] { return tls_on(BEYLA_SYS_TLS_READ).size() >= 2 && tls_on(BEYLA_SYS_TLS_WRITE).size() >= 2; }));
    col.settle();
    // Each side's plaintext, once each way, on its own socket.
    std::map<std::string, const Event *> sent, got;
    for (const Event *e : tls_on(BEYLA_SYS_TLS_WRITE)) {
        CHECK(e->data().direction == BEYLA_DIR_EGRESS);
        sent[e->payload()] = e;
    }
    for (const Event *e : tls_on(BEYLA_SYS_TLS_READ)) {
        CHECK(e->data().direction == BEYLA_DIR_INGRESS);
        got[e->payload()] = e;
    }
    REQUIRE(sent.size() == 2);
    REQUIRE(got.size() == 2);
    REQUIRE((sent.count("PING-plaintext") && sent.count("PONG-plaintext")));
    REQUIRE((got.count("PING-plaintext") && got.count("PONG-plaintext")));
    const Event *client = sent["PING-plaintext"], *server = sent["PONG-plaintext"];
    CHECK(got["PONG-plaintext"]->hdr().sock_id == client->hdr().sock_id);
    CHECK(got["PING-plaintext"]->hdr().sock_id == server->hdr().sock_id);
    CHECK(client->hdr().sock_id != server->hdr().sock_id);
    for (const Event *e : {client, server}) {
        CHECK(e->hdr().fd >= 0);
        CHECK(e->hdr().sock_id != 0);
        CHECK(e->data().addr.family == AF_INET);
        CHECK(e->data().bytes == 14);
    }
    // Addresses like plain capture: the client's remote port is the server's local one.
    CHECK(client->data().addr.rport == server->data().addr.lport);
    CHECK(client->data().role == BEYLA_ROLE_CLIENT);
    CHECK(server->data().role == BEYLA_ROLE_SERVER);

    // Everything the two sockets moved through syscalls, handshake included, is ciphertext.
    auto on_socks = col.where([&](const Event &e) {
        return e.type() == BEYLA_EV_DATA && !(e.data().flags & BEYLA_DATA_F_TLS) &&
               (e.hdr().sock_id == client->hdr().sock_id || e.hdr().sock_id == server->hdr().sock_id);
    });
    REQUIRE(on_socks.size() >= 4);
    for (const Event *e : on_socks) {
        CHECK((e->data().flags & BEYLA_DATA_F_ENCRYPTED) != 0);
        CHECK(e->data().captured == 0);
        CHECK(e->data().bytes > 0);
    }
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA && !(e.data().flags & BEYLA_DATA_F_TLS))
            CHECK(e.payload().find("-plaintext") == std::string::npos);
    // The tls.Conn -> netFD walk and the plaintext copies never faulted.
    CHECK(src.counters().read_fault == 0);
    sh("rm -rf " + dir);
}
