#!/usr/bin/env bash
# run.sh SCENARIO [--workers N] [anyway-bench options...]
# One through-ports run: the data plane (memif server, CPU 1) configured for
# SCENARIO by templates.py, anyway-bench (memif client, CPU 0) against it,
# then the data plane is stopped. Prints the bench's output; exit code is the
# bench's. --workers N: pipeline workers for scenario pipeline (default 2).
set -u
. "$(dirname "$0")/bench_lib.sh"
[ $# -ge 1 ] || { echo "usage: run.sh SCENARIO [--workers N] [bench options]" >&2; exit 2; }
scenario=$1; shift
workers=2
if [ "${1:-}" = --workers ]; then workers=$2; shift 2; fi
# Refusals (unknown or unbuilt scenario, bad options) come from the bench itself.
"$BENCH" -- --scenario "$scenario" "$@" --check >/dev/null || exit $?
awb_start_dp "$scenario" "$workers" || exit $?
awb_bench --scenario "$scenario" "$@"
rc=$?
awb_stop_fwd
exit $rc
