#!/usr/bin/env bash
# run_scaling.sh [--lcores "1 2 4 8"] [--duration S] [--no-ports] [--no-inproc]
# Multi-lcore scaling of the data plane (issue 16), from the bundle made by
# bench/device/bundle.sh; needs bash and coreutils on the target, no DPDK, no
# Python, no network. Every binary runs through the bundle's own loader:
#   BUNDLE/ld-linux-x86-64.so.2 --library-path BUNDLE/lib BUNDLE/BIN ... -d BUNDLE/pmds
#   (or --preload of the PMDs when -d would refuse the path: see below)
#
# For each lcore count N (skipped when the machine has too few CPUs):
#  in process   N anyway-bench --in-process instances at once, one per CPU,
#               each with its own data plane on net_ring: the data plane's
#               cycles per packet on each (median and worst of the N), for
#               asrs-established (100,000 sessions), asrs-new and trs-capsule
#               (1,024 paths). eff = cycles(1) / worst cycles(N): 1.00 is
#               linear scaling (what the CPUs share: caches, memory bandwidth).
#  through ports  N pairs at once, each a forwarder (1 lcore, memif server)
#               and an anyway-bench generator/sink (1 lcore, memif client) on
#               CPUs of their own: anyway-dataplane for asrs-established and
#               trs-capsule, and dpdk-testpmd 5tswap with the same traffic as
#               the reference; the sum of the received Mpps, the ratio to
#               testpmd and the bottleneck the bench names.
# Each instance is a separate process: this measures per-core scaling, not
# one data plane instance spreading its lcores over queues (anyway-bench
# sends on one queue).
# Prints one summary table at the end; the raw RESULT lines are kept in
# $AW_SCALING_OUT (default a temp dir, printed). Total time about 4-5 min
# at the default duration; every step is bounded by `timeout`.
set -u
BUNDLE=$(cd "$(dirname "$0")" && pwd)
LCORES="1 2 4 8"
DUR=3
DO_PORTS=1
DO_INPROC=1
while [ $# -gt 0 ]; do
	case "$1" in
	--lcores) LCORES=$2; shift 2 ;;
	--duration) DUR=$2; shift 2 ;;
	--no-ports) DO_PORTS=0; shift ;;
	--no-inproc) DO_INPROC=0; shift ;;
	*) echo "usage: run_scaling.sh [--lcores \"1 2 4 8\"] [--duration S] [--no-ports] [--no-inproc]" >&2; exit 2 ;;
	esac
done
NCPU=$(nproc)
OUT=${AW_SCALING_OUT:-$(mktemp -d /tmp/aw_scaling.XXXXXX)}
mkdir -p "$OUT"
TAG=awsc$$
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf /var/run/dpdk/"$TAG"* 2>/dev/null
	# hugepages this run reserved go back
	[ -n "${HP_BEFORE:-}" ] && echo "$HP_BEFORE" >"$HP" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- memory: 2 MB hugepages when they can be had, else ordinary memory ----
HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
WANT_PAGES=12288 # 24 GB: 8 in-process instances and 8 memif pairs
hp_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
# Reserved only on a machine with at least twice that much memory available,
# given back at exit, and at once when the kernel could not reserve them all.
HP_BEFORE=
avail_mb=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
if [ "${AW_SCALING_NO_HUGE:-0}" != 1 ] && [ -w "$HP" ] && [ "$(hp_free)" -lt "$WANT_PAGES" ] &&
	[ "${avail_mb:-0}" -ge $((WANT_PAGES * 2 * 2)) ]; then
	HP_BEFORE=$(cat "$HP")
	echo $(( HP_BEFORE + WANT_PAGES - $(hp_free) )) >"$HP" 2>/dev/null || true
	if [ "$(hp_free)" -lt "$WANT_PAGES" ]; then
		echo "$HP_BEFORE" >"$HP" 2>/dev/null
		HP_BEFORE=
	fi
fi
if [ "${AW_SCALING_NO_HUGE:-0}" != 1 ] && [ "$(hp_free)" -ge "$WANT_PAGES" ]; then
	MEMMODE=huge
else
	MEMMODE=nohuge
fi
mem() { # MB needed -> EAL memory options
	local need=$1
	[ "$need" -lt 512 ] && need=512
	if [ "$MEMMODE" = huge ]; then echo "--in-memory"; else echo "--no-huge -m $need"; fi
}
# PMD plugins: EAL's -d refuses a path with a world-writable directory
# above it (/tmp); there the loader preloads them instead (their
# constructors register the drivers just as -d would).
world_writable_above() {
	local d=$1
	while :; do
		[ $(( 0$(stat -c %a "$d") & 2 )) -ne 0 ] && return 0
		[ "$d" = / ] && return 1
		d=$(dirname "$d")
	done
}
LOADER=("$BUNDLE/ld-linux-x86-64.so.2" --library-path "$BUNDLE/lib")
EAL=(--no-pci --no-telemetry --log-level=error)
if world_writable_above "$BUNDLE/pmds"; then
	LOADER+=(--preload "$(ls "$BUNDLE"/pmds/*.so | tr '\n' ' ')")
	PMDS="preloaded ($BUNDLE has a world-writable directory above it)"
