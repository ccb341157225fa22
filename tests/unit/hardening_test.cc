// Hostile and unlucky input to the user-side pipeline: regressions from the fuzzers, bounded
// state, events lost in between, a tracer destroyed with events in flight.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/tracer.h"
#include "event_builder.h"
#include "protocols/common/data_stream.h"
#include "protocols/http2/connection.h"
#include "source/event_source.h"

using namespace beyla;
using namespace beyla::test;

namespace {

// Hands out prepared events, a batch per poll, copied to aligned storage as the ring does.
class VectorSource : public OfflineSource {
  public:
    VectorSource(std::deque<std::vector<uint8_t>> *events, size_t per_poll)
        : ev_(events), per_poll_(per_poll) {}
    int poll(int, const RawEventFn &fn) override {
        if (ev_->empty()) return -ENODATA;
        int n = 0;
        for (; !ev_->empty() && size_t(n) < per_poll_; n++) {
            auto &e = ev_->front();
            buf_.assign(e.size() / 8 + 1, 0);
            memcpy(buf_.data(), e.data(), e.size());
            fn(buf_.data(), e.size());
            ev_->pop_front();
        }
        return n;
    }
    std::string describe() const override { return "vector"; }

  private:
    std::deque<std::vector<uint8_t>> *ev_;
    size_t per_poll_;
    std::vector<uint64_t> buf_;
};

struct Span {
    std::string method, path;
    int status;
    std::set<std::string> keys;
    std::string error_type;
};

struct Run {
    std::deque<std::vector<uint8_t>> events;
    std::vector<Span> spans;
    std::unique_ptr<Tracer> tracer;

    explicit Run(TracerOptions o = {}, size_t per_poll = 4096) {
        o.proc_root = "/nonexistent";
        o.on_span = [this](const beyla_span &s) {
            Span c{s.method ? s.method : "", s.path ? s.path : "", s.status, {}, {}};
            for (size_t i = 0; i < s.attr_count; i++) {
                c.keys.insert(s.attrs[i].key);
                if (std::string(s.attrs[i].key) == "error.type") c.error_type = s.attrs[i].str;
            }
            spans.push_back(c);
        };
        o.source_factory = [this, per_poll] { return std::make_unique<VectorSource>(&events, per_poll); };
        tracer = std::make_unique<Tracer>(std::move(o));
        tracer->start();
    }
    void add(std::vector<uint8_t> e) { events.push_back(std::move(e)); }
    void drain() {
        while (tracer->poll(0) != -ENODATA) {
        }
    }
};

const std::string kReq = "GET /a?secret=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n";
std::string req(const std::string &path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
}
std::string resp(int status) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\n\r\nok";
}

} // namespace

// From fuzz_event_decoder: a data event claiming ~2^64 bytes wrapped the stream positions and
// head() pointed before the buffer.
TEST_CASE("DataStream: a byte count no syscall can return is clamped (fuzz regression)",
          "[hardening][stream]") {
    protocols::DataStream s;
    const std::string a = "PUT /up HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
    protocols::DataChunk c;
    c.captured = {reinterpret_cast<const uint8_t *>(a.data()), a.size()};
    c.total = 18446744030759878728ull;
    s.append(c);
    CHECK(s.end() == protocols::DataStream::kMaxChunkTotal);
    c.total = 281474976710728ull;
    s.append(c);
    CHECK(s.end() == 2 * protocols::DataStream::kMaxChunkTotal);
    CHECK(s.head().size() == a.size());
    s.consume(a.size() + 1);
    CHECK(s.head().empty());
    s.consume(UINT64_MAX);
    CHECK(s.empty());
}

TEST_CASE("tracer: the fuzz crash input (wrapped byte counts) decodes without harm", "[hardening][tracer]") {
    Run r;
    const std::string put =
        "PUT /up HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    r.add(conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000));
    r.add(data_event(100, 7, 0xa75, BEYLA_DIR_INGRESS, 1001000, put, 18446744030759878728ull));
    r.add(data_event(100, 7, 0xa75, BEYLA_DIR_INGRESS, 1002000, put, 281474976710728ull));
    r.add(data_event(100, 7, 0xa75, BEYLA_DIR_EGRESS, 1003000, resp(200)));
    r.add(conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xa75, 1004000));
    r.drain();
    CHECK(r.tracer->open_connections() == 0);
}

