#!/usr/bin/env bash
# `make demo`: the data plane between two network namespaces, driven by real
# kernel clients. Builds if needed, prepares hugepages (or falls back to
# --no-huge), starts anyway-dataplane on two af_packet ports, pings it, pings
# and fetches HTTP through it, prints its counters, stops it with SIGTERM and
# removes everything it created (also on failure or Ctrl-C).
# Exit 0 only if every step worked.
#
#   client ns  10.11.0.2 / 2001:db8:11::2
#       | veth
#   [ anyway-dataplane  port 0: 10.11.0.1 / 2001:db8:11::1  VIP 203.0.113.10 ]
#   [                   port 1: 10.12.0.1 / 2001:db8:12::1                   ]
#       | veth
#   server ns  10.12.0.2 / 2001:db8:12::2   (python3 http.server on port 8080)
#
# Environment: AW_BUILD (build dir, default ./build), AW_DATAPLANE (binary; set
# it to skip the build step), AW_DEMO_NO_HUGE=1 (force --no-huge),
# AW_DEMO_NO_INSTALL=1 (never call apt-get).
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AW_BUILD:-$REPO/build}
DP_BIN=${AW_DATAPLANE:-$BUILD/dataplane/anyway-dataplane}
PY=/usr/bin/python3

# Names: prefix awe2e, our pid (so leftovers of a crashed run can be told from
# a live one), interface names <= 15 characters.
ID="awe2e_$$_demo"
TAG=$(printf '%04x' $(($$ % 65536)))
NS_R="${ID}_router" NS_C="${ID}_client" NS_S="${ID}_server"
IF_R0="awe2e${TAG}d0" IF_R1="awe2e${TAG}d1" IF_C="awe2e${TAG}dc" IF_S="awe2e${TAG}ds"
TMP="/tmp/${ID}"
SOCK="$TMP/dp.sock"
DP_PID=""
HTTP_PID=""
HTTP_PORT=8080

