#!/usr/bin/env bash
# Runs every libFuzzer target of a -Dfuzz=true build for a bounded time each,
# one after the other (`make fuzz` builds build-fuzz and calls this).
#
#   tests/fuzz/run_fuzz.sh            # FUZZ_SECONDS=60 per target
#   FUZZ_SECONDS=30 FUZZ_TARGETS="fuzz_msg fuzz_pkt" tests/fuzz/run_fuzz.sh
#
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_SECONDS (default 60),
# FUZZ_TARGETS (default: every fuzz_* executable of the build), FUZZ_OUT
# (default $FUZZ_BUILD/fuzz-out). Per target, under FUZZ_OUT:
#   corpus/<target>/     seeds (make_seeds.py from the golden fixtures and the
#                        control tests, plus the target's built-in seeds), then
#                        what libFuzzer adds; kept between runs
#   artifacts/<target>/  crash-*, leak-*, timeout-*, oom-* reproducers
#   logs/<target>.log    libFuzzer's output
# Prints one line per target (executions, exec/s, cov and ft from libFuzzer's
# final stats, corpus size, reproducers) and writes the table to
# FUZZ_OUT/summary.txt. Exit 1 when a target crashed, leaked, timed out or
# failed to start (its reproducer stays in artifacts/), 2 on a usage error.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
OUT=${FUZZ_OUT:-$BUILD/fuzz-out}

case "$SECONDS_EACH" in
'' | *[!0-9]*) echo "FUZZ_SECONDS: expected a whole number of seconds, got '$SECONDS_EACH'" >&2; exit 2 ;;
esac
if ! /usr/bin/python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(open(sys.argv[1]))}; sys.exit(0 if o.get("fuzz") else 1)' \
		"$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null; then
	echo "$BUILD: not a -Dfuzz=true build (CC=clang meson setup $BUILD -Dfuzz=true)" >&2
	exit 2
fi

declare -A BIN
while IFS= read -r f; do
	BIN[$(basename "$f")]=$f
done < <(find "$BUILD/tests/fuzz" -type f -executable -name 'fuzz_*' | sort)
TARGETS=${FUZZ_TARGETS:-$(printf '%s\n' "${!BIN[@]}" | sort | tr '\n' ' ')}
for t in $TARGETS; do
	[ -n "${BIN[$t]:-}" ] || { echo "no fuzz target '$t' in $BUILD" >&2; exit 2; }
done

mkdir -p "$OUT/corpus" "$OUT/artifacts" "$OUT/logs" "$OUT/seeds"
rm -rf "$OUT/seeds"/*
/usr/bin/python3 "$ROOT/tests/fuzz/make_seeds.py" "$OUT/seeds" > "$OUT/logs/make_seeds.log" 2>&1 ||
	{ cat "$OUT/logs/make_seeds.log" >&2; echo "make_seeds.py failed" >&2; exit 1; }

# stat::NAME from libFuzzer's final stats, "-" when absent.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1 | grep . || echo -; }
# cov / ft from the last status line (DONE, or the last before a crash).
covft() { grep -Eo "cov: [0-9]+ ft: [0-9]+" "$2" | tail -1 | awk -v w="$1" '{print (w == "cov") ? $2 : $4}' | grep . || echo -; }

fail=0
summary="$OUT/summary.txt"
{
	echo "# $(date -u '+%F %T UTC')  FUZZ_SECONDS=$SECONDS_EACH  load: $(cut -d' ' -f1-3 /proc/loadavg)  $(nproc) CPUs"
	printf '%-16s %12s %10s %6s %6s %7s %9s  %s\n' target executions exec/s cov ft corpus reproducer status
} > "$summary"
cat "$summary"
for t in $TARGETS; do
	corpus="$OUT/corpus/$t" art="$OUT/artifacts/$t/" log="$OUT/logs/$t.log"
	mkdir -p "$corpus" "$art"
	[ -d "$OUT/seeds/$t" ] && cp -n "$OUT/seeds/$t"/* "$corpus/" 2>/dev/null
	AW_FUZZ_DUMP_SEEDS="$corpus" "${BIN[$t]}" > /dev/null 2>&1 || true
	before=$(find "$art" -type f | wc -l)
	touch "$OUT/.start"
	extra=()
	# the registrar's parser writes one error line per refused input: stderr off
	# (libFuzzer keeps its own output and the sanitizer reports on a dup of it)
	[ "$t" = fuzz_reg_config ] && extra+=(-close_fd_mask=2)
	timeout -k 10 $((SECONDS_EACH + 120)) "${BIN[$t]}" -max_total_time="$SECONDS_EACH" \
		-print_final_stats=1 -timeout=25 -rss_limit_mb=4096 -artifact_prefix="$art" \
		"${extra[@]}" "$corpus" > "$log" 2>&1
	rc=$?
	repro=$(($(find "$art" -type f | wc -l) - before))
	status=ok
	if [ $rc -ne 0 ] || [ "$repro" -ne 0 ]; then
		kinds=$(find "$art" -type f -newer "$OUT/.start" -printf '%f\n' | sed 's/-.*//' | sort -u | tr '\n' ' ')
		status="FAILED (exit $rc, ${kinds:-no reproducer }- see $log)"
		fail=1
	fi
	line=$(printf '%-16s %12s %10s %6s %6s %7s %9s  %s' "$t" \
		"$(stat number_of_executed_units "$log")" "$(stat average_exec_per_sec "$log")" \
		"$(covft cov "$log")" "$(covft ft "$log")" "$(find "$corpus" -type f | wc -l)" \
		"$repro" "$status")
	echo "$line" | tee -a "$summary"
	if [ "$repro" -ne 0 ]; then
		find "$art" -type f -newer "$OUT/.start" | sed 's/^/    reproducer: /'
	fi
done
echo "summary: $summary"
exit $fail
