#include "agent_config.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include <yaml-cpp/yaml.h>

#include <beyla/beyla.h>

namespace {

// The environment variables honoured, and what they set (README lists them).
const char *const kEnvVars[] = {"BEYLA_OPEN_PORT",       "BEYLA_AUTO_TARGET_EXE", "BEYLA_PROMETHEUS_PORT",
                                "BEYLA_PROMETHEUS_PATH", "BEYLA_TRACE_PRINTER",   "BEYLA_LOG_LEVEL",
                                "OTEL_SERVICE_NAME",     "BEYLA_EXECUTABLE_NAME"};

[[noreturn]] void bad(const std::string &where, const std::string &why) { throw ConfigError(where + ": " + why); }

std::string where_of(const std::string &key, const YAML::Node &n) {
    auto m = n.Mark();
    if (m.line >= 0) return key + " (line " + std::to_string(m.line + 1) + ")";
    return key;
}

void check_keys(const YAML::Node &map, const std::string &section, std::initializer_list<const char *> known) {
    if (!map.IsMap()) bad(section.empty() ? "config" : section, "must be a mapping");
    for (const auto &kv : map) {
        std::string k = kv.first.Scalar();
        bool ok = false;
        for (const char *x : known) ok |= k == x;
        if (!ok) {
            std::string all;
            for (const char *x : known) all += (all.empty() ? "" : ", ") + std::string(x);
            bad(where_of(section.empty() ? k : section + "." + k, kv.first), "unknown key (known: " + all + ")");
        }
    }
}

std::string scalar(const YAML::Node &n, const std::string &key) {
    if (!n.IsScalar()) bad(where_of(key, n), "must be a single value");
    return n.Scalar();
}

long long integer(const YAML::Node &n, const std::string &key, long long lo, long long hi) {
    std::string s = scalar(n, key);
    char *end = nullptr;
    errno = 0;
    long long v = strtoll(s.c_str(), &end, 10);
    if (s.empty() || errno || *end || v < lo || v > hi)
        bad(where_of(key, n), "'" + s + "' is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
}

double number(const YAML::Node &n, const std::string &key) {
    std::string s = scalar(n, key);
    char *end = nullptr;
    double v = strtod(s.c_str(), &end);
    if (s.empty() || *end || !std::isfinite(v)) bad(where_of(key, n), "'" + s + "' is not a number");
    return v;
}

bool boolean(const YAML::Node &n, const std::string &key) {
    std::string s = scalar(n, key);
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    bad(where_of(key, n), "'" + s + "' is not true or false");
}

std::vector<std::string> strings(const YAML::Node &n, const std::string &key) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
        for (const auto &x : n) out.push_back(scalar(x, key));
    } else if (!n.IsNull()) {
        bad(where_of(key, n), "must be a value or a list");
    }
    for (auto &s : out)
        if (s.empty()) bad(where_of(key, n), "empty value");
    return out;
}

std::vector<double> buckets(const YAML::Node &n, const std::string &key) {
    if (!n.IsSequence()) bad(where_of(key, n), "must be a list of numbers");
    std::vector<double> out;
    for (const auto &x : n) out.push_back(number(x, key));
    for (size_t i = 1; i < out.size(); i++)
        if (!(out[i] > out[i - 1])) bad(where_of(key, n), "bounds must increase");
    return out;
}

int route_mode(const std::string &s, const std::string &where) {
    // Beyla's names where they exist: "heuristic", "wildcard" (every unmatched path "/**").
    if (s == "heuristic") return BEYLA_ROUTE_HEURISTIC;
    if (s == "low-cardinality" || s == "low_cardinality") return BEYLA_ROUTE_LOW_CARDINALITY;
    if (s == "wildcard" || s == "patterns-only") return BEYLA_ROUTE_PATTERNS_ONLY;
    bad(where, "'" + s + "' is not heuristic, low-cardinality or wildcard");
}

std::string trace_printer(const std::string &s, const std::string &where) {
    for (const char *x : {"disabled", "text", "json", "json_indent"})
        if (s == x) return s;
    bad(where, "'" + s + "' is not disabled, text, json or json_indent");
}

