// The parsers of the files the capability probe reads (os-release, kernel config, status,
// lockdown, limits, cmdline, kernel release). Byte 0 picks the parser; the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "caps/parsers.h"

using namespace beyla;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    switch (data[0] % 9) {
    case 0: {
        auto v = parse_kernel_release(text);
        (void)kernel_version_code(v);
        std::string why;
        (void)is_rhel_backport(v, text, parse_os_release(text), &why);
        break;
    }
    case 1:
        (void)parse_os_release(text);
        break;
    case 2:
        (void)parse_lockdown(text);
        break;
    case 3:
        (void)parse_cmdline_lockdown(text);
        break;
    case 4:
        (void)parse_cap_eff(text);
        break;
    case 5:
        (void)parse_memlock_limit(text);
        break;
    case 6:
        (void)parse_kernel_config(text);
        break;
    case 7: {
        uint64_t n = 0;
        for (size_t i = 0; i < text.size() && i < 8; i++) n = (n << 8) | uint8_t(text[i]);
        (void)human_bytes(n);
        break;
    }
    case 8:
        (void)trim(text);
        break;
    }
    return 0;
}