TEST_CASE("tracer: the connection table is bounded and empties when connections close",
          "[hardening][tracer]") {
    TracerOptions o;
    o.max_connections = 1000;
    Run r(o, 512);
    const int n = 100000;
    for (int i = 0; i < n; i++) r.add(data_event(100, 10 + i, 1 + i, BEYLA_DIR_INGRESS, 1000 + i, req("/c")));
    r.drain();
    CHECK(r.tracer->open_connections() == 1000);
    CHECK(r.tracer->stats().drop_conn_limit == n - 1000);
    for (int i = 0; i < n; i++) r.add(conn_event(BEYLA_EV_CONN_CLOSE, 100, 10 + i, 1 + i, 200000 + i));
    r.drain();
    CHECK(r.tracer->open_connections() == 0);
    // The tracked ones closed unanswered: failed spans, one each.
    REQUIRE(r.spans.size() == 1000);
    CHECK(r.spans.back().error_type == "no_response");
    // Room again: a new connection is tracked and produces its span.
    r.add(data_event(100, 5, 999999, BEYLA_DIR_INGRESS, 300000, req("/after")));
    r.add(data_event(100, 5, 999999, BEYLA_DIR_EGRESS, 300100, resp(200)));
    r.drain();
    REQUIRE(r.spans.size() == 1001);
    CHECK(r.spans.back().path == "/after");
    CHECK(r.spans.back().error_type.empty());
}

TEST_CASE("tracer: idle connections are evicted as event time moves on", "[hardening][tracer]") {
    TracerOptions o;
    o.conn_idle_ns = 2'000'000'000;
    Run r(o);
    for (int i = 0; i < 100; i++)
        r.add(data_event(100, 10 + i, 1 + i, BEYLA_DIR_INGRESS, 1000 + i, req("/idle")));
    r.drain();
    CHECK(r.tracer->open_connections() == 100);
    // One active connection, 5 s later: the others were idle for longer than 2 s.
    r.add(data_event(100, 5, 5000, BEYLA_DIR_INGRESS, 5'000'000'000, req("/live")));
    r.drain();
    CHECK(r.tracer->open_connections() == 1);
}

TEST_CASE("tracer: an fd reused by a new connection right after close never mixes the two",
          "[hardening][tracer]") {
    Run r;
    // Old connection: a request, then close without its response; fd 7 reused at once.
    r.add(data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, req("/old")));
    r.add(conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 1, 1100));
    r.add(conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 2, 1200));
    r.add(data_event(100, 7, 2, BEYLA_DIR_INGRESS, 1300, req("/new")));
    r.add(data_event(100, 7, 2, BEYLA_DIR_EGRESS, 1400, resp(204)));
    // And reused without a close seen (lost): the socket identity tells them apart.
    r.add(data_event(100, 7, 3, BEYLA_DIR_INGRESS, 1500, req("/third")));
    r.add(data_event(100, 7, 4, BEYLA_DIR_EGRESS, 1600, resp(500)));
    r.drain();
    // /old and /third closed unanswered (one seen, one implied by the new socket); neither
    // ever takes another connection's response.
    REQUIRE(r.spans.size() == 3);
    CHECK(r.spans[0].path == "/old");
    CHECK(r.spans[0].status == -1);
    CHECK(r.spans[0].error_type == "no_response");
    CHECK(r.spans[1].path == "/new");
    CHECK(r.spans[1].status == 204);
    CHECK(r.spans[1].error_type.empty());
    CHECK(r.spans[2].path == "/third");
    CHECK(r.spans[2].status == -1);
    CHECK(r.spans[2].error_type == "no_response");
}

TEST_CASE("tracer: a process killed mid-request gives one failed span and keeps no connection",
          "[hardening][tracer]") {
    Run r;
    r.add(data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, req("/killed")));
    r.add(proc_event(BEYLA_EV_PROC_EXIT, 100, 2000));
    // The pid is reused by another process, with the same fd number and no open seen.
    r.add(data_event(100, 7, 9, BEYLA_DIR_EGRESS, 3000, resp(200)));
    r.drain();
    REQUIRE(r.spans.size() == 1);
    CHECK(r.spans[0].path == "/killed");
    CHECK(r.spans[0].status == -1); // never answered; the later 200 is another process's
    CHECK(r.spans[0].error_type == "no_response");
}

