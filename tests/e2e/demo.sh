#!/usr/bin/env bash
# `make demo`: a service moves between two hosts by a registration change, and
# the data plane follows. Builds if needed, prepares hugepages (or falls back
# to --no-huge), creates namespaces for a client, the router and two service
# hosts, starts anyway-mapd, anyway-dataplane on three af_packet ports with a
# listener VIP:80 -> asrs://demo.example/web, anyway-agent, and on each service
# host a real HTTP server and anyway-registrar (host A preferred: priority 10,
# host B: 20). curl through the VIP reaches host A; host A's registrar is
# stopped (it deregisters), and the next curl reaches host B; the time the
# move took is measured from the stop to the first answer from B. Then host A
# comes back, and its HTTP server is killed: the registrar's health check
# fails, host A is withdrawn (deregistered after `fall`, 3, failed checks in
# a row) and traffic moves to B again. Everything is
# removed at the end, also on failure or Ctrl-C. Exit 0 only if all worked.
#
#                client ns  10.11.0.2
#                    | veth
#   [ anyway-dataplane  port 0: 10.11.0.1   VIP 203.0.113.10, listener :80 ]
#   [  (router ns)      port 1: 10.12.0.1   port 2: 10.13.0.1               ]
#   [ anyway-mapd 0.0.0.0:7810, anyway-agent (kernel side of the router ns)  ]
#            | veth (data)   | veth (mgmt)       | veth (data)   | veth (mgmt)
#   host A ns 10.12.0.2:8080  10.99.1.2     host B ns 10.13.0.2:8080  10.99.2.2
#   (http server + anyway-registrar -> 10.99.1.1:7810 / 10.99.2.1:7810)
#
# Environment: AW_BUILD (build dir, default ./build), AW_DEMO_NO_BUILD=1 (use
# the binaries in AW_BUILD as they are), AW_DEMO_NO_HUGE=1 (force --no-huge),
# AW_DEMO_NO_INSTALL=1 (never call apt-get).
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AW_BUILD:-$REPO/build}
DP_BIN=$BUILD/dataplane/anyway-dataplane
MAPD_BIN=$BUILD/control/mapd/anyway-mapd
AGENT_BIN=$BUILD/control/agent/anyway-agent
REG_BIN=$BUILD/control/registrar/anyway-registrar
CTL_BIN=$BUILD/control/ctl/anyway-ctl
PY=/usr/bin/python3

# Names: prefix awe2e, our pid (so leftovers of a crashed run can be told from
# a live one), interface names <= 15 characters.
ID="awe2e_$$_demo"
TAG=$(printf '%04x' $(($$ % 65536)))
NS_R="${ID}_router" NS_C="${ID}_client" NS_A="${ID}_hosta" NS_B="${ID}_hostb"
IF_R0="awe2e${TAG}d0" IF_R1="awe2e${TAG}d1" IF_R2="awe2e${TAG}d2"
IF_C="awe2e${TAG}dc" IF_A="awe2e${TAG}da" IF_B="awe2e${TAG}db"
IF_RMA="awe2e${TAG}ma" IF_RMB="awe2e${TAG}mb" IF_AM="awe2e${TAG}na" IF_BM="awe2e${TAG}nb"
TMP="/tmp/${ID}"
SOCK="$TMP/dp.sock"
AGENT_SOCK="$TMP/agent.sock"
VIP=203.0.113.10
URI=asrs://demo.example/web
HTTP_PORT=8080
MAPD_PORT=7810
TTL=3 # registrations: renewed every ttl/3 while the health check passes
DP_PID="" MAPD_PID="" AGENT_PID="" HTTP_A_PID="" HTTP_B_PID="" REG_A_PID="" REG_B_PID=""

