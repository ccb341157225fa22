// Function symbols of an ELF file as uprobe offsets: for TLS libraries linked into an
// executable (OpenSSL, BoringSSL) as well as shared ones.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace beyla::tls {

struct ElfFunctions {
    // Why nothing was found ("not an ELF file", "no symbol table"); empty on success.
    std::string error;
    bool has_symbols = false; // a .dynsym or .symtab with entries
    // Wanted names that are defined functions, by name: file offset of their first byte.
    std::map<std::string, uint64_t> offsets;
};

// Looks the names up in .dynsym, then (for what is still missing) in .symtab, and turns
// each defined function's address into a file offset through the loadable segments.
// Symbol versions ("SSL_read@@OPENSSL_3.0.0") match their plain name.
ElfFunctions find_functions(const std::string &path, const std::set<std::string> &names);

} // namespace beyla::tls
