"""Packets for the router itself: ARP, neighbour discovery, ICMP/ICMPv6 echo,
VIPs (from the config and added through the API), AARP VIPs."""

import time

import pytest
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NS,
    ICMPv6NDOptSrcLLAddr,
)

from golden_common import *  # noqa: F401,F403
from harness import Dataplane, run

ZERO_MAC = "00:00:00:00:00:00"


def one(res, port):
    """The single frame sent on `port`, nothing on the other port."""
    other = 1 - port
    assert len(res.out[port]) == 1, "port %d sent %d frames: %s" % (port, len(res.out[port]), [p.summary() for p in res.out[port]])
    assert res.out[other] == [], "port %d sent %s" % (other, [p.summary() for p in res.out[other]])
    return res.out[port][0]


def nothing_sent(res):
    assert res.out[0] == [] and res.out[1] == [], {p: [x.summary() for x in v] for p, v in res.out.items()}


# -- ARP ----------------------------------------------------------------------


def test_arp_request_answered():
    res = run(config(), {0: [arp_request(P0_V4)]})
    check_arp_reply(one(res, 0), P0_V4, P0_MAC, CLIENT_MAC)
    check(res, rx=1, tx=1, consumed=0, originated=0, arp_replies=1)


def test_arp_request_unicast_to_port_mac_answered_on_port1():
    req = arp_request(P1_V4, sip=HOST_V4, smac=HOST_MAC, dst=P1_MAC)
    res = run(config(), {1: [req]})
    check_arp_reply(one(res, 1), P1_V4, P1_MAC, HOST_MAC)
    check(res, rx=1, tx=1, arp_replies=1)


def test_arp_reply_target_ip_is_requester():
    res = run(config(), {0: [arp_request(P0_V4)]})
    assert one(res, 0)[ARP].pdst == CLIENT_V4


def test_arp_for_other_address_not_answered():
    res = run(config(), {0: [arp_request("10.1.0.99")]})
    nothing_sent(res)
    check(res, {"arp_not_for_us": 1}, rx=1, tx=0, arp_replies=0)


def test_arp_for_other_ports_address_not_answered():
    # 10.2.0.1 is port 1's: asked on port 0 it is not ours to answer.
    res = run(config(), {0: [arp_request(P1_V4)]})
    nothing_sent(res)
    check(res, {"arp_not_for_us": 1}, rx=1)


def test_arp_malformed():
    bad_plen = Ether(dst=BCAST, src=CLIENT_MAC) / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_V4, pdst=P0_V4, plen=16)
    truncated = Ether(bytes(arp_request(P0_V4))[:30])
    bad_op = Ether(dst=BCAST, src=CLIENT_MAC) / ARP(op=9, hwsrc=CLIENT_MAC, psrc=CLIENT_V4, pdst=P0_V4)
    res = run(config(), {0: [bad_plen, truncated, bad_op, echo4()]})
    assert [p[ICMP].type for p in res.out[0]] == [0]
    check(res, {"arp_malformed": 3}, rx=4, tx=1)


# -- neighbour discovery --------------------------------------------------------






def test_ns_answered_with_na():
    res = run(config(), {0: [ns(P0_V6)]})
    check_na(one(res, 0), P0_V6, P0_MAC, CLIENT_V6, CLIENT_MAC)
    check(res, rx=1, tx=1, nd_adverts=1)


def test_ns_unicast_without_sll_answered_to_frame_source():
    # A unicast NS (reachability probe) may omit the source link-layer option.
    p = ns(P1_V6, src=HOST_V6, smac=HOST_MAC, sll=False, dst=P1_V6)
    p[Ether].dst = P1_MAC
    res = run(config(), {1: [Ether(bytes(p))]})
    check_na(one(res, 1), P1_V6, P1_MAC, HOST_V6, HOST_MAC)
    check(res, rx=1, tx=1, nd_adverts=1)


def test_ns_for_vip_override_clear():
    res = run(config(), {0: [ns(VIP6)]})
    check_na(one(res, 0), VIP6, P0_MAC, CLIENT_V6, CLIENT_MAC, override=0)
    check(res, rx=1, tx=1, nd_adverts=1)


def test_ns_dad_answered_to_all_nodes():
    p = ns(P0_V6, src="::", sll=False)
    res = run(config(), {0: [p]})
    check_na(one(res, 0), P0_V6, P0_MAC, "ff02::1", "33:33:00:00:00:01", solicited=0)
    check(res, rx=1, tx=1, nd_adverts=1)


