// The protocol-generic core: inference over a connection's first bytes, connections no
// protocol claims, the protocol selection, and the registry.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "core/tracer.h"
#include "event_builder.h"
#include "protocols/registry.h"
#include "replay_util.h"

using namespace beyla;
using namespace beyla::test;

namespace {

struct Seen {
    std::string method, path;
    int status = -1;
    int protocol = 0;
    std::string version;
};

beyla_stats run(const std::vector<std::vector<uint8_t>> &events, std::vector<Seen> *spans,
                std::vector<std::string> protocols = {}) {
    TracerOptions o;
    o.protocols = std::move(protocols);
    o.on_span = [&](const beyla_span &s) {
        Seen x{s.method ? s.method : "", s.path ? s.path : "", s.status, s.protocol, ""};
        for (size_t i = 0; i < s.attr_count; i++)
            if (std::string(s.attrs[i].key) == "network.protocol.version") x.version = s.attrs[i].str;
        spans->push_back(x);
    };
    return run_replay(events, std::move(o));
}

const std::string kReq = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kResp = "HTTP/1.1 204 No Content\r\n\r\n";

} // namespace

TEST_CASE("core: a request line cut after two bytes is held until a protocol can tell", "[core][protocols]") {
    std::vector<Seen> spans;
    auto st = run({data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, kReq.substr(0, 2)),
                   data_event(100, 7, 1, BEYLA_DIR_INGRESS, 2000, kReq.substr(2)),
                   data_event(100, 7, 1, BEYLA_DIR_EGRESS, 3000, kResp)},
                  &spans);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].method == "GET");
    CHECK(spans[0].path == "/a");
    CHECK(spans[0].status == 204);
    CHECK(spans[0].protocol == BEYLA_PROTO_HTTP1);
    CHECK(spans[0].version == "1.1");
    CHECK(st.unknown_protocol == 0);
    CHECK(st.parse_errors == 0);
}

TEST_CASE("core: joined mid-body, the connection is claimed at the next message start", "[core][protocols]") {
    std::vector<Seen> spans;
    auto st = run({data_event(100, 7, 1, BEYLA_DIR_EGRESS, 1000, std::string(3000, 'z')),
                   data_event(100, 7, 1, BEYLA_DIR_INGRESS, 2000, kReq),
                   data_event(100, 7, 1, BEYLA_DIR_EGRESS, 3000, kResp)},
                  &spans);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].status == 204);
    CHECK(st.unknown_protocol == 0);
}

TEST_CASE("core: a connection no protocol claims is set aside after a bounded number of bytes",
          "[core][protocols]") {
    std::vector<std::vector<uint8_t>> evs;
    uint64_t ts = 1000;
    // 20 chunks of 4 KiB that no protocol recognises: past the 64 KiB bound.
    for (int i = 0; i < 20; i++)
        evs.push_back(data_event(100, 7, 1, BEYLA_DIR_INGRESS, ts += 1000, std::string(4096, '\x01')));
    // Later HTTP is not parsed: the connection stays set aside.
    evs.push_back(data_event(100, 7, 1, BEYLA_DIR_INGRESS, ts += 1000, kReq));
    evs.push_back(data_event(100, 7, 1, BEYLA_DIR_EGRESS, ts += 1000, kResp));
    // Another connection is unaffected.
    evs.push_back(data_event(100, 8, 2, BEYLA_DIR_INGRESS, ts += 1000, kReq));
    evs.push_back(data_event(100, 8, 2, BEYLA_DIR_EGRESS, ts += 1000, kResp));
    std::vector<Seen> spans;
    auto st = run(evs, &spans);
    CHECK(st.unknown_protocol == 1);
    CHECK(st.non_http == st.unknown_protocol);
    CHECK(st.parse_errors == 0);
    REQUIRE(spans.size() == 1);
}

TEST_CASE("core: a protocol that gives up on its connection counts it as unknown_protocol",
          "[core][protocols]") {
    // HTTP/1 claims the connection, then the bytes stop framing as HTTP/1.
    std::vector<std::vector<uint8_t>> evs{data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, kReq),
                                          data_event(100, 7, 1, BEYLA_DIR_EGRESS, 2000, kResp)};
    uint64_t ts = 3000;
    for (int i = 0; i < 100; i++)
        evs.push_back(data_event(100, 7, 1, BEYLA_DIR_INGRESS, ts += 1000, "\x01\x02garbage"));
    std::vector<Seen> spans;
    auto st = run(evs, &spans);
    CHECK(spans.size() == 1);
    CHECK(st.unknown_protocol == 1);
    CHECK(st.parse_errors > 0);
}

TEST_CASE("core: the protocol selection decodes only what was asked for", "[core][protocols]") {
    std::vector<std::vector<uint8_t>> evs{data_event(100, 7, 1, BEYLA_DIR_INGRESS, 1000, kReq),
                                          data_event(100, 7, 1, BEYLA_DIR_EGRESS, 2000, kResp)};
    std::vector<Seen> spans;
    auto st = run(evs, &spans, {"http"});
    CHECK(spans.size() == 1);

    // A selection without HTTP/1: its bytes are claimed by nothing.
    std::vector<std::string> others;
    for (auto n : protocols::registry_names())
        if (n != "http") others.emplace_back(n);
    if (!others.empty()) {
        spans.clear();
        std::vector<std::vector<uint8_t>> more;
        uint64_t ts = 1000;
        for (int i = 0; i < 20; i++) {
            more.push_back(data_event(100, 7, 1, BEYLA_DIR_INGRESS, ts += 1000, kReq));
            more.push_back(
                data_event(100, 7, 1, BEYLA_DIR_EGRESS, ts += 1000, kResp + std::string(4000, 'x')));
        }
        st = run(more, &spans, others);
        CHECK(spans.empty());
        CHECK(st.unknown_protocol == 1);
    }
}

TEST_CASE("core: an unknown protocol name is refused, naming the known ones", "[core][protocols]") {
    TracerOptions o;
    o.replay_path = "/nonexistent";
    o.protocols = {"http", "gopher"};
    try {
        Tracer t(std::move(o));
        FAIL("accepted an unknown protocol");
    } catch (const Error &e) {
        CHECK(e.code() == EINVAL);
        CHECK(std::string(e.what()).find("gopher") != std::string::npos);
        CHECK(std::string(e.what()).find("http") != std::string::npos);
    }
}

TEST_CASE("core: the registry lists each protocol once, by name", "[core][protocols]") {
    auto names = protocols::registry_names();
    REQUIRE(!names.empty());
    CHECK(names[0].data()[names[0].size()] == '\0'); // handed out as C strings
    for (size_t i = 0; i < names.size(); i++)
        for (size_t j = i + 1; j < names.size(); j++) CHECK(names[i] != names[j]);
    CHECK(protocols::find_protocol("http") != nullptr);
    CHECK(protocols::find_protocol("nope") == nullptr);
}
