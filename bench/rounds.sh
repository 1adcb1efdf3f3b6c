#!/usr/bin/env bash
# rounds.sh N FIELD COMMAND...
# Runs COMMAND (one that prints anyway-bench's RESULT line: anyway-bench
# itself, run.sh) N times and prints each round's FIELD (e.g. rx_mpps,
# dp_cycles_per_pkt), then the median and the spread (min..max). Fails when a
# round prints no RESULT or its sink saw reordering or corruption; exit 3
# when a round is INVALID (bench/README.md).
set -u
[ $# -ge 3 ] || { echo "usage: rounds.sh N FIELD COMMAND..." >&2; exit 2; }
n=$1 field=$2
shift 2
case "$n" in ''|*[!0-9]*|0) echo "rounds.sh: N: expected an integer >= 1, got '$n'" >&2; exit 2 ;; esac
vals=()
for ((r = 1; r <= n; r++)); do
	line=$("$@" 2>/dev/null | grep '^RESULT ')
	[ -n "$line" ] || { echo "rounds.sh: round $r: no RESULT line" >&2; exit 1; }
	if grep -q ' verdict=INVALID ' <<<"$line"; then
		echo "rounds.sh: round $r: INVALID run, no $field reported: $(sed -n 's/.* invalid=\([^ ]*\).*/\1/p' <<<"$line")" >&2
		exit 3
	fi
	grep -q ' out_of_order=0 corrupted=0 ' <<<"$line" ||
		{ echo "rounds.sh: round $r: sink saw reordering or corruption: $line" >&2; exit 1; }
	v=$(sed -n "s/.* $field=\([0-9.-]*\).*/\1/p" <<<"$line")
	[ -n "$v" ] || { echo "rounds.sh: no field '$field' in: $line" >&2; exit 2; }
	echo "round $r $field=$v"
	vals+=("$v")
done
printf '%s\n' "${vals[@]}" | sort -g | awk -v f="$field" '{v[NR] = $1}
	END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	     printf "%s median %s spread %s..%s (%d rounds)\n", f, m, v[1], v[NR], NR}'
