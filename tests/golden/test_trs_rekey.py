"""TRS relay: a path's key replaced by relay.add while the lcore's engine
holds the old key's expanded form (suite 2: its GCM key cache) must never
verify or sign with the old key. Messages before the API call come in on
port 0 (addressed to the relay address of port 1), those after it on the live
port 1."""

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import trs_ref as T
from golden_common import GW_MAC, P0_MAC, P1_V4, assert_conserved, assert_drops
from harness import Dataplane
from test_trs import KEY, KEY2, PORT, A4, cfg, check_ack, check_out, msg, pkt, relay


def pkt0(payload, sport=40000):
    """From node A, arriving on port 0 (the relay address is port 1's)."""
    return Ether(bytes(Ether(dst=P0_MAC, src=GW_MAC) / IP(src=A4, dst=P1_V4, ttl=60) /
                       UDP(sport=sport, dport=PORT) / Raw(payload)))


@pytest.mark.parametrize("suite", [1, 2])
def test_replaced_key_never_verifies(suite):
    old, new = T.Key(KEY, suite), T.Key(KEY2, suite)
    before = [pkt0(msg(old, T.HOLE_PUNCHING, s, txid=s)) for s in (1, 2, 3)]
    after = [pkt(A4, msg(old, T.KEEP_ALIVE, 4, txid=4)),   # old key: refused
             pkt(A4, msg(new, T.KEEP_ALIVE, 1, txid=5)),   # new key: ACK signed with it
             pkt(A4, msg(old, T.KEEP_ALIVE, 6, txid=6))]   # old key again: refused
    with Dataplane(cfg([relay(suite=suite)]), inputs={0: before}, live_ports=(1,)) as dp:
        dp.wait_idle(expect_rx=len(before))
        rep = dp.api(dict(op="relay.add", **relay(key=KEY2, suite=suite)))
        dp.live[1].send(after)
        dp.wait_idle(expect_rx=len(before) + len(after))
        res = dp.stop()
    assert rep == {"ok": True, "path_id": rep["path_id"], "existed": False}, rep
    out = res.out[1]
    assert len(out) == 4, [o.summary() for o in out]
    for i in range(3):
        check_ack(old, check_out(out[i], A4, 40000, False), before[i][Raw].load, 0)
    check_ack(new, check_out(out[3], A4, 40000, False), after[1][Raw].load, 0)
    assert_conserved(res.stats)
    assert_drops(res.stats, {"relay_bad_tag": 2})
