#!/usr/bin/env bash
# Test of the -Dfuzz=true build (meson test --suite fuzzcov): the library code
# under a target is instrumented, not just the harness file. Runs TARGET
# (a libFuzzer binary) for a fixed number of inputs from its built-in seeds
# and fails unless libFuzzer's coverage (cov: edges) exceeds MIN_COV. The
# harness files alone have a few dozen edges (fuzz_msg.c: 3 when only it was
# instrumented); the decoders behind them have hundreds.
#
#   tests/fuzz/check_instrumented.sh TARGET MIN_COV [RUNS]
set -uo pipefail
bin=$1 min=$2 runs=${3:-3000}
dir=$(mktemp -d /tmp/awfuzzcov.XXXXXX)
trap 'rm -rf "$dir"' EXIT
AW_FUZZ_DUMP_SEEDS="$dir" "$bin" > /dev/null || { echo "$bin: cannot write its seeds"; exit 1; }
out=$("$bin" -runs="$runs" -seed=1 "$dir" 2>&1)
rc=$?
cov=$(grep -Eo "cov: [0-9]+" <<<"$out" | tail -1 | awk '{print $2}')
echo "$(basename "$bin"): $runs inputs, exit $rc, cov ${cov:-none} (want > $min)"
[ $rc -eq 0 ] || { tail -n 30 <<<"$out"; exit 1; }
[ -n "$cov" ] && [ "$cov" -gt "$min" ]
