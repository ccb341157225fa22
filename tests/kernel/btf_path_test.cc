// A BTF file given for CO-RE (btf_path): a copy of this kernel's own BTF captures a loopback
// exchange, through BpfSource and through the whole tracer; a file that cannot be used fails
// start() with an error naming it.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/tracer.h"
#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;
namespace fs = std::filesystem;

namespace {

const char *kKernelBtf = "/sys/kernel/btf/vmlinux";

// A scratch directory removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/beyla_ktest_btf_XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    // The kernel's raw BTF as a plain file: sysfs serves it as one.
    std::string kernel_btf_copy() const {
        std::string p = (path / "vmlinux.btf").string();
        fs::copy_file(kKernelBtf, p);
        REQUIRE(fs::file_size(p) > 0);
        return p;
    }
    std::string write(const std::string &name, const std::string &bytes) const {
        std::string p = (path / name).string();
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
};

uint64_t inode_of(int fd) {
    struct stat st;
    REQUIRE(fstat(fd, &st) == 0);
    return st.st_ino;
}

const Event *data_with(const Collector &col, int fd, int dir, const std::string &payload) {
    for (const auto &e : col.events)
        if (e.type() == BEYLA_EV_DATA && e.hdr().fd == fd && e.data().direction == dir &&
            e.payload() == payload)
            return &e;
    return nullptr;
}

// start() with btf_path fails with code, naming the file.
void expect_refused(const std::string &path, int code) {
    BpfSourceOptions o;
    o.logger = test_logger();
    o.btf_path = path;
    BpfSource src(o);
    try {
        src.start();
        FAIL("start() accepted the BTF file " << path);
    } catch (const Error &e) {
        INFO(e.what());
        CHECK(e.code() == code);
        CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
}

} // namespace

TEST_CASE("btf_path: a copy of the kernel's BTF captures a loopback exchange", "[kernel][btf]") {
    KTEST_REQUIRE_BPF();
    if (access(kKernelBtf, R_OK) != 0) {
        WARN("skipped: needs the kernel's BTF at " << kKernelBtf << " to copy");
        return;
    }
    TempDir dir;
    const std::string btf = dir.kernel_btf_copy();
    BpfSourceOptions o;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.btf_path = btf;
    BpfSource src(o);
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    src.start();
    INFO(src.describe());
    CHECK(src.describe().find("CO-RE against " + btf) != std::string::npos);
    // Type ids from a given file are not handed to the kernel: the CO-RE reads walk.
    CHECK_FALSE(src.using_task_btf());

    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    const std::string req = "GET /btf HTTP/1.1\r\nHost: x\r\n\r\n", resp = "HTTP/1.1 204 No Content\r\n\r\n";
    REQUIRE(write_all(c, req.data(), req.size()));
    REQUIRE(read_exact(s, req.size()) == req);
    REQUIRE(write_all(s, resp.data(), resp.size()));
    REQUIRE(read_exact(c, resp.size()) == resp);

    Collector col(src);
    REQUIRE(col.wait_for([&] {
        return data_with(col, c, BEYLA_DIR_EGRESS, req) && data_with(col, s, BEYLA_DIR_INGRESS, req) &&
               data_with(col, s, BEYLA_DIR_EGRESS, resp) && data_with(col, c, BEYLA_DIR_INGRESS, resp);
    }));
    // What the relocated socket walk read: the right socket and its addresses.
    const uint16_t cport = local_port(c);
    for (int fd : {c, s}) {
        for (int dir : {BEYLA_DIR_EGRESS, BEYLA_DIR_INGRESS}) {
            const Event *e = data_with(col, fd, dir,
                                       fd == c ? (dir == BEYLA_DIR_EGRESS ? req : resp)
                                               : (dir == BEYLA_DIR_EGRESS ? resp : req));
            REQUIRE(e);
            CHECK(e->hdr().sock_id == inode_of(fd));
            CHECK(e->data().addr.family == AF_INET);
            CHECK(is_loopback_v4(e->data().addr.laddr));
            CHECK(is_loopback_v4(e->data().addr.raddr));
            CHECK(e->data().addr.lport == (fd == c ? cport : l.port));
            CHECK(e->data().addr.rport == (fd == c ? l.port : cport));
        }
    }
    close(c);
    close(s);
    src.stop();
}

TEST_CASE("btf_path: the tracer makes spans with a given BTF file", "[kernel][btf]") {
    KTEST_REQUIRE_BPF();
    if (access(kKernelBtf, R_OK) != 0) {
        WARN("skipped: needs the kernel's BTF at " << kKernelBtf << " to copy");
        return;
    }
    TempDir dir;
    std::vector<std::string> paths;
    TracerOptions o;
    o.selection.pids.push_back(getpid());
    o.btf_path = dir.kernel_btf_copy();
    o.logger = *test_logger();
    o.on_span = [&](const beyla_span &s) {
        if (s.kind == BEYLA_SPAN_SERVER && s.path)
            paths.push_back(std::string(s.path) + " " + std::to_string(s.status));
    };
    Tracer t(std::move(o));
    t.start();

    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    const std::string req = "GET /btf-span HTTP/1.1\r\nHost: x\r\n\r\n",
                      resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    REQUIRE(write_all(c, req.data(), req.size()));
    REQUIRE(read_exact(s, req.size()) == req);
    REQUIRE(write_all(s, resp.data(), resp.size()));
    REQUIRE(read_exact(c, resp.size()) == resp);

    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (paths.empty() && std::chrono::steady_clock::now() < until) t.poll(100);
    close(c);
    close(s);
    t.stop();
    REQUIRE(paths.size() == 1);
    CHECK(paths[0] == "/btf-span 200");
}

TEST_CASE("btf_path: a file that cannot be used fails start() naming it", "[kernel][btf]") {
    TempDir dir;
    SECTION("missing: ENOENT") {
        expect_refused((dir.path / "absent.btf").string(), ENOENT);
    }
    SECTION("a directory: EINVAL") {
        expect_refused(dir.path.string(), EINVAL);
    }
    SECTION("not BTF: EINVAL") {
        expect_refused(dir.write("text.btf", "this is not BTF\n"), EINVAL);
    }
    SECTION("empty: EINVAL") {
        expect_refused(dir.write("empty.btf", ""), EINVAL);
    }
    SECTION("truncated BTF: EINVAL") {
        if (access(kKernelBtf, R_OK) != 0) {
            WARN("skipped: needs the kernel's BTF at " << kKernelBtf << " to cut short");
            return;
        }
        std::ifstream in(kKernelBtf, std::ios::binary);
        std::string head(4096, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<size_t>(in.gcount()));
        expect_refused(dir.write("short.btf", head), EINVAL);
    }
    SECTION("through the tracer: the same error") {
        KTEST_REQUIRE_BPF(); // the tracer checks privileges first
        std::string path = (dir.path / "absent.btf").string();
        TracerOptions o;
        o.selection.pids.push_back(getpid());
        o.btf_path = path;
        Tracer t(std::move(o));
        try {
            t.start();
            FAIL("the tracer started with a missing BTF file");
        } catch (const Error &e) {
            CHECK(e.code() == ENOENT);
            CHECK(std::string(e.what()).find(path) != std::string::npos);
        }
    }
}
