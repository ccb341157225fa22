#include "protocols/http1/parse.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace beyla::http1 {

namespace {

using Phase = ParserState::Phase;
constexpr size_t npos = std::string_view::npos;

enum : uint8_t {
    kTchar = 1,      // token characters (RFC 9110 5.6.2)
    kFieldChar = 2,  // field value / reason phrase: HTAB, SP, VCHAR, obs-text
    kTargetChar = 4, // request-target: VCHAR, and obs-text for clients that send raw UTF-8
    kMethodChar = 8, // A-Z, '-', '_'
};

constexpr std::array<uint8_t, 256> kCharClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; c++) {
        uint8_t v = 0;
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || (c && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != npos))
            v |= kTchar;
        if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kFieldChar;
        if ((c > 0x20 && c < 0x7f) || c >= 0x80) v |= kTargetChar;
        if ((c >= 'A' && c <= 'Z') || c == '-' || c == '_') v |= kMethodChar;
        t[static_cast<size_t>(c)] = v;
    }
    return t;
}();

bool has_class(char c, uint8_t cls) {
    return kCharClass[static_cast<uint8_t>(c)] & cls;
}

bool all_of_class(std::string_view s, uint8_t cls) {
    for (char c : s)
        if (!has_class(c, cls)) return false;
    return true;
}

// Field values are most of a head's bytes: check eight at a time for control characters
// (< 0x20, or DEL) and fall back to the table only where one may be (HTAB is allowed).
bool field_value_ok(std::string_view s) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
    const char *p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        const uint64_t y = x ^ (kOnes * 0x7f);
        // Exact "some byte < 0x20" and "some byte == 0x7f" tests (no false negatives).
        if (((x - kOnes * 0x20) & ~x & kHighs) | ((y - kOnes) & ~y & kHighs)) break;
    }
    return all_of_class({p, n}, kFieldChar);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Lines may end in CRLF or a bare LF.
std::string_view trim_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::string_view as_view(std::span<const uint8_t> s) {
    return {reinterpret_cast<const char *>(s.data()), s.size()};
}

bool valid_method(std::string_view m) {
    return !m.empty() && m.size() <= kMaxMethodLen && m[0] >= 'A' && m[0] <= 'Z' &&
           all_of_class(m, kMethodChar);
}

void split_target(std::string_view t, Message *m) {
    if (t == "*") {
        m->path.assign(t);
        return;
    }
    if (t[0] != '/') {
        const size_t scheme = t.find("://");
        if (scheme == npos) return; // authority-form (CONNECT host:port): no path
        const size_t p = t.find_first_of("/?#", scheme + 3);
        t = p == npos ? std::string_view() : t.substr(p);
    }
    const size_t hash = t.find('#');
    if (hash != npos) t = t.substr(0, hash);
    const size_t q = t.find('?');
    if (q != npos) {
        m->query.assign(t.substr(q + 1));
        t = t.substr(0, q);
    }
    if (t.empty()) t = "/";
    m->path.assign(t);
}

bool parse_version(std::string_view v, int *minor) {
    if (v.size() != 8 || v.compare(0, 7, "HTTP/1.") != 0 || !is_digit(v[7])) return false;
    *minor = v[7] - '0';
    return true;
}

// With store false the line is only validated (the head is not complete yet).
bool parse_request_line(std::string_view line, Message *m, bool store) {
    const size_t sp1 = line.find(' ');
    if (sp1 == npos || !valid_method(line.substr(0, sp1))) return false;
    const std::string_view rest = line.substr(sp1 + 1);
    const size_t sp2 = rest.find(' ');
    if (sp2 == npos || sp2 == 0) return false;
    const std::string_view target = rest.substr(0, sp2);
    if (!all_of_class(target, kTargetChar)) return false;
    int minor = 0;
    if (!parse_version(rest.substr(sp2 + 1), &minor)) return false;
    if (!store) return true;
    m->minor_version = minor;
    m->method.assign(line.substr(0, sp1));
    m->target.assign(target);
    split_target(target, m);
    return true;
}

