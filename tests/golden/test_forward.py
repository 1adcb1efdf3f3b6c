"""Transit packets: routing, TTL / hop limit, MAC rewrite, ICMP errors,
next-hop resolution, MTU."""

import pytest
from scapy.layers.inet import IPerror
from scapy.layers.inet6 import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6PacketTooBig,
    ICMPv6TimeExceeded,
)

from golden_common import *  # noqa: F401,F403
from harness import DataplaneError, run


def fwd_check4(out, sent, dst_mac, out_mac=P1_MAC):
    """`out` is `sent` routed: MACs rewritten, TTL - 1, checksum updated,
    everything else unchanged."""
    l2(out, dst_mac, out_mac, 0x0800)
    exp = sent[IP].copy()
    exp.ttl -= 1
    del exp.chksum
    assert bytes(out[IP]) == bytes(IP(bytes(exp))), "routed IPv4 packet differs:\n%s\n%s" % (bytes(out[IP]).hex(), bytes(IP(bytes(exp))).hex())
    assert len(bytes(out)) == 14 + sent[IP].len
    assert_checksums(out)


def fwd_check6(out, sent, dst_mac, out_mac=P1_MAC):
    l2(out, dst_mac, out_mac, 0x86DD)
    exp = bytearray(bytes(sent[IPv6]))
    exp[7] -= 1
    assert bytes(out[IPv6]) == bytes(exp)
    assert_checksums(out)


def test_forward_v4_connected_static_neighbour():
    p = udp4()
    res = run(config(), {0: [p]})
    assert res.out[0] == [] and len(res.out[1]) == 1
    fwd_check4(res.out[1][0], p, HOST_MAC)
    assert res.out[1][0][IP].ttl == 63
    check(res, rx=1, tx=1, forwarded=1)


def test_forward_v4_via_gateway_and_back():
    a = udp4(dst=REMOTE_V4, ttl=2)  # TTL 2 -> 1: still forwarded
    b = udp4(dst=CLIENT_V4, src=REMOTE_V4, mac=P1_MAC, sport=6000, dport=5000, payload=b"back")
    b[Ether].src = GW_MAC
    b = Ether(bytes(b))
    res = run(config(), {0: [a], 1: [b]})
    assert len(res.out[0]) == 1 and len(res.out[1]) == 1
    fwd_check4(res.out[1][0], a, GW_MAC)
    fwd_check4(res.out[0][0], b, CLIENT_MAC, out_mac=P0_MAC)
    check(res, rx=2, tx=2, forwarded=2)


def test_forward_v4_many_ttls_checksums():
    """Incremental checksum update over many TTL / id combinations."""
    pkts = [udp4(ttl=t, payload=bytes([t]) * (t % 7)) for t in range(2, 256, 3)]
    for i, p in enumerate(pkts):
        p[IP].id = (i * 7919) & 0xFFFF
        p[IP].tos = i & 0xFC
        del p[IP].chksum
        del p[UDP].chksum
        pkts[i] = Ether(bytes(p))
    res = run(config(), {0: pkts})
    assert len(res.out[1]) == len(pkts)
    for o, p in zip(res.out[1], pkts):
        fwd_check4(o, p, HOST_MAC)
    check(res, rx=len(pkts), tx=len(pkts), forwarded=len(pkts))


def test_forward_v6():
    p, q = udp6(), udp6(dst=REMOTE_V6, hlim=2)
    res = run(config(), {0: [p, q]})
    assert len(res.out[1]) == 2
    fwd_check6(res.out[1][0], p, HOST_MAC)
    fwd_check6(res.out[1][1], q, GW_MAC)
    assert res.out[1][0][IPv6].hlim == 63
    check(res, rx=2, tx=2, forwarded=2)


def test_forward_strips_ethernet_padding():
    p = udp4(payload=b"x")
    padded = Ether(bytes(p) + b"\xee" * (60 - len(bytes(p))))
    res = run(config(), {0: [padded]})
    fwd_check4(res.out[1][0], p, HOST_MAC)


