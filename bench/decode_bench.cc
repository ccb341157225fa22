// Decode speed: replays a recording through beyla::Tracer on one thread and reports spans
// per second of that thread's CPU time. Without --replay it first writes a synthetic
// recording, so the number does not depend on a kernel or a load tool: with --proto http1
// (the default) keep-alive exchanges shaped like nginx serving a small file (request read,
// header write, body by sendfile); with --proto http2 h2c streams (a request HEADERS read,
// the answer's HEADERS and DATA in one write, HPACK indexing as clients do); with --proto
// grpc unary calls (request HEADERS and DATA read, answer HEADERS, DATA and trailers
// written).
// The recording is loaded into memory before the clock starts and handed out in batches, as
// a ring buffer drain hands them: file reads are not part of decoding.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "core/tracer.h"
#include "source/event_source.h"
#include "source/recording.h"
#include "tests/unit/event_builder.h"
#include "tests/unit/http2_frames.h"

namespace beyla {
namespace {

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

double wall_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


struct Writer {
    RecordingWriter w;
    std::vector<uint8_t> buf;
    void data(uint32_t tgid, int32_t fd, uint64_t sock, uint16_t rport, int dir, int sys, uint64_t ts,
              const std::string &payload, uint64_t bytes) {
        beyla_data_event ev{};
        ev.hdr.type = BEYLA_EV_DATA;
        ev.hdr.tgid = ev.hdr.tid = tgid;
        ev.hdr.fd = fd;
        ev.hdr.ts_enter = ts;
        ev.hdr.ts_exit = ts + 2000;
        ev.hdr.sock_id = sock;
        ev.addr = beyla::test::loopback(8080, rport);
        ev.bytes = bytes;
        ev.captured = static_cast<uint32_t>(payload.size());
        ev.direction = static_cast<uint8_t>(dir);
        ev.syscall = static_cast<uint8_t>(sys);
        ev.role = BEYLA_ROLE_SERVER;
        memcpy(ev.comm, "nginx", 6);
        buf.resize(sizeof(ev) + payload.size());
        memcpy(buf.data(), &ev, sizeof(ev));
        memcpy(buf.data() + sizeof(ev), payload.data(), payload.size());
        w.write(buf.data(), buf.size());
    }
    void accept(uint32_t tgid, int32_t fd, uint64_t sock, uint16_t rport, uint64_t ts) {
        beyla_conn_event ev{};
        ev.hdr.type = BEYLA_EV_CONN_OPEN;
        ev.hdr.tgid = ev.hdr.tid = tgid;
        ev.hdr.fd = fd;
        ev.hdr.ts_enter = ts;
        ev.hdr.ts_exit = ts + 100;
        ev.hdr.sock_id = sock;
        ev.addr = beyla::test::loopback(8080, rport);
        ev.role = BEYLA_ROLE_SERVER;
        ev.syscall = BEYLA_SYS_ACCEPT;
        memcpy(ev.comm, "nginx", 6);
        w.write(&ev, sizeof(ev));
    }
};

// A recording preloaded into memory.
class MemorySource final : public OfflineSource {
  public:
    MemorySource(const std::vector<uint8_t> &data, size_t per_poll) : data_(data), per_poll_(per_poll) {}
    int poll(int, const RawEventFn &fn) override {
        int n = 0;
        while (static_cast<size_t>(n) < per_poll_ && pos_ + 4 <= data_.size()) {
            uint32_t len;
            memcpy(&len, data_.data() + pos_, 4);
            if (len == 0 || pos_ + 4 + len > data_.size()) {
                pos_ = data_.size();
                break;
            }
            fn(data_.data() + pos_ + 4, len);
            pos_ += 4 + len;
            n++;
        }
        return n == 0 && pos_ + 4 > data_.size() ? -ENODATA : n;
    }
    std::string describe() const override { return "memory"; }

  private:
    const std::vector<uint8_t> &data_;
    size_t per_poll_;
    size_t pos_ = 0;
};

std::vector<uint8_t> load(const std::string &path) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) fail(errno, "cannot open {}", path);
    std::vector<uint8_t> out;
    RecordingHeader h{};
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, kRecordingMagic, sizeof(h.magic)) != 0)
        fail(EINVAL, "{} is not a recording", path);
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.insert(out.end(), buf, buf + n);
    fclose(f);
    return out;
}

