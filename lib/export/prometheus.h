// Prometheus exposition of a metrics snapshot: text format 0.0.4, or OpenMetrics 1.0 (with
// "# UNIT" and "# EOF"). Names follow OpenTelemetry's Prometheus compatibility rules: dots
// and other invalid characters become '_', the unit becomes a suffix ("s" → "_seconds",
// "By" → "_bytes"), counters end in "_total"; resource attributes go to target_info, whose
// job (service.name) and instance (service.instance.id) labels every sample also carries.
// Exponential histograms are written as classic ones: one bucket per exponential bucket
// (le = its upper bound), the zero bucket as le="0".
#pragma once

#include <string>
#include <string_view>

#include "metrics/snapshot.h"

namespace beyla::exporter {

enum class PromFormat : int { kText004 = 0, kOpenMetrics1 = 1 }; // enum beyla_prom_format

// "http.server.request.duration" + "s" → "http_server_request_duration_seconds".
std::string prometheus_metric_name(std::string_view name, std::string_view unit, bool counter = false);
// "http.request.method" → "http_request_method"; a leading digit gets a '_' in front.
std::string prometheus_label_name(std::string_view key);
// Backslash, double quote and newline escaped, as label values need.
void append_label_value(std::string &out, std::string_view v);

void to_prometheus(const metrics::Snapshot &snap, PromFormat format, std::string &out);

inline constexpr const char *kPromText004ContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char *kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

} // namespace beyla::exporter
