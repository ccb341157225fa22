#include "export/prometheus.h"

#include <charconv>
#include <cmath>

#include "metrics/histogram.h"

namespace beyla::exporter {

namespace {

bool name_char(char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon && c == ':');
}

// Invalid characters → '_', runs of '_' collapsed, no leading digit.
std::string sanitize(std::string_view s, bool colon) {
    std::string out;
    for (char c : s) {
        char x = name_char(c, colon) ? c : '_';
        if (x == '_' && !out.empty() && out.back() == '_') continue;
        out.push_back(x);
    }
    if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
    return out;
}

// The unit suffix of a UCUM unit ("" for none), as the compatibility rules map them.
std::string unit_suffix(std::string_view unit) {
    // Annotations ("{request}") carry no unit.
    if (size_t b = unit.find('{'); b != std::string_view::npos) unit = unit.substr(0, b);
    struct M {
        std::string_view ucum, prom;
    };
    static constexpr M kUnits[] = {{"s", "seconds"},       {"ms", "milliseconds"},
                                   {"us", "microseconds"}, {"ns", "nanoseconds"},
                                   {"By", "bytes"},        {"KiBy", "kibibytes"},
                                   {"MiBy", "mebibytes"},  {"KBy", "kilobytes"},
                                   {"MBy", "megabytes"},   {"1", ""},
                                   {"%", "percent"},       {"m", "meters"},
                                   {"h", "hours"},         {"min", "minutes"},
                                   {"d", "days"}};
    auto one = [](std::string_view u) -> std::string {
        for (const M &m : kUnits)
            if (m.ucum == u) return std::string(m.prom);
        return sanitize(u, false);
    };
    if (size_t slash = unit.find('/'); slash != std::string_view::npos) {
        std::string a = one(unit.substr(0, slash)), b = one(unit.substr(slash + 1));
        static constexpr M kPer[] = {{"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"}};
        for (const M &m : kPer)
            if (m.ucum == unit.substr(slash + 1)) b = m.prom;
        return a.empty() ? "per_" + b : a + "_per_" + b;
    }
    return one(unit);
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void append_double(std::string &out, double v, bool openmetrics) {
    if (std::isnan(v)) return void(out += "NaN");
    if (std::isinf(v)) return void(out += v > 0 ? "+Inf" : "-Inf");
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    out += s;
    // OpenMetrics' canonical form of a bound: "1.0", not "1".
    if (openmetrics && s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void append_uint(std::string &out, uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_escaped_help(std::string &out, std::string_view s) {
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
}

void append_attr_value(std::string &out, const metrics::Attr &a) {
    if (a.type == metrics::Attr::kString) return append_label_value(out, a.str);
    if (a.type == metrics::Attr::kBool) return void(out += a.num ? "true" : "false");
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, a.num);
    out.append(buf, r.ptr);
}

// The labels of a point without le: job and instance from its resource, then its attributes.
std::string point_labels(const metrics::Snapshot &snap, const metrics::Point &p) {
    std::string l;
    auto add = [&](std::string_view name, const metrics::Attr &a) {
        if (!l.empty()) l.push_back(',');
        l += name;
        l += "=\"";
        append_attr_value(l, a);
        l.push_back('"');
    };
    if (p.resource < snap.resources.size()) {
        for (const auto &a : snap.resources[p.resource]) {
            if (a.key == "service.name")
                add("job", a);
            else if (a.key == "service.instance.id")
                add("instance", a);
        }
    }
    for (const auto &a : p.attrs) add(prometheus_label_name(a.key), a);
    return l;
}

void bucket_line(std::string &out, const std::string &name, const std::string &labels, double le, uint64_t n,
                 bool om) {
    out += name;
    out += "_bucket{";
    out += labels;
    if (!labels.empty()) out.push_back(',');
    out += "le=\"";
    append_double(out, le, om);
    out += "\"} ";
    append_uint(out, n);
    out.push_back('\n');
}

} // namespace

std::string prometheus_metric_name(std::string_view name, std::string_view unit, bool counter) {
    std::string out = sanitize(name, true);
    std::string suffix = unit_suffix(unit);
    if (!suffix.empty() && !ends_with(out, "_" + suffix)) out += "_" + suffix;
    if (counter && !ends_with(out, "_total")) out += "_total";
    return out;
}

std::string prometheus_label_name(std::string_view key) {
    return sanitize(key, false);
}

void append_label_value(std::string &out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
}

void to_prometheus(const metrics::Snapshot &snap, PromFormat format, std::string &out) {
    const bool om = format == PromFormat::kOpenMetrics1;
    for (const metrics::Metric &m : snap.metrics) {
        const std::string name = prometheus_metric_name(m.name, m.unit);
        out += "# HELP " + name + " ";
        append_escaped_help(out, m.description);
        out += "\n# TYPE " + name + " histogram\n";
        if (om) {
            const std::string unit = unit_suffix(m.unit);
            if (!unit.empty()) out += "# UNIT " + name + " " + unit + "\n";
        }
        for (const metrics::Point &p : m.points) {
            const std::string labels = point_labels(snap, p);
            uint64_t cum = 0;
            if (m.kind == metrics::MetricKind::kHistogram) {
                for (size_t i = 0; i < m.bounds.size() && i < p.bucket_counts.size(); i++) {
                    cum += p.bucket_counts[i];
                    bucket_line(out, name, labels, m.bounds[i], cum, om);
                }
            } else {
                cum = p.zero_count;
                bucket_line(out, name, labels, 0.0, cum, om);
                for (size_t i = 0; i < p.positive.size(); i++) {
                    cum += p.positive[i];
                    if (!p.positive[i] && i + 1 < p.positive.size()) continue; // empty buckets add no line
                    double le = metrics::ExponentialHistogram::lower_bound(int64_t(p.offset) + int64_t(i) + 1,
                                                                           p.scale);
                    bucket_line(out, name, labels, le, cum, om);
                }
            }
            bucket_line(out, name, labels, INFINITY, p.count, om);
            auto tail = [&](const char *suffix, auto write) {
                out += name;
                out += suffix;
                if (!labels.empty()) out += "{" + labels + "}";
                out.push_back(' ');
                write();
                out.push_back('\n');
            };
            tail("_sum", [&] { append_double(out, p.sum, false); });
            tail("_count", [&] { append_uint(out, p.count); });
        }
    }
    if (!snap.resources.empty()) {
        out += om ? "# TYPE target info\n# HELP target Target metadata\n"
                  : "# HELP target_info Target metadata\n# TYPE target_info gauge\n";
        for (const auto &attrs : snap.resources) {
            metrics::Point p;
            p.resource = static_cast<uint32_t>(&attrs - snap.resources.data());
            for (const auto &a : attrs)
                if (a.key != "service.name" && a.key != "service.instance.id") p.attrs.push_back(a);
            out += "target_info{" + point_labels(snap, p) + "} 1\n";
        }
    }
    if (om) out += "# EOF\n";
}

} // namespace beyla::exporter
