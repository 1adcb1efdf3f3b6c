#!/bin/bash
# Instructions per packet of the ASRS path from perf_asrs under callgrind:
# one run per phase, collecting only inside perf_new_burst (session creation)
# or perf_est_burst (established flows), so every inclusive cost listed is
# that phase's; totals and the main parts are divided by the packet count.
# Usage: tests/perf/callgrind_asrs.sh BUILD_DIR [sessions] [est_packets] [-g]
set -euo pipefail
build=${1:?usage: callgrind_asrs.sh BUILD_DIR [sessions] [est_packets] [-g]}
s=${2:-16384}
e=${3:-65536}
g=${4:-}
out=$(mktemp /tmp/awcg.XXXXXX)
trap 'rm -f "$out"' EXIT
for phase in new est; do
	n=$s
	[ "$phase" = est ] && n=$e
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="perf_${phase}_burst" \
		"$build/tests/perf/perf_asrs" -s "$s" -e "$e" $g >/dev/null 2>&1
	callgrind_annotate --inclusive=yes --threshold=100 "$out" | awk -v n="$n" -v ph="$phase" '
		/:(perf_(new|est)_burst|aw_process_burst|classify|aw_asrs_burst|new_session|aw_route_packet|rte_hash_[a-z_]*|aw_sess_[a-z_]*|aw_stab_[a-z_]*) / {
			split($0, a, ":"); f = a[length(a)]; sub(/ .*/, "", f)
			if (f in seen) next; seen[f] = 1
			v = $1; gsub(",", "", v)
			printf "%s %-24s %8.0f instructions/packet\n", ph, f, v / n }'
done
