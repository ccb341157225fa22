// Whether a connection's first captured bytes in one direction are HTTP/2.
#pragma once

#include <cstdint>
#include <span>

#include "protocols/common/protocol.h"

namespace beyla::http2 {

// Yes on the client preface, or (a connection joined mid-way, a server's first SETTINGS)
// on a chain of plausible frames; NeedMore on a prefix of either; No otherwise.
protocols::Inference infer(std::span<const uint8_t> head);

} // namespace beyla::http2
