// memcached text protocol framing, read incrementally from a DataStream: command lines
// with their data blocks (passed over by their byte count, through uncaptured bytes too),
// and responses: one line, a line and its data block (VA), or VALUE/STAT lines up to END.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/common/data_stream.h"
#include "protocols/memcached/types.h"

namespace beyla::memcached {

using protocols::DataStream;
using protocols::ParseState;

class RequestReader {
  public:
    // kSuccess: *out is the next request; kEndOfStream: a binary-protocol request.
    ParseState next(DataStream &s, Request *out);
    void reset() { *this = RequestReader(); }

  private:
    bool in_data_ = false;
    int64_t data_left_ = 0; // data block bytes still to come, its CRLF included
    Request req_;
};

class ResponseReader {
  public:
    ParseState next(DataStream &s, Response *out);
    void reset() { *this = ResponseReader(); }

  private:
    bool started_ = false;
    bool multi_ = false;    // inside VALUE/STAT lines, until END
    int64_t data_left_ = 0; // a VALUE or VA data block still to come, its CRLF included
    bool complete_after_data_ = false;
    Response resp_;
};

// Whether a message of this direction may start at head[0].
bool frame_can_start(bool requests, std::span<const uint8_t> head);

enum class Start : uint8_t { kNo, kMaybe, kText, kBinary };
// A whole command line of a known command with the arguments its shape needs, or a
// binary-protocol request header (magic 0x80) of 24 plausible bytes.
Start classify_start(std::span<const uint8_t> head);

// Whether a quiet meta request could have this answer (its usual one is left out).
bool quiet_may_answer(std::string_view op, std::string_view word);

} // namespace beyla::memcached
