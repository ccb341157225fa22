#include "protocols/http2/hpack/huffman.h"

#include <array>

namespace beyla::http2::hpack {

namespace {

// Code lengths of RFC 7541 Appendix B by symbol. The code is canonical: within a length,
// codes rise with the symbol and each length continues from the previous one, so the
// lengths alone define it (checked against the RFC's codes in the tests).
constexpr uint8_t kLengths[257] = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //
    6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,  //
    5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10, //
    13, 6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  //
    7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8,  13, 19, 13, 14, 6,  //
    15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  //
    6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7,  15, 11, 14, 13, 28, //
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, //
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, //
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, //
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, //
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, //
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, //
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, //
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, //
    30,
};

constexpr unsigned kEos = 256;

struct Codes {
    uint32_t code[257] = {};
};

constexpr Codes make_codes() {
    Codes c;
    uint32_t next = 0;
    unsigned prev_len = 0;
    bool first = true;
    for (unsigned len = 1; len <= 30; len++) {
        for (unsigned s = 0; s < 257; s++) {
            if (kLengths[s] != len) continue;
            if (!first) next = (next + 1) << (len - prev_len);
            first = false;
            prev_len = len;
            c.code[s] = next;
        }
    }
    return c;
}

constexpr Codes kCodes = make_codes();

// The decoding automaton: one state per internal node of the code tree (the root is 0);
// each step consumes four bits and emits at most one symbol (no code is shorter than 5).
struct Step {
    uint8_t next = 0;
    uint8_t sym = 0;
    uint8_t flags = 0;
};
constexpr uint8_t kEmit = 1;
constexpr uint8_t kFail = 2;   // the EOS symbol was decoded: invalid in a string
constexpr uint8_t kAccept = 4; // ending in `next` is valid padding (at most 7 one-bits)

struct Machine {
    std::array<std::array<Step, 16>, 256> steps{};
};

constexpr Machine make_machine() {
    // The tree: internal nodes 0..255; child < 0 is a leaf holding symbol -child - 1.
    int16_t child[256][2] = {};
    bool ones[256] = {}; // path from the root is all one-bits
    uint8_t depth[256] = {};
    int nodes = 1;
    ones[0] = true;
    for (unsigned s = 0; s < 257; s++) {
        int n = 0;
        const unsigned len = kLengths[s];
        for (unsigned i = 0; i < len; i++) {
            const int bit = (kCodes.code[s] >> (len - 1 - i)) & 1;
            if (i + 1 == len) {
                child[n][bit] = static_cast<int16_t>(-static_cast<int>(s) - 1);
            } else {
                if (child[n][bit] == 0) {
                    child[n][bit] = static_cast<int16_t>(nodes);
                    ones[nodes] = ones[n] && bit == 1;
                    depth[nodes] = static_cast<uint8_t>(depth[n] + 1);
                    nodes++;
                }
                n = child[n][bit];
            }
        }
    }
    Machine m;
    for (int state = 0; state < 256; state++) {
        for (int nib = 0; nib < 16; nib++) {
            Step st;
            int n = state;
            for (int i = 3; i >= 0; i--) {
                const int c = child[n][(nib >> i) & 1];
                if (c < 0) {
                    const unsigned sym = static_cast<unsigned>(-c - 1);
                    if (sym == kEos) st.flags |= kFail;
                    st.flags |= kEmit;
                    st.sym = static_cast<uint8_t>(sym);
                    n = 0;
                } else {
                    n = c;
                }
            }
            st.next = static_cast<uint8_t>(n);
            if (n == 0 || (ones[n] && depth[n] <= 7)) st.flags |= kAccept;
            m.steps[state][nib] = st;
        }
    }
    return m;
}

constexpr Machine kMachine = make_machine();

} // namespace

bool huffman_decode(std::span<const uint8_t> in, std::string *out) {
    const size_t start = out->size();
    // At most 8/5 symbols per byte: one resize, then plain stores.
    out->resize(start + in.size() * 8 / 5 + 1);
    char *w = out->data() + start;
    uint8_t state = 0;
    uint8_t fl = kAccept;
    for (const uint8_t b : in) {
        const Step &hi = kMachine.steps[state][b >> 4];
        if (hi.flags & kEmit) *w++ = static_cast<char>(hi.sym);
        const Step &lo = kMachine.steps[hi.next][b & 0xf];
        if (lo.flags & kEmit) *w++ = static_cast<char>(lo.sym);
        if ((hi.flags | lo.flags) & kFail) {
            out->resize(static_cast<size_t>(w - out->data()));
            return false;
        }
        state = lo.next;
        fl = lo.flags;
    }
    out->resize(static_cast<size_t>(w - out->data()));
    return (fl & kAccept) != 0;
}

uint8_t huffman_code_length(unsigned symbol) {
    return symbol < 257 ? kLengths[symbol] : 0;
}

uint32_t huffman_code(unsigned symbol) {
    return symbol < 257 ? kCodes.code[symbol] : 0;
}

} // namespace beyla::http2::hpack