else
	EAL=(-d "$BUNDLE/pmds" "${EAL[@]}")
	PMDS="-d $BUNDLE/pmds"
fi

field() { # FILE KEY -> value from its RESULT line ("-" when none)
	local v
	v=$(grep -m1 '^RESULT ' "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p")
	echo "${v:--}"
}
cfg() { # NAME API-PATH -> a config file with its own API socket
	local f=$OUT/$1.$$.$RANDOM.json
	sed "s#@API@#$2#" "$BUNDLE/conf/$1.json" >"$f"
	echo "$f"
}

echo "anyway scaling run: $(date -u +%FT%TZ), $NCPU CPUs, $(uname -r), memory: $MEMMODE," \
	"load: $(cut -d' ' -f1-3 /proc/loadavg), PMDs: $PMDS, out: $OUT"
grep -m1 'model name' /proc/cpuinfo

# ---- in process ----
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
declare -A BASE

inproc() { # SCENARIO N -> per-instance RESULT files; prints median / worst cycles
	local s=$1 n=$2 i f opts=(--duration "$DUR")
	local mb
	mb=$(cat "$BUNDLE/conf/inproc-$s.mem")
	[ "$s" = asrs-new ] && opts=(--flows 2000000 --packets 1000000)
	[ "$s" = asrs-established ] && opts+=(--flows 100000)
	[ "$s" = trs-capsule ] && opts+=(--flows 1024 --pkt-size 128)
	local pids=()
	for ((i = 0; i < n; i++)); do
		f=$(cfg "inproc-$s" "$OUT/ip$i.sock")
		# shellcheck disable=SC2046
		timeout 90 "${LOADER[@]}" \
			"$BUNDLE/anyway-bench" -l "$i" --file-prefix "${TAG}ip$i" $(mem "$mb") \
			"${EAL[@]}" --vdev "net_ring0" --vdev "net_ring1" -- --in-process \
			--dp-config "$f" --templates "$BUNDLE/templates" --scenario "$s" \
			"${opts[@]}" --period 0 >"$OUT/inproc.$s.$n.$i.log" 2>&1 &
		pids+=($!)
	done
	PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i"; done
	local cyc=()
	for ((i = 0; i < n; i++)); do
		cyc+=("$(field "$OUT/inproc.$s.$n.$i.log" dp_cycles_per_pkt)")
	done
	printf '%s\n' "${cyc[@]}" | sort -g | awk -v n="$n" '
		{ v[NR] = $1 } END { if (NR == 0 || v[1] == "-") { print "- -"; exit }
		  print v[int((NR + 1) / 2)], v[NR] }'
}

if [ "$DO_INPROC" = 1 ]; then
	printf '%-28s %3s %12s %12s %6s\n' "in process (own dp each)" N "cyc/pkt med" "cyc/pkt max" eff >>"$SUMMARY"
	for s in asrs-established asrs-new trs-capsule; do
		for n in $LCORES; do
			[ "$n" -le "$NCPU" ] || continue
			read -r med worst < <(inproc "$s" "$n")
			[ "$n" = 1 ] && BASE[$s]=$worst
			eff=$(awk -v b="${BASE[$s]:--}" -v w="$worst" 'BEGIN {
				if (b == "-" || w == "-" || w == 0) print "-"; else printf "%.2f", b / w }')
			printf '%-28s %3s %12s %12s %6s\n' "$s" "$n" "$med" "$worst" "$eff" | tee -a "$SUMMARY"
		done
	done
fi

