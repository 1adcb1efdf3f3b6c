#!/usr/bin/env bash
# compare.sh SCENARIO [--rounds N] [--workers N] [--dp-sessions N] [anyway-bench options...]
# Same memif setup, same generator (anyway-bench on CPU 0), three forwarders
# on CPU 1 in turn, every round: anyway-dataplane, dpdk-testpmd
# --forward-mode=5tswap, dpdk-testpmd --forward-mode=io. Prints each run's
# received rate, bottleneck and idle shares (bench/README.md; the forwarder's
# is na for testpmd, which has no API), then the median of each and the ratios.
# Default: 5 rounds of 5 s. The forwarder is always stopped after the bench
# has exited (memif). A data plane run that is INVALID (drops other than
# tx_full: bench/README.md) ends the comparison: its reasons are printed, no
# rate and no ratio, exit 3. --dp-sessions N: as run.sh.
set -u
. "$(dirname "$0")/bench_lib.sh"
[ $# -ge 1 ] || { echo "usage: compare.sh SCENARIO [--rounds N] [--workers N] [bench options]" >&2; exit 2; }
scenario=$1; shift
rounds=5; workers=2; sessions=-
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	--dp-sessions) sessions=$2; shift 2 ;;
	*) break ;;
	esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "compare.sh: --rounds: expected an integer >= 1, got '$rounds'" >&2; exit 2 ;; esac
"$BENCH" -- --scenario "$scenario" "$@" --check >/dev/null || exit $?
command -v "$TESTPMD" >/dev/null || { echo "compare.sh: $TESTPMD not found (dpdk package)" >&2; exit 2; }
defaults=(--duration 5 --period 0)
tpl=$(awb_templates "$scenario" "$@") || exit 1
read -r -a tpl <<<"$tpl"
[ ${#tpl[@]} -gt 0 ] && defaults+=("${tpl[@]}")

one() { # $1 forwarder -> prints "rx_mpps bottleneck" or "INVALID reasons" (empty on failure)
	local out fwd=$1
	shift
	case "$fwd" in
	anyway) awb_start_dp "$scenario" "$workers" "$(awb_flows "$@")" "$sessions" "$(awb_dp_suite "$scenario" "$@")" ;;
	*) awb_start_testpmd "$fwd" ;;
	esac || { echo "compare.sh: $fwd did not start" >&2; return 1; }
	out=$(awb_bench --scenario "$scenario" "${defaults[@]}" "$@" 2>&1 | tee -a "$AWB_DIR/bench.log" | grep '^RESULT')
	awb_stop_fwd
	if ! grep -q ' out_of_order=0 corrupted=0 ' <<<"$out"; then
		echo "compare.sh: $fwd: sink saw reordering or corruption: $out" >&2
		return 1
	fi
	if grep -q ' verdict=INVALID ' <<<"$out"; then
		sed -n 's/.* invalid=\([^ ]*\).*/INVALID \1/p' <<<"$out"
		return 0
	fi
	# "rx_mpps bottleneck gen_idle dp_idle" (the last two: shares, or na)
	awk '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
	      if (v["rx_mpps"] != "") print v["rx_mpps"], v["bottleneck"], v["gen_idle"], v["dp_idle"]}' <<<"$out"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s..%s\n", lo, hi}'; }

# One retry: on this shared machine a memif client now and then finds its
# freshly started server not answering; the retry is reported, never hidden.
one_retry() {
	local v
	v=$(one "$@") && [ -n "$v" ] && { echo "$v"; return 0; }
	echo "compare.sh: $1: no result, retrying once" >&2
	one "$@"
}

declare -A res=([anyway]="" [5tswap]="" [io]="")
for ((r = 1; r <= rounds; r++)); do
	for fwd in anyway 5tswap io; do
		v=$(one_retry "$fwd" "$@")
		[ -n "$v" ] || { echo "compare.sh: round $r: $fwd: no result (log: bench output above)" >&2; tail -20 "$AWB_DIR/bench.log" >&2; exit 1; }
		if [ "${v%% *}" = INVALID ]; then
			echo "round $r  $fwd INVALID: the data plane dropped ${v#INVALID }"
			echo "compare.sh: $scenario: INVALID run (drops other than tx_full): no rate, no ratio" >&2
			exit 3
		fi
		res[$fwd]="${res[$fwd]} ${v%% *}"
		read -r mpps bn gi di <<<"$v"
		printf "round %d  %-8s %8s Mpps  (bottleneck %s, generator idle %s, forwarder idle %s)\n" \
			"$r" "$fwd" "$mpps" "$bn" "$gi" "$di"
	done
done
m_any=$(median <<<"${res[anyway]}"); m_5t=$(median <<<"${res[5tswap]}"); m_io=$(median <<<"${res[io]}")
echo
echo "scenario $scenario, $rounds rounds, bench options: ${defaults[*]} $*"
printf "%-28s %10s  %s\n" "forwarder (CPU 1)" "median Mpps" "spread"
printf "%-28s %10s  %s\n" "anyway-dataplane" "$m_any" "$(spread <<<"${res[anyway]}")"
printf "%-28s %10s  %s\n" "testpmd 5tswap" "$m_5t" "$(spread <<<"${res[5tswap]}")"
printf "%-28s %10s  %s\n" "testpmd io" "$m_io" "$(spread <<<"${res[io]}")"
awk -v a="$m_any" -v t="$m_5t" -v i="$m_io" 'BEGIN {printf "ratio anyway/5tswap %.3f   anyway/io %.3f\n", a/t, a/i}'