c_bold=$'\e[1m' c_green=$'\e[32m' c_red=$'\e[31m' c_off=$'\e[0m'
[ -t 1 ] || { c_bold=""; c_green=""; c_red=""; c_off=""; }
STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s==> [%d] %s%s\n' "$c_bold" "$STEP" "$*" "$c_off"; }
ok() { printf '    %sok%s  %s\n' "$c_green" "$c_off" "$*"; }
info() { printf '    %s\n' "$*"; }
indent() { sed 's/^/    /'; }
die() {
	printf '\n%sDEMO FAILED%s at step %d: %s\n' "$c_red$c_bold" "$c_off" "$STEP" "$*" >&2
	local f
	for f in dp mapd agent reg_a reg_b http_a http_b; do
		if [ -s "$TMP/$f.log" ]; then
			printf -- '--- %s log (last 15 lines) ---\n' "$f" >&2
			tail -n 15 "$TMP/$f.log" >&2
		fi
	done
	exit 1
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
ctl() { "$CTL_BIN" --socket "$SOCK" "$@"; }
# TLS 1.3 on the control channels: the demo's own CA in $TMP/pki (made below)
PKI="$TMP/pki"
tls() { echo --ca "$PKI/ca.pem" --cert "$PKI/$1.pem" --key "$PKI/$1.key"; } # no spaces in $TMP
ctl_mapd() { in_ns "$NS_R" "$CTL_BIN" --mapd "127.0.0.1:$MAPD_PORT" $(tls admin) "$@"; }

# ----------------------------------------------------------------------------
# cleanup: always, whatever happened

kill_ns_procs() { # $1 = namespace
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null || true)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # one pid per word
		kill -9 $pids 2>/dev/null || true
	fi
}

stop_pid() { # $1 = pid (may be empty): SIGTERM, 5 s, SIGKILL
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM ERR
	local p
	for p in "$REG_A_PID" "$REG_B_PID" "$AGENT_PID" "$MAPD_PID" "$HTTP_A_PID" "$HTTP_B_PID" "$DP_PID"; do
		stop_pid "$p"
	done
	for ns in "$NS_C" "$NS_A" "$NS_B" "$NS_R"; do
		if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			kill_ns_procs "$ns"
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	rm -rf "$TMP" "/var/run/dpdk/$ID"
	printf '\n==> cleaned up (namespaces, veths, processes, %s)\n' "$TMP"
	exit "$rc"
}

