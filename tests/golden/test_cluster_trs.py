"""Anycast cluster and the TRS relay (doc/cluster.md, SPEC §8): the two
sides of a path are two 5-tuples that ECMP may send to two instances, so
with a cluster every message of a path goes to its PathID's owner, also
when the path is known locally; only the owner binds and relays.

Played with one data plane (inst-a, port 1 = underlay and relay address):
as the owner, one side arrives directly and the other encapsulated by
another member, and both bind here; as a non-owner, every message of a
known path leaves encapsulated to the owner (byte for byte as the Python
model builds it) and nothing binds."""

import struct

import cluster_ref as ref
import test_cluster as tc
import test_trs as tt
import trs_ref as T
from asrs_fixtures import built, l3
from golden_common import HOST_MAC, HOST_V4, P1_MAC, P1_V4, check
from harness import Dataplane
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

A, B = tc.A, tc.B
MS = tc.members(A, B)
C4 = "198.51.100.8"


def pid_owned_by(ident):
    for i in range(4096):
        pid = bytes.fromhex("5eed0000" * 3) + i.to_bytes(4, "big")
        if ref.owner_row(tc.ref_members(MS), ref.row_of_path(pid))[0] == tc.index_of(MS, ident):
            return pid
    raise AssertionError("no PathID found")


def start(pid, epoch=1):
    c = tt.cfg([tt.relay(pid=pid)])
    c["cluster"] = {"id": "inst-a", "udp_port": tc.PORT, "key": tc.KEY, "underlay": P1_V4}
    c["burst"] = 1
    dp = Dataplane(c, live_ports=(1,))
    dp.__enter__()
    r = dp.api({"op": "cluster.set", "epoch": epoch, "members": MS})
    assert r == {"ok": True}, r
    return dp


def play(pid, pkts, epoch=1):
    """Sends pkts on port 1, one per RX burst (a decapsulated packet is
    re-injected after the rest of its burst); returns (result, relay.get)."""
    dp = start(pid, epoch)
    try:
        dp.live[1].send(pkts)
        dp.wait_idle(expect_rx=len(pkts))
        got = dp.api({"op": "relay.get", "path_id": pid.hex()})
        res = tc.finish(dp, len(pkts))
    finally:
        dp.__exit__(None, None, None)
    assert got["ok"], got
    return res, got["relay"]


def test_both_sides_bind_at_the_owner_when_they_arrive_at_two_instances():
    pid = pid_owned_by("inst-a")
    k = T.Key(tt.KEY, 1)
    hp0 = tt.msg(k, T.HOLE_PUNCHING, 1, flag=0, txid=21, pid=pid)
    hp1 = tt.msg(k, T.HOLE_PUNCHING, 1, flag=1, txid=22, pid=pid)
    cap = tt.capsule(5, 0, pid=pid)
    direct = tt.pkt(tt.A4, hp0)                          # side 0 reached us
    via_b = tc.encapsulated(l3(tt.pkt(C4, hp1, sport=50000)), HOST_V4, P1_V4, 1, 0,
                            [tc.index_of(MS, "inst-a")], 50020)  # side 1 reached inst-b
    res, rel = play(pid, [direct, via_b, built(tt.pkt(tt.A4, cap))])
    out = res.out[1]
    assert len(out) == 3, ([o.summary() for o in out], res.stats["drops"])
    tt.check_ack(k, tt.check_out(out[0], tt.A4, 40000, False), hp0, 0)
    tt.check_ack(k, tt.check_out(out[1], C4, 50000, False), hp1, 1)
    assert tt.check_out(out[2], C4, 50000, False) == cap
    assert rel["sides"][0] == {"bound": True, "addr": tt.A4, "port": 40000}
    assert rel["sides"][1] == {"bound": True, "addr": C4, "port": 50000}
    check(res, rx=3, tx=3, cluster_decapsulated=1, cluster_redirected=0)
    c = res.stats["counters"]
    assert (c["relay_binds"], c["relay_acks"], c["relay_forwarded"]) == (2, 2, 1)


def test_messages_of_a_known_path_owned_elsewhere_go_to_the_owner():
    pid = pid_owned_by("inst-b")
    k = T.Key(tt.KEY, 1)
    hp0 = tt.pkt(tt.A4, tt.msg(k, T.HOLE_PUNCHING, 1, flag=0, txid=31, pid=pid))
    cap = tt.pkt(C4, tt.capsule(6, 1, pid=pid), sport=50000)
    res, rel = play(pid, [hp0, cap], epoch=4)
    out = res.out[1]
    assert len(out) == 2, [o.summary() for o in out]
    h = ref.flow_hash_words(list(struct.unpack("<2Q", pid)))
    for got, sent in zip(out, (hp0, cap)):
        want = built(Ether(dst=HOST_MAC, src=P1_MAC) / IP(src=P1_V4, dst=HOST_V4, ttl=64, flags="DF", id=0) /
                     UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=tc.PORT, chksum=0) /
                     Raw(ref.header(tc.KEY, 4, 0, [tc.index_of(MS, "inst-b")]) + l3(sent)))
        assert bytes(got) == bytes(want), (bytes(got).hex(), bytes(want).hex())
    assert not rel["sides"][0]["bound"] and not rel["sides"][1]["bound"], rel
    check(res, rx=2, tx=2, cluster_redirected=2, relay_binds=0, relay_acks=0, relay_forwarded=0)


def test_no_cluster_table_yet_processes_locally():
    pid = pid_owned_by("inst-b")
    k = T.Key(tt.KEY, 1)
    hp0 = tt.msg(k, T.HOLE_PUNCHING, 1, flag=0, txid=41, pid=pid)
    c = tt.cfg([tt.relay(pid=pid)])
    c["cluster"] = {"id": "inst-a", "udp_port": tc.PORT, "key": tc.KEY, "underlay": P1_V4}
    with Dataplane(c, live_ports=(1,)) as dp:
        dp.live[1].send([tt.pkt(tt.A4, hp0)])
        dp.wait_idle(expect_rx=1)
        dp.stop()
    res = dp.result
    assert len(res.out[1]) == 1
    tt.check_ack(k, tt.check_out(res.out[1][0], tt.A4, 40000, False), hp0, 0)
    check(res, rx=1, tx=1, cluster_redirected=0, relay_binds=1)
