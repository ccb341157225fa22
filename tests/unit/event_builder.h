// Builds raw events (the structs of bpf/socket_trace.h) for tests that run the user-side
// pipeline without a kernel.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "bpf/socket_trace.h"

namespace beyla::test {

inline beyla_sockaddr loopback(uint16_t lport, uint16_t rport) {
    beyla_sockaddr a{};
    a.family = 2; // AF_INET
    for (uint8_t *p : {a.laddr, a.raddr}) {
        p[10] = p[11] = 0xff;
        p[12] = 127, p[15] = 1;
    }
    a.lport = lport;
    a.rport = rport;
    return a;
}

inline std::vector<uint8_t> data_event(uint32_t tgid, int32_t fd, uint64_t sock, int dir, uint64_t ts,
                                       const std::string &payload, uint64_t total = 0,
                                       beyla_sockaddr addr = loopback(8080, 40000), uint32_t tid = 0) {
    std::vector<uint8_t> buf(sizeof(beyla_data_event) + payload.size());
    beyla_data_event ev{};
    ev.hdr.type = BEYLA_EV_DATA;
    ev.hdr.tgid = tgid;
    ev.hdr.tid = tid ? tid : tgid;
    ev.hdr.fd = fd;
    ev.hdr.ts_enter = ts;
    ev.hdr.ts_exit = ts + 1000;
    ev.hdr.sock_id = sock;
    ev.addr = addr;
    ev.bytes = total ? total : payload.size();
    ev.captured = static_cast<uint32_t>(payload.size());
    ev.direction = static_cast<uint8_t>(dir);
    ev.syscall = dir == BEYLA_DIR_INGRESS ? BEYLA_SYS_READ : BEYLA_SYS_WRITE;
    memcpy(ev.comm, "testsrv", 8);
    memcpy(buf.data(), &ev, sizeof(ev));
    memcpy(buf.data() + sizeof(ev), payload.data(), payload.size());
    return buf;
}

inline std::vector<uint8_t> conn_event(uint32_t type, uint32_t tgid, int32_t fd, uint64_t sock, uint64_t ts,
                                       int role = BEYLA_ROLE_SERVER) {
    beyla_conn_event ev{};
    ev.hdr.type = type;
    ev.hdr.tgid = ev.hdr.tid = tgid;
    ev.hdr.fd = fd;
    ev.hdr.ts_enter = ts;
    ev.hdr.ts_exit = ts + 100;
    ev.hdr.sock_id = sock;
    ev.addr = loopback(8080, 40000);
    ev.role = static_cast<uint8_t>(role);
    std::vector<uint8_t> buf(sizeof(ev));
    memcpy(buf.data(), &ev, sizeof(ev));
    return buf;
}

// One header field (or, name empty and no FIELD flag, the end of a block) as the Go HTTP/2
// probes send it.
inline std::vector<uint8_t> h2_event(uint32_t tgid, int32_t fd, uint64_t sock, int dir, int role,
                                     uint32_t stream, uint64_t ts, const std::string &name,
                                     const std::string &value, uint8_t flags) {
    beyla_h2_header_event ev{};
    ev.hdr.type = BEYLA_EV_HTTP2_HEADER;
    ev.hdr.tgid = tgid;
    ev.hdr.tid = tgid;
    ev.hdr.fd = fd;
    ev.hdr.ts_enter = ev.hdr.ts_exit = ts;
    ev.hdr.sock_id = sock;
    ev.stream_id = stream;
    ev.direction = static_cast<uint8_t>(dir);
    ev.role = static_cast<uint8_t>(role);
    ev.flags = flags;
    if (flags & BEYLA_H2_F_FIELD) {
        ev.name_len = static_cast<uint32_t>(name.size());
        ev.value_len = static_cast<uint32_t>(value.size());
        ev.name_captured = static_cast<uint8_t>(std::min<size_t>(name.size(), BEYLA_H2_NAME_MAX));
        ev.value_captured = static_cast<uint16_t>(std::min<size_t>(value.size(), BEYLA_H2_VALUE_MAX));
        memcpy(ev.name, name.data(), ev.name_captured);
        memcpy(ev.value, value.data(), ev.value_captured);
    }
    std::vector<uint8_t> buf(sizeof(ev));
    memcpy(buf.data(), &ev, sizeof(ev));
    return buf;
}

inline std::vector<uint8_t> proc_event(uint32_t type, uint32_t tgid, uint64_t ts, const std::string &file = "") {
    beyla_proc_event ev{};
    ev.hdr.type = type;
    ev.hdr.tgid = ev.hdr.tid = tgid;
    ev.hdr.fd = -1;
    ev.hdr.ts_enter = ev.hdr.ts_exit = ts;
    strncpy(ev.filename, file.c_str(), sizeof(ev.filename) - 1);
    std::vector<uint8_t> buf(sizeof(ev));
    memcpy(buf.data(), &ev, sizeof(ev));
    return buf;
}

} // namespace beyla::test
