// Builds HTTP/2 frames and HPACK header blocks for tests (a small encoder of its own: the
// decoder is never used to make its own input).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace beyla::test::h2 {

using Bytes = std::string;

inline Bytes preface() {
    return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}

inline Bytes frame(uint8_t type, uint8_t flags, uint32_t sid, const Bytes &payload) {
    Bytes f;
    const size_t n = payload.size();
    f += static_cast<char>((n >> 16) & 0xff);
    f += static_cast<char>((n >> 8) & 0xff);
    f += static_cast<char>(n & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    for (int s = 24; s >= 0; s -= 8) f += static_cast<char>((sid >> s) & 0xff);
    return f + payload;
}

inline Bytes u32(uint32_t v) {
    Bytes b;
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((v >> s) & 0xff);
    return b;
}

inline Bytes settings(std::vector<std::pair<uint16_t, uint32_t>> kv = {}) {
    Bytes p;
    for (auto [k, v] : kv) {
        p += static_cast<char>(k >> 8);
        p += static_cast<char>(k & 0xff);
        p += u32(v);
    }
    return frame(0x4, 0, 0, p);
}
inline Bytes settings_ack() {
    return frame(0x4, 0x1, 0, "");
}
inline Bytes window_update(uint32_t sid, uint32_t inc) {
    return frame(0x8, 0, sid, u32(inc));
}
inline Bytes ping(bool ack = false) {
    return frame(0x6, ack ? 1 : 0, 0, "12345678");
}
inline Bytes priority(uint32_t sid) {
    return frame(0x2, 0, sid, u32(0) + "\x10");
}
inline Bytes rst(uint32_t sid, uint32_t code) {
    return frame(0x3, 0, sid, u32(code));
}
inline Bytes goaway(uint32_t last, uint32_t code, const Bytes &debug = "") {
    return frame(0x7, 0, 0, u32(last) + u32(code) + debug);
}
inline Bytes data(uint32_t sid, const Bytes &payload, bool end = false) {
    return frame(0x0, end ? 0x1 : 0, sid, payload);
}
inline Bytes data_padded(uint32_t sid, const Bytes &payload, uint8_t pad, bool end = false) {
    return frame(0x0, 0x8 | (end ? 0x1 : 0), sid,
                 Bytes(1, static_cast<char>(pad)) + payload + Bytes(pad, '\0'));
}
// HEADERS with END_HEADERS.
inline Bytes headers(uint32_t sid, const Bytes &block, bool end_stream = false) {
    return frame(0x1, 0x4 | (end_stream ? 0x1 : 0), sid, block);
}
// HEADERS with PADDED and PRIORITY set.
inline Bytes headers_padded_priority(uint32_t sid, const Bytes &block, uint8_t pad, bool end_stream = false) {
    return frame(0x1, 0x4 | 0x8 | 0x20 | (end_stream ? 0x1 : 0), sid,
                 Bytes(1, static_cast<char>(pad)) + u32(3) + Bytes(1, '\x0f') + block + Bytes(pad, '\0'));
}
// A header block over HEADERS and CONTINUATION frames of at most `piece` bytes each.
inline Bytes headers_split(uint32_t sid, const Bytes &block, size_t piece, bool end_stream = false) {
    Bytes out;
    size_t off = 0;
    bool first = true;
    do {
        const Bytes part = block.substr(off, piece);
        off += part.size();
        const bool last = off >= block.size();
        const uint8_t fl = static_cast<uint8_t>((last ? 0x4 : 0) | (first && end_stream ? 0x1 : 0));
        out += frame(first ? 0x1 : 0x9, fl, sid, part);
        first = false;
    } while (off < block.size());
    return out;
}
inline Bytes push_promise(uint32_t sid, uint32_t promised, const Bytes &block) {
    return frame(0x5, 0x4, sid, u32(promised) + block);
}

// HPACK encoding pieces.
inline Bytes hp_int(unsigned prefix_bits, uint8_t first, uint64_t v) {
    Bytes b;
    const uint64_t max = (1u << prefix_bits) - 1;
    if (v < max) {
        b += static_cast<char>(first | v);
        return b;
    }
    b += static_cast<char>(first | max);
    v -= max;
    while (v >= 128) {
        b += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    b += static_cast<char>(v);
    return b;
}
inline Bytes hp_str(const Bytes &s) {
    return hp_int(7, 0, s.size()) + s;
}
inline Bytes indexed(uint64_t i) {
    return hp_int(7, 0x80, i);
}
// Literal without indexing, new name.
inline Bytes literal(const Bytes &name, const Bytes &value) {
    return Bytes(1, '\0') + hp_str(name) + hp_str(value);
}
// Literal without indexing, indexed name.
inline Bytes literal_idx(uint64_t name_index, const Bytes &value) {
    return hp_int(4, 0, name_index) + hp_str(value);
}
// Literal with incremental indexing.
inline Bytes literal_inc(const Bytes &name, const Bytes &value) {
    return Bytes(1, '\x40') + hp_str(name) + hp_str(value);
}
inline Bytes literal_inc_idx(uint64_t name_index, const Bytes &value) {
    return hp_int(6, 0x40, name_index) + hp_str(value);
}
inline Bytes size_update(uint64_t size) {
    return hp_int(5, 0x20, size);
}

// A request block: :method, :scheme http, :path, :authority, literal without indexing.
inline Bytes request_block(const Bytes &method, const Bytes &path, const Bytes &content_type = "") {
    Bytes b;
    if (method == "GET")
        b += indexed(2);
    else if (method == "POST")
        b += indexed(3);
    else
        b += literal_idx(2, method);
    b += indexed(6); // :scheme http
    b += literal_idx(4, path);
    b += literal_idx(1, "localhost:8080");
    if (!content_type.empty()) b += literal_idx(31, content_type);
    return b;
}
inline Bytes status_block(int status) {
    switch (status) {
    case 200:
        return indexed(8);
    case 404:
        return indexed(13);
    case 500:
        return indexed(14);
    default:
        return literal_idx(8, std::to_string(status));
    }
}
inline Bytes hex(const char *h) {
    Bytes out;
    auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (const char *p = h; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        out += static_cast<char>(nib(p[0]) * 16 + nib(p[1]));
        p += 2;
    }
    return out;
}

} // namespace beyla::test::h2
