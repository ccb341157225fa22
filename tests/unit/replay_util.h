// Runs synthetic events through a whole Tracer from a recording: the pipeline as the
// kernel source would feed it, without a kernel.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "core/tracer.h"
#include "source/recording.h"

namespace beyla::test {

inline std::string temp_path(const char *name) {
    return std::string("/tmp/beyla-unit-") + std::to_string(getpid()) + "-" + name;
}

// Replays events through a tracer made from o (its replay_path is set here); on_span in o
// sees each span. Returns the tracer's stats after stop().
inline beyla_stats run_replay(const std::vector<std::vector<uint8_t>> &events, TracerOptions o,
                              protocols::NamedCounters *counters = nullptr) {
    std::string path = temp_path("replay.rec");
    {
        RecordingWriter w(path, 1'000'000'000'000'000'000LL);
        for (auto &e : events) w.write(e.data(), e.size());
    }
    o.replay_path = path;
    Tracer t(std::move(o));
    t.start();
    while (t.poll(0) != -ENODATA) {
    }
    t.stop();
    unlink(path.c_str());
    if (counters) *counters = t.protocol_counters();
    return t.stats();
}

} // namespace beyla::test