// `exchanges` requests spread round-robin over `conns` keep-alive connections of two workers.
void generate(const std::string &path, uint64_t exchanges, unsigned conns) {
    Writer out{RecordingWriter(path, mono_to_unix_offset()), {}};
    // Above the largest pid_max: no /proc entry is found for them, the comm is the name.
    const uint32_t workers[2] = {0x7f000001, 0x7f000002};
    const size_t body = 612; // nginx's default index.html
    uint64_t ts = 1'000'000'000;
    for (unsigned c = 0; c < conns; c++)
        out.accept(workers[c % 2], 10 + c, 100000 + c, static_cast<uint16_t>(40000 + c), ts += 1000);
    char hdr[512];
    for (uint64_t i = 0; i < exchanges; i++) {
        unsigned c = i % conns;
        uint32_t tgid = workers[c % 2];
        int32_t fd = 10 + c;
        uint64_t sock = 100000 + c;
        uint16_t rport = static_cast<uint16_t>(40000 + c);
        std::string req = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\n"
                          "Accept: */*\r\n\r\n";
        int n = snprintf(hdr, sizeof(hdr),
                         "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 05:00:00 GMT\r\n"
                         "Content-Type: text/html\r\nContent-Length: %zu\r\n"
                         "Last-Modified: Sun, 22 Nov 2026 04:00:00 GMT\r\nConnection: keep-alive\r\n"
                         "ETag: \"6560a000-264\"\r\nAccept-Ranges: bytes\r\n\r\n",
                         body);
        out.data(tgid, fd, sock, rport, BEYLA_DIR_INGRESS, BEYLA_SYS_RECVFROM, ts += 5000, req, req.size());
        out.data(tgid, fd, sock, rport, BEYLA_DIR_EGRESS, BEYLA_SYS_WRITEV, ts += 20000, std::string(hdr, n), n);
        out.data(tgid, fd, sock, rport, BEYLA_DIR_EGRESS, BEYLA_SYS_SENDFILE, ts += 5000, "", body);
    }
}

// `exchanges` HTTP/2 streams (or gRPC unary calls) spread round-robin over `conns`
// connections of two workers, streams interleaving across connections.
void generate_h2(const std::string &path, uint64_t exchanges, unsigned conns, bool grpc) {
    namespace h2 = beyla::test::h2;
    Writer out{RecordingWriter(path, mono_to_unix_offset()), {}};
    const uint32_t workers[2] = {0x7f000001, 0x7f000002};
    uint64_t ts = 1'000'000'000;
    std::vector<uint32_t> next_id(conns, 1);
    for (unsigned c = 0; c < conns; c++) {
        out.accept(workers[c % 2], 10 + c, 100000 + c, static_cast<uint16_t>(40000 + c), ts += 1000);
        const std::string pre = h2::preface() + h2::settings({{0x3, 100}, {0x4, 1 << 20}});
        out.data(workers[c % 2], 10 + c, 100000 + c, static_cast<uint16_t>(40000 + c), BEYLA_DIR_INGRESS,
                 BEYLA_SYS_READ, ts += 1000, pre, pre.size());
        const std::string srv = h2::settings({{0x3, 250}}) + h2::settings_ack();
        out.data(workers[c % 2], 10 + c, 100000 + c, static_cast<uint16_t>(40000 + c), BEYLA_DIR_EGRESS,
                 BEYLA_SYS_WRITE, ts += 1000, srv, srv.size());
    }
    const std::string body(612, 'x');
    const std::string msg = std::string("\0\0\0\0\x0c", 5) + "\x0a\x0ahelloworld";
    for (uint64_t i = 0; i < exchanges; i++) {
        const unsigned c = i % conns;
        const uint32_t tgid = workers[c % 2];
        const int32_t fd = 10 + c;
        const uint64_t sock = 100000 + c;
        const uint16_t rport = static_cast<uint16_t>(40000 + c);
        const uint32_t id = next_id[c];
        next_id[c] += 2;
        const bool first = id == 1;
        std::string req, resp;
        if (!grpc) {
            // The first request inserts :path, :authority and user-agent; later ones index them.
            const std::string block = first ? h2::indexed(2) + h2::indexed(6) +
                                                  h2::literal_inc_idx(4, "/index.html?v=1") +
                                                  h2::literal_inc_idx(1, "127.0.0.1:8080") +
                                                  h2::literal_inc_idx(58, "bench/1.0") + h2::indexed(16)
                                            : h2::indexed(2) + h2::indexed(6) + h2::indexed(64) +
                                                  h2::indexed(63) + h2::indexed(62) + h2::indexed(16);
            req = h2::headers(id, block, true);
            const std::string rblock =
                first ? h2::indexed(8) + h2::literal_inc_idx(31, "text/html") +
                            h2::literal_inc_idx(54, "nginx/1.22.1") + h2::literal_idx(28, "612")
                      : h2::indexed(8) + h2::indexed(63) + h2::indexed(62) + h2::literal_idx(28, "612");
            resp = h2::headers(id, rblock) + h2::data(id, body, true);
        } else {
            const std::string block =
                first ? h2::indexed(3) + h2::indexed(6) +
                            h2::literal_inc_idx(4, "/helloworld.Greeter/SayHello") +
                            h2::literal_inc_idx(1, "127.0.0.1:50051") +
                            h2::literal_inc_idx(31, "application/grpc") + h2::literal_inc("te", "trailers") +
                            h2::literal_inc_idx(58, "grpc-go/1.60.0")
                      : h2::indexed(3) + h2::indexed(6) + h2::indexed(66) + h2::indexed(65) +
                            h2::indexed(64) + h2::indexed(63) + h2::indexed(62);
            req = h2::headers(id, block) + h2::data(id, msg, true);
            const std::string rblock = first ? h2::indexed(8) + h2::literal_inc_idx(31, "application/grpc")
                                             : h2::indexed(8) + h2::indexed(64);
            const std::string tblock =
                first ? h2::literal_inc("grpc-status", "0") + h2::literal_inc("grpc-message", "")
                      : h2::indexed(63) + h2::indexed(62);
            resp = h2::headers(id, rblock) + h2::data(id, msg) + h2::headers(id, tblock, true);
        }
        out.data(tgid, fd, sock, rport, BEYLA_DIR_INGRESS, BEYLA_SYS_READ, ts += 5000, req, req.size());
        out.data(tgid, fd, sock, rport, BEYLA_DIR_EGRESS, BEYLA_SYS_WRITE, ts += 20000, resp, resp.size());
    }
}

