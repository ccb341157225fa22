// What each embedded BPF program costs the verifier and what it asks of the kernel: loads
// every program of the tracer's objects with the verifier's statistics on, and reads the
// helpers, kfuncs and back-edges from the instructions. Prints a table (or JSON), the
// measurement behind docs/KERNELS.md.
//
// Usage: beyla_verifier_report [--json | --kernels]   (root, or CAP_BPF + CAP_PERFMON)
// --kernels: how many programs of each object load on 4.18, 5.4, 5.10, 5.15 and 6.1, and why
// the others do not.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "socket_trace.skel.h"
#include "socket_trace_btf.skel.h"

namespace {

// The first kernel each helper appeared in (include/uapi/linux/bpf.h history; helpers that
// every kernel with BPF tracing has are 4.x or older). A helper not listed here is printed
// with "?" so that the table is never silently wrong.
struct HelperInfo {
    const char *name;
    const char *since;
};
const std::map<int, HelperInfo> &helpers() {
    static const std::map<int, HelperInfo> h = {
        {1, {"map_lookup_elem", "3.19"}},
        {2, {"map_update_elem", "3.19"}},
        {3, {"map_delete_elem", "3.19"}},
        {4, {"probe_read", "4.1"}},
        {5, {"ktime_get_ns", "4.1"}},
        {6, {"trace_printk", "4.1"}},
        {8, {"get_smp_processor_id", "4.1"}},
        {14, {"get_current_pid_tgid", "4.2"}},
        {15, {"get_current_uid_gid", "4.2"}},
        {16, {"get_current_comm", "4.2"}},
        {25, {"perf_event_output", "4.4"}},
        {35, {"get_current_task", "4.8"}},
        {45, {"probe_read_str", "4.11"}},
        {112, {"probe_read_user", "5.5"}},
        {113, {"probe_read_kernel", "5.5"}},
        {114, {"probe_read_user_str", "5.5"}},
        {115, {"probe_read_kernel_str", "5.5"}},
        {125, {"ktime_get_boot_ns", "5.8"}},
        {130, {"ringbuf_output", "5.8"}},
        {131, {"ringbuf_reserve", "5.8"}},
        {132, {"ringbuf_submit", "5.8"}},
        {133, {"ringbuf_discard", "5.8"}},
        {134, {"ringbuf_query", "5.8"}},
        {158, {"get_current_task_btf", "5.11"}},
        {174, {"get_attach_cookie", "5.15"}},
        {175, {"task_pt_regs", "5.15"}},
        {181, {"loop", "5.17"}},
        {182, {"strncmp", "5.17"}},
    };
    return h;
}

// Kernel versions compared as numbers ("5.17" > "5.8").
bool newer(const std::string &a, const std::string &b) {
    unsigned a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    sscanf(a.c_str(), "%u.%u", &a1, &a2);
    sscanf(b.c_str(), "%u.%u", &b1, &b2);
    return a1 != b1 ? a1 > b1 : a2 > b2;
}

struct ProgReport {
    std::string object, name, section;
    size_t insns = 0;
    long processed = -1, total_states = -1, peak_states = -1, verify_us = -1;
    std::set<std::string> needs; // "helper@since", "kfunc:name", "bounded loop@5.3"
    std::string since = "4.1";   // the newest requirement
    bool loaded = false;
    std::string error;
    std::vector<char> log;
};

void need(ProgReport &r, const std::string &what, const std::string &since) {
    r.needs.insert(what + "@" + since);
    if (since != "?" && newer(since, r.since)) r.since = since;
}

void scan(ProgReport &r, const bpf_program *p, const btf *kernel_btf) {
    const bpf_insn *in = bpf_program__insns(p);
    r.insns = bpf_program__insn_cnt(p);
    for (size_t i = 0; i < r.insns; i++) {
        const bpf_insn &x = in[i];
        const uint8_t cls = BPF_CLASS(x.code);
        if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(x.code) == BPF_CALL) {
            if (x.src_reg == 0) {
                auto it = helpers().find(x.imm);
                if (it != helpers().end())
                    need(r, it->second.name, it->second.since);
                else
                    need(r, "helper#" + std::to_string(x.imm), "?");
            } else if (x.src_reg == BPF_PSEUDO_KFUNC_CALL) {
                // After relocation imm is a kernel BTF id: name it from the kernel's BTF.
                std::string name = "kfunc#" + std::to_string(x.imm);
                if (kernel_btf) {
                    const btf_type *t = btf__type_by_id(kernel_btf, x.imm);
                    if (t) name = btf__name_by_offset(kernel_btf, t->name_off);
                }
                // Both kfuncs the tracer may use arrived with 6.2 (bpf_rdonly_cast) or earlier.
                need(r, "kfunc " + name, name == "bpf_rdonly_cast" ? "6.2" : "?");
            }
        } else if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(x.code) != BPF_EXIT &&
                   BPF_OP(x.code) != BPF_CALL && x.off < 0) {
            need(r, "bounded loop", "5.3");
        }
    }
    // Before 5.2 a program could hold at most 4096 instructions, privileged or not.
    if (r.insns > 4096) need(r, "over 4096 instructions", "5.2");
}

