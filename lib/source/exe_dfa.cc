#include "source/exe_dfa.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

namespace beyla {

namespace {

constexpr int kStar = -1;

// The glob as literal bytes and stars, or why it has no such form.
std::optional<std::vector<int>> tokens(const std::string &glob, std::string &why) {
    std::vector<int> out;
    if (glob.empty()) {
        why = "empty";
        return std::nullopt;
    }
    for (size_t i = 0; i < glob.size(); i++) {
        unsigned char c = static_cast<unsigned char>(glob[i]);
        if (c == 0) {
            why = "holds a NUL byte";
            return std::nullopt;
        }
        if (c == '?' || c == '[') {
            why = "'?' and '[' match characters, not bytes";
            return std::nullopt;
        }
        if (c == '*') {
            if (out.empty() || out.back() != kStar) out.push_back(kStar);
            continue;
        }
        if (c == '\\') {
            if (++i == glob.size()) {
                why = "ends in a lone '\\'";
                return std::nullopt;
            }
            c = static_cast<unsigned char>(glob[i]);
            if (c == 0) {
                why = "holds a NUL byte";
                return std::nullopt;
            }
        }
        out.push_back(c);
    }
    return out;
}

using NfaSet = std::vector<uint32_t>; // sorted (glob << 16 | position)

// Adds the positions a star can skip to (it also matches nothing).
void close_over_stars(const std::vector<std::vector<int>> &globs, NfaSet &set) {
    for (size_t i = 0; i < set.size(); i++) {
        uint32_t g = set[i] >> 16, j = set[i] & 0xffff;
        if (j < globs[g].size() && globs[g][j] == kStar) {
            uint32_t next = (g << 16) | (j + 1);
            bool have = false;
            for (uint32_t s : set) have = have || s == next;
            if (!have) set.push_back(next);
        }
    }
    std::sort(set.begin(), set.end());
}

// Subset construction over bytes; false when the union needs more states than the kernel's
// table holds.
bool build(const std::vector<std::vector<int>> &globs, beyla_exe_dfa &dfa) {
    memset(&dfa, 0, sizeof(dfa));
    std::map<NfaSet, uint32_t> ids;
    std::vector<NfaSet> states;
    ids[{}] = 0; // rejects for good
    states.emplace_back();
    NfaSet start;
    for (uint32_t g = 0; g < globs.size(); g++) start.push_back(g << 16);
    close_over_stars(globs, start);
    ids[start] = 1;
    states.push_back(start);
    // Bytes no glob names move every state alike (only stars take them): one of them stands
    // for all.
    bool named[256] = {};
    for (const auto &g : globs)
        for (int t : g)
            if (t != kStar) named[t] = true;
    int other = -1;
    for (int c = 1; c < 256 && other < 0; c++)
        if (!named[c]) other = c;
    for (size_t id = 1; id < states.size(); id++) {
        const NfaSet cur = states[id];
        for (uint32_t s : cur) {
            uint32_t g = s >> 16, j = s & 0xffff;
            if (j == globs[g].size()) dfa.accept[id] = 1;
        }
        for (int c = 1; c < 256; c++) {
            if (!named[c] && c != other) {
                dfa.next[id * 256 + static_cast<size_t>(c)] = dfa.next[id * 256 + static_cast<size_t>(other)];
                continue;
            }
            NfaSet next;
            for (uint32_t s : cur) {
                uint32_t g = s >> 16, j = s & 0xffff;
                if (j >= globs[g].size()) continue;
                int t = globs[g][j];
                if (t == kStar)
                    next.push_back(s); // the star takes the byte
                else if (t == c)
                    next.push_back((g << 16) | (j + 1));
            }
            std::sort(next.begin(), next.end());
            next.erase(std::unique(next.begin(), next.end()), next.end());
            close_over_stars(globs, next);
            auto [it, fresh] = ids.try_emplace(next, static_cast<uint32_t>(states.size()));
            if (fresh) {
                if (states.size() >= BEYLA_EXE_DFA_STATES) return false;
                states.push_back(next);
            }
            dfa.next[id * 256 + static_cast<size_t>(c)] = static_cast<uint8_t>(it->second);
        }
    }
    return true;
}

} // namespace

ExeDfa compile_exe_globs(const std::vector<std::string> &globs) {
    ExeDfa out;
    std::vector<std::vector<int>> kept;
    auto scratch = std::make_unique<beyla_exe_dfa>();
    for (const auto &g : globs) {
        std::string why;
        auto t = tokens(g, why);
        if (t && t->size() >= 0xffff) {
            t.reset();
            why = "too long";
        }
        if (t) {
            kept.push_back(*t);
            if (build(kept, *scratch)) {
                out.compiled.push_back(g);
                continue;
            }
            kept.pop_back();
            why =
                "the kernel's table would need more than " + std::to_string(BEYLA_EXE_DFA_STATES) + " states";
        }
        out.left.push_back(g);
        out.why.push_back(why);
    }
    if (!kept.empty()) build(kept, *out.table);
    return out;
}

bool exe_dfa_accepts(const beyla_exe_dfa &dfa, const std::string &s) {
    // As bpf/socket_trace.bpf.c's dfa_step: up to the first NUL, at most 256 bytes.
    uint32_t whole = 1, last = 1;
    for (size_t i = 0; i < s.size() && i < 256; i++) {
        auto c = static_cast<uint8_t>(s[i]);
        if (!c) break;
        whole = dfa.next[(whole & 255) << 8 | c];
        last = c == '/' ? 1 : dfa.next[(last & 255) << 8 | c];
    }
    return dfa.accept[whole & 255] || dfa.accept[last & 255];
}

} // namespace beyla
