#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit, C ABI, Python, and the privileged
# kernel and integration tests (these need root with BPF; each says what it lacks if not),
# then scripts/second-kernel.sh: caps, the kernel tests and an end-to-end capture on a second
# real kernel (Debian's 6.1 cloud kernel under qemu).
# Usage: scripts/test.sh [ctest args...]   With ctest args only those tests run, and the second
# kernel only with BEYLA_SECOND_KERNEL=1; BEYLA_SECOND_KERNEL=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
rc=0
(cd build && ctest --output-on-failure --timeout 1800 "$@") || rc=1
second=${BEYLA_SECOND_KERNEL:-$([ $# -eq 0 ] && echo 1 || echo 0)}
if [ "$second" = 1 ]; then
    BEYLA_SECOND_KERNEL_BUILD=0 scripts/second-kernel.sh build || rc=1
else
    echo "test.sh: the second kernel was not run (BEYLA_SECOND_KERNEL=1 runs it)"
fi
exit $rc