@pytest.mark.parametrize("hlim", [64, 254, 1])
def test_ns_bad_hop_limit(hlim):
    res = run(config(), {0: [ns(P0_V6, hlim=hlim), echo6()]})
    assert [type(p[IPv6].payload).__name__ for p in res.out[0]] == ["ICMPv6EchoReply"]
    check(res, {"nd_malformed": 1}, rx=2, tx=1, nd_adverts=0)


def test_ns_malformed_variants():
    bad_ck = ns(P0_V6)
    bad_ck[ICMPv6ND_NS].cksum ^= 0x5555
    bad_code = ns(P0_V6)
    bad_code[ICMPv6ND_NS].code = 1
    del bad_code[ICMPv6ND_NS].cksum
    zero_opt = Ether(dst=snm(P0_V6)[1], src=CLIENT_MAC) / IPv6(src=CLIENT_V6, dst=snm(P0_V6)[0], hlim=255) / \
        ICMPv6ND_NS(tgt=P0_V6) / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC, len=0)
    mcast_no_sll = ns(P0_V6, sll=False)
    dad_with_sll = ns(P0_V6, src="::")
    mcast_target = ns("ff02::1")
    inputs = [Ether(bytes(p)) for p in (bad_ck, bad_code, zero_opt, mcast_no_sll, dad_with_sll, mcast_target)]
    res = run(config(), {0: inputs + [echo6()]})
    assert [type(p[IPv6].payload).__name__ for p in res.out[0]] == ["ICMPv6EchoReply"]
    check(res, {"nd_malformed": 6}, rx=7, tx=1)


def test_ns_for_other_target():
    res = run(config(), {0: [ns("2001:db8:1::99")]})
    nothing_sent(res)
    check(res, {"nd_not_for_us": 1}, rx=1)


# -- echo -----------------------------------------------------------------------




def test_echo_v4():
    req = echo4(payload=bytes(range(256)) * 4)
    res = run(config(), {0: [req]})
    check_echo4_reply(one(res, 0), req, P0_V4)
    check(res, rx=1, tx=1, echo_replies=1)


def test_echo_v4_odd_length_and_padding():
    # 3-byte payload: odd ICMP length; the frame is padded to 60 bytes on the wire.
    req = echo4(payload=b"abc")
    padded = Ether(bytes(req) + b"\0" * (60 - len(bytes(req))))
    res = run(config(), {0: [padded]})
    check_echo4_reply(one(res, 0), req, P0_V4)
    check(res, rx=1, tx=1, echo_replies=1)


def test_echo_v4_to_port1_address_from_port0():
    # Any own address answers, whichever port it arrives on.
    req = echo4(dst=P1_V4)
    res = run(config(), {0: [req]})
    check_echo4_reply(one(res, 0), req, P1_V4)
    check(res, rx=1, tx=1, echo_replies=1)


def test_echo_v6():
    req = echo6(payload=bytes(range(255)))
    res = run(config(), {0: [req]})
    check_echo6_reply(one(res, 0), req, P0_V6)
    check(res, rx=1, tx=1, echo_replies=1)


def test_echo_to_many_own_addresses_in_one_burst():
    """One burst to several own addresses and VIPs of both families, some in a
    row, some whose leading bytes match another's (2001:db8:...): each packet
    is answered from the address it was sent to (an AARP VIP: from the port's
    own address), in order, whatever the packet before it was for."""
    plan = [(4, P0_V4, P0_V4), (4, VIP4, VIP4), (4, VIP4, VIP4), (6, P0_V6, P0_V6),
            (6, VIP6, VIP6), (4, P1_V4, P1_V4), (6, AARP6, P0_V6), (6, P0_V6, P0_V6),
            (6, P1_V6, P1_V6), (4, AARP4, P0_V4), (4, P0_V4, P0_V4), (6, VIP6, VIP6)]
    reqs = [echo4(dst=d, seq=i) if fam == 4 else echo6(dst=d, seq=i) for i, (fam, d, _) in enumerate(plan)]
    res = run(config(), {0: reqs})
    assert len(res.out[0]) == len(plan), [p.summary() for p in res.out[0]]
    for (fam, _, src), req, rep in zip(plan, reqs, res.out[0]):
        (check_echo4_reply if fam == 4 else check_echo6_reply)(rep, req, src)
    check(res, rx=len(plan), tx=len(plan), echo_replies=len(plan))


