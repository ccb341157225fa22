// HTTP/2 (and gRPC over it) behind the generic protocol interface: inference from the
// preface or plausible frames, the connection (connection.h) as the per-connection state,
// and h2c upgrades handed over by HTTP/1.
#pragma once

#include "protocols/common/protocol.h"

namespace beyla::http2 {

// Registry name "http2"; also serves "grpc".
const protocols::Protocol &protocol();

} // namespace beyla::http2
