#include "tls/tls_library.h"

#include <set>

namespace beyla::tls {

namespace {

// SSL_read/SSL_write exist in every OpenSSL and BoringSSL; the _ex ones since 1.1.1.
constexpr Function kOpenssl[] = {
    {"SSL_read", "ssl_read_enter", "ssl_rw_exit", true},
    {"SSL_write", "ssl_write_enter", "ssl_rw_exit", true},
    {"SSL_read_ex", "ssl_read_ex_enter", "ssl_rw_exit", false},
    {"SSL_write_ex", "ssl_write_ex_enter", "ssl_rw_exit", false},
};

constexpr Function kGnutls[] = {
    {"gnutls_record_recv", "gnutls_recv_enter", "gnutls_rw_exit", true},
    {"gnutls_record_send", "gnutls_send_enter", "gnutls_rw_exit", true},
};

} // namespace

const char *kind_name(Kind k) {
    switch (k) {
    case Kind::OpensslShared:
        return "openssl-shared";
    case Kind::OpensslStatic:
        return "openssl-static";
    case Kind::Gnutls:
        return "gnutls";
    case Kind::Go:
        return "go";
    }
    return "?";
}

std::span<const Function> functions_of(Kind k) {
    if (k == Kind::Gnutls) return kGnutls;
    return kOpenssl;
}

std::optional<Kind> kind_of_library(const std::string &path) {
    auto slash = path.rfind('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.rfind("libssl.so", 0) == 0) return Kind::OpensslShared;
    if (base.rfind("libgnutls.so", 0) == 0) return Kind::Gnutls;
    return std::nullopt;
}

std::vector<MappedLibrary> tls_libraries_in_maps(std::istream &maps) {
    std::vector<MappedLibrary> out;
    std::set<std::string> seen;
    for (std::string line; std::getline(maps, line);) {
        // "start-end perms offset dev inode   path": the path is the sixth field, may hold spaces.
        size_t pos = 0;
        for (int field = 0; field < 5 && pos != std::string::npos; field++) {
            pos = line.find(' ', pos);
            if (pos != std::string::npos) pos = line.find_first_not_of(' ', pos);
        }
        if (pos == std::string::npos || line[pos] != '/') continue;
        std::string path = line.substr(pos);
        if (path.ends_with(" (deleted)") || !seen.insert(path).second) continue;
        if (auto kind = kind_of_library(path)) out.push_back({*kind, std::move(path)});
    }
    return out;
}

} // namespace beyla::tls
