// Redis (RESP2, RESP3, inline commands) behind the generic protocol interface.
#pragma once

#include "protocols/common/protocol.h"

namespace beyla::redis {

// Registry name "redis".
const protocols::Protocol &protocol();

} // namespace beyla::redis
