// memcached (text and meta protocol) behind the generic protocol interface; a binary
// protocol connection is claimed only to be counted ("memcached.binary") and set aside.
#pragma once

#include "protocols/common/protocol.h"

namespace beyla::memcached {

// Registry name "memcached".
const protocols::Protocol &protocol();

} // namespace beyla::memcached