def test_echo_v4_bad_checksum():
    req = echo4()
    req[ICMP].chksum ^= 0x0101
    res = run(config(), {0: [Ether(bytes(req)), echo4(seq=8)]})
    r = one(res, 0)
    assert r[ICMP].seq == 8
    check(res, {"icmp_malformed": 1}, rx=2, tx=1, echo_replies=1)


def test_echo_v6_bad_checksum():
    req = echo6()
    req[ICMPv6EchoRequest].cksum ^= 0x0101
    res = run(config(), {0: [Ether(bytes(req)), echo6(seq=10)]})
    assert one(res, 0)[ICMPv6EchoReply].seq == 10
    check(res, {"icmp_malformed": 1}, rx=2, tx=1, echo_replies=1)


def test_echo_reply_needs_resolution():
    """Client without a static neighbour: the reply waits for ARP, which the
    client answers in the same input."""
    cfg = config(neighbors=[])
    req = echo4(src="10.1.0.3")
    ans = arp_reply("10.1.0.3", "02:00:00:00:00:a3", P0_V4, P0_MAC)
    res = run(cfg, {0: [req, ans]})
    assert len(res.out[0]) == 2, [p.summary() for p in res.out[0]]
    q, r = res.out[0]
    l2(q, BCAST, P0_MAC, 0x0806)
    assert (q[ARP].op, q[ARP].psrc, q[ARP].pdst, q[ARP].hwsrc) == (1, P0_V4, "10.1.0.3", P0_MAC)
    check_echo4_reply(r, req, P0_V4, dst_mac="02:00:00:00:00:a3")
    check(res, rx=2, tx=1, consumed=1, originated=1, arp_requests=1, arp_learned=1, pending_sent=1)


# -- VIPs -----------------------------------------------------------------------
def test_vip_from_config_answers_arp_on_both_ports():
    res = run(config(), {0: [arp_request(VIP4)], 1: [arp_request(VIP4, sip=HOST_V4, smac=HOST_MAC)]})
    check_arp_reply(res.out[0][0], VIP4, P0_MAC, CLIENT_MAC)
    check_arp_reply(res.out[1][0], VIP4, P1_MAC, HOST_MAC)
    assert len(res.out[0]) == 1 and len(res.out[1]) == 1
    check(res, rx=2, tx=2, arp_replies=2)


def test_vip_echo_v4_v6():
    r4, r6 = echo4(dst=VIP4), echo6(dst=VIP6)
    res = run(config(), {0: [r4, r6]})
    assert len(res.out[0]) == 2
    check_echo4_reply(res.out[0][0], r4, VIP4)
    check_echo6_reply(res.out[0][1], r6, VIP6)
    check(res, rx=2, tx=2, echo_replies=2)


def test_aarp_vip_echo_from_unicast():
    """AARP VIP: the reply comes from the ingress port's own address."""
    a4, a6 = echo4(dst=AARP4), echo6(dst=AARP6)
    b4 = echo4(dst=AARP4, src=HOST_V4, mac=P1_MAC)
    b4[Ether].src = HOST_MAC
    b4 = Ether(bytes(b4))
    res = run(config(), {0: [a4, a6], 1: [b4]})
    assert len(res.out[0]) == 2 and len(res.out[1]) == 1
    check_echo4_reply(res.out[0][0], a4, P0_V4)
    check_echo6_reply(res.out[0][1], a6, P0_V6)
    check_echo4_reply(res.out[1][0], b4, P1_V4, out_mac=P1_MAC, dst_mac=HOST_MAC)
    check(res, rx=3, tx=3, echo_replies=3)