# ---- through ports ----
wait_ready() { # LOG PATTERN PID SECONDS
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

ports() { # FORWARDER(dp|testpmd) SCENARIO N -> "sum_mpps verdicts bottlenecks"
	local fw=$1 s=$2 n=$3 i f dcpu bcpu sock pids=() bpids=() mb=512 opts
	case "$s" in
	asrs-established) opts=(--flows 100000) ;;
	trs-capsule) opts=(--flows 1024 --pkt-size 128) ;;
	*) opts=(--flows 64) ;;
	esac
	[ "$fw" = dp ] && mb=$(cat "$BUNDLE/conf/ports-$s.mem")
	for ((i = 0; i < n; i++)); do
		dcpu=$i; bcpu=$((NCPU / 2 + i))
		sock=$OUT/m.$fw.$s.$n.$i
		local memif=(--vdev "net_memif0,role=server,socket=${sock}a.sock"
			--vdev "net_memif1,role=server,socket=${sock}b.sock")
		if [ "$fw" = dp ]; then
			f=$(cfg "ports-$s" "$OUT/dp.$n.$i.sock")
			# shellcheck disable=SC2046
			timeout 120 "${LOADER[@]}" \
				"$BUNDLE/anyway-dataplane" -l "$dcpu" --file-prefix "${TAG}d$i" $(mem "$mb") \
				"${EAL[@]}" "${memif[@]}" -- --config "$f" >"$sock.fwd.log" 2>&1 &
		else
			# shellcheck disable=SC2046
			timeout 120 "${LOADER[@]}" \
				"$BUNDLE/dpdk-testpmd" -l "$bcpu,$dcpu" --main-lcore "$bcpu" \
				--file-prefix "${TAG}t$i" $(mem 1024) "${EAL[@]}" "${memif[@]}" -- \
				--forward-mode=5tswap --nb-cores=1 --rxq=1 --txq=1 --rxd=1024 --txd=1024 \
				--burst=32 --total-num-mbufs=32768 --stats-period 1 --no-mlockall \
				</dev/null >"$sock.fwd.log" 2>&1 &
		fi
		pids+=($!)
	done
	PIDS+=("${pids[@]}")
	local pat=": ready"
	[ "$fw" = testpmd ] && pat="forwarding packets"
	for ((i = 0; i < n; i++)); do
		sock=$OUT/m.$fw.$s.$n.$i
		wait_ready "$sock.fwd.log" "$pat" "${pids[$i]}" 30 ||
			{ echo "forwarder $fw $s #$i did not start:" >&2; tail -5 "$sock.fwd.log" >&2; }
	done
	for ((i = 0; i < n; i++)); do
		bcpu=$((NCPU / 2 + i))
		sock=$OUT/m.$fw.$s.$n.$i
		local api=()
		[ "$fw" = dp ] && api=(--dp-api "$OUT/dp.$n.$i.sock")
		# shellcheck disable=SC2046
		timeout 90 "${LOADER[@]}" \
			"$BUNDLE/anyway-bench" -l "$bcpu" --file-prefix "${TAG}b$i" $(mem 512) "${EAL[@]}" \
			--vdev "net_memif0,role=client,socket=${sock}a.sock" \
			--vdev "net_memif1,role=client,socket=${sock}b.sock" -- "${api[@]}" \
			--templates "$BUNDLE/templates" --scenario "$s" "${opts[@]}" --duration "$DUR" \
			--period 0 >"$sock.bench.log" 2>&1 &
		bpids+=($!)
	done
	PIDS+=("${bpids[@]}")
	for i in "${bpids[@]}"; do wait "$i"; done
	for i in "${pids[@]}"; do kill -TERM "$i" 2>/dev/null; done
	for i in "${pids[@]}"; do wait "$i" 2>/dev/null; done
	local sum=0 ver="" bot=""
	for ((i = 0; i < n; i++)); do
		sock=$OUT/m.$fw.$s.$n.$i
		local r
		r=$(field "$sock.bench.log" rx_mpps)
		sum=$(awk -v a="$sum" -v b="$r" 'BEGIN { if (a == "-" || b !~ /^[0-9.]+$/) print "-"; else printf "%.3f", a + b }')
		ver="$ver$(field "$sock.bench.log" verdict | cut -c1-3),"
		bot="$bot$(field "$sock.bench.log" bottleneck | cut -c1-3),"
	done
	echo "$sum ${ver%,} ${bot%,}"
}

if [ "$DO_PORTS" = 1 ]; then
	printf '\n%-28s %3s %9s %9s %6s %6s  %s\n' "through ports (N pairs)" N "dp Mpps" "5tswap" ratio eff \
		"verdicts / bottlenecks (dp)" >>"$SUMMARY"
	for s in asrs-established trs-capsule; do
		for n in $LCORES; do
			[ $((2 * n)) -le "$NCPU" ] || continue
			read -r dsum dver dbot < <(ports dp "$s" "$n")
			read -r tsum _ _ < <(ports testpmd "$s" "$n")
			[ "$n" = 1 ] && BASE[p$s]=$dsum
			line=$(awk -v d="$dsum" -v t="$tsum" -v b="${BASE[p$s]:--}" -v n="$n" 'BEGIN {
				r = (d ~ /^[0-9.]+$/ && t ~ /^[0-9.]+$/ && t > 0) ? sprintf("%.2f", d / t) : "-"
				e = (d ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? sprintf("%.2f", d / (n * b)) : "-"
				print r, e }')
			read -r ratio eff <<<"$line"
			printf '%-28s %3s %9s %9s %6s %6s  %s / %s\n' "$s" "$n" "$dsum" "$tsum" "$ratio" "$eff" \
				"$dver" "$dbot" | tee -a "$SUMMARY"
		done
	done
fi

echo
echo "=== summary ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), memory $MEMMODE) ==="
cat "$SUMMARY"
echo "eff: in process cycles(1)/worst cycles(N); through ports Mpps(N)/(N x Mpps(1)). Logs: $OUT"
