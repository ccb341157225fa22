// http.route: user patterns, the identifier heuristic and the low-cardinality mode.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "metrics/routes.h"

using namespace beyla::metrics;

TEST_CASE("routes: identifier-like segments become *", "[metrics][routes]") {
    RouteMatcher r({});
    CHECK(r.route("/users/123") == "/users/*");
    CHECK(r.route("/users/123/orders/9") == "/users/*/orders/*");
    CHECK(r.route("/o/550e8400-e29b-41d4-a716-446655440000") == "/o/*");
    CHECK(r.route("/blob/deadbeef01") == "/blob/*");
    CHECK(r.route("/t/QUJDREVGR0hJSktMTU5PUA") == "/t/*");
    CHECK(r.route("/a/my-first-article-title") == "/a/my-first-article-title"); // a slug stays
    CHECK(r.route("/index.html") == "/index.html");
    CHECK(r.route("/") == "/");
    CHECK(r.route("") == "/");
    CHECK(r.route("/v1/items/") == "/v1/items/");
    CHECK(r.route("/x?id=5") == "/x");
    CHECK(r.route("/cafe") == "/cafe"); // short hex words stay
    CHECK(RouteMatcher::looks_like_id("42"));
    CHECK_FALSE(RouteMatcher::looks_like_id("v2"));
    CHECK_FALSE(RouteMatcher::looks_like_id("abcdefgh"));
    std::string long_seg(100, 'a');
    CHECK(r.route("/p/" + long_seg) == "/p/*");
    std::string deep;
    for (int i = 0; i < 40; i++) deep += "/s";
    std::string_view got = r.route(deep);
    CHECK(got.size() < deep.size());
    CHECK(got.substr(got.size() - 3) == "/**");
}

TEST_CASE("routes: patterns win, in order", "[metrics][routes]") {
    RouteConfig c;
    c.patterns = {"/users/{id}", "/static/*", "/users/{id}/orders/{order}"};
    RouteMatcher r(c);
    CHECK(r.route("/users/alice") == "/users/{id}");
    CHECK(r.route("/users/alice/orders/7") == "/users/{id}/orders/{order}");
    CHECK(r.route("/static/css/site.css") == "/static/*");
    CHECK(r.route("/static") == "/static/*");
    CHECK(r.route("/users") == "/users");
    CHECK(r.route("/other/5") == "/other/*");
    RouteConfig bad;
    bad.patterns = {"users"};
    CHECK_THROWS_AS(RouteMatcher(bad), beyla::Error);
}

TEST_CASE("routes: low-cardinality mode caps values per segment position", "[metrics][routes]") {
    RouteConfig c;
    c.mode = RouteMode::kLowCardinality;
    c.segment_cardinality = 3;
    RouteMatcher r(c);
    CHECK(r.route("/u/alice") == "/u/alice");
    CHECK(r.route("/u/bob") == "/u/bob");
    CHECK(r.route("/u/carol") == "/u/carol");
    CHECK(r.route("/u/dave") == "/u/*");      // the fourth value at position 1
    CHECK(r.route("/u/alice") == "/u/alice"); // known values stay
    CHECK(r.route("/v/x") == "/v/*");         // position 1 is full whatever the prefix
    RouteConfig p;
    p.mode = RouteMode::kPatternsOnly;
    p.patterns = {"/api/{x}"};
    RouteMatcher po(p);
    CHECK(po.route("/api/1") == "/api/{x}");
    CHECK(po.route("/else") == "/**");
}

TEST_CASE("routes: remembered routes stay right past the cache and the cap", "[metrics][routes]") {
    RouteConfig cfg;
    cfg.mode = RouteMode::kLowCardinality;
    cfg.segment_cardinality = 2;
    RouteMatcher r(cfg);
    CHECK(r.route("/a/x") == "/a/x");
    CHECK(r.route("/a/y") == "/a/y");
    CHECK(r.route("/a/z") == "/a/*");         // the position is full
    for (int round = 0; round < 2; round++) { // the second round comes from the cache
        CHECK(r.route("/a/x") == "/a/x");
        CHECK(r.route("/a/z") == "/a/*");
        CHECK(r.route("/a/x?q=1") == "/a/x");
    }
    // Far more distinct paths than remembered: each still gets its own route.
    RouteMatcher h({});
    for (int i = 0; i < 5000; i++) REQUIRE(h.route("/p/" + std::to_string(i) + "/q") == "/p/*/q");
    for (int i = 0; i < 3000; i++) {
        const std::string word(1, static_cast<char>('a' + i % 26));
        REQUIRE(h.route("/w/" + word + std::to_string(i % 7) + "/end/") ==
                "/w/" + word + std::to_string(i % 7) + "/end/");
    }
    // A path too long to remember.
    std::string long_path = "/l/" + std::string(300, 'k');
    CHECK(h.route(long_path) == "/l/*"); // a segment over 64 characters
    CHECK(h.route(long_path) == "/l/*");
    CHECK(h.route("/") == "/");
    CHECK(h.route("") == "/");
    CHECK(h.route("/a//b") == "/a//b");
}
