// HPACK Huffman decoding (RFC 7541 §5.2, code of Appendix B), four bits per table step.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace beyla::http2::hpack {

// Appends the decoding of in to *out. False on an invalid encoding (EOS symbol, padding
// longer than 7 bits or not all ones): *out then holds a partial decoding.
bool huffman_decode(std::span<const uint8_t> in, std::string *out);

// Code length in bits of a symbol (0..255, 256 = EOS): the canonical code's shape, from
// which the codes themselves follow (exposed for tests and encoders in tests).
uint8_t huffman_code_length(unsigned symbol);
// The code of a symbol, right-aligned in the result.
uint32_t huffman_code(unsigned symbol);

} // namespace beyla::http2::hpack
