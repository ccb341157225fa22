// Redis: RESP2/RESP3 replies of every type, inline commands, inference, pipelining,
// MULTI/EXEC, pub/sub, errors, SELECT, every split point and lost bytes, from byte vectors.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/db_attrs.h"
#include "protocols/redis/parse.h"
#include "protocols/redis/protocol.h"
#include "protocols/redis/stitcher.h"

using namespace beyla::redis;
using beyla::protocols::Inference;

namespace {

DataChunk chunk(std::string_view s, uint64_t ts, uint64_t total = 0) {
    return DataChunk{
        ts, ts + 1, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, total ? total : s.size()};
}

struct Harness {
    explicit Harness(Role role = Role::kClient, ConnectionLimits l = {}) : c(role, l) {}
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

std::string cmd(std::vector<std::string> args) {
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (auto &a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return s;
}

} // namespace

TEST_CASE("redis: a GET and its bulk reply") {
    Harness h;
    h.req(cmd({"get", "user:1"}));
    h.resp("$5\r\nhello\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(r[0].cmd.op == "GET");
    CHECK(r[0].cmd.text == "GET ?");
    CHECK_FALSE(r[0].reply.error);
    CHECK(r[0].cmd.ts_begin == 1010);
    CHECK(r[0].reply.ts_end == 1021);
}

TEST_CASE("redis: arguments stay in the text only when raw") {
    ConnectionLimits l;
    l.raw = true;
    Harness h(Role::kClient, l);
    h.req(cmd({"HMSET", "myhash", "field1", "Hello"}));
    h.resp("+OK\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(r[0].cmd.text == "HMSET myhash field1 Hello");
}

TEST_CASE("redis: two-word commands name both words") {
    Harness h;
    h.req(cmd({"client", "setname", "app"}));
    h.req(cmd({"CONFIG", "GET", "maxmemory"}));
    h.resp("+OK\r\n");
    h.resp("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 2);
    CHECK(r[0].cmd.op == "CLIENT SETNAME");
    CHECK(r[0].cmd.text == "CLIENT SETNAME ?");
    CHECK(r[1].cmd.op == "CONFIG GET");
}

TEST_CASE("redis: every RESP2 and RESP3 reply type pairs with one command") {
    const std::vector<std::string> replies = {
        "+OK\r\n",
        "-ERR unknown\r\n",
        ":42\r\n",
        "$-1\r\n",
        "$0\r\n\r\n",
        "*-1\r\n",
        "*0\r\n",
        "*2\r\n$1\r\na\r\n:1\r\n",
        "_\r\n",
        "#t\r\n",
        ",3.14\r\n",
        "(3492890328409238509324850943850943825024385\r\n",
        "!21\r\nSYNTAX invalid syntax\r\n",
        "=15\r\ntxt:Some string\r\n",
        "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
        "~3\r\n+a\r\n+b\r\n+c\r\n",
        "|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
        "*3\r\n*2\r\n%1\r\n+k\r\n~1\r\n_\r\n:1\r\n=3\r\ntxt\r\n(1\r\n",
    };
    Harness h;
    for (size_t i = 0; i < replies.size(); i++) h.req(cmd({"PING"}));
    for (const auto &r : replies) h.resp(r);
    auto &r = h.take();
    REQUIRE(r.size() == replies.size());
    CHECK(r[1].reply.error);
    CHECK(r[1].reply.prefix == "ERR");
    CHECK(r[12].reply.error);
    CHECK(r[12].reply.prefix == "SYNTAX");
    CHECK(h.c.counters().parse_errors == 0);
    CHECK(h.c.pending() == 0);
}

TEST_CASE("redis: WRONGTYPE gives its prefix") {
    Harness h;
    h.req(cmd({"LPUSH", "s", "x"}));
    h.resp("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(r[0].reply.prefix == "WRONGTYPE");
}

TEST_CASE("redis: a reply split at every byte and a command split at every byte") {
    const std::string c = cmd({"SET", "k", "some value here"});
    const std::string rep = "*2\r\n%1\r\n+a\r\n$3\r\nxyz\r\n|1\r\n+ttl\r\n:3\r\n=6\r\ntxt:ab\r\n";
    for (size_t cut = 1; cut < c.size(); cut++) {
        for (size_t cut2 : {size_t{1}, rep.size() / 2, rep.size() - 1}) {
            Harness h;
            h.req(std::string_view(c).substr(0, cut));
            h.req(std::string_view(c).substr(cut));
            h.resp(std::string_view(rep).substr(0, cut2));
            REQUIRE(h.c.ready() == 0);
            h.resp(std::string_view(rep).substr(cut2));
            auto &r = h.take();
            REQUIRE(r.size() == 1);
            CHECK(r[0].cmd.op == "SET");
            CHECK(r[0].cmd.text == "SET ? ?");
        }
    }
    for (size_t cut = 1; cut < rep.size(); cut++) {
        Harness h;
        h.req(c);
        h.resp(std::string_view(rep).substr(0, cut));
        REQUIRE(h.c.ready() == 0);
        h.resp(std::string_view(rep).substr(cut));
        REQUIRE(h.take().size() == 1);
        CHECK(h.c.counters().parse_errors == 0);
    }
}

TEST_CASE("redis: pipelined commands in one write, replies in one read") {
    Harness h(Role::kServer);
    std::string many;
    for (int i = 0; i < 50; i++) many += cmd({"INCR", "n"});
    std::string answers;
    for (int i = 0; i < 50; i++) answers += ":" + std::to_string(i + 1) + "\r\n";
    h.c.add(Direction::kIngress, chunk(many, 100));
    h.c.add(Direction::kEgress, chunk(answers, 200));
    auto &r = h.take();
    REQUIRE(r.size() == 50);
    for (auto &x : r) CHECK(x.cmd.op == "INCR");
}

TEST_CASE("redis: inline commands") {
    Harness h;
    h.req("PING\r\n");
    h.req("set k  v\r\n");
    h.resp("+PONG\r\n+OK\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 2);
    CHECK(r[0].cmd.op == "PING");
    CHECK(r[1].cmd.op == "SET");
    CHECK(r[1].cmd.text == "SET ? ?");
}

TEST_CASE("redis: MULTI/EXEC: each command a span, QUEUED answers, EXEC's array") {
    Harness h;
    h.req(cmd({"MULTI"}) + cmd({"SET", "a", "1"}) + cmd({"INCR", "a"}) + cmd({"EXEC"}));
    h.resp("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 4);
    CHECK(r[0].cmd.op == "MULTI");
    CHECK(r[1].cmd.op == "SET");
    CHECK(r[2].cmd.op == "INCR");
    CHECK(r[3].cmd.op == "EXEC");
}

TEST_CASE("redis: pub/sub messages are counted, not answers") {
    Harness h;
    h.req(cmd({"SUBSCRIBE", "a", "b"}));
    h.resp("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    h.resp("*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    h.resp("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
    h.req(cmd({"PING"}));
    h.resp(">3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nyo\r\n");
    h.resp("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    h.req(cmd({"UNSUBSCRIBE"}));
    h.resp("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 3);
    CHECK(r[0].cmd.op == "SUBSCRIBE");
    CHECK(r[1].cmd.op == "PING");
    CHECK(r[2].cmd.op == "UNSUBSCRIBE");
    CHECK(h.c.counters().pushes == 2);
    CHECK(h.c.counters().confirmations == 2);
    CHECK(h.c.pending() == 0);
}

TEST_CASE("redis: RESP3 pushes between replies (client tracking)") {
    Harness h;
    h.req(cmd({"GET", "a"}));
    h.resp(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n");
    h.resp("$1\r\nx\r\n");
    REQUIRE(h.take().size() == 1);
    CHECK(h.c.counters().pushes == 1);
}

TEST_CASE("redis: SELECT sets db.namespace for what follows") {
    Harness h;
    h.req(cmd({"GET", "a"}));
    h.req(cmd({"SELECT", "3"}));
    h.req(cmd({"GET", "a"}));
    h.resp("$-1\r\n+OK\r\n$-1\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 3);
    CHECK(r[0].cmd.ns.empty());
    CHECK(r[2].cmd.ns == "3");
}

TEST_CASE("redis: a bulk reply through uncaptured bytes") {
    Harness h;
    h.req(cmd({"GET", "big"}));
    std::string head = "$10000\r\n" + std::string(100, 'x');
    h.c.add(Direction::kIngress, chunk(head, 2000, 10000 + 8 + 2)); // the rest not captured
    h.req(cmd({"GET", "small"}));
    h.resp("$1\r\ny\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 2);
    CHECK(h.c.counters().parse_errors == 0);
}

TEST_CASE("redis: a known loss inside a bulk is passed over; an unknown one resyncs") {
    Harness h;
    h.req(cmd({"GET", "a"}));
    h.resp("$20\r\n0123456789");
    h.c.lost(Direction::kIngress, 8, h.ts += 10);
    h.resp("AB\r\n");
    REQUIRE(h.take().size() == 1);
    CHECK(h.c.counters().parse_errors == 0);

    h.req(cmd({"GET", "b"}));
    h.req(cmd({"GET", "c"}));
    h.resp("$20\r\n0123456789");
    h.c.lost(Direction::kIngress, 0, h.ts += 10);
    h.resp("$1\r\nz\r\n"); // the answer to GET c; GET b's was lost
    auto &r = h.take();
    REQUIRE(r.size() == 2);
    CHECK(r[1].cmd.ts_begin > r[0].cmd.ts_begin);
}

TEST_CASE("redis: lost replies pair by time, never with a later command") {
    Harness h;
    h.req(cmd({"GET", "a"}));
    h.c.lost(Direction::kIngress, 7, h.ts += 10); // its reply
    h.req(cmd({"GET", "b"}));
    h.resp("$1\r\nb\r\n");
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(r[0].cmd.ts_begin == 1030);
    CHECK(h.c.counters().unmatched == 1);
}

TEST_CASE("redis: close fails what waits; abandon only counts it") {
    Harness h;
    h.req(cmd({"BLPOP", "q", "0"}));
    h.c.close(5000);
    auto &r = h.take();
    REQUIRE(r.size() == 1);
    CHECK(std::string(r[0].fail) == "no_response");

    Harness a;
    a.req(cmd({"BLPOP", "q", "0"}));
    a.c.abandon(5000);
    CHECK(a.take().empty());
    CHECK(a.c.counters().unmatched == 1);
}

TEST_CASE("redis: role from the bytes when accept/connect was not seen") {
    Harness h(Role::kUnknown);
    h.c.add(Direction::kIngress, chunk(cmd({"GET", "a"}), 10));
    h.c.add(Direction::kEgress, chunk("$1\r\na\r\n", 20));
    CHECK(h.c.role() == Role::kServer);
    REQUIRE(h.take().size() == 1);
}

TEST_CASE("redis: nesting past the bound and garbage are invalid, then given up") {
    Harness h;
    h.req(cmd({"GET", "a"}));
    std::string deep;
    for (int i = 0; i < kMaxDepth + 1; i++) deep += "*1\r\n";
    deep += ":1\r\n";
    h.resp(deep);
    CHECK(h.c.counters().invalid >= 1);
    Harness g;
    for (int i = 0; i < 4; i++) g.req("\x01\x02garbage\r\n");
    CHECK(g.c.given_up());
}

TEST_CASE("redis: inference never from one byte") {
    const auto &p = protocol();
    auto infer = [&](std::string_view s) {
        return p.infer(Direction::kEgress, {reinterpret_cast<const uint8_t *>(s.data()), s.size()},
                       Role::kClient);
    };
    CHECK(infer("*") == Inference::kNeedMore);
    CHECK(infer("*2\r") == Inference::kNeedMore);
    CHECK(infer("*2\r\n$3\r\nGE") == Inference::kNeedMore);
    CHECK(infer("*2\r\n$3\r\nGET\r\n") == Inference::kYes);
    CHECK(infer("*2\r\n+OK\r\n") == Inference::kNo);
    CHECK(infer("*x") == Inference::kNo);
    CHECK(infer("PING\r\n") == Inference::kYes);
    CHECK(infer("PIN") == Inference::kNeedMore);
    CHECK(infer("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == Inference::kNo);
    CHECK(infer("get foo\r\n") == Inference::kNo); // memcached's
    CHECK(infer("+OK\r\n") == Inference::kNo);
    CHECK(infer("\x16\x03\x01") == Inference::kNo);
}

TEST_CASE("db attrs: error prefixes") {
    using beyla::protocols::db::error_prefix;
    CHECK(error_prefix("ERR unknown command") == "ERR");
    CHECK(error_prefix("WRONGTYPE Operation") == "WRONGTYPE");
    CHECK(error_prefix("NOAUTH") == "NOAUTH");
    CHECK(error_prefix(" leading") == "");
}