def test_vip_add_via_api_then_arp_answered():
    """vip.add publishes the VIP (the request returns once every lcore has
    seen it) and sends a gratuitous ARP on every port; an ARP request for it
    that arrives afterwards is answered. Port 0's RX is a FIFO, so the request
    reaches the data plane only when the test writes it."""
    import threading

    new_vip = "203.0.113.77"
    with Dataplane(config(), live_ports=(0,)) as dp:
        before = dp.api({"op": "vip.list"})
        assert before["ok"] and new_vip not in [v["addr"] for v in before["vips"]]
        reply = {}
        # The PMD blocks its lcore reading the FIFO; vip.add waits for that
        # lcore's quiescent state, so it is answered once a packet came in.
        t = threading.Thread(target=lambda: reply.update(dp.api({"op": "vip.add", "addr": new_vip}, timeout=20)))
        t.start()
        time.sleep(1.0)  # the API thread publishes the new set before it waits
        dp.live[0].send([arp_request(new_vip)])
        t.join(20)
        assert reply == {"ok": True, "addr": new_vip, "aarp": False, "existed": False}, reply
        stats = dp.wait_idle(expect_rx=1, settle=lambda s: s["originated"] == 2)
        listed = dp.api({"op": "vip.list"})
        assert {"addr": new_vip, "aarp": False} in listed["vips"]
        res = dp.stop()
    assert len(res.out[0]) == 2 and len(res.out[1]) == 1, {p: [x.summary() for x in v] for p, v in res.out.items()}
    check_arp_reply(res.out[0][0], new_vip, P0_MAC, CLIENT_MAC)
    for port, mac, g in ((0, P0_MAC, res.out[0][1]), (1, P1_MAC, res.out[1][0])):
        l2(g, BCAST, mac, 0x0806)
        a = g[ARP]
        assert (a.op, a.hwsrc, a.psrc, a.pdst, a.hwdst) == (1, mac, new_vip, new_vip, ZERO_MAC), g.show2(dump=True)
    check(res, rx=1, tx=1, originated=2, gratuitous=2, arp_replies=1)
    assert stats["originated"] == 2


def test_vip_add_v6_unsolicited_na_and_ns_answered():
    import threading

    new_vip = "2001:db8:100::77"
    with Dataplane(config(), live_ports=(0,)) as dp:
        reply = {}
        t = threading.Thread(target=lambda: reply.update(dp.api({"op": "vip.add", "addr": new_vip, "aarp": True}, timeout=20)))
        t.start()
        time.sleep(1.0)
        dp.live[0].send([ns(new_vip)])
        t.join(20)
        assert reply.get("ok") is True and reply.get("aarp") is True, reply
        dp.wait_idle(expect_rx=1, settle=lambda s: s["originated"] == 2)
        res = dp.stop()
    assert len(res.out[0]) == 2 and len(res.out[1]) == 1
    check_na(res.out[0][0], new_vip, P0_MAC, CLIENT_V6, CLIENT_MAC, override=0)
    for mac, g in ((P0_MAC, res.out[0][1]), (P1_MAC, res.out[1][0])):
        check_na(g, new_vip, mac, "ff02::1", "33:33:00:00:00:01", solicited=0, override=0)
    check(res, rx=1, tx=1, originated=2, gratuitous=2, nd_adverts=1)


def test_vip_api_errors():
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        r = dp.api({"op": "vip.add", "addr": P0_V4})
        assert r["ok"] is False and "address of port" in r["error"]
        r = dp.api({"op": "vip.add", "addr": "not-an-ip"})
        assert r["ok"] is False and "addr" in r["error"]
        r = dp.api({"op": "vip.add", "addr": VIP4, "bogus": 1})
        assert r["ok"] is False and "bogus" in r["error"]
        r = dp.api({"op": "vip.del", "addr": "203.0.113.250"})
        assert r["ok"] is False
        r = dp.api({"op": "nope"})
        assert r["ok"] is False and "unknown method" in r["error"]
        r = dp.api({"op": "vip.del", "addr": VIP4})
        assert r == {"ok": True, "addr": VIP4}
        assert VIP4 not in [v["addr"] for v in dp.api({"op": "vip.list"})["vips"]]
        assert dp.api({"op": "ping"})["ok"] is True
        res = dp.stop()
    nothing_sent(res)


def test_echo_v4_all_zero_reply_checksum():
    req = echo4(payload=b"", ident=0, seq=0)
    res = run(config(), {0: [req]})
    r = one(res, 0)
    assert r[ICMP].type == 0
    assert inet_checksum(bytes(r[ICMP])) == 0xFFFF, "reply ICMP checksum 0x%04x does not verify" % r[ICMP].chksum


def test_echo_v4_reply_checksum_edge_values():
    """Requests whose reply checksum lands on 0x0000 / 0xffff boundaries with
    non-zero data (valid either way) and a spread of others: all verify."""
    reqs = []
    for i, pay in enumerate([b"\xf8\x00", b"\x07\xff", b"\xff\xff", b"\x00\x01", b"\x80\x00" * 3, b"\x00"]):
        reqs.append(echo4(payload=pay, ident=0, seq=i + 1))
    res = run(config(), {0: reqs})
    assert len(res.out[0]) == len(reqs)
    for r in res.out[0]:
        assert inet_checksum(bytes(r[ICMP])) == 0xFFFF, bytes(r[ICMP]).hex()
        assert_ipv4_header_ok(bytes(r[IP]))
