#include "protocols/redis/parse.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace beyla::redis {

namespace {

std::string_view as_view(std::span<const uint8_t> b) {
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

bool is_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool name_char(char c) {
    return is_letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '|' || c == ':';
}

// A RESP length or count: optional '-', digits, nothing else.
bool parse_int(std::string_view t, int64_t *v) {
    if (t.empty() || t.size() > 20) return false;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), *v);
    return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char &c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

// Commands whose first argument names the operation ("CLIENT SETNAME", "CONFIG GET"), as
// Redis' own command table names them.
constexpr std::string_view kContainers[] = {
    "ACL",    "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEBUG",   "FUNCTION", "LATENCY",
    "MEMORY", "MODULE", "OBJECT",  "PUBSUB",  "SCRIPT", "SLOWLOG", "XGROUP",   "XINFO",
};

constexpr std::string_view kSubscribe[] = {
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
};

// Commands an inline line may start with: the ones people type at a telnet
// prompt, or that scripts send without RESP framing.
constexpr std::string_view kKnown[] = {
    "APPEND",   "AUTH",   "BGSAVE",     "BLPOP",   "BRPOP",     "CLIENT", "CLUSTER", "COMMAND", "CONFIG",
    "DBSIZE",   "DECR",   "DECRBY",     "DEL",     "DISCARD",   "ECHO",   "EVAL",    "EVALSHA", "EXEC",
    "EXISTS",   "EXPIRE", "FLUSHALL",   "FLUSHDB", "GET",       "GETDEL", "GETEX",   "GETSET",  "HDEL",
    "HELLO",    "HGET",   "HGETALL",    "HINCRBY", "HKEYS",     "HLEN",   "HMGET",   "HMSET",   "HSET",
    "INCR",     "INCRBY", "INFO",       "KEYS",    "LINDEX",    "LLEN",   "LPOP",    "LPUSH",   "LRANGE",
    "LREM",     "LSET",   "LTRIM",      "MGET",    "MONITOR",   "MSET",   "MULTI",   "OBJECT",  "PERSIST",
    "PEXPIRE",  "PING",   "PSUBSCRIBE", "PTTL",    "PUBLISH",   "QUIT",   "RENAME",  "RPOP",    "RPUSH",
    "SADD",     "SAVE",   "SCAN",       "SCARD",   "SELECT",    "SET",    "SETEX",   "SETNX",   "SISMEMBER",
    "SMEMBERS", "SPOP",   "SREM",       "STRLEN",  "SUBSCRIBE", "TTL",    "TYPE",    "UNLINK",  "UNSUBSCRIBE",
    "UNWATCH",  "WATCH",  "XADD",       "XLEN",    "XRANGE",    "XREAD",  "ZADD",    "ZCARD",   "ZINCRBY",
    "ZRANGE",   "ZRANK",  "ZREM",       "ZSCORE",
};

// memcached's text commands: lower-case words that are that protocol's, not an inline
// Redis command (memcached's commands are case-sensitive).
constexpr std::string_view kMemcachedWords[] = {
    "add",  "append",  "cas", "decr",  "delete", "flush_all", "gat",     "gats", "get",
    "gets", "incr",    "ma",  "md",    "me",     "mg",        "mn",      "ms",   "prepend",
    "quit", "replace", "set", "stats", "touch",  "verbosity", "version",
};

template <size_t N> bool contains(const std::string_view (&table)[N], std::string_view w) {
    return std::find(std::begin(table), std::end(table), w) != std::end(table);
}

} // namespace

bool is_known_command(std::string_view up) {
    return contains(kKnown, up);
}

void RespReader::reset() {
    started_ = false;
    depth_ = 0;
    in_bulk_ = false;
    bulk_left_ = 0;
    bulk_keep_ = false;
    scan_ = 0;
}

void RespReader::keep_string(std::string_view v) {
    v_.strs.emplace_back(v.substr(0, kMaxArgLen));
}

ParseState RespReader::line(DataStream &s, std::string_view *out) {
    const auto head = s.head();
    if (head.empty()) return ParseState::kInvalid; // a line inside uncaptured bytes
    const std::string_view h = as_view(head);
    const size_t from = scan_ > 0 ? scan_ - 1 : 0;
    const size_t nl = h.find('\n', from);
    if (nl == std::string_view::npos) {
        if (head.size() < s.available() || head.size() > kMaxLine) return ParseState::kInvalid;
        scan_ = head.size();
        return ParseState::kNeedsMoreData;
    }
    if (nl == 0 || h[nl - 1] != '\r' || nl > kMaxLine) return ParseState::kInvalid;
    *out = h.substr(0, nl - 1);
    scan_ = 0;
    return ParseState::kSuccess;
}

bool RespReader::element_done() {
    while (depth_ > 0) {
        Level &l = stack_[depth_ - 1];
        if (--l.left > 0) return false;
        const bool attr = l.attr;
        depth_--;
        if (attr) return false; // the value it annotates comes next
    }
    return true;
}

