#include "protocols/memcached/protocol.h"

#include <algorithm>
#include <array>

#include "beyla/beyla.h"
#include "protocols/common/db_attrs.h"
#include "protocols/memcached/parse.h"
#include "protocols/memcached/stitcher.h"

namespace beyla::memcached {

namespace {

using protocols::Exchange;
using protocols::ExchangeAttr;
using protocols::ExchangeSink;
using protocols::Inference;
namespace db = protocols::db;

class MemcachedConnection final : public protocols::ProtocolConnection {
  public:
    MemcachedConnection(Role role, const protocols::ProtocolConfig &cfg) : conn_(role) {
        binary_ = cfg.counters ? &cfg.counters->at("memcached.binary") : &own_binary_;
    }

    void set_role(Role role) override { conn_.set_role(role); }
    Role role() const override { return conn_.role(); }
    void add(Direction dir, const DataChunk &chunk) override {
        conn_.add(dir, chunk);
        count_binary();
    }
    void lost(Direction dir, uint64_t bytes, uint64_t ts) override { conn_.lost(dir, bytes, ts); }
    void close(uint64_t ts) override { conn_.close(ts); }
    void abandon(uint64_t ts) override { conn_.abandon(ts); }
    bool given_up() const override { return conn_.given_up(); }
    bool parsed_any() const override { return conn_.parsed_any(); }
    protocols::ConnectionCounters counters() const override {
        return {conn_.counters().parse_errors, conn_.counters().unmatched + conn_.counters().dropped};
    }

    void drain(const ExchangeSink &sink) override {
        conn_.drain([&](const Record &r) {
            std::array<ExchangeAttr, 3> attrs;
            size_t n = 0;
            attrs[n++] = {db::kSystemName, false, "memcached", 0};
            attrs[n++] = {db::kOperationName, false, r.req.op, 0};
            // OpenTelemetry: a batch size only for operations on two or more keys.
            if (r.req.keys >= 2) attrs[n++] = {db::kBatchSize, true, {}, r.req.keys};
            Exchange ex;
            ex.protocol = BEYLA_PROTO_MEMCACHED;
            ex.ts_begin = r.req.ts_begin;
            ex.ts_end = std::max(r.resp.ts_end, r.req.ts_begin);
            if (r.fail) {
                ex.error_type = r.fail;
                ex.incomplete = true;
            } else if (r.resp.error) {
                ex.error_type = r.resp.word;
            }
            ex.attrs = std::span<const ExchangeAttr>(attrs.data(), n);
            sink(ex);
        });
    }

  private:
    void count_binary() {
        if (conn_.counters().binary && !binary_counted_) {
            binary_counted_ = true;
            ++*binary_;
        }
    }
    Connection conn_;
    uint64_t *binary_ = nullptr;
    uint64_t own_binary_ = 0;
    bool binary_counted_ = false;
};

class MemcachedProtocol final : public protocols::Protocol {
  public:
    std::string_view name() const override { return "memcached"; }

    Inference infer(Direction, std::span<const uint8_t> head, Role) const override {
        switch (classify_start(head)) {
        case Start::kText:
        case Start::kBinary:
            return Inference::kYes;
        case Start::kMaybe:
            return Inference::kNeedMore;
        default:
            return Inference::kNo;
        }
    }

    std::unique_ptr<protocols::ProtocolConnection> make(Role role,
                                                        const protocols::ProtocolConfig &cfg) const override {
        return std::make_unique<MemcachedConnection>(role, cfg);
    }
};

} // namespace

const protocols::Protocol &protocol() {
    static const MemcachedProtocol p;
    return p;
}

} // namespace beyla::memcached
