#!/usr/bin/env bash
# gen_rate.sh [ROUNDS] [anyway-bench options...]
# The generator alone into memif: dpdk-testpmd --forward-mode=rxonly as the
# memif server on CPU 1 (it receives and frees, sends nothing back),
# anyway-bench as the client on CPU 0 sending `plain` traffic (default
# --flows 64 --duration 3). Prints each round's tx_mpps (what the generator
# put into the memif ring per second) and the median. No packet returns, so
# the bench reports them all lost; only tx_mpps means something here.
set -u
. "$(dirname "$0")/bench_lib.sh"
rounds=3
if [ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
rates=()
for ((r = 0; r < rounds; r++)); do
	awb_start_testpmd rxonly || exit 1
	out=$(awb_bench --scenario plain --flows 64 --duration 3 --period 0 --drain 0.2 "$@" 2>&1)
	awb_stop_fwd
	tx=$(echo "$out" | sed -n 's/^RESULT .* tx_mpps=\([0-9.]*\).*/\1/p')
	echo "round $((r + 1)): tx_mpps=${tx:-none} (load $(cut -d' ' -f1-3 /proc/loadavg))"
	[ -n "$tx" ] && rates+=("$tx")
done
[ ${#rates[@]} -gt 0 ] || { echo "gen_rate.sh: no round gave a rate" >&2; exit 1; }
printf '%s\n' "${rates[@]}" | sort -g | awk '{v[NR] = $1} END {printf "median tx_mpps=%s\n", v[int((NR + 1) / 2)]}'
