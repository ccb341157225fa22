// C ABI: version, error strings, and ring sizing.
#include <cerrno>
#include <cstdio>
#include <string_view>

#include "beyla/beyla.h"
#include "caps/ring_size.h"
#include "common/error.h"

#define BEYLA_STR_(x) #x
#define BEYLA_STR(x) BEYLA_STR_(x)

// The header's numbers and the build's version string must agree.
static_assert(
    std::string_view(BEYLA_VERSION_STRING) ==
    BEYLA_STR(BEYLA_VERSION_MAJOR) "." BEYLA_STR(BEYLA_VERSION_MINOR) "." BEYLA_STR(BEYLA_VERSION_PATCH));

extern "C" {

BEYLA_API uint32_t beyla_version_major(void) {
    return BEYLA_VERSION_MAJOR;
}
BEYLA_API uint32_t beyla_version_minor(void) {
    return BEYLA_VERSION_MINOR;
}
BEYLA_API uint32_t beyla_version_patch(void) {
    return BEYLA_VERSION_PATCH;
}
BEYLA_API const char *beyla_version_string(void) {
    return BEYLA_VERSION_STRING;
}

BEYLA_API int beyla_strerror(int err, char *buf, size_t size) {
    if (!buf || !size) return -EINVAL;
    try {
        snprintf(buf, size, "%s", beyla::errno_str(err < 0 ? -err : err).c_str());
    } catch (...) {
        snprintf(buf, size, "errno %d", err < 0 ? -err : err);
    }
    return 0;
}

BEYLA_API uint64_t beyla_ring_size_for_page(uint64_t requested, uint64_t page_size) {
    return beyla::ring_size_for_page(requested, page_size);
}

} // extern "C"