bool parse_status_line(std::string_view line, Message *m, bool store) {
    int minor = 0;
    if (line.size() < 12 || !parse_version(line.substr(0, 8), &minor) || line[8] != ' ') return false;
    if (line[9] < '1' || line[9] > '5' || !is_digit(line[10]) || !is_digit(line[11])) return false;
    std::string_view reason;
    if (line.size() > 12) {
        // The reason phrase may be empty, and some servers omit the space before it too.
        if (line[12] != ' ') return false;
        reason = line.substr(13);
        if (!all_of_class(reason, kFieldChar)) return false;
    }
    if (!store) return true;
    m->minor_version = minor;
    m->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    m->reason.assign(reason);
    return true;
}

bool parse_start_line(MessageType type, std::string_view line, Message *m, bool store) {
    return type == MessageType::kRequest ? parse_request_line(line, m, store)
                                         : parse_status_line(line, m, store);
}

// "name: value". No whitespace before the colon (RFC 9112 5.1), which also rejects
// obs-fold continuation lines.
bool split_field(std::string_view line, std::string_view *name, std::string_view *value) {
    const size_t colon = line.find(':');
    if (colon == npos || colon == 0) return false;
    *name = line.substr(0, colon);
    *value = trim_ows(line.substr(colon + 1));
    return all_of_class(*name, kTchar) && field_value_ok(*value);
}

// Content-Length may be a list of identical values ("5, 5"); anything else is invalid.
bool parse_content_length(std::string_view v, int64_t *out) {
    int64_t val = -1;
    while (true) {
        const size_t comma = v.find(',');
        const std::string_view elem = trim_ows(v.substr(0, comma));
        if (!elem.empty()) {
            if (elem.size() > 18) return false;
            int64_t n = 0;
            for (char c : elem) {
                if (!is_digit(c)) return false;
                n = n * 10 + (c - '0');
            }
            if (val >= 0 && n != val) return false;
            val = n;
        }
        if (comma == npos) break;
        v.remove_prefix(comma + 1);
    }
    if (val < 0) return false;
    *out = val;
    return true;
}

