#include "source/replay_source.h"

#include <cstddef>
#include <cstring>

#include "bpf/socket_trace.h"

#include "common/error.h"

namespace beyla {

RecordingWriter::RecordingWriter(const std::string &path, int64_t mono_to_unix_ns) : path_(path) {
    f_ = fopen(path.c_str(), "wb");
    if (!f_) fail(errno, "cannot create recording {}: {}", path, errno_str(errno));
    RecordingHeader h{};
    memcpy(h.magic, kRecordingMagic, sizeof(h.magic));
    h.version = kRecordingVersion;
    h.mono_to_unix_ns = mono_to_unix_ns;
    if (fwrite(&h, sizeof(h), 1, f_) != 1) fail(EIO, "cannot write recording {}", path);
}

RecordingWriter::~RecordingWriter() {
    if (f_) fclose(f_);
}

void RecordingWriter::write(const void *data, size_t size) {
    uint32_t len = static_cast<uint32_t>(size);
    if (fwrite(&len, sizeof(len), 1, f_) != 1 || fwrite(data, 1, size, f_) != size)
        fail(EIO, "cannot write recording {}", path_);
}

void RecordingWriter::flush() { fflush(f_); }

ReplaySource::ReplaySource(std::string path, size_t events_per_poll)
    : path_(std::move(path)), per_poll_(events_per_poll ? events_per_poll : 1) {}

ReplaySource::~ReplaySource() {
    if (f_) fclose(f_);
}

void ReplaySource::start() {
    if (f_) return;
    f_ = fopen(path_.c_str(), "rb");
    if (!f_) fail(errno, "cannot open recording {}: {}", path_, errno_str(errno));
    if (fread(&header_, sizeof(header_), 1, f_) != 1 ||
        memcmp(header_.magic, kRecordingMagic, sizeof(header_.magic)) != 0)
        fail(EINVAL, "{} is not a libbeyla recording", path_);
    if (header_.version != kRecordingVersion && header_.version != 1)
        fail(EINVAL, "{}: recording version {} is not supported (want {})", path_, header_.version,
             kRecordingVersion);
}

void ReplaySource::upgrade_v1() {
    constexpr size_t kV1DataSize = offsetof(beyla_data_event, pos);
    uint32_t type = 0;
    if (buf_.size() < kV1DataSize) return; // malformed either way: the tracer counts it
    memcpy(&type, buf_.data(), sizeof(type));
    if (type != BEYLA_EV_DATA) return;
    buf_.insert(buf_.begin() + kV1DataSize, sizeof(beyla_data_event::pos), 0);
}

int ReplaySource::poll(int, const RawEventFn &fn) {
    if (!f_) return -EINVAL;
    if (eof_) return -ENODATA;
    int n = 0;
    while (static_cast<size_t>(n) < per_poll_) {
        uint32_t len = 0;
        if (fread(&len, sizeof(len), 1, f_) != 1) {
            eof_ = true;
            break;
        }
        if (len == 0 || len > kMaxRecordedEvent) {
            // A length we cannot trust: nothing after it can be framed.
            corrupt_++;
            eof_ = true;
            break;
        }
        buf_.resize(len);
        if (fread(buf_.data(), 1, len, f_) != len) {
            corrupt_++;
            eof_ = true;
            break;
        }
        counters_.kernel_events++;
        if (header_.version == 1) upgrade_v1();
        fn(buf_.data(), buf_.size());
        n++;
    }
    return n == 0 && eof_ ? -ENODATA : n;
}


} // namespace beyla
