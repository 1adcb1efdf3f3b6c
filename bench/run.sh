#!/usr/bin/env bash
# run.sh SCENARIO [--workers N] [--dp-sessions N] [anyway-bench options...]
# One through-ports run: the data plane (memif server, CPU 1) configured for
# SCENARIO by templates.py, its tables sized from the bench's --flows,
# anyway-bench (memif client, CPU 0) against it, then the data plane is
# stopped. Prints the bench's output; exit code is the bench's (3: the run is
# INVALID, the data plane dropped packets for a reason other than tx_full),
# or 2 when the tables cannot be sized (memory). --workers N: pipeline workers
# for scenario pipeline (default 2). --dp-sessions N: asrs.max_sessions N
# instead of the size --flows needs (to show what a too small table does).
# --suite N: the data plane's TRS / gateway paths are of suite N, and a TRS
# scenario's path binding too (anyway-bench tags it with --suite).
set -u
. "$(dirname "$0")/bench_lib.sh"
[ $# -ge 1 ] || { echo "usage: run.sh SCENARIO [--workers N] [--dp-sessions N] [bench options]" >&2; exit 2; }
scenario=$1; shift
workers=2; sessions=-
while [ $# -gt 0 ]; do
	case "$1" in
	--workers) workers=$2; shift 2 ;;
	--dp-sessions) sessions=$2; shift 2 ;;
	*) break ;;
	esac
done
# Refusals (unknown or unbuilt scenario, bad options) come from the bench itself.
"$BENCH" -- --scenario "$scenario" "$@" --check >/dev/null || exit $?
tpl=$(awb_templates "$scenario" "$@") || exit 1
read -r -a tpl <<<"$tpl"
awb_start_dp "$scenario" "$workers" "$(awb_flows "$@")" "$sessions" "$(awb_dp_suite "$scenario" "$@")" || exit $?
awb_bench --scenario "$scenario" "${tpl[@]}" "$@"
rc=$?
awb_stop_fwd
exit $rc
