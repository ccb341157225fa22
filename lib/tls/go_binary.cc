#include "tls/go_binary.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <fcntl.h>
#include <unistd.h>

#include <map>

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>

#include "bpf/socket_trace.h"

namespace beyla::tls {

namespace {

constexpr const char *kReadSym = "crypto/tls.(*Conn).Read";
constexpr const char *kWriteSym = "crypto/tls.(*Conn).Write";
// The linker renamed go.itab.* to go:itab.* in Go 1.20.
constexpr const char *kItabSyms[] = {"go.itab.*net.TCPConn,net.Conn", "go:itab.*net.TCPConn,net.Conn"};
constexpr const char *kBuildVersionSym = "runtime.buildVersion";
constexpr char kBuildInfoMagic[] = "\xff Go buildinf:";
constexpr size_t kBuildInfoMagicLen = 14;
// Larger would be no crypto/tls function: a corrupt symbol.
constexpr uint64_t kMaxFuncSize = 1 << 20;

struct FileCloser {
    int fd;
    ~FileCloser() {
        if (fd >= 0) close(fd);
    }
};
struct ElfCloser {
    Elf *e;
    ~ElfCloser() {
        if (e) elf_end(e);
    }
};

struct Segment {
    uint64_t vaddr, filesz, offset;
};

// Reads the file by offset or by link-time address (through the PT_LOAD segments).
class Image {
  public:
    explicit Image(int fd) : fd_(fd) {}
    void add_segment(const GElf_Phdr &ph) { segs_.push_back({ph.p_vaddr, ph.p_filesz, ph.p_offset}); }

    bool offset_of(uint64_t va, uint64_t len, uint64_t *off) const {
        for (const auto &s : segs_)
            if (va >= s.vaddr && len <= s.filesz && va - s.vaddr <= s.filesz - len) {
                *off = s.offset + (va - s.vaddr);
                return true;
            }
        return false;
    }
    bool read(uint64_t off, void *buf, size_t len) const {
        auto *p = static_cast<char *>(buf);
        while (len) {
            ssize_t n = pread(fd_, p, len, static_cast<off_t>(off));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n, off += static_cast<uint64_t>(n), len -= static_cast<size_t>(n);
        }
        return true;
    }
    bool read_va(uint64_t va, void *buf, size_t len) const {
        uint64_t off;
        return offset_of(va, len, &off) && read(off, buf, len);
    }

  private:
    int fd_;
    std::vector<Segment> segs_;
};

uint64_t load_uint(const uint8_t *p, int size, bool big_endian) {
    uint64_t v = 0;
    for (int i = 0; i < size; i++) {
        int shift = big_endian ? 8 * (size - 1 - i) : 8 * i;
        v |= static_cast<uint64_t>(p[i]) << shift;
    }
    return v;
}

// A Go string header (data pointer, length) at va: its bytes.
bool read_go_string(const Image &img, uint64_t va, int ptr_size, bool big_endian, std::string *out) {
    uint8_t hdr[16];
    if (!img.read_va(va, hdr, 2 * ptr_size)) return false;
    uint64_t data = load_uint(hdr, ptr_size, big_endian);
    uint64_t len = load_uint(hdr + ptr_size, ptr_size, big_endian);
    if (len == 0 || len > 256) return false;
    out->resize(len);
    return img.read_va(data, out->data(), len);
}

// The toolchain version from the .go.buildinfo header (cmd/go's format): 14 magic bytes,
// the pointer size, flags; with flag 2 (Go 1.18+) the version follows inline as a
// varint-prefixed string at 32, before that a pointer at 16 leads to a Go string.
bool buildinfo_version(const Image &img, uint64_t off, uint64_t size, std::string *out) {
    uint8_t b[32 + 10 + 256];
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, sizeof(b)));
    if (n < 32 || !img.read(off, b, n) || memcmp(b, kBuildInfoMagic, kBuildInfoMagicLen) != 0) return false;
    int ptr_size = b[14];
    uint8_t flags = b[15];
    if (flags & 2) {
        uint64_t len = 0;
        size_t i = 32;
        for (int shift = 0; i < n && shift < 64; shift += 7) {
            uint8_t c = b[i++];
            len |= static_cast<uint64_t>(c & 0x7f) << shift;
            if (!(c & 0x80)) break;
        }
        if (len == 0 || len > n - i) return false;
        out->assign(reinterpret_cast<const char *>(b + i), len);
        return true;
    }
    if (ptr_size != 4 && ptr_size != 8) return false;
    uint64_t ptr = load_uint(b + 16, ptr_size, flags & 1);
    return read_go_string(img, ptr, ptr_size, flags & 1, out);
}

