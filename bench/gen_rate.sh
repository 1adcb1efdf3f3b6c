#!/usr/bin/env bash
# gen_rate.sh [ROUNDS] [anyway-bench options...]
# The generator alone into memif: dpdk-testpmd --forward-mode=rxonly as the
# memif server on CPU 1 (it receives and frees, sends nothing back), and as
# the memif client on CPU 0, in turn every round: anyway-bench sending `plain`
# traffic (default --flows 64 --duration 3), then dpdk-testpmd
# --forward-mode=txonly (64-byte frames, bursts of 32, 2 s timed) as the
# reference generator. Prints each round's tx_mpps for both (what each put
# into the memif ring per second), the load average, and the medians. No
# packet returns, so the bench reports them all lost; only tx_mpps means
# something here. AW_BENCH_ZC=1: both clients zero-copy (bench_lib.sh).
set -u
. "$(dirname "$0")/bench_lib.sh"
rounds=3
if [ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi

# testpmd txonly as the memif client on CPU 0 (main and forwarding lcore both
# there), driven interactively: `start` 4 s after launch (a txonly started
# before the memif link is up sends nothing; such a round reads "none"),
# `show port stats all` 1 s later (the baseline) and again 2 s after that ->
# the sum of both ports' Tx-pps over those 2 s (txonly sends on each port), Mpps
txonly() {
	local sfs= out
	[ "${AW_BENCH_ZC:-0}" = 1 ] && sfs=--single-file-segments
	# shellcheck disable=SC2046,SC2086
	out=$( (sleep 4; echo start; sleep 1; echo "show port stats all"; sleep 2; echo "show port stats all"
		echo stop; echo quit) | timeout 30 "$TESTPMD" --lcores 0@0,1@0 --main-lcore 0 \
		--file-prefix "${AWB_TAG}tx" --no-pci --no-telemetry $(awb_mem) $sfs \
		$(awb_memif client) --log-level=error -- -i --forward-mode=txonly --txpkts=64 \
		--burst=32 --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=32768 --no-mlockall 2>&1)
	rm -rf /var/run/dpdk/"${AWB_TAG}tx" 2>/dev/null
	awk '/Tx-pps:/ {n++; if (n > 2) s += $2} END {if (n == 4 && s > 0) printf "%.4f\n", s / 1e6}' <<<"$out"
}

median() { grep . | sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "none"}'; }
rates=() refs=()
for ((r = 0; r < rounds; r++)); do
	awb_start_testpmd rxonly || exit 1
	out=$(awb_bench --scenario plain --flows 64 --duration 3 --period 0 --drain 0.2 "$@" 2>&1)
	awb_stop_fwd
	tx=$(echo "$out" | sed -n 's/^RESULT .* tx_mpps=\([0-9.]*\).*/\1/p')
	awb_start_testpmd rxonly || exit 1
	ref=$(txonly)
	awb_stop_fwd
	echo "round $((r + 1)): tx_mpps=${tx:-none} testpmd_txonly_mpps=${ref:-none}" \
		"(load $(cut -d' ' -f1-3 /proc/loadavg))"
	[ -n "$tx" ] && rates+=("$tx")
	[ -n "$ref" ] && refs+=("$ref")
done
[ ${#rates[@]} -gt 0 ] || { echo "gen_rate.sh: no round gave a rate" >&2; exit 1; }
printf 'median tx_mpps=%s testpmd_txonly_mpps=%s\n' "$(printf '%s\n' "${rates[@]}" | median)" \
	"$(printf '%s\n' "${refs[@]}" | median)"
