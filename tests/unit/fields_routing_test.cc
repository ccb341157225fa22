// Header fields from in-process probes (BEYLA_EV_HTTP2_HEADER) reach the connection's
// protocol state through ProtocolConnection::add_fields: routed by the core with no protocol
// named, a state created for them when no protocol claimed the connection, bad events
// counted. The protocol here is a test double that makes an exchange of each stream's
// fields alone, the way an HTTP/2 connection joined late must for blocks it cannot decode.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tracer.h"
#include "event_builder.h"
#include "source/event_source.h"

using namespace beyla;
using namespace beyla::test;
using protocols::Direction;

namespace {

class VectorSource : public OfflineSource {
  public:
    explicit VectorSource(std::deque<std::vector<uint8_t>> *events) : ev_(events) {}
    int poll(int, const RawEventFn &fn) override {
        if (ev_->empty()) return -ENODATA;
        int n = 0;
        for (; !ev_->empty(); n++) {
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
    std::vector<uint64_t> buf_;
};

// Exchanges from fields only: a stream's request block (the server's decoded, or the
// client's encoded one) and its response block with :status make one exchange.
class FieldsConnection : public protocols::ProtocolConnection {
  public:
    explicit FieldsConnection(protocols::Role role) : role_(role) {}
    void set_role(protocols::Role role) override {
        if (role_ == protocols::Role::kUnknown) role_ = role;
    }
    protocols::Role role() const override { return role_; }
    void add(Direction, const protocols::DataChunk &c) override { wire_bytes += c.total; }
    void lost(Direction, uint64_t, uint64_t) override {}
    void close(uint64_t) override {}
    void abandon(uint64_t) override {}
    void drain(const protocols::ExchangeSink &sink) override {
        for (auto &s : done_) {
            protocols::Exchange ex;
            ex.protocol = 0;
            ex.version = "2";
            ex.method = s.fields[":method"];
            ex.path = s.fields[":path"];
            ex.status = std::stoi(s.fields[":status"]);
            ex.ts_begin = s.begin;
            ex.ts_end = s.end;
            sink(ex);
        }
        done_.clear();
    }
    protocols::ConnectionCounters counters() const override { return {}; }
    bool given_up() const override { return false; }
    bool parsed_any() const override { return false; }
    void add_fields(Direction dir, uint32_t stream, std::span<const protocols::HeaderField> fields, bool end,
                    bool, uint64_t ts) override {
        Stream &s = streams_[stream];
        if (!s.begin) s.begin = ts;
        for (const auto &f : fields) s.fields[std::string(f.name)] = std::string(f.value);
        const bool answer = (dir == Direction::kEgress) == (role_ == protocols::Role::kServer);
        if (end && answer && s.fields.count(":status")) {
            s.end = ts;
            done_.push_back(std::move(s));
            streams_.erase(stream);
        }
    }
    uint64_t wire_bytes = 0;

  private:
    struct Stream {
        std::map<std::string, std::string> fields;
        uint64_t begin = 0, end = 0;
    };
    protocols::Role role_;
    std::map<uint32_t, Stream> streams_;
    std::vector<Stream> done_;
};

class FieldsProtocol : public protocols::Protocol {
  public:
    std::string_view name() const override { return "fields-double"; }
    protocols::Inference infer(Direction, std::span<const uint8_t>, protocols::Role) const override {
        return protocols::Inference::kNo;
    }
    std::unique_ptr<protocols::ProtocolConnection> make(protocols::Role role,
                                                        const protocols::ProtocolConfig &) const override {
        made++;
        return std::make_unique<FieldsConnection>(role);
    }
    bool accepts_fields() const override { return true; }
    mutable int made = 0;
};

struct Span {
    std::string method, path, scheme;
    int status;
};

struct Run {
    std::deque<std::vector<uint8_t>> events;
    std::vector<Span> spans;
    std::unique_ptr<Tracer> tracer;
    FieldsProtocol double_;

    explicit Run(bool with_double = true) {
        TracerOptions o;
        o.proc_root = "/nonexistent";
        o.protocols = {"http"}; // the registry's HTTP/2 takes fields too: the double alone here
        if (with_double) o.extra_protocols.push_back(&double_);
        o.on_span = [this](const beyla_span &s) {
            Span c{s.method ? s.method : "", s.path ? s.path : "", "", s.status};
            for (size_t i = 0; i < s.attr_count; i++)
                if (std::string(s.attrs[i].key) == "url.scheme") c.scheme = s.attrs[i].str;
            spans.push_back(c);
        };
        o.source_factory = [this] { return std::make_unique<VectorSource>(&events); };
        tracer = std::make_unique<Tracer>(std::move(o));
        tracer->start();
    }
    void add(std::vector<uint8_t> e) { events.push_back(std::move(e)); }
    void drain() {
        while (tracer->poll(0) != -ENODATA) {
        }
    }
    // A server's stream: request fields decoded, response fields encoded, each block ended.
    void server_stream(uint32_t stream, uint64_t ts, const std::string &method, const std::string &path,
                       const std::string &status) {
        add(h2_event(7, 5, 99, BEYLA_DIR_INGRESS, BEYLA_ROLE_SERVER, stream, ts, ":method", method,
                     BEYLA_H2_F_FIELD));
        add(h2_event(7, 5, 99, BEYLA_DIR_INGRESS, BEYLA_ROLE_SERVER, stream, ts + 1, ":path", path,
                     BEYLA_H2_F_FIELD | BEYLA_H2_F_END | BEYLA_H2_F_END_STREAM));
        add(h2_event(7, 5, 99, BEYLA_DIR_EGRESS, BEYLA_ROLE_SERVER, stream, ts + 50, ":status", status,
                     BEYLA_H2_F_FIELD));
        add(h2_event(7, 5, 99, BEYLA_DIR_EGRESS, BEYLA_ROLE_SERVER, stream, ts + 51, "", "", BEYLA_H2_F_END));
    }
};

} // namespace

TEST_CASE("Probed header fields create the fields-taking protocol's state and become spans",
          "[tracer][fields]") {
    Run r;
    r.server_stream(5, 1000, "GET", "/a", "200");
    r.server_stream(7, 2000, "POST", "/b", "503");
    r.drain();
    REQUIRE(r.spans.size() == 2);
    CHECK(r.spans[0].method == "GET");
    CHECK(r.spans[0].path == "/a");
    CHECK(r.spans[0].status == 200);
    CHECK(r.spans[1].method == "POST");
    CHECK(r.spans[1].status == 503);
    CHECK(r.double_.made == 1); // one connection state for both streams
    CHECK(r.tracer->protocol_counters().get("fields.events") == 8);
    CHECK(r.tracer->stats().malformed == 0);
}

TEST_CASE("Probed header fields: the connection's wire bytes still go to the same state, TLS plaintext "
          "does not restart it",
          "[tracer][fields]") {
    Run r;
    r.server_stream(1, 1000, "GET", "/x", "204");
    // The socket's plaintext, from the TLS probes, comes after the fields made the state.
    auto d =
        data_event(7, 5, 99, BEYLA_DIR_INGRESS, 900, std::string("\x00\x00\x00\x04\x01\x00\x00\x00\x00", 9));
    beyla_data_event ev;
    memcpy(&ev, d.data(), sizeof(ev));
    ev.flags = BEYLA_DATA_F_TLS;
    ev.syscall = BEYLA_SYS_TLS_READ;
    memcpy(d.data(), &ev, sizeof(ev));
    r.add(d);
    r.server_stream(3, 3000, "GET", "/y", "200");
    r.drain();
    REQUIRE(r.spans.size() == 2);
    CHECK(r.spans[1].path == "/y");
    CHECK(r.spans[1].scheme == "https");
    CHECK(r.double_.made == 1);
}

TEST_CASE("Probed header fields take over a connection set aside as no known protocol", "[tracer][fields]") {
    Run r;
    // Mid-stream HTTP/2 frames that no inference claims: the connection is set aside.
    for (int i = 0; i < 20; i++)
        r.add(data_event(7, 5, 99, BEYLA_DIR_INGRESS, 100 + i, std::string(8192, '\x07')));
    r.drain();
    CHECK(r.tracer->stats().unknown_protocol == 1);
    r.server_stream(9, 5000, "GET", "/late", "200");
    r.drain();
    REQUIRE(r.spans.size() == 1);
    CHECK(r.spans[0].path == "/late");
    CHECK(r.tracer->stats().unknown_protocol == 0);
}

TEST_CASE("Probed header fields: bad events are counted, fields nobody takes are counted",
          "[tracer][fields]") {
    SECTION("malformed") {
        Run r;
        auto e =
            h2_event(7, 5, 99, BEYLA_DIR_INGRESS, BEYLA_ROLE_SERVER, 1, 10, ":path", "/a", BEYLA_H2_F_FIELD);
        beyla_h2_header_event ev;
        memcpy(&ev, e.data(), sizeof(ev));
        auto put = [&](auto mutate) {
            beyla_h2_header_event x = ev;
            mutate(x);
            std::vector<uint8_t> b(sizeof(x));
            memcpy(b.data(), &x, sizeof(x));
            r.add(b);
        };
        put([](beyla_h2_header_event &x) { x.name_captured = 200; });
        put([](beyla_h2_header_event &x) { x.value_captured = 300; });
        put([](beyla_h2_header_event &x) { x.value_len = 0; });
        put([](beyla_h2_header_event &x) { x.direction = 9; });
        put([](beyla_h2_header_event &x) { x.flags = 0; });
        r.add(std::vector<uint8_t>(e.begin(), e.begin() + 100)); // cut short
        r.drain();
        CHECK(r.tracer->stats().malformed == 6);
        CHECK(r.spans.empty());
    }
    SECTION("no protocol takes fields") {
        Run r(false);
        r.server_stream(1, 1000, "GET", "/a", "200");
        r.drain();
        CHECK(r.spans.empty());
        CHECK(r.tracer->protocol_counters().get("fields.unclaimed") == 4);
        CHECK(r.tracer->stats().malformed == 0);
    }
}
