// Batched wakeups: below the threshold the fd stays quiet and poll() finds events on its
// drain timer; past it, the reader is woken.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "kernel_util.h"

using namespace beyla;
using namespace beyla::ktest;

namespace {

void check_batched_wakeups(BpfTransport transport) {
    BpfSourceOptions o;
    o.transport = transport;
    o.logger = test_logger();
    o.report_all_execs = false;
    o.wakeup_bytes = 64 * 1024;
    BpfSource src(o);
    src.start();
    INFO(src.describe());
    src.trace_pid(static_cast<uint32_t>(getpid()), 0);
    Listener l;
    int c = connect_loopback(l.port);
    REQUIRE(c >= 0);
    int s = accept(l.fd, nullptr, nullptr);
    REQUIRE(s >= 0);
    REQUIRE(write_all(c, "small", 5));
    REQUIRE(read_exact(s, 5) == "small");
    usleep(100 * 1000);

    pollfd p{src.fd(), POLLIN, 0};
    REQUIRE(p.fd >= 0);
    CHECK(::poll(&p, 1, 0) == 0); // a few hundred bytes wait: nobody was woken

    Collector col(src);
    REQUIRE(col.wait_for([&] { return !col.data_on(c).empty(); }, 2000)); // found by the drain
    CHECK(col.data_on(c)[0]->payload() == "small");

    // Well past the threshold (each event carries a 4 KiB payload).
    const std::string chunk(4096, 'z');
    for (int i = 0; i < 20; i++) {
        REQUIRE(write_all(c, chunk.data(), chunk.size()));
        REQUIRE(read_exact(s, chunk.size(), chunk.size()).size() == chunk.size());
    }
    p.revents = 0;
    CHECK(::poll(&p, 1, 2000) == 1);
    CHECK((p.revents & POLLIN) != 0);
    REQUIRE(col.wait_for([&] { return col.data_on(c).size() == 21 && col.data_on(s).size() >= 21; }));
    close(c);
    close(s);
}

} // namespace

TEST_CASE("ring buffer: wakeups are batched, the drain timer delivers the rest", "[kernel][ringbuf]") {
    KTEST_REQUIRE_BPF();
    if (!kernel_has_ringbuf()) {
        WARN("skipped: this kernel has no BPF ring buffer (5.8+)");
        return;
    }
    check_batched_wakeups(BpfTransport::RingBuf);
}

TEST_CASE("perf buffer: wakeups are batched by watermark, the drain timer delivers the rest",
          "[kernel][perfbuf]") {
    KTEST_REQUIRE_BPF();
    check_batched_wakeups(BpfTransport::PerfBuf);
}

TEST_CASE("events emitted while start() attaches are not refused", "[kernel][perfbuf][ringbuf]") {
    KTEST_REQUIRE_BPF();
    // Nothing drains until start() returns, so the load is bounded to what the buffer holds
    // (the perf buffer's share of one CPU, where one thread's events may all land): any loss
    // then is a refusal, not a full buffer. Paced, so that some of it overlaps the attach
    // however long start() takes.
    const uint64_t ring = BpfSourceOptions{}.ring_size;
    const long ncpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
    constexpr uint64_t kIterationBytes = 2 * (sizeof(beyla_data_event) + 64); // two events, headers, padding
    const uint64_t max_iterations = ring / static_cast<uint64_t>(ncpus) / 4 / kIterationBytes;
    for (BpfTransport t : {BpfTransport::PerfBuf, BpfTransport::RingBuf}) {
        if (t == BpfTransport::RingBuf && !kernel_has_ringbuf()) continue;
        BpfSourceOptions o;
        o.transport = t;
        o.logger = test_logger();
        o.report_all_execs = false;
        BpfSource src(o);
        src.trace_pid(static_cast<uint32_t>(getpid()), 0); // traced from the first probe on
        Listener l;
        int c = connect_loopback(l.port);
        REQUIRE(c >= 0);
        int s = accept(l.fd, nullptr, nullptr);
        REQUIRE(s >= 0);
        std::atomic<bool> done{false};
        std::atomic<uint64_t> iterations{0};
        std::thread busy([&] {
            char b[8];
            while (!done && iterations < max_iterations) {
                if (write(c, "busy", 4) != 4 || read(s, b, 4) != 4) break;
                iterations++;
                usleep(500);
            }
        });
        src.start();
        usleep(50 * 1000);
        done = true;
        busy.join();
        Collector col(src);
        col.settle(200);
        INFO(src.describe() << "; " << iterations << " round trips of at most " << max_iterations);
        CHECK_FALSE(col.events.empty());
        CHECK(src.counters().ring_full == 0);
        CHECK(src.counters().perf_lost == 0);
        close(c);
        close(s);
    }
}
