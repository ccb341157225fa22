// Views of a metrics snapshot for the CLI, through the C ABI only: a JSON document, and
// RED rows (rate, errors, latency quantiles) per service and route for `beyla top`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "http_server.h"

// The answer to a scrape: snapshot m (taken over, freed here; NULL with errno set when it
// could not be had: 503) in the Prometheus text format, OpenMetrics when asked for.
HttpReply prometheus_reply(beyla_metrics *m, bool openmetrics);
// Writes the tracer's snapshot to path as JSON (one line); false, said on stderr, on failure.
bool write_metrics_json(const beyla_tracer *t, const char *path);

// The snapshot as one JSON object on one line.
std::string metrics_json(const beyla_metrics *m);

// Cumulative RED totals of one (service, kind, route) from the duration metrics.
struct RedRow {
    std::string service, kind, route; // kind: "http server", "rpc client", ...
    uint64_t count = 0, errors = 0;
    double sum = 0;
    std::map<double, uint64_t> buckets; // upper bound → count (+inf for the last)
};
using RedTable = std::map<std::string, RedRow>; // keyed by service, kind, route

RedTable red_rows(const beyla_metrics *m);
// The q-quantile (0..1) of the counts in now minus before, in seconds, interpolated in
// its bucket; -1 when there are none.
double quantile_delta(const RedRow &now, const RedRow *before, double q);
