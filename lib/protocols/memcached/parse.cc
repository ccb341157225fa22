#include "protocols/memcached/parse.h"

#include <algorithm>
#include <charconv>

namespace beyla::memcached {

namespace {

constexpr size_t kMaxWords = 32; // words of a line looked at (a get's further keys are counted)

struct Words {
    std::string_view w[kMaxWords];
    size_t n = 0;     // words kept
    size_t total = 0; // words on the line
};

void split(std::string_view l, Words *out) {
    size_t i = 0;
    while (i < l.size()) {
        while (i < l.size() && l[i] == ' ') i++;
        const size_t b = i;
        while (i < l.size() && l[i] != ' ') i++;
        if (i > b) {
            if (out->n < kMaxWords) out->w[out->n++] = l.substr(b, i - b);
            out->total++;
        }
    }
}

bool number(std::string_view t, int64_t *v = nullptr, bool negative_ok = false) {
    int64_t x = 0;
    if (t.empty() || t.size() > 20 || (!negative_ok && t[0] == '-')) return false;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), x);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return false;
    if (v) *v = x;
    return true;
}

struct Shape {
    bool ok = false;
    int64_t data = -1; // data block bytes that follow the line (its CRLF included)
    bool noreply = false;
    bool quiet = false;
    uint32_t keys = 0;
};

// What a command line says, checked against the shape its command needs.
Shape shape(const Words &w) {
    Shape s;
    if (w.n == 0) return s;
    const std::string_view op = w.w[0];
    const size_t n = w.total;
    const bool last_noreply = w.w[w.n - 1] == "noreply";
    auto storage = [&](size_t base) {
        int64_t len = 0;
        if ((n != base && n != base + 1) || !number(w.w[2]) || !number(w.w[3], nullptr, true) ||
            !number(w.w[4], &len) || len > kMaxData)
            return;
        if (base == 6 && !number(w.w[5])) return;
        if (n == base + 1 && !last_noreply) return;
        s.ok = true;
        s.data = len + 2;
        s.noreply = n == base + 1;
        s.keys = 1;
    };
    if (op == "set" || op == "add" || op == "replace" || op == "append" || op == "prepend") {
        storage(5);
    } else if (op == "cas") {
        storage(6);
    } else if (op == "get" || op == "gets") {
        s.ok = n >= 2;
        s.keys = static_cast<uint32_t>(n - 1);
    } else if (op == "gat" || op == "gats") {
        s.ok = n >= 3 && number(w.w[1], nullptr, true);
        s.keys = static_cast<uint32_t>(n - 2);
    } else if (op == "delete") {
        s.ok = n >= 2 && n <= 4;
        s.noreply = last_noreply && n > 2;
        s.keys = 1;
    } else if (op == "incr" || op == "decr" || op == "touch") {
        s.ok = (n == 3 || (n == 4 && last_noreply)) && number(w.w[2], nullptr, op == "touch");
        s.noreply = n == 4;
        s.keys = 1;
    } else if (op == "mg" || op == "md" || op == "ma" || op == "me") {
        s.ok = n >= 2;
        s.keys = 1;
        for (size_t i = 2; i < w.n; i++) s.quiet = s.quiet || w.w[i] == "q";
    } else if (op == "ms") {
        int64_t len = 0;
        s.ok = n >= 3 && number(w.w[2], &len) && len <= kMaxData;
        s.data = len + 2;
        s.keys = 1;
        for (size_t i = 3; i < w.n; i++) s.quiet = s.quiet || w.w[i] == "q";
    } else if (op == "mn" || op == "version") {
        s.ok = n == 1;
    } else if (op == "quit") {
        s.ok = n == 1;
        s.noreply = true; // the server closes instead
    } else if (op == "stats") {
        s.ok = true;
    } else if (op == "flush_all") {
        s.ok = n <= 3 && (n < 2 || number(w.w[1]) || w.w[1] == "noreply");
        s.noreply = last_noreply && n > 1;
    } else if (op == "verbosity" || op == "cache_memlimit") {
        s.ok = n >= 2 && n <= 3 && number(w.w[1]);
        s.noreply = last_noreply && n == 3;
    }
    return s;
}

