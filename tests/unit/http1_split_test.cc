// However the kernel cuts a request/response pair into syscalls, the same record must
// come out, with timestamps from the chunks that held its first and last bytes.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/http1/stitcher.h"

using namespace beyla::http1;

namespace {

constexpr std::string_view kReq =
    "POST /upload?id=7 HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: yes\r\n\r\n";
constexpr std::string_view kResp =
    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    "3\r\nabc\r\n0\r\n\r\n";
// The same exchange with a Content-Length response.
constexpr std::string_view kResp2 = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";

// Cuts text at the given offsets (sorted, within (0, size)).
std::vector<std::string_view> cut(std::string_view text, std::vector<size_t> at) {
    std::vector<std::string_view> parts;
    size_t from = 0;
    for (size_t p : at) {
        if (p <= from || p >= text.size()) continue;
        parts.push_back(text.substr(from, p - from));
        from = p;
    }
    parts.push_back(text.substr(from));
    return parts;
}

std::vector<std::string_view> bytewise(std::string_view text) {
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < text.size(); i++) parts.push_back(text.substr(i, 1));
    return parts;
}

// Feeds request parts then response parts. Request chunk k has ts_begin 1000 + 10k,
// response chunk k has 100000 + 10k; ts_end is ts_begin + 5.
void check_exchange(Role given, Direction req_dir, const std::vector<std::string_view> &req,
                    std::string_view resp_text, const std::vector<std::string_view> &resp,
                    int64_t resp_body) {
    Connection c(given);
    const Direction resp_dir = req_dir == Direction::kIngress ? Direction::kEgress : Direction::kIngress;
    for (size_t k = 0; k < req.size(); k++) {
        const uint64_t ts = 1000 + 10 * k;
        c.add(req_dir, DataChunk{ts,
                                 ts + 5,
                                 {reinterpret_cast<const uint8_t *>(req[k].data()), req[k].size()},
                                 req[k].size()});
    }
    REQUIRE(c.ready() == 0);
    for (size_t k = 0; k < resp.size(); k++) {
        const uint64_t ts = 100000 + 10 * k;
        c.add(resp_dir, DataChunk{ts,
                                  ts + 5,
                                  {reinterpret_cast<const uint8_t *>(resp[k].data()), resp[k].size()},
                                  resp[k].size()});
        if (k + 1 < resp.size()) REQUIRE(c.ready() == 0);
    }
    auto recs = c.take();
    REQUIRE(recs.size() == 1);
    const Record &r = recs[0];
    CHECK(r.req.method == "POST");
    CHECK(r.req.path == "/upload");
    CHECK(r.req.query == "id=7");
    CHECK(r.req.body_size == 9);
    CHECK(r.req.chunked);
    CHECK(r.req.header_bytes == kReq.find("\r\n\r\n") + 4);
    CHECK(r.resp.status == (resp_text == kResp ? 201 : 200));
    CHECK(r.resp.body_size == resp_body);
    CHECK(r.req.ts_begin == 1000);
    CHECK(r.req.ts_end == 1000 + 10 * (req.size() - 1) + 5);
    CHECK(r.resp.ts_begin == 100000);
    CHECK(r.resp.ts_end == 100000 + 10 * (resp.size() - 1) + 5);
    CHECK(r.ts_begin() == 1000);
    CHECK(r.ts_end() == 100000 + 10 * (resp.size() - 1) + 5);
    CHECK(c.counters().parse_errors == 0);
    CHECK(c.counters().invalid_frames == 0);
    CHECK(c.counters().unmatched == 0);
    CHECK(c.role() == (req_dir == Direction::kIngress ? Role::kServer : Role::kClient));
}

} // namespace

TEST_CASE("http1 every split point of a request and of a response", "[http1]") {
    for (std::string_view resp_text : {kResp, kResp2}) {
        const int64_t body = resp_text == kResp ? 3 : 12;
        for (size_t i = 0; i <= kReq.size(); i++) {
            for (size_t j = 0; j <= resp_text.size(); j++) {
                CAPTURE(resp_text, i, j);
                check_exchange(Role::kServer, Direction::kIngress, cut(kReq, {i}), resp_text,
                               cut(resp_text, {j}), body);
            }
        }
    }
}

TEST_CASE("http1 every pair of split points within a request", "[http1]") {
    for (size_t i = 1; i < kReq.size(); i++) {
        for (size_t j = i + 1; j < kReq.size(); j++) {
            CAPTURE(i, j);
            check_exchange(Role::kServer, Direction::kIngress, cut(kReq, {i, j}), kResp, {kResp}, 3);
        }
    }
}

TEST_CASE("http1 one-byte chunks", "[http1]") {
    for (std::string_view resp_text : {kResp, kResp2}) {
        const int64_t body = resp_text == kResp ? 3 : 12;
        check_exchange(Role::kServer, Direction::kIngress, bytewise(kReq), resp_text, bytewise(resp_text),
                       body);
        check_exchange(Role::kClient, Direction::kEgress, bytewise(kReq), resp_text, bytewise(resp_text),
                       body);
        // The role is inferred however little the first chunk holds.
        check_exchange(Role::kUnknown, Direction::kIngress, bytewise(kReq), resp_text, bytewise(resp_text),
                       body);
        check_exchange(Role::kUnknown, Direction::kEgress, bytewise(kReq), resp_text, bytewise(resp_text),
                       body);
    }
}

TEST_CASE("http1 split points with an inferred role", "[http1]") {
    for (size_t i = 0; i <= kReq.size(); i++) {
        CAPTURE(i);
        check_exchange(Role::kUnknown, Direction::kIngress, cut(kReq, {i}), kResp,
                       cut(kResp, {i % kResp.size()}), 3);
        check_exchange(Role::kUnknown, Direction::kEgress, cut(kReq, {i}), kResp2,
                       cut(kResp2, {i % kResp2.size()}), 12);
    }
}

TEST_CASE("http1 split points across a keep-alive stream", "[http1]") {
    // Two exchanges back to back in each direction, the stream cut anywhere: the second
    // request may share a chunk with the end of the first.
    const std::string reqs = std::string(kReq) + "GET /second HTTP/1.1\r\nHost: example\r\n\r\n";
    const std::string resps = std::string(kResp2) + std::string(kResp);
    for (size_t i = 0; i <= reqs.size(); i++) {
        CAPTURE(i);
        Connection c(Role::kServer);
        // Requests first, then responses: HTTP/1 clients may pipeline.
        uint64_t ts = 10;
        for (auto part : cut(reqs, {i})) {
            c.add(
                Direction::kIngress,
                DataChunk{
                    ts, ts + 1, {reinterpret_cast<const uint8_t *>(part.data()), part.size()}, part.size()});
            ts += 10;
        }
        for (auto part : cut(resps, {resps.size() - i % resps.size()})) {
            c.add(Direction::kEgress, DataChunk{ts,
                                                ts + 1,
                                                {reinterpret_cast<const uint8_t *>(part.data()), part.size()},
                                                part.size()});
            ts += 10;
        }
        auto recs = c.take();
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].req.path == "/upload");
        CHECK(recs[0].resp.body_size == 12);
        CHECK(recs[1].req.path == "/second");
        CHECK(recs[1].resp.status == 201);
        CHECK(recs[1].resp.body_size == 3);
        CHECK(c.counters().parse_errors == 0);
    }
}