struct Sym {
    uint64_t value = 0, size = 0;
    bool found = false;
};

// ---------------------------------------------------------------- HTTP/2 header probes

// A struct member, by the DWARF names Go gives them ("net/http.http2serverConn", "conn";
// an embedded field is named after its type).
struct Member {
    const char *type;
    const char *name;
};

enum class Frames { kNone, kNetHttp, kXNet };

// One probe point: the function, what kind of probe, and the member path from its object
// to the connection's net.Conn.
struct PointSpec {
    const char *symbol;
    uint8_t kind, role, obj;
    const char *obj_itab[2]; // OBJ_IFACE_RBX: the itab symbol (go.itab.* / go:itab.* since 1.20)
    Member hops[BEYLA_GO_H2_MAX_HOPS];
    int nhops;
    Member conn;
    Member stream; // ENCODE_MEM
    Frames frames;
    Member side; // role UNKNOWN: where the side is
};

const PointSpec kPoints[] = {
    {"net/http.(*http2serverConn).processHeaders",
     BEYLA_GO_H2_DECODED,
     BEYLA_ROLE_SERVER,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {},
     0,
     {"net/http.http2serverConn", "conn"},
     {},
     Frames::kNetHttp,
     {}},
    {"net/http.(*http2clientConnReadLoop).processHeaders",
     BEYLA_GO_H2_DECODED,
     BEYLA_ROLE_CLIENT,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {{"net/http.http2clientConnReadLoop", "cc"}},
     1,
     {"net/http.http2ClientConn", "tconn"},
     {},
     Frames::kNetHttp,
     {}},
    {"net/http.(*http2writeResHeaders).writeFrame",
     BEYLA_GO_H2_ENCODE_MEM,
     BEYLA_ROLE_SERVER,
     BEYLA_GO_H2_OBJ_IFACE_RBX,
     {"go.itab.*net/http.http2serverConn,net/http.http2writeContext",
      "go:itab.*net/http.http2serverConn,net/http.http2writeContext"},
     {},
     0,
     {"net/http.http2serverConn", "conn"},
     {"net/http.http2writeResHeaders", "streamID"},
     Frames::kNone,
     {}},
    {"net/http.(*http2clientStream).encodeAndWriteHeaders",
     BEYLA_GO_H2_ENCODE_MEM,
     BEYLA_ROLE_CLIENT,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {{"net/http.http2clientStream", "cc"}},
     1,
     {"net/http.http2ClientConn", "tconn"},
     {"net/http.http2clientStream", "ID"},
     Frames::kNone,
     {}},
    {"google.golang.org/grpc/internal/transport.(*http2Server).operateHeaders",
     BEYLA_GO_H2_DECODED,
     BEYLA_ROLE_SERVER,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {},
     0,
     {"google.golang.org/grpc/internal/transport.http2Server", "conn"},
     {},
     Frames::kXNet,
     {}},
    {"google.golang.org/grpc/internal/transport.(*http2Client).operateHeaders",
     BEYLA_GO_H2_DECODED,
     BEYLA_ROLE_CLIENT,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {},
     0,
     {"google.golang.org/grpc/internal/transport.http2Client", "conn"},
     {},
     Frames::kXNet,
     {}},
    {"google.golang.org/grpc/internal/transport.(*loopyWriter).writeHeader",
     BEYLA_GO_H2_ENCODE_REG,
     BEYLA_ROLE_UNKNOWN,
     BEYLA_GO_H2_OBJ_RAX,
     {},
     {{"google.golang.org/grpc/internal/transport.loopyWriter", "framer"},
      {"google.golang.org/grpc/internal/transport.framer", "writer"}},
     2,
     {"google.golang.org/grpc/internal/transport.bufWriter", "conn"},
     {},
     Frames::kNone,
     {"google.golang.org/grpc/internal/transport.loopyWriter", "side"}},
};

constexpr const char *kWriteFieldSyms[] = {"vendor/golang.org/x/net/http2/hpack.(*Encoder).WriteField",
                                           "golang.org/x/net/http2/hpack.(*Encoder).WriteField"};
constexpr const char *kTlsConnItabSyms[] = {"go.itab.*crypto/tls.Conn,net.Conn",
                                            "go:itab.*crypto/tls.Conn,net.Conn"};