def test_no_route():
    res = run(config(), {0: [udp4(dst="192.0.2.1"), udp6(dst="2001:db8:77::1"), echo4()]})
    assert [x[ICMP].type for x in res.out[0]] == [0] and res.out[1] == []
    check(res, {"no_route": 2}, rx=3, tx=1, forwarded=0)


# -- TTL ------------------------------------------------------------------------
def test_ttl_1_time_exceeded_v4():
    p = udp4(ttl=1, payload=b"expiring payload")
    res = run(config(), {0: [p]})
    assert res.out[1] == [] and len(res.out[0]) == 1
    e = res.out[0][0]
    l2(e, CLIENT_MAC, P0_MAC, 0x0800)
    assert e[IP].src == P0_V4 and e[IP].dst == CLIENT_V4
    assert e[IP].proto == 1 and e[IP].ttl == 64
    assert (e[ICMP].type, e[ICMP].code) == (11, 0)
    assert bytes(e[ICMP])[4:8] == b"\0\0\0\0", "unused field not zero"
    quoted = bytes(e[ICMP])[8:]
    assert quoted == bytes(p[IP]), "quote is not the original datagram:\n%s\n%s" % (quoted.hex(), bytes(p[IP]).hex())
    assert e[IP].len == 20 + 8 + len(bytes(p[IP]))
    assert_checksums(e)
    check(res, rx=1, tx=1, ttl_expired=1, icmp_errors_sent=1, forwarded=0)


def test_ttl_0_time_exceeded_v4():
    p = udp4(ttl=0)
    res = run(config(), {0: [p]})
    e = res.out[0][0]
    assert (e[ICMP].type, e[ICMP].code) == (11, 0)
    assert bytes(e[ICMP])[8:] == bytes(p[IP])
    check(res, rx=1, tx=1, ttl_expired=1)


def test_ttl_exceeded_quote_truncated_to_576():
    p = udp4(ttl=1, payload=bytes(range(256)) * 4)
    res = run(config(), {0: [p]})
    e = res.out[0][0]
    assert e[IP].len == 576 and len(bytes(e)) == 14 + 576
    assert bytes(e[ICMP])[8:] == bytes(p[IP])[: 576 - 28]
    assert_checksums(e)


def test_hop_limit_1_time_exceeded_v6():
    p = udp6(hlim=1)
    res = run(config(), {0: [p]})
    assert res.out[1] == [] and len(res.out[0]) == 1
    e = res.out[0][0]
    l2(e, CLIENT_MAC, P0_MAC, 0x86DD)
    assert e[IPv6].src == P0_V6 and e[IPv6].dst == CLIENT_V6 and e[IPv6].hlim == 64 and e[IPv6].nh == 58
    t = e[ICMPv6TimeExceeded]
    assert (t.type, t.code) == (3, 0)
    assert bytes(t)[8:] == bytes(p[IPv6])
    assert e[IPv6].plen == 8 + len(bytes(p[IPv6]))
    assert_checksums(e)
    check(res, rx=1, tx=1, ttl_expired=1, icmp_errors_sent=1)


def test_no_error_about_icmp_error():
    """TTL-expiring ICMP error: dropped, never answered with another error."""
    inner = IP(src="10.9.9.9", dst=CLIENT_V4) / UDP(sport=1, dport=2)
    p = Ether(bytes(eth() / IP(src=CLIENT_V4, dst=HOST_V4, ttl=1) / ICMP(type=3, code=3) / inner))
    res = run(config(), {0: [p]})
    assert res.out[0] == [] and res.out[1] == []
    check(res, {"ttl_exceeded": 1}, rx=1, tx=0, ttl_expired=1, icmp_errors_sent=0)


def test_icmp_error_rate_limit():
    """icmp_rate_per_s bounds the errors sent; the rest are counted drops."""
    pkts = [udp4(ttl=1, sport=1000 + i) for i in range(12)]
    res = run(config(icmp_rate_per_s=5), {0: pkts})
    n = len(res.out[0])
    assert 5 <= n <= 6, n  # a burst of 5, maybe one more token if time passed
    check(res, {"ttl_exceeded": 12 - n}, rx=12, tx=n, ttl_expired=12, icmp_errors_sent=n)


