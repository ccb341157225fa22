// One HTTP/2 connection fed both directions in arbitrary chunkings, with gaps, losses, a
// late role and a close; every exchange it produces must be well formed and its state
// must stay within its bounds.
//
// Input: byte 0 picks the role and limits; then records of [u8 ctl][u8 len][len bytes]:
// ctl bit 0 is the direction, bit 1 adds (ctl >> 2) * 97 uncaptured bytes to the chunk,
// ctl == 0xfe reports a loss of len * 13 bytes (0: of unknown size), ctl == 0xff sets
// the role late.
#include <cstddef>
#include <cstdint>

#include "beyla/beyla.h"
#include "fuzz_input.h"
#include "protocols/http2/connection.h"

using namespace beyla;
using namespace beyla::http2;
using protocols::DataChunk;
using protocols::Direction;

namespace {

void check(const protocols::Exchange &ex) {
    if (ex.protocol != BEYLA_PROTO_HTTP2 && ex.protocol != BEYLA_PROTO_GRPC) __builtin_trap();
    if (ex.version != "2" || ex.ts_end < ex.ts_begin) __builtin_trap();
    if (ex.protocol == BEYLA_PROTO_GRPC && (!ex.method.empty() || !ex.path.empty())) __builtin_trap();
    for (const auto &a : ex.attrs)
        if (!a.key) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    ConnectionLimits lim;
    if (mode & 4) {
        // Small bounds reach the overflow paths with short inputs.
        lim.stream_capacity = 512;
        lim.max_streams = 4;
        lim.max_block = 64;
        lim.table_memory = 128;
        lim.max_done = 2;
    }
    lim.report_http2 = !(mode & 8);
    lim.report_grpc = !(mode & 16);
    Connection c(static_cast<protocols::Role>(mode % 3), lim);
    uint64_t ts = 1000;
    while (!in.empty()) {
        const uint8_t ctl = in.take<uint8_t>();
        const uint8_t len = in.take<uint8_t>();
        if (ctl == 0xff) {
            c.set_role((len & 1) ? protocols::Role::kClient : protocols::Role::kServer);
            continue;
        }
        if (ctl == 0xfe) {
            c.lost((len & 1) ? Direction::kEgress : Direction::kIngress, uint64_t(len) * 13, ts);
            continue;
        }
        auto payload = in.bytes(len);
        DataChunk ch;
        ch.ts_begin = ts;
        ch.ts_end = ts + 10;
        ts += 20;
        ch.captured = payload;
        ch.total = payload.size() + ((ctl & 2) ? uint64_t(ctl >> 2) * 97 : 0);
        c.add((ctl & 1) ? Direction::kEgress : Direction::kIngress, ch);
        if (c.open_streams() > lim.max_streams || c.ready() > lim.max_done) __builtin_trap();
        if (c.ready() > 1) c.drain(check);
    }
    c.close(ts);
    c.drain(check);
    if (c.open_streams() != 0) __builtin_trap();
    return 0;
}