int usage() {
    fprintf(stderr, "usage: beyla_decode_bench [--proto http1|http2|grpc] [--exchanges N] [--conns N] "
                    "[--replay FILE] [--keep FILE] [--metrics]\n");
    return 2;
}

} // namespace
} // namespace beyla

int main(int argc, char **argv) {
    using namespace beyla;
    uint64_t exchanges = 1'000'000;
    unsigned conns = 64;
    std::string replay, keep, proto = "http1";
    bool with_metrics = false; // RED metrics aggregated from the spans too (Tracer::emit)
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--metrics") {
            with_metrics = true;
            continue;
        }
        if (i + 1 >= argc) return usage();
        if (a == "--exchanges") exchanges = strtoull(argv[++i], nullptr, 10);
        else if (a == "--conns") conns = static_cast<unsigned>(strtoul(argv[++i], nullptr, 10));
        else if (a == "--replay") replay = argv[++i];
        else if (a == "--keep") keep = argv[++i];
        else if (a == "--proto") proto = argv[++i];
        else return usage();
    }
    if (!conns || !exchanges) return usage();
    if (proto != "http1" && proto != "http2" && proto != "grpc") return usage();
    std::string path = replay;
    double gen_s = 0;
    if (path.empty()) {
        path = keep.empty() ? "/tmp/beyla-decode-bench-" + std::to_string(getpid()) + ".rec" : keep;
        double t0 = wall_s();
        if (proto == "http1") generate(path, exchanges, conns);
        else generate_h2(path, exchanges, conns, proto == "grpc");
        gen_s = wall_s() - t0;
    }
    const std::vector<uint8_t> data = load(path);
    uint64_t spans = 0, bad = 0;
    TracerOptions o;
    o.source_factory = [&] { return std::make_unique<MemorySource>(data, 4096); };
    o.metrics = with_metrics;
    o.on_span = [&](const beyla_span &s) {
        spans++;
        if (proto == "grpc" ? s.protocol != BEYLA_PROTO_GRPC : s.status != 200) bad++;
    };
    double cpu0, wall0, cpu1, wall1;
    beyla_stats st{};
    {
        Tracer t(std::move(o));
        t.start();
        cpu0 = thread_cpu_s(), wall0 = wall_s();
        for (;;) {
            int n = t.poll(0);
            if (n == -ENODATA) break;
            if (n < 0) {
                fprintf(stderr, "poll: %d\n", n);
                return 1;
            }
        }
        t.stop();
        cpu1 = thread_cpu_s(), wall1 = wall_s();
        st = t.stats();
    }
    if (replay.empty() && keep.empty()) unlink(path.c_str());
    double cpu = cpu1 - cpu0;
    // One line of JSON for bench/run.py, then a human line.
    printf("{\"spans\": %llu, \"events\": %llu, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"spans_per_cpu_s\": %.0f, "
           "\"events_per_cpu_s\": %.0f, \"ns_per_span\": %.1f, \"parse_errors\": %llu, \"unmatched\": %llu, "
           "\"not_200\": %llu, \"generate_s\": %.3f, \"metrics\": %s}\n",
           (unsigned long long)spans, (unsigned long long)st.events, cpu, wall1 - wall0, spans / cpu,
           st.events / cpu, cpu * 1e9 / (spans ? spans : 1), (unsigned long long)st.parse_errors,
           (unsigned long long)st.unmatched, (unsigned long long)bad, gen_s, with_metrics ? "true" : "false");
    fprintf(stderr, "decode: %llu spans in %.3f s CPU: %.2f M spans/s per core\n", (unsigned long long)spans, cpu,
            spans / cpu / 1e6);
    return spans == 0 || bad ? 1 : 0;
}