# -- resolution ---------------------------------------------------------------------
def test_resolve_arp_then_deliver():
    target, tmac = "10.2.0.3", "02:00:00:00:00:d3"
    p1, p2 = udp4(dst=target, sport=1), udp4(dst=target, sport=2)
    ans = arp_reply(target, tmac, P1_V4, P1_MAC)
    res = run(config(), {0: [p1, p2], 1: [ans]})
    assert res.out[0] == []
    assert len(res.out[1]) == 3, [x.summary() for x in res.out[1]]
    q = res.out[1][0]
    l2(q, BCAST, P1_MAC, 0x0806)
    a = q[ARP]
    assert (a.op, a.hwsrc, a.psrc, a.hwdst, a.pdst) == (1, P1_MAC, P1_V4, "00:00:00:00:00:00", target)
    fwd_check4(res.out[1][1], p1, tmac)
    fwd_check4(res.out[1][2], p2, tmac)
    check(res, rx=3, tx=2, consumed=1, originated=1, arp_requests=1, arp_learned=1,
          pending_queued=2, pending_sent=2, forwarded=0)


def test_resolve_ns_then_deliver():
    target, tmac = "2001:db8:2::3", "02:00:00:00:00:d6"
    p = udp6(dst=target)
    na = Ether(dst=P1_MAC, src=tmac) / IPv6(src=target, dst=P1_V6, hlim=255) / \
        ICMPv6ND_NA(R=0, S=1, O=1, tgt=target) / ICMPv6NDOptDstLLAddr(lladdr=tmac)
    res = run(config(), {0: [p], 1: [Ether(bytes(na))]})
    assert res.out[0] == [] and len(res.out[1]) == 2, [x.summary() for x in res.out[1]]
    s = res.out[1][0]
    group, gmac = snm(target)
    l2(s, gmac, P1_MAC, 0x86DD)
    assert s[IPv6].src == P1_V6 and s[IPv6].dst == group and s[IPv6].hlim == 255
    n = s[ICMPv6ND_NS]
    assert (n.type, n.code, n.tgt) == (135, 0, target)
    assert s[ICMPv6NDOptSrcLLAddr].lladdr == P1_MAC
    assert_checksums(s)
    fwd_check6(res.out[1][1], p, tmac)
    check(res, rx=2, tx=1, consumed=1, originated=1, nd_solicits=1, nd_learned=1, pending_sent=1)


def test_resolve_gateway_by_arp():
    cfg = config(neighbors=[{"addr": CLIENT_V4, "mac": CLIENT_MAC, "port": 0}])
    p = udp4(dst=REMOTE_V4)
    ans = arp_reply(GW_V4, GW_MAC, P1_V4, P1_MAC)
    res = run(cfg, {0: [p], 1: [ans]})
    assert len(res.out[1]) == 2
    assert res.out[1][0][ARP].pdst == GW_V4
    fwd_check4(res.out[1][1], p, GW_MAC)
    check(res, rx=2, tx=1, consumed=1, originated=1)


def test_unresolved_next_hop_dropped_after_probes():
    cfg = config(neighbor_cache={"probes": 2, "probe_interval_ms": 20})
    p = udp4(dst="10.2.0.9")
    res = run(cfg, {0: [p]}, settle=lambda s: s["drops"]["neigh_unresolved"] == 1)
    assert res.out[0] == []
    assert len(res.out[1]) == 2
    for q in res.out[1]:
        l2(q, BCAST, P1_MAC, 0x0806)
        assert (q[ARP].op, q[ARP].pdst, q[ARP].psrc) == (1, "10.2.0.9", P1_V4)
    check(res, {"neigh_unresolved": 1}, rx=1, tx=0, originated=2, arp_requests=2)


