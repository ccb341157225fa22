// memcached: every text and meta command with its answer, noreply, quiet meta requests,
// errors, the binary protocol given up, every split point and lost bytes, from byte vectors.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/memcached/parse.h"
#include "protocols/memcached/protocol.h"
#include "protocols/memcached/stitcher.h"

using namespace beyla::memcached;
using beyla::protocols::Inference;

namespace {

DataChunk chunk(std::string_view s, uint64_t ts, uint64_t total = 0) {
    return DataChunk{
        ts, ts + 1, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, total ? total : s.size()};
}

struct Harness {
    explicit Harness(Role role = Role::kClient) : c(role) {}
    Connection c;
    uint64_t ts = 1000;
    std::vector<Record> out;
    void req(std::string_view s) { c.add(Direction::kEgress, chunk(s, ts += 10)); }
    void resp(std::string_view s) { c.add(Direction::kIngress, chunk(s, ts += 10)); }
    std::vector<Record> &take() {
        c.drain([&](Record &r) { out.push_back(r); });
        return out;
    }
};

struct Case {
    std::string req, resp, op, word;
};

const std::vector<Case> kCases = {
    {"get a\r\n", "VALUE a 0 5\r\nhello\r\nEND\r\n", "get", "VALUE"},
    {"get a b c\r\n", "VALUE a 0 1\r\nx\r\nVALUE c 3 2\r\nyz\r\nEND\r\n", "get", "VALUE"},
    {"gets a\r\n", "VALUE a 0 1 99\r\nx\r\nEND\r\n", "gets", "VALUE"},
    {"get miss\r\n", "END\r\n", "get", "END"},
    {"set k 0 0 5\r\nhello\r\n", "STORED\r\n", "set", "STORED"},
    {"add k 1 60 3\r\nabc\r\n", "NOT_STORED\r\n", "add", "NOT_STORED"},
    {"replace k 0 0 2\r\nab\r\n", "STORED\r\n", "replace", "STORED"},
    {"append k 0 0 2\r\n\r\n\r\n", "STORED\r\n", "append", "STORED"},
    {"prepend k 0 0 1\r\nz\r\n", "NOT_STORED\r\n", "prepend", "NOT_STORED"},
    {"cas k 0 0 1 12345\r\nq\r\n", "EXISTS\r\n", "cas", "EXISTS"},
    {"delete k\r\n", "DELETED\r\n", "delete", "DELETED"},
    {"incr n 5\r\n", "15\r\n", "incr", "15"},
    {"decr n 1\r\n", "NOT_FOUND\r\n", "decr", "NOT_FOUND"},
    {"touch k 10\r\n", "TOUCHED\r\n", "touch", "TOUCHED"},
    {"gat 10 a b\r\n", "VALUE a 0 1\r\nx\r\nEND\r\n", "gat", "VALUE"},
    {"gats 10 a\r\n", "END\r\n", "gats", "END"},
    {"mg k v t\r\n", "VA 2 t-1\r\nhi\r\n", "mg", "VA"},
    {"mg k v\r\n", "EN\r\n", "mg", "EN"},
    {"ms k 2 T60\r\nhi\r\n", "HD\r\n", "ms", "HD"},
    {"md k\r\n", "NF\r\n", "md", "NF"},
    {"ma n D2\r\n", "HD\r\n", "ma", "HD"},
    {"me k\r\n", "ME k exp=-1 la=1 cas=2 fetch=no cls=1 size=63\r\n", "me", "ME"},
    {"mn\r\n", "MN\r\n", "mn", "MN"},
    {"version\r\n", "VERSION 1.6.18\r\n", "version", "VERSION"},
    {"stats\r\n", "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n", "stats", "STAT"},
    {"flush_all\r\n", "OK\r\n", "flush_all", "OK"},
    {"verbosity 1\r\n", "OK\r\n", "verbosity", "OK"},
    {"set k 0 0 1\r\nab\r\n", "CLIENT_ERROR bad data chunk\r\n", "set", "CLIENT_ERROR"},
    {"get k\r\n", "SERVER_ERROR out of memory\r\n", "get", "SERVER_ERROR"},
    {"stats bogus\r\n", "ERROR\r\n", "stats", "ERROR"},
};

} // namespace

TEST_CASE("memcached: every command and its answer") {
    for (const Case &k : kCases) {
        INFO(k.req);
        Harness h;
        h.req(k.req);
        h.resp(k.resp);
        auto &r = h.take();
        REQUIRE(r.size() == 1);
        CHECK(r[0].req.op == k.op);
        CHECK(r[0].resp.word == k.word);
        CHECK(r[0].resp.error == (k.word.find("ERROR") != std::string::npos));
        CHECK(r[0].req.ts_begin == 1010);
        CHECK(r[0].resp.ts_end == 1021);
        CHECK(h.c.counters().parse_errors == 0);
    }
}

