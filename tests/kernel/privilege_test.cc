// Without the privileges, start() fails with an error that says which one is missing.
// Each case runs in a forked child that drops privileges and reports back over a pipe.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <functional>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

struct ChildResult {
    int code = -1; // Error::code(), 0 when start() succeeded
    std::string message;
};

// Runs drop() then BpfSource::start() in a child process.
ChildResult start_in_child(const std::function<bool()> &drop) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        std::string out;
        if (!drop()) {
            out = "-1 could not drop privileges";
        } else {
            try {
                BpfSourceOptions o;
                o.allow_mount_tracefs = false;
                BpfSource src(o);
                src.start();
                out = "0 started";
            } catch (const Error &e) {
                out = std::to_string(e.code()) + " " + e.what();
            } catch (const std::exception &e) {
                out = std::string("-2 ") + e.what();
            }
        }
        (void)!write(p[1], out.data(), out.size());
        _exit(0);
    }
    close(p[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ChildResult r;
    size_t sp = got.find(' ');
    REQUIRE(sp != std::string::npos);
    r.code = std::stoi(got.substr(0, sp));
    r.message = got.substr(sp + 1);
    return r;
}

bool drop_caps(std::initializer_list<int> caps) {
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2]{};
    if (syscall(SYS_capget, &h, d) != 0) return false;
    for (int cap : caps) {
        d[cap / 32].effective &= ~(1u << (cap % 32));
        d[cap / 32].permitted &= ~(1u << (cap % 32));
        d[cap / 32].inheritable &= ~(1u << (cap % 32));
    }
    return syscall(SYS_capset, &h, d) == 0;
}

} // namespace

TEST_CASE("without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN, start() says what is needed", "[kernel][privilege]") {
    KTEST_REQUIRE_BPF();
    ChildResult r = start_in_child([] { return drop_caps({CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON}); });
    INFO(r.message);
    REQUIRE(r.code != -1);
    CHECK(r.code == EPERM);
    CHECK(r.message.find("CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)") != std::string::npos);
}

TEST_CASE("as an unprivileged user, start() fails on the first thing it cannot do", "[kernel][privilege]") {
    KTEST_REQUIRE_BPF();
    ChildResult r = start_in_child(
        [] { return setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0; });
    INFO(r.message);
    REQUIRE(r.code != -1);
    // tracefs is root-only on most systems; where it is readable, loading is refused.
    if (r.code == EACCES) {
        CHECK(r.message.find("needs root") != std::string::npos);
    } else {
        CHECK(r.code == EPERM);
        CHECK(r.message.find("CAP_BPF") != std::string::npos);
    }
}
