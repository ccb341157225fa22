// One redis connection fed chunks of both directions, losses included, then closed: it must
// never crash or hang, and every record must keep its bounds.
//
// Input: byte 0 picks the role; then records of [u8 ctl][u8 len][len bytes]: ctl bit 0 is
// the direction, bit 1 adds uncaptured bytes ((ctl >> 2) * 37 of them), ctl == 0xfe a loss
// of len bytes (0: unknown size), ctl == 0xff with len == 0xff sets the role late.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "protocols/redis/stitcher.h"

using namespace beyla;
using namespace beyla::redis;
using protocols::DataChunk;
using protocols::Direction;

namespace {

void check(const Record &r) {
    // The op is bounded by the argument bound; a span never ends before it begins.
    if (r.cmd.op.size() > 2 * kMaxArgLen + 1 || r.cmd.text.size() > 1028) __builtin_trap();
    if (!r.fail && r.reply.ts_end < r.cmd.ts_begin) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    ConnectionLimits lim;
    lim.max_pending = 8;
    lim.stream_capacity = 512;
    Connection c(static_cast<Role>(mode % 3), lim);
    uint64_t ts = 1000;
    while (!in.empty()) {
        const uint8_t ctl = in.take<uint8_t>();
        const uint8_t len = in.take<uint8_t>();
        if (ctl == 0xff && len == 0xff) {
            c.set_role((mode & 8) ? Role::kClient : Role::kServer);
            continue;
        }
        if (ctl == 0xfe) {
            c.lost((len & 1) ? Direction::kEgress : Direction::kIngress, len >> 1, ts += 20);
            continue;
        }
        auto payload = in.bytes(len);
        DataChunk ch;
        ch.ts_begin = ts;
        ch.ts_end = ts + 10;
        ts += 20;
        ch.captured = payload;
        ch.total = payload.size() + ((ctl & 2) ? uint64_t(ctl >> 2) * 37 : 0);
        c.add((ctl & 1) ? Direction::kEgress : Direction::kIngress, ch);
        if (c.ready() > 16) c.drain(check);
        if (c.pending() > lim.max_pending) __builtin_trap();
    }
    if (mode & 16)
        c.close(ts);
    else
        c.abandon(ts);
    c.drain(check);
    return 0;
}
