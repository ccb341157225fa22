// Minimal JSON output: an escaper and a streaming writer. The library only ever writes
// JSON (reports, spans), so a parser is not needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace beyla {

// The string escaped for use between JSON double quotes (the quotes are not added).
// Control characters become \uXXXX; valid UTF-8 passes through, and invalid UTF-8 becomes
// U+FFFD, so the output always parses whatever bytes a traced process sent.
inline std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        // The characters JSON escapes with a backslash and a letter.
        static constexpr std::string_view plain = "\"\\\n\r\t\b\f", letter = "\"\\nrtbf";
        if (size_t k = plain.find(static_cast<char>(c)); k != std::string_view::npos) {
            out.push_back('\\');
            out.push_back(letter[k]);
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
            continue;
        }
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            continue;
        }
        // Validate one UTF-8 sequence: lead byte, length, continuation bytes, no overlongs
        // or surrogates.
        size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
        bool ok = len && i + len <= s.size();
        for (size_t k = 1; ok && k < len; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (ok && len >= 3) {
            unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
            if (c == 0xe0 && c1 < 0xa0) ok = false;  // overlong
            if (c == 0xed && c1 >= 0xa0) ok = false; // surrogate
            if (c == 0xf0 && c1 < 0x90) ok = false;  // overlong
            if (c == 0xf4 && c1 >= 0x90) ok = false; // > U+10FFFF
        }
        if (!ok) {
            out += "\\ufffd";
            continue;
        }
        out.append(s.substr(i, len));
        i += len - 1;
    }
    return out;
}

// The string as a JSON string literal, quotes included.
inline std::string json_quote(std::string_view s) {
    return '"' + json_escape(s) + '"';
}

// Streaming writer producing compact JSON. Commas are placed automatically:
//   JsonWriter w; w.begin_object(); w.key("a"); w.value(1); w.end_object(); w.str();
class JsonWriter {
  public:
    JsonWriter &begin_object() { return open('{'); }
    JsonWriter &end_object() { return close('}'); }
    JsonWriter &begin_array() { return open('['); }
    JsonWriter &end_array() { return close(']'); }

    JsonWriter &key(std::string_view k) {
        comma();
        out_ += json_quote(k);
        out_.push_back(':');
        after_key_ = true;
        return *this;
    }
    JsonWriter &value(std::string_view v) { return raw(json_quote(v)); }
    JsonWriter &value(const char *v) { return v ? value(std::string_view(v)) : null(); }
    JsonWriter &value(const std::string &v) { return value(std::string_view(v)); }
    JsonWriter &value(bool v) { return raw(v ? "true" : "false"); }
    JsonWriter &value(int64_t v) { return raw(std::to_string(v)); }
    JsonWriter &value(uint64_t v) { return raw(std::to_string(v)); }
    JsonWriter &value(int v) { return value(static_cast<int64_t>(v)); }
    JsonWriter &value(unsigned v) { return value(static_cast<uint64_t>(v)); }
    JsonWriter &null() { return raw("null"); }

    // key + value in one call.
    template <typename T> JsonWriter &field(std::string_view k, const T &v) { return key(k).value(v); }

    const std::string &str() const { return out_; }

  private:
    void comma() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_.empty()) {
            if (!first_.back()) out_.push_back(',');
            first_.back() = false;
        }
    }
    JsonWriter &raw(std::string_view s) {
        comma();
        out_ += s;
        return *this;
    }
    JsonWriter &open(char c) {
        comma();
        out_.push_back(c);
        first_.push_back(true);
        return *this;
    }
    JsonWriter &close(char c) {
        out_.push_back(c);
        if (!first_.empty()) first_.pop_back();
        return *this;
    }

    std::string out_;
    std::vector<bool> first_; // per open container: no element written yet
    bool after_key_ = false;
};

} // namespace beyla
