// TLS record headers seen in a socket's own bytes: ciphertext the tracer cannot decrypt
// (TLS capture off, or a library it did not probe) is recognised and set aside, so it is
// never taken for malformed HTTP.
#pragma once

#include <cstddef>
#include <cstdint>

namespace beyla::tls {

// RFC 8446 5.1 / RFC 5246 6.2.1: type (20 change_cipher_spec, 21 alert, 22 handshake,
// 23 application_data), legacy version 3.x (x <= 4), then a length no larger than
// 2^14 + 2048 (TLSCiphertext's limit). HTTP/1 text never starts with bytes 20-23.
inline bool looks_like_record(const uint8_t *p, size_t n) {
    if (n < 5) return false;
    if (p[0] < 20 || p[0] > 23 || p[1] != 3 || p[2] > 4) return false;
    const unsigned len = (static_cast<unsigned>(p[3]) << 8) | p[4];
    return len > 0 && len <= (1u << 14) + 2048;
}

} // namespace beyla::tls
