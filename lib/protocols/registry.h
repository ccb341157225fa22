// The protocols the tracer can decode, in the order inference asks them. One line each in
// registry.cc; the core reaches protocols only through this list.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/protocol.h"

namespace beyla::protocols {

// Every protocol built in, in inference order.
std::span<const Protocol *const> registry();

// The registry names a selection may use ("http", "http2", "grpc", ...).
std::vector<std::string_view> registry_names();

// Whether a protocol runs under a selection: its own name or a name it also serves.
bool protocol_enabled(const Protocol &p, const ProtocolSet &set);

// The protocol named `name` (its registry name), or nullptr.
const Protocol *find_protocol(std::string_view name);

} // namespace beyla::protocols