// "processed 1234 insns (limit 1000000) max_states_per_insn 4 total_states 88 peak_states 88
// mark_read 20" and "verification time 123 usec".
void parse_log(ProgReport &r) {
    const char *log = r.log.data();
    if (const char *p = strstr(log, "processed ")) sscanf(p, "processed %ld insns", &r.processed);
    if (const char *p = strstr(log, "total_states ")) sscanf(p, "total_states %ld", &r.total_states);
    if (const char *p = strstr(log, "peak_states ")) sscanf(p, "peak_states %ld", &r.peak_states);
    if (const char *p = strstr(log, "verification time "))
        sscanf(p, "verification time %ld usec", &r.verify_us);
    // More than 131072 processed instructions did not verify before 5.2.
    if (r.processed > 131072) need(r, "over 131072 verified instructions", "5.2");
}

int quiet(enum libbpf_print_level level, const char *fmt, va_list args) {
    if (level == LIBBPF_WARN) return vfprintf(stderr, fmt, args);
    return 0;
}

void report_object(const char *object, const void *bytes, size_t size, const btf *kernel_btf,
                   std::vector<ProgReport> &out) {
    bpf_object_open_opts oo{};
    oo.sz = sizeof(oo);
    oo.object_name = object;
    bpf_object *obj = bpf_object__open_mem(bytes, size, &oo);
    if (!obj) {
        fprintf(stderr, "%s: open failed: %s\n", object, strerror(errno));
        return;
    }
    const size_t first = out.size();
    bpf_program *p;
    bpf_object__for_each_program(p, obj) {
        ProgReport r;
        r.object = object;
        r.name = bpf_program__name(p);
        r.section = bpf_program__section_name(p);
        r.log.assign(1 << 20, 0);
        out.push_back(std::move(r));
    }
    size_t i = first;
    bpf_object__for_each_program(p, obj) {
        bpf_program__set_log_level(p, 4); // BPF_LOG_STATS
        bpf_program__set_log_buf(p, out[i].log.data(), out[i].log.size());
        i++;
    }
    const int err = bpf_object__load(obj);
    i = first;
    bpf_object__for_each_program(p, obj) {
        ProgReport &r = out[i++];
        r.loaded = err == 0 && bpf_program__fd(p) >= 0;
        if (!r.loaded) r.error = strerror(err < 0 ? -err : EINVAL);
        // Instructions after libbpf's relocations: what the kernel was given.
        scan(r, p, kernel_btf);
        parse_log(r);
        r.log.clear();
        r.log.shrink_to_fit();
    }
    bpf_object__close(obj);
}

void print_table(const std::vector<ProgReport> &rs) {
    printf("%-18s %-28s %6s %9s %7s %6s %8s %-6s %s\n", "object", "program", "insns", "verified", "states",
           "peak", "time_us", "since", "needs");
    for (const auto &r : rs) {
        std::string needs;
        for (const auto &n : r.needs) {
            // Only what is newer than 4.18 is worth a column: the rest runs everywhere.
            const std::string since = n.substr(n.rfind('@') + 1);
            if (since == "?" || newer(since, "4.18")) needs += (needs.empty() ? "" : ", ") + n;
        }
        printf("%-18s %-28s %6zu %9ld %7ld %6ld %8ld %-6s %s%s\n", r.object.c_str(), r.name.c_str(), r.insns,
               r.processed, r.total_states, r.peak_states, r.verify_us, r.since.c_str(), needs.c_str(),
               r.loaded ? "" : (" [not loaded: " + r.error + "]").c_str());
    }
}

