// Pure parsers for the files the capability probe reads. Kept apart from the probing so
// that each format is unit-tested on its own with literal text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace beyla {

// Whole file, or nullopt with *err set to the errno.
std::optional<std::string> read_text_file(const std::string &path, int *err = nullptr);
// A gzip file decompressed (zlib also reads plain files transparently), or nullopt.
std::optional<std::string> read_gz_file(const std::string &path, int *err = nullptr);
// First line of a file with surrounding blanks removed.
std::optional<std::string> read_line_file(const std::string &path, int *err = nullptr);

std::string trim(std::string_view s);

struct KernelVersion {
    uint32_t major = 0, minor = 0, patch = 0;
    bool ok = false;
};
// "6.8.0-45-generic" -> 6.8.0; "4.18.0-348.el8.x86_64" -> 4.18.0; "5.10" -> 5.10.0.
KernelVersion parse_kernel_release(std::string_view release);
// KERNEL_VERSION(a, b, c) with the sublevel clamped to 255, as the kernel does.
uint32_t kernel_version_code(const KernelVersion &v);

// /etc/os-release (KEY=value, values optionally quoted).
struct OsRelease {
    std::string id, id_like, version_id, pretty_name;
    bool found = false;
};
OsRelease parse_os_release(std::string_view text);

// A RHEL-family kernel: 4.18 with an ".el<N>" release or a distro that is, or is like,
// rhel/centos/fedora. Such kernels carry many BPF features backported from 5.x, so the
// version number says little. Writes what it based the answer on into *why.
bool is_rhel_backport(const KernelVersion &v, std::string_view release, const OsRelease &os,
                      std::string *why);

// "none [integrity] confidentiality" -> "integrity"; "" when there is no bracketed word.
std::string parse_lockdown(std::string_view text);
// lockdown=... from a kernel command line; "" when absent.
std::string parse_cmdline_lockdown(std::string_view cmdline);

// CapEff from /proc/<pid>/status.
std::optional<uint64_t> parse_cap_eff(std::string_view status);

// Soft "Max locked memory" from /proc/<pid>/limits; UINT64_MAX for unlimited.
std::optional<uint64_t> parse_memlock_limit(std::string_view limits);

// Kernel config: "CONFIG_X=y" -> "y", "# CONFIG_X is not set" -> "n", "CONFIG_X=val" -> val.
std::map<std::string, std::string> parse_kernel_config(std::string_view text);

// "8 MiB", "16 KiB", "123 bytes": sizes in reasons.
std::string human_bytes(uint64_t n);

} // namespace beyla
