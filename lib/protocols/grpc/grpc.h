// gRPC over HTTP/2 (the gRPC "PROTOCOL-HTTP2" mapping): what marks a stream as gRPC and
// how its outcome reads. Helpers for the HTTP/2 connection, which reports gRPC streams.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace beyla::grpc {

// The request content-type of every gRPC call: "application/grpc" or "application/grpc+proto"...
bool is_grpc_content_type(std::string_view v);

// Splits ":path" "/pkg.Service/Method" into service and method; false when it has not
// that shape.
bool split_path(std::string_view path, std::string_view *service, std::string_view *method);

// The grpc-status value (a decimal code); false when not a number in 0..999.
bool parse_status(std::string_view v, int *code);

// The canonical name of a status code ("OK", "UNAVAILABLE"); "UNKNOWN" for codes the
// spec does not define (keeps error.type low-cardinality).
std::string_view status_name(int code);

// Whether a DATA payload of data_len bytes starting with head (at least 5 bytes) is one
// length-prefixed gRPC message: compressed flag 0 or 1, then a 4-byte length that fills
// the payload exactly.
bool looks_like_message(std::span<const uint8_t> head, uint64_t data_len);

} // namespace beyla::grpc
