#!/usr/bin/env bash
# Instructions per packet of the relay under callgrind (in process, net_null
# ports): only aw_process_burst is collected (see relay_cost.c).
#   tests/perf/relay_cost.sh BUILD_DIR [PATHS] [BURSTS] [MODES...]
# MODES default: capsule ka1 ka2 treq1 treq2. Prints "MODE: N Ir/packet".
set -eu
build=${1:?build dir}; paths=${2:-20000}; bursts=${3:-100}; shift $(( $# < 3 ? $# : 3 ))
modes=${*:-capsule ka1 ka2 treq1 treq2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for m in $modes; do
	timeout 1200 valgrind --tool=callgrind --toggle-collect=relay_cost_measured \
		--callgrind-out-file="$out/cg.$m" "$build/tests/perf/relay_cost" "$m" "$paths" "$bursts" \
		>"$out/log.$m" 2>&1
	grep -q "drop " "$out/log.$m" && { echo "$m: packets were dropped:"; grep "drop " "$out/log.$m"; }
	ir=$(grep -E "^(summary|totals):" "$out/cg.$m" | head -1 | awk '{print $2}')
	echo "$m: $(( ir / (bursts * 32) )) Ir/packet ($ir Ir, $((bursts * 32)) packets, $paths paths)"
done
