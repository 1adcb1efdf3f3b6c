#!/usr/bin/python3
"""anyway-bench's traffic templates and data plane configs, built from the
golden-packet fixtures (tests/golden/golden_common.py) so that the bench sends
the same packets the tests check.

  templates.py --pcaps DIR [--stamp FILE]
      writes DIR/<scenario>.pcap for every scenario this build can run
  templates.py --dp-config SCENARIO --api SOCKET [--workers N] [--in-process]
               [--mbufs N] [--flows N] [--sessions N] [--out FILE] [--mem-mb]
      prints (or writes) the data plane config the scenario runs against:
      the golden topology (port 0: clients, port 1: hosts), busy polling.
      Tables are sized from --flows (asrs.max_sessions: the next power of two
      >= --flows, at least 262,144, unless --sessions gives the size; ASRS
      destinations: enough for SNAT's ports to stay half free, at least 16).
      --mem-mb: with --out, prints the EAL memory (MB) the data plane needs
      for that config (tables and mbufs, from dataplane/CONFIG.md's per-entry
      sizes, plus a fixed allowance).

A template is the headers of each frame (payload empty): anyway-bench varies
the source port per flow (and the source address every 64512 flows, and a TRS
message's PathID), pads to --pkt-size and appends its stamp; flow f uses
frame f % (number of frames). Gateway scenarios also get <scenario>.outer.pcap: the outer Ethernet / IPv4 /
UDP / CAPSULE header anyway-bench puts in front of the inner packet (it seals
and opens the capsules itself, and makes the binding capsules). TRS
scenarios also get <scenario>.bind.pcap: the Ethernet / IPv4 / UDP headers of
side B (the Responder, behind the gateway on port 1) of path 0; anyway-bench
binds both sides of every path itself before the timed traffic (side A from
the scenario template's source, side B from these headers, each source
varied per path as the generator varies flows; bench/ab_bind.h), with
HOLE_PUNCHING messages it tags with lib/trs. The data plane config installs
the paths (relays[]: PathID path_id(f), Tunnel Key path_key(f)) with
bind / idle timeouts of 65,535 s, so that a slow setup (1M paths under
valgrind) sees none expire.
"""

import argparse
import hashlib
import ipaddress
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "golden"))
import golden_common as g  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

PORT_SPAN = 64512          # as anyway-bench's ab_traffic.c
TRS_PORT = 7811
BENCH_SVC = "asrs://bench.example/dns"
N_DEST = 16                # ASRS destinations 10.2.0.16 .. (at least 16: n_dest)
PID_BASE = bytes.fromhex("a5a5a5a5000000000000000000000000")
GW_PORT = 7813
GW_NODE0 = "10.200.0.1"    # node_addr of gateway path f: GW_NODE0 + f (anyway-bench ab_gw.c)
GW_PREFIX = "10.200.0.0/15"
GW_MAX_PATHS = 65536       # anyway-bench's limit (ab_gw.h)


def vary(addr, sport, f):
    """Source address and port of flow f, exactly as anyway-bench makes them."""
    a = ipaddress.ip_address(addr) + f // PORT_SPAN
    return str(a), 1024 + (sport + f) % PORT_SPAN


def path_id(f):
    return PID_BASE[:12] + f.to_bytes(4, "big")


def path_key(f):
    return hashlib.sha256(b"anyway-bench path %d" % f).digest()


def transit():
    return g.udp4(payload=b"")


def asrs_udp():
    return g.udp4(dst=g.VIP4, dport=53, payload=b"")


def capsule():
    """A CAPSULE from node A (client side, port 0) to the relay on port 0's
    address; the relay never checks a capsule's tag, the bench's stamp lands
    in its body and tag bytes, and anyway-bench sets msg_len."""
    import trs_ref as T
    hdr = T.Hdr(txid=1, flag=0, type=T.CAPSULE, seq=1, id=path_id(0), msg_len=T.MIN_LEN).pack()
    return g.udp4(dst=g.P0_V4, sport=5000, dport=TRS_PORT, payload=hdr)


