#include "metrics/routes.h"

#include <array>
#include <cstring>

#include "common/error.h"
#include "metrics/fast_hash.h"

namespace beyla::metrics {

namespace {

// Splits "/a/b/" into "a", "b", "" (a trailing slash is an empty last segment).
template <typename F> void for_each_segment(std::string_view path, F &&f) {
    size_t i = path.empty() || path[0] != '/' ? 0 : 1;
    if (path.size() <= i) return;
    for (;;) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) {
            f(path.substr(i));
            return;
        }
        if (!f(path.substr(i, j - i))) return;
        i = j + 1;
    }
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    return true;
}

} // namespace

namespace {

// Character classes of a path segment, one table lookup per byte (routes run per span).
enum : uint8_t { kDigit = 1, kHex = 2, kUpper = 4, kLower = 8, kToken = 16 };

constexpr std::array<uint8_t, 256> make_classes() {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; c++) {
        uint8_t m = 0;
        if (c >= '0' && c <= '9') m |= kDigit | kHex | kToken;
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) m |= kHex;
        if (c >= 'A' && c <= 'Z') m |= kUpper | kToken;
        if (c >= 'a' && c <= 'z') m |= kLower | kToken;
        if (c == '-' || c == '_' || c == '+' || c == '=' || c == '.' || c == '~') m |= kToken;
        t[static_cast<size_t>(c)] = m;
    }
    return t;
}
constexpr std::array<uint8_t, 256> kClasses = make_classes();

} // namespace

bool RouteMatcher::looks_like_id(std::string_view s) {
    if (s.empty()) return false;
    uint8_t all = 0xff, any = 0;
    for (char c : s) {
        const uint8_t m = kClasses[static_cast<uint8_t>(c)];
        all &= m, any |= m;
    }
    return id_of(s, all, any);
}

// Whether a segment is identifier-like, from its bytes' classes (all: AND, any: OR).
bool RouteMatcher::id_of(std::string_view s, uint8_t all, uint8_t any) {
    if (s.empty()) return false;
    const bool digits = all & kDigit, hex = all & kHex, b64 = all & kToken;
    const bool has_digit = any & kDigit, has_upper = any & kUpper, has_lower = any & kLower;
    if (digits || (s.size() == 36 && is_uuid(s))) return true;
    if (hex && s.size() >= 8 && has_digit) return true;
    // A long token mixing character classes (base64, base64url, random ids); a long
    // lower-case slug ("my-first-article") stays.
    if (b64 && s.size() >= 16 && (int(has_digit) + int(has_upper) + int(has_lower)) >= 2) return true;
    return false;
}

RouteMatcher::RouteMatcher(RouteConfig cfg) : cfg_(std::move(cfg)) {
    if (cfg_.segment_cardinality == 0) cfg_.segment_cardinality = 10;
    for (const auto &p : cfg_.patterns) {
        if (p.empty() || p[0] != '/') fail(EINVAL, "route pattern '{}' must start with '/'", p);
        Pattern pat;
        pat.text = p;
        for_each_segment(p, [&](std::string_view seg) {
            pat.segments.emplace_back(seg);
            return true;
        });
        if (!pat.segments.empty() && pat.segments.back() == "*") {
            pat.segments.pop_back();
            pat.rest = true;
        }
        patterns_.push_back(std::move(pat));
    }
    if (cfg_.mode == RouteMode::kLowCardinality) seen_.resize(kTrackedPositions);
}

const RouteMatcher::Pattern *RouteMatcher::match(std::string_view path) const {
    for (const Pattern &p : patterns_) {
        size_t n = 0;
        bool ok = true, extra = false;
        for_each_segment(path, [&](std::string_view seg) {
            if (n >= p.segments.size()) {
                extra = true;
                return false;
            }
            const std::string &want = p.segments[n++];
            const bool wild = want == "*" || (want.size() >= 2 && want.front() == '{' && want.back() == '}');
            if (!wild && want != seg) ok = false;
            return ok;
        });
        if (!ok || n < p.segments.size()) continue;
        if (extra && !p.rest) continue;
        return &p;
    }
    return nullptr;
}

std::string_view RouteMatcher::route(std::string_view path) {
    // The query never belongs to a route (a span's path has none, a raw target might).
    if (const void *q = memchr(path.data(), '?', path.size()))
        path = path.substr(0, static_cast<size_t>(static_cast<const char *>(q) - path.data()));
    if (const void *q = memchr(path.data(), '#', path.size()))
        path = path.substr(0, static_cast<size_t>(static_cast<const char *>(q) - path.data()));
    if (path.size() > kCachedPath) return compute(path);
    if (cache_.empty()) cache_.resize(kCacheEntries);
    FastHash fh;
    fh.str(path);
    const size_t h = fh.h;
    CacheEntry &e = cache_[h % kCacheEntries];
    if (e.used && e.hash == h && e.path == path) return e.route;
    const std::string_view r = compute(path);
    e.route.assign(r);
    e.path.assign(path);
    e.hash = h;
    e.used = true;
    return e.route;
}

std::string_view RouteMatcher::compute(std::string_view path) {
    if (const Pattern *p = match(path)) return p->text;
    out_.clear();
    if (cfg_.mode == RouteMode::kPatternsOnly) return out_ = "/**";
    // One pass: segments split at '/', each byte's class gathered on the way ("/a/b/" is
    // "a", "b" and an empty last segment).
    size_t i = !path.empty() && path[0] == '/' ? 1 : 0;
    if (path.size() <= i) return out_ = "/";
    for (size_t pos = 0;; pos++) {
        const size_t start = i;
        uint8_t all = 0xff, any = 0;
        for (; i < path.size() && path[i] != '/'; i++) {
            const uint8_t m = kClasses[static_cast<uint8_t>(path[i])];
            all &= m, any |= m;
        }
        const std::string_view seg = path.substr(start, i - start);
        if (pos == kMaxSegments) {
            out_ += "/**";
            break;
        }
        out_.push_back('/');
        bool star = seg.size() > kMaxSegmentLength || id_of(seg, all, any);
        if (!star && cfg_.mode == RouteMode::kLowCardinality && !seg.empty()) {
            auto &seen = seen_[std::min(pos, kTrackedPositions - 1)];
            if (seen.find(seg) == seen.end()) {
                if (seen.size() >= cfg_.segment_cardinality)
                    star = true;
                else
                    seen.emplace(seg);
            }
        }
        if (star)
            out_.push_back('*');
        else
            out_.append(seg);
        if (i >= path.size()) break;
        i++; // past the '/'
    }
    return out_;
}

} // namespace beyla::metrics
