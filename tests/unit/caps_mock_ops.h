// A KernelOps that plays whatever kernel a test describes, and records what was asked of it.
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caps/kernel_ops.h"

namespace beyla::test {

struct MockKernelOps : KernelOps {
    // The kernel being played. Errors are positive errnos; 0 means success.
    UnameInfo uname_info{0, "6.1.0-mock", "x86_64"};
    long page = 4096;
    int memlock_rc = 0;
    uint64_t memlock = 8ull << 20;
    std::map<bpf_map_type, int> map_err;
    std::map<bpf_prog_type, int> prog_err;
    std::map<int, int> helper_err;         // by helper id
    std::map<int, std::string> helper_log; // verifier's last words, by helper id
    int btf_err = 0;
    int mount_err = 0;
    // Called on a successful mount, e.g. to populate the mount point.
    std::function<void(const std::string &fstype, const std::string &target)> on_mount;
    std::function<void(const std::string &target)> on_umount;
    int tp_err = 0, raw_err = 0, kprobe_err = 0, uprobe_err = 0, fentry_err = 0;
    std::string fentry_log;

    // What was asked.
    std::vector<std::string> calls;
    std::vector<uint32_t> ringbuf_sizes;
    std::vector<std::string> mounts; // "fstype on target"
    std::vector<int> tracepoint_ids;
    std::vector<std::string> btf_parsed;

    UnameInfo uname() override {
        calls.push_back("uname");
        return uname_info;
    }
    long page_size() override {
        calls.push_back("page_size");
        return page;
    }
    int memlock_limit(uint64_t *cur) override {
        calls.push_back("memlock_limit");
        if (memlock_rc) return memlock_rc;
        *cur = memlock;
        return 0;
    }
    Attempt map_create(bpf_map_type type, uint32_t, uint32_t, uint32_t max_entries) override {
        calls.push_back("map_create " + std::to_string(type));
        if (type == BPF_MAP_TYPE_RINGBUF) ringbuf_sizes.push_back(max_entries);
        auto it = map_err.find(type);
        if (it != map_err.end() && it->second) return Attempt::failure(it->second, "bpf(BPF_MAP_CREATE)");
        return Attempt::success();
    }
    Attempt prog_load(const ProgSpec &spec) override {
        int helper = insn::called_helper(spec.insns);
        calls.push_back("prog_load " + std::to_string(spec.type) + " helper " + std::to_string(helper));
        if (auto it = prog_err.find(spec.type); it != prog_err.end() && it->second)
            return Attempt::failure(it->second, "bpf(BPF_PROG_LOAD)");
        if (helper >= 0) {
            auto e = helper_err.find(helper);
            if (e != helper_err.end() && e->second) {
                auto l = helper_log.find(helper);
                return Attempt::failure(e->second, "bpf(BPF_PROG_LOAD)",
                                        l == helper_log.end() ? "" : l->second);
            }
        }
        return Attempt::success();
    }
    Attempt btf_parse(const std::string &path) override {
        calls.push_back("btf_parse " + path);
        btf_parsed.push_back(path);
        if (btf_err) return Attempt::failure(btf_err, "btf__parse");
        return Attempt::success("4242 types");
    }
    Attempt mount(const std::string &fstype, const std::string &target) override {
        calls.push_back("mount " + fstype);
        mounts.push_back(fstype + " on " + target);
        if (mount_err) return Attempt::failure(mount_err, "mount(" + fstype + ")");
        if (on_mount) on_mount(fstype, target);
        return Attempt::success();
    }
    Attempt umount(const std::string &target) override {
        calls.push_back("umount " + target);
        if (on_umount) on_umount(target);
        return Attempt::success();
    }
    Attempt attach_tracepoint(int id, const std::string &what) override {
        calls.push_back("attach_tracepoint " + what);
        tracepoint_ids.push_back(id);
        if (tp_err) return Attempt::failure(tp_err, "perf_event_open(PERF_TYPE_TRACEPOINT)");
        return Attempt::success("attached to " + what + "; it fired 3 times on getpid()");
    }
    Attempt attach_raw_tracepoint(const std::string &name) override {
        calls.push_back("attach_raw_tracepoint " + name);
        if (raw_err) return Attempt::failure(raw_err, "bpf_program__attach_raw_tracepoint(" + name + ")");
        return Attempt::success("attached a raw tracepoint program to " + name);
    }
    Attempt attach_kprobe(const std::string &func) override {
        calls.push_back("attach_kprobe " + func);
        if (kprobe_err) return Attempt::failure(kprobe_err, "bpf_program__attach_kprobe(" + func + ")");
        return Attempt::success("attached a kprobe program to " + func);
    }
    Attempt attach_uprobe() override {
        calls.push_back("attach_uprobe");
        if (uprobe_err) return Attempt::failure(uprobe_err, "bpf_program__attach_uprobe");
        return Attempt::success("attached a uprobe program");
    }
    Attempt attach_fentry(const std::string &btf_path, const std::vector<std::string> &funcs) override {
        calls.push_back("attach_fentry " + btf_path);
        if (fentry_err)
            return Attempt::failure(fentry_err, "bpf(BPF_PROG_LOAD) of a fentry program on " + funcs.at(0),
                                    fentry_log);
        return Attempt::success("loaded a fentry program on " + funcs.at(0));
    }

    bool called(const std::string &prefix) const {
        for (const auto &c : calls)
            if (c.rfind(prefix, 0) == 0) return true;
        return false;
    }
};

} // namespace beyla::test
