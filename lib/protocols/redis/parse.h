// RESP framing (RESP2 and RESP3: every type, nested, bounded) and inline commands, read
// incrementally from a DataStream: bulk payloads are passed over by their length, through
// uncaptured bytes too; lines (type headers, simple strings) must be captured.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/common/data_stream.h"
#include "protocols/redis/types.h"

namespace beyla::redis {

using protocols::DataStream;
using protocols::ParseState;

// Reads one top-level value after another from one direction.
class RespReader {
  public:
    // requests: the stream carries commands (inline commands allowed, all arguments kept);
    // otherwise replies (only the first string of an aggregate is kept).
    explicit RespReader(bool requests) : requests_(requests) {}
    // kSuccess: *out holds the next value and its bytes are consumed; kNeedsMoreData: the
    // value continues in bytes not yet here (what was read stays consumed); kInvalid: the
    // bytes do not frame (state reset; the caller resyncs).
    ParseState next(DataStream &s, Value *out);
    void reset();
    bool in_progress() const { return started_; }
    uint64_t frame_start() const { return frame_start_; }

  private:
    ParseState line(DataStream &s, std::string_view *out);
    bool element_done(); // true when the top value is complete
    void keep_string(std::string_view v);

    bool requests_;
    bool started_ = false;
    uint64_t frame_start_ = 0;
    Value v_;
    struct Level {
        int64_t left;
        bool attr; // an attribute map: it precedes a value and is not one itself
    };
    Level stack_[kMaxDepth];
    int depth_ = 0;
    // A bulk payload being passed over.
    bool in_bulk_ = false;
    int64_t bulk_left_ = 0; // payload bytes still to come, then its CRLF
    bool bulk_keep_ = false;
    size_t scan_ = 0; // bytes of the current line already known to hold no CRLF
};

// Whether a value of this direction may start at head[0] (head may be short).
bool frame_can_start(bool requests, std::span<const uint8_t> head);

// Builds a command from its strings; raw: arguments stay in the text, else "?" each.
void make_command(const Value &v, bool raw, Command *out);

// What the first bytes of a direction say.
enum class Start : uint8_t { kNo, kMaybe, kCommand, kReply };
// A command: "*N\r\n$L\r\nNAME" with a plausible name, or an inline line of a known
// command. A reply is never claimed from its first bytes alone (too many protocols open
// with "+OK").
Start classify_start(std::span<const uint8_t> head);

// Upper-cased command name of a known Redis command, used for inline commands.
bool is_known_command(std::string_view upper);

} // namespace beyla::redis