void print_json(const std::vector<ProgReport> &rs) {
    printf("[");
    for (size_t i = 0; i < rs.size(); i++) {
        const auto &r = rs[i];
        printf(
            "%s\n "
            "{\"object\":\"%s\",\"program\":\"%s\",\"section\":\"%s\",\"insns\":%zu,\"verified_insns\":%ld,"
            "\"total_states\":%ld,\"peak_states\":%ld,\"verification_us\":%ld,\"loaded\":%s,\"since\":\"%s\","
            "\"needs\":[",
            i ? "," : "", r.object.c_str(), r.name.c_str(), r.section.c_str(), r.insns, r.processed,
            r.total_states, r.peak_states, r.verify_us, r.loaded ? "true" : "false", r.since.c_str());
        size_t j = 0;
        for (const auto &n : r.needs) printf("%s\"%s\"", j++ ? "," : "", n.c_str());
        printf("]}");
    }
    printf("\n]\n");
}

// What loads on each kernel named in docs/KERNELS.md, from the requirements above. The ring
// buffer helpers are not a requirement: the plan retypes the map to a perf event array and
// the programs call perf_event_output (4.4) where the ring buffer (5.8) is missing.
std::string since_with_perf(const ProgReport &r) {
    std::string since = "4.1";
    for (const auto &n : r.needs) {
        const size_t at = n.rfind('@');
        const std::string what = n.substr(0, at), v = n.substr(at + 1);
        if (what.rfind("ringbuf_", 0) == 0) continue;
        if (v == "?") return "?";
        if (newer(v, since)) since = v;
    }
    return since;
}

void print_kernels(const std::vector<ProgReport> &rs) {
    static const char *const kernels[] = {"4.18", "5.4", "5.10", "5.15", "6.1"};
    printf("%-8s %-18s %8s  %s\n", "kernel", "object", "loadable", "refused (program: what it needs that the kernel lacks)");
    for (const char *k : kernels) {
        std::map<std::string, std::pair<size_t, size_t>> per_object; // loadable, total
        std::map<std::string, std::string> refused, replaced;
        auto loads = [&](const ProgReport &r) {
            const std::string since = since_with_perf(r);
            return since != "?" && !newer(since, k);
        };
        for (const auto &r : rs) {
            auto &c = per_object[r.object];
            c.second++;
            if (loads(r)) {
                c.first++;
                continue;
            }
            // X_bpfloop is the bpf_loop form of X: where it cannot load, the plan loads X.
            const std::string suffix = "_bpfloop";
            if (r.name.size() > suffix.size() && r.name.ends_with(suffix)) {
                const std::string base = r.name.substr(0, r.name.size() - suffix.size());
                bool base_loads = false;
                for (const auto &o : rs)
                    if (o.object == r.object && o.name == base) base_loads = loads(o);
                if (base_loads) {
                    c.first++;
                    auto &line = replaced[r.object];
                    line += (line.empty() ? "" : ", ") + r.name;
                    continue;
                }
            }
            std::string why;
            for (const auto &n : r.needs) {
                const std::string v = n.substr(n.rfind('@') + 1);
                if (n.rfind("ringbuf_", 0) != 0 && (v == "?" || newer(v, k))) why += (why.empty() ? "" : ", ") + n;
            }
            auto &line = refused[r.object];
            line += (line.empty() ? "" : "; ") + r.name + ": " + why;
        }
        for (const auto &[obj, c] : per_object) {
            printf("%-8s %-18s %4zu/%-3zu  %s\n", k, obj.c_str(), c.first, c.second,
                   refused.count(obj) ? refused[obj].c_str() : "-");
            if (replaced.count(obj))
                printf("%-8s %-18s %8s  (bounded walk instead of: %s)\n", "", "", "", replaced[obj].c_str());
        }
    }
}

} // namespace

int main(int argc, char **argv) {
    const bool json = argc > 1 && !strcmp(argv[1], "--json");
    const bool kernels = argc > 1 && !strcmp(argv[1], "--kernels");
    libbpf_set_print(quiet);
    std::vector<ProgReport> rs;
    btf *kernel_btf = btf__load_vmlinux_btf(); // names the kfuncs; NULL without kernel BTF
    size_t sz = 0;
    const void *b = socket_trace_bpf__elf_bytes(&sz);
    report_object("socket_trace", b, sz, kernel_btf, rs);
    b = socket_trace_btf_bpf__elf_bytes(&sz);
    report_object("socket_trace_btf", b, sz, kernel_btf, rs);
    btf__free(kernel_btf);
    if (rs.empty()) return 1;
    if (json)
        print_json(rs);
    else if (kernels)
        print_kernels(rs);
    else
        print_table(rs);
    for (const auto &r : rs)
        if (!r.loaded) return 1;
    return 0;
}
