// HPACK (RFC 7541): the Huffman code, every example of Appendix C with the dynamic table
// after each block, and the decoder's conservative handling of unknown table state.
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "http2_frames.h"
#include "protocols/http2/hpack/decoder.h"
#include "protocols/http2/hpack/huffman.h"
#include "protocols/http2/hpack/static_table.h"

using namespace beyla::http2::hpack;
using namespace beyla::test::h2;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Collected {
    Headers fields;
    size_t unknown = 0;
};

Collected decode(Decoder &d, const std::string &block, DecodeResult want = DecodeResult::kOk) {
    Collected c;
    FieldSink sink{[](void *ctx, const Field &f) {
                       auto *c = static_cast<Collected *>(ctx);
                       if (!f.known()) c->unknown++;
                       c->fields.emplace_back(f.name_known ? std::string(f.name) : "?",
                                              f.value_known ? std::string(f.value) : "?");
                   },
                   &c};
    const auto *p = reinterpret_cast<const uint8_t *>(block.data());
    CHECK(d.decode({p, block.size()}, sink) == want);
    return c;
}

Headers table(const Decoder &d) {
    Headers t;
    for (size_t i = 0; i < d.entries(); i++) {
        Field f = d.entry(i);
        t.emplace_back(std::string(f.name), std::string(f.value));
    }
    return t;
}

std::string huff(const std::string &bytes) {
    std::string out;
    REQUIRE(huffman_decode({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()}, &out));
    return out;
}

