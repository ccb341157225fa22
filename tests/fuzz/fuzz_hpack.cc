// The HPACK decoder over a sequence of header blocks: any bytes must decode or fail
// cleanly, and the dynamic table must stay within its bounds.
//
// Input: byte 0 picks the table memory, whether the decoder joined late and a
// SETTINGS_HEADER_TABLE_SIZE; then blocks of [u16 len][len bytes].
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "protocols/http2/hpack/decoder.h"

using namespace beyla::http2::hpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    beyla::fuzz::Input in(data, size);
    const uint8_t mode = in.take<uint8_t>();
    const size_t memory[4] = {64, 512, 4096, Decoder::kDefaultMemory};
    Decoder d(memory[mode & 3]);
    if (mode & 4) d.set_joined_late();
    if (mode & 8) d.set_limit(uint32_t(mode) << 6);
    struct Ctx {
        size_t fields = 0;
    } ctx;
    const FieldSink sink{[](void *p, const Field &f) {
                             auto *c = static_cast<Ctx *>(p);
                             c->fields++;
                             // Unknown parts carry nothing.
                             if (!f.name_known && !f.name.empty()) __builtin_trap();
                             if (!f.value_known && !f.value.empty()) __builtin_trap();
                         },
                         &ctx};
    while (!in.empty()) {
        const uint16_t len = in.take<uint16_t>();
        const auto block = in.bytes(len);
        d.decode(block, sink);
        if (d.size() > memory[mode & 3]) __builtin_trap();
        if (d.max_known() && d.size() > d.max_size()) __builtin_trap();
        for (size_t i = 0; i < d.entries(); i++) {
            const Field f = d.entry(i);
            if (f.name.size() + f.value.size() + 32 > memory[mode & 3]) __builtin_trap();
        }
    }
    return 0;
}
