#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a while, printing how
# many inputs each one executed. Not part of ctest: run it by hand or on a schedule.
# Usage: scripts/fuzz.sh [SECONDS | -runs=N] [TARGET...]
#   SECONDS  per target (default 60); -runs=N runs N inputs per target instead.
#   TARGET   http1_parse http1_stitcher data_stream caps_parsers event_decoder http2_frames hpack redis memcached (default all)
# Env: BEYLA_FUZZ_BUILD (build dir, default build-fuzz), FUZZ_JOBS (make -j, default 2),
#      FUZZ_NO_BUILD=1 to run what is built (e.g. a second run beside the first),
#      FUZZ_MAX_LEN (input bytes; default 1024, 2048 for event_decoder: short inputs run
#      many times faster and reach the same code), FUZZ_ARGS (more libFuzzer flags, e.g.
#      -max_total_time=1800 beside -runs=N).
# New inputs go to $BEYLA_FUZZ_BUILD/corpus/<target>; the seeds in tests/fuzz/corpus stay
# as they are. A crash leaves its input in $BEYLA_FUZZ_BUILD/artifacts/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
limit=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http1_parse http1_stitcher data_stream caps_parsers event_decoder http2_frames hpack redis memcached)
if [[ $limit == -runs=* ]]; then stop=$limit; else stop=-max_total_time=$limit; fi

build=${BEYLA_FUZZ_BUILD:-build-fuzz}
[ "${FUZZ_NO_BUILD:-}" = 1 ] || CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DBEYLA_FUZZ=ON -DBEYLA_BUILD_TESTS=OFF \
    -DBEYLA_BUILD_PYTHON=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
[ "${FUZZ_NO_BUILD:-}" = 1 ] || cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}" >/dev/null

failed=0
printf '%-16s %14s %10s %s\n' target executions seconds result
for t in "${targets[@]}"; do
    work=$build/corpus/$t
    mkdir -p "$work" "$build/artifacts"
    log=$build/fuzz_$t.log
    start=$(date +%s)
    rc=0
    max_len=${FUZZ_MAX_LEN:-1024}
    [ -n "${FUZZ_MAX_LEN:-}" ] || [ "$t" != event_decoder ] || max_len=2048
    "$build/tests/fuzz/fuzz_$t" "$work" "$src/tests/fuzz/corpus/$t" "$stop" -max_len="$max_len" ${FUZZ_ARGS:-} \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1 || rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then result=ok; else result="CRASH (see $log)"; failed=1; fi
    printf '%-16s %14s %10s %s\n' "$t" "${execs:-?}" "$secs" "$result"
done
exit $failed
