// Configuration of `beyla run`: a YAML file (its path from --config or BEYLA_CONFIG_PATH)
// and environment variables, which win over the file as in Beyla. Every key is known: an
// unknown one, or a bad value, is an error naming it (ConfigError), so a typo fails at start
// instead of being silently ignored.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct AgentConfig {
    // discovery
    std::vector<int32_t> pids;
    std::vector<uint16_t> ports; // open_port ranges expanded
    std::vector<std::string> exe_globs;
    // tracer
    std::string transport = "auto";
    uint32_t payload = 0, ring_size = 0;
    bool tls = true, url_query = false, db_query_raw = false;
    std::vector<std::string> protocols;
    std::string btf_path;
    // metrics
    std::vector<double> duration_buckets, size_buckets;
    bool exponential = false;
    uint32_t max_series = 0;
    uint32_t optional_attrs = 0; // BEYLA_METRIC_ATTR_*
    std::vector<std::string> route_patterns;
    int route_mode = 0; // enum beyla_route_mode
    uint32_t segment_cardinality = 0;
    std::string service_name; // OTEL_SERVICE_NAME: every process's service.name
    // exporters
    int prometheus_port = 0; // 0: off
    std::string prometheus_address = "0.0.0.0";
    std::string prometheus_path = "/metrics";
    std::string trace_printer = "disabled"; // disabled, text, json, json_indent
    std::string trace_output;                // "" = stdout
    // agent
    std::string log_level = "INFO";
    double stats_interval = 0; // seconds, 0: none

    std::string source; // what it was read from, for messages
    bool same_selection(const AgentConfig &o) const {
        return pids == o.pids && ports == o.ports && exe_globs == o.exe_globs;
    }
    std::string selection_text() const;
};

// Reads the file (path may be "") and then the environment (env: name → value).
AgentConfig load_agent_config(const std::string &path, const std::map<std::string, std::string> &env);
// The process's environment, only the variables load_agent_config reads.
std::map<std::string, std::string> agent_environment();
// Parses Beyla's port list: "80,443,8000-8999".
std::vector<uint16_t> parse_port_list(const std::string &s, const std::string &what);