// Whether a comma-separated list holds token (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const size_t comma = list.find(',');
        if (iequals(trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

bool apply_framing_field(std::string_view name, std::string_view value, Framing *f) {
    switch (name.size()) {
    case 14:
        if (iequals(name, "content-length")) {
            int64_t n;
            if (!parse_content_length(value, &n)) return false;
            if (f->content_length >= 0 && f->content_length != n) return false;
            f->content_length = n;
        }
        break;
    case 17:
        if (iequals(name, "transfer-encoding")) {
            // Codings apply in order; the body is chunked only if chunked comes last. A
            // later field line continues the same list, so its last coding decides.
            const size_t comma = value.rfind(',');
            f->transfer_encoding = true;
            f->chunked = iequals(trim_ows(comma == npos ? value : value.substr(comma + 1)), "chunked");
        }
        break;
    case 7:
        if (iequals(name, "upgrade") && !value.empty()) {
            f->upgrade = true;
            f->upgrade_h2c = f->upgrade_h2c || has_token(value, "h2c");
        }
        break;
    }
    return true;
}

bool is_status_prefix(std::string_view v) {
    constexpr std::string_view kHttp = "HTTP/1.";
    const size_t n = std::min(v.size(), kHttp.size());
    return v.compare(0, n, kHttp.substr(0, n)) == 0;
}

StartKind classify(std::string_view v) {
    return classify_start({reinterpret_cast<const uint8_t *>(v.data()), v.size()});
}

// Whether a message of this type may start with v (v may be a short prefix).
bool start_matches(MessageType type, std::string_view v) {
    const StartKind k = classify(v);
    if (type == MessageType::kResponse)
        return k == StartKind::kResponse || (k == StartKind::kMaybe && is_status_prefix(v));
    // "HTTP" could still be a method; "HTTP/" could not.
    return k == StartKind::kRequest || (k == StartKind::kMaybe && !(v.size() > 4 && is_status_prefix(v)));
}

// Returns *m to its default state without giving up the capacity it holds (cheaper than
// assigning a fresh Message, which matters once per message).
void reset_message(Message *m) {
    m->type = MessageType::kRequest;
    m->method.clear();
    m->target.clear();
    m->path.clear();
    m->query.clear();
    m->minor_version = -1;
    m->status = -1;
    m->reason.clear();
    m->headers.clear();
    m->content_length = -1;
    m->body_size = -1;
    m->chunked = false;
    m->body_truncated = false;
    m->ts_begin = 0;
    m->ts_end = 0;
    m->header_bytes = 0;
    m->upgrade_h2c = false;
}

// parse_head for a message in its default state: the one being built by ParseFrame.
// On kNeedsMoreData *m is left untouched. With cut (buf ends where a gap begins), a head
// with no empty line is built from its complete lines, *head_len ending after the last.
ParseState parse_head_into(MessageType type, std::string_view buf, Message *m, Framing *f, size_t *head_len,
                           bool keep_headers = true, bool cut = false) {
    *f = Framing{};
    const std::string_view b = buf.substr(0, kMaxHeadBytes);

    // Find the empty line first: when the head is incomplete nothing is built, and when
    // it is complete the field count and text size are known up front. Line ends are
    // remembered so the second pass does not search again.
    constexpr size_t kRemembered = 96;
    uint32_t ends[kRemembered];
    size_t end = npos, lines = 0, p = 0;
    while (p < b.size()) {
        const void *q = memchr(b.data() + p, '\n', b.size() - p);
        if (!q) break;
        const size_t nl = static_cast<size_t>(static_cast<const char *>(q) - b.data());
        if (lines < kRemembered) ends[lines] = static_cast<uint32_t>(nl);
        lines++;
        p = nl + 1;
        if (p < b.size() && b[p] == '\n') {
            end = p + 1;
            break;
        }
        if (p + 1 < b.size() && b[p] == '\r' && b[p + 1] == '\n') {
            end = p + 2;
            break;
        }
    }
    if (end == npos && cut && lines && buf.size() < kMaxHeadBytes) {
        end = p; // after the last complete line: the rest went uncaptured
    } else if (end == npos) {
        if (buf.size() >= kMaxHeadBytes) return ParseState::kInvalid;
        // Reject what cannot be HTTP now rather than buffer it up to the limit.
        if (lines == 0) return start_matches(type, b) ? ParseState::kNeedsMoreData : ParseState::kInvalid;
        return parse_start_line(type, trim_cr(b.substr(0, ends[0])), m, false) ? ParseState::kNeedsMoreData
                                                                               : ParseState::kInvalid;
    }

    m->type = type;
    if (!parse_start_line(type, trim_cr(b.substr(0, ends[0])), m, true)) return ParseState::kInvalid;
    if (keep_headers) m->headers.reserve(lines - 1, end);
    p = ends[0] + 1;
    for (size_t i = 1; i < lines; i++) {
        const size_t nl = i < kRemembered ? ends[i] : b.find('\n', p);
        const std::string_view line = trim_cr(b.substr(p, nl - p));
        p = nl + 1;
        std::string_view name, value;
        if (!split_field(line, &name, &value) || !apply_framing_field(name, value, f))
            return ParseState::kInvalid;
        if (keep_headers) m->headers.add(name, value);
    }
    *head_len = end;
    return ParseState::kSuccess;
}

// Consumes n bytes of the message in progress, noting when its last byte moved.
void take(DataStream &s, uint64_t n, Message *m) {
    if (n == 0) return;
    m->ts_end = s.times_at(s.position() + n - 1).ts_end;
    s.consume(n);
}

// Body bytes may run into a gap: they are counted, not seen.
void take_body(DataStream &s, uint64_t n, Message *m) {
    if (s.head().size() < n) m->body_truncated = true;
    m->body_size += static_cast<int64_t>(n);
    take(s, n, m);
}

enum class LineResult { kOk, kMore, kBad };

// A complete line at the head of s, of at most max bytes including its terminator.
LineResult read_line(const DataStream &s, size_t max, std::string_view *line, size_t *len) {
    const std::string_view h = as_view(s.head());
    if (h.empty()) return s.empty() ? LineResult::kMore : LineResult::kBad; // inside a gap
    const std::string_view b = h.substr(0, max);
    const size_t nl = b.find('\n');
    if (nl == npos) {
        // Too long, or cut short by a gap: either way the framing is lost.
        if (h.size() >= max || h.size() < s.available()) return LineResult::kBad;
        return LineResult::kMore;
    }
    *len = nl + 1;
    *line = trim_cr(b.substr(0, nl));
    return LineResult::kOk;
}

bool parse_chunk_size(std::string_view line, uint64_t *size) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < line.size(); i++) {
        const char c = lower(line[i]);
        int d;
        if (is_digit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            break;
        if (i >= 15) return false; // beyond any real body
        v = v * 16 + static_cast<uint64_t>(d);
    }
    if (i == 0) return false;
    // Extensions (";name=value...") carry nothing we need; they only have to be sane.
    const std::string_view ext = trim_ows(line.substr(i));
    if (!ext.empty() && (ext[0] != ';' || !all_of_class(ext, kFieldChar))) return false;
    *size = v;
    return true;
}

// Whether bytes from `scanned` on may complete the empty line that ends a head (its
// first LF can sit up to two bytes before them).
bool may_end_head(std::string_view v, size_t scanned) {
    for (size_t p = scanned >= 2 ? scanned - 2 : 0; p < v.size();) {
        const void *q = memchr(v.data() + p, '\n', v.size() - p);
        if (!q) return false;
        const size_t nl = static_cast<size_t>(static_cast<const char *>(q) - v.data());
        if (nl + 1 < v.size() && v[nl + 1] == '\n') return true;
        if (nl + 2 < v.size() && v[nl + 1] == '\r' && v[nl + 2] == '\n') return true;
        p = nl + 1;
    }
    return false;
}

ParseState fail(ParserState *st) {
    st->reset_frame();
    return ParseState::kInvalid;
}

// Whether a message of this type starts at v: its start line when v holds one whole,
// else the kind of its first bytes. Stricter than start_matches, since it decides where
// the bytes of a message whose head was cut end.
bool message_starts(MessageType type, std::string_view v) {
    const void *q = memchr(v.data(), '\n', std::min(v.size(), kMaxHeadBytes));
    if (!q)
        return classify(v) == (type == MessageType::kRequest ? StartKind::kRequest : StartKind::kResponse);
    Message unused;
    const size_t nl = static_cast<size_t>(static_cast<const char *>(q) - v.data());
    return parse_start_line(type, trim_cr(v.substr(0, nl)), &unused, false);
}

// Skips ParserState::cut_tail. kSuccess once a message may be parsed at the position.
ParseState skip_cut_tail(MessageType type, DataStream &s, ParserState *st) {
    while (st->cut_tail && !s.empty()) {
        const std::string_view v = as_view(s.head());
        if (s.at_chunk_boundary() && !v.empty()) {
            if (message_starts(type, v)) break;
            // A start line still arriving: wait to tell.
            if (v.size() == s.available() && !memchr(v.data(), '\n', v.size()) && start_matches(type, v))
                return ParseState::kNeedsMoreData;
        }
        const uint64_t n = std::min(st->cut_tail, s.next_chunk_boundary() - s.position());
        s.consume(n);
        if (st->cut_tail != ParserState::kUnknownLength) st->cut_tail -= n;
    }
    if (s.empty() && st->cut_tail) return ParseState::kNeedsMoreData;
    st->cut_tail = 0;
    return ParseState::kSuccess;
}

// A head whose empty line lies in a gap (fields past the payload prefix were not copied).
// v holds its captured bytes. The message is taken to end with the read holding the gap
// (a writer sends a head in one call; a reader's last head bytes end its read), extended
// by the body bytes the captured Content-Length shows that read cannot have held; what
// may follow of it is left to cut_tail.
ParseState start_cut_message(MessageType type, DataStream &s, ParserState *st, std::string_view v) {
    Framing f;
    size_t len = 0;
    Message &m = st->msg;
    if (parse_head_into(type, v, &m, &f, &len, st->keep_headers, true) != ParseState::kSuccess)
        return fail(st);

    m.ts_begin = s.times_at(s.position()).ts_begin;
    m.body_size = 0;
    take(s, v.size(), &m);
    const uint64_t rest = s.next_chunk_boundary() - s.position(); // uncaptured, >= 1
    take(s, rest, &m);
    m.header_bytes = v.size() + rest; // at most: body bytes may be among them
    m.content_length = f.content_length;

    st->phase = Phase::kLength;
    st->remaining = 0;
    st->cut_tail = ParserState::kUnknownLength;
    const Message *req = nullptr;
    if (type == MessageType::kResponse) {
        if (m.status < 200 && m.status != 101) {
            st->reset_frame();
            return ParseState::kIgnored;
        }
        req = st->requests && st->next_request < st->requests->size() ? &(*st->requests)[st->next_request]
                                                                      : nullptr;
        const bool tunnel = req && req->method == "CONNECT" && m.status / 100 == 2;
        st->switches = m.status == 101 || tunnel;
        if (st->switches || (req && req->method == "HEAD") || m.status == 204 || m.status == 304) {
            f.content_length = 0; // no body whatever the fields say
            f.transfer_encoding = false;
        }
    } else {
        st->switches = f.upgrade || m.method == "CONNECT";
    }
    if (f.transfer_encoding) {
        // Its chunk-size lines cannot be found from here; nor can a length-less body's end.
        m.chunked = f.chunked;
        m.body_size = -1;
    } else if (f.content_length >= 0) {
        // The head takes at least one more byte of the read, so at most rest - 1 of it was body.
        const uint64_t cl = static_cast<uint64_t>(f.content_length);
        const uint64_t inside = rest ? rest - 1 : 0;
        st->remaining = cl > inside ? cl - inside : 0;
        // No body: what follows before the next message can only be the head's own rest.
        st->cut_tail = cl ? cl - st->remaining : ParserState::kUnknownLength;
        m.body_size = static_cast<int64_t>(cl - st->remaining); // the body phase counts the rest
        if (cl) m.body_truncated = true;
    } else {
        m.body_size = -1; // a Content-Length past the prefix, or a response framed by the close
    }
    return ParseState::kSuccess;
}

// Parses the head at the stream position and sets up the body phase. kSuccess means the
// head is consumed and the body (maybe empty) follows.
ParseState start_message(MessageType type, DataStream &s, ParserState *st) {
    if (st->cut_tail) {
        const ParseState r = skip_cut_tail(type, s, st);
        if (r != ParseState::kSuccess) return r;
        if (s.empty()) return ParseState::kNeedsMoreData;
    }
    if (type == MessageType::kRequest) {
        // Some clients send a stray CRLF after a body; RFC 9112 2.2 lets a server skip it.
        const auto h = s.head();
        size_t k = 0;
        while (k < h.size() && k < 4 && (h[k] == '\r' || h[k] == '\n')) k++;
        if (k) s.consume(k);
    }
    st->frame_start = s.position();
    const auto h = s.head();
    if (h.empty()) return s.empty() ? ParseState::kNeedsMoreData : ParseState::kInvalid;

    const std::string_view v = as_view(h);
    const bool cut_by_gap = h.size() < s.available();
    if (st->scanned && st->scan_pos == st->frame_start && !may_end_head(v, st->scanned)) {
        st->scanned = v.size();
        if (v.size() >= kMaxHeadBytes) return fail(st);
        if (cut_by_gap) return start_cut_message(type, s, st, v);
        return ParseState::kNeedsMoreData;
    }

    Framing f;
    size_t len = 0;
    Message &m = st->msg;
    const ParseState r = parse_head_into(type, v, &m, &f, &len, st->keep_headers);
    if (r == ParseState::kNeedsMoreData) {
        if (cut_by_gap) return start_cut_message(type, s, st, v);
        // Resume from here next time, once the start line is complete and so checked.
        if (memchr(v.data(), '\n', v.size())) {
            st->scan_pos = st->frame_start;
            st->scanned = v.size();
        }
        return ParseState::kNeedsMoreData;
    }
    if (r != ParseState::kSuccess) return fail(st);

    m.ts_begin = s.times_at(s.position()).ts_begin;
    m.header_bytes = len;
    m.content_length = f.content_length;
    m.body_size = 0;
    take(s, len, &m);

    st->phase = Phase::kLength;
    st->remaining = 0;
    if (type == MessageType::kRequest) {
        if (f.transfer_encoding) {
            // RFC 9112 6.3: a request whose final coding is not chunked cannot be framed.
            if (!f.chunked) return fail(st);
            st->phase = Phase::kChunkSize;
            m.chunked = true;
        } else if (f.content_length > 0) {
            st->remaining = static_cast<uint64_t>(f.content_length);
        }
        st->switches = f.upgrade || m.method == "CONNECT";
        m.upgrade_h2c = f.upgrade_h2c;
        return ParseState::kSuccess;
    }

    if (m.status < 200 && m.status != 101) {
        // Interim (100 Continue, 103 Early Hints): the final response is still to come.
        st->reset_frame();
        return ParseState::kIgnored;
    }
    const Message *req = st->requests && st->next_request < st->requests->size()
                             ? &(*st->requests)[st->next_request]
                             : nullptr;
    const bool head_req = req && req->method == "HEAD";
    const bool tunnel = req && req->method == "CONNECT" && m.status / 100 == 2;
    st->switches = m.status == 101 || tunnel;
    if (st->switches || head_req || m.status == 204 || m.status == 304) return ParseState::kSuccess;
    if (f.transfer_encoding) {
        st->phase = f.chunked ? Phase::kChunkSize : Phase::kUntilClose;
        m.chunked = f.chunked;
    } else if (f.content_length >= 0) {
        st->remaining = static_cast<uint64_t>(f.content_length);
    } else {
        st->phase = Phase::kUntilClose;
    }
    return ParseState::kSuccess;
}

// Advances the body of the message in progress. kSuccess when it is complete.
ParseState continue_body(DataStream &s, ParserState *st) {
    Message &m = st->msg;
    std::string_view line;
    size_t len = 0;
    while (true) {
        switch (st->phase) {
        case Phase::kHead: // not reached: start_message always leaves a body phase
        case Phase::kLength: {
            const uint64_t n = std::min(st->remaining, s.available());
            take_body(s, n, &m);
            st->remaining -= n;
            return st->remaining ? ParseState::kNeedsMoreData : ParseState::kSuccess;
        }
        case Phase::kUntilClose:
            take_body(s, s.available(), &m);
            return ParseState::kNeedsMoreData;
        case Phase::kChunkSize: {
            const LineResult r = read_line(s, kMaxChunkLine, &line, &len);
            if (r != LineResult::kOk) return r == LineResult::kMore ? ParseState::kNeedsMoreData : fail(st);
            uint64_t size = 0;
            if (!parse_chunk_size(line, &size)) return fail(st);
            take(s, len, &m);
            st->remaining = size;
            st->trailer_bytes = 0;
            st->phase = size ? Phase::kChunkData : Phase::kTrailers;
            break;
        }
        case Phase::kChunkData: {
            const uint64_t n = std::min(st->remaining, s.available());
            take_body(s, n, &m);
            st->remaining -= n;
            if (st->remaining) return ParseState::kNeedsMoreData;
            st->phase = Phase::kChunkEnd;
            break;
        }
        case Phase::kChunkEnd: {
            const LineResult r = read_line(s, 2, &line, &len);
            if (r != LineResult::kOk) return r == LineResult::kMore ? ParseState::kNeedsMoreData : fail(st);
            if (!line.empty()) return fail(st);
            take(s, len, &m);
            st->phase = Phase::kChunkSize;
            break;
        }
        case Phase::kTrailers: {
            const size_t room = kMaxHeadBytes - std::min<uint64_t>(st->trailer_bytes, kMaxHeadBytes);
            const LineResult r = read_line(s, room, &line, &len);
            if (r != LineResult::kOk) return r == LineResult::kMore ? ParseState::kNeedsMoreData : fail(st);
            std::string_view name, value;
            if (!line.empty() && !split_field(line, &name, &value)) return fail(st);
            take(s, len, &m);
            st->trailer_bytes += len;
            if (line.empty()) return ParseState::kSuccess;
            break;
        }
        }
    }
}

} // namespace

