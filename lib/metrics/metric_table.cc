#include "metrics/metric_table.h"

#include "beyla/beyla.h"

namespace beyla::metrics {

namespace {

constexpr MetricSpec kHttpServer[] = {
    {"http.server.request.duration", "s", "Duration of HTTP server requests.", ValueOf::kDuration,
     BucketsOf::kDuration},
    {"http.server.request.body.size", "By", "Size of HTTP server request bodies.", ValueOf::kRequestBody,
     BucketsOf::kSize},
    {"http.server.response.body.size", "By", "Size of HTTP server response bodies.", ValueOf::kResponseBody,
     BucketsOf::kSize},
};
constexpr MetricSpec kHttpClient[] = {
    {"http.client.request.duration", "s", "Duration of HTTP client requests.", ValueOf::kDuration,
     BucketsOf::kDuration},
    {"http.client.request.body.size", "By", "Size of HTTP client request bodies.", ValueOf::kRequestBody,
     BucketsOf::kSize},
    {"http.client.response.body.size", "By", "Size of HTTP client response bodies.", ValueOf::kResponseBody,
     BucketsOf::kSize},
};
constexpr MetricSpec kRpcServer[] = {
    {"rpc.server.call.duration", "s", "Duration of RPC calls served.", ValueOf::kDuration,
     BucketsOf::kDuration},
};
constexpr MetricSpec kRpcClient[] = {
    {"rpc.client.call.duration", "s", "Duration of RPC calls made.", ValueOf::kDuration,
     BucketsOf::kDuration},
};
constexpr MetricSpec kDbClient[] = {
    {"db.client.operation.duration", "s", "Duration of database client operations.", ValueOf::kDuration,
     BucketsOf::kDuration},
};

constexpr AttrSpec kHttpAttrs[] = {
    {"http.request.method"},
    {"http.response.status_code"},
    {"http.route"},
    {"url.scheme"},
    {"network.protocol.version"},
    {"error.type"},
    {"url.path", kAttrUrlPath},
    {"server.address", kAttrServerAddress},
    {"server.port", kAttrServerAddress},
    {"client.address", kAttrClientAddress},
};
constexpr AttrSpec kRpcAttrs[] = {
    {"rpc.system"},
    {"rpc.service"},
    {"rpc.method"},
    {"rpc.grpc.status_code"},
    {"error.type"},
    {"server.address", kAttrServerAddress},
    {"server.port", kAttrServerAddress},
    {"client.address", kAttrClientAddress},
};
constexpr AttrSpec kDbAttrs[] = {
    {"db.system.name"},
    {"db.operation.name"},
    {"db.collection.name"},
    {"error.type"},
    {"server.address", kAttrServerAddress},
    {"server.port", kAttrServerAddress},
};
static_assert(std::size(kHttpAttrs) <= kMaxSeriesAttrs && std::size(kRpcAttrs) <= kMaxSeriesAttrs);

constexpr GroupSpec kGroups[] = {
    {Family::kHttp, kHttpServer, kHttpAttrs}, {Family::kHttp, kHttpClient, kHttpAttrs},
    {Family::kRpc, kRpcServer, kRpcAttrs},    {Family::kRpc, kRpcClient, kRpcAttrs},
    {Family::kDb, kDbClient, kDbAttrs},
};

constexpr RowSpec kRows[] = {
    {BEYLA_PROTO_HTTP1, BEYLA_SPAN_SERVER, 0}, {BEYLA_PROTO_HTTP2, BEYLA_SPAN_SERVER, 0},
    {BEYLA_PROTO_HTTP1, BEYLA_SPAN_CLIENT, 1}, {BEYLA_PROTO_HTTP2, BEYLA_SPAN_CLIENT, 1},
    {BEYLA_PROTO_GRPC, BEYLA_SPAN_SERVER, 2},  {BEYLA_PROTO_GRPC, BEYLA_SPAN_CLIENT, 3},
    {kAnyDatabase, BEYLA_SPAN_CLIENT, 4},
};

} // namespace

std::span<const GroupSpec> metric_groups() {
    return kGroups;
}
std::span<const RowSpec> metric_rows() {
    return kRows;
}

} // namespace beyla::metrics