std::string log_level(std::string s, const std::string &where) {
    for (char &c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    for (const char *x : {"DEBUG", "INFO", "WARN", "ERROR"})
        if (s == x) return s;
    bad(where, "'" + s + "' is not DEBUG, INFO, WARN or ERROR");
}

void apply_yaml(AgentConfig &c, const YAML::Node &root) {
    if (root.IsNull()) return;
    check_keys(root, "",
               {"open_port", "trace_printer", "log_level", "prometheus_export", "routes", "discovery", "metrics",
                "tracer", "service_name", "stats_interval", "trace_output"});
    if (auto n = root["open_port"]) c.ports = parse_port_list(scalar(n, "open_port"), where_of("open_port", n));
    if (auto n = root["trace_printer"]) c.trace_printer = trace_printer(scalar(n, "trace_printer"), where_of("trace_printer", n));
    if (auto n = root["trace_output"]) c.trace_output = scalar(n, "trace_output");
    if (auto n = root["log_level"]) c.log_level = log_level(scalar(n, "log_level"), where_of("log_level", n));
    if (auto n = root["service_name"]) c.service_name = scalar(n, "service_name");
    if (auto n = root["stats_interval"]) {
        c.stats_interval = number(n, "stats_interval");
        if (c.stats_interval < 0) bad(where_of("stats_interval", n), "must not be negative");
    }
    if (auto p = root["prometheus_export"]) {
        check_keys(p, "prometheus_export", {"port", "path", "address"});
        if (auto n = p["port"]) c.prometheus_port = static_cast<int>(integer(n, "prometheus_export.port", 0, 65535));
        if (auto n = p["path"]) {
            c.prometheus_path = scalar(n, "prometheus_export.path");
            if (c.prometheus_path.empty() || c.prometheus_path[0] != '/')
                bad(where_of("prometheus_export.path", n), "must start with '/'");
        }
        if (auto n = p["address"]) c.prometheus_address = scalar(n, "prometheus_export.address");
    }
    if (auto r = root["routes"]) {
        check_keys(r, "routes", {"patterns", "unmatched", "segment_cardinality"});
        if (auto n = r["patterns"]) {
            c.route_patterns = strings(n, "routes.patterns");
            for (auto &p : c.route_patterns)
                if (p[0] != '/') bad(where_of("routes.patterns", n), "'" + p + "' does not start with '/'");
        }
        if (auto n = r["unmatched"]) c.route_mode = route_mode(scalar(n, "routes.unmatched"), where_of("routes.unmatched", n));
        if (auto n = r["segment_cardinality"])
            c.segment_cardinality = static_cast<uint32_t>(integer(n, "routes.segment_cardinality", 1, 1 << 16));
    }
    if (auto d = root["discovery"]) {
        check_keys(d, "discovery", {"pids", "open_ports", "exe_paths"});
        if (auto n = d["pids"])
            for (auto &s : strings(n, "discovery.pids")) {
                YAML::Node one(s);
                c.pids.push_back(static_cast<int32_t>(integer(one, "discovery.pids", 1, INT32_MAX)));
            }
        if (auto n = d["open_ports"])
            for (auto &s : strings(n, "discovery.open_ports"))
                for (uint16_t p : parse_port_list(s, where_of("discovery.open_ports", n))) c.ports.push_back(p);
        if (auto n = d["exe_paths"]) c.exe_globs = strings(n, "discovery.exe_paths");
    }
    if (auto m = root["metrics"]) {
        check_keys(m, "metrics", {"duration_buckets", "size_buckets", "exponential", "max_series", "attributes"});
        if (auto n = m["duration_buckets"]) c.duration_buckets = buckets(n, "metrics.duration_buckets");
        if (auto n = m["size_buckets"]) c.size_buckets = buckets(n, "metrics.size_buckets");
        if (auto n = m["exponential"]) c.exponential = boolean(n, "metrics.exponential");
        if (auto n = m["max_series"]) c.max_series = static_cast<uint32_t>(integer(n, "metrics.max_series", 1, 1 << 20));
        if (auto n = m["attributes"])
            for (auto &a : strings(n, "metrics.attributes")) {
                if (a == "url.path") c.optional_attrs |= BEYLA_METRIC_ATTR_URL_PATH;
                else if (a == "server.address") c.optional_attrs |= BEYLA_METRIC_ATTR_SERVER_ADDRESS;
                else if (a == "client.address") c.optional_attrs |= BEYLA_METRIC_ATTR_CLIENT_ADDRESS;
                else bad(where_of("metrics.attributes", n), "'" + a + "' is not url.path, server.address or client.address");
            }
    }
    if (auto t = root["tracer"]) {
        check_keys(t, "tracer", {"transport", "payload", "ring_size", "tls", "url_query", "db_query_raw", "protocols", "btf_path"});
        if (auto n = t["transport"]) {
            c.transport = scalar(n, "tracer.transport");
            if (c.transport != "auto" && c.transport != "ringbuf" && c.transport != "perfbuf")
                bad(where_of("tracer.transport", n), "'" + c.transport + "' is not auto, ringbuf or perfbuf");
        }
        if (auto n = t["payload"]) c.payload = static_cast<uint32_t>(integer(n, "tracer.payload", 1, 1 << 20));
        if (auto n = t["ring_size"]) c.ring_size = static_cast<uint32_t>(integer(n, "tracer.ring_size", 1, 1LL << 31));
        if (auto n = t["tls"]) c.tls = boolean(n, "tracer.tls");
        if (auto n = t["url_query"]) c.url_query = boolean(n, "tracer.url_query");
        if (auto n = t["db_query_raw"]) c.db_query_raw = boolean(n, "tracer.db_query_raw");
        if (auto n = t["protocols"]) c.protocols = strings(n, "tracer.protocols");
        if (auto n = t["btf_path"]) c.btf_path = scalar(n, "tracer.btf_path");
    }
}

} // namespace

