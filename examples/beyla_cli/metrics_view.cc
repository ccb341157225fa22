#include "metrics_view.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace {

void json_str(std::string &out, const char *s) {
    out += '"';
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char b[8];
            snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

void json_num(std::string &out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char b[32];
    snprintf(b, sizeof b, "%.17g", v);
    out += b;
}

void json_attrs(std::string &out, const beyla_attr *a, size_t n) {
    out += '{';
    for (size_t i = 0; i < n; i++) {
        if (i) out += ',';
        json_str(out, a[i].key);
        out += ':';
        if (a[i].type == BEYLA_ATTR_STRING) json_str(out, a[i].str);
        else if (a[i].type == BEYLA_ATTR_BOOL) out += a[i].num ? "true" : "false";
        else out += std::to_string(a[i].num);
    }
    out += '}';
}

const beyla_attr *find(const beyla_attr *a, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].key, key)) return &a[i];
    return nullptr;
}

// Failed requests as OpenTelemetry counts them: error.type set (a cut or missing response),
// an HTTP status of 5xx (servers) or 4xx and up (clients), a gRPC status other than OK.
bool is_error(const beyla_metric_point &pt, bool client) {
    if (find(pt.attrs, pt.attr_count, "error.type")) return true;
    if (const beyla_attr *s = find(pt.attrs, pt.attr_count, "http.response.status_code"))
        return s->num >= (client ? 400 : 500);
    if (const beyla_attr *s = find(pt.attrs, pt.attr_count, "rpc.grpc.status_code")) return s->num != 0;
    return false;
}

} // namespace

HttpReply prometheus_reply(beyla_metrics *m, bool openmetrics) {
    HttpReply r;
    int fmt = openmetrics ? BEYLA_PROM_OPENMETRICS : BEYLA_PROM_TEXT_0_0_4;
    size_t len = 0;
    char *text = m ? beyla_metrics_prometheus_dup(m, fmt, &len) : nullptr;
    if (!text) {
        r.status = 503;
        r.body = std::string("metrics unavailable: ") + strerror(errno) + "\n";
    } else {
        r.content_type = beyla_prom_content_type(fmt);
        r.body.assign(text, len);
    }
    beyla_metrics_text_free(text);
    beyla_metrics_free(m);
    return r;
}

bool write_metrics_json(const beyla_tracer *t, const char *path) {
    beyla_metrics *m = beyla_tracer_metrics(t);
    if (!m) {
        fprintf(stderr, "beyla: metrics snapshot: %s\n", strerror(errno));
        return false;
    }
    std::string json = metrics_json(m) + "\n";
    beyla_metrics_free(m);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "beyla: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = fwrite(json.data(), 1, json.size(), f) == json.size();
    ok = fclose(f) == 0 && ok;
    if (!ok) fprintf(stderr, "beyla: cannot write %s: %s\n", path, strerror(errno));
    return ok;
}

