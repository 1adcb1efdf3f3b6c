#!/usr/bin/env bash
# Runs every test stage, keeps going when one fails, and ends with the one
# line CI reads: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${AW_BUILD:-$PWD/build}
ASAN_BUILD=${AW_ASAN_BUILD:-$PWD/build-asan}
PYTEST="/usr/bin/python3 -m pytest"
passed=0
failed=0
log=$(mktemp -d)/stage.log

count_meson() { # $1 = stage name; meson test output in $log
	local ok fail
	ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
	fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $2} END {print s+0}' "$log")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0}))
	echo "== $1: ${ok:-0} passed, ${fail:-0} failed"
}

count_pytest() { # $1 = stage name, $2 = pytest exit code
	local line p f e
	line=$(grep -E "^(=+ )?[0-9]+ (passed|failed|error|skipped)|no tests ran" "$log" | tail -1)
	p=$(echo "$line" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+" || true)
	f=$(echo "$line" | grep -oE "[0-9]+ failed" | grep -oE "[0-9]+" || true)
	e=$(echo "$line" | grep -oE "[0-9]+ error" | grep -oE "[0-9]+" || true)
	p=${p:-0}; f=$(( ${f:-0} + ${e:-0} ))
	# pytest exit 5 = no tests collected: a broken suite, count it as a failure
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "== $1: $p passed, $f failed ($line)"
}

stage_meson() { # $1 name, $2 build dir
	meson test -C "$2" --suite unit --suite fuzz --print-errorlogs --num-processes 2 >"$log" 2>&1
	tail -n 25 "$log"
	count_meson "$1"
}

stage_pytest() { # $1 name, $2 dir, extra env in $3
	env $3 $PYTEST -q -p no:cacheprovider "$2" >"$log" 2>&1
	local rc=$?
	tail -n 30 "$log"
	count_pytest "$1" "$rc"
}

stage_meson "unit+fuzz" "$BUILD"
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 stage_meson "unit+fuzz (ASan/UBSan)" "$ASAN_BUILD"
stage_pytest "golden" tests/golden "AW_DATAPLANE=$BUILD/dataplane/anyway-dataplane"
stage_pytest "golden (ASan/UBSan)" tests/golden \
	"AW_DATAPLANE=$ASAN_BUILD/dataplane/anyway-dataplane ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
stage_pytest "end-to-end" tests/e2e "AW_DATAPLANE=$BUILD/dataplane/anyway-dataplane"
# Control plane (real daemons on loopback), the benchmark's smoke runs and the
# packages (tests/pkg: make deb in a copy of the tree, dpkg -i, purge), once
# those suites exist.
for suite in control bench pkg; do
	if ls tests/$suite/test_*.py >/dev/null 2>&1; then
		stage_pytest "$suite" tests/$suite "AW_BUILD=$BUILD"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