std::vector<uint16_t> parse_port_list(const std::string &s, const std::string &what) {
    std::vector<uint16_t> out;
    size_t i = 0;
    auto num = [&](const std::string &t) -> long {
        if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
        long v = std::stol(t);
        return v >= 1 && v <= 65535 ? v : -1;
    };
    while (i <= s.size()) {
        size_t comma = s.find(',', i);
        std::string item = s.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        size_t dash = item.find('-');
        long a = num(item.substr(0, dash)), b = dash == std::string::npos ? a : num(item.substr(dash + 1));
        if (a < 0 || b < 0 || b < a) bad(what, "'" + item + "' is not a port (1-65535) or a range of them");
        for (long p = a; p <= b; p++) out.push_back(static_cast<uint16_t>(p));
        if (comma == std::string::npos) break;
        i = comma + 1;
    }
    return out;
}

std::map<std::string, std::string> agent_environment() {
    std::map<std::string, std::string> env;
    for (const char *v : kEnvVars)
        if (const char *x = getenv(v)) env[v] = x;
    return env;
}

AgentConfig load_agent_config(const std::string &path, const std::map<std::string, std::string> &env) {
    AgentConfig c;
    if (!path.empty()) {
        c.source = path;
        YAML::Node root;
        try {
            root = YAML::LoadFile(path);
        } catch (const YAML::BadFile &) {
            throw ConfigError(path + ": cannot be read");
        } catch (const YAML::Exception &e) {
            throw ConfigError(path + ": " + e.what());
        }
        try {
            apply_yaml(c, root);
        } catch (const ConfigError &e) {
            throw ConfigError(path + ": " + e.what());
        } catch (const YAML::Exception &e) {
            throw ConfigError(path + ": " + e.what());
        }
    }
    auto get = [&](const char *k) -> const std::string * {
        auto it = env.find(k);
        return it == env.end() ? nullptr : &it->second;
    };
    if (get("BEYLA_EXECUTABLE_NAME"))
        bad("BEYLA_EXECUTABLE_NAME", "a regular expression, not supported: use BEYLA_AUTO_TARGET_EXE (a glob)");
    if (auto v = get("BEYLA_OPEN_PORT")) c.ports = parse_port_list(*v, "BEYLA_OPEN_PORT");
    if (auto v = get("BEYLA_AUTO_TARGET_EXE")) {
        if (v->empty()) bad("BEYLA_AUTO_TARGET_EXE", "empty glob");
        c.exe_globs = {*v};
    }
    // Beyla traces only executables matching both; libbeyla's selectors add up, so the
    // pair would trace more than asked: refused rather than widened.
    if (get("BEYLA_OPEN_PORT") && get("BEYLA_AUTO_TARGET_EXE"))
        bad("BEYLA_OPEN_PORT with BEYLA_AUTO_TARGET_EXE",
            "selects processes matching both in Beyla; libbeyla selects any match: set one of them");
    if (auto v = get("BEYLA_PROMETHEUS_PORT")) {
        YAML::Node n(*v);
        c.prometheus_port = static_cast<int>(integer(n, "BEYLA_PROMETHEUS_PORT", 0, 65535));
    }
    if (auto v = get("BEYLA_PROMETHEUS_PATH")) {
        if (v->empty() || (*v)[0] != '/') bad("BEYLA_PROMETHEUS_PATH", "must start with '/'");
        c.prometheus_path = *v;
    }
    if (auto v = get("BEYLA_TRACE_PRINTER")) c.trace_printer = trace_printer(*v, "BEYLA_TRACE_PRINTER");
    if (auto v = get("BEYLA_LOG_LEVEL")) c.log_level = log_level(*v, "BEYLA_LOG_LEVEL");
    if (auto v = get("OTEL_SERVICE_NAME"); v && !v->empty()) c.service_name = *v;
    for (auto &p : c.protocols)
        if (p.empty()) bad("tracer.protocols", "empty name");
    std::sort(c.ports.begin(), c.ports.end());
    c.ports.erase(std::unique(c.ports.begin(), c.ports.end()), c.ports.end());
    if (c.ports.size() > 4096) bad("open_port", std::to_string(c.ports.size()) + " ports, at most 4096");
    return c;
}

std::string AgentConfig::selection_text() const {
    std::string s;
    if (!pids.empty()) {
        s += "pids";
        for (auto p : pids) s += " " + std::to_string(p);
    }
    if (!ports.empty()) {
        if (!s.empty()) s += "; ";
        s += "ports";
        // Ranges back: 8000-8999 rather than a thousand numbers.
        for (size_t i = 0; i < ports.size();) {
            size_t j = i;
            while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) j++;
            s += " " + std::to_string(ports[i]) + (j > i ? "-" + std::to_string(ports[j]) : "");
            i = j + 1;
        }
    }
    if (!exe_globs.empty()) {
        if (!s.empty()) s += "; ";
        s += "executables";
        for (auto &g : exe_globs) s += " " + g;
    }
    return s.empty() ? "nothing" : s;
}
