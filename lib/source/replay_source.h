// An EventSource that plays a recording: the whole user-side pipeline (decode, connection
// tracking, parsing, stitching, spans) runs without a kernel.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "source/event_source.h"
#include "source/recording.h"

namespace beyla {

class ReplaySource : public OfflineSource {
  public:
    // events_per_poll bounds the work of one poll(), like a real buffer drain.
    explicit ReplaySource(std::string path, size_t events_per_poll = 4096);
    ~ReplaySource() override;

    void start() override;
    int poll(int timeout_ms, const RawEventFn &fn) override;
    SourceCounters counters() const override { return counters_; }
    std::string describe() const override { return "replay of " + path_; }
    int64_t mono_to_unix_ns() const { return header_.mono_to_unix_ns; }
    // Records that were cut short or oversized: counted, never a crash.
    uint64_t corrupt() const { return corrupt_; }

  private:
    void upgrade_v1(); // buf_: a version 1 event, made a current one
    std::string path_;
    size_t per_poll_;
    FILE *f_ = nullptr;
    bool eof_ = false;
    RecordingHeader header_{};
    std::vector<uint8_t> buf_;
    SourceCounters counters_{};
    uint64_t corrupt_ = 0;
};

} // namespace beyla
