// HTTP/1.x behind the generic protocol interface: inference from a request or status line,
// and the stitcher (stitcher.h) as the per-connection state.
#pragma once

#include "protocols/common/protocol.h"

namespace beyla::http1 {

// Registry name "http".
const protocols::Protocol &protocol();

} // namespace beyla::http1
