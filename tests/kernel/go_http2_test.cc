// Go HTTP/2 header fields from the uprobes on Go's own HTTP/2 code (bpf/go_http2.bpf.h):
// net/http's bundled HTTP/2 over TLS and grpc's transport over plain TCP, each with a
// client connection opened (and both HPACK tables filled) before the probes attach, then
// requests on it and on a fresh connection. Every block must match what the apps log.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "core/tracer.h"
#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;
namespace fs = std::filesystem;

namespace {

// net/http server and client in one process. Two requests open the connection, "READY",
// then on a line from stdin: n rounds of GET/POST/404 on the same connection, then one GET
// on a fresh connection. Each request is logged "METHOD PATH STATUS".
const char *kH2Program = R"(package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[3])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	srv := &http.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			code := 200
			if strings.HasPrefix(r.URL.Path, "/status/") {
				code, _ = strconv.Atoi(r.URL.Path[len("/status/"):])
			}
			w.Header().Set("x-served", "yes")
			w.WriteHeader(code)
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
		}),
	}
	go srv.ServeTLS(ln, "", "")
	newClient := func() *http.Client {
		return &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
			ForceAttemptHTTP2: true,
		}}
	}
	url := "https://" + ln.Addr().String()
	do := func(c *http.Client, method, path string) {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("payload")
		}
		req, _ := http.NewRequest(method, url+path, body)
		resp, err := c.Do(req)
		if err != nil || resp.ProtoMajor != 2 {
			os.Exit(4)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(method, path, resp.StatusCode)
	}
	c := newClient()
	do(c, "GET", "/items/0")
	do(c, "GET", "/status/404")
	fmt.Println("READY")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for i := 1; i <= n; i++ {
		do(c, "GET", "/items/0")
		do(c, "POST", "/items/"+strconv.Itoa(i))
		do(c, "GET", "/status/404")
	}
	do(newClient(), "GET", "/fresh")
}
)";

// grpc health service, server and client in one process over plain TCP; logged
// "/grpc.health.v1.Health/Check SERVICE CODE".
const char *kGrpcProgram = R"(package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	s := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(ln)
	dial := func() healthpb.HealthClient {
		conn, err := grpc.Dial(ln.Addr().String(), grpc.WithInsecure(), grpc.WithBlock())
		if err != nil {
			os.Exit(4)
		}
		return healthpb.NewHealthClient(conn)
	}
	check := func(c healthpb.HealthClient, svc string) {
		_, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		fmt.Println("/grpc.health.v1.Health/Check", svc, int(status.Code(err)))
	}
	c := dial()
	check(c, "svc")
	check(c, "missing")
	fmt.Println("READY")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for i := 0; i < n; i++ {
		check(c, "svc")
		check(c, "missing")
	}
	check(dial(), "svc")
}
)";

int sh(const std::string &cmd) {
    return system(cmd.c_str());
}

bool have_tools() {
    return sh("command -v go >/dev/null 2>&1") == 0 && sh("command -v openssl >/dev/null 2>&1") == 0;
}

// Builds `src` GOPATH-style (Debian's golang-*-dev sources) into dir/name.
void go_build(const std::string &dir, const std::string &name, const char *src) {
    { std::ofstream(dir + "/" + name + ".go") << src; }
    REQUIRE(sh("cd " + dir + " && HOME=" + dir + " GOCACHE=" + BEYLA_TEST_GOCACHE +
               " GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= go build -o " + dir + "/" + name + " " +
               name + ".go") == 0);
}

// One header block as the probes gave it: a side's fields of one stream in one direction.
struct Block {
    uint8_t role = 0, dir = 0;
    uint64_t sock_id = 0;
    int32_t fd = -1;
    uint32_t stream = 0;
    bool end_stream = false;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string get(const std::string &name) const {
        for (const auto &[n, v] : fields)
            if (n == name) return v;
        return "";
    }
};

