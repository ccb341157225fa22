#include "caps/parsers.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <zlib.h>

namespace beyla {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Calls fn(line) for each line of text.
template <typename Fn> void for_each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        fn(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

bool parse_u32(std::string_view &s, uint32_t *out) {
    size_t i = 0;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 10) v = v * 10 + (s[i++] - '0');
    if (i == 0 || v > UINT32_MAX) return false;
    *out = static_cast<uint32_t>(v);
    s.remove_prefix(i);
    return true;
}

// Space separated words of a value such as ID_LIKE="rhel centos fedora".
bool has_word(std::string_view list, std::string_view word) {
    size_t pos = 0;
    while (pos < list.size()) {
        while (pos < list.size() && is_blank(list[pos])) pos++;
        size_t end = pos;
        while (end < list.size() && !is_blank(list[end])) end++;
        if (list.substr(pos, end - pos) == word) return true;
        pos = end;
    }
    return false;
}

} // namespace

std::string trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return std::string(s);
}

std::optional<std::string> read_text_file(const std::string &path, int *err) {
    FILE *f = fopen(path.c_str(), "re");
    if (!f) {
        if (err) *err = errno;
        return std::nullopt;
    }
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        if (err) *err = e ? e : EIO;
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> read_gz_file(const std::string &path, int *err) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) {
        if (err) *err = errno ? errno : ENOMEM;
        return std::nullopt;
    }
    std::string out;
    char buf[16384];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    int zerr = Z_OK;
    if (n < 0) gzerror(gz, &zerr);
    gzclose(gz);
    if (n < 0) {
        if (err) *err = zerr == Z_ERRNO ? errno : EIO;
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> read_line_file(const std::string &path, int *err) {
    auto text = read_text_file(path, err);
    if (!text) return std::nullopt;
    std::string_view v = *text;
    return trim(v.substr(0, v.find('\n')));
}

KernelVersion parse_kernel_release(std::string_view release) {
    KernelVersion v;
    std::string_view s = release;
    if (!parse_u32(s, &v.major)) return v;
    if (s.empty() || s[0] != '.') return v;
    s.remove_prefix(1);
    if (!parse_u32(s, &v.minor)) return v;
    if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        if (!parse_u32(s, &v.patch)) v.patch = 0;
    }
    v.ok = true;
    return v;
}

uint32_t kernel_version_code(const KernelVersion &v) {
    return (v.major << 16) + (v.minor << 8) + (v.patch > 255 ? 255 : v.patch);
}

OsRelease parse_os_release(std::string_view text) {
    OsRelease os;
    for_each_line(text, [&](std::string_view line) {
        std::string l = trim(line);
        if (l.empty() || l[0] == '#') return;
        size_t eq = l.find('=');
        if (eq == std::string::npos) return;
        std::string key = l.substr(0, eq);
        std::string val = trim(std::string_view(l).substr(eq + 1));
        if (val.size() >= 2 && (val.front() == '"' || val.front() == '\'') && val.back() == val.front())
            val = val.substr(1, val.size() - 2);
        // Shell escapes inside double quotes: \" \\ \$ \`.
        std::string unesc;
        for (size_t i = 0; i < val.size(); i++) {
            if (val[i] == '\\' && i + 1 < val.size()) i++;
            unesc.push_back(val[i]);
        }
        if (key == "ID")
            os.id = unesc, os.found = true;
        else if (key == "ID_LIKE")
            os.id_like = unesc;
        else if (key == "VERSION_ID")
            os.version_id = unesc;
        else if (key == "PRETTY_NAME")
            os.pretty_name = unesc, os.found = true;
    });
    return os;
}