def tunnel_request():
    """A TUNNEL_REQUEST from node A: anyway-bench gives every one a fresh seq
    and tags it with the path's key (the relay verifies it and forwards it
    unchanged to node B)."""
    import trs_ref as T
    hdr = T.Hdr(txid=1, flag=0, type=T.TUNNEL_REQUEST, seq=2, id=path_id(0), msg_len=T.MIN_LEN).pack()
    return g.udp4(dst=g.P0_V4, sport=5000, dport=TRS_PORT, payload=hdr)


def gw_in():
    """The inner packet of gateway-in: UDP from node 0 to the host behind port
    1 (the node of path f sends it; anyway-bench seals it into the capsule)."""
    return Ether(dst=g.P0_MAC, src=g.CLIENT_MAC) / IP(src=GW_NODE0, dst=g.HOST_V4) / UDP(sport=5000, dport=6000, chksum=0)


def gw_out():
    """The plain packet of gateway-out: UDP from the client on port 0 to node
    0 (node f for flow f), routed into the gateway's overlay prefix."""
    return Ether(dst=g.P0_MAC, src=g.CLIENT_MAC) / IP(src=g.CLIENT_V4, dst=GW_NODE0) / UDP(sport=5000, dport=6000, chksum=0)


def gw_outer():
    """The outer headers of every gateway path's capsules: the nodes sit at
    the client's address on port 0 (one source port per path, as anyway-bench
    varies it), to the gateway port on port 0's address."""
    import trs_ref as T
    hdr = T.Hdr(txid=1, flag=0, type=T.CAPSULE, seq=1, id=path_id(0), msg_len=T.MIN_LEN).pack()
    return Ether(dst=g.P0_MAC, src=g.CLIENT_MAC) / IP(src=g.CLIENT_V4, dst=g.P0_V4, ttl=64) / \
        UDP(sport=5000, dport=GW_PORT, chksum=0) / Raw(hdr)


def gw_node(f):
    return str(ipaddress.ip_address(GW_NODE0) + f)


def trs_bind_side_b():
    """Side B's headers for path 0 (anyway-bench varies the source per path as
    vary(REMOTE_V4, 40000, f) would, and writes the HOLE_PUNCHING itself):
    from behind the gateway to the relay on port 1's address."""
    return (Ether(dst=g.P1_MAC, src=g.GW_MAC) / IP(src=g.REMOTE_V4, dst=g.P1_V4) /
            UDP(sport=40000, dport=TRS_PORT, chksum=0) / Raw(bytes(48)))


def frames(scenario):
    """Template frames of a scenario."""
    table = {
        "plain": [transit()],
        "pipeline": [transit()],
        "asrs-established": [asrs_udp()],
        "asrs-new": [asrs_udp()],
        "asrs-redirect": [asrs_udp()],
        "trs-capsule": [capsule()],
        "trs-signaling": [tunnel_request()],
        "mixed": [transit(), asrs_udp(), capsule()],
        "gateway-in": [gw_in()],
        "gateway-out": [gw_out()],
    }
    if scenario not in table:
        raise SystemExit("templates.py: no template for scenario %r" % scenario)
    return table[scenario]


RUNNABLE = ("plain", "pipeline", "asrs-established", "asrs-new", "asrs-redirect", "trs-capsule", "trs-signaling",
            "gateway-in", "gateway-out", "mixed")
ASRS = ("asrs-established", "asrs-new", "asrs-redirect", "mixed")
TRS = ("trs-capsule", "trs-signaling", "mixed")
GATEWAY = ("gateway-in", "gateway-out")


