#include "protocols/registry.h"

#include "protocols/http1/protocol.h"
#include "protocols/http2/protocol.h"
#include "protocols/memcached/protocol.h"
#include "protocols/redis/protocol.h"

namespace beyla::protocols {

namespace {

// Inference order: the most specific first (the HTTP/2 preface is also an HTTP/1-shaped
// request line; an inline Redis command "GET key" too, which Redis claims only once its
// line is whole and has no HTTP version).
const Protocol *const kProtocols[] = {
    &http2::protocol(),
    &redis::protocol(),
    &memcached::protocol(),
    &http1::protocol(),
};

} // namespace

std::span<const Protocol *const> registry() {
    return kProtocols;
}

std::vector<std::string_view> registry_names() {
    std::vector<std::string_view> out;
    for (const Protocol *p : registry()) {
        out.push_back(p->name());
        for (auto n : p->also_serves()) out.push_back(n);
    }
    return out;
}

bool protocol_enabled(const Protocol &p, const ProtocolSet &set) {
    if (set.has(p.name())) return true;
    for (auto n : p.also_serves())
        if (set.has(n)) return true;
    return false;
}

const Protocol *find_protocol(std::string_view name) {
    for (const Protocol *p : registry())
        if (p->name() == name) return p;
    return nullptr;
}

} // namespace beyla::protocols
