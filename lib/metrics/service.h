// Service identity of traced processes, for the resource of their metrics: service.name
// from OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) in the process's
// environment (/proc/PID/environ, readable by root only; read once per process), else the
// executable name; service.instance.id "host.name:pid"; host.name; process.pid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beyla::metrics {

struct Resource {
    uint32_t pid = 0;
    std::string exe;          // process.executable.name
    std::string service_name; // service.name
    std::string instance_id;  // service.instance.id
    std::string host_name;    // host.name
};

inline constexpr uint32_t kNoResource = UINT32_MAX;

class ServiceResolver {
  public:
    // host_name empty: gethostname(). service_name set: every process's service.name
    // (the environment is then not read).
    ServiceResolver(std::string proc_root, std::string host_name = {}, std::string service_name = {});
    // The resource of a process, looked up once per (pid, executable): a pid reused by
    // another program, or an exec, gets a new one. kNoResource once kMaxResources exist.
    uint32_t resource_for(uint32_t pid, std::string_view exe);
    const std::vector<Resource> &resources() const { return resources_; }
    uint64_t refused() const { return refused_; }

    static constexpr size_t kMaxResources = 8192; // as many as traced_pids holds
    static constexpr size_t kMaxEnvironBytes = 256 * 1024;

    // service.name from an environ block (NUL-separated), "" when it sets none.
    static std::string service_from_environ(std::string_view env);

  private:
    std::string proc_root_;
    std::string host_;
    std::string service_override_;
    std::unordered_map<uint32_t, uint32_t> by_pid_;
    std::vector<Resource> resources_;
    uint64_t refused_ = 0;
};

} // namespace beyla::metrics
