"""Anycast cluster and the SYN proxy (doc/cluster.md, "SYN proxy listeners"):
without asrs.synproxy.secret the cookie secret is derived from cluster.key
(the Python reference derives it independently, cluster_ref.synproxy_secret),
so every member accepts every other's cookies. A SYN to a SYN-proxy
listener is answered where it arrives, whoever owns the flow (its MSS leaves
room for the capsule of a later redirect); the cookie ACK
goes to the flow's owner, which creates the session when the cookie is
valid; an ACK whose cookie is not valid goes on like any other miss (the
secondary, then owner_miss)."""

import socket

import cluster_ref as ref
import test_cluster as tc
from asrs_fixtures import *  # noqa: F401,F403
from golden_common import HOST_MAC, HOST_V4, P1_MAC, P1_V4, check
from harness import Dataplane
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from synproxy_ref import cookie, mss_idx, safe_generation

PERIOD = 3600
SECRET = ref.synproxy_secret(tc.KEY)
A, B, C = tc.A, tc.B, tc.C
MSS_OPT = b"\x02\x04\x05\x78"  # MSS 1400


def start(ms, epoch=1, port=0):
    c = tc.cfg()
    c["asrs"]["synproxy"] = {"default": True, "cookie_period_s": PERIOD}
    dp = Dataplane(c, live_ports=(port,))
    dp.__enter__()
    r = dp.api({"op": "cluster.set", "epoch": epoch, "members": ms})
    assert r == {"ok": True}, r
    return dp


def run_one(ms, pkts, port=0, epoch=1):
    dp = start(ms, epoch=epoch, port=port)
    try:
        dp.live[port].send(pkts)
        return tc.finish(dp, len(pkts))
    finally:
        dp.__exit__(None, None, None)


def cookie_ack(cport, isn=1000, valid=True):
    g = safe_generation(PERIOD)
    ck = cookie(SECRET, g, socket.inet_aton(CLIENT_V4), socket.inet_aton(VIP4), cport, 80, isn,
                mss_idx(1400))
    if not valid:
        ck ^= 0x5A5A5
    return built(frame4(tcp_seg(sport=cport, dport=80, flags="A", seq=isn + 1, ack=ck + 1)))


def assert_syn_to_destination(out, cport, isn=1000):
    """The cookie ACK turned into the client's SYN, NAT-ed to the destination."""
    assert out[Ether].src == P1_MAC and out[Ether].dst == HOST_MAC
    ip = out[IP]
    assert (ip.src, ip.dst) == (P1_V4, HOST_V4), out.summary()
    t = ip.payload
    assert (t.sport, t.dport, t.flags, t.seq) == (tc.SNAT_MIN, 8080, "S", isn), out.summary()
    assert bytes(t)[20:24] == MSS_OPT


def capsule_to(ms, inner, epoch, hop_idx, hops, to):
    """What we send to member `to` for `inner` (the flow's hash gives the port)."""
    ip = IP(bytes(l3(inner)))
    h = ref.flow_hash_words(ref.asrs_key_words(ip.src, ip.payload.sport, ip.dst, ip.payload.dport, 6))
    return built(Ether(dst=tc.MAC_OF[to], src=P1_MAC) / IP(src=P1_V4, dst=to, ttl=64, flags="DF", id=0) /
                 UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=tc.PORT, chksum=0) /
                 Raw(ref.header(tc.KEY, epoch, hop_idx, hops) + l3(inner)))


def test_syn_answered_where_it_arrives_whoever_owns_the_flow():
    ms = tc.members(A, B, C)
    cport = tc.client_port_owned_by(ms, "inst-b")
    syn = built(frame4(tcp_seg(sport=cport, dport=80, flags="S", seq=1000, opts=MSS_OPT)))
    g = safe_generation(PERIOD)
    res = run_one(ms, [syn])
    assert len(res.out[0]) == 1 and not res.out.get(1), res.out
    t = res.out[0][0][IP].payload
    want = cookie(SECRET, g, socket.inet_aton(CLIENT_V4), socket.inet_aton(VIP4), cport, 80, 1000,
                  mss_idx(1400))
    assert (t.flags, t.seq, t.ack) == ("SA", want, 1001), res.out[0][0].summary()
    assert bytes(t)[20:24] == b"\x02\x04\x05\x80"  # MSS 1500 - 52 (capsule) - 40
    check(res, rx=1, tx=1, synproxy_syn_cookies=1, cluster_redirected=0, sessions_created=0)


