#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <string_view>

#include "protocols/http1/parse.h"

using namespace beyla::http1;
using beyla::protocols::ParseStats;

namespace {

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

ParseState head(MessageType type, std::string_view text, Message *m, Framing *f = nullptr,
                size_t *len = nullptr) {
    Framing fr;
    size_t n = 0;
    return parse_head(type, text, m, f ? f : &fr, len ? len : &n);
}

ParseState req_head(std::string_view text, Message *m = nullptr) {
    Message tmp;
    return head(MessageType::kRequest, text, m ? m : &tmp);
}

ParseState resp_head(std::string_view text, Message *m = nullptr) {
    Message tmp;
    return head(MessageType::kResponse, text, m ? m : &tmp);
}

// Parses all frames of one type from a single chunk.
struct OneWay {
    DataStream s;
    ParserState st;
    std::deque<Message> out;
    ParseStats stats;
    ParseState feed(MessageType type, std::string_view text, uint64_t total = 0) {
        s.append(DataChunk{1, 2, bytes(text), total ? total : text.size()});
        return beyla::protocols::parse_frames(type, s, &out, &stats, &st);
    }
};

} // namespace

TEST_CASE("http1 request line", "[http1]") {
    Message m;
    size_t len = 0;
    Framing f;
    const std::string_view get = "GET /api/v1/users?id=42&sort=asc HTTP/1.1\r\nHost: example.com\r\n"
                                 "User-Agent: curl/8.0\r\nAccept: */*\r\n\r\nTRAILING";
    REQUIRE(head(MessageType::kRequest, get, &m, &f, &len) == ParseState::kSuccess);
    CHECK(len == get.size() - 8);
    CHECK(m.type == MessageType::kRequest);
    CHECK(m.method == "GET");
    CHECK(m.target == "/api/v1/users?id=42&sort=asc");
    CHECK(m.path == "/api/v1/users");
    CHECK(m.query == "id=42&sort=asc");
    CHECK(m.minor_version == 1);
    CHECK(m.status == -1);
    REQUIRE(m.headers.size() == 3);
    CHECK(m.headers[0].name == "host");
    CHECK(m.headers[0].value == "example.com");
    CHECK(m.headers.get("user-agent") == "curl/8.0");
    CHECK(m.headers.get("User-Agent") == "curl/8.0");
    CHECK(m.headers.get("x-missing").empty());
    CHECK(f.content_length == -1);
    CHECK_FALSE(f.transfer_encoding);

    SECTION("target forms") {
        REQUIRE(req_head("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.path == "/a/b");
        CHECK(m.query == "c=d");
        REQUIRE(req_head("GET http://example.com HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.path == "/");
        REQUIRE(req_head("OPTIONS * HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.path == "*");
        REQUIRE(req_head("CONNECT example.com:443 HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.target == "example.com:443");
        CHECK(m.path.empty());
        REQUIRE(req_head("GET /p?#frag HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.path == "/p");
        CHECK(m.query.empty());
        REQUIRE(req_head("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", &m) == ParseState::kSuccess);
    }
    SECTION("methods: standard and extension tokens, not garbage") {
        for (const char *ok : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH",
                               "PROPFIND", "PURGE", "MKCOL", "M-SEARCH", "VERSION-CONTROL"}) {
            CAPTURE(ok);
            CHECK(req_head(std::string(ok) + " / HTTP/1.1\r\n\r\n") == ParseState::kSuccess);
        }
        for (const char *bad : {"get", "Get", "G3T", "-GET", "GE T", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}) {
            CAPTURE(bad);
            CHECK(req_head(std::string(bad) + " / HTTP/1.1\r\n\r\n") == ParseState::kInvalid);
        }
    }
    SECTION("versions") {
        REQUIRE(req_head("GET / HTTP/1.0\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.minor_version == 0);
        CHECK(req_head("GET / HTTP/2.0\r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head("GET /\r\n\r\n") == ParseState::kInvalid); // HTTP/0.9
        CHECK(req_head("GET / HTTP/1.1 \r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head("GET  / HTTP/1.1\r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head("GET / http/1.1\r\n\r\n") == ParseState::kInvalid);
    }
}

TEST_CASE("http1 status line", "[http1]") {
    Message m;
    REQUIRE(resp_head("HTTP/1.1 404 Not Found\r\n\r\n", &m) == ParseState::kSuccess);
    CHECK(m.type == MessageType::kResponse);
    CHECK(m.status == 404);
    CHECK(m.reason == "Not Found");
    CHECK(m.minor_version == 1);
    REQUIRE(resp_head("HTTP/1.0 200\r\n\r\n", &m) == ParseState::kSuccess);
    CHECK(m.status == 200);
    CHECK(m.reason.empty());
    CHECK(m.minor_version == 0);
    REQUIRE(resp_head("HTTP/1.1 200 \r\n\r\n", &m) == ParseState::kSuccess);
    CHECK(resp_head("HTTP/1.1 99 Low\r\n\r\n") == ParseState::kInvalid);
    CHECK(resp_head("HTTP/1.1 600 High\r\n\r\n") == ParseState::kInvalid);
    CHECK(resp_head("HTTP/1.1 2000 OK\r\n\r\n") == ParseState::kInvalid);
    CHECK(resp_head("HTTP/2 200\r\n\r\n") == ParseState::kInvalid);
    CHECK(resp_head("GET / HTTP/1.1\r\n\r\n") == ParseState::kInvalid);
    CHECK(req_head("HTTP/1.1 200 OK\r\n\r\n") == ParseState::kInvalid);
}

TEST_CASE("http1 header fields", "[http1]") {
    Message m;
    SECTION("bare LF line endings") {
        REQUIRE(req_head("GET / HTTP/1.1\nHost: a\nX-Y:  spaced value \t\n\n", &m) == ParseState::kSuccess);
        CHECK(m.headers.get("host") == "a");
        CHECK(m.headers.get("x-y") == "spaced value");
    }
    SECTION("mixed line endings") {
        REQUIRE(req_head("GET / HTTP/1.1\r\nHost: a\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.headers.size() == 1);
    }
    SECTION("empty value") {
        REQUIRE(req_head("GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", &m) == ParseState::kSuccess);
        CHECK(m.headers.contains("x-empty"));
        CHECK(m.headers.get("x-empty").empty());
    }
    SECTION("names are lowercased, iteration in order") {
        REQUIRE(req_head("GET / HTTP/1.1\r\nX-Trace-ID: AbC\r\nACCEPT: x\r\n\r\n", &m) ==
                ParseState::kSuccess);
        std::vector<std::string> names;
        for (auto f : m.headers) names.emplace_back(f.name);
        CHECK(names == std::vector<std::string>{"x-trace-id", "accept"});
        CHECK(m.headers.get("x-trace-id") == "AbC"); // values keep their case
    }
    SECTION("strict syntax") {
        CHECK(req_head("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == ParseState::kInvalid); // space before colon
        CHECK(req_head("GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n") == ParseState::kInvalid); // obs-fold
        CHECK(req_head("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head("GET / HTTP/1.1\r\n: novalue\r\n\r\n") == ParseState::kInvalid);
        CHECK(req_head(std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27)) == ParseState::kInvalid);
        CHECK(req_head("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n") == ParseState::kInvalid); // bare CR
        CHECK(req_head("GET / HTTP/1.1\r\nX(y): a\r\n\r\n") == ParseState::kInvalid);
    }
}

TEST_CASE("http1 content-length rules", "[http1]") {
    Message m;
    Framing f;
    size_t len;
    REQUIRE(head(MessageType::kRequest, "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", &m, &f, &len) ==
            ParseState::kSuccess);
    CHECK(f.content_length == 5);
    REQUIRE(head(MessageType::kRequest, "POST / HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n",
                 &m, &f, &len) == ParseState::kSuccess);
    CHECK(f.content_length == 7);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n") == ParseState::kInvalid);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") ==
          ParseState::kInvalid);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == ParseState::kInvalid);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n") == ParseState::kInvalid);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n") == ParseState::kInvalid);
    CHECK(req_head("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") ==
          ParseState::kInvalid);

    REQUIRE(head(MessageType::kResponse, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &m,
                 &f, &len) == ParseState::kSuccess);
    CHECK(f.transfer_encoding);
    CHECK(f.chunked);
    REQUIRE(head(MessageType::kResponse, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &m,
                 &f, &len) == ParseState::kSuccess);
    CHECK(f.transfer_encoding);
    CHECK_FALSE(f.chunked);
}

TEST_CASE("http1 head bounds", "[http1]") {
    SECTION("header block over the limit without terminator") {
        std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(kMaxHeadBytes, 'a');
        CHECK(req_head(big) == ParseState::kInvalid);
        CHECK(req_head(big.substr(0, kMaxHeadBytes - 1)) == ParseState::kNeedsMoreData);
    }
    SECTION("complete but over the limit") {
        std::string big = "GET / HTTP/1.1\r\n";
        while (big.size() < kMaxHeadBytes) big += "X-Filler: " + std::string(100, 'b') + "\r\n";
        big += "\r\n";
        CHECK(req_head(big) == ParseState::kInvalid);
    }
    SECTION("field count and size are bounded, framing still honoured") {
        std::string text = "POST / HTTP/1.1\r\n";
        for (int i = 0; i < 70; i++) text += "X-H" + std::to_string(i) + ": v\r\n";
        text += "Content-Length: 3\r\nX-Long: " + std::string(10000, 'v') + "\r\n\r\n";
        Message m;
        Framing f;
        size_t len;
        REQUIRE(head(MessageType::kRequest, text, &m, &f, &len) == ParseState::kSuccess);
        CHECK(m.headers.size() == Headers::kMaxCount);
        CHECK(m.headers.omitted() == 72 - Headers::kMaxCount);
        CHECK(f.content_length == 3);
        CHECK(m.headers.get("x-h63") == "v");
        CHECK_FALSE(m.headers.contains("x-h64"));

        Headers h;
        h.add(std::string(9000, 'N'), std::string(9000, 'v'));
        REQUIRE(h.size() == 1);
        CHECK(h[0].name.size() == Headers::kMaxNameLen);
        CHECK(h[0].value.size() == Headers::kMaxValueLen);
        CHECK(h[0].name[0] == 'n');
    }
}

TEST_CASE("http1 partial and garbage heads", "[http1]") {
    const std::string_view full = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t i = 0; i < full.size(); i++) {
        CAPTURE(i);
        CHECK(req_head(full.substr(0, i)) == ParseState::kNeedsMoreData);
    }
    const std::string_view resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (size_t i = 0; i < resp.size(); i++) {
        CAPTURE(i);
        CHECK(resp_head(resp.substr(0, i)) == ParseState::kNeedsMoreData);
    }
    // Garbage is rejected as soon as it is visible, not buffered to the limit.
    CHECK(req_head("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == ParseState::kInvalid);
    CHECK(req_head("*1\r\n$4\r\nPING\r\n") == ParseState::kInvalid);
    CHECK(req_head("GET\t/") == ParseState::kInvalid);
    CHECK(req_head("GET \x01") == ParseState::kInvalid);
    CHECK(req_head("GET / HTTP/9.9\r\nHost: partial") == ParseState::kInvalid);
    CHECK(resp_head("HTTX") == ParseState::kInvalid);
    CHECK(resp_head("HTTP/1.1 2x") == ParseState::kInvalid);
}

TEST_CASE("http1 start classification", "[http1]") {
    auto k = [](std::string_view s) { return classify_start(bytes(s)); };
    CHECK(k("") == StartKind::kMaybe);
    CHECK(k("G") == StartKind::kMaybe);
    CHECK(k("GET") == StartKind::kMaybe);
    CHECK(k("GET ") == StartKind::kMaybe);
    CHECK(k("GET /") == StartKind::kRequest);
    CHECK(k("PURGE http://x/") == StartKind::kRequest);
    CHECK(k("H") == StartKind::kMaybe);
    CHECK(k("HTTP") == StartKind::kMaybe);
    CHECK(k("HTTP/1.1 20") == StartKind::kMaybe);
    CHECK(k("HTTP/1.1 200") == StartKind::kResponse);
    CHECK(k("HEAD /") == StartKind::kRequest);
    CHECK(k("HTTP/2 200") == StartKind::kNotHttp);
    CHECK(k("get /") == StartKind::kNotHttp);
    CHECK(k("GET  /") == StartKind::kNotHttp);
    CHECK(k("\x16\x03\x01") == StartKind::kNotHttp);
    CHECK(k("*1\r\n") == StartKind::kNotHttp);
    CHECK(k("{\"json\":1}") == StartKind::kNotHttp);
    CHECK(k(std::string(30, 'A')) == StartKind::kNotHttp);
}

TEST_CASE("http1 body framing through ParseFrame", "[http1]") {
    OneWay w;
    SECTION("content-length body") {
        w.feed(MessageType::kRequest, "POST /submit HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world");
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].body_size == 11);
        CHECK(w.out[0].content_length == 11);
        CHECK_FALSE(w.out[0].body_truncated);
        CHECK(w.s.empty());
    }
    SECTION("chunked with extensions and trailers") {
        w.feed(MessageType::kRequest,
               "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5;name=val;flag\r\nhello\r\n6 ; x=\"q\"\r\n world\r\nA\r\n0123456789\r\n"
               "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].chunked);
        CHECK(w.out[0].body_size == 21);
        CHECK(w.stats.invalid == 0);
        CHECK(w.s.empty());
    }
    SECTION("chunked, upper-case hex and bare LF") {
        w.feed(MessageType::kResponse,
               "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n1F\n" + std::string(31, 'z') + "\n0\n\n");
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].body_size == 31);
    }
    SECTION("request with a non-chunked transfer coding cannot be framed") {
        w.feed(MessageType::kRequest, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxxxx");
        CHECK(w.out.empty());
        CHECK(w.stats.invalid == 1);
    }
    SECTION("transfer-encoding overrides content-length") {
        w.feed(MessageType::kRequest, "POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: "
                                      "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].body_size == 2);
    }
    SECTION("bad chunk size line") {
        w.feed(MessageType::kRequest, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        CHECK(w.out.empty());
        CHECK(w.stats.invalid == 1);
    }
    SECTION("chunk data not followed by CRLF") {
        w.feed(MessageType::kRequest,
               "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n");
        CHECK(w.out.empty());
        CHECK(w.stats.invalid == 1);
    }
    SECTION("request without framing headers has no body") {
        w.feed(MessageType::kRequest, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        REQUIRE(w.out.size() == 2);
        CHECK(w.out[0].body_size == 0);
        CHECK(w.out[1].path == "/b");
    }
    SECTION("stray CRLF between requests is skipped") {
        w.feed(MessageType::kRequest,
               "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\nGET /b HTTP/1.1\r\n\r\n");
        REQUIRE(w.out.size() == 2);
        CHECK(w.out[1].path == "/b");
        CHECK(w.stats.invalid == 0);
    }
    SECTION("interim responses are ignored") {
        w.feed(MessageType::kResponse,
               "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
               "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].status == 200);
        CHECK(w.stats.ignored == 2);
    }
    SECTION("a body-less status does not swallow the next response") {
        w.feed(MessageType::kResponse, "HTTP/1.1 204 No Content\r\n\r\n"
                                       "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n"
                                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        REQUIRE(w.out.size() == 3);
        CHECK(w.out[0].body_size == 0);
        CHECK(w.out[1].body_size == 0);
        CHECK(w.out[1].content_length == 1234);
        CHECK(w.out[2].body_size == 2);
    }
    SECTION("response to HEAD has no body") {
        std::deque<Message> reqs(2);
        reqs[0].method = "HEAD";
        reqs[1].method = "GET";
        w.st.requests = &reqs;
        w.feed(MessageType::kResponse, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
                                       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
        REQUIRE(w.out.size() == 2);
        CHECK(w.out[0].body_size == 0);
        CHECK(w.out[0].content_length == 1234);
        CHECK(w.out[1].body_size == 3);
        CHECK(w.st.next_request == 2);
    }
    SECTION("response without length runs until close") {
        w.feed(MessageType::kResponse, "HTTP/1.0 200 OK\r\n\r\nsome");
        w.feed(MessageType::kResponse, " more");
        CHECK(w.out.empty());
        CHECK(w.st.until_close());
        Message m;
        REQUIRE(finish_at_close(&w.st, &m));
        CHECK(m.body_size == 9);
        CHECK(m.status == 200);
        CHECK_FALSE(finish_at_close(&w.st, &m));
    }
    SECTION("101 stops the response stream") {
        CHECK(w.feed(MessageType::kResponse, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
                                             "\x81\x05hello") == ParseState::kEndOfStream);
        REQUIRE(w.out.size() == 1);
        CHECK(w.out[0].status == 101);
        CHECK(w.stats.invalid == 0);
        CHECK(w.st.paused);
    }
    SECTION("an upgrade request pauses the request stream") {
        CHECK(w.feed(MessageType::kRequest,
                     "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                     "\x82\x00") == ParseState::kEndOfStream);
        REQUIRE(w.out.size() == 1);
        CHECK(w.st.paused);
    }
}

TEST_CASE("http1 field value checks hold at every byte position", "[http1]") {
    // Values are checked eight bytes at a time: a bad byte must be found wherever it is.
    for (size_t len : {1u, 7u, 8u, 9u, 16u, 23u, 40u}) {
        for (size_t pos = 0; pos < len; pos++) {
            for (char bad : {'\x00', '\x01', '\x1f', '\x7f', '\r', '\n'}) {
                if (bad == '\n' && pos + 1 == len) continue; // just a bare-LF line end
                std::string value(len, 'v');
                value[pos] = bad;
                CAPTURE(len, pos, int(bad));
                // A bare LF splits the field into a line without a colon: invalid too.
                CHECK(req_head("GET / HTTP/1.1\r\nX-V: " + value + "\r\n\r\n") == ParseState::kInvalid);
            }
            for (char good : {'\t', ' ', '~', '\x80', '\xff', '!'}) {
                std::string value(len, 'v');
                if (pos == 0 || pos + 1 == len) continue; // leading/trailing OWS is trimmed
                value[pos] = good;
                Message m;
                CAPTURE(len, pos, int(good));
                REQUIRE(req_head("GET / HTTP/1.1\r\nX-V: " + value + "\r\n\r\n", &m) == ParseState::kSuccess);
                CHECK(m.headers.get("x-v") == value);
            }
        }
    }
}

TEST_CASE("http1 header names are lowercased exactly", "[http1]") {
    Headers h;
    const std::string name = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{az09-_\x80\xc1\xdaZ";
    std::string expect = name;
    for (char &c : expect)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    h.add(name, "Value");
    h.add("X", "y");
    REQUIRE(h.size() == 2);
    CHECK(h[0].name == expect);
    CHECK(h[0].value == "Value");
    CHECK(h[1].name == "x");
    // Copies and moves keep their own text.
    Headers copy = h;
    Headers moved = std::move(h);
    CHECK(copy.get("x") == "y");
    CHECK(moved.get("x") == "y");
    CHECK(h.empty());
    copy.add("Later", "z");
    CHECK(moved.size() == 2);
    CHECK(copy.size() == 3);
    for (int i = 0; i < 100; i++) copy.add("N" + std::to_string(i), std::string(static_cast<size_t>(i), 'q'));
    CHECK(copy.size() == Headers::kMaxCount);
    CHECK(copy.omitted() == 103 - Headers::kMaxCount);
    CHECK(copy.get("n60") == std::string(60, 'q'));
    CHECK(copy.get("x") == "y");
}

TEST_CASE("http1 prefixes of the wrong message type are rejected early", "[http1]") {
    CHECK(resp_head("GET") == ParseState::kInvalid);
    CHECK(resp_head("HTTP/1.") == ParseState::kNeedsMoreData);
    CHECK(req_head("HTTP/") == ParseState::kInvalid);
    CHECK(req_head("HTTP") == ParseState::kNeedsMoreData); // could still be a method
}
