#include "core/span_builder.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

namespace beyla {

std::string format_addr(const uint8_t a[16], uint16_t family) {
    static constexpr uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN];
    if (family == AF_INET || memcmp(a, v4_prefix, sizeof(v4_prefix)) == 0) {
        if (!inet_ntop(AF_INET, a + 12, buf, sizeof(buf))) return {};
    } else if (!inet_ntop(AF_INET6, a, buf, sizeof(buf))) {
        return {};
    }
    return buf;
}

void SpanBuilder::add_str(const char *key, std::string &store, std::string_view v) {
    store.assign(v.data(), v.size());
    attrs_.push_back(beyla_attr{key, BEYLA_ATTR_STRING, store.c_str(), 0});
}

void SpanBuilder::add_addr(const char *key, AddrSlot &slot, const uint8_t addr[16], uint16_t family) {
    if (!slot.valid || slot.family != family || memcmp(slot.addr, addr, sizeof(slot.addr)) != 0) {
        memcpy(slot.addr, addr, sizeof(slot.addr));
        slot.family = family;
        slot.text = format_addr(addr, family);
        slot.valid = true;
    }
    attrs_.push_back(beyla_attr{key, BEYLA_ATTR_STRING, slot.text.c_str(), 0});
}

void SpanBuilder::add_int(const char *key, int64_t v) {
    attrs_.push_back(beyla_attr{key, BEYLA_ATTR_INT, nullptr, v});
}

const beyla_span &SpanBuilder::build(const SpanInput &in) {
    static const protocols::Exchange kEmpty;
    const protocols::Exchange &ex = in.ex ? *in.ex : kEmpty;
    attrs_.clear();
    if (!ex.method.empty()) add_str("http.request.method", method_, ex.method);
    if (!ex.path.empty()) {
        add_str("url.path", path_, ex.path);
        if (with_query_ && ex.has_query) add_str("url.query", query_, ex.query);
        if (!in.scheme.empty()) add_str("url.scheme", scheme_, in.scheme);
    }
    if (ex.status >= 0) add_int("http.response.status_code", ex.status);
    if (in.addr && in.addr->family == AF_UNIX) {
        // No ports, no client address: a unix socket's server is its path.
        attrs_.push_back(beyla_attr{"network.transport", BEYLA_ATTR_STRING, "unix", 0});
        if (!in.unix_path.empty()) add_str("server.address", unix_path_, in.unix_path);
    } else if (in.addr && in.addr->family) {
        // Server spans: we are the server (local end). Client spans: the peer is.
        bool server = in.kind == BEYLA_SPAN_SERVER;
        const uint8_t *srv = server ? in.addr->laddr : in.addr->raddr;
        const uint8_t *cli = server ? in.addr->raddr : in.addr->laddr;
        add_addr("server.address", server_addr_, srv, in.addr->family);
        add_int("server.port", server ? in.addr->lport : in.addr->rport);
        add_addr("client.address", client_addr_, cli, in.addr->family);
        add_int("client.port", server ? in.addr->rport : in.addr->lport);
    }
    if (!ex.version.empty()) add_str("network.protocol.version", version_, ex.version);
    if (ex.req_body >= 0) add_int("http.request.body.size", ex.req_body);
    if (ex.resp_body >= 0) add_int("http.response.body.size", ex.resp_body);
    size_t strings = 0;
    for (const protocols::ExchangeAttr &a : ex.attrs) {
        if (!a.key) continue;
        if (a.is_int) {
            add_int(a.key, a.num);
            continue;
        }
        if (strings == extra_.size()) extra_.emplace_back();
        add_str(a.key, extra_[strings++], a.str);
    }
    if (!ex.error_type.empty()) {
        add_str("error.type", error_, ex.error_type);
    } else if (ex.status >= (in.kind == BEYLA_SPAN_SERVER ? 500 : 400) && ex.status <= 999) {
        // OpenTelemetry's HTTP conventions: a server's 5xx and a client's 4xx/5xx are errors,
        // error.type being the status code.
        char code[4];
        snprintf(code, sizeof code, "%d", ex.status);
        add_str("error.type", error_, code);
    }
    exe_.assign(in.exe.data(), in.exe.size());

    span_ = beyla_span{};
    span_.sz = sizeof(beyla_span);
    span_.kind = in.kind;
    span_.protocol = ex.protocol;
    span_.start_time_unix_nano = in.start_unix_ns;
    span_.end_time_unix_nano = in.end_unix_ns;
    span_.pid = in.pid;
    span_.tid = in.tid;
    span_.exe = exe_.c_str();
    span_.method = ex.method.empty() ? nullptr : method_.c_str();
    span_.path = ex.path.empty() ? nullptr : path_.c_str();
    span_.status = ex.status;
    span_.attr_count = attrs_.size();
    span_.attrs = attrs_.data();
    ids_.fill_id(span_.trace_id, sizeof(span_.trace_id));
    ids_.fill_id(span_.span_id, sizeof(span_.span_id));
    return span_;
}

} // namespace beyla
