// Seconds on the monotonic clock: intervals and deadlines of the CLI's loops, immune to
// wall-clock steps.
#pragma once

#include <time.h>

inline double monotonic_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
