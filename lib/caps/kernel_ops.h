// Everything the capability probe asks of the running kernel, behind one interface: the real
// implementation makes the syscalls, tests substitute a mock that plays any kernel.
// File reads are not here: they go through the (injectable) roots instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <linux/bpf.h>

namespace beyla {

// The outcome of one attempt at something.
struct Attempt {
    int err = 0;        // 0 on success, else a positive errno
    std::string step;   // the operation that failed, e.g. "bpf(BPF_PROG_LOAD)"
    std::string detail; // what else is known: target used, verifier message, hits seen

    bool ok() const { return err == 0; }
    static Attempt success(std::string detail = {}) { return {0, {}, std::move(detail)}; }
    static Attempt failure(int err, std::string step, std::string detail = {}) {
        return {err < 0 ? -err : err, std::move(step), std::move(detail)};
    }
};

// A program loaded from raw instructions (no object file needed).
struct ProgSpec {
    bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
    bpf_attach_type expected_attach_type = static_cast<bpf_attach_type>(0);
    std::vector<bpf_insn> insns;
    uint32_t attach_btf_id = 0;
    uint32_t kern_version = 0; // kprobe programs on kernels before 5.0 must name it
    std::string name = "beyla_probe";
};

struct UnameInfo {
    int err = 0; // positive errno when uname failed
    std::string release, machine;
};

class KernelOps {
  public:
    virtual ~KernelOps() = default;

    virtual UnameInfo uname() = 0;
    virtual long page_size() = 0;
    // RLIMIT_MEMLOCK soft limit (UINT64_MAX for unlimited), or -errno.
    virtual int memlock_limit(uint64_t *cur) = 0;

    // Creates a map and closes it again.
    virtual Attempt map_create(bpf_map_type type, uint32_t key_size, uint32_t value_size,
                               uint32_t max_entries) = 0;
    // Loads a program and closes it again; on failure, detail is the verifier's last words.
    virtual Attempt prog_load(const ProgSpec &spec) = 0;
    // Parses a BTF file with libbpf; detail says how many types it holds.
    virtual Attempt btf_parse(const std::string &path) = 0;

    virtual Attempt mount(const std::string &fstype, const std::string &target) = 0;
    virtual Attempt umount(const std::string &target) = 0;

    // Each attach attempt loads one of bpf/probe_min.bpf.c's programs, attaches it, triggers
    // it where it can, and detaches. detail says whether it fired.
    virtual Attempt attach_tracepoint(int tracepoint_id, const std::string &what) = 0;
    virtual Attempt attach_raw_tracepoint(const std::string &name) = 0;
    virtual Attempt attach_kprobe(const std::string &func) = 0;
    virtual Attempt attach_uprobe() = 0;
    // Loads a fentry program on the first of funcs found in the kernel BTF at btf_path
    // (ids must come from the running kernel's own BTF) and attaches it.
    virtual Attempt attach_fentry(const std::string &btf_path, const std::vector<std::string> &funcs) = 0;
};

// The real thing: syscalls and libbpf.
std::unique_ptr<KernelOps> make_real_kernel_ops();

// Raw instruction builders for the tiny programs the probe loads.
namespace insn {
constexpr bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
    return bpf_insn{BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm};
}
constexpr bpf_insn mov64_reg(uint8_t dst, uint8_t src) {
    return bpf_insn{BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0};
}
constexpr bpf_insn add64_imm(uint8_t dst, int32_t imm) {
    return bpf_insn{BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm};
}
constexpr bpf_insn st_dw(uint8_t dst, int16_t off, int32_t imm) {
    return bpf_insn{BPF_ST | BPF_MEM | BPF_DW, dst, 0, off, imm};
}
constexpr bpf_insn call(int32_t helper) {
    return bpf_insn{BPF_JMP | BPF_CALL, 0, 0, 0, helper};
}
constexpr bpf_insn exit() {
    return bpf_insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
}
// The id of the helper called by a program, or -1: lets mocks decide per helper.
inline int called_helper(const std::vector<bpf_insn> &insns) {
    for (const auto &i : insns)
        if (i.code == (BPF_JMP | BPF_CALL) && i.src_reg == 0) return i.imm;
    return -1;
}
} // namespace insn

} // namespace beyla
