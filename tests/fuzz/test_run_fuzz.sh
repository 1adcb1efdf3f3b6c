#!/usr/bin/env bash
# Test of tests/fuzz/run_fuzz.sh itself (meson test --suite fuzz, every build):
# on a stand-in build tree with two stand-in targets, one that reports
# libFuzzer-style stats and one that crashes, it must print the stats of the
# first, exit 1, name the crash and keep its reproducer; a bad FUZZ_SECONDS
# and a build without -Dfuzz=true are usage errors (exit 2).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/awrunfuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }

mkdir -p "$tmp/b/meson-info" "$tmp/b/tests/fuzz/x"
echo '[{"name": "fuzz", "value": true}]' > "$tmp/b/meson-info/intro-buildoptions.json"
cat > "$tmp/b/tests/fuzz/x/fuzz_good" <<'T'
#!/bin/bash
[ -n "${AW_FUZZ_DUMP_SEEDS:-}" ] && { echo seed > "$AW_FUZZ_DUMP_SEEDS/builtin-0"; exit 0; }
echo "#4242	DONE   cov: 321 ft: 654 corp: 3/30b"
echo "stat::number_of_executed_units: 4242"
echo "stat::average_exec_per_sec:     1414"
T
cat > "$tmp/b/tests/fuzz/x/fuzz_bad" <<'T'
#!/bin/bash
[ -n "${AW_FUZZ_DUMP_SEEDS:-}" ] && exit 0
for a; do case $a in -artifact_prefix=*) p=${a#-artifact_prefix=} ;; esac; done
echo "#7	INITED cov: 5 ft: 6 corp: 1/1b"
echo "==1== ERROR: libFuzzer: deadly signal"
echo boom > "${p}crash-0123"
exit 1
T
chmod +x "$tmp/b/tests/fuzz/x/"*

FUZZ_BUILD="$tmp/b" FUZZ_SECONDS=1 bash "$here/run_fuzz.sh" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "exit $rc, want 1 (a target crashed)"
grep -Eq '^fuzz_good +4242 +1414 +321 +654 +[0-9]+ +0 +ok$' "$tmp/out" || fail "fuzz_good line"
grep -Eq '^fuzz_bad .* 5 +6 .* 1 +FAILED \(exit 1, crash ' "$tmp/out" || fail "fuzz_bad line"
[ -f "$tmp/b/fuzz-out/artifacts/fuzz_bad/crash-0123" ] || fail "reproducer not kept"
grep -q "reproducer: .*/crash-0123" "$tmp/out" || fail "reproducer not named"
[ -f "$tmp/b/fuzz-out/corpus/fuzz_good/builtin-0" ] || fail "built-in seeds not in the corpus"
grep -q '^fuzz_good' "$tmp/b/fuzz-out/summary.txt" || fail "summary.txt"

FUZZ_BUILD="$tmp/b" FUZZ_SECONDS=x bash "$here/run_fuzz.sh" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "FUZZ_SECONDS=x: want exit 2"
echo '[{"name": "fuzz", "value": false}]' > "$tmp/b/meson-info/intro-buildoptions.json"
FUZZ_BUILD="$tmp/b" bash "$here/run_fuzz.sh" > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "not a fuzz build: want exit 2"
echo "run_fuzz.sh: ok"
