# shellcheck shell=bash
# bench_lib.sh — shared by run.sh, compare.sh and callgrind.sh: locating the
# binaries, EAL memory options, starting the forwarder under test (the data
# plane, or dpdk-testpmd) as the memif server on CPU 1, running anyway-bench as
# the memif client on CPU 0, and cleaning up whatever was started.
#
# Order that survives the DPDK 22.11 memif PMD: the forwarder starts first
# (server), the bench connects, sends, stops its traffic and exits; only then
# is the forwarder stopped (SIGTERM, SIGKILL after 10 s).

AWB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AW_BUILD=${AW_BUILD:-$AWB_ROOT/build}
BENCH=${AW_BENCH:-$AW_BUILD/bench/anyway-bench}
DATAPLANE=${AW_DATAPLANE:-$AW_BUILD/dataplane/anyway-dataplane}
TESTPMD=${AW_TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3
AWB_DIR=$(mktemp -d /tmp/awb.XXXXXX)
AWB_FWD_PID=
AWB_TAG=awb$$
AWB_SOCK=$AWB_DIR/m   # memif sockets (abstract names): new ones for every forwarder
AWB_FWD_LOG=$AWB_DIR/fwd.log

awb_cleanup() {
	awb_stop_fwd
	if [ "${AW_BENCH_KEEP:-0}" = 1 ]; then echo "kept $AWB_DIR" >&2; else rm -rf "$AWB_DIR"; fi
	rm -rf /var/run/dpdk/"$AWB_TAG"* 2>/dev/null
}
trap awb_cleanup EXIT
trap 'exit 130' INT TERM

# EAL memory: hugepages (in-memory, nothing left behind) when enough are free.
awb_mem() {
	local free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo 2>/dev/null)
	if [ "${AW_BENCH_NO_HUGE:-0}" != 1 ] && [ "${free:-0}" -ge 300 ]; then
		echo "--in-memory"
	else
		echo "--no-huge -m 512"
	fi
}

# EAL memory for a data plane that needs $1 MB (templates.py --mem-mb):
# hugepages when enough are free, else that much ordinary memory; fails with
# a message naming the need when the machine has not got it.
awb_dp_mem() {
	local need=$1 free hp avail
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo 2>/dev/null)
	hp=$(awk '/^Hugepagesize:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null)
	if [ "${AW_BENCH_NO_HUGE:-0}" != 1 ] && [ "${free:-0}" -ge 300 ] &&
		[ $(( ${free:-0} * ${hp:-2} )) -ge "$need" ]; then
		echo "--in-memory"
		return 0
	fi
	avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null)
	if [ "${avail:-0}" -lt "$need" ]; then
		echo "bench: the data plane needs about $need MB for these tables (templates.py" \
			"--mem-mb) and $avail MB are available (hugepages: ${free:-0} free):" \
			"refusing rather than running with smaller tables; use fewer --flows" >&2
		return 1
	fi
	[ "$need" -lt 512 ] && need=512
	echo "--no-huge -m $need"
}

# The value of --flows among anyway-bench's options "$@" (64, the bench's
# default, when absent).
awb_flows() {
	local flows=64
	while [ $# -gt 0 ]; do
		case "$1" in
		--flows) flows=${2:-64}; shift ;;
		--flows=*) flows=${1#--flows=} ;;
		esac
		shift
	done
	echo "$flows"
}

# The value of --suite among anyway-bench's options "$@" (1 when absent).
awb_suite() {
	local suite=1
	while [ $# -gt 0 ]; do
		case "$1" in
		--suite) suite=${2:-1}; shift ;;
		--suite=*) suite=${1#--suite=} ;;
		esac
		shift
	done
	echo "$suite"
}

# templates.py's --suite for scenario $1 whose bench options are $2...: the
# paths of the gateway and TRS scenarios are of the bench's --suite (it seals
# the gateway capsules and tags trs-signaling's messages with it).
awb_dp_suite() {
	local sc=$1
	shift
	case "$sc" in gateway-*|trs-*|mixed) echo "--suite $(awb_suite "$@")" ;; esac
}

# The bench's --templates for scenario $1 whose bench options are $2...:
# nothing, the build's templates fit every suite and --flows (anyway-bench
# tags the TRS scenarios' path binding itself with --suite, bench/ab_bind.h).
# Kept for the callers.
awb_templates() {
	return 0
}

