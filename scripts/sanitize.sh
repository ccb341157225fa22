#!/usr/bin/env bash
# Builds everything with ASan+UBSan (-DBEYLA_SANITIZE=ON) and runs the test suite on it.
# .ci/run runs it on the unit, C ABI, kernel and pybeyla tests; as root for the kernel and
# integration tests.
# Usage: scripts/sanitize.sh [ctest args...]     Env: BEYLA_ASAN_BUILD (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BEYLA_ASAN_BUILD:-build-asan}
# PYTHON_ONLY=1: build what the Python tests use and run only them.
targets=()
[ "${PYTHON_ONLY:-}" != 1 ] || targets=(--target pybeyla beyla_cli)
cmake -S . -B "$build" -DBEYLA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" "${targets[@]}"
cd "$build"

# Any finding fails the test that caused it.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
# The integration tests drive the (sanitized) CLI: nothing to preload.
[ "${PYTHON_ONLY:-}" = 1 ] || ctest --output-on-failure --timeout 1800 -LE 'python' "$@" || rc=1

# pybeyla runs inside an interpreter built without ASan: the runtime must be loaded first.
# libstdc++ too: python does not link it, so when ASan starts it finds no __cxa_throw to
# forward to, and the first C++ exception (pybind11 turns every error into one) dies in
# "CHECK failed ... real___cxa_throw". Both from the compiler that built pybeyla. The
# interpreter's own allocations are not ours, so leak checking is off there; pymalloc is
# bypassed so that ASan sees every object's memory.
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' CMakeCache.txt)
libasan=$("$cxx" -print-file-name=libasan.so)
libstdcxx=$("$cxx" -print-file-name=libstdc++.so)
for lib in "$libasan" "$libstdcxx"; do
    [ -e "$lib" ] || { echo "sanitize.sh: $lib not found (the compiler $cxx is not GCC?)" >&2; exit 1; }
done
# tests/python/conftest.py keeps the preload from the programs the tests start.
preload="$(realpath "$libasan") $(realpath "$libstdcxx")"
LD_PRELOAD=$preload BEYLA_ASAN_PRELOAD=$preload PYTHONMALLOC=malloc \
    ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:strict_string_checks=1 \
    ctest --output-on-failure --timeout 1800 -L 'python' "$@" || rc=1
exit $rc
