#!/usr/bin/env bash
# Builds everything with ASan+UBSan (-DBEYLA_SANITIZE=ON) and runs the test suite on it.
# Not part of CI (it doubles the build time): run it by hand, as root for the kernel and
# integration tests.
# Usage: scripts/sanitize.sh [ctest args...]     Env: BEYLA_ASAN_BUILD (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BEYLA_ASAN_BUILD:-build-asan}
cmake -S . -B "$build" -DBEYLA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}"
cd "$build"

# Any finding fails the test that caused it.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
# The integration tests drive the (sanitized) CLI: nothing to preload.
ctest --output-on-failure --timeout 1800 -LE 'python' "$@" || rc=1

# pybeyla runs inside an interpreter built without ASan: the runtime must be loaded first,
# and the interpreter's own allocations are not ours, so leak checking is off there.
libasan=$(${CXX:-c++} -print-file-name=libasan.so)
LD_PRELOAD=$libasan ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 \
    ctest --output-on-failure --timeout 1800 -L 'python' "$@" || rc=1
exit $rc
