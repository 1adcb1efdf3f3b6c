#!/usr/bin/env bash
# measure_all.sh [ROUNDS] — re-measures what bench/RESULTS.md reports, in the
# order it reports it, and prints each command followed by its result lines:
# compare.sh (every scenario), through ports (run.sh) and in process per scenario
# (rounds.sh: median and spread), callgrind per scenario. Takes 40-60 minutes
# on the 2-core machine. The load average is printed before each block: the
# machine is shared, and a loaded one moves the timed numbers (not callgrind's).
set -u
cd "$(dirname "$0")/.."
R=${1:-5}
export AW_BUILD=${AW_BUILD:-$PWD/build}
B=$AW_BUILD/bench/anyway-bench
T=$(mktemp -d /tmp/awm.XXXXXX)
trap 'rm -rf "$T"' EXIT
load() { echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
run() { echo "\$ $*"; "$@" 2>&1 | grep -E '^(round|scenario|forwarder|anyway-dataplane|testpmd|ratio|instructions|rx_mpps|dp_cycles|tx_mpps)'; }

# scenario -> extra options (what RESULTS.md uses)
declare -A X=(
	[plain]="--flows 64" [pipeline]="--flows 1"
	[asrs-established]="--flows 100000" [asrs-redirect]="--flows 100000" [asrs-new]="--flows 250000 --packets 250000"
	[trs-capsule]="--flows 1024 --pkt-size 128" [trs-signaling]="--flows 1024 --pkt-size 128"
	[mixed]="--flows 999 --pkt-size 128"
	[gateway-in]="--flows 1000 --pkt-size 1400" [gateway-out]="--flows 1000 --pkt-size 1400")
ORDER="plain pipeline asrs-established asrs-new trs-capsule trs-signaling mixed gateway-in gateway-out"
dur() { [ "$1" = asrs-new ] && echo "" || echo "--duration 3"; }
# EAL memory of an in-process run: hugepages when enough are free, as a
# deployment runs (2 MiB pages here: at a million sessions or paths 4 KiB pages
# cost a TLB miss per lookup, 10-25 % of the 1M figures on this VM), else 2 GB
# of 4 KiB pages; AW_BENCH_NO_HUGE=1 forces the latter. Printed with each run.
inproc_mem() {
	local need free
	need=$(/usr/bin/python3 bench/templates.py --dp-config "$1" --in-process --mbufs 16383 \
		--flows "$2" --api "$T/dp.sock" --out "$T/mem.json" --mem-mb)
	free=$(awk '/^HugePages_Free:/ {n = $2} /^Hugepagesize:/ {kb = $2} END {print int(n * kb / 1024)}' \
		/proc/meminfo)
	if [ "${AW_BENCH_NO_HUGE:-0}" != 1 ] && [ "${free:-0}" -ge $((need + 64)) ]; then
		echo "--in-memory -m $((need + 64))"
	else
		echo "--no-huge -m 2048"
	fi
}

# against testpmd 5tswap / io, every scenario (the same generator and traffic;
# testpmd returns the frames with addresses swapped, the sink checks stamps)
for s in $ORDER; do
	load
	# shellcheck disable=SC2086
	run bash bench/compare.sh "$s" --rounds "$R" ${X[$s]} $(dur "$s")
done
for s in $ORDER; do
	load
	# shellcheck disable=SC2086
	run bash bench/rounds.sh "$R" rx_mpps bash bench/run.sh "$s" ${X[$s]} $(dur "$s") --period 0
done
for s in $ORDER; do
	# tables sized from the run's --flows (bench/README.md "Valid runs")
	f=$(awk '{for (i = 1; i < NF; i++) if ($i == "--flows") print $(i + 1)}' <<<"${X[$s]}")
	/usr/bin/python3 bench/templates.py --dp-config "$s" --in-process --mbufs 16383 \
		--flows "${f:-64}" --api "$T/dp.sock" --out "$T/$s.json"
	load
	# shellcheck disable=SC2086
	run bash bench/rounds.sh "$R" dp_cycles_per_pkt "$B" -l 1 $(inproc_mem "$s" "${f:-64}") --no-pci \
		--no-telemetry --file-prefix awm$$ --vdev net_ring0 --vdev net_ring1 --log-level=error \
		-- --in-process --dp-config "$T/$s.json" --scenario "$s" ${X[$s]} $(dur "$s") --period 0
	rm -rf /var/run/dpdk/awm$$
done
load
run bash bench/callgrind.sh plain
run bash bench/callgrind.sh pipeline 20000 60000 --flows 1
run bash bench/callgrind.sh asrs-established 20000 60000 --flows 10000
run bash bench/callgrind.sh asrs-new 20000 60000 --flows 60000
run bash bench/callgrind.sh trs-capsule 20000 60000 --flows 1000 --pkt-size 128
run bash bench/callgrind.sh trs-signaling 20000 60000 --flows 1000 --pkt-size 128
run bash bench/callgrind.sh mixed 20000 60000 --flows 999 --pkt-size 128
for s in 1 2; do
	run bash bench/callgrind.sh gateway-in 20000 60000 --flows 1000 --pkt-size 1400 --suite "$s"
	run bash bench/callgrind.sh gateway-out 20000 60000 --flows 1000 --pkt-size 1400 --suite "$s"
done
