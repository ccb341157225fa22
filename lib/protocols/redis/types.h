// Redis commands and replies as decoded from RESP2/RESP3 bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/common/data_chunk.h"
#include "protocols/common/parse_loop.h"

namespace beyla::redis {

using protocols::DataChunk;
using protocols::Direction;
using protocols::MessageType;
using protocols::Role;

// Bounds of one message: nesting, element counts, lengths. A message past them is invalid.
inline constexpr int kMaxDepth = 16;
inline constexpr int64_t kMaxElements = 1 << 20;        // per aggregate
inline constexpr int64_t kMaxBulk = int64_t{512} << 20; // Redis' own proto-max-bulk-len default
inline constexpr size_t kMaxLine = 64 * 1024;           // simple strings, errors, inline commands
inline constexpr size_t kMaxArgs = 64;                  // arguments of a command kept
inline constexpr size_t kMaxArgLen = 256;               // bytes of each argument kept

// One RESP value at the top level of a stream, as much of it as a span needs.
struct Value {
    char type = 0;                 // RESP type byte of the top value ('*', '+', '-', ...); 'i' inline
    int64_t count = 0;             // elements of a top-level aggregate (pairs counted twice for maps)
    std::vector<std::string> strs; // string elements at depth 1 (or the top string itself), each cut
    std::string line;              // a top-level simple string, error or blob error text, cut
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

struct Command {
    std::string op;         // db.operation.name: "GET", "CLIENT SETNAME"
    std::string text;       // db.query.text
    std::string ns;         // db.namespace at the time it was sent ("" unknown)
    bool subscribe = false; // (P|S)SUBSCRIBE / UNSUBSCRIBE: answered by confirmations
    int64_t args = 0;       // arguments after the operation name
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

struct Reply {
    bool error = false;
    std::string prefix; // error prefix ("ERR", "WRONGTYPE")
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

// A command and its reply.
struct Record {
    Command cmd;
    Reply reply;
    const char *fail = nullptr; // "no_response" when the connection closed first
};

} // namespace beyla::redis