c_bold=$'\e[1m' c_green=$'\e[32m' c_red=$'\e[31m' c_off=$'\e[0m'
[ -t 1 ] || { c_bold=""; c_green=""; c_red=""; c_off=""; }
STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s==> [%d] %s%s\n' "$c_bold" "$STEP" "$*" "$c_off"; }
ok() { printf '    %sok%s  %s\n' "$c_green" "$c_off" "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
	printf '\n%sDEMO FAILED%s at step %d: %s\n' "$c_red$c_bold" "$c_off" "$STEP" "$*" >&2
	if [ -s "$TMP/dp.log" ]; then
		printf -- '--- data plane log (last 20 lines) ---\n' >&2
		tail -n 20 "$TMP/dp.log" >&2
	fi
	exit 1
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

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

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
		kill -TERM "$DP_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DP_PID" 2>/dev/null || true
	fi
	if [ -n "$HTTP_PID" ]; then
		kill -TERM "$HTTP_PID" 2>/dev/null || true
		wait "$HTTP_PID" 2>/dev/null || true
	fi
	for ns in "$NS_C" "$NS_S" "$NS_R"; do
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

# ----------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, hugepages): run 'sudo make demo'"

step "checking tools"
declare -A PKG=([ip]=iproute2 [ethtool]=ethtool [ping]=iputils-ping [curl]=curl)
missing=()
for t in "${!PKG[@]}"; do command -v "$t" >/dev/null || missing+=("${PKG[$t]}"); done
[ -x "$PY" ] || missing+=(python3)
if [ -z "${AW_DATAPLANE:-}" ] && ! command -v meson >/dev/null; then
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
ok "ip, ethtool, ping, curl, $PY"

step "building the data plane"
if [ -n "${AW_DATAPLANE:-}" ]; then
	info "AW_DATAPLANE set: using $DP_BIN as is"
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
[ -x "$DP_BIN" ] || die "no data plane binary at $DP_BIN"
ok "$DP_BIN ($("$DP_BIN" --version 2>/dev/null || echo '?'))"

trap cleanup EXIT
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
cleanup_stale
mkdir -p "$TMP"

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
else
	MEM_ARGS=(--no-huge -m 512)
	ok "no usable hugepages (free: ${free:-0}): falling back to --no-huge -m 512"
fi

step "creating namespaces client / router / server and veth pairs"
for ns in "$NS_R" "$NS_C" "$NS_S"; do
	ip netns add "$ns" || die "ip netns add $ns"
	in_ns "$ns" ip link set lo up
done
ip link add name "$IF_R0" netns "$NS_R" type veth peer name "$IF_C" netns "$NS_C"
ip link add name "$IF_R1" netns "$NS_R" type veth peer name "$IF_S" netns "$NS_S"
# The router ends belong to the data plane: no kernel IPv6 (no link-local,
# no RS/MLD) and no addresses. Offloads off on both ends: af_packet would
# otherwise see unfinished checksums.
for pair in "$NS_R:$IF_R0" "$NS_R:$IF_R1" "$NS_C:$IF_C" "$NS_S:$IF_S"; do
	ns=${pair%%:*} ifn=${pair#*:}
	in_ns "$ns" ethtool -K "$ifn" rx off tx off tso off gso off gro off >/dev/null
done
in_ns "$NS_R" sysctl -qw "net.ipv6.conf.$IF_R0.disable_ipv6=1" "net.ipv6.conf.$IF_R1.disable_ipv6=1"
setup_host() { # ns ifname v4 v6 gw4 gw6
	in_ns "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" "net.ipv6.conf.$2.accept_ra=0"
	in_ns "$1" ip link set "$2" up
	in_ns "$1" ip addr add "$3/24" dev "$2"
	in_ns "$1" ip -6 addr add "$4/64" dev "$2" nodad
	in_ns "$1" ip route add default via "$5"
	in_ns "$1" ip -6 route add default via "$6"
}
in_ns "$NS_R" ip link set "$IF_R0" up
in_ns "$NS_R" ip link set "$IF_R1" up
setup_host "$NS_C" "$IF_C" 10.11.0.2 2001:db8:11::2 10.11.0.1 2001:db8:11::1
setup_host "$NS_S" "$IF_S" 10.12.0.2 2001:db8:12::2 10.12.0.1 2001:db8:12::1
ok "client $NS_C ($IF_C 10.11.0.2, 2001:db8:11::2)"
ok "router $NS_R ($IF_R0, $IF_R1: owned by the data plane)"
ok "server $NS_S ($IF_S 10.12.0.2, 2001:db8:12::2)"

step "starting anyway-dataplane on two af_packet ports"
cat >"$TMP/dataplane.json" <<EOF
{
  "ports": [
    {"port": 0, "mac": "02:00:00:00:01:01", "addrs": ["10.11.0.1/24", "2001:db8:11::1/64"]},
    {"port": 1, "mac": "02:00:00:00:02:01", "addrs": ["10.12.0.1/24", "2001:db8:12::1/64"]}
  ],
  "vips": [{"addr": "203.0.113.10"}],
  "api": {"unix": "$SOCK"},
  "idle_sleep_us": 100
}
EOF
DP_ARGS=(-l 0 --no-pci --file-prefix "$ID" "${MEM_ARGS[@]}"
	--vdev "net_af_packet0,iface=$IF_R0,qpairs=1" --vdev "net_af_packet1,iface=$IF_R1,qpairs=1"
	-- --config "$TMP/dataplane.json")
info "ip netns exec $NS_R $DP_BIN ${DP_ARGS[*]}"
# (a plain command, not a shell function, so that $! is the data plane itself:
# ip netns exec execs it)
ip netns exec "$NS_R" "$DP_BIN" "${DP_ARGS[@]}" >"$TMP/dp.log" 2>&1 &
DP_PID=$!
for _ in $(seq 300); do # 30 s at most
	grep -q ': ready$' "$TMP/dp.log" && [ -S "$SOCK" ] && break
	kill -0 "$DP_PID" 2>/dev/null || die "data plane exited before it was ready"
	sleep 0.1
done
grep -q ': ready$' "$TMP/dp.log" || die "data plane not ready within 30 s"
grep '^anyway-dataplane:' "$TMP/dp.log" | sed 's/^/    /'
ok "ready (pid $DP_PID)"

ping_check() { # ns addr what [expected-ttl]
	local out
	out=$(in_ns "$1" ping -n -c 3 -i 0.2 -W 2 "$2" 2>&1) || { echo "$out" | sed 's/^/    /'; die "$3: ping $2 failed"; }
	echo "$out" | grep -E 'bytes from|packet loss' | sed 's/^/    /'
	if [ -n "${4:-}" ]; then
		[ "$(echo "$out" | grep -c "ttl=$4 ")" -eq 3 ] || die "$3: expected ttl=$4 in every reply"
	fi
	ok "$3"
}

step "pinging the data plane from the client"
ping_check "$NS_C" 10.11.0.1 "IPv4 10.11.0.1 answers" 64
ping_check "$NS_C" 2001:db8:11::1 "IPv6 2001:db8:11::1 answers"
ping_check "$NS_C" 203.0.113.10 "VIP 203.0.113.10 answers"

step "pinging through the data plane (client <-> server, one hop: ttl 64 -> 63)"
ping_check "$NS_C" 10.12.0.2 "client -> server over IPv4, TTL decremented" 63
ping_check "$NS_S" 10.11.0.2 "server -> client over IPv4, TTL decremented" 63
ping_check "$NS_C" 2001:db8:12::2 "client -> server over IPv6, hop limit decremented" 63

step "HTTP through the data plane (python3 http.server in the server namespace, curl in the client)"
mkdir -p "$TMP/www"
echo "hello from the server namespace, through anyway" >"$TMP/www/index.html"
head -c $((1024 * 1024)) /dev/urandom >"$TMP/www/blob"
ip netns exec "$NS_S" "$PY" -u -m http.server --bind :: --directory "$TMP/www" "$HTTP_PORT" \
	>"$TMP/http.log" 2>&1 &
HTTP_PID=$!
for _ in $(seq 100); do grep -q 'Serving HTTP' "$TMP/http.log" && break; sleep 0.1; done
grep -q 'Serving HTTP' "$TMP/http.log" || die "http.server did not start: $(cat "$TMP/http.log")"
for url in "http://10.12.0.2:$HTTP_PORT/" "http://[2001:db8:12::2]:$HTTP_PORT/"; do
	body=$(in_ns "$NS_C" curl -sS -g --max-time 10 "$url") || die "curl $url failed"
	[ "$body" = "hello from the server namespace, through anyway" ] || die "curl $url: unexpected body '$body'"
	info "GET $url -> \"$body\""
	ok "HTTP over $([[ $url == *\[* ]] && echo IPv6 || echo IPv4)"
done
res=$(in_ns "$NS_C" curl -sS --max-time 20 -o "$TMP/blob.got" -w '%{http_code} %{size_download} %{speed_download}' \
	"http://10.12.0.2:$HTTP_PORT/blob") || die "curl blob failed"
cmp -s "$TMP/www/blob" "$TMP/blob.got" || die "1 MiB download corrupted"
read -r code size speed <<<"$res"
info "GET /blob -> HTTP $code, $size bytes, $((${speed%.*} / 1024)) KiB/s, identical to the source"
ok "1 MiB TCP transfer intact"

step "data plane counters (JSON API: {\"op\":\"stats\"})"
"$PY" - "$SOCK" <<'EOF' || die "counters do not add up"
import json, socket, sys, time

def api(req):
    with socket.socket(socket.AF_UNIX) as so:
        so.settimeout(5)
        so.connect(sys.argv[1])
        so.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = so.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)

deadline = time.monotonic() + 3  # let the last ACKs through: in flight -> 0
while True:
    s = api({"op": "stats"})
    assert s.get("ok"), s
    if s["in_flight"] == 0 or time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(f"    packets  rx {s['rx']}  tx {s['tx']}  consumed {s['consumed']}  "
      f"originated {s['originated']}  drops {s['drops_total']}  in flight {s['in_flight']}")
print(f"    bytes    rx {s['rx_bytes']}  tx {s['tx_bytes']}")
c = {k: v for k, v in s["counters"].items() if v and k != "idle_sleeps"}
print("    events   " + ", ".join(f"{k} {v}" for k, v in c.items()))
d = {k: v for k, v in s["drops"].items() if v}
print("    drops    " + (", ".join(f"{k} {v}" for k, v in d.items()) or "none"))
for p in s["ports"]:
    hw = p["hw"]
    print(f"    port {p['port']}   {p['name']} {p['mac']}: in {hw['ipackets']}, "
          f"out {hw['opackets']}, errors {hw['ierrors']}/{hw['oerrors']}")
ok = s["rx"] == s["tx"] + s["drops_total"] + s["consumed"]
print(f"    rx == tx + drops + consumed: {s['rx']} == {s['tx']} + {s['drops_total']} + "
      f"{s['consumed']}: {'yes' if ok else 'NO'}")
sys.exit(0 if ok and s["counters"]["forwarded"] > 0 else 1)
EOF
ok "every received packet is accounted for"

step "stopping the data plane with SIGTERM"
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
ok "exit code 0, API socket removed"

printf '\n%sDEMO OK%s: the data plane answered, routed ICMP and TCP both ways, and accounted for every packet.\n' \
	"$c_green$c_bold" "$c_off"
