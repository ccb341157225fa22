// Redis and memcached through a whole Tracer from a recording: inference picks the protocol
// from the first bytes, spans carry the db.* attributes, named counters reach the tracer.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/tracer.h"
#include "event_builder.h"
#include "replay_util.h"

using namespace beyla;
using namespace beyla::test;

namespace {

struct DbSpan {
    int protocol, kind;
    std::map<std::string, std::string> str;
    std::map<std::string, int64_t> num;
};

std::vector<DbSpan> replay(const std::vector<std::vector<uint8_t>> &events, beyla_stats *st,
                           protocols::NamedCounters *counters = nullptr, bool raw = false) {
    std::vector<DbSpan> out;
    TracerOptions o;
    o.capture_db_query_raw = raw;
    o.on_span = [&](const beyla_span &s) {
        DbSpan d{s.protocol, s.kind, {}, {}};
        for (size_t i = 0; i < s.attr_count; i++) {
            if (s.attrs[i].type == BEYLA_ATTR_STRING)
                d.str[s.attrs[i].key] = s.attrs[i].str;
            else
                d.num[s.attrs[i].key] = s.attrs[i].num;
        }
        out.push_back(d);
    };
    *st = run_replay(events, std::move(o), counters);
    return out;
}

} // namespace

TEST_CASE("replay: a Redis client's pipeline, an error and a pushed message", "[tracer][replay][redis]") {
    const std::string cmds = "*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nsecret\r\n"
                             "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n";
    const std::string replies = "+OK\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
                                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for (bool raw : {false, true}) {
        beyla_stats st{};
        protocols::NamedCounters counters;
        auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000, BEYLA_ROLE_CLIENT),
                             data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 2000, cmds),
                             data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 5000, replies),
                             conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000, BEYLA_ROLE_CLIENT)},
                            &st, &counters, raw);
        REQUIRE(spans.size() == 3);
        for (auto &s : spans) {
            CHECK(s.protocol == BEYLA_PROTO_REDIS);
            CHECK(s.kind == BEYLA_SPAN_CLIENT);
            CHECK(s.str["db.system.name"] == "redis");
            CHECK(s.str["db.namespace"] == "4");
            CHECK(s.str.count("http.request.method") == 0);
        }
        CHECK(spans[1].str["db.operation.name"] == "SET");
        CHECK(spans[1].str["db.query.text"] == (raw ? "SET k secret" : "SET ? ?"));
        CHECK(spans[2].str["error.type"] == "WRONGTYPE");
        CHECK(spans[2].str["db.response.status_code"] == "WRONGTYPE");
        CHECK(spans[0].str.count("error.type") == 0);
        CHECK(counters.get("redis.pushes") == 1);
        CHECK(st.parse_errors == 0);
        CHECK(st.unknown_protocol == 0);
    }
}

TEST_CASE("replay: memcached server spans; a binary connection is counted", "[tracer][replay][memcached]") {
    uint8_t bin[27] = {0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
    bin[24] = 'f', bin[25] = 'o', bin[26] = 'o';
    beyla_stats st{};
    protocols::NamedCounters counters;
    auto spans =
        replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000, "get a b\r\nbogus_cmd\r\n"),
                data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5000, "VALUE a 0 1\r\nx\r\nEND\r\nERROR\r\n"),
                conn_event(BEYLA_EV_CONN_OPEN, 100, 8, 0xdef, 1000),
                data_event(100, 8, 0xdef, BEYLA_DIR_INGRESS, 2000, std::string(bin, bin + sizeof bin))},
               &st, &counters);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].protocol == BEYLA_PROTO_MEMCACHED);
    CHECK(spans[0].kind == BEYLA_SPAN_SERVER);
    CHECK(spans[0].str["db.operation.name"] == "get");
    CHECK(spans[0].num["db.operation.batch.size"] == 2);
    CHECK(counters.get("memcached.binary") == 1);
    CHECK(st.unknown_protocol == 1);
}
