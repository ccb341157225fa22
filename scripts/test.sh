#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit, C ABI, Python, and the privileged
# kernel and integration tests (these need root with BPF; each says what it lacks if not).
# Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
cd build
ctest --output-on-failure --timeout 1800 "$@"
