#!/usr/bin/env bash
# compare_all.sh [--rounds N] [--duration S] [SCENARIO...]
# compare.sh for every scenario (default: all of them, with the options
# bench/RESULTS.md uses), then one table: per scenario the median Mpps of
# anyway-dataplane, testpmd 5tswap and testpmd io in the same rounds, and the
# ratios anyway/5tswap and anyway/io. A scenario whose data plane run is
# INVALID (drops other than tx_full) gets "INVALID" and its reasons, no ratio;
# one that gave no result gets "failed" (its output is printed above the
# table). Default 3 rounds of 3 s (asrs-new: --packets, no --duration).
# Exit 0 when every scenario gave a ratio, 3 when one was INVALID, else 1.
set -u
here=$(dirname "$0")
rounds=3; duration=3
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=${2:-}; shift 2 ;;
	--duration) duration=${2:-}; shift 2 ;;
	-*) echo "compare_all.sh: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "compare_all.sh: --rounds: expected an integer >= 1, got '$rounds'" >&2; exit 2 ;; esac
[[ $duration =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare_all.sh: --duration: expected seconds, got '$duration'" >&2; exit 2; }

# scenario -> the options RESULTS.md uses (trs-signaling-2: trs-signaling --suite 2)
declare -A X=(
	[plain]="--flows 64" [pipeline]="--flows 1"
	[asrs-established]="--flows 100000" [asrs-new]="--flows 250000 --packets 250000"
	[trs-capsule]="--flows 1024 --pkt-size 128" [trs-signaling]="--flows 1024 --pkt-size 128"
	[trs-signaling-2]="--flows 1024 --pkt-size 128 --suite 2"
	[mixed]="--flows 999 --pkt-size 128"
	[gateway-in]="--flows 1000 --pkt-size 1400" [gateway-out]="--flows 1000 --pkt-size 1400")
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
	out=$(bash "$here/compare.sh" "$sc" --rounds "$rounds" ${X[$s]} "${dur[@]}" 2>&1)
	c=$?
	echo "$out" | grep -E '^(round|ratio)'
	if [ $c = 0 ]; then
		row=$(awk '/^anyway-dataplane/ {a=$2} /^testpmd 5tswap/ {t=$3} /^testpmd io/ {i=$3}
			/^ratio/ {r5=$3; ri=$5} END {printf "%10s %10s %10s %9s %9s", a, t, i, r5, ri}' <<<"$out")
	elif [ $c = 3 ]; then
		row=$(sed -n 's/.*INVALID: the data plane dropped \(.*\)/INVALID \1/p' <<<"$out" | head -1)
		[ $rc = 1 ] || rc=3
	else
		echo "$out" | tail -20
		row=failed; rc=1
	fi
	rows+=("$(printf "compare %-18s %s" "$s" "$row")")
done
echo
echo "compare_all: $rounds rounds per scenario, --duration $duration, medians in Mpps"
printf "compare %-18s %10s %10s %10s %9s %9s\n" scenario anyway 5tswap io "any/5t" "any/io"
printf '%s\n' "${rows[@]}"
exit $rc