// Events of `tgid` grouped into blocks: fields of one (role, direction, socket, stream) in
// order until the one flagged END.
std::vector<Block> blocks_of(const Collector &col, uint32_t tgid) {
    std::vector<Block> done;
    std::map<std::tuple<uint8_t, uint8_t, uint64_t, uint32_t>, Block> open;
    for (const auto &e : col.events) {
        if (e.type() != BEYLA_EV_HTTP2_HEADER || e.hdr().tgid != tgid) continue;
        const auto &h = e.h2();
        auto key = std::make_tuple(h.role, h.direction, e.hdr().sock_id, h.stream_id);
        Block &b = open[key];
        b.role = h.role, b.dir = h.direction, b.sock_id = e.hdr().sock_id, b.fd = e.hdr().fd,
        b.stream = h.stream_id;
        if (h.flags & BEYLA_H2_F_FIELD) {
            CHECK(h.name_captured == std::min<uint32_t>(h.name_len, BEYLA_H2_NAME_MAX));
            CHECK(h.value_captured == std::min<uint32_t>(h.value_len, BEYLA_H2_VALUE_MAX));
            b.fields.emplace_back(std::string(h.name, h.name_captured),
                                  std::string(h.value, h.value_captured));
        }
        if (h.flags & BEYLA_H2_F_END) {
            b.end_stream = h.flags & BEYLA_H2_F_END_STREAM;
            done.push_back(std::move(b));
            open.erase(key);
        }
    }
    CHECK(open.empty()); // every block was ended
    return done;
}

// Runs `argv` with a pipe on stdin and stdout; once it printed READY, `attach` runs (the
// probes come now), then a line on stdin lets it go on. Returns the lines it printed after
// READY; exits 0 or the test fails.
std::vector<std::string> run_joined_late(const std::vector<std::string> &argv,
                                         const std::function<void(pid_t)> &attach, pid_t *pid) {
    int in[2], out[2];
    REQUIRE(pipe(in) == 0);
    REQUIRE(pipe(out) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        std::vector<char *> args;
        for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    REQUIRE(f);
    char line[512];
    bool ready = false;
    while (!ready && fgets(line, sizeof(line), f)) ready = std::string(line) == "READY\n";
    REQUIRE(ready);
    attach(child);
    REQUIRE(write(in[1], "go\n", 3) == 3);
    close(in[1]);
    std::vector<std::string> lines;
    while (fgets(line, sizeof(line), f)) {
        std::string l(line);
        if (!l.empty() && l.back() == '\n') l.pop_back();
        lines.push_back(l);
    }
    fclose(f);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    *pid = child;
    return lines;
}

std::vector<std::string> words(const std::string &s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    return w;
}

constexpr int kRounds = 3;

struct SpanSeen {
    int kind = 0;
    std::string method, path;
    int status = -1;
    std::map<std::string, std::string> attrs;
    std::string attr(const std::string &k) const {
        auto it = attrs.find(k);
        return it == attrs.end() ? "" : it->second;
    }
};

// A Tracer (the registry's protocols, TLS probes on) started once the app printed READY,
// tracing it; its spans.
struct TracedRun {
    std::unique_ptr<Tracer> tracer;
    std::vector<SpanSeen> spans;
    void start(pid_t pid) {
        TracerOptions o;
        o.selection.pids = {static_cast<int32_t>(pid)};
        o.capture_tls = true;
        o.logger = *test_logger();
        if (const char *rec = getenv("BEYLA_TEST_RECORD")) o.record_path = rec; // to replay a failure
        o.on_span = [this](const beyla_span &s) {
            SpanSeen x{s.kind, s.method ? s.method : "", s.path ? s.path : "", s.status, {}};
            for (size_t i = 0; i < s.attr_count; i++)
                x.attrs[s.attrs[i].key] =
                    s.attrs[i].str ? std::string(s.attrs[i].str) : std::to_string(s.attrs[i].num);
            spans.push_back(x);
        };
        tracer = std::make_unique<Tracer>(std::move(o));
        tracer->start();
    }
    void poll_until(size_t n, int ms = 10000) {
        for (int waited = 0; spans.size() < n && waited < ms; waited += 100) tracer->poll(100);
        tracer->stop();
    }
    std::vector<const SpanSeen *> of_kind(int kind) const {
        std::vector<const SpanSeen *> v;
        for (const auto &s : spans)
            if (s.kind == kind) v.push_back(&s);
        return v;
    }
};

} // namespace

