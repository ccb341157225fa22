// One HTTP/1 connection fed chunks of both directions, gaps included, then closed; every
// record it produces must pair a request with a response and keep its bounds.
//
// Input: byte 0 picks the role and limits; then records of [u8 ctl][u8 len][len bytes]:
// ctl bit 0 is the direction, bit 1 adds a gap of (ctl >> 2) * 131 bytes, ctl == 0xff
// with len == 0xff sets the role late (as when accept was not seen).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "protocols/http1/stitcher.h"

using namespace beyla;
using namespace beyla::http1;
using protocols::DataChunk;
using protocols::Direction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    ConnectionLimits lim;
    if (mode & 4) {
        // Small bounds reach the overflow and max_pending paths with short inputs.
        lim.stream_capacity = 256;
        lim.max_pending = 4;
    }
    Connection c(static_cast<Role>(mode % 3), lim);
    uint64_t ts = 1000;
    while (!in.empty()) {
        const uint8_t ctl = in.take<uint8_t>();
        const uint8_t len = in.take<uint8_t>();
        if (ctl == 0xff && len == 0xff) {
            c.set_role((mode & 8) ? Role::kClient : Role::kServer);
            continue;
        }
        auto payload = in.bytes(len);
        DataChunk ch;
        ch.ts_begin = ts;
        ch.ts_end = ts + 10;
        ts += 20;
        ch.captured = payload;
        ch.total = payload.size() + ((ctl & 2) ? uint64_t(ctl >> 2) * 131 : 0);
        c.add((ctl & 1) ? Direction::kEgress : Direction::kIngress, ch);
        if (c.ready() > 16) {
            for (const Record &r : c.take())
                if (r.req.type != MessageType::kRequest || r.resp.type != MessageType::kResponse)
                    __builtin_trap();
        }
    }
    c.close(ts);
    c.drain([](Record &&r) {
        if (r.req.type != MessageType::kRequest || r.resp.type != MessageType::kResponse) __builtin_trap();
    });
    if (c.pending_requests() > lim.max_pending + 1) __builtin_trap();
    return 0;
}