// The (frame type family) members the decoded probes read.
struct FrameMembers {
    Member hdr, fields, stream, flags;
};
const FrameMembers kNetHttpFrames = {{"net/http.http2MetaHeadersFrame", "http2HeadersFrame"},
                                     {"net/http.http2MetaHeadersFrame", "Fields"},
                                     {"net/http.http2FrameHeader", "StreamID"},
                                     {"net/http.http2FrameHeader", "Flags"}};
const FrameMembers kXNetFrames = {{"golang.org/x/net/http2.MetaHeadersFrame", "HeadersFrame"},
                                  {"golang.org/x/net/http2.MetaHeadersFrame", "Fields"},
                                  {"golang.org/x/net/http2.FrameHeader", "StreamID"},
                                  {"golang.org/x/net/http2.FrameHeader", "Flags"}};
// HeadersFrame embeds FrameHeader: its offset is added to StreamID's and Flags'.
const Member kNetHttpHeader = {"net/http.http2HeadersFrame", "http2FrameHeader"};
const Member kXNetHeader = {"golang.org/x/net/http2.HeadersFrame", "FrameHeader"};
const Member kTlsConn = {"crypto/tls.Conn", "conn"};

// Member offsets of the named struct types, from DWARF: each type's members, by name.
using Layouts = std::map<std::string, std::map<std::string, uint64_t>, std::less<>>;

// Reads the members of the wanted struct types from the top-level DIEs of every unit (Go
// puts its types there). false: no DWARF.
bool read_layouts(Elf *e, const std::vector<std::string> &wanted, Layouts *out) {
    Dwarf *dw = dwarf_begin_elf(e, DWARF_C_READ, nullptr);
    if (!dw) return false;
    Dwarf_Off off = 0, next = 0;
    size_t hsize = 0;
    while (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0 &&
           out->size() < wanted.size()) {
        Dwarf_Die cu, die;
        if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
            do {
                if (dwarf_tag(&die) != DW_TAG_structure_type) continue;
                const char *name = dwarf_diename(&die);
                if (!name || std::find(wanted.begin(), wanted.end(), name) == wanted.end() ||
                    out->count(name))
                    continue;
                auto &members = (*out)[name];
                Dwarf_Die m;
                if (dwarf_child(&die, &m) != 0) continue;
                do {
                    Dwarf_Attribute a;
                    Dwarf_Word at = 0;
                    const char *mn = dwarf_diename(&m);
                    if (dwarf_tag(&m) == DW_TAG_member && mn &&
                        dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &at) == 0)
                        members[mn] = at;
                } while (dwarf_siblingof(&m, &m) == 0);
            } while (dwarf_siblingof(&die, &die) == 0);
        }
        off = next;
    }
    dwarf_end(dw);
    return true;
}

// The offset of a member; false (with *why set once) when the type or member is missing
// or the offset does not fit the probe's 16 bits.
bool member_offset(const Layouts &l, const Member &m, uint16_t *out, std::string *why) {
    auto t = l.find(m.type);
    if (t != l.end()) {
        auto it = t->second.find(m.name);
        if (it != t->second.end() && it->second < 0xffff) {
            *out = static_cast<uint16_t>(it->second);
            return true;
        }
    }
    if (why->empty()) *why = fmt::format("no member {} of {} in DWARF", m.name, m.type);
    return false;
}

} // namespace

bool parse_go_version(const std::string &v, int *major, int *minor) {
    for (size_t pos = v.find("go1."); pos != std::string::npos; pos = v.find("go1.", pos + 1)) {
        if (pos > 0 && isalnum(static_cast<unsigned char>(v[pos - 1]))) continue;
        size_t i = pos + 4;
        int m = 0, digits = 0;
        while (i < v.size() && isdigit(static_cast<unsigned char>(v[i])) && digits < 4)
            m = m * 10 + (v[i++] - '0'), digits++;
        if (!digits) continue;
        *major = 1;
        *minor = m;
        return true;
    }
    return false;
}

std::vector<uint64_t> find_ret_instructions(const uint8_t *code, size_t size, std::string *error) {
    std::vector<uint64_t> rets;
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        *error = "the x86-64 disassembler could not be opened";
        return {};
    }
    cs_insn *insn = cs_malloc(h);
    const uint8_t *p = code;
    size_t left = size;
    uint64_t addr = 0;
    while (left > 0) {
        if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
            // Missing a RET would leave a call's entry unmatched forever: all or nothing.
            *error = fmt::format("undecodable instruction at +{:#x}", addr);
            rets.clear();
            break;
        }
        if (insn->id == X86_INS_RET) rets.push_back(insn->address);
    }
    cs_free(insn, 1);
    cs_close(&h);
    return rets;
}