TEST_CASE("tracer: destroyed with events in flight and connections open", "[hardening][tracer]") {
    auto *r = new Run({}, 2);
    for (int i = 0; i < 50; i++) {
        r->add(data_event(100, 10 + i, 1 + i, BEYLA_DIR_INGRESS, 1000 + i, req("/x")));
        r->add(data_event(100, 10 + i, 1 + i, BEYLA_DIR_EGRESS, 2000 + i,
                          "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\npart"));
    }
    r->tracer->poll(0);
    CHECK(r->tracer->open_connections() > 0);
    r->tracer.reset(); // no stop first: the sanitizer build checks nothing leaks
    delete r;
}

TEST_CASE("tracer: only decoded fields leave, url.query and headers are off by default",
          "[hardening][tracer]") {
    const std::set<std::string> allowed = {"http.request.method",
                                           "url.path",
                                           "http.response.status_code",
                                           "server.address",
                                           "server.port",
                                           "client.address",
                                           "client.port",
                                           "network.protocol.version",
                                           "http.request.body.size",
                                           "http.response.body.size",
                                           "url.query"};
    for (bool query : {false, true}) {
        TracerOptions o;
        o.capture_url_query = query;
        Run r(o);
        r.add(data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, kReq));
        r.add(data_event(100, 7, 1, BEYLA_DIR_EGRESS, 2000, resp(200)));
        r.drain();
        REQUIRE(r.spans.size() == 1);
        CHECK(r.spans[0].path == "/a");
        for (auto &k : r.spans[0].keys) {
            INFO(k);
            CHECK(allowed.count(k) == 1);
        }
        CHECK(r.spans[0].keys.count("url.query") == (query ? 1 : 0));
    }
}

namespace {

// A connection's events with the kernel's stream positions; lose() drops one as a full ring
// would (its bytes still move the position of the next).
struct PosWire {
    Run &r;
    uint32_t tgid = 300;
    int32_t fd = 9;
    uint64_t sock = 0x5150;
    uint64_t ts = 1'000'000;
    uint64_t pos[2] = {0, 0};