ParseState RespReader::next(DataStream &s, Value *out) {
    auto invalid = [&] {
        reset();
        return ParseState::kInvalid;
    };
    // Times are read before the bytes holding them are consumed (and perhaps released).
    auto mark_end = [&](uint64_t n) { v_.ts_end = s.times_at(s.position() + n - 1).ts_end; };
    auto done = [&] {
        *out = std::move(v_);
        started_ = false;
        return ParseState::kSuccess;
    };
    while (!s.empty()) {
        if (!started_) {
            started_ = true;
            frame_start_ = s.position();
            depth_ = 0;
            scan_ = 0;
            v_.type = 0;
            v_.count = 0;
            v_.strs.clear();
            v_.line.clear();
            v_.ts_begin = s.times_at(frame_start_).ts_begin;
        }
        if (in_bulk_) {
            if (bulk_left_ > 0) {
                const uint64_t n = std::min<uint64_t>(bulk_left_, s.available());
                if (bulk_keep_) {
                    const auto head = s.head();
                    std::string &dst = v_.strs.back();
                    const size_t room = kMaxArgLen - std::min(kMaxArgLen, dst.size());
                    const size_t k = std::min<size_t>({room, head.size(), n});
                    dst.append(reinterpret_cast<const char *>(head.data()), k);
                    // Past the captured bytes the rest is unknown: keep only a prefix.
                    if (head.size() < n) bulk_keep_ = false;
                }
                if (n) mark_end(n);
                s.consume(n);
                bulk_left_ -= static_cast<int64_t>(n);
                if (bulk_left_ > 0) return ParseState::kNeedsMoreData;
            }
            if (s.available() < 2) return ParseState::kNeedsMoreData;
            const auto head = s.head();
            if ((head.size() >= 1 && head[0] != '\r') || (head.size() >= 2 && head[1] != '\n'))
                return invalid();
            mark_end(2);
            s.consume(2);
            in_bulk_ = false;
            if (element_done()) return done();
            continue;
        }
        std::string_view l;
        const ParseState r = line(s, &l);
        if (r == ParseState::kInvalid) return invalid();
        if (r != ParseState::kSuccess) return r;
        const size_t line_len = l.size() + 2;
        mark_end(line_len);
        const char t = l.empty() ? 0 : l[0];
        const std::string_view rest = l.empty() ? l : l.substr(1);
        // Strings kept: a command's arguments, a reply's first element (pub/sub kind).
        bool attr_open = false;
        for (int i = 0; i < depth_; i++) attr_open = attr_open || stack_[i].attr;
        const bool keep =
            !attr_open && (depth_ == 0 || (depth_ == 1 && v_.strs.size() < (requests_ ? kMaxArgs : 1)));

        if (requests_ && depth_ == 0 && t != '*') {
            // An inline command: words separated by spaces.
            if (l.empty()) {
                s.consume(line_len);
                started_ = false;
                return ParseState::kIgnored;
            }
            if (!is_letter(t)) return invalid();
            v_.type = 'i';
            size_t i = 0;
            while (i < l.size() && v_.strs.size() < kMaxArgs) {
                while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) i++;
                const size_t b = i;
                while (i < l.size() && l[i] != ' ' && l[i] != '\t') i++;
                if (i > b) {
                    keep_string(l.substr(b, i - b));
                    v_.count++;
                }
            }
            s.consume(line_len);
            return done();
        }
        switch (t) {
        case '+':
        case '-':
        case ':':
        case '_':
        case '#':
        case ',':
        case '(': {
            if (depth_ == 0) {
                v_.type = t;
                v_.line.assign(rest.substr(0, kMaxArgLen));
            } else if (keep && (t == '+' || t == ':')) {
                keep_string(rest);
            }
            s.consume(line_len);
            if (element_done()) return done();
            break;
        }
        case '$':
        case '=':
        case '!': {
            int64_t n = 0;
            if (!parse_int(rest, &n) || n < -1 || n > kMaxBulk || (n == -1 && t != '$')) return invalid();
            if (depth_ == 0) v_.type = t;
            s.consume(line_len);
            if (n == -1) {
                if (element_done()) return done();
                break;
            }
            bulk_keep_ = keep;
            if (keep) v_.strs.emplace_back();
            in_bulk_ = true;
            bulk_left_ = n;
            break;
        }
        case '*':
        case '~':
        case '>':
        case '%':
        case '|': {
            int64_t n = 0;
            if (!parse_int(rest, &n) || n < -1 || n > kMaxElements || (n == -1 && t != '*')) return invalid();
            const bool pairs = t == '%' || t == '|';
            if (depth_ == 0 && t != '|') {
                v_.type = t;
                v_.count = n;
            }
            s.consume(line_len);
            if (n <= 0) {
                if (t == '|') break; // an empty attribute annotates the value that follows
                if (element_done()) return done();
                break;
            }
            if (depth_ == kMaxDepth) return invalid();
            stack_[depth_++] = Level{pairs ? 2 * n : n, t == '|'};
            break;
        }
        default:
            return invalid(); // streamed types ('?') are not sent by Redis
        }
    }
    return ParseState::kNeedsMoreData;
}