namespace {

// The file offset and RETs of a function symbol; *why set when it cannot be used.
bool locate_function(const Image &img, const Sym &sym, const char *name, bool rets, GoFunction *fn,
                     std::string *why) {
    if (sym.size == 0 || sym.size > kMaxFuncSize) {
        *why = fmt::format("{} has an implausible size {}", name, sym.size);
        return false;
    }
    fn->vaddr = sym.value;
    fn->size = sym.size;
    if (!img.offset_of(fn->vaddr, fn->size, &fn->offset)) {
        *why = fmt::format("{} at {:#x} is outside the file's segments", name, fn->vaddr);
        return false;
    }
    if (!rets) return true;
    std::vector<uint8_t> code(fn->size);
    if (!img.read(fn->offset, code.data(), code.size())) {
        *why = fmt::format("{} cannot be read", name);
        return false;
    }
    std::string err;
    fn->ret_offsets = find_ret_instructions(code.data(), code.size(), &err);
    if (!err.empty() || fn->ret_offsets.empty()) {
        *why = fmt::format("{}: {}", name, err.empty() ? "no RET instruction" : err);
        return false;
    }
    for (auto &r : fn->ret_offsets) r += fn->offset;
    return true;
}

const Sym *first_found(const std::map<std::string, Sym, std::less<>> &syms, const char *const *names,
                       size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        auto it = syms.find(std::string_view(names[i]));
        if (it != syms.end() && it->second.found) return &it->second;
    }
    return nullptr;
}

void find_http2_points(Elf *e, const Image &img, const std::map<std::string, Sym, std::less<>> &syms,
                       const Sym &tcp_itab, const std::string &path, GoHttp2 *out) {
    std::vector<const PointSpec *> present;
    for (const auto &p : kPoints) {
        auto it = syms.find(std::string_view(p.symbol));
        if (it != syms.end() && it->second.found) present.push_back(&p);
    }
    if (present.empty()) return; // no HTTP/2 code linked in
    if (!tcp_itab.found) {
        out->reason = fmt::format("{}: HTTP/2 code but no *net.TCPConn itab: header fields not probed", path);
        return;
    }
    std::vector<std::string> wanted{kTlsConn.type, kNetHttpHeader.type, kXNetHeader.type};
    for (const FrameMembers *f : {&kNetHttpFrames, &kXNetFrames})
        for (const Member *m : {&f->hdr, &f->fields, &f->stream}) wanted.push_back(m->type);
    for (const PointSpec *p : present) {
        for (int i = 0; i < p->nhops; i++) wanted.push_back(p->hops[i].type);
        wanted.push_back(p->conn.type);
        if (p->stream.type) wanted.push_back(p->stream.type);
        if (p->side.type) wanted.push_back(p->side.type);
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    Layouts layouts;
    if (!read_layouts(e, wanted, &layouts)) {
        // Offsets of unexported types change between releases: no guessing without DWARF.
        out->reason = fmt::format("{}: Go binary without DWARF (built with -ldflags=-w?): HTTP/2 header "
                                  "fields not probed",
                                  path);
        return;
    }
    const Sym *tls_itab = first_found(syms, kTlsConnItabSyms, 2);
    std::string why;
    uint16_t tls_conn_off = 0;
    if (tls_itab && !member_offset(layouts, kTlsConn, &tls_conn_off, &why)) tls_itab = nullptr;
    bool encoding = false;
    for (const PointSpec *p : present) {
        std::string miss;
        GoH2Point pt;
        pt.symbol = p->symbol;
        beyla_go_h2_probe &c = pt.conf;
        c.kind = p->kind;
        c.role = p->role;
        c.obj = p->obj;
        c.tcp_conn_itab = tcp_itab.value;
        c.tls_conn_itab = tls_itab ? tls_itab->value : 0;
        c.tls_conn_off = tls_conn_off;
        c.hops = static_cast<uint8_t>(p->nhops);
        bool ok = true;
        for (int i = 0; i < p->nhops; i++)
            ok = ok && member_offset(layouts, p->hops[i], &c.hop_off[i], &miss);
        ok = ok && member_offset(layouts, p->conn, &c.conn_off, &miss);
        if (p->stream.type) ok = ok && member_offset(layouts, p->stream, &c.stream_off, &miss);
        if (p->side.type) ok = ok && member_offset(layouts, p->side, &c.side_off, &miss);
        if (p->obj == BEYLA_GO_H2_OBJ_IFACE_RBX) {
            const Sym *i = first_found(syms, p->obj_itab, 2);
            if (!i && miss.empty()) miss = fmt::format("no {} symbol", p->obj_itab[0]);
            ok = ok && i;
            if (i) c.obj_itab = i->value;
        }
        if (p->frames != Frames::kNone) {
            const FrameMembers &f = p->frames == Frames::kNetHttp ? kNetHttpFrames : kXNetFrames;
            const Member &h = p->frames == Frames::kNetHttp ? kNetHttpHeader : kXNetHeader;
            uint16_t hdr_in_frame = 0;
            ok = ok && member_offset(layouts, f.hdr, &c.frame_hdr_off, &miss) &&
                 member_offset(layouts, f.fields, &c.fields_off, &miss) &&
                 member_offset(layouts, h, &hdr_in_frame, &miss) &&
                 member_offset(layouts, f.stream, &c.streamid_off, &miss) &&
                 member_offset(layouts, f.flags, &c.flags_off, &miss);
            c.streamid_off += hdr_in_frame;
            c.flags_off += hdr_in_frame;
        }
        const bool encoder = p->kind != BEYLA_GO_H2_DECODED;
        ok = ok && locate_function(img, syms.find(std::string_view(p->symbol))->second, p->symbol, encoder,
                                   &pt.fn, &miss);
        if (!ok) {
            if (why.empty()) why = fmt::format("{}: {}", p->symbol, miss);
            continue;
        }
        c.func_vaddr = pt.fn.vaddr;
        encoding = encoding || encoder;
        out->points.push_back(std::move(pt));
    }
    if (encoding) {
        for (const char *n : kWriteFieldSyms) {
            auto it = syms.find(std::string_view(n));
            GoFunction fn;
            std::string miss;
            if (it != syms.end() && it->second.found &&
                locate_function(img, it->second, n, false, &fn, &miss))
                out->write_fields.push_back(fn.offset);
        }
        if (out->write_fields.empty()) {
            // Without the encoder's probe the encoding points would only end empty blocks.
            std::erase_if(out->points, [](const GoH2Point &p) { return p.conf.kind != BEYLA_GO_H2_DECODED; });
            if (why.empty()) why = "no hpack.(*Encoder).WriteField symbol";
        }
    }
    if (!why.empty()) out->reason = fmt::format("{}: HTTP/2 header probes incomplete: {}", path, why);
}

} // namespace