StartKind classify_start(std::span<const uint8_t> head) {
    const std::string_view v = as_view(head);
    if (is_status_prefix(v)) {
        // "HTTP/1.d NNN"; a shorter prefix could still be either this or a method.
        if (v.size() < 8) return StartKind::kMaybe;
        if (!is_digit(v[7])) return StartKind::kNotHttp;
        if (v.size() == 8) return StartKind::kMaybe;
        if (v[8] != ' ') return StartKind::kNotHttp;
        for (size_t i = 9; i < std::min<size_t>(v.size(), 12); i++)
            if (!is_digit(v[i])) return StartKind::kNotHttp;
        return v.size() < 12 ? StartKind::kMaybe : StartKind::kResponse;
    }
    if (v[0] < 'A' || v[0] > 'Z') return StartKind::kNotHttp;
    size_t i = 0;
    while (i < v.size() && has_class(v[i], kMethodChar))
        if (++i > kMaxMethodLen) return StartKind::kNotHttp;
    if (i == v.size()) return StartKind::kMaybe;
    if (v[i] != ' ') return StartKind::kNotHttp;
    if (i + 1 == v.size()) return StartKind::kMaybe;
    // origin-form '/', asterisk-form '*', absolute-form "scheme://", authority-form "host:port".
    const char t = v[i + 1];
    const bool ok =
        t == '/' || t == '*' || (t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z') || is_digit(t) || t == '[';
    return ok ? StartKind::kRequest : StartKind::kNotHttp;
}

ParseState parse_head(MessageType type, std::string_view buf, Message *m, Framing *f, size_t *head_len) {
    reset_message(m);
    m->type = type;
    return parse_head_into(type, buf, m, f, head_len);
}

void ParserState::reset_frame() {
    phase = Phase::kHead;
    remaining = 0;
    trailer_bytes = 0;
    scan_pos = 0;
    scanned = 0;
    switches = false;
    reset_message(&msg);
}

ParseState ParseFrame(MessageType type, DataStream &s, Message *out, ParserState *st) {
    if (st->paused) return ParseState::kEndOfStream;
    if (st->phase == Phase::kHead) {
        const ParseState r = start_message(type, s, st);
        if (r != ParseState::kSuccess) return r;
    }
    const ParseState r = continue_body(s, st);
    if (r != ParseState::kSuccess) return r;

    *out = std::move(st->msg);
    if (type == MessageType::kResponse) st->next_request++;
    if (st->switches) st->paused = true;
    st->reset_frame();
    return ParseState::kSuccess;
}

bool FindFrameBoundary(protocols::FrameTag<Message>, MessageType type, std::span<const uint8_t> head) {
    return !head.empty() && start_matches(type, as_view(head));
}

bool finish_at_close(ParserState *st, Message *out) {
    if (st->phase != Phase::kUntilClose) return false;
    *out = std::move(st->msg);
    st->next_request++;
    st->reset_frame();
    return true;
}

} // namespace beyla::http1
