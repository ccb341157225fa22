// The raw event decoder: fuzz bytes as a sequence of ring buffer records, handed to a
// Tracer through its source_factory, run through connection tracking, HTTP/1 and span
// building. Every span that comes out is serialised, so a bad pointer in it shows.
//
// Input: byte 0 picks the tracer's bounds (connection limit, idle timeout, url.query);
// then records of [u16 len][len bytes], each copied to an 8-aligned buffer as the ring
// buffer hands them over.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/span_json.h"
#include "core/tracer.h"
#include "fuzz_input.h"
#include "source/event_source.h"

using namespace beyla;

namespace {

class FuzzSource : public OfflineSource {
  public:
    FuzzSource(const uint8_t *data, size_t size) : in_(data, size) {}
    int poll(int, const RawEventFn &fn) override {
        if (in_.empty()) return -ENODATA;
        int n = 0;
        // A few records per poll, like a partial buffer drain.
        while (!in_.empty() && n < 8) {
            const uint16_t len = in_.take<uint16_t>();
            auto rec = in_.bytes(len);
            buf_.assign((rec.size() + 7) / 8 + 1, 0);
            std::memcpy(buf_.data(), rec.data(), rec.size());
            fn(buf_.data(), rec.size());
            n++;
        }
        return n;
    }
    std::string describe() const override { return "fuzz input"; }

  private:
    fuzz::Input in_;
    std::vector<uint64_t> buf_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    TracerOptions o;
    // Nothing from this machine's /proc may leak into a run.
    o.proc_root = "/nonexistent";
    o.sys_root = "/nonexistent";
    o.max_connections = (mode & 1) ? 4 : 65536;
    o.conn_idle_ns = (mode & 2) ? 5000 : 300ull * 1000 * 1000 * 1000;
    o.capture_url_query = mode & 4;
    o.logger = Logger{};
    std::string json;
    o.on_span = [&](const beyla_span &s) {
        json.clear();
        span_to_json(s, json);
        if (s.attr_count && !s.attrs) __builtin_trap();
        for (size_t i = 0; i < s.attr_count; i++)
            if (!s.attrs[i].key) __builtin_trap();
    };
    o.source_factory = [data, size] { return std::make_unique<FuzzSource>(data + 1, size - 1); };
    Tracer t(std::move(o));
    t.start();
    for (int i = 0; i < 100000 && t.poll(0) != -ENODATA; i++) {
    }
    (void)t.stats();
    t.stop();
    return 0;
}
