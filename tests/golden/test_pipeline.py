"""Pipeline mode: packets of one flow leave in the order they came, with 1..3
workers, while drops are mixed in; counters conserve.

The lcores are threads mapped onto this machine's CPUs with EAL --lcores
(several lcores per CPU), so a worker can be descheduled for a while holding
packets: the reorder stage must still put every packet back in order."""

import functools
import struct

import pytest

from golden_common import *  # noqa: F401,F403
from harness import run

N_GOOD = 3000
MAGIC = b"SEQ!"


def flow_packet(seq):
    return Ether(bytes(eth() / IP(src=CLIENT_V4, dst=HOST_V4, ttl=64, id=seq & 0xFFFF) /
                       UDP(sport=40000, dport=9000) / (MAGIC + struct.pack("!I", seq) + b"." * (seq % 23))))


def bad_packets(i):
    """Drops injected between the good packets, one kind after another."""
    kinds = [
        ("ipv4_bad_checksum", lambda: _bad_ck(i)),
        ("l2_other_host", lambda: Ether(bytes(flow_packet(1_000_000 + i)))),  # patched below
        ("no_route", lambda: Ether(bytes(eth() / IP(src=CLIENT_V4, dst="192.0.2.9") / UDP() / b"x"))),
        ("ipv4_truncated", lambda: Ether(bytes(Ether(dst=P0_MAC, src=CLIENT_MAC, type=0x0800)) + b"\x45\0\0")),
        ("ttl_exceeded", lambda: Ether(bytes(eth() / IP(src=CLIENT_V4, dst=HOST_V4, ttl=1) / UDP(sport=1, dport=2) / (b"x" * 28)))),
    ]
    name, fn = kinds[i % len(kinds)]
    p = fn()
    if name == "l2_other_host":
        p[Ether].dst = "02:00:00:00:00:99"
        p = Ether(bytes(p))
    return name, p


def _bad_ck(i):
    p = flow_packet(2_000_000 + i)
    p[IP].chksum ^= 0x00FF
    return Ether(bytes(p))


@functools.lru_cache(maxsize=None)
def _build_input(n_good, every):
    pkts, drops = [], {}
    for seq in range(n_good):
        pkts.append(flow_packet(seq))
        if seq % every == every - 1:
            name, p = bad_packets(seq // every)
            pkts.append(p)
            drops[name] = drops.get(name, 0) + 1
    return tuple(pkts), drops


def build_input(n_good=N_GOOD, every=25):
    pkts, drops = _build_input(n_good, every)
    return list(pkts), dict(drops)


def lcore_map(n_lcores, n_cpus):
    """lcore i on CPU i % n_cpus (more lcores than CPUs on this machine)."""
    return ",".join("%d@%d" % (i, i % n_cpus) for i in range(n_lcores))


@pytest.mark.parametrize("workers,n_cpus", [(1, 2), (2, 2), (3, 2), (2, 1)],
                         ids=["1worker-cpus0-1", "2workers-cpus0-1", "3workers-cpus0-1", "2workers-cpu0"])
def test_pipeline_order_kept(workers, n_cpus):
    wl = list(range(2, 2 + workers))
    tx = 2 + workers
    cfg = config(mode="pipeline",
                 pipeline={"rx_lcores": [1], "worker_lcores": wl, "tx_lcores": [tx],
                           "gap_timeout_us": 500000},
                 mbufs=16383, idle_sleep_us=50)
    pkts, drops = build_input()
    res = run(cfg, {0: pkts}, lcores=lcore_map(tx + 1, n_cpus), timeout=60)
    out = res.out[1]
    seqs = []
    for p in out:
        assert p[Ether].dst == HOST_MAC and p[Ether].src == P1_MAC
        assert p[IP].ttl == 63
        load = bytes(p[UDP].payload)
        assert load[:4] == MAGIC
        seqs.append(struct.unpack("!I", load[4:8])[0])
    assert len(seqs) == N_GOOD, "%d of %d good packets came out" % (len(seqs), N_GOOD)
    bad_order = [(i, a, b) for i, (a, b) in enumerate(zip(seqs, seqs[1:])) if b <= a]
    assert not bad_order, "out of order at %s" % bad_order[:10]
    assert seqs == list(range(N_GOOD))
    # spot-check checksums (all packets would be slow in scapy)
    for p in out[:: 97] + out[-3:]:
        assert_checksums(p)
    # the ICMP errors for TTL 1 go back out of port 0, in order too
    errs = res.out[0]
    n_te = drops.pop("ttl_exceeded")
    assert len(errs) == n_te and all(e[ICMP].type == 11 for e in errs)
    check(res, drops, rx=len(pkts), tx=N_GOOD + n_te, forwarded=N_GOOD,
          reorder_gaps_skipped=0, icmp_errors_sent=n_te)
    lc = {l["role"]: l for l in res.stats["lcores"]}
    assert set(lc) == {"rx", "worker", "tx"}
    workers_seen = [l for l in res.stats["lcores"] if l["role"] == "worker"]
    assert len(workers_seen) == workers


def test_rtc_order_kept_single_lcore():
    pkts, drops = build_input(n_good=1000)
    res = run(config(mbufs=8191), {0: pkts})
    seqs = [struct.unpack("!I", bytes(p[UDP].payload)[4:8])[0] for p in res.out[1]]
    assert seqs == list(range(1000))
    n_te = drops.pop("ttl_exceeded")
    assert len(res.out[0]) == n_te
    check(res, drops, rx=len(pkts), tx=1000 + n_te, forwarded=1000)


def test_pipeline_slow_path():
    """ARP, echo and next-hop resolution go through the housekeeper (the TX
    lcore) in pipeline mode. Five lcores share two CPUs here: a worker can be
    descheduled far longer than the default gap timeout (100 us), and the
    reorder stage would then rightly skip its gap and drop the late packet
    (reorder_late), so the timeout is raised as in the order test."""
    cfg = config(mode="pipeline", pipeline={"rx_lcores": [1], "worker_lcores": [2, 3], "tx_lcores": [4],
                                            "gap_timeout_us": 500000},
                 idle_sleep_us=50)
    target, tmac = "10.2.0.3", "02:00:00:00:00:d3"
    data = udp4(dst=target)
    req = echo4()
    inputs = {0: [arp_request(P0_V4), req, data], 1: [arp_reply(target, tmac, P1_V4, P1_MAC)]}
    res = run(cfg, inputs, lcores=lcore_map(5, 2))
    assert len(res.out[0]) == 2 and len(res.out[1]) == 2, {p: [x.summary() for x in v] for p, v in res.out.items()}
    check_arp_reply(res.out[0][0], P0_V4, P0_MAC, CLIENT_MAC)
    check_echo4_reply(res.out[0][1], req, P0_V4)
    assert res.out[1][0][ARP].op == 1 and res.out[1][0][ARP].pdst == target
    assert res.out[1][1][Ether].dst == tmac and res.out[1][1][IP].ttl == 63
    assert_checksums(res.out[1][1])
    check(res, rx=4, tx=3, consumed=1, originated=1, arp_replies=1, echo_replies=1, pending_sent=1)