// The line at the head of s: kSuccess with *line (without its end), *len (with it).
ParseState read_line(const DataStream &s, std::string_view *line, size_t *len) {
    const auto head = s.head();
    if (head.empty()) return ParseState::kInvalid; // a line in uncaptured bytes
    const std::string_view h(reinterpret_cast<const char *>(head.data()),
                             std::min(head.size(), kMaxLine + 2));
    const size_t nl = h.find('\n');
    if (nl == std::string_view::npos) {
        if (head.size() < s.available() || head.size() > kMaxLine) return ParseState::kInvalid;
        return ParseState::kNeedsMoreData;
    }
    *len = nl + 1;
    *line = h.substr(0, nl > 0 && h[nl - 1] == '\r' ? nl - 1 : nl);
    return ParseState::kSuccess;
}

bool is_binary_request(std::span<const uint8_t> h) {
    // magic, opcode, key length (2), extras length, data type 0, vbucket (2), body length (4)
    if (h.size() < 24 || h[0] != 0x80 || h[5] != 0) return false;
    const uint32_t key = (uint32_t(h[2]) << 8) | h[3];
    const uint32_t body = (uint32_t(h[8]) << 24) | (uint32_t(h[9]) << 16) | (uint32_t(h[10]) << 8) | h[11];
    return h[1] <= 0x48 && key <= 250 && body >= key + h[4];
}

bool error_word(std::string_view w) {
    return w == "ERROR" || w == "CLIENT_ERROR" || w == "SERVER_ERROR";
}

} // namespace

ParseState RequestReader::next(DataStream &s, Request *out) {
    while (!s.empty()) {
        if (in_data_) {
            const uint64_t n = std::min<uint64_t>(data_left_, s.available());
            req_.ts_end = s.times_at(s.position() + n - 1).ts_end;
            s.consume(n);
            data_left_ -= static_cast<int64_t>(n);
            if (data_left_ > 0) return ParseState::kNeedsMoreData;
            in_data_ = false;
            *out = std::move(req_);
            return ParseState::kSuccess;
        }
        const auto head = s.head();
        if (!head.empty() && head[0] == 0x80) return ParseState::kEndOfStream;
        std::string_view l;
        size_t len = 0;
        const ParseState r = read_line(s, &l, &len);
        if (r != ParseState::kSuccess) return r;
        if (l.empty()) {
            s.consume(len);
            return ParseState::kIgnored;
        }
        Words w;
        split(l, &w);
        const Shape sh = shape(w);
        if (!sh.ok) return ParseState::kInvalid;
        req_ = Request{};
        req_.op.assign(w.w[0]);
        req_.keys = sh.keys;
        req_.noreply = sh.noreply;
        req_.quiet = sh.quiet;
        req_.ts_begin = s.times_at(s.position()).ts_begin;
        req_.ts_end = s.times_at(s.position() + len - 1).ts_end;
        s.consume(len);
        if (sh.data > 0) {
            in_data_ = true;
            data_left_ = sh.data;
            continue;
        }
        *out = std::move(req_);
        return ParseState::kSuccess;
    }
    return ParseState::kNeedsMoreData;
}

