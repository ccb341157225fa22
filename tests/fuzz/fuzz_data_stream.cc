// DataStream under any sequence of appends (with and without gaps), consumes, clears and
// lookups; checks its invariants after each step.
//
// Input: byte 0 picks the capacity; then ops of [u8 op][...]: 0 append [u8 len][bytes]
// [u16 gap], 1 consume [u16 n], 2 consume to the next chunk boundary, 3 clear, 4 release,
// 5 times_at [u16 offset], 6 append [u8 len][bytes][u64 total] (any count a corrupt event
// may claim).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "protocols/common/data_stream.h"

using namespace beyla::protocols;

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) __builtin_trap();                                                                          \
    } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    beyla::fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    const size_t caps[4] = {1, 64, 4096, DataStream::kDefaultCapacity};
    DataStream s(caps[mode & 3]);
    uint64_t ts = 1;
    while (!in.empty()) {
        const uint8_t op = in.take<uint8_t>() % 7;
        switch (op) {
        case 0: {
            const uint8_t len = in.take<uint8_t>();
            auto payload = in.bytes(len);
            const uint16_t gap = in.take<uint16_t>();
            DataChunk c;
            c.ts_begin = ts;
            c.ts_end = ts + 1;
            ts += 2;
            c.captured = payload;
            c.total = payload.size() + gap;
            const uint64_t end_before = s.end();
            s.append(c);
            CHECK(s.end() == end_before + c.total);
            break;
        }
        case 6: {
            auto payload = in.bytes(in.take<uint8_t>());
            DataChunk c;
            c.ts_begin = c.ts_end = ts++;
            c.captured = payload;
            c.total = in.take<uint64_t>();
            const uint64_t end_before = s.end();
            s.append(c);
            CHECK(s.end() >= end_before && s.end() - end_before <= DataStream::kMaxChunkTotal);
            break;
        }
        case 1:
            s.consume(in.take<uint16_t>());
            break;
        case 2:
            s.consume(s.next_chunk_boundary() - s.position());
            break;
        case 3:
            s.clear();
            CHECK(s.empty());
            break;
        case 4:
            s.release();
            CHECK(s.empty());
            break;
        case 5: {
            auto t = s.times_at(s.position() + in.take<uint16_t>());
            CHECK(t.ts_begin <= t.ts_end);
            break;
        }
        }
        CHECK(s.position() <= s.end());
        CHECK(s.next_chunk_boundary() >= s.position() && s.next_chunk_boundary() <= s.end());
        auto h = s.head();
        CHECK(h.size() <= s.available());
        CHECK(s.buffered() <= s.capacity());
        // Touch every byte head() claims, so ASan sees a stale or short span.
        volatile uint8_t sink = 0;
        for (uint8_t b : h) sink = sink ^ b;
        (void)sink;
    }
    return 0;
}