# $1 role -> the two memif vdev options (this forwarder's sockets).
# AW_BENCH_ZC=1: the client (anyway-bench) in memif zero-copy mode (its mbufs
# are the shared buffers; the PMD needs EAL --single-file-segments: awb_bench).
awb_memif() {
	local zc=
	[ "$1" = client ] && [ "${AW_BENCH_ZC:-0}" = 1 ] && zc=,zero-copy=yes
	echo "--vdev net_memif0,role=$1,socket=${AWB_SOCK}a.sock$zc --vdev net_memif1,role=$1,socket=${AWB_SOCK}b.sock$zc"
}

awb_new_sock() { # never reuse a name: compare.sh starts forwarders in subshells
	AWB_SOCK=$AWB_DIR/m$BASHPID.$RANDOM
	AWB_FWD_LOG=$AWB_SOCK.log   # the forwarder's output, its own file
}

awb_wait_file() { # $1 file, $2 pattern, $3 seconds
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		[ -n "$AWB_FWD_PID" ] && ! kill -0 "$AWB_FWD_PID" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# The data plane on CPU 1 (several lcores there in pipeline mode).
# $1 scenario, $2 workers, $3 the run's --flows (sizes its tables), $4
# asrs.max_sessions or "-" (sized from the flows), $5 more templates.py
# options (awb_dp_suite). Sets AWB_API. Returns 2 when the tables cannot be
# sized (message on stderr).
awb_start_dp() {
	local lcores="-l 1" need mem sess=() more
	read -r -a more <<<"${5:-}"
	awb_new_sock
	AWB_API=$AWB_DIR/dp.sock
	[ "${4:--}" != - ] && sess=(--sessions "$4")
	need=$($PY "$AWB_ROOT/bench/templates.py" --dp-config "$1" --api "$AWB_API" --workers "$2" \
		--flows "${3:-64}" "${sess[@]}" "${more[@]}" --out "$AWB_DIR/dp.json" --mem-mb) || return 2
	mem=$(awb_dp_mem "$need") || return 2
	if [ "$1" = pipeline ]; then
		lcores="--lcores $(seq -s, 0 $(($2 + 2)) | sed 's/\([0-9]*\)/\1@1/g')"
	fi
	# shellcheck disable=SC2046,SC2086
	"$DATAPLANE" $lcores --file-prefix "${AWB_TAG}dp" --no-pci --no-telemetry $mem \
		$(awb_memif server) --log-level=error -- --config "$AWB_DIR/dp.json" \
		>"$AWB_FWD_LOG" 2>&1 &
	AWB_FWD_PID=$!
	# a config of 1M relay paths (~200 MB of JSON) takes a while to load
	awb_wait_file "$AWB_FWD_LOG" ": ready" $((20 + ${3:-64} / 10000)) ||
		{ cat "$AWB_FWD_LOG" >&2; return 1; }
}

# dpdk-testpmd on CPU 1 forwarding memif0 -> memif1; $1 forward mode.
awb_start_testpmd() {
	AWB_API=
	awb_new_sock
	# shellcheck disable=SC2046
	"$TESTPMD" -l 0,1 --main-lcore 0 --file-prefix "${AWB_TAG}tp" --no-pci --no-telemetry \
		$(awb_mem) $(awb_memif server) --log-level=error -- --forward-mode="$1" \
		--nb-cores=1 --rxq=1 --txq=1 --rxd=1024 --txd=1024 --burst=32 \
		--total-num-mbufs=32768 --stats-period 1 --no-mlockall </dev/null \
		>"$AWB_FWD_LOG" 2>&1 &
	AWB_FWD_PID=$!
	awb_wait_file "$AWB_FWD_LOG" "forwarding packets" 20 ||
		{ cat "$AWB_FWD_LOG" >&2; return 1; }
}

awb_stop_fwd() {
	local i
	[ -z "$AWB_FWD_PID" ] && return 0
	kill -TERM "$AWB_FWD_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do  # gone, or a zombie waiting for wait
		case "$(ps -o stat= -p "$AWB_FWD_PID" 2>/dev/null)" in ''|Z*) break ;; esac
		sleep 0.1
	done
	kill -KILL "$AWB_FWD_PID" 2>/dev/null
	wait "$AWB_FWD_PID" 2>/dev/null
	AWB_FWD_PID=
}

# anyway-bench on CPU 0 as the memif client; extra arguments go to the bench.
awb_bench() {
	local api=() sfs=
	[ -n "$AWB_API" ] && api=(--dp-api "$AWB_API")
	[ "${AW_BENCH_ZC:-0}" = 1 ] && sfs=--single-file-segments
	# shellcheck disable=SC2046,SC2086
	timeout 700 "$BENCH" -l 0 --file-prefix "${AWB_TAG}b" --no-pci --no-telemetry $(awb_mem) $sfs \
		$(awb_memif client) --log-level=error -- "${api[@]}" "$@"
}