ParseState ResponseReader::next(DataStream &s, Response *out) {
    auto invalid = [&] {
        reset();
        return ParseState::kInvalid;
    };
    while (!s.empty()) {
        if (data_left_ > 0) {
            const uint64_t n = std::min<uint64_t>(data_left_, s.available());
            resp_.ts_end = s.times_at(s.position() + n - 1).ts_end;
            s.consume(n);
            data_left_ -= static_cast<int64_t>(n);
            if (data_left_ > 0) return ParseState::kNeedsMoreData;
            if (complete_after_data_) {
                started_ = false;
                complete_after_data_ = false;
                *out = std::move(resp_);
                return ParseState::kSuccess;
            }
            continue;
        }
        std::string_view l;
        size_t len = 0;
        const ParseState r = read_line(s, &l, &len);
        if (r == ParseState::kInvalid) return invalid();
        if (r != ParseState::kSuccess) return r;
        const std::string_view word = l.substr(0, std::min(l.find(' '), l.size()));
        if (word.empty()) return invalid();
        if (!started_) {
            started_ = true;
            resp_ = Response{};
            resp_.word.assign(word.substr(0, 32));
            resp_.error = error_word(word);
            resp_.ts_begin = s.times_at(s.position()).ts_begin;
        }
        resp_.ts_end = s.times_at(s.position() + len - 1).ts_end;
        const std::string_view rest = word.size() < l.size() ? l.substr(word.size() + 1) : std::string_view();
        if (word == "VALUE" || word == "VA") {
            // VALUE <key> <flags> <bytes> [<cas>]; VA <size> <flags>*
            const std::string_view size_word =
                word == "VA" ? rest.substr(0, std::min(rest.find(' '), rest.size())) : std::string_view();
            int64_t n = -1;
            if (word == "VALUE") {
                Words w;
                split(rest, &w);
                if (w.total < 3 || !number(w.w[2], &n)) return invalid();
            } else if (!number(size_word, &n)) {
                return invalid();
            }
            if (n > kMaxData) return invalid();
            s.consume(len);
            multi_ = word == "VALUE";
            data_left_ = n + 2;
            complete_after_data_ = word == "VA";
            continue;
        }
        s.consume(len);
        if (word == "STAT" || (multi_ && word != "END")) {
            multi_ = true;
            continue;
        }
        started_ = false;
        multi_ = false;
        *out = std::move(resp_);
        return ParseState::kSuccess;
    }
    return ParseState::kNeedsMoreData;
}

bool frame_can_start(bool requests, std::span<const uint8_t> head) {
    if (head.empty()) return false;
    const uint8_t c = head[0];
    if (requests) return (c >= 'a' && c <= 'z') || c == 0x80;
    return c >= 'A' && c <= 'Z';
}

Start classify_start(std::span<const uint8_t> head) {
    if (head.empty()) return Start::kNo;
    if (head[0] == 0x80) {
        if (head.size() < 24) return head.size() >= 2 && head[1] > 0x48 ? Start::kNo : Start::kMaybe;
        return is_binary_request(head) ? Start::kBinary : Start::kNo;
    }
    if (head[0] < 'a' || head[0] > 'z') return Start::kNo;
    const std::string_view h(reinterpret_cast<const char *>(head.data()), std::min(head.size(), kMaxLine));
    const size_t nl = h.find('\n');
    if (nl == std::string_view::npos) {
        if (head.size() >= kMaxLine) return Start::kNo;
        // A prefix of a command word, or a word and arguments still coming.
        size_t i = 0;
        while (i < h.size() && ((h[i] >= 'a' && h[i] <= 'z') || h[i] == '_')) i++;
        return i <= 14 && (i == h.size() || h[i] == ' ' || h[i] == '\r') ? Start::kMaybe : Start::kNo;
    }
    const std::string_view l = h.substr(0, nl > 0 && h[nl - 1] == '\r' ? nl - 1 : nl);
    Words w;
    split(l, &w);
    return shape(w).ok ? Start::kText : Start::kNo;
}

bool quiet_may_answer(std::string_view op, std::string_view word) {
    if (error_word(word)) return true;
    if (op == "mg") return word == "VA" || word == "HD";
    if (op == "ms") return word == "NS" || word == "EX" || word == "NF";
    if (op == "md") return word == "NF" || word == "EX";
    if (op == "ma") return word == "NF" || word == "NS" || word == "EX" || word == "VA";
    return false;
}

} // namespace beyla::memcached
