#include "tls/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace beyla::tls {

namespace {

struct Segment {
    uint64_t vaddr, filesz, offset;
};

struct ElfFile {
    int fd = -1;
    Elf *elf = nullptr;
    ~ElfFile() {
        if (elf) elf_end(elf);
        if (fd >= 0) close(fd);
    }
};

// Symbols of one table; `found` gains the names in `want` defined as functions there.
void scan_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr &sh, const std::set<std::string> &want,
                const std::vector<Segment> &segs, ElfFunctions &out) {
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) return;
    size_t n = sh.sh_size / sh.sh_entsize;
    if (n > 1) out.has_symbols = true;
    for (size_t i = 0; i < n; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        int type = GELF_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
            continue;
        const char *raw = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (!raw) continue;
        std::string_view name(raw);
        if (auto at = name.find('@'); at != std::string_view::npos) name = name.substr(0, at);
        auto it = want.find(std::string(name));
        if (it == want.end() || out.offsets.count(*it)) continue;
        for (const auto &s : segs) {
            if (sym.st_value >= s.vaddr && sym.st_value < s.vaddr + s.filesz) {
                out.offsets[*it] = sym.st_value - s.vaddr + s.offset;
                break;
            }
        }
    }
}

} // namespace

ElfFunctions find_functions(const std::string &path, const std::set<std::string> &names) {
    ElfFunctions out;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        out.error = "libelf is unusable";
        return out;
    }
    ElfFile f;
    f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) {
        out.error = std::string("cannot open: ") + strerror(errno);
        return out;
    }
    f.elf = elf_begin(f.fd, ELF_C_READ_MMAP, nullptr);
    if (!f.elf || elf_kind(f.elf) != ELF_K_ELF) {
        out.error = "not an ELF file";
        return out;
    }
    size_t nph = 0;
    if (elf_getphdrnum(f.elf, &nph) != 0) {
        out.error = "no program headers";
        return out;
    }
    std::vector<Segment> segs;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(f.elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
            segs.push_back({ph.p_vaddr, ph.p_filesz, ph.p_offset});
    }
    if (segs.empty()) {
        out.error = "no executable segment";
        return out;
    }
    // .dynsym first: small, and enough for shared libraries and executables exporting them.
    for (Elf64_Word type : {SHT_DYNSYM, SHT_SYMTAB}) {
        if (out.offsets.size() == names.size()) break;
        for (Elf_Scn *scn = elf_nextscn(f.elf, nullptr); scn; scn = elf_nextscn(f.elf, scn)) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && sh.sh_type == type) scan_table(f.elf, scn, sh, names, segs, out);
        }
    }
    if (!out.has_symbols) out.error = "no symbol table (stripped)";
    return out;
}

} // namespace beyla::tls
