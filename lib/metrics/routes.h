// http.route for metrics: a low-cardinality form of url.path. User patterns first
// ("/users/{id}", "/static/*": the pattern itself is the route); an unmatched path has its
// identifier-like segments (numbers, UUIDs, hex of 8+ characters, long base64-like tokens)
// replaced by "*", and in the low-cardinality mode each segment position also keeps at most
// N distinct values, later ones becoming "*" (like OBI's max_path_segment_cardinality).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace beyla::metrics {

enum class RouteMode : int {
    kHeuristic = 0,      // patterns, then identifier-like segments → "*"
    kLowCardinality = 1, // the same, and at most segment_cardinality values per position
    kPatternsOnly = 2,   // patterns; anything else is "/**"
};

struct RouteConfig {
    std::vector<std::string> patterns;
    RouteMode mode = RouteMode::kHeuristic;
    uint32_t segment_cardinality = 10;
};

class RouteMatcher {
  public:
    // Throws beyla::Error(EINVAL) for a pattern that does not start with '/'.
    explicit RouteMatcher(RouteConfig cfg);
    // The route of path, valid until the next call. Allocates only while the buffer and the
    // per-position value sets grow (bounded).
    std::string_view route(std::string_view path);

    static constexpr size_t kMaxSegments = 32;      // past it the rest of the path is "/**"
    static constexpr size_t kMaxSegmentLength = 64; // a longer segment is "*" in any mode
    static constexpr size_t kTrackedPositions = 16; // low-cardinality sets kept per position

    // For tests: whether a single segment looks like an identifier.
    static bool looks_like_id(std::string_view seg);

  private:
    static bool id_of(std::string_view seg, uint8_t all_classes, uint8_t any_class);

  public:
  private:
    struct Pattern {
        std::string text;
        std::vector<std::string> segments; // "{x}" and "*" match one segment
        bool rest = false;                 // a trailing "*": matches any rest (zero or more)
    };
    const Pattern *match(std::string_view path) const;

    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    RouteConfig cfg_;
    std::vector<Pattern> patterns_;
    std::vector<std::unordered_set<std::string, Hash, std::equal_to<>>> seen_; // by position
    std::string out_;
    std::string_view compute(std::string_view path);

    // Recent paths and their routes, direct-mapped by the path's hash: traffic repeats its
    // paths, and a route costs a walk over every segment. A path's route never changes (in
    // the low-cardinality mode a value admitted stays admitted and a full position stays
    // full), so an entry is valid until it is replaced. Paths longer than kCachedPath are
    // not kept (a cardinality attack then costs the walk, not memory).
    struct CacheEntry {
        size_t hash = 0;
        std::string path, route;
        bool used = false;
    };
    static constexpr size_t kCacheEntries = 1024;
    static constexpr size_t kCachedPath = 256;
    std::vector<CacheEntry> cache_;
};

} // namespace beyla::metrics