TEST_CASE("memcached: all of them pipelined, then split at every byte") {
    std::string reqs, resps;
    for (const Case &k : kCases) {
        reqs += k.req;
        resps += k.resp;
    }
    Harness h(Role::kServer);
    h.c.add(Direction::kIngress, chunk(reqs, 10));
    h.c.add(Direction::kEgress, chunk(resps, 20));
    auto &r = h.take();
    REQUIRE(r.size() == kCases.size());
    for (size_t i = 0; i < r.size(); i++) CHECK(r[i].req.op == kCases[i].op);

    for (const Case &k : kCases) {
        for (size_t cut = 1; cut < k.req.size(); cut++) {
            Harness s;
            s.req(std::string_view(k.req).substr(0, cut));
            s.req(std::string_view(k.req).substr(cut));
            s.resp(k.resp);
            REQUIRE(s.take().size() == 1);
        }
        for (size_t cut = 1; cut < k.resp.size(); cut++) {
            Harness s;
            s.req(k.req);
            s.resp(std::string_view(k.resp).substr(0, cut));
            REQUIRE(s.c.ready() == 0);
            s.resp(std::string_view(k.resp).substr(cut));
            auto &r2 = s.take();
            REQUIRE(r2.size() == 1);
            CHECK(r2[0].resp.word == k.word);
        }
    }
}

TEST_CASE("memcached: noreply ends at the request") {
    Harness h;
    h.req("set a 0 0 1 noreply\r\nx\r\n");
    h.req("delete b noreply\r\n");
    h.req("get a\r\n");
    REQUIRE(h.c.ready() == 2);
    h.resp("VALUE a 0 1\r\nx\r\nEND\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 3);
    CHECK(r[0].req.op == "set");
    CHECK(r[0].resp.word.empty());
    CHECK(r[0].resp.ts_end == r[0].req.ts_end);
    CHECK(r[2].req.op == "get");
    CHECK(r[2].resp.word == "VALUE");
}

TEST_CASE("memcached: quiet meta requests up to mn") {
    Harness h;
    h.req("mg a v q\r\nmg b v q\r\nms c 1 q\r\nx\r\nmn\r\n");
    h.resp("VA 1\r\ny\r\nMN\r\n"); // b's hit; a missed (EN left out), c stored (HD left out)
    auto &r = h.take();
    REQUIRE(r.size() == 4);
    CHECK(r[0].resp.word == "VA"); // taken as a's: a quiet mg may answer VA
    CHECK(r[3].req.op == "mn");
    CHECK(r[3].resp.word == "MN");
    CHECK(h.c.pending() == 0);
}

TEST_CASE("memcached: a value through uncaptured bytes, a known loss, an unknown loss") {
    Harness h;
    h.req("get big\r\n");
    const std::string head = "VALUE big 0 100000\r\n" + std::string(200, 'v');
    h.c.add(Direction::kIngress, chunk(head, 2000, 20 + 100000 + 2));
    h.resp("END\r\n");
    REQUIRE(h.take().size() == 1);
    CHECK(h.c.counters().parse_errors == 0);

    h.req("set k 0 0 50\r\n0123456789");
    h.c.lost(Direction::kEgress, 38, h.ts += 10);
    h.req("ab\r\n");
    h.resp("STORED\r\n");
    REQUIRE(h.take().size() == 2);

    h.req("get x\r\n");
    h.c.lost(Direction::kIngress, 0, h.ts += 10); // its answer, of unknown size
    h.req("get y\r\n");
    h.resp("END\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 3);
    CHECK(r[2].req.ts_begin > r[1].req.ts_begin);
    CHECK(h.c.counters().unmatched == 1);
}

TEST_CASE("memcached: close fails what waits") {
    Harness h;
    h.req("get a\r\n");
    h.c.close(9000);
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(std::string(r[0].fail) == "no_response");
}

TEST_CASE("memcached: the binary protocol is given up") {
    uint8_t bin[24 + 3] = {0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0};
    bin[24] = 'f', bin[25] = 'o', bin[26] = 'o';
    const auto &p = protocol();
    CHECK(p.infer(Direction::kEgress, {bin, 1}, Role::kClient) == Inference::kNeedMore);
    CHECK(p.infer(Direction::kEgress, {bin, sizeof bin}, Role::kClient) == Inference::kYes);
    beyla::protocols::NamedCounters counters;
    beyla::protocols::ProtocolConfig cfg;
    cfg.counters = &counters;
    auto c = p.make(Role::kClient, cfg);
    c->add(Direction::kEgress, DataChunk{1, 2, {bin, sizeof bin}, sizeof bin});
    CHECK(c->given_up());
    CHECK(counters.get("memcached.binary") == 1);
}

TEST_CASE("memcached: inference") {
    const auto &p = protocol();
    auto infer = [&](std::string_view s) {
        return p.infer(Direction::kEgress, {reinterpret_cast<const uint8_t *>(s.data()), s.size()},
                       Role::kClient);
    };
    CHECK(infer("g") == Inference::kNeedMore);
    CHECK(infer("get a\r\n") == Inference::kYes);
    CHECK(infer("set a 0 0 5\r\n") == Inference::kYes);
    CHECK(infer("set a b\r\n") == Inference::kNo);
    CHECK(infer("GET / HTTP/1.1\r\n") == Inference::kNo);
    CHECK(infer("*1\r\n$4\r\nPING\r\n") == Inference::kNo);
    CHECK(infer("hello world\r\n") == Inference::kNo);
    CHECK(infer("mn\r\n") == Inference::kYes);
}

TEST_CASE("memcached: garbage is given up") {
    Harness h;
    for (int i = 0; i < 4; i++) h.req("zz?? nope\r\n");
    CHECK(h.c.given_up());
}