TEST_CASE("Go net/http HTTP/2 over TLS: header fields of a connection joined late, and of a fresh one",
          "[kernel][go][http2]") {
    KTEST_REQUIRE_BPF();
    if (!have_tools()) {
        WARN("skipped: needs the Go toolchain (go) and openssl");
        return;
    }
    std::string dir = "/tmp/beyla-kgoh2-" + std::to_string(getpid());
    REQUIRE(sh("mkdir -p " + dir +
               " && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
               "-keyout " +
               dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1") == 0);
    go_build(dir, "h2", kH2Program);

    BpfSourceOptions o;
    o.logger = test_logger();
    o.tls = true;
    BpfSource src(o);
    src.start();
    Collector col(src);
    pid_t child = 0;
    auto lines = run_joined_late(
        {dir + "/h2", dir + "/cert.pem", dir + "/key.pem", std::to_string(kRounds)},
        [&](pid_t pid) {
            src.trace_pid(static_cast<uint32_t>(pid), 0);
            auto probed = src.go_http2_executables();
            REQUIRE(probed.size() == 1);
            CHECK(probed[0] == dir + "/h2");
        },
        &child);
    REQUIRE(lines.size() == 3 * kRounds + 1);
    const auto tgid = static_cast<uint32_t>(child);
    auto count_blocks = [&] { return blocks_of(col, tgid).size(); };
    // Four blocks per request: the client's request and the server's response, each as
    // encoded by one side and decoded by the other.
    REQUIRE(col.wait_for([&] { return count_blocks() >= 4 * lines.size(); }, 10000));
    col.settle();
    auto blocks = blocks_of(col, tgid);
    CHECK(blocks.size() == 4 * lines.size());

    auto side = [&](uint8_t role, uint8_t dir) {
        std::vector<const Block *> v;
        for (const auto &b : blocks)
            if (b.role == role && b.dir == dir) v.push_back(&b);
        return v;
    };
    auto req_in = side(BEYLA_ROLE_SERVER, BEYLA_DIR_INGRESS),
         resp_out = side(BEYLA_ROLE_SERVER, BEYLA_DIR_EGRESS);
    auto req_out = side(BEYLA_ROLE_CLIENT, BEYLA_DIR_EGRESS),
         resp_in = side(BEYLA_ROLE_CLIENT, BEYLA_DIR_INGRESS);
    REQUIRE(req_in.size() == lines.size());
    REQUIRE(resp_out.size() == lines.size());
    REQUIRE(req_out.size() == lines.size());
    REQUIRE(resp_in.size() == lines.size());
    // Requests are sequential: the i-th block of each kind is the i-th logged request.
    std::set<uint64_t> server_socks, client_socks;
    for (size_t i = 0; i < lines.size(); i++) {
        auto w = words(lines[i]);
        REQUIRE(w.size() == 3);
        INFO("request " << i << ": " << lines[i]);
        for (const Block *b : {req_in[i], req_out[i]}) {
            CHECK(b->get(":method") == w[0]);
            CHECK(b->get(":path") == w[1]);
            CHECK(b->get(":scheme") == "https");
        }
        // The POST has a body. Only decoded blocks know (net/http's encoder is not told).
        CHECK(req_in[i]->end_stream == (w[0] != "POST"));
        for (const Block *b : {resp_out[i], resp_in[i]}) {
            CHECK(b->get(":status") == w[2]);
            CHECK(b->get("x-served") == "yes");
        }
        // Both sides see the same stream, each on its own socket.
        CHECK(req_in[i]->stream == req_out[i]->stream);
        CHECK(resp_in[i]->stream == req_out[i]->stream);
        CHECK(resp_out[i]->stream == req_out[i]->stream);
        CHECK(req_in[i]->sock_id == resp_out[i]->sock_id);
        CHECK(req_out[i]->sock_id == resp_in[i]->sock_id);
        CHECK(req_in[i]->sock_id != req_out[i]->sock_id);
        CHECK(req_in[i]->fd >= 0);
        CHECK(req_out[i]->fd >= 0);
        server_socks.insert(req_in[i]->sock_id);
        client_socks.insert(req_out[i]->sock_id);
    }
    // The joined connection went on with its streams (two before the probes: 1, 3); the
    // fresh one starts at stream 1 on another socket.
    CHECK(req_out[0]->stream == 5);
    CHECK(req_out.back()->stream == 1);
    CHECK(client_socks.size() == 2);
    CHECK(server_socks.size() == 2);
    CHECK(req_out.back()->sock_id != req_out[0]->sock_id);
    // Those sockets are the TLS connections' own: the same as the plaintext events'.
    auto plain = col.where([&](const Event &e) {
        return e.type() == BEYLA_EV_DATA && (e.data().flags & BEYLA_DATA_F_TLS) && e.hdr().tgid == tgid;
    });
    std::set<uint64_t> tls_socks;
    for (const Event *e : plain) tls_socks.insert(e->hdr().sock_id);
    for (uint64_t s : client_socks) CHECK(tls_socks.count(s));
    for (uint64_t s : server_socks) CHECK(tls_socks.count(s));
    CHECK(src.counters().read_fault == 0);
    sh("rm -rf " + dir);
}

TEST_CASE("Go grpc: header fields of a connection joined late, and of a fresh one",
          "[kernel][go][http2][grpc]") {
    KTEST_REQUIRE_BPF();
    if (!have_tools() || !fs::exists("/usr/share/gocode/src/google.golang.org/grpc/health")) {
        WARN("skipped: needs the Go toolchain and golang-google-grpc-dev");
        return;
    }
    std::string dir = "/tmp/beyla-kgogrpc-" + std::to_string(getpid());
    REQUIRE(sh("mkdir -p " + dir) == 0);
    go_build(dir, "grpcapp", kGrpcProgram);

    BpfSourceOptions o;
    o.logger = test_logger();
    o.tls = true;
    BpfSource src(o);
    src.start();
    Collector col(src);
    pid_t child = 0;
    auto lines = run_joined_late(
        {dir + "/grpcapp", std::to_string(kRounds)},
        [&](pid_t pid) {
            src.trace_pid(static_cast<uint32_t>(pid), 0);
            REQUIRE(src.go_http2_executables().size() == 1);
        },
        &child);
    REQUIRE(lines.size() == 2 * kRounds + 1);
    const auto tgid = static_cast<uint32_t>(child);
    // Per call: the request headers (client encodes, server decodes), the response headers
    // and the trailers (server encodes, client decodes); a failed call's trailers come alone
    // ("trailers-only"), so 4 or 6 blocks a call.
    auto enough = [&] {
        size_t trailers = 0;
        for (const auto &b : blocks_of(col, tgid))
            if (b.role == BEYLA_ROLE_CLIENT && b.dir == BEYLA_DIR_INGRESS && !b.get("grpc-status").empty())
                trailers++;
        return trailers >= lines.size();
    };
    REQUIRE(col.wait_for(enough, 10000));
    col.settle();
    auto blocks = blocks_of(col, tgid);
    std::vector<const Block *> req_in, req_out, status_out, status_in;
    for (const auto &b : blocks) {
        if (!b.get(":path").empty()) (b.dir == BEYLA_DIR_INGRESS ? req_in : req_out).push_back(&b);
        if (!b.get("grpc-status").empty())
            (b.dir == BEYLA_DIR_INGRESS ? status_in : status_out).push_back(&b);
    }
    REQUIRE(req_in.size() == lines.size());
    REQUIRE(req_out.size() == lines.size());
    REQUIRE(status_out.size() == lines.size());
    REQUIRE(status_in.size() == lines.size());
    std::set<uint64_t> client_socks;
    for (size_t i = 0; i < lines.size(); i++) {
        auto w = words(lines[i]);
        REQUIRE(w.size() == 3);
        INFO("call " << i << ": " << lines[i]);
        for (const Block *b : {req_in[i], req_out[i]}) {
            CHECK(b->get(":method") == "POST");
            CHECK(b->get(":path") == w[0]);
            CHECK(b->get("content-type") == "application/grpc");
        }
        CHECK(req_in[i]->role == BEYLA_ROLE_SERVER);
        CHECK(req_out[i]->role == BEYLA_ROLE_CLIENT);
        for (const Block *b : {status_out[i], status_in[i]}) {
            CHECK(b->get("grpc-status") == w[2]);
            CHECK(b->end_stream); // trailers end the stream, as encoded and as decoded
            CHECK(b->stream == req_out[i]->stream);
        }
        CHECK(!req_in[i]->end_stream); // the request message follows
        CHECK(!req_out[i]->end_stream);
        CHECK(status_out[i]->role == BEYLA_ROLE_SERVER);
        CHECK(status_in[i]->role == BEYLA_ROLE_CLIENT);
        CHECK(req_in[i]->stream == req_out[i]->stream);
        CHECK(req_in[i]->sock_id == status_out[i]->sock_id);
        CHECK(req_out[i]->sock_id == status_in[i]->sock_id);
        CHECK(req_in[i]->sock_id != req_out[i]->sock_id);
        client_socks.insert(req_out[i]->sock_id);
    }
    CHECK(req_out[0]->stream == 5); // calls 1 and 3 went before the probes
    CHECK(req_out.back()->stream == 1);
    CHECK(client_socks.size() == 2);
    CHECK(src.counters().read_fault == 0);
    sh("rm -rf " + dir);
}

TEST_CASE("Tracer: Go net/http HTTP/2 spans of a connection joined late carry method, path, status",
          "[kernel][go][http2][tracer]") {
    KTEST_REQUIRE_BPF();
    if (!have_tools()) {
        WARN("skipped: needs the Go toolchain (go) and openssl");
        return;
    }
    std::string dir = "/tmp/beyla-kgoh2t-" + std::to_string(getpid());
    REQUIRE(sh("mkdir -p " + dir +
               " && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
               "-keyout " +
               dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1") == 0);
    go_build(dir, "h2", kH2Program);
    TracedRun t;
    pid_t child = 0;
    auto lines = run_joined_late(
        {dir + "/h2", dir + "/cert.pem", dir + "/key.pem", std::to_string(kRounds)},
        [&](pid_t pid) { t.start(pid); }, &child);
    REQUIRE(lines.size() == 3 * kRounds + 1);
    t.poll_until(2 * lines.size());
    auto servers = t.of_kind(BEYLA_SPAN_SERVER), clients = t.of_kind(BEYLA_SPAN_CLIENT);
    REQUIRE(servers.size() == lines.size());
    REQUIRE(clients.size() == lines.size());
    for (size_t i = 0; i < lines.size(); i++) {
        auto w = words(lines[i]);
        INFO("request " << i << ": " << lines[i]);
        for (const SpanSeen *s : {servers[i], clients[i]}) {
            CHECK(s->method == w[0]);
            CHECK(s->path == w[1]);
            CHECK(std::to_string(s->status) == w[2]);
            CHECK(s->attr("network.protocol.version") == "2");
            CHECK(s->attr("url.scheme") == "https");
            CHECK(s->attrs.count("beyla.http2.missing") == 0);
        }
    }
    CHECK(t.tracer->stats().malformed == 0);
    sh("rm -rf " + dir);
}

TEST_CASE("Tracer: Go grpc spans of a connection joined late carry rpc.service, rpc.method, status",
          "[kernel][go][http2][grpc][tracer]") {
    KTEST_REQUIRE_BPF();
    if (!have_tools() || !fs::exists("/usr/share/gocode/src/google.golang.org/grpc/health")) {
        WARN("skipped: needs the Go toolchain and golang-google-grpc-dev");
        return;
    }
    std::string dir = "/tmp/beyla-kgogrpct-" + std::to_string(getpid());
    REQUIRE(sh("mkdir -p " + dir) == 0);
    go_build(dir, "grpcapp", kGrpcProgram);
    TracedRun t;
    pid_t child = 0;
    auto lines = run_joined_late(
        {dir + "/grpcapp", std::to_string(kRounds)}, [&](pid_t pid) { t.start(pid); }, &child);
    REQUIRE(lines.size() == 2 * kRounds + 1);
    t.poll_until(2 * lines.size());
    auto servers = t.of_kind(BEYLA_SPAN_SERVER), clients = t.of_kind(BEYLA_SPAN_CLIENT);
    REQUIRE(servers.size() == lines.size());
    REQUIRE(clients.size() == lines.size());
    for (size_t i = 0; i < lines.size(); i++) {
        auto w = words(lines[i]);
        INFO("call " << i << ": " << lines[i]);
        for (const SpanSeen *s : {servers[i], clients[i]}) {
            CHECK(s->attr("rpc.system") == "grpc");
            CHECK(s->attr("rpc.service") == "grpc.health.v1.Health");
            CHECK(s->attr("rpc.method") == "Check");
            CHECK(s->attr("rpc.grpc.status_code") == w[2]);
            CHECK(s->attrs.count("beyla.http2.missing") == 0);
        }
    }
    CHECK(t.tracer->stats().malformed == 0);
    sh("rm -rf " + dir);
}
