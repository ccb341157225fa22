// The recording format: what BpfSource delivered, byte for byte, so that a replay runs the
// same user-side pipeline. Layout: a header, then per event a u32 length and the event.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace beyla {

inline constexpr char kRecordingMagic[8] = {'B', 'E', 'Y', 'L', 'A', 'R', 'E', 'C'};
// 2: data events carry `pos` (8 bytes before the payload). Version 1 still replays: its
// data events get pos 0 without BEYLA_DATA_F_POS.
inline constexpr uint32_t kRecordingVersion = 2;
// Upper bound on one recorded event: a data event with the largest payload, with room.
inline constexpr uint32_t kMaxRecordedEvent = 1u << 20;

struct RecordingHeader {
    char magic[8];
    uint32_t version;
    uint32_t reserved;
    // CLOCK_REALTIME - CLOCK_MONOTONIC at record time: replayed spans keep their wall times.
    int64_t mono_to_unix_ns;
};

class RecordingWriter {
  public:
    // Throws beyla::Error when the file cannot be created.
    RecordingWriter(const std::string &path, int64_t mono_to_unix_ns);
    ~RecordingWriter();
    RecordingWriter(const RecordingWriter &) = delete;
    RecordingWriter &operator=(const RecordingWriter &) = delete;
    void write(const void *data, size_t size);
    void flush();

  private:
    FILE *f_ = nullptr;
    std::string path_;
};

} // namespace beyla