bool frame_can_start(bool requests, std::span<const uint8_t> head) {
    if (head.empty()) return false;
    const char c = static_cast<char>(head[0]);
    if (requests) return c == '*' || is_letter(c);
    return std::string_view("+-:$*_#,(!=%~>|").find(c) != std::string_view::npos;
}

void make_command(const Value &v, bool raw, Command *out) {
    out->op.clear();
    out->text.clear();
    out->subscribe = false;
    if (v.strs.empty()) return;
    out->op = upper(v.strs[0]);
    size_t first_arg = 1;
    if (v.strs.size() > 1 && contains(kContainers, std::string_view(out->op))) {
        out->op += ' ';
        out->op += upper(v.strs[1]);
        first_arg = 2;
    }
    out->subscribe = contains(kSubscribe, std::string_view(out->op));
    constexpr size_t kMaxText = 1024;
    out->text = out->op;
    const int64_t args = std::max<int64_t>(v.count, static_cast<int64_t>(v.strs.size())) - first_arg;
    for (int64_t i = 0; i < args; i++) {
        const size_t k = first_arg + static_cast<size_t>(i);
        if (out->text.size() >= kMaxText || k >= v.strs.size()) {
            out->text += " ...";
            break;
        }
        out->text += ' ';
        if (raw)
            out->text += v.strs[k];
        else
            out->text += '?';
    }
    if (out->text.size() > kMaxText + 4) out->text.resize(kMaxText + 4);
}

Start classify_start(std::span<const uint8_t> head) {
    const std::string_view h = as_view(head);
    if (h.empty()) return Start::kNo;
    if (h[0] == '*') {
        // "*N\r\n$L\r\nNAME\r\n"
        size_t i = 1;
        auto number = [&](int64_t lo, int64_t hi) -> Start {
            const size_t b = i;
            while (i < h.size() && h[i] >= '0' && h[i] <= '9') {
                if (i - b > 7) return Start::kNo;
                i++;
            }
            if (i == h.size()) return Start::kMaybe;
            int64_t n = 0;
            if (i == b || !parse_int(h.substr(b, i - b), &n) || n < lo || n > hi) return Start::kNo;
            return Start::kCommand;
        };
        auto crlf = [&]() -> Start {
            if (i < h.size() && h[i] != '\r') return Start::kNo;
            if (i + 1 < h.size() && h[i + 1] != '\n') return Start::kNo;
            if (i + 2 > h.size()) return Start::kMaybe;
            i += 2;
            return Start::kCommand;
        };
        Start r = number(1, kMaxElements);
        if (r != Start::kCommand) return r;
        if ((r = crlf()) != Start::kCommand) return r;
        if (i == h.size()) return Start::kMaybe;
        if (h[i++] != '$') return Start::kNo;
        const size_t len_at = i;
        if ((r = number(1, 64)) != Start::kCommand) return r;
        int64_t len = 0;
        parse_int(h.substr(len_at, i - len_at), &len);
        if ((r = crlf()) != Start::kCommand) return r;
        for (int64_t k = 0; k < len; k++, i++) {
            if (i == h.size()) return Start::kMaybe;
            if (!name_char(h[i]) || (k == 0 && !is_letter(h[i]))) return Start::kNo;
        }
        return crlf();
    }
    if (!is_letter(h[0])) return Start::kNo;
    constexpr size_t kMaxInlineProbe = 512;
    const size_t nl = h.find("\r\n");
    size_t w = 0;
    while (w < h.size() && w < 32 && is_letter(h[w])) w++;
    if (nl == std::string_view::npos) {
        if (h.size() >= kMaxInlineProbe) return Start::kNo;
        if (w < h.size() && h[w] != ' ' && h[w] != '\r') return Start::kNo;
        return w == h.size() && w < 32
                   ? Start::kMaybe
                   : (is_known_command(upper(h.substr(0, w))) ? Start::kMaybe : Start::kNo);
    }
    if (w != nl && h[w] != ' ') return Start::kNo;
    const std::string_view word = h.substr(0, w);
    if (contains(kMemcachedWords, word)) return Start::kNo;
    const std::string_view l = h.substr(0, nl);
    // An HTTP request line has this shape too.
    if (l.size() >= 9 && l.substr(l.size() - 9, 6) == " HTTP/") return Start::kNo;
    return is_known_command(upper(word)) ? Start::kCommand : Start::kNo;
}

} // namespace beyla::redis