    std::vector<uint8_t> make(int dir, const std::string &bytes, uint64_t total = 0) {
        auto e = data_event(tgid, fd, sock, dir, ts += 10'000, bytes, total);
        auto *d = reinterpret_cast<beyla_data_event *>(e.data());
        d->flags |= BEYLA_DATA_F_POS;
        d->pos = pos[dir];
        pos[dir] += d->bytes;
        return e;
    }
    void in(const std::string &s, uint64_t total = 0) { r.add(make(BEYLA_DIR_INGRESS, s, total)); }
    void out(const std::string &s, uint64_t total = 0) { r.add(make(BEYLA_DIR_EGRESS, s, total)); }
    void lose(int dir, const std::string &s, uint64_t total = 0) { make(dir, s, total); }
};

std::vector<std::pair<std::string, int>> pairs(const Run &r) {
    std::vector<std::pair<std::string, int>> out;
    for (auto &s : r.spans) out.emplace_back(s.path, s.status);
    return out;
}

} // namespace

TEST_CASE("tracer: a lost response event never pairs the next response with the wrong request",
          "[hardening][tracer][gap]") {
    Run r;
    PosWire w{r};
    r.add(conn_event(BEYLA_EV_CONN_OPEN, w.tgid, w.fd, w.sock, 500'000));
    w.in(req("/s/200"));
    w.out(resp(200));
    w.in(req("/s/201"));
    w.lose(BEYLA_DIR_EGRESS, resp(201)); // the ring was full
    w.in(req("/s/202"));
    w.out(resp(202));
    w.in(req("/s/203"));
    w.out(resp(203));
    r.drain();
    using P = std::pair<std::string, int>;
    CHECK(pairs(r) == std::vector<P>{{"/s/200", 200}, {"/s/202", 202}, {"/s/203", 203}});
    auto st = r.tracer->stats();
    CHECK(st.gaps == 1);
    CHECK(st.gap_bytes == resp(201).size());
    CHECK(st.unmatched == 1); // the request whose answer was lost
}

TEST_CASE("tracer: a lost request event leaves its response unpaired", "[hardening][tracer][gap]") {
    Run r;
    PosWire w{r};
    r.add(conn_event(BEYLA_EV_CONN_OPEN, w.tgid, w.fd, w.sock, 500'000));
    w.in(req("/s/200"));
    w.out(resp(200));
    w.lose(BEYLA_DIR_INGRESS, req("/s/201"));
    w.out(resp(201));
    w.in(req("/s/202"));
    w.out(resp(202));
    r.drain();
    using P = std::pair<std::string, int>;
    CHECK(pairs(r) == std::vector<P>{{"/s/200", 200}, {"/s/202", 202}});
    auto st = r.tracer->stats();
    CHECK(st.gaps == 1);
    CHECK(st.gap_bytes == req("/s/201").size());
}

TEST_CASE("tracer: a loss inside a body of known length is skipped exactly", "[hardening][tracer][gap]") {
    Run r;
    PosWire w{r};
    r.add(conn_event(BEYLA_EV_CONN_OPEN, w.tgid, w.fd, w.sock, 500'000));
    w.in(req("/big"));
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 30000\r\n\r\n";
    w.out(head + std::string(10000, 'a'));
    w.lose(BEYLA_DIR_EGRESS, std::string(10000, 'b'));
    w.out(std::string(10000, 'c'));
    w.in(req("/s/201"));
    w.out(resp(201));
    r.drain();
    using P = std::pair<std::string, int>;
    CHECK(pairs(r) == std::vector<P>{{"/big", 200}, {"/s/201", 201}});
    CHECK(r.tracer->stats().gap_bytes == 10000);
    CHECK(r.tracer->stats().parse_errors == 0);
}

TEST_CASE("tracer: a stream position that goes back (counter evicted) resyncs", "[hardening][tracer][gap]") {
    Run r;
    PosWire w{r};
    r.add(conn_event(BEYLA_EV_CONN_OPEN, w.tgid, w.fd, w.sock, 500'000));
    w.in(req("/s/200"));
    w.out(resp(200));
    w.in(req("/s/201"));
    w.pos[BEYLA_DIR_EGRESS] = 0; // the kernel lost its count and the 201 went with it
    w.in(req("/s/202"));
    w.out(resp(202));
    r.drain();
    using P = std::pair<std::string, int>;
    CHECK(pairs(r) == std::vector<P>{{"/s/200", 200}, {"/s/202", 202}});
    CHECK(r.tracer->stats().gaps == 1);
    CHECK(r.tracer->stats().gap_bytes == 0);
}

TEST_CASE("tracer: events without positions (old recordings) are not gap-checked",
          "[hardening][tracer][gap]") {
    Run r;
    r.add(conn_event(BEYLA_EV_CONN_OPEN, 300, 9, 0x77, 500'000));
    r.add(data_event(300, 9, 0x77, BEYLA_DIR_INGRESS, 1'000'000, req("/s/200")));
    r.add(data_event(300, 9, 0x77, BEYLA_DIR_EGRESS, 1'010'000, resp(200)));
    r.add(data_event(300, 9, 0x77, BEYLA_DIR_INGRESS, 1'020'000, req("/s/201")));
    r.add(data_event(300, 9, 0x77, BEYLA_DIR_EGRESS, 1'030'000, resp(201)));
    r.drain();
    CHECK(r.spans.size() == 2);
    CHECK(r.tracer->stats().gaps == 0);
}

TEST_CASE("http2: a padded DATA frame of length 0 reads no pad length (fuzz regression)", "[hardening][http2]") {
    // Flags PADDED with no payload byte to hold the pad length, at the end of the capture.
    const uint8_t frame[] = {0, 0, 0, 0x0, 0x8, 0, 0, 0, 1};
    http2::Connection c(protocols::Role::kUnknown);
    c.add(protocols::Direction::kIngress, {1, 2, frame, sizeof(frame)});
    c.close(3);
    CHECK(c.counters().frames == 1);
    CHECK(c.open_streams() == 0);
}