def test_cookie_ack_owned_elsewhere_goes_to_the_owner():
    ms = tc.members(A, B, C)
    cport = tc.client_port_owned_by(ms, "inst-b", "inst-a")
    ack = cookie_ack(cport)
    res = run_one(ms, [ack], epoch=6)
    assert len(res.out[1]) == 1 and not res.out.get(0), res.out
    want = capsule_to(ms, ack, 6, 0, [tc.index_of(ms, "inst-b")], HOST_V4)
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=1, tx=1, cluster_redirected=1, synproxy_accepted=0, sessions_created=0)


def test_cookie_ack_owned_here_creates_the_session():
    ms = tc.members(A, B, C)
    cport = tc.client_port_owned_by(ms, "inst-a", "inst-b")
    res = run_one(ms, [cookie_ack(cport)])
    assert len(res.out[1]) == 1 and not res.out.get(0), res.out
    assert_syn_to_destination(res.out[1][0], cport)
    check(res, rx=1, tx=1, cluster_redirected=0, synproxy_accepted=1, sessions_created=1)


def test_redirected_cookie_ack_creates_the_session_at_the_owner():
    ms = tc.members(A, B, C)
    cport = 43000
    ack = cookie_ack(cport)
    a_i, c_i = tc.index_of(ms, "inst-a"), tc.index_of(ms, "inst-c")
    pkt = tc.encapsulated(l3(ack), HOST_V4, P1_V4, 2, 0, [a_i, c_i], 50010)
    res = run_one(ms, [pkt], port=1, epoch=2)
    assert len(res.out[1]) == 1, res.out
    assert_syn_to_destination(res.out[1][0], cport)
    check(res, rx=1, tx=1, cluster_decapsulated=1, synproxy_accepted=1, sessions_created=1)


def test_ack_without_a_valid_cookie_goes_on_as_a_miss():
    ms = tc.members(A, B, C)
    a_i, b_i, c_i = (tc.index_of(ms, n) for n in ("inst-a", "inst-b", "inst-c"))
    # owned here, secondary B: the ACK of a flow that lives at B
    mine = tc.client_port_owned_by(ms, "inst-a", "inst-b")
    direct = cookie_ack(mine, valid=False)
    # we are hop 0 of (us, C): on to C; we are the last hop: owner_miss
    relayed = cookie_ack(43001, valid=False)
    first = tc.encapsulated(l3(relayed), HOST_V4, P1_V4, 3, 0, [a_i, c_i], 50011)
    last = tc.encapsulated(l3(relayed), HOST_V4, P1_V4, 3, 1, [b_i, a_i], 50012)
    dp = start(ms, epoch=3, port=1)
    try:
        dp.live[1].send([first, last])
        dp.wait_idle(expect_rx=2)
        res = tc.finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    want = capsule_to(ms, relayed, 3, 1, [a_i, c_i], tc.C[1])
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=2, tx=1, drops={"owner_miss": 1}, cluster_next_hop=1, synproxy_accepted=0,
          sessions_created=0)
    res = run_one(ms, [direct], epoch=3)
    assert len(res.out[1]) == 1, res.out
    want = capsule_to(ms, direct, 3, 0, [b_i], HOST_V4)
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=1, tx=1, cluster_redirected=1, synproxy_accepted=0, sessions_created=0)


def test_configured_secret_wins_over_the_derived_one():
    ms = tc.members(A, B)
    cport = tc.client_port_owned_by(ms, "inst-a")
    own = "0f" * 16
    c = tc.cfg()
    c["asrs"]["synproxy"] = {"default": True, "cookie_period_s": PERIOD, "secret": own}
    g = safe_generation(PERIOD)
    ck_own = cookie(own, g, socket.inet_aton(CLIENT_V4), socket.inet_aton(VIP4), cport, 80, 1000,
                    mss_idx(1400))
    good = built(frame4(tcp_seg(sport=cport, dport=80, flags="A", seq=1001, ack=ck_own + 1)))
    derived = cookie_ack(cport)  # the derived secret's cookie: not valid here, on to B
    dp = Dataplane(c, live_ports=(0,))
    dp.__enter__()
    try:
        assert dp.api({"op": "cluster.set", "epoch": 1, "members": ms})["ok"]
        dp.live[0].send([derived, good])
        res = tc.finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 2, res.out
    want = capsule_to(ms, derived, 1, 0, [tc.index_of(ms, "inst-b")], HOST_V4)
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    assert_syn_to_destination(res.out[1][1], cport)
    check(res, rx=2, tx=2, cluster_redirected=1, synproxy_accepted=1, sessions_created=1)