# Leftovers of earlier demo / e2e runs whose process is gone.
cleanup_stale() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}' | grep -E '^awe2e_[0-9]+_' || true); do
		pid=${ns#awe2e_}; pid=${pid%%_*}
		if ! kill -0 "$pid" 2>/dev/null; then
			kill_ns_procs "$ns"
			ip netns del "$ns" 2>/dev/null || true
			info "removed stale namespace $ns"
		fi
	done
	for d in /tmp/awe2e_*_* /var/run/dpdk/awe2e_*_*; do
		[ -e "$d" ] || continue
		pid=${d##*/awe2e_}; pid=${pid%%_*}
		case $pid in '' | *[!0-9]*) continue ;; esac
		kill -0 "$pid" 2>/dev/null || rm -rf "$d"
	done
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND (a quiet check, which may
# itself die) every 50 ms until it succeeds; dies naming WHAT after SECONDS.
wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$(($(now_ms) + secs * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || die "$what: not within $secs s"
		sleep 0.05
	done
}

# A daemon that must still be running.
alive() { # pid name
	kill -0 "$1" 2>/dev/null || die "$2 exited: $(tail -n 5 "$TMP/$3.log" 2>/dev/null)"
}

# ----------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, hugepages): run 'sudo make demo'"

step "checking tools"
declare -A PKG=([ip]=iproute2 [ethtool]=ethtool [curl]=curl)
missing=()
for t in "${!PKG[@]}"; do command -v "$t" >/dev/null || missing+=("${PKG[$t]}"); done
[ -x "$PY" ] || missing+=(python3)
if [ "${AW_DEMO_NO_BUILD:-0}" != 1 ] && ! command -v meson >/dev/null; then
	missing+=(build-essential meson ninja-build pkg-config dpdk-dev libdpdk-dev
		libipsec-mb-dev libssl-dev libjansson-dev libpcap-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
	if [ "${AW_DEMO_NO_INSTALL:-0}" = 1 ] || ! command -v apt-get >/dev/null; then
		die "missing Debian packages: ${missing[*]}"
	fi
	info "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
ok "ip, ethtool, curl, $PY"

step "building"
if [ "${AW_DEMO_NO_BUILD:-0}" = 1 ]; then
	info "AW_DEMO_NO_BUILD=1: using the binaries in $BUILD as they are"
else
	blog="/tmp/${ID}.build.log"
	if [ ! -f "$BUILD/build.ninja" ]; then
		info "meson setup $BUILD"
		(cd "$REPO" && meson setup "$BUILD") >"$blog" 2>&1 ||
			{ tail -n 30 "$blog" >&2; rm -f "$blog"; die "meson setup failed"; }
	fi
	info "ninja -C $BUILD"
	ninja -C "$BUILD" >"$blog" 2>&1 ||
		{ tail -n 30 "$blog" >&2; rm -f "$blog"; die "build failed"; }
	rm -f "$blog"
fi
for b in "$DP_BIN" "$MAPD_BIN" "$AGENT_BIN" "$REG_BIN" "$CTL_BIN"; do
	[ -x "$b" ] || die "no binary at $b"
	if "$b" --help 2>&1 | grep -q 'not implemented yet'; then
		die "$(basename "$b") in $BUILD is still the --help-only front: this demo needs the real one"
	fi
	info "$(basename "$b"): $("$b" --version 2>/dev/null | head -n 1)"
done
ok "binaries under $BUILD"

trap cleanup EXIT
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
cleanup_stale
mkdir -p "$TMP"

step "making the control plane's CA and certificates (deploy/pki/anyway-pki, TLS 1.3)"
"$REPO/deploy/pki/anyway-pki" init "$PKI" >/dev/null
for n in mapd agent registrar admin; do
	"$REPO/deploy/pki/anyway-pki" issue "$PKI" "$n" >/dev/null
done
ok "CA and certificates for mapd, agent, registrar, admin in $PKI"

step "preparing hugepages"
nr=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$nr" -lt 256 ]; then
	echo 256 >/proc/sys/vm/nr_hugepages 2>/dev/null || true # never shrink a bigger pool
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${AW_DEMO_NO_HUGE:-0}" != 1 ] && mountpoint -q /dev/hugepages && [ "${free:-0}" -ge 64 ]; then
	MEM_ARGS=(--in-memory)
	ok "$free free 2 MiB hugepages on /dev/hugepages"
elif [ "${AW_DEMO_NO_HUGE:-0}" = 1 ]; then
	MEM_ARGS=(--no-huge -m 512)
	ok "AW_DEMO_NO_HUGE=1: --no-huge -m 512"
else
	MEM_ARGS=(--no-huge -m 512)
	ok "no usable hugepages (free: ${free:-0}): falling back to --no-huge -m 512"
fi

step "creating namespaces client / router / host A / host B and veth pairs"
for ns in "$NS_R" "$NS_C" "$NS_A" "$NS_B"; do
	ip netns add "$ns" || die "ip netns add $ns"
	in_ns "$ns" ip link set lo up
done
veth() { # ns_a if_a ns_b if_b: offloads off on both ends (af_packet would see
	# unfinished checksums otherwise), both up
	ip link add name "$2" netns "$1" type veth peer name "$4" netns "$3"
	in_ns "$1" ethtool -K "$2" rx off tx off tso off gso off gro off >/dev/null
	in_ns "$3" ethtool -K "$4" rx off tx off tso off gso off gro off >/dev/null
	in_ns "$1" ip link set "$2" up
	in_ns "$3" ip link set "$4" up
}
veth "$NS_R" "$IF_R0" "$NS_C" "$IF_C"
veth "$NS_R" "$IF_R1" "$NS_A" "$IF_A"
veth "$NS_R" "$IF_R2" "$NS_B" "$IF_B"
veth "$NS_R" "$IF_RMA" "$NS_A" "$IF_AM"
veth "$NS_R" "$IF_RMB" "$NS_B" "$IF_BM"
# The router's data ends belong to the data plane: no kernel IPv6, no address.
in_ns "$NS_R" sysctl -qw "net.ipv6.conf.$IF_R0.disable_ipv6=1" \
	"net.ipv6.conf.$IF_R1.disable_ipv6=1" "net.ipv6.conf.$IF_R2.disable_ipv6=1"
in_ns "$NS_C" ip addr add 10.11.0.2/24 dev "$IF_C"
in_ns "$NS_C" ip route add default via 10.11.0.1
in_ns "$NS_A" ip addr add 10.12.0.2/24 dev "$IF_A"
in_ns "$NS_A" ip route add default via 10.12.0.1
in_ns "$NS_B" ip addr add 10.13.0.2/24 dev "$IF_B"
in_ns "$NS_B" ip route add default via 10.13.0.1
# Management links (kernel to kernel): the registrars reach the map server.
in_ns "$NS_R" ip addr add 10.99.1.1/30 dev "$IF_RMA"
in_ns "$NS_A" ip addr add 10.99.1.2/30 dev "$IF_AM"
in_ns "$NS_R" ip addr add 10.99.2.1/30 dev "$IF_RMB"
in_ns "$NS_B" ip addr add 10.99.2.2/30 dev "$IF_BM"
ok "client $NS_C  10.11.0.2"
ok "router $NS_R  data ports $IF_R0 $IF_R1 $IF_R2 (data plane), management 10.99.1.1 10.99.2.1"
ok "host A $NS_A  10.12.0.2 (management 10.99.1.2)"
ok "host B $NS_B  10.13.0.2 (management 10.99.2.2)"

step "starting anyway-mapd in the router namespace (0.0.0.0:$MAPD_PORT)"
ip netns exec "$NS_R" "$MAPD_BIN" --listen "0.0.0.0:$MAPD_PORT" $(tls mapd) >"$TMP/mapd.log" 2>&1 &
MAPD_PID=$!
mapd_up() {
	alive "$MAPD_PID" anyway-mapd mapd
	ctl_mapd services >/dev/null 2>&1
}
wait_for 10 "anyway-mapd listening" mapd_up
ok "anyway-mapd pid $MAPD_PID"

step "starting anyway-dataplane on three af_packet ports (listener $VIP:80 -> $URI)"
cat >"$TMP/dataplane.json" <<EOF
{
  "ports": [
    {"port": 0, "mac": "02:00:00:00:01:01", "addrs": ["10.11.0.1/24"]},
    {"port": 1, "mac": "02:00:00:00:02:01", "addrs": ["10.12.0.1/24"]},
    {"port": 2, "mac": "02:00:00:00:03:01", "addrs": ["10.13.0.1/24"]}
  ],
  "vips": [{"addr": "$VIP"}],
  "asrs": {"port": 6868},
  "listeners": [{"vip": "$VIP", "proto": "tcp", "port": 80, "service": "$URI"}],
  "api": {"unix": "$SOCK"},
  "idle_sleep_us": 100
}
EOF
DP_ARGS=(-l 0 --no-pci --file-prefix "$ID" "${MEM_ARGS[@]}"
	--vdev "net_af_packet0,iface=$IF_R0,qpairs=1" --vdev "net_af_packet1,iface=$IF_R1,qpairs=1"
	--vdev "net_af_packet2,iface=$IF_R2,qpairs=1" -- --config "$TMP/dataplane.json")
info "ip netns exec $NS_R $DP_BIN ${DP_ARGS[*]}"
# (a plain command, so that $! is the data plane itself: ip netns exec execs it)
ip netns exec "$NS_R" "$DP_BIN" "${DP_ARGS[@]}" >"$TMP/dp.log" 2>&1 &
DP_PID=$!
for _ in $(seq 300); do # 30 s at most
	grep -q ': ready$' "$TMP/dp.log" && [ -S "$SOCK" ] && break
	kill -0 "$DP_PID" 2>/dev/null || die "data plane exited before it was ready: $(grep '^anyway-dataplane:' "$TMP/dp.log" | tail -n 3)"
	sleep 0.1
done
grep -q ': ready$' "$TMP/dp.log" || die "data plane not ready within 30 s"
ok "ready (pid $DP_PID)"
ctl listeners | indent

step "starting anyway-agent (map server -> data plane)"
AGENT_ARGS=(--mapd "127.0.0.1:$MAPD_PORT" --dataplane "$SOCK" $(tls agent))
status_flag=""
for f in --status-socket --status --socket; do
	if "$AGENT_BIN" --help 2>&1 | grep -q -- "$f "; then status_flag=$f; break; fi
done
[ -n "$status_flag" ] && AGENT_ARGS+=("$status_flag" "$AGENT_SOCK")
info "$AGENT_BIN ${AGENT_ARGS[*]}"
ip netns exec "$NS_R" "$AGENT_BIN" "${AGENT_ARGS[@]}" >"$TMP/agent.log" 2>&1 &
AGENT_PID=$!
subscribed() {
	alive "$AGENT_PID" anyway-agent agent
	ctl_mapd subscribers 2>/dev/null | grep -qv '^(none)'
}
wait_for 10 "agent subscribed to the map server" subscribed
alive "$AGENT_PID" anyway-agent agent
ok "anyway-agent pid $AGENT_PID, subscribed:"
ctl_mapd subscribers | indent
if [ -n "$status_flag" ]; then
	wait_for 5 "agent status socket" test -S "$AGENT_SOCK"
	"$CTL_BIN" --agent "$AGENT_SOCK" status | indent || true
fi

step "starting an HTTP server and anyway-registrar on each service host"
start_host() { # name ns addr mgmt-gw priority -> sets HTTP_x_PID and REG_x_PID
	local name=$1 ns=$2 addr=$3 gw=$4 prio=$5 lc
	lc=$(echo "$name" | tr 'AB' 'ab')
	ip netns exec "$ns" "$PY" "$REPO/tests/e2e/demo_http.py" "$addr" "$HTTP_PORT" "host $name" \
		>"$TMP/http_$lc.log" 2>&1 &
	eval "HTTP_${name}_PID=$!"
	wait_for 10 "http server on host $name" grep -q '^serving on' "$TMP/http_$lc.log"
	start_registrar "$name" "$ns" "$addr" "$gw" "$prio"
	info "host $name: http://$addr:$HTTP_PORT/ says \"$(in_ns "$ns" curl -sS --max-time 3 "http://$addr:$HTTP_PORT/")\""
}
start_registrar() { # name ns addr mgmt-gw priority
	local name=$1 ns=$2 addr=$3 gw=$4 prio=$5 lc
	lc=$(echo "$name" | tr 'AB' 'ab')
	local args=(--mapd "$gw:$MAPD_PORT" --service "$URI" --addr "$addr" --port "$HTTP_PORT"
		--priority "$prio" --weight 100 --ttl "$TTL" --check http:/ $(tls registrar))
	info "host $name: anyway-registrar ${args[*]}"
	ip netns exec "$ns" "$REG_BIN" "${args[@]}" >>"$TMP/reg_$lc.log" 2>&1 &
	eval "REG_${name}_PID=$!"
}
start_host A "$NS_A" 10.12.0.2 10.99.1.1 10
start_host B "$NS_B" 10.13.0.2 10.99.2.1 20
has_dests() { # addr:port... that the data plane's service must list (all of them)
	local out d
	out=$(ctl services 2>/dev/null) || return 1
	for d in "$@"; do grep -q " $d " <<<"$out " || return 1; done
}
lacks_dest() { ! ctl services 2>/dev/null | grep -q " $1 "; }
wait_for 15 "both registrations applied in the data plane" \
	has_dests "10.12.0.2:$HTTP_PORT" "10.13.0.2:$HTTP_PORT"
alive "$REG_A_PID" "host A's registrar" reg_a
alive "$REG_B_PID" "host B's registrar" reg_b
ok "registered; the map server has:"
ctl_mapd services | indent
ok "and the data plane has (through the agent):"
ctl services | indent

step "curl http://$VIP/ from the client (through the VIP)"
fetch() { in_ns "$NS_C" curl -sS --max-time "${1:-3}" "http://$VIP/" 2>/dev/null; }
for _ in 1 2 3; do
	body=$(fetch) || die "curl http://$VIP/ failed"
	info "GET http://$VIP/ -> \"$body\""
	[[ $body == "served by host A"* ]] || die "expected host A (preferred, priority 10), got '$body'"
done
ok "host A answers (priority 10 beats 20)"

# move_to_b WHAT: polls curl until host B answers; prints the time since T0.
move_to_b() {
	local t_b="" n_a=0 n_fail=0 deadline=$(($(now_ms) + ${2:-15} * 1000)) body
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if body=$(fetch 1); then
			if [[ $body == "served by host B"* ]]; then t_b=$(now_ms); break; fi
			n_a=$((n_a + 1))
		else
			n_fail=$((n_fail + 1))
		fi
		sleep 0.01
	done
	[ -n "$t_b" ] || die "$1: host B never answered within ${2:-15} s"
	info "GET http://$VIP/ -> \"$body\""
	info "meanwhile: $n_a answers from host A, $n_fail failed requests"
	MOVE_MS=$((t_b - T0))
}

step "stopping host A's registrar (SIGTERM: it deregisters)"
T0=$(now_ms)
kill -TERM "$REG_A_PID"
move_to_b "after host A's registrar stopped" 15
wait "$REG_A_PID" 2>/dev/null && rc=0 || rc=$?
REG_A_PID=""
[ "$rc" -eq 0 ] || die "host A's registrar exited with $rc after SIGTERM (want 0)"
printf '    %sthe service moved to host B in %d ms%s (stop -> first answer from B)\n' \
	"$c_bold" "$MOVE_MS" "$c_off"
MOVE1_MS=$MOVE_MS
lacks_dest "10.12.0.2:$HTTP_PORT" || die "host A still in the data plane's service"
ctl services | indent
ok "host A withdrawn, host B serves"

step "host A comes back (registrar restarted): traffic returns to the preferred host"
start_registrar A "$NS_A" 10.12.0.2 10.99.1.1 10
wait_for 15 "host A back in the data plane" has_dests "10.12.0.2:$HTTP_PORT"
body=$(fetch) || die "curl http://$VIP/ failed"
info "GET http://$VIP/ -> \"$body\""
[[ $body == "served by host A"* ]] || die "expected host A again, got '$body'"
ok "host A answers again"

step "host A's HTTP server dies: the health check fails, host A is withdrawn (at the latest when its ttl of $TTL s runs out)"
T0=$(now_ms)
kill -9 "$HTTP_A_PID"
wait "$HTTP_A_PID" 2>/dev/null || true
HTTP_A_PID=""
move_to_b "after host A's server died" $((TTL * 3 + 10))
printf '    %sthe service moved to host B in %d ms%s (server killed -> first answer from B:\n' \
	"$c_bold" "$MOVE_MS" "$c_off"
info "the registrar's health check failed, so host A was withdrawn; the ttl of $TTL s bounds it)"
MOVE2_MS=$MOVE_MS
alive "$REG_A_PID" "host A's registrar (it must keep running while its check fails)" reg_a
ok "host B serves"

step "what the operator sees (anyway-ctl)"
info "\$ anyway-ctl sessions limit 6      (the newest first; curl's sessions are closing)"
ctl sessions limit 6 | indent
info "\$ anyway-ctl stats      (the summary part)"
ctl stats | sed -n '1,/^$/p' | indent
if [ -n "$status_flag" ]; then
	info "\$ anyway-ctl --agent $AGENT_SOCK status"
	"$CTL_BIN" --agent "$AGENT_SOCK" status | indent || true
fi

step "stopping everything with SIGTERM"
for v in REG_A_PID REG_B_PID AGENT_PID MAPD_PID; do
	p=${!v}
	[ -n "$p" ] || continue
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && die "$v $p still running 10 s after SIGTERM"
	wait "$p" 2>/dev/null && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || die "${v%_PID} exited with $rc after SIGTERM (want 0)"
	eval "$v=''"
done
kill -TERM "$DP_PID"
rc=""
for _ in $(seq 100); do
	if ! kill -0 "$DP_PID" 2>/dev/null; then
		wait "$DP_PID" && rc=0 || rc=$?
		break
	fi
	sleep 0.1
done
[ -n "$rc" ] || die "data plane still running 10 s after SIGTERM"
DP_PID=""
[ "$rc" -eq 0 ] || die "data plane exited with $rc"
[ ! -e "$SOCK" ] || die "API socket $SOCK left behind"
ok "every daemon exited 0"

printf '\n%sDEMO OK%s: %s moved from host A to host B in %d ms when A'"'"'s registrar stopped, and in %d ms when A'"'"'s server died.\n' \
	"$c_green$c_bold" "$c_off" "$URI" "$MOVE1_MS" "$MOVE2_MS"