bool is_rhel_backport(const KernelVersion &v, std::string_view release, const OsRelease &os,
                      std::string *why) {
    if (!v.ok || v.major != 4 || v.minor != 18) {
        if (why) *why = "not a 4.18 kernel";
        return false;
    }
    // ".el8", ".el8_6": Red Hat's release tag.
    bool el_tag = false;
    for (size_t p = release.find(".el"); p != std::string_view::npos; p = release.find(".el", p + 1)) {
        if (p + 3 < release.size() && release[p + 3] >= '0' && release[p + 3] <= '9') {
            el_tag = true;
            break;
        }
    }
    std::string family;
    for (const char *w : {"rhel", "centos", "fedora"}) {
        if (os.id == w || has_word(os.id_like, w)) {
            family = w;
            break;
        }
    }
    for (const char *w : {"rocky", "almalinux", "ol"}) {
        if (family.empty() && os.id == w) family = w;
    }
    if (!el_tag && family.empty()) {
        if (why) *why = "4.18 kernel, but neither an .el release tag nor a RHEL-like distribution";
        return false;
    }
    if (why) {
        std::string ev;
        if (el_tag) ev = fmt::format("release {} carries a Red Hat .el tag", release);
        if (!family.empty()) {
            if (!ev.empty()) ev += " and ";
            ev += fmt::format("distribution ID={} ID_LIKE=\"{}\" is {}-like", os.id, os.id_like, family);
        }
        *why = ev;
    }
    return true;
}

std::string parse_lockdown(std::string_view text) {
    size_t open = text.find('[');
    if (open == std::string_view::npos) return "";
    size_t close = text.find(']', open);
    if (close == std::string_view::npos) return "";
    return trim(text.substr(open + 1, close - open - 1));
}

std::string parse_cmdline_lockdown(std::string_view cmdline) {
    std::string found;
    size_t pos = 0;
    while (pos < cmdline.size()) {
        while (pos < cmdline.size() && is_blank(cmdline[pos])) pos++;
        size_t end = pos;
        while (end < cmdline.size() && !is_blank(cmdline[end])) end++;
        std::string_view word = cmdline.substr(pos, end - pos);
        if (word == "--") break;                                                // the rest belongs to init
        if (word.starts_with("lockdown=")) found = std::string(word.substr(9)); // the last one wins
        pos = end;
    }
    return found;
}

std::optional<uint64_t> parse_cap_eff(std::string_view status) {
    std::optional<uint64_t> out;
    for_each_line(status, [&](std::string_view line) {
        if (out || !line.starts_with("CapEff:")) return;
        std::string hex = trim(line.substr(7));
        if (hex.empty() || hex.size() > 16) return;
        uint64_t v = 0;
        for (char c : hex) {
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) return;
            v = v << 4 | static_cast<uint64_t>(d);
        }
        out = v;
    });
    return out;
}

std::optional<uint64_t> parse_memlock_limit(std::string_view limits) {
    std::optional<uint64_t> out;
    for_each_line(limits, [&](std::string_view line) {
        if (out || !line.starts_with("Max locked memory")) return;
        std::istringstream ss(std::string(line.substr(17)));
        std::string soft;
        ss >> soft;
        if (soft == "unlimited") {
            out = UINT64_MAX;
            return;
        }
        char *end = nullptr;
        errno = 0;
        unsigned long long v = strtoull(soft.c_str(), &end, 10);
        if (!soft.empty() && end && !*end && errno == 0) out = v;
    });
    return out;
}

std::map<std::string, std::string> parse_kernel_config(std::string_view text) {
    std::map<std::string, std::string> cfg;
    for_each_line(text, [&](std::string_view line) {
        std::string l = trim(line);
        if (l.starts_with("# CONFIG_") && l.ends_with(" is not set")) {
            cfg[l.substr(2, l.size() - 2 - 11)] = "n";
            return;
        }
        if (!l.starts_with("CONFIG_")) return;
        size_t eq = l.find('=');
        if (eq == std::string::npos) return;
        std::string val = l.substr(eq + 1);
        if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
        cfg[l.substr(0, eq)] = val;
    });
    return cfg;
}

std::string human_bytes(uint64_t n) {
    if (n == UINT64_MAX) return "unlimited";
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024 || n % 1024) return fmt::format("{} bytes", n);
    uint64_t v = n;
    int u = -1;
    while (v >= 1024 && v % 1024 == 0 && u < 3) v /= 1024, u++;
    return fmt::format("{} {}", v, units[u]);
}

} // namespace beyla
