#include "metrics/routes.h"

#include "common/error.h"

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

bool RouteMatcher::looks_like_id(std::string_view s) {
    if (s.empty()) return false;
    bool digits = true, hex = true, b64 = true;
    bool has_digit = false, has_upper = false, has_lower = false;
    for (char c : s) {
        const bool d = c >= '0' && c <= '9';
        const bool up = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z';
        has_digit |= d, has_upper |= up, has_lower |= low;
        digits &= d;
        hex &= is_hex(c);
        b64 &= d || up || low || c == '-' || c == '_' || c == '+' || c == '=' || c == '.' || c == '~';
    }
    if (digits || is_uuid(s)) return true;
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
    if (size_t q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
    if (const Pattern *p = match(path)) return p->text;
    out_.clear();
    if (cfg_.mode == RouteMode::kPatternsOnly) return out_ = "/**";
    size_t pos = 0;
    for_each_segment(path, [&](std::string_view seg) {
        if (pos == kMaxSegments) {
            out_ += "/**";
            return false;
        }
        out_.push_back('/');
        bool star = seg.size() > kMaxSegmentLength || looks_like_id(seg);
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
        pos++;
        return true;
    });
    if (out_.empty()) out_ = "/";
    return out_;
}

} // namespace beyla::metrics
