// memcached text-protocol requests and responses (classic and meta commands).
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/data_chunk.h"
#include "protocols/common/parse_loop.h"

namespace beyla::memcached {

using protocols::DataChunk;
using protocols::Direction;
using protocols::MessageType;
using protocols::Role;

inline constexpr size_t kMaxLine = 8192;              // a command or response line (keys: 250 bytes)
inline constexpr int64_t kMaxData = int64_t{1} << 30; // a data block (memcached's item size cap is lower)

struct Request {
    std::string op;       // db.operation.name: the command as sent ("get", "gets", "mg")
    uint32_t keys = 0;    // keys named (get a b c: 3)
    bool noreply = false; // classic "noreply": no answer comes
    bool quiet = false;   // meta "q" flag: the usual answer is left out
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

struct Response {
    std::string word;   // first word of its first line ("VALUE", "STORED", "HD", "SERVER_ERROR")
    bool error = false; // ERROR, CLIENT_ERROR, SERVER_ERROR
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

struct Record {
    Request req;
    Response resp;              // empty word: no answer (noreply, quiet, closed)
    const char *fail = nullptr; // "no_response" when the connection closed first
};

} // namespace beyla::memcached
