#include "metrics/service.h"

#include <fcntl.h>
#include <unistd.h>

namespace beyla::metrics {

namespace {

std::string read_bounded(const std::string &path, size_t max) {
    std::string out;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[8192];
    while (out.size() < max) {
        ssize_t n = read(fd, buf, std::min(sizeof(buf), max - out.size()));
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return out;
}

// service.name=VALUE in a comma-separated OTEL_RESOURCE_ATTRIBUTES list.
std::string from_resource_attributes(std::string_view list) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view kv = list.substr(0, comma);
        while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
        if (kv.substr(0, 13) == "service.name=") return std::string(kv.substr(13));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return {};
}

} // namespace

std::string ServiceResolver::service_from_environ(std::string_view env) {
    std::string from_attrs;
    while (!env.empty()) {
        size_t nul = env.find('\0');
        std::string_view var = env.substr(0, nul);
        if (var.substr(0, 18) == "OTEL_SERVICE_NAME=" && var.size() > 18) return std::string(var.substr(18));
        if (var.substr(0, 25) == "OTEL_RESOURCE_ATTRIBUTES=")
            from_attrs = from_resource_attributes(var.substr(25));
        if (nul == std::string_view::npos) break;
        env.remove_prefix(nul + 1);
    }
    return from_attrs; // OTEL_SERVICE_NAME wins over it, as in the SDKs
}

ServiceResolver::ServiceResolver(std::string proc_root, std::string host_name, std::string service_name)
    : proc_root_(std::move(proc_root)), host_(std::move(host_name)), service_override_(std::move(service_name)) {
    if (host_.empty()) {
        char buf[256] = {};
        if (gethostname(buf, sizeof(buf) - 1) == 0) host_ = buf;
        if (host_.empty()) host_ = "localhost";
    }
}

uint32_t ServiceResolver::resource_for(uint32_t pid, std::string_view exe) {
    auto it = by_pid_.find(pid);
    if (it != by_pid_.end() && resources_[it->second].exe == exe) return it->second;
    if (resources_.size() >= kMaxResources) {
        refused_++;
        return kNoResource;
    }
    Resource r;
    r.pid = pid;
    r.exe = exe;
    if (!service_override_.empty()) {
        r.service_name = service_override_;
    } else {
        std::string env = read_bounded(proc_root_ + "/" + std::to_string(pid) + "/environ", kMaxEnvironBytes);
        r.service_name = service_from_environ(env);
    }
    if (r.service_name.empty()) r.service_name = r.exe.empty() ? "unknown_service" : r.exe;
    r.host_name = host_;
    r.instance_id = host_ + ":" + std::to_string(pid);
    // A reused pid or an exec is another instance: its series must not merge with the first.
    if (it != by_pid_.end()) {
        size_t same = 0;
        for (const Resource &o : resources_) same += o.pid == pid;
        r.instance_id += ":" + std::to_string(same + 1);
    }
    resources_.push_back(std::move(r));
    const auto idx = static_cast<uint32_t>(resources_.size() - 1);
    by_pid_[pid] = idx;
    return idx;
}

} // namespace beyla::metrics
