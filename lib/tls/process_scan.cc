#include "tls/process_scan.h"

#include <climits>
#include <fstream>
#include <set>
#include <unistd.h>

#include <fmt/format.h>

#include "common/error.h"
#include "tls/elf_symbols.h"
#include "tls/go_binary.h"

namespace beyla::tls {

namespace {

// The same test the tracer applies before it attaches: every required function is there.
ProcessTarget check_functions(Kind kind, const std::string &file, const std::string &shown) {
    ProcessTarget t{kind, shown};
    std::set<std::string> names;
    for (const auto &f : functions_of(kind)) names.insert(f.symbol);
    ElfFunctions ef = find_functions(file, names);
    std::string found, missing;
    for (const auto &f : functions_of(kind)) {
        if (ef.offsets.count(f.symbol))
            found += (found.empty() ? "" : ", ") + std::string(f.symbol);
        else if (f.required)
            missing += (missing.empty() ? "" : ", ") + std::string(f.symbol);
    }
    t.probeable = missing.empty();
    if (!ef.error.empty())
        t.detail = ef.error;
    else if (t.probeable)
        t.detail = found;
    else
        t.detail = "missing " + missing;
    return t;
}

} // namespace

std::vector<ProcessTarget> scan_process(const std::string &proc_root, uint32_t pid) {
    const std::string base = fmt::format("{}/{}", proc_root, pid);
    std::ifstream maps(base + "/maps");
    if (!maps) fail(ESRCH, "process {}: cannot read {}/maps", pid, base);
    std::vector<ProcessTarget> out;

    const std::string exe = base + "/exe";
    char buf[PATH_MAX];
    ssize_t n = readlink(exe.c_str(), buf, sizeof(buf) - 1);
    const std::string shown = n > 0 ? std::string(buf, static_cast<size_t>(n)) : exe;
    // No executable to read (a kernel thread, or a tree without it): the libraries still count.
    const bool exe_readable = access(exe.c_str(), R_OK) == 0;
    GoBinary go = exe_readable ? inspect_go_binary(exe, shown) : GoBinary{};
    if (go.status == GoStatus::Ok) {
        out.push_back({Kind::Go, shown, true,
                       fmt::format("{}: crypto/tls.(*Conn).Read/Write, {} return points", go.version,
                                   go.read.ret_offsets.size() + go.write.ret_offsets.size())});
    } else if (go.status != GoStatus::NotGo && go.status != GoStatus::NoTls) {
        out.push_back({Kind::Go, shown, false, go.reason});
    } else if (go.status == GoStatus::NotGo && exe_readable) {
        // OpenSSL or BoringSSL linked in: only worth a line when it is there.
        ProcessTarget t = check_functions(Kind::OpensslStatic, exe, shown);
        if (t.probeable) out.push_back(std::move(t));
    }

    for (const auto &lib : tls_libraries_in_maps(maps))
        out.push_back(check_functions(lib.kind, base + "/root" + lib.path, lib.path));
    return out;
}

} // namespace beyla::tls