GoBinary inspect_go_binary(const std::string &open_path, const std::string &display) {
    const std::string &path = display.empty() ? open_path : display;
    GoBinary out;
    auto error = [&](std::string why) {
        out.status = GoStatus::Error;
        out.reason = fmt::format("{}: {}", path, why);
        return out;
    };
    int fd = open(open_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return error(fmt::format("cannot open: {}", strerror(errno)));
    FileCloser fc{fd};
    if (elf_version(EV_CURRENT) == EV_NONE) return error("libelf is unusable");
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    ElfCloser ec{e};
    if (!e || elf_kind(e) != ELF_K_ELF) {
        out.reason = fmt::format("{}: not an ELF file", path);
        return out;
    }
    GElf_Ehdr eh;
    if (!gelf_getehdr(e, &eh)) return error("unreadable ELF header");

    Image img(fd);
    size_t nph = 0;
    if (elf_getphdrnum(e, &nph) != 0) return error("unreadable program headers");
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) img.add_segment(ph);
    }

    size_t shstrndx = 0;
    if (elf_getshdrstrndx(e, &shstrndx) != 0) return error("unreadable section names");
    bool go_marker = false;
    Elf_Scn *symtab = nullptr;
    GElf_Shdr symtab_sh{};
    for (Elf_Scn *scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        const char *name = elf_strptr(e, shstrndx, sh.sh_name);
        if (!name) continue;
        if (!strcmp(name, ".go.buildinfo")) {
            go_marker = true;
            if (out.version.empty() && sh.sh_type != SHT_NOBITS)
                buildinfo_version(img, sh.sh_offset, sh.sh_size, &out.version);
        } else if (!strcmp(name, ".note.go.buildid") || !strcmp(name, ".gopclntab")) {
            go_marker = true;
        } else if (sh.sh_type == SHT_SYMTAB) {
            symtab = scn;
            symtab_sh = sh;
        }
    }

    Sym read, write, itab, build_version;
    // The HTTP/2 probe points' symbols (functions and itabs), by name.
    std::map<std::string, Sym, std::less<>> h2syms;
    for (const auto &p : kPoints) {
        h2syms[p.symbol];
        for (const char *i : p.obj_itab)
            if (i) h2syms[i];
    }
    for (const char *n : kWriteFieldSyms) h2syms[n];
    for (const char *n : kTlsConnItabSyms) h2syms[n];
    if (symtab && symtab_sh.sh_entsize) {
        Elf_Data *d = elf_getdata(symtab, nullptr);
        size_t count = d ? d->d_size / symtab_sh.sh_entsize : 0;
        for (size_t i = 0; i < count; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, static_cast<int>(i), &s)) continue;
            const char *name = elf_strptr(e, symtab_sh.sh_link, s.st_name);
            if (!name || name[0] == 0) continue;
            Sym *want = nullptr;
            if (!strcmp(name, kReadSym))
                want = &read;
            else if (!strcmp(name, kWriteSym))
                want = &write;
            else if (!strcmp(name, kBuildVersionSym))
                want = &build_version;
            else if (!strcmp(name, kItabSyms[0]) || !strcmp(name, kItabSyms[1]))
                want = &itab;
            if (!want) {
                auto it = h2syms.find(std::string_view(name));
                if (it != h2syms.end()) want = &it->second;
            }
            if (want && !want->found) *want = {s.st_value, s.st_size, true};
        }
    }
    if (!go_marker && !build_version.found) {
        out.reason = fmt::format("{}: not a Go executable", path);
        return out;
    }
    if (out.version.empty() && build_version.found) {
        // Before .go.buildinfo held it (Go < 1.13): the runtime's own string.
        bool be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
        int ptr = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
        read_go_string(img, build_version.value, ptr, be, &out.version);
    }

    out.status = GoStatus::Unsupported;
    if (!parse_go_version(out.version, &out.major, &out.minor)) {
        out.reason = fmt::format("{}: Go binary of unknown version, crypto/tls not probed", path);
        return out;
    }
    if (out.major == 1 && out.minor < 17) {
        out.reason = fmt::format("{}: Go binary built by {}, before the register ABI (go1.17): crypto/tls "
                                 "not probed",
                                 path, out.version);
        return out;
    }
    if (eh.e_machine != EM_X86_64 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
        out.reason = fmt::format("{}: Go binary for machine {}: crypto/tls probes exist for x86-64 only",
                                 path, eh.e_machine);
        return out;
    }
    if (!symtab) {
        out.status = GoStatus::Stripped;
        out.reason = fmt::format("{}: Go binary is stripped, crypto/tls not probed", path);
        return out;
    }
    find_http2_points(e, img, h2syms, itab, path, &out.http2);
    out.status = GoStatus::NoTls;
    if (!read.found || !write.found) {
        out.reason = fmt::format("{}: Go binary without crypto/tls.(*Conn).Read/Write", path);
        return out;
    }
    if (!itab.found) {
        // Without it the probes cannot check that a connection is a TCP socket.
        out.reason = fmt::format(
            "{}: Go binary with crypto/tls but no *net.TCPConn itab: crypto/tls not probed", path);
        return out;
    }
    out.tcp_conn_itab = itab.value;

    for (auto [sym, fn, name] :
         {std::tuple{&read, &out.read, kReadSym}, std::tuple{&write, &out.write, kWriteSym}}) {
        if (sym->size == 0 || sym->size > kMaxFuncSize)
            return error(fmt::format("{} has an implausible size {}", name, sym->size));
        fn->vaddr = sym->value;
        fn->size = sym->size;
        if (!img.offset_of(fn->vaddr, fn->size, &fn->offset))
            return error(fmt::format("{} at {:#x} is outside the file's segments", name, fn->vaddr));
        std::vector<uint8_t> code(fn->size);
        if (!img.read(fn->offset, code.data(), code.size()))
            return error(fmt::format("{} cannot be read", name));
        std::string why;
        fn->ret_offsets = find_ret_instructions(code.data(), code.size(), &why);
        if (!why.empty()) return error(fmt::format("{}: {}", name, why));
        if (fn->ret_offsets.empty()) return error(fmt::format("{} has no RET instruction", name));
        for (auto &r : fn->ret_offsets) r += fn->offset;
    }
    out.status = GoStatus::Ok;
    out.reason.clear();
    return out;
}

} // namespace beyla::tls
