#!/usr/bin/env bash
# bundle.sh OUTDIR — a self-contained directory for measuring multi-lcore
# scaling on a machine without DPDK, Python or network (issue 16):
#   OUTDIR/anyway-bench, anyway-dataplane, dpdk-testpmd   the binaries
#   OUTDIR/ld-linux-x86-64.so.2                             the dynamic loader
#   OUTDIR/lib/      every shared library they (and the PMDs) need (ldd), glibc included
#   OUTDIR/pmds/     the DPDK plugins they load with -d: net_memif, net_ring, net_null,
#                    mempool_ring
#   OUTDIR/templates/  anyway-bench's traffic templates (build/bench/templates)
#   OUTDIR/conf/     data plane configs made here by bench/templates.py (the target
#                    needs no Python): in process and through ports, per scenario
#   OUTDIR/run_scaling.sh   the measurement (copied from bench/device/)
# Run it with the build to measure in $AW_BUILD (default build/). The bundle
# is outside git (.gitignore: /bench/device/out*/ when made under
# bench/device/; any OUTDIR works). Exit 2: a missing binary or library.
set -eu
[ $# -eq 1 ] || { echo "usage: bundle.sh OUTDIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${AW_BUILD:-$ROOT/build}
PY=/usr/bin/python3
OUT=$1
PMD_DIR=${AW_PMD_DIR:-$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | sort | tail -1)}
TESTPMD=$(command -v dpdk-testpmd || true)

for f in "$B/bench/anyway-bench" "$B/dataplane/anyway-dataplane" "$TESTPMD"; do
	[ -x "$f" ] || { echo "bundle.sh: missing binary '$f' (build first; dpdk-testpmd from Debian's dpdk)" >&2; exit 2; }
done
[ -d "$PMD_DIR" ] || { echo "bundle.sh: no DPDK PMD directory (AW_PMD_DIR)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/pmds" "$OUT/conf"
cp "$B/bench/anyway-bench" "$B/dataplane/anyway-dataplane" "$TESTPMD" "$OUT/"
for p in net_memif net_ring net_null mempool_ring; do
	cp -L "$PMD_DIR/librte_$p.so" "$OUT/pmds/librte_$p.so"
done

# Shared libraries of every binary and plugin (ldd resolves the whole tree).
libs() {
	ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u
}
for l in $(libs "$OUT/anyway-bench" "$OUT/anyway-dataplane" "$OUT/dpdk-testpmd" "$OUT"/pmds/*.so); do
	case "$(basename "$l")" in
	ld-linux-x86-64.so.2) cp -L "$l" "$OUT/ld-linux-x86-64.so.2" ;;
	*) cp -L "$l" "$OUT/lib/" ;;
	esac
done
[ -f "$OUT/ld-linux-x86-64.so.2" ] || { echo "bundle.sh: no dynamic loader found by ldd" >&2; exit 2; }
strip --strip-unneeded "$OUT"/lib/*.so* "$OUT"/pmds/*.so 2>/dev/null || true

cp -r "$B/bench/templates" "$OUT/templates"
cp "$ROOT/bench/device/run_scaling.sh" "$OUT/"
chmod +x "$OUT/run_scaling.sh"

# Configs. @API@ is replaced by the run script with a socket path of its own.
conf() { # NAME SCENARIO FLOWS [templates.py options]
	local name=$1 s=$2 flows=$3
	shift 3
	$PY "$ROOT/bench/templates.py" --dp-config "$s" --api @API@ --flows "$flows" "$@" \
		--out "$OUT/conf/$name.json" --mem-mb >"$OUT/conf/$name.mem"
}
conf inproc-asrs-established asrs-established 100000 --in-process --mbufs 16383
conf inproc-asrs-new asrs-new 2000000 --in-process --mbufs 16383
conf inproc-trs-capsule trs-capsule 1024 --in-process --mbufs 16383
conf ports-plain plain 64
conf ports-asrs-established asrs-established 100000
conf ports-trs-capsule trs-capsule 1024
echo "bundle: $OUT ($(du -sh "$OUT" | cut -f1))"
