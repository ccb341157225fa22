#include "protocols/grpc/grpc.h"

namespace beyla::grpc {

bool is_grpc_content_type(std::string_view v) {
    constexpr std::string_view kType = "application/grpc";
    if (v.size() < kType.size()) return false;
    for (size_t i = 0; i < kType.size(); i++) {
        char c = v[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kType[i]) return false;
    }
    // "application/grpc", "application/grpc+proto", "application/grpc;...": not "application/grpcx".
    return v.size() == kType.size() || v[kType.size()] == '+' || v[kType.size()] == ';';
}

bool split_path(std::string_view path, std::string_view *service, std::string_view *method) {
    if (path.size() < 4 || path[0] != '/') return false;
    const size_t slash = path.find('/', 1);
    if (slash == std::string_view::npos || slash == 1 || slash + 1 == path.size()) return false;
    if (path.find('/', slash + 1) != std::string_view::npos) return false;
    *service = path.substr(1, slash - 1);
    *method = path.substr(slash + 1);
    return true;
}

bool parse_status(std::string_view v, int *code) {
    if (v.empty() || v.size() > 3) return false;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    *code = n;
    return true;
}

std::string_view status_name(int code) {
    static constexpr std::string_view kNames[] = {
        "OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    };
    return code >= 0 && code < static_cast<int>(std::size(kNames)) ? kNames[code] : "UNKNOWN";
}

bool looks_like_message(std::span<const uint8_t> head, uint64_t data_len) {
    if (head.size() < 5 || head[0] > 1) return false;
    const uint64_t len =
        (uint64_t(head[1]) << 24) | (uint64_t(head[2]) << 16) | (uint64_t(head[3]) << 8) | head[4];
    return len + 5 == data_len;
}

} // namespace beyla::grpc