// A Huffman encoder for tests, from the code table.
std::string huff_encode(const std::string &s) {
    std::string out;
    uint64_t acc = 0;
    int bits = 0;
    for (unsigned char c : s) {
        acc = (acc << huffman_code_length(c)) | huffman_code(c);
        bits += huffman_code_length(c);
        while (bits >= 8) {
            out += static_cast<char>((acc >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    if (bits) out += static_cast<char>(((acc << (8 - bits)) | ((1u << (8 - bits)) - 1)) & 0xff);
    return out;
}

const Headers kReq1 = {
    {":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}};
const Headers kReq2 = {{":method", "GET"},
                       {":scheme", "http"},
                       {":path", "/"},
                       {":authority", "www.example.com"},
                       {"cache-control", "no-cache"}};
const Headers kReq3 = {{":method", "GET"},
                       {":scheme", "https"},
                       {":path", "/index.html"},
                       {":authority", "www.example.com"},
                       {"custom-key", "custom-value"}};
const std::string kDate1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const std::string kDate2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const std::string kLoc = "https://www.example.com";
const std::string kCookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const Headers kResp1 = {
    {":status", "302"}, {"cache-control", "private"}, {"date", kDate1}, {"location", kLoc}};
const Headers kResp2 = {
    {":status", "307"}, {"cache-control", "private"}, {"date", kDate1}, {"location", kLoc}};
const Headers kResp3 = {{":status", "200"}, {"cache-control", "private"}, {"date", kDate2},
                        {"location", kLoc}, {"content-encoding", "gzip"}, {"set-cookie", kCookie}};

} // namespace

TEST_CASE("hpack: the static table", "[http2][hpack]") {
    CHECK(static_entry(1).name == ":authority");
    CHECK(static_entry(2).value == "GET");
    CHECK(static_entry(8).value == "200");
    CHECK(static_entry(31).name == "content-type");
    CHECK(static_entry(61).name == "www-authenticate");
}

TEST_CASE("hpack: the canonical Huffman code is the RFC's", "[http2][hpack][huffman]") {
    // Spot checks against RFC 7541 Appendix B.
    CHECK(huffman_code('0') == 0x0);
    CHECK(huffman_code_length('0') == 5);
    CHECK(huffman_code(' ') == 0x14);
    CHECK(huffman_code_length(' ') == 6);
    CHECK(huffman_code('a') == 0x3);
    CHECK(huffman_code('z') == 0x7b);
    CHECK(huffman_code_length('z') == 7);
    CHECK(huffman_code(0) == 0x1ff8);
    CHECK(huffman_code_length(0) == 13);
    CHECK(huffman_code(255) == 0x3ffffee);
    CHECK(huffman_code_length(255) == 26);
    CHECK(huffman_code(256) == 0x3fffffff);
    CHECK(huffman_code_length(256) == 30);
    CHECK(huffman_code('{') == 0x7ffe);
}

TEST_CASE("hpack: Huffman strings of RFC 7541 C.4 and C.6", "[http2][hpack][huffman]") {
    CHECK(huff(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")) == "www.example.com");
    CHECK(huff(hex("a8eb 1064 9cbf")) == "no-cache");
    CHECK(huff(hex("25a8 49e9 5ba9 7d7f")) == "custom-key");
    CHECK(huff(hex("25a8 49e9 5bb8 e8b4 bf")) == "custom-value");
    CHECK(huff(hex("6402")) == "302");
    CHECK(huff(hex("aec3 771a 4b")) == "private");
    CHECK(huff(hex("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")) == kDate1);
    CHECK(huff(hex("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")) == kLoc);
    CHECK(huff("").empty());
}

TEST_CASE("hpack: Huffman round trip of every byte, and invalid encodings", "[http2][hpack][huffman]") {
    std::string all;
    for (int i = 0; i < 256; i++) all += static_cast<char>(i);
    CHECK(huff(huff_encode(all)) == all);
    CHECK(huff(huff_encode("a")) == "a");
    std::string out;
    auto bad = [&](const std::string &b) {
        out.clear();
        return !huffman_decode({reinterpret_cast<const uint8_t *>(b.data()), b.size()}, &out);
    };
    CHECK(bad(hex("ffff ffff")));          // EOS (30 one-bits) inside the string
    CHECK(bad(hex("00")));                 // '0' then 3 zero bits of padding: padding must be ones
    CHECK(bad(huff_encode("a") + "\xff")); // a whole byte of padding (8 > 7 bits)
    CHECK_FALSE(bad(hex("1f")));           // '0' then 111: valid padding
}

TEST_CASE("hpack: RFC 7541 C.2 field representations", "[http2][hpack][rfc7541]") {
    SECTION("C.2.1 literal with indexing") {
        Decoder d;
        auto c = decode(d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
        CHECK(c.fields == Headers{{"custom-key", "custom-header"}});
        CHECK(table(d) == Headers{{"custom-key", "custom-header"}});
        CHECK(d.size() == 55);
    }
    SECTION("C.2.2 literal without indexing") {
        Decoder d;
        auto c = decode(d, hex("040c 2f73 616d 706c 652f 7061 7468"));
        CHECK(c.fields == Headers{{":path", "/sample/path"}});
        CHECK(d.entries() == 0);
        CHECK(d.size() == 0);
    }
    SECTION("C.2.3 literal never indexed") {
        Decoder d;
        auto c = decode(d, hex("1008 7061 7373 776f 7264 0673 6563 7265 74"));
        CHECK(c.fields == Headers{{"password", "secret"}});
        CHECK(d.entries() == 0);
    }
    SECTION("C.2.4 indexed field") {
        Decoder d;
        auto c = decode(d, hex("82"));
        CHECK(c.fields == Headers{{":method", "GET"}});
        CHECK(d.entries() == 0);
    }
}

TEST_CASE("hpack: RFC 7541 C.3 requests without Huffman", "[http2][hpack][rfc7541]") {
    Decoder d;
    CHECK(decode(d, hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")).fields == kReq1);
    CHECK(table(d) == Headers{{":authority", "www.example.com"}});
    CHECK(d.size() == 57);
    CHECK(decode(d, hex("8286 84be 5808 6e6f 2d63 6163 6865")).fields == kReq2);
    CHECK(table(d) == Headers{{"cache-control", "no-cache"}, {":authority", "www.example.com"}});
    CHECK(d.size() == 110);
    CHECK(decode(d, hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")).fields ==
          kReq3);
    CHECK(table(d) == Headers{{"custom-key", "custom-value"},
                              {"cache-control", "no-cache"},
                              {":authority", "www.example.com"}});
    CHECK(d.size() == 164);
}

TEST_CASE("hpack: RFC 7541 C.4 requests with Huffman", "[http2][hpack][rfc7541]") {
    Decoder d;
    CHECK(decode(d, hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).fields == kReq1);
    CHECK(table(d) == Headers{{":authority", "www.example.com"}});
    CHECK(d.size() == 57);
    CHECK(decode(d, hex("8286 84be 5886 a8eb 1064 9cbf")).fields == kReq2);
    CHECK(table(d) == Headers{{"cache-control", "no-cache"}, {":authority", "www.example.com"}});
    CHECK(d.size() == 110);
    CHECK(decode(d, hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")).fields == kReq3);
    CHECK(table(d) == Headers{{"custom-key", "custom-value"},
                              {"cache-control", "no-cache"},
                              {":authority", "www.example.com"}});
    CHECK(d.size() == 164);
}

namespace {

const char *kC5[] = {
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 "
    "3120 474d "
    "546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 "
    "7738 666f "
    "6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 "
    "3630 303b "
    "2076 6572 7369 6f6e 3d31",
};
const char *kC6[] = {
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad "
    "1718 63c7 "
    "8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 "
    "e6c7 b335 "
    "dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
};

void check_responses(const char *const blocks[3]) {
    // The examples run with SETTINGS_HEADER_TABLE_SIZE 256: evictions happen.
    Decoder d(Decoder::kDefaultMemory, 256);
    CHECK(decode(d, hex(blocks[0])).fields == kResp1);
    CHECK(table(d) ==
          Headers{{"location", kLoc}, {"date", kDate1}, {"cache-control", "private"}, {":status", "302"}});
    CHECK(d.size() == 222);
    CHECK(decode(d, hex(blocks[1])).fields == kResp2);
    CHECK(table(d) ==
          Headers{{":status", "307"}, {"location", kLoc}, {"date", kDate1}, {"cache-control", "private"}});
    CHECK(d.size() == 222);
    CHECK(decode(d, hex(blocks[2])).fields == kResp3);
    CHECK(table(d) == Headers{{"set-cookie", kCookie}, {"content-encoding", "gzip"}, {"date", kDate2}});
    CHECK(d.size() == 215);
    CHECK(d.complete());
}

} // namespace

TEST_CASE("hpack: RFC 7541 C.5 responses without Huffman", "[http2][hpack][rfc7541]") {
    check_responses(kC5);
}

TEST_CASE("hpack: RFC 7541 C.6 responses with Huffman", "[http2][hpack][rfc7541]") {
    check_responses(kC6);
}

TEST_CASE("hpack: the C.3 blocks split at every point decode the same once joined", "[http2][hpack]") {
    // The decoder takes whole blocks: a block is only decoded once all its bytes are in.
    // What must hold is that a truncated block never decodes to wrong fields.
    const std::string b = hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
    for (size_t cut = 1; cut < b.size(); cut++) {
        Decoder d;
        Collected c;
        FieldSink sink{[](void *ctx, const Field &f) {
                           static_cast<Collected *>(ctx)->fields.emplace_back(std::string(f.name),
                                                                              std::string(f.value));
                       },
                       &c};
        const auto r = d.decode({reinterpret_cast<const uint8_t *>(b.data()), cut}, sink);
        for (size_t i = 0; i < c.fields.size(); i++) CHECK(c.fields[i] == kReq1[i]);
        if (cut > 3) CHECK(r == DecodeResult::kError); // the :authority literal is cut
    }
}

TEST_CASE("hpack: dynamic table size updates", "[http2][hpack]") {
    Decoder d;
    decode(d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    CHECK(d.entries() == 1);
    // An update to 0 empties it; the next update sets a new maximum.
    auto c = decode(d, size_update(0) + size_update(100) + indexed(2));
    CHECK(c.fields == Headers{{":method", "GET"}});
    CHECK(d.entries() == 0);
    CHECK(d.max_size() == 100);
    // An entry larger than the maximum empties the table and is not added.
    decode(d, literal_inc("k", std::string(80, 'v')));
    CHECK(d.entries() == 0);
    decode(d, literal_inc("k", "v"));
    CHECK(d.entries() == 1);
    CHECK(d.size() == 34);
    // An update after a field, or above SETTINGS_HEADER_TABLE_SIZE, is an error.
    decode(d, indexed(2) + size_update(10), DecodeResult::kError);
    Decoder e;
    e.set_limit(1000);
    decode(e, size_update(2000), DecodeResult::kError);
    Decoder f;
    f.set_limit(8192);
    decode(f, size_update(8000) + literal_inc("a", std::string(6000, 'x')));
    CHECK(f.entries() == 1);
}

TEST_CASE("hpack: invalid blocks are errors, never a crash", "[http2][hpack]") {
    for (const char *b : {"80",                // index 0
                          "be",                // index 62 of an empty table known in full
                          "ff ff ff ff ff ff", // integer overflow
                          "40 05 61",          // string past the end
                          "40 81",             // name cut
                          "00 81 ff 00"}) {    // Huffman padding of 8 bits
        Decoder d;
        decode(d, hex(b), DecodeResult::kError);
        CHECK(d.errors() == 1);
        // The state is lost: what the table held is unknown now.
        CHECK_FALSE(d.complete());
    }
}

TEST_CASE("hpack: joined late, unknown dynamic references are absent, never wrong", "[http2][hpack][late]") {
    Decoder d;
    d.set_joined_late();
    CHECK_FALSE(d.complete());
    // Indices 62, 63 name entries inserted before the join.
    auto c = decode(d, indexed(2) + indexed(62) + literal_idx(63, "x"));
    CHECK(c.fields == Headers{{":method", "GET"}, {"?", "?"}, {"?", "x"}});
    CHECK(c.unknown == 2);
    CHECK(d.unknown_fields() == 2);
    // Insertions after the join are known by their position: 62 is now "a: 1".
    c = decode(d, literal_inc("a", "1") + indexed(62) + indexed(63));
    CHECK(c.fields == Headers{{"a", "1"}, {"a", "1"}, {"?", "?"}});
    c = decode(d, literal_inc("b", "2") + indexed(62) + indexed(63) + indexed(64));
    CHECK(c.fields == Headers{{"b", "2"}, {"b", "2"}, {"a", "1"}, {"?", "?"}});
    // An insertion whose name is an unknown reference is a placeholder: its value is known.
    c = decode(d, literal_inc_idx(70, "v") + indexed(62) + indexed(63));
    CHECK(c.fields == Headers{{"?", "v"}, {"?", "v"}, {"b", "2"}});
    CHECK_FALSE(d.complete());
    // A size update to 0 makes the table known again: past the end is then an error.
    decode(d, size_update(0) + size_update(4096) + literal_inc("c", "3"));
    CHECK(d.complete());
    CHECK(decode(d, indexed(62)).fields == Headers{{"c", "3"}});
    decode(d, indexed(63), DecodeResult::kError);
}

TEST_CASE("hpack: joined late, insertions that fill the table make it known", "[http2][hpack][late]") {
    Decoder d;
    d.set_joined_late();
    decode(d, size_update(200)); // the maximum is known now; older entries may remain
    CHECK_FALSE(d.complete());
    decode(d, literal_inc("k", std::string(150, 'x')));
    CHECK(d.complete()); // 183 + 32 > 200: no older entry can still fit
    CHECK(decode(d, indexed(62)).fields.at(0).first == "k");
}

TEST_CASE("hpack: the table memory is bounded", "[http2][hpack]") {
    Decoder d(1024);
    d.set_limit(1u << 20);
    decode(d, size_update(1u << 20));
    for (int i = 0; i < 100; i++) decode(d, literal_inc("name" + std::to_string(i), std::string(100, 'v')));
    CHECK(d.size() <= 1024);
    CHECK(d.entries() >= 1);
    // The encoder keeps more than this table: the oldest ones are unknown, not errors.
    CHECK_FALSE(d.complete());
    auto c = decode(d, indexed(62 + 50));
    CHECK(c.unknown == 1);
    CHECK(decode(d, indexed(62)).fields.at(0).first == "name99");
}

TEST_CASE("hpack: the dynamic table against a model, many insertions and evictions", "[http2][hpack]") {
    std::mt19937 rng(3);
    Decoder d;
    std::deque<std::pair<std::string, std::string>> model; // newest first
    size_t model_size = 0, max = 4096;
    for (int round = 0; round < 3000; round++) {
        std::string block;
        Headers want;
        if (rng() % 50 == 0) {
            max = rng() % 4097;
            block += size_update(max);
            while (model_size > max) {
                model_size -= model.back().first.size() + model.back().second.size() + 32;
                model.pop_back();
            }
        }
        for (int k = 0; k < 4; k++) {
            if (!model.empty() && rng() % 2) {
                const size_t i = rng() % model.size();
                block += indexed(62 + i);
                want.push_back(model[i]);
                continue;
            }
            std::string name = "n" + std::to_string(rng() % 1000),
                        value(rng() % 300, static_cast<char>('a' + rng() % 26));
            block += literal_inc(name, value);
            want.emplace_back(name, value);
            const size_t need = name.size() + value.size() + 32;
            while (!model.empty() && model_size + need > max) {
                model_size -= model.back().first.size() + model.back().second.size() + 32;
                model.pop_back();
            }
            if (need <= max) {
                model.emplace_front(name, value);
                model_size += need;
            }
        }
        REQUIRE(decode(d, block).fields == want);
        REQUIRE(d.size() == model_size);
        REQUIRE(d.entries() == model.size());
    }
    CHECK(d.complete());
}
