#!/usr/bin/env bash
# callgrind.sh SCENARIO [N1 N2] [anyway-bench options...]
# Instructions per packet of the in-process run, repeatable on a noisy
# machine: anyway-bench --in-process (net_ring ports, --no-huge) under
# valgrind --tool=callgrind twice, with N1 and N2 packets (default 20000 and
# 60000); setup costs the same in both runs, so
#   (Ir(N2) - Ir(N1)) / (N2 - N1)
# is what one more packet costs: generator, data plane and sink together, and
# the data plane's burst functions alone (callgrind's inclusive cost of
# aw_process_burst + aw_dispatch_burst + aw_tx_flush_all: exact from run to
# run). Work driven by time (neighbour and feature timers in aw_slow_poll and
# aw_features_tick) is left out of that figure: under valgrind time runs about
# 50 times slower than the packets, so timers fire far more often per packet
# than they would; it stays in the whole-loop figure, which moves between runs.
# Valgrind counts from the timed part on (--instr-atstart=no; anyway-bench
# turns instrumentation on before its first timed burst): the difference is
# the same, and a long setup (trs-capsule --flows 1000000: the config's 1M
# paths and their binding) runs at valgrind's uninstrumented speed.
# AW_CG_CACHESIM=1 adds callgrind's cache simulation: data-read and
# data-write misses per packet of the data plane's burst functions in the
# first level (the host's L1 geometry as valgrind reads it) and in a last
# level of AW_CG_LL (valgrind's --LL=size,ways,line; default 1 MiB, 16-way,
# the size of a per-core L2: valgrind simulates two levels only, and this
# VM reports its L3 as 512 MiB). Also exact from run to run: how many cache
# lines a layout makes a packet miss, where TSC cycles on this VM vary by
# 1.5x. Prefetches are not simulated: a prefetched line counts as missed
# where it is first loaded, so these count lines touched, not stalls.
set -u
. "$(dirname "$0")/bench_lib.sh"
[ $# -ge 1 ] || { echo "usage: callgrind.sh SCENARIO [N1 N2] [bench options]" >&2; exit 2; }
scenario=$1; shift
n1=20000; n2=60000
if [ $# -ge 2 ] && [[ $1 =~ ^[0-9]+$ ]] && [[ $2 =~ ^[0-9]+$ ]]; then n1=$1; n2=$2; shift 2; fi
[ "$n2" -gt "$n1" ] || { echo "callgrind.sh: N2 ($n2) must be larger than N1 ($n1)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
# EAL memory: what the tables need (templates.py --mem-mb), at least 256 MB
# shellcheck disable=SC2046 # awb_dp_suite: nothing, or "--suite N"
mem=$($PY "$AWB_ROOT/bench/templates.py" --dp-config "$scenario" --api "$AWB_DIR/dp.sock" \
	--in-process --mbufs 8191 --flows "$(awb_flows "$@")" $(awb_dp_suite "$scenario" "$@") --out "$AWB_DIR/dp.json" --mem-mb) || exit 2
[ "$mem" -lt 256 ] && mem=256
tpl=$(awb_templates "$scenario" "$@") || exit 1
read -r -a tpl <<<"$tpl"
set -- "${tpl[@]}" "$@"
# asrs-new: both runs warm up alike (anyway-bench's default --warmup follows
# --packets), so the difference counts N2 - N1 timed packets
if [ "$scenario" = asrs-new ] && ! printf '%s\n' "$@" | grep -qx -- --warmup; then
	set -- "$@" --warmup $((n1 / 4 < 8192 ? n1 / 4 : 8192))
fi
"$BENCH" -- --scenario "$scenario" --in-process --dp-config "$AWB_DIR/dp.json" "$@" --packets "$n2" \
	--check >/dev/null || exit $?

cachesim=
[ "${AW_CG_CACHESIM:-0}" = 1 ] && cachesim="--cache-sim=yes --LL=${AW_CG_LL:-1048576,16,64}"

# $1 packets -> "total_Ir dp_Ir reorder_Ir [dp_D1mr dp_D1mw dp_DLmr dp_DLmw]"
measure() {
	local n=$1 out=$AWB_DIR/cg.$1
	shift
	# shellcheck disable=SC2086 # $cachesim: nothing, or valgrind options
	valgrind --tool=callgrind --instr-atstart=no $cachesim --callgrind-out-file="$out" \
		"$BENCH" -l 0 --no-huge -m "$mem" --no-pci --no-telemetry --file-prefix "${AWB_TAG}cg" \
		--vdev net_ring0 --vdev net_ring1 --log-level=error -- --scenario "$scenario" \
		--in-process --dp-config "$AWB_DIR/dp.json" --period 0 "$@" --packets "$n" \
		>"$AWB_DIR/cg.$n.log" 2>&1 || { cat "$AWB_DIR/cg.$n.log" >&2; return 1; }
	grep -q "out_of_order=0 corrupted=0" "$AWB_DIR/cg.$n.log" ||
		{ echo "callgrind.sh: sink saw reordering or corruption" >&2; return 1; }
	local total dp
	total=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
	# one line per function with its object in brackets: the function's inclusive total.
	# From /: run where the build's relative source paths resolve (the repository
	# root), callgrind_annotate splits a function in two entries and the one with
	# the object leaves out the code inlined from other files and what it calls.
	# with the cache simulation, columns 1-9: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
	dp=$(cd / && callgrind_annotate --inclusive=yes --threshold=100 --auto=no --show-percs=no "$out" 2>/dev/null |
		awk -v cs="$cachesim" '
		     function num(x) { gsub(",", "", x); return x + 0 }
		     /:(aw_process_burst|aw_dispatch_burst|aw_tx_flush_all) \[/ {
			s += num($1)
			if (cs != "") { m1r += num($5); m1w += num($6); mlr += num($8); mlw += num($9) } }
		     /:(aw_reorder_insert|aw_reorder_insert_burst|aw_reorder_drain) \[/ { r += num($1) }
		     END { if (cs != "") print s + 0, r + 0, m1r + 0, m1w + 0, mlr + 0, mlw + 0
			   else print s + 0, r + 0 }')
	echo "$total $dp"
}

r1=$(measure "$n1" "$@") || exit 1
r2=$(measure "$n2" "$@") || exit 1
read -r t1 d1 o1 a1 b1 c1 e1 <<<"$r1"
read -r t2 d2 o2 a2 b2 c2 e2 <<<"$r2"
awk -v s="$scenario" -v n1="$n1" -v n2="$n2" -v t1="$t1" -v t2="$t2" -v d1="$d1" -v d2="$d2" \
	-v o1="$o1" -v o2="$o2" -v cs="$cachesim" -v a1="${a1:-0}" -v a2="${a2:-0}" -v b1="${b1:-0}" \
	-v b2="${b2:-0}" -v c1="${c1:-0}" -v c2="${c2:-0}" -v e1="${e1:-0}" -v e2="${e2:-0}" 'BEGIN {
	printf "scenario %s: callgrind, %d vs %d packets\n", s, n1, n2
	printf "instructions/packet, whole loop (generator + data plane + sink): %.1f\n", (t2 - t1) / (n2 - n1)
	printf "instructions/packet, data plane burst functions:                 %.1f\n", (d2 - d1) / (n2 - n1)
	if (o2 > 0)
		printf "instructions/packet, reorder stage (aw_reorder insert + drain):  %.1f\n", (o2 - o1) / (n2 - n1)
	if (cs != "") {
		n = n2 - n1
		printf "data misses/packet, data plane burst functions (simulated):   " \
		       "L1 read %.2f write %.2f, last level read %.2f write %.2f\n",
		       (a2 - a1) / n, (b2 - b1) / n, (c2 - c1) / n, (e2 - e1) / n
	}
}'
