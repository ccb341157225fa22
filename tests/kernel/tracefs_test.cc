// Kernels without some syscall tracepoints: a tracefs that lacks them, made from the real
// one, stands in for such a kernel.
#include <sys/sendfile.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/tracefs.h"
#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;
namespace fs = std::filesystem;

namespace {

const char *kSyscalls[] = {"read",       "write",   "recvfrom", "sendto",   "readv",
                           "writev",     "recvmsg", "sendmsg",  "recvmmsg", "sendmmsg",
                           "sendfile64", "accept",  "accept4",  "connect",  "close"};

// <root>/kernel/tracing/events/syscalls/<name>/id for every tracepoint we use except `omit`.
struct FakeSysRoot {
    fs::path root;
    explicit FakeSysRoot(const std::vector<std::string> &omit) {
        TracefsResult real = find_tracefs("/sys", "/proc", true);
        REQUIRE(!real.path.empty());
        char tmpl[] = "/tmp/beyla_fake_sys_XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        root = tmpl;
        for (const char *sc : kSyscalls) {
            for (const char *dir : {"sys_enter_", "sys_exit_"}) {
                std::string tp = std::string(dir) + sc;
                if (std::find(omit.begin(), omit.end(), tp) != omit.end()) continue;
                int id = tracepoint_id(real.path, "syscalls", tp);
                if (id < 0) continue; // absent here too
                fs::path d = root / "kernel/tracing/events/syscalls" / tp;
                fs::create_directories(d);
                std::ofstream(d / "id") << id << "\n";
            }
        }
    }
    ~FakeSysRoot() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

bool has(const std::vector<std::string> &v, const std::string &s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST_CASE("syscall tracepoints the kernel lacks are skipped", "[kernel][tracefs]") {
    KTEST_REQUIRE_BPF();
    // Only the exit of sendfile64 is missing: its entry must go too.
    FakeSysRoot fake({"sys_exit_sendfile64", "sys_enter_recvmmsg", "sys_exit_recvmmsg"});
    BpfSourceOptions o;
    o.logger = test_logger();
    o.sys_root = fake.root.string();
    o.allow_mount_tracefs = false;
    o.report_all_execs = false;
    BpfSource src(o);
    src.start();
    INFO(src.describe());
    CHECK(has(src.skipped(), "syscalls/sys_enter_sendfile64"));
    CHECK(has(src.skipped(), "syscalls/sys_exit_sendfile64"));
    CHECK(has(src.skipped(), "syscalls/sys_enter_recvmmsg"));
    CHECK(has(src.skipped(), "syscalls/sys_exit_recvmmsg"));
    CHECK(src.skipped().size() == 4);
    CHECK(has(src.attached(), "syscalls/sys_enter_read"));
    CHECK(has(src.attached(), "raw:sched_process_fork"));
    CHECK(src.describe().find("4 absent") != std::string::npos);

    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    char tmpl[] = "/tmp/beyla_ktest_XXXXXX";
    int file = mkstemp(tmpl);
    REQUIRE(file >= 0);
    unlink(tmpl);
    REQUIRE(write_all(file, "0123456789", 10));
    off_t off = 0;
    REQUIRE(sendfile(c, file, &off, 10) == 10);
    REQUIRE(write_all(c, "after", 5));
    REQUIRE(read_exact(s, 15) == "0123456789after");

    Collector col(src);
    REQUIRE(col.wait_for([&] { return col.data_on(c).size() == 1; }));
    col.settle(200);
    REQUIRE(col.data_on(c).size() == 1); // the write; sendfile is not captured here
    CHECK(col.data_on(c)[0]->data().syscall == BEYLA_SYS_WRITE);
    close(file);
    close(c);
    close(s);
}

TEST_CASE("a missing required syscall tracepoint fails start() naming it", "[kernel][tracefs]") {
    KTEST_REQUIRE_BPF();
    FakeSysRoot fake({"sys_exit_read"});
    BpfSourceOptions o;
    o.logger = test_logger();
    o.sys_root = fake.root.string();
    o.allow_mount_tracefs = false;
    BpfSource src(o);
    try {
        src.start();
        FAIL("start() succeeded without sys_exit_read");
    } catch (const Error &e) {
        CHECK(e.code() == ENOTSUP);
        CHECK(std::string(e.what()).find("syscalls/sys_exit_read") != std::string::npos);
    }
    CHECK(src.fd() == -1);
    CHECK(src.describe().find("not started") != std::string::npos);
}

TEST_CASE("no tracefs and no permission to mount it fails start() with the reason", "[kernel][tracefs]") {
    char tmpl[] = "/tmp/beyla_empty_sys_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    BpfSourceOptions o;
    o.sys_root = tmpl;
    o.proc_root = std::string(tmpl) + "/proc"; // no mounts list either
    o.allow_mount_tracefs = false;
    BpfSource src(o);
    try {
        src.start();
        FAIL("start() succeeded without tracefs");
    } catch (const Error &e) {
        CHECK(e.code() == ENOENT);
        CHECK(std::string(e.what()).find("tracefs") != std::string::npos);
    }
    rmdir(tmpl);
}
