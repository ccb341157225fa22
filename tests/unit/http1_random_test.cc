// Randomly generated exchanges, cut at random points: the records must match what was
// generated. Mutated streams must never crash and never invent messages.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http1/stitcher.h"

using namespace beyla::http1;

namespace {

struct Exchange {
    std::string method, path;
    int status = 200;
    int64_t req_body = 0, resp_body = 0;
    std::string req, resp; // wire bytes (resp includes any interim responses)
};

std::string body_bytes(std::mt19937 &rng, size_t n) {
    std::string b(n, '\0');
    for (auto &c : b) c = static_cast<char>(rng()); // bodies are arbitrary bytes
    return b;
}

// Body with framing headers appended to `head` (which ends before the empty line).
std::string framed(std::mt19937 &rng, std::string head, size_t n, bool allow_chunked) {
    const std::string body = body_bytes(rng, n);
    if (allow_chunked && rng() % 2) {
        head += "Transfer-Encoding: chunked\r\n\r\n";
        size_t off = 0;
        while (off < n) {
            const size_t c = std::min<size_t>(n - off, 1 + rng() % 700);
            char hex[32];
            std::snprintf(hex, sizeof hex, rng() % 2 ? "%zx" : "%zX", c);
            head += hex;
            if (rng() % 4 == 0) head += ";ext=" + std::to_string(rng() % 100);
            head += "\r\n" + body.substr(off, c) + "\r\n";
            off += c;
        }
        head += "0\r\n";
        if (rng() % 3 == 0) head += "X-Trailer: t\r\n";
        return head + "\r\n";
    }
    return head + "Content-Length: " + std::to_string(n) + "\r\n\r\n" + body;
}

Exchange make_exchange(std::mt19937 &rng, int k) {
    static const char *methods[] = {"GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "PROPFIND"};
    Exchange e;
    e.method = methods[rng() % 7];
    e.path = "/r/" + std::to_string(k);
    std::string head = e.method + " " + e.path + "?k=" + std::to_string(k) + " HTTP/1.1\r\nHost: h\r\n";
    const bool has_body = e.method == "POST" || e.method == "PUT" || e.method == "PATCH";
    const bool expect = has_body && rng() % 4 == 0;
    if (expect) head += "Expect: 100-continue\r\n";
    if (has_body) {
        e.req_body = rng() % 3000;
        e.req = framed(rng, head, static_cast<size_t>(e.req_body), true);
    } else {
        e.req = head + "\r\n";
    }

    if (expect) e.resp += "HTTP/1.1 100 Continue\r\n\r\n";
    if (rng() % 10 == 0) e.resp += "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n";
    static const int statuses[] = {200, 201, 204, 304, 404, 500};
    e.status = statuses[rng() % 6];
    std::string rh = "HTTP/1.1 " + std::to_string(e.status) + " Reason\r\nServer: s\r\n";
    if (e.method == "HEAD") {
        e.resp += rh + "Content-Length: " + std::to_string(rng() % 100000) + "\r\n\r\n";
    } else if (e.status == 204 || e.status == 304) {
        e.resp += rh + (rng() % 2 ? "Content-Length: 99\r\n" : "") + "\r\n";
    } else {
        e.resp_body = rng() % 3000;
        e.resp += framed(rng, rh, static_cast<size_t>(e.resp_body), true);
    }
    return e;
}

// Feeds text as chunks cut at random points.
void feed_random(std::mt19937 &rng, Connection &c, Direction d, std::string_view text, uint64_t &ts) {
    while (!text.empty()) {
        const size_t n = std::min<size_t>(text.size(), 1 + rng() % (rng() % 4 ? 600 : 20));
        c.add(d, DataChunk{ts, ts + 1, {reinterpret_cast<const uint8_t *>(text.data()), n}, n});
        ts += 2;
        text.remove_prefix(n);
    }
}

} // namespace

TEST_CASE("http1 random exchanges with random cuts decode exactly", "[http1]") {
    std::mt19937 rng(20240601);
    for (int conn = 0; conn < 60; conn++) {
        std::vector<Exchange> ex;
        for (int k = 0; k < 30; k++) ex.push_back(make_exchange(rng, k));
        const Role role = static_cast<Role>(1 + conn % 2);
        const Direction req_dir = role == Role::kServer ? Direction::kIngress : Direction::kEgress;
        const Direction resp_dir = role == Role::kServer ? Direction::kEgress : Direction::kIngress;
        Connection c(conn % 3 == 0 ? Role::kUnknown : role);
        uint64_t ts = 1;
        std::vector<Record> recs;
        // Batches of pipelined requests, then their responses.
        for (size_t i = 0; i < ex.size();) {
            const size_t batch = std::min<size_t>(ex.size() - i, 1 + rng() % 4);
            std::string reqs, resps;
            for (size_t j = i; j < i + batch; j++) reqs += ex[j].req, resps += ex[j].resp;
            feed_random(rng, c, req_dir, reqs, ts);
            feed_random(rng, c, resp_dir, resps, ts);
            i += batch;
            for (auto &r : c.take()) recs.push_back(std::move(r));
        }
        CAPTURE(conn);
        REQUIRE(recs.size() == ex.size());
        for (size_t k = 0; k < ex.size(); k++) {
            CAPTURE(k, ex[k].method, ex[k].status);
            CHECK(recs[k].req.method == ex[k].method);
            CHECK(recs[k].req.path == ex[k].path);
            CHECK(recs[k].req.body_size == ex[k].req_body);
            CHECK(recs[k].resp.status == ex[k].status);
            CHECK(recs[k].resp.body_size == ex[k].resp_body);
            CHECK(recs[k].ts_begin() <= recs[k].ts_end());
        }
        CHECK(c.counters().parse_errors == 0);
        CHECK(c.counters().unmatched == 0);
        CHECK(c.role() == role);
    }
}

TEST_CASE("http1 mutated streams never crash or invent messages", "[http1]") {
    std::mt19937 rng(777);
    for (int conn = 0; conn < 150; conn++) {
        std::vector<Exchange> ex;
        for (int k = 0; k < 8; k++) ex.push_back(make_exchange(rng, k));
        std::string reqs, resps;
        for (auto &e : ex) reqs += e.req, resps += e.resp;
        for (int m = 0; m < 1 + conn % 5; m++) {
            std::string &s = rng() % 2 ? reqs : resps;
            s[rng() % s.size()] = static_cast<char>(rng());
        }
        Connection c(static_cast<Role>(conn % 3));
        uint64_t ts = 1;
        feed_random(rng, c, Direction::kIngress, reqs, ts);
        feed_random(rng, c, Direction::kEgress, resps, ts);
        c.close(ts);
        auto recs = c.take();
        CHECK(recs.size() <= ex.size());
        for (auto &r : recs) {
            // A flipped byte may alter a path; it can never produce more messages than sent.
            CHECK(r.req.type == MessageType::kRequest);
            CHECK(r.resp.type == MessageType::kResponse);
            CHECK((r.resp.status >= 100 || (r.resp.incomplete && r.resp.status == -1)));
        }
    }
}