def test_pending_queue_limit():
    cfg = config(neighbor_cache={"pending_packets": 2})
    target, tmac = "10.2.0.4", "02:00:00:00:00:d4"
    pkts = [udp4(dst=target, sport=10 + i) for i in range(4)]
    ans = arp_reply(target, tmac, P1_V4, P1_MAC)
    res = run(cfg, {0: pkts, 1: [ans]})
    assert len(res.out[1]) == 3
    assert [x[UDP].sport for x in res.out[1][1:]] == [10, 11]
    check(res, {"neigh_pending_full": 2}, rx=5, tx=2, consumed=1, originated=1)


def test_unsolicited_arp_reply_not_learned():
    """An ARP reply nobody asked for creates no entry (no cache poisoning)."""
    ans = arp_reply("10.2.0.5", "02:00:00:00:00:d5", P1_V4, P1_MAC)
    res = run(config(), {1: [ans]})
    check(res, {"arp_not_for_us": 1}, rx=1, tx=0, consumed=0, arp_learned=0)


# -- MTU ----------------------------------------------------------------------------
def big4(size, df=True):
    return udp4(payload=bytes(i & 0xFF for i in range(size - 28)), flags="DF" if df else 0)


def test_df_larger_than_mtu_frag_needed():
    p = big4(1600)
    res = run(config(), {0: [p, big4(1500)]})
    assert len(res.out[1]) == 1 and res.out[1][0][IP].len == 1500
    fwd_check4(res.out[1][0], big4(1500), HOST_MAC)
    assert len(res.out[0]) == 1
    e = res.out[0][0]
    l2(e, CLIENT_MAC, P0_MAC, 0x0800)
    assert e[IP].src == P0_V4 and e[IP].dst == CLIENT_V4
    assert (e[ICMP].type, e[ICMP].code) == (3, 4)
    assert bytes(e[ICMP])[4:8] == b"\0\0" + (1500).to_bytes(2, "big"), "next-hop MTU field"
    assert e[IP].len == 576
    quoted = IPerror(bytes(e[ICMP])[8:])
    assert (quoted.src, quoted.dst, quoted.id, quoted.len) == (CLIENT_V4, HOST_V4, p[IP].id, 1600)
    assert quoted.ttl in (p[IP].ttl, p[IP].ttl - 1)
    assert_ipv4_header_ok(bytes(e[ICMP])[8:28])
    assert bytes(e[ICMP])[28:576 - 20] == bytes(p[IP])[20:576 - 28]
    assert_checksums(e)
    check(res, rx=2, tx=2, icmp_errors_sent=1, forwarded=1)


def test_not_df_larger_than_mtu_dropped():
    res = run(config(), {0: [big4(1600, df=False)]})
    assert res.out[0] == [] and res.out[1] == []
    check(res, {"mtu_exceeded": 1}, rx=1, tx=0)


def test_v6_larger_than_mtu_packet_too_big():
    p = udp6(payload=bytes(i & 0xFF for i in range(1600 - 48)))
    res = run(config(), {0: [p]})
    assert res.out[1] == [] and len(res.out[0]) == 1
    e = res.out[0][0]
    l2(e, CLIENT_MAC, P0_MAC, 0x86DD)
    assert e[IPv6].src == P0_V6 and e[IPv6].dst == CLIENT_V6
    t = e[ICMPv6PacketTooBig]
    assert (t.type, t.code, t.mtu) == (2, 0, 1500)
    assert len(bytes(e)) == 14 + 1280
    q = bytes(t)[8:]
    assert q[:7] == bytes(p[IPv6])[:7] and q[8:] == bytes(p[IPv6])[8:1280 - 48]
    assert_checksums(e)
    check(res, rx=1, tx=1, icmp_errors_sent=1)


def test_port_mtu_1280_frag_needed():
    cfg = config()
    cfg["ports"][1]["mtu"] = 1280
    p = big4(1300)
    res = run(cfg, {0: [p, big4(1280)]})
    assert len(res.out[1]) == 1 and res.out[1][0][IP].len == 1280
    e = res.out[0][0]
    assert (e[ICMP].type, e[ICMP].code) == (3, 4)
    assert bytes(e[ICMP])[4:8] == b"\0\0" + (1280).to_bytes(2, "big")
    assert_checksums(e)
    check(res, rx=2, tx=2, icmp_errors_sent=1, forwarded=1)