def n_dest(flows):
    """ASRS destinations for `flows` sessions: SNAT has one address and 64,512
    ports per destination, so at least 16 and enough to keep it half full
    (1M flows: 32; else sessions fail as snat_exhausted, not as the table)."""
    return max(N_DEST, -(-2 * flows // PORT_SPAN))


def add_asrs(c, sessions, flows):
    dests = ["10.2.0.%d" % (16 + i) for i in range(n_dest(flows))]
    c["neighbors"] += [{"addr": a, "mac": g.HOST_MAC, "port": 1} for a in dests]
    # UDP sessions live a day: a slow run (callgrind: 1M warm-up packets take
    # minutes) must not see its sessions expire and be re-created as new ones
    c["asrs"] = {"max_sessions": sessions, "snat": [g.P1_V4], "timeouts": {"udp": 86400}}
    c["listeners"] = [{"vip": g.VIP4, "proto": "udp", "port": 53, "service": BENCH_SVC}]
    c["services"] = [{"service": BENCH_SVC, "destinations": [{"addr": a, "port": 5353} for a in dests]}]


RELAY_TIMEOUT_S = 65535    # CONFIG.md's largest bind / idle timeout: no path expires during setup


def add_trs(c, paths, suite):
    c["trs"] = {"port": TRS_PORT, "addrs": [g.P1_V4], "max_paths": max(paths, 1024)}
    # side A of path f sits at vary(CLIENT_V4, ...): one more client address on
    # port 0 every PORT_SPAN paths; the relay's ACKs go there (no ARP in the bench)
    c["neighbors"] += [{"addr": str(ipaddress.ip_address(g.CLIENT_V4) + k), "mac": g.CLIENT_MAC, "port": 0}
                       for k in range(1, -(-paths // PORT_SPAN))]
    c["relays"] = [{"path_id": path_id(f).hex(), "tunnel_key": path_key(f).hex(), "suite": suite,
                    "bind_timeout_s": RELAY_TIMEOUT_S, "idle_timeout_s": RELAY_TIMEOUT_S}
                   for f in range(paths)]


def add_gateway(c, paths, suite):
    """One gateway path per flow: PathID, End Key and node address as
    anyway-bench makes its capsules (ab_gw.c)."""
    c["gateway"] = {"port": GW_PORT, "prefixes": [GW_PREFIX], "max_paths": max(paths, 1024)}
    c["gateways"] = [{"path_id": path_id(f).hex(), "end_key": path_key(f).hex(), "suite": suite,
                      "node_addr": gw_node(f)} for f in range(paths)]


SESSIONS_MIN = 262144
SESSION_BYTES = 96         # dataplane/CONFIG.md: at most 96 bytes per session
PATH_BYTES = 256           # 208 at 65,536 paths (CONFIG.md), generously
MBUF_BYTES = 2048 + 128 + 128 + 64   # data room, headroom, mbuf header, pool overhead
FIXED_MB = 256             # EAL, rings, hashes and everything not per entry


def sessions_for(flows):
    """asrs.max_sessions for a run of `flows` flows: one session per flow."""
    n = SESSIONS_MIN
    while n < flows:
        n *= 2
    return n


def mem_mb(c):
    """EAL memory (MB) a data plane with config c needs, generously."""
    b = c.get("mbufs", 16383) * MBUF_BYTES
    if "asrs" in c:
        b += c["asrs"]["max_sessions"] * SESSION_BYTES
    if "trs" in c:
        b += c["trs"]["max_paths"] * PATH_BYTES + 2 * 1024 * 1024
    if "gateway" in c:  # paths, 1,024 expanded keys per lcore, reassembly table
        b += c["gateway"]["max_paths"] * PATH_BYTES + 16 * 1024 * 1024
    return FIXED_MB + (b + (1 << 20) - 1) // (1 << 20)


def dp_config(scenario, api, workers, in_process=False, mbufs=32767, sessions=262144, paths=1024, suite=1,
              flows=64):
    if scenario not in RUNNABLE:
        raise SystemExit("templates.py: --dp-config: scenario %r cannot run in this build" % scenario)
    c = g.config(idle_sleep_us=0, mbufs=mbufs, api={"unix": api})
    if scenario in ASRS:
        add_asrs(c, sessions, flows)
    if scenario in TRS:  # room for --flows paths (templates made with --paths N)
        add_trs(c, max(paths, flows), suite)
    if scenario in GATEWAY:
        if flows > GW_MAX_PATHS:
            raise SystemExit("templates.py: --flows: %s binds one gateway path per flow, at most %d"
                             % (scenario, GW_MAX_PATHS))
        add_gateway(c, max(paths, flows), suite)
    if scenario == "asrs-redirect":  # members: anyway-bench's cluster.set (ab_scen.c)
        c["cluster"] = {"id": "bench-a", "key": "ab" * 32, "underlay": g.P1_V4}
    if scenario == "pipeline" and not in_process:
        wl = list(range(2, 2 + workers))
        c["mode"] = "pipeline"
        c["pipeline"] = {"rx_lcores": [1], "worker_lcores": wl, "tx_lcores": [2 + workers]}
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcaps", help="directory to write <scenario>.pcap into")
    ap.add_argument("--stamp", help="file to touch when done (meson)")
    ap.add_argument("--dp-config", metavar="SCENARIO")
    ap.add_argument("--api", default="/tmp/anyway-bench-dp.sock")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--in-process", action="store_true",
                    help="config for anyway-bench --in-process (rtc mode, its reorder stage stands in for the pipeline)")
    ap.add_argument("--mbufs", type=int, default=32767)
    ap.add_argument("--flows", type=int, default=64, help="flows the run uses: sizes the tables")
    ap.add_argument("--sessions", type=int,
                    help="asrs.max_sessions (ASRS scenarios); default: sized from --flows")
    ap.add_argument("--mem-mb", action="store_true", help="print the data plane's EAL memory need (MB)")
    ap.add_argument("--paths", type=int, default=1024, help="relay paths the config installs at least (TRS scenarios: max(--paths, --flows); anyway-bench binds --flows of them)")
    ap.add_argument("--suite", type=int, choices=(1, 2), default=1, help="cipher suite of the relay paths (TRS scenarios) or gateway paths")
    ap.add_argument("--out")
    a = ap.parse_args()
    if not a.pcaps and not a.dp_config:
        ap.error("--pcaps DIR or --dp-config SCENARIO is required")
    if a.workers < 1 or a.workers > 16:
        ap.error("--workers: expected 1..16")
    if a.paths < 1 or a.paths > 1 << 22:
        ap.error("--paths: expected 1..4194304")
    if a.flows < 1 or a.flows > 1 << 22:
        ap.error("--flows: expected 1..4194304")
    if a.sessions is None:
        a.sessions = sessions_for(a.flows)
    if a.sessions < 1 or a.sessions > 1 << 26:
        ap.error("--sessions: expected 1..67108864")
    if a.mem_mb and not (a.dp_config and a.out):
        ap.error("--mem-mb: needs --dp-config and --out")
    if a.pcaps:
        d = Path(a.pcaps)
        d.mkdir(parents=True, exist_ok=True)
        for s in RUNNABLE:
            fr = frames(s)
            wrpcap(str(d / (s + ".pcap")), fr)
            if s in GATEWAY:
                wrpcap(str(d / (s + ".outer.pcap")), [gw_outer()])
            if s in TRS:
                wrpcap(str(d / (s + ".bind.pcap")), [trs_bind_side_b()])
    if a.dp_config:
        c = dp_config(a.dp_config, a.api, a.workers, a.in_process, a.mbufs, a.sessions, a.paths, a.suite,
                      a.flows)
        text = json.dumps(c, indent=1) + "\n"
        if a.out:
            Path(a.out).write_text(text)
        else:
            sys.stdout.write(text)
        if a.mem_mb:
            print(mem_mb(c))
    if a.stamp:
        Path(a.stamp).write_text("ok\n")


if __name__ == "__main__":
    main()
