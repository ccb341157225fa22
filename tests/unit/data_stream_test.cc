#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "protocols/common/data_stream.h"

using beyla::protocols::DataChunk;
using beyla::protocols::DataStream;

namespace {

DataChunk chunk(std::string_view s, uint64_t ts, uint64_t total = 0) {
    return DataChunk{
        ts, ts + 1, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, total ? total : s.size()};
}

std::string head_str(const DataStream &s) {
    auto h = s.head();
    return {reinterpret_cast<const char *>(h.data()), h.size()};
}

} // namespace

TEST_CASE("data stream joins captured chunks into one span", "[data_stream]") {
    DataStream s;
    CHECK(s.empty());
    CHECK(s.head().empty());
    CHECK(s.append(chunk("hello ", 10)));
    CHECK(s.append(chunk("world", 20)));
    CHECK(s.available() == 11);
    CHECK(head_str(s) == "hello world");
    CHECK(s.at_chunk_boundary());
    CHECK(s.next_chunk_boundary() == 6);

    s.consume(3);
    CHECK(s.position() == 3);
    CHECK(head_str(s) == "lo world");
    CHECK_FALSE(s.at_chunk_boundary());
    CHECK(s.next_chunk_boundary() == 6);
    CHECK(s.times_at(3).ts_begin == 10);
    CHECK(s.times_at(6).ts_begin == 20);
    CHECK(s.times_at(10).ts_end == 21);

    s.consume(3);
    CHECK(s.at_chunk_boundary());
    CHECK(head_str(s) == "world");
    CHECK(s.next_chunk_boundary() == s.end());
    s.consume(100); // clamped
    CHECK(s.empty());
    CHECK(s.position() == 11);
    CHECK(s.buffered() == 0);
}

TEST_CASE("data stream gaps stop the span and can be consumed", "[data_stream]") {
    DataStream s;
    s.append(chunk("HEAD", 1, 10)); // 4 captured, 6 gap
    s.append(chunk("tail", 2));
    CHECK(s.available() == 14);
    CHECK(head_str(s) == "HEAD"); // the gap cuts the span
    s.consume(5);                 // into the gap
    CHECK(s.head().empty());
    CHECK(s.available() == 9);
    CHECK(s.next_chunk_boundary() == 10);
    s.consume(5);
    CHECK(s.at_chunk_boundary());
    CHECK(head_str(s) == "tail");
    CHECK(s.times_at(s.position()).ts_begin == 2);
}

TEST_CASE("data stream takes byte-count-only chunks", "[data_stream]") {
    DataStream s;
    s.append(DataChunk{5, 6, {}, 4096}); // sendfile: nothing captured
    CHECK(s.available() == 4096);
    CHECK(s.head().empty());
    CHECK(s.buffered() == 0);
    s.append(chunk("x", 7));
    s.consume(4096);
    CHECK(head_str(s) == "x");
    // Zero-byte chunks are nothing.
    s.append(DataChunk{8, 9, {}, 0});
    CHECK(s.available() == 1);
}

TEST_CASE("data stream total below captured is raised to captured", "[data_stream]") {
    DataStream s;
    s.append(DataChunk{1, 2, {reinterpret_cast<const uint8_t *>("abc"), 3}, 1});
    CHECK(s.available() == 3);
    CHECK(head_str(s) == "abc");
}

TEST_CASE("data stream cap drops buffered bytes and counts them", "[data_stream]") {
    DataStream s(16);
    CHECK(s.append(chunk("0123456789", 1)));
    CHECK(s.buffered() == 10);
    CHECK_FALSE(s.append(chunk("abcdefghij", 2))); // 20 > 16: the old 10 go
    CHECK(s.counters().overflows == 1);
    CHECK(s.counters().dropped_bytes == 10);
    CHECK(head_str(s) == "abcdefghij");
    CHECK(s.position() == 10); // positions keep counting
    CHECK(s.at_chunk_boundary());

    // A capture larger than the cap keeps a cap-sized prefix; the rest becomes gap.
    DataStream t(8);
    CHECK(t.append(chunk("0123456789ABCDEF", 1)));
    CHECK(head_str(t) == "01234567");
    CHECK(t.available() == 16);
    CHECK(t.buffered() == 8);

    // Consumed bytes do not count against the cap.
    DataStream u(16);
    for (int i = 0; i < 100; i++) {
        CHECK(u.append(chunk("0123456789", static_cast<uint64_t>(i))));
        u.consume(10);
    }
    CHECK(u.counters().overflows == 0);
    CHECK(u.buffered() <= 16);
}

TEST_CASE("data stream reuses its storage", "[data_stream]") {
    DataStream s;
    std::string big(3000, 'x');
    s.append(chunk(big, 1));
    s.consume(1000);
    // Never fully drained: 2000 bytes stay pending while 3 MB pass through.
    for (int i = 0; i < 1000; i++) {
        s.append(chunk(big, static_cast<uint64_t>(i)));
        s.consume(3000);
        CHECK(s.buffered() == 2000);
    }
    // Consumed bytes are compacted away rather than growing the buffer without end.
    CHECK(s.storage_bytes() <= 64 * 1024);
    s.clear();
    CHECK(s.empty());
    CHECK(s.buffered() == 0);
}

TEST_CASE("data stream bounds the number of chunks", "[data_stream]") {
    DataStream s;
    for (size_t i = 0; i < DataStream::kMaxChunks; i++) CHECK(s.append(DataChunk{i, i, {}, 1}));
    CHECK_FALSE(s.append(DataChunk{0, 0, {}, 1}));
    CHECK(s.counters().overflows == 1);
    CHECK(s.available() == 1);
}

TEST_CASE("data stream maps positions across many small chunks", "[data_stream]") {
    DataStream s;
    std::string text = "abcdefghijklmnopqrstuvwxyz";
    for (size_t i = 0; i < text.size(); i++) s.append(chunk(std::string_view(text).substr(i, 1), 100 + i));
    CHECK(head_str(s) == text);
    for (size_t i = 0; i < text.size(); i++) CHECK(s.times_at(i).ts_begin == 100 + i);
    s.consume(13);
    CHECK(head_str(s) == text.substr(13));
    CHECK(s.times_at(13).ts_begin == 113);
    CHECK(s.next_chunk_boundary() == 14);
}
