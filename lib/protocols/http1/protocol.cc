#include "protocols/http1/protocol.h"

#include <algorithm>

#include "beyla/beyla.h"
#include "protocols/http1/parse.h"
#include "protocols/http1/stitcher.h"

namespace beyla::http1 {

namespace {

using protocols::Exchange;
using protocols::ExchangeSink;
using protocols::Inference;

std::string_view version_text(int minor) {
    return minor == 0 ? "1.0" : "1.1";
}

class Http1Connection final : public protocols::ProtocolConnection {
  public:
    Http1Connection(Role role, const protocols::ProtocolConfig &cfg) : conn_(role, limits(cfg)) {}

    void set_role(Role role) override { conn_.set_role(role); }
    Role role() const override { return conn_.role(); }
    void add(Direction dir, const DataChunk &chunk) override { conn_.add(dir, chunk); }
    void lost(Direction dir, uint64_t bytes, uint64_t ts) override { conn_.lost(dir, bytes, ts); }
    void close(uint64_t ts) override { conn_.close(ts); }
    void abandon(uint64_t ts) override { conn_.abandon(ts); }
    bool given_up() const override { return conn_.non_http(); }
    bool parsed_any() const override { return conn_.parsed_any(); }
    protocols::ConnectionCounters counters() const override {
        return {conn_.parse_errors(), conn_.unmatched()};
    }
    std::unique_ptr<protocols::Handoff> take_handoff() override { return conn_.take_handoff(); }

    void drain(const ExchangeSink &sink) override {
        conn_.drain([&](const Record &r) {
            Exchange ex;
            ex.protocol = BEYLA_PROTO_HTTP1;
            ex.ts_begin = r.req.ts_begin;
            ex.ts_end = std::max(r.resp.ts_end, r.req.ts_begin);
            ex.version = version_text(r.req.minor_version);
            ex.method = r.req.method;
            ex.path = r.req.path;
            ex.query = r.req.query;
            ex.has_query = !r.req.query.empty();
            ex.status = r.resp.status;
            ex.req_body = r.req.body_size;
            ex.resp_body = r.resp.body_size;
            if (const char *e = r.error_type()) {
                ex.error_type = e;
                ex.incomplete = true;
            }
            sink(ex);
        });
    }

  private:
    static ConnectionLimits limits(const protocols::ProtocolConfig &cfg) {
        ConnectionLimits l;
        l.keep_headers = cfg.keep_headers;
        l.hand_off_h2c = cfg.enabled.has("http2") || cfg.enabled.has("grpc");
        return l;
    }
    Connection conn_;
};

class Http1Protocol final : public protocols::Protocol {
  public:
    std::string_view name() const override { return "http"; }

    Inference infer(Direction, std::span<const uint8_t> head, Role) const override {
        // The HTTP/2 connection preface has the shape of a request line: never ours.
        constexpr std::string_view kPreface = "PRI * HTTP/2";
        const std::string_view v(reinterpret_cast<const char *>(head.data()), head.size());
        if (v.substr(0, std::min(v.size(), kPreface.size())) ==
            kPreface.substr(0, std::min(v.size(), kPreface.size())))
            return v.size() >= kPreface.size() ? Inference::kNo : Inference::kNeedMore;
        switch (classify_start(head)) {
        case StartKind::kRequest:
        case StartKind::kResponse:
            return Inference::kYes;
        case StartKind::kMaybe:
            return Inference::kNeedMore;
        case StartKind::kNotHttp:
            break;
        }
        return Inference::kNo;
    }

    std::unique_ptr<protocols::ProtocolConnection> make(Role role,
                                                        const protocols::ProtocolConfig &cfg) const override {
        return std::make_unique<Http1Connection>(role, cfg);
    }
};

} // namespace

const protocols::Protocol &protocol() {
    static const Http1Protocol p;
    return p;
}

} // namespace beyla::http1
