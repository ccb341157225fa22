#include "protocols/http2/protocol.h"

#include "protocols/http2/connection.h"
#include "protocols/http2/inference.h"

namespace beyla::http2 {

namespace {

using protocols::Inference;

class Http2Connection final : public protocols::ProtocolConnection {
  public:
    Http2Connection(Role role, const protocols::ProtocolConfig &cfg)
        : conn_(role, limits(cfg), cfg.counters) {}

    void set_role(Role role) override { conn_.set_role(role); }
    Role role() const override { return conn_.role(); }
    void add(Direction dir, const DataChunk &chunk) override { conn_.add(dir, chunk); }
    void lost(Direction dir, uint64_t bytes, uint64_t ts) override { conn_.lost(dir, bytes, ts); }
    void close(uint64_t ts) override { conn_.close(ts); }
    void abandon(uint64_t ts) override { conn_.abandon(ts); }
    bool given_up() const override { return conn_.given_up(); }
    bool parsed_any() const override { return conn_.parsed_any(); }
    protocols::ConnectionCounters counters() const override {
        return {conn_.counters().parse_errors, conn_.counters().unmatched};
    }
    void drain(const protocols::ExchangeSink &sink) override {
        conn_.drain([&](const protocols::Exchange &ex) { sink(ex); });
    }
    Connection &connection() { return conn_; }

  private:
    static ConnectionLimits limits(const protocols::ProtocolConfig &cfg) {
        ConnectionLimits l;
        l.report_http2 = cfg.enabled.has("http2");
        l.report_grpc = cfg.enabled.has("grpc");
        return l;
    }
    Connection conn_;
};

class Http2Protocol final : public protocols::Protocol {
  public:
    std::string_view name() const override { return "http2"; }
    std::span<const std::string_view> also_serves() const override {
        static constexpr std::string_view kAlso[] = {"grpc"};
        return kAlso;
    }
    Inference infer(Direction, std::span<const uint8_t> head, Role) const override {
        return http2::infer(head);
    }
    std::unique_ptr<protocols::ProtocolConnection> make(Role role,
                                                        const protocols::ProtocolConfig &cfg) const override {
        return std::make_unique<Http2Connection>(role, cfg);
    }
    std::unique_ptr<protocols::ProtocolConnection>
    make_from(const protocols::Handoff &h, Role role, const protocols::ProtocolConfig &cfg) const override {
        if (h.protocol != name() || h.token != "h2c") return nullptr;
        auto c = std::make_unique<Http2Connection>(role, cfg);
        c->connection().upgraded(h);
        return c;
    }
};

} // namespace

const protocols::Protocol &protocol() {
    static const Http2Protocol p;
    return p;
}

} // namespace beyla::http2