std::string metrics_json(const beyla_metrics *m) {
    std::string out = "{\"time_unix_nano\":" + std::to_string(beyla_metrics_time(m)) + ",\"metrics\":[";
    for (size_t i = 0; i < beyla_metrics_count(m); i++) {
        beyla_metric met{};
        met.sz = sizeof(met);
        if (beyla_metrics_metric(m, i, &met) != 0) break;
        if (i) out += ',';
        out += "{\"name\":";
        json_str(out, met.name);
        out += ",\"unit\":";
        json_str(out, met.unit);
        out += ",\"kind\":";
        out += met.kind == BEYLA_METRIC_EXPONENTIAL_HISTOGRAM ? "\"exponential_histogram\"" : "\"histogram\"";
        if (met.kind == BEYLA_METRIC_HISTOGRAM) {
            out += ",\"bounds\":[";
            for (size_t b = 0; b < met.bound_count; b++) {
                if (b) out += ',';
                json_num(out, met.bounds[b]);
            }
            out += ']';
        }
        out += ",\"points\":[";
        for (size_t p = 0; p < met.point_count; p++) {
            beyla_metric_point pt{};
            pt.sz = sizeof(pt);
            if (beyla_metrics_point(m, i, p, &pt) != 0) break;
            if (p) out += ',';
            out += "{\"attributes\":";
            json_attrs(out, pt.attrs, pt.attr_count);
            out += ",\"resource\":";
            json_attrs(out, pt.resource_attrs, pt.resource_attr_count);
            out += ",\"start_time_unix_nano\":" + std::to_string(pt.start_time_unix_nano);
            out += ",\"time_unix_nano\":" + std::to_string(pt.time_unix_nano);
            out += ",\"count\":" + std::to_string(pt.count) + ",\"sum\":";
            json_num(out, pt.sum);
            out += ",\"min\":";
            json_num(out, pt.min);
            out += ",\"max\":";
            json_num(out, pt.max);
            if (met.kind == BEYLA_METRIC_HISTOGRAM) {
                out += ",\"bucket_counts\":[";
                for (size_t b = 0; b < pt.bucket_count; b++) out += (b ? "," : "") + std::to_string(pt.bucket_counts[b]);
                out += ']';
            } else {
                out += ",\"scale\":" + std::to_string(pt.scale) + ",\"zero_count\":" + std::to_string(pt.zero_count) +
                       ",\"offset\":" + std::to_string(pt.offset) + ",\"positive\":[";
                for (size_t b = 0; b < pt.positive_count; b++) out += (b ? "," : "") + std::to_string(pt.positive[b]);
                out += ']';
            }
            out += '}';
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

RedTable red_rows(const beyla_metrics *m) {
    RedTable t;
    for (size_t i = 0; i < beyla_metrics_count(m); i++) {
        beyla_metric met{};
        met.sz = sizeof(met);
        if (beyla_metrics_metric(m, i, &met) != 0) break;
        std::string name = met.name;
        // "http.server.request.duration" → "http server"; sizes are not RED.
        if (name.size() < 9 || name.compare(name.size() - 9, 9, ".duration") != 0) continue;
        std::string kind = name.substr(0, name.find('.'));
        if (name.find(".server.") != std::string::npos) kind += " server";
        else if (name.find(".client.") != std::string::npos) kind += " client";
        for (size_t p = 0; p < met.point_count; p++) {
            beyla_metric_point pt{};
            pt.sz = sizeof(pt);
            if (beyla_metrics_point(m, i, p, &pt) != 0) break;
            const beyla_attr *svc = find(pt.resource_attrs, pt.resource_attr_count, "service.name");
            std::string route;
            for (const char *k : {"http.route", "rpc.method", "db.operation.name"})
                if (const beyla_attr *a = find(pt.attrs, pt.attr_count, k); a && a->str) route = a->str;
            if (find(pt.attrs, pt.attr_count, "otel.metric.overflow")) route = "(overflow)";
            if (const beyla_attr *s = find(pt.attrs, pt.attr_count, "rpc.service"); s && s->str)
                route = std::string(s->str) + "/" + route;
            std::string service = svc && svc->str ? svc->str : "?";
            RedRow &r = t[service + '\0' + kind + '\0' + route];
            r.service = service, r.kind = kind, r.route = route;
            r.count += pt.count;
            r.sum += pt.sum;
            if (is_error(pt, name.find(".client.") != std::string::npos)) r.errors += pt.count;
            if (met.kind == BEYLA_METRIC_HISTOGRAM) {
                for (size_t b = 0; b < pt.bucket_count; b++) {
                    double ub = b < met.bound_count ? met.bounds[b] : std::numeric_limits<double>::infinity();
                    r.buckets[ub] += pt.bucket_counts[b];
                }
            } else {
                r.buckets[0] += pt.zero_count;
                double base = std::exp2(std::exp2(-pt.scale));
                for (size_t b = 0; b < pt.positive_count; b++)
                    r.buckets[std::pow(base, pt.offset + static_cast<double>(b) + 1)] += pt.positive[b];
            }
        }
    }
    return t;
}

double quantile_delta(const RedRow &now, const RedRow *before, double q) {
    std::vector<std::pair<double, uint64_t>> d;
    uint64_t total = 0;
    for (const auto &[ub, n] : now.buckets) {
        uint64_t prev = 0;
        if (before)
            if (auto it = before->buckets.find(ub); it != before->buckets.end()) prev = it->second;
        uint64_t x = n >= prev ? n - prev : n;
        d.push_back({ub, x});
        total += x;
    }
    if (!total) return -1;
    double rank = q * static_cast<double>(total), seen = 0, lower = 0;
    for (const auto &[ub, n] : d) {
        if (n && seen + static_cast<double>(n) >= rank) {
            if (!std::isfinite(ub)) return lower; // past the last bound: its lower edge
            return lower + (ub - lower) * ((rank - seen) / static_cast<double>(n));
        }
        seen += static_cast<double>(n);
        lower = ub;
    }
    return lower;
}
