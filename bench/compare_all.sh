#!/usr/bin/env bash
# compare_all.sh [--rounds N] [--duration S] [--timeout S] [SCENARIO...]
# compare.sh for every scenario (default: all of them, with the options
# bench/RESULTS.md uses), then one table: per scenario the median Mpps of
# anyway-dataplane, testpmd 5tswap and testpmd io in the same rounds, the
# ratios anyway/5tswap and anyway/io, and the bottleneck each anyway round
# named (generator, dataplane, link: bench/README.md). A scenario whose data
# plane run is INVALID (drops other than tx_full) gets "INVALID" and its
# reasons, no ratio; one that gave no result gets "failed:" and the last
# error line (its output is printed above the table); one that ran past its
# bound "timeout:". Each scenario's compare.sh is bounded by --timeout
# seconds (default: 90 + rounds x 3 forwarders x (duration + 40)); the
# bench honours the SIGTERM (bench/README.md "It never hangs").
# Default 3 rounds of 3 s (asrs-new: --packets, no --duration).
# Exit 0 when every scenario gave a ratio, 3 when one was INVALID, else 1.
set -u
here=$(dirname "$0")
rounds=3; duration=3; bound=
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=${2:-}; shift 2 ;;
	--duration) duration=${2:-}; shift 2 ;;
	--timeout) bound=${2:-}; shift 2 ;;
	-*) echo "compare_all.sh: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "compare_all.sh: --rounds: expected an integer >= 1, got '$rounds'" >&2; exit 2 ;; esac
[[ $duration =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare_all.sh: --duration: expected seconds, got '$duration'" >&2; exit 2; }
[ -n "$bound" ] || bound=$((90 + rounds * 3 * (${duration%.*} + 40)))
case "$bound" in ''|*[!0-9]*|0) echo "compare_all.sh: --timeout: expected whole seconds >= 1, got '$bound'" >&2; exit 2 ;; esac

# scenario -> the options RESULTS.md uses (trs-signaling-2: trs-signaling --suite 2)
declare -A X=(
	[plain]="--flows 64" [pipeline]="--flows 1"
	[asrs-established]="--flows 100000" [asrs-new]="--flows 250000 --packets 250000"
	[trs-capsule]="--flows 1024 --pkt-size 128" [trs-signaling]="--flows 1024 --pkt-size 128"
	[trs-signaling-2]="--flows 1024 --pkt-size 128 --suite 2"
	[mixed]="--flows 999 --pkt-size 128"
	[gateway-in]="--flows 1000 --pkt-size 1400" [gateway-out]="--flows 1000 --pkt-size 1400")
# why a scenario may not be comparable on this machine, printed with its
# INVALID row
declare -A WHY=(
	[pipeline]="(its RX, worker and TX lcores all run on CPU 1 (bench_lib.sh): sharing one CPU, they overflow the rings and the reorder window; comparable only with a CPU per lcore)")
ALL="plain pipeline asrs-established asrs-new trs-capsule trs-signaling trs-signaling-2 mixed gateway-in gateway-out"
# shellcheck disable=SC2086 # the list of names
[ $# -gt 0 ] || set -- $ALL
for s in "$@"; do
	[ -n "${X[$s]+x}" ] || { echo "compare_all.sh: unknown scenario '$s' (known: $ALL)" >&2; exit 2; }
done

rc=0
rows=()
for s in "$@"; do
	sc=$s; [ "$s" = trs-signaling-2 ] && sc=trs-signaling
	dur=(--duration "$duration"); [ "$sc" = asrs-new ] && dur=()
	echo "# $(date -u +%FT%TZ) $s, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2086
	out=$(timeout -k 30 "$bound" bash "$here/compare.sh" "$sc" --rounds "$rounds" ${X[$s]} "${dur[@]}" 2>&1)
	c=$?
	echo "$out" | grep -E '^(round|ratio)'
	# the bottleneck each anyway round named
	bn=$(sed -n 's/^round [0-9]*  anyway .*(bottleneck \([a-z]*\),.*/\1/p' <<<"$out" | paste -sd, -)
	if [ $c = 0 ]; then
		row=$(awk -v bn="${bn:-na}" '/^anyway-dataplane/ {a=$2} /^testpmd 5tswap/ {t=$3} /^testpmd io/ {i=$3}
			/^ratio/ {r5=$3; ri=$5} END {printf "%10s %10s %10s %9s %9s  %s", a, t, i, r5, ri, bn}' <<<"$out")
	elif [ $c = 3 ]; then
		row=$(sed -n 's/.*INVALID: the data plane dropped \(.*\)/INVALID \1/p' <<<"$out" | head -1)
		[ -n "${WHY[$s]+x}" ] && row="$row ${WHY[$s]}"
		[ $rc = 1 ] || rc=3
	elif [ $c = 124 ] || [ $c = 137 ]; then
		echo "$out" | tail -20
		row="timeout: no result within $bound s (--timeout)"; rc=1
	else
		echo "$out" | tail -20
		why=$(grep -E '^(compare\.sh|anyway-bench|bench|awb)[^ ]*: ' <<<"$out" | grep -v 'retrying once' | tail -1)
		row="failed: ${why:-exit $c, see the output above}"; rc=1
	fi
	rows+=("$(printf "compare %-18s %s" "$s" "$row")")
done
echo
echo "compare_all: $rounds rounds per scenario, --duration $duration, medians in Mpps, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "compare %-18s %10s %10s %10s %9s %9s  %s\n" scenario anyway 5tswap io "any/5t" "any/io" "bottleneck (anyway rounds)"
printf '%s\n' "${rows[@]}"
exit $rc
