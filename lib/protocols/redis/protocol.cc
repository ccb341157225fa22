#include "protocols/redis/protocol.h"

#include <algorithm>
#include <array>

#include "beyla/beyla.h"
#include "protocols/common/db_attrs.h"
#include "protocols/redis/parse.h"
#include "protocols/redis/stitcher.h"

namespace beyla::redis {

namespace {

using protocols::Exchange;
using protocols::ExchangeAttr;
using protocols::ExchangeSink;
using protocols::Inference;
namespace db = protocols::db;

class RedisConnection final : public protocols::ProtocolConnection {
  public:
    RedisConnection(Role role, const protocols::ProtocolConfig &cfg) : conn_(role, limits(cfg)) {
        // Pushes are named counters of the tracer; tests may give none.
        pushes_ = cfg.counters ? &cfg.counters->at("redis.pushes") : &own_pushes_;
    }

    void set_role(Role role) override { conn_.set_role(role); }
    Role role() const override { return conn_.role(); }
    void add(Direction dir, const DataChunk &chunk) override { conn_.add(dir, chunk); }
    void lost(Direction dir, uint64_t bytes, uint64_t ts) override { conn_.lost(dir, bytes, ts); }
    void close(uint64_t ts) override { conn_.close(ts); }
    void abandon(uint64_t ts) override { conn_.abandon(ts); }
    bool given_up() const override { return conn_.given_up(); }
    bool parsed_any() const override { return conn_.parsed_any(); }
    protocols::ConnectionCounters counters() const override {
        return {conn_.counters().parse_errors, conn_.counters().unmatched + conn_.counters().dropped};
    }

    void drain(const ExchangeSink &sink) override {
        const uint64_t pushes = conn_.counters().pushes;
        *pushes_ += pushes - pushes_seen_;
        pushes_seen_ = pushes;
        conn_.drain([&](const Record &r) {
            std::array<ExchangeAttr, 5> attrs;
            size_t n = 0;
            attrs[n++] = {db::kSystemName, false, "redis", 0};
            attrs[n++] = {db::kOperationName, false, r.cmd.op, 0};
            attrs[n++] = {db::kQueryText, false, r.cmd.text, 0};
            if (!r.cmd.ns.empty()) attrs[n++] = {db::kNamespace, false, r.cmd.ns, 0};
            if (r.reply.error) attrs[n++] = {db::kResponseStatusCode, false, r.reply.prefix, 0};
            Exchange ex;
            ex.protocol = BEYLA_PROTO_REDIS;
            ex.ts_begin = r.cmd.ts_begin;
            ex.ts_end = std::max(r.reply.ts_end, r.cmd.ts_begin);
            if (r.fail) {
                ex.error_type = r.fail;
                ex.incomplete = true;
            } else if (r.reply.error) {
                ex.error_type = r.reply.prefix;
            }
            ex.attrs = std::span<const ExchangeAttr>(attrs.data(), n);
            sink(ex);
        });
    }

  private:
    static ConnectionLimits limits(const protocols::ProtocolConfig &cfg) {
        ConnectionLimits l;
        l.raw = cfg.db_query_raw;
        return l;
    }
    Connection conn_;
    uint64_t *pushes_ = nullptr;
    uint64_t own_pushes_ = 0;
    uint64_t pushes_seen_ = 0;
};

class RedisProtocol final : public protocols::Protocol {
  public:
    std::string_view name() const override { return "redis"; }

    Inference infer(Direction, std::span<const uint8_t> head, Role) const override {
        switch (classify_start(head)) {
        case Start::kCommand:
            return Inference::kYes;
        case Start::kMaybe:
            return Inference::kNeedMore;
        default:
            return Inference::kNo;
        }
    }

    std::unique_ptr<protocols::ProtocolConnection> make(Role role,
                                                        const protocols::ProtocolConfig &cfg) const override {
        return std::make_unique<RedisConnection>(role, cfg);
    }
};

} // namespace

const protocols::Protocol &protocol() {
    static const RedisProtocol p;
    return p;
}

} // namespace beyla::redis
