"""ASRS service router, golden packets: every way a packet names its service
(SPEC §4.2), the full-NAT rewrite both ways for IPv4 and IPv6 (§4.4), the
instance alias (§4.6), refusals (RST / port unreachable), TTL and MTU."""

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, TCPerror, UDPerror
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check, l2
from harness import run

SNAT_MIN = 20000


def cfg(**asrs):
    a = {"snat_ports": {"min": SNAT_MIN, "max": 20999}}
    a.update(asrs)
    return asrs_config(asrs=a)


def test_listener_tcp_v4_forward_and_reply():
    a = built(frame4(tcp_seg(sport=40000, dport=80, flags="S", seq=1000)))
    # The host answers the SNAT address and the first port of the range
    # (one lcore allocates sequentially from the start of its range).
    r = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5000, ack=1001, window=1000))
    b = built(frame4(tcp_seg(sport=40000, dport=80, flags="A", seq=1001, ack=5001, payload=b"GET / HTTP/1.0\r\n\r\n")))
    res = run(cfg(), {0: [a, r, b]})
    # r comes in on port 0 too (to keep the order in one pcap): the router
    # does not check the ingress port.
    assert len(res.out[1]) == 2 and len(res.out[0]) == 1, {p: [x.summary() for x in v] for p, v in res.out.items()}
    assert_natted(res.out[1][0], a, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    assert_natted(res.out[1][1], b, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    assert_natted(res.out[0][0], r, VIP4, 80, CLIENT_V4, 40000, CLIENT_MAC, P0_MAC)
    check(res, rx=3, tx=3, sessions_created=1, forwarded=3)
    assert res.stats["asrs"]["sessions"] == 1


def test_listener_tcp_v6_forward_and_reply():
    a = built(frame6(tcp_seg(sport=40001, dport=80)))
    r = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=7, ack=1001))
    res = run(cfg(), {0: [a, r]})
    assert len(res.out[1]) == 1 and len(res.out[0]) == 1
    assert_natted(res.out[1][0], a, P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC)
    assert_natted(res.out[0][0], r, VIP6, 80, CLIENT_V6, 40001, CLIENT_MAC, P0_MAC)
    check(res, rx=2, tx=2, sessions_created=1)


def test_listener_udp_v4_without_checksum_keeps_none():
    p = frame4(UDP(sport=5000, dport=53) / Raw(b"query"))
    p[UDP].chksum = 0
    p = built(p)
    assert p[UDP].chksum == 0
    res = run(cfg(), {0: [p]})
    assert len(res.out[1]) == 1
    assert res.out[1][0][UDP].chksum == 0
    assert_natted(res.out[1][0], p, P1_V4, SNAT_MIN, HOST_V4, 5353, HOST_MAC, P1_MAC)
    check(res, rx=1, tx=1, sessions_created=1)


def test_udp_shim_without_uri_stripped_on_every_datagram_replies_carry_none():
    s = shim(sid(DNS))
    a = built(frame4(UDP(sport=5001, dport=ASRS_PORT) / Raw(s + b"first")))
    b = built(frame4(UDP(sport=5001, dport=ASRS_PORT) / Raw(s + b"second datagram")))
    r = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / UDP(sport=5353, dport=SNAT_MIN) / Raw(b"answer"))
    res = run(cfg(), {0: [a, b, r]})
    assert len(res.out[1]) == 2 and len(res.out[0]) == 1
    assert_natted(res.out[1][0], a, P1_V4, SNAT_MIN, HOST_V4, 5353, HOST_MAC, P1_MAC, strip=len(s))
    assert_natted(res.out[1][1], b, P1_V4, SNAT_MIN, HOST_V4, 5353, HOST_MAC, P1_MAC, strip=len(s))
    assert bytes(res.out[1][1][UDP].payload) == b"second datagram"
    assert_natted(res.out[0][0], r, VIP4, ASRS_PORT, CLIENT_V4, 5001, CLIENT_MAC, P0_MAC)
    check(res, rx=3, tx=3, sessions_created=1, shim_stripped=2)


def test_udp_shim_with_uri_v6_and_sid_field_zero():
    s = shim(uri=WEB6)  # SID field 0: the URI names the service
    s2 = shim(uri=WEB6, sid_field=sid(WEB6))
    a = built(frame6(UDP(sport=5002, dport=ASRS_PORT) / Raw(s + b"hello")))
    b = built(frame6(UDP(sport=5002, dport=ASRS_PORT) / Raw(s2 + b"again")))
    res = run(cfg(), {0: [a, b]})
    assert len(res.out[1]) == 2
    assert_natted(res.out[1][0], a, P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC, strip=len(s))
    assert_natted(res.out[1][1], b, P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC, strip=len(s2))
    check(res, rx=2, tx=2, sessions_created=1, shim_stripped=2)


def test_tcp_option_on_syn_replaced_by_nops_then_session():
    opt = b"\x02\x04\x05\xb4" + tcp_opt(sid(WEB))  # MSS first: the option sits at offset 4
    a = built(frame4(tcp_seg(sport=40002, dport=ASRS_PORT, flags="S", opts=opt)))
    b = built(frame4(tcp_seg(sport=40002, dport=ASRS_PORT, flags="A", seq=1001, ack=1, payload=b"data")))
    res = run(cfg(), {0: [a, b]})
    assert len(res.out[1]) == 2
    assert_natted(res.out[1][0], a, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC, nop_off=4)
    assert_natted(res.out[1][1], b, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=2, tx=2, sessions_created=1, tcpopt_stripped=1)


def test_tcp_option_v6_odd_offset():
    opt = b"\x01" + tcp_opt(sid(WEB6))  # NOP first: the option at an odd offset
    a = built(frame6(tcp_seg(sport=40003, dport=ASRS_PORT, opts=opt)))
    res = run(cfg(), {0: [a]})
    assert len(res.out[1]) == 1
    assert_natted(res.out[1][0], a, P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC, nop_off=1)
    check(res, rx=1, tx=1, tcpopt_stripped=1)


def test_ipv6_service_prefix_any_port_to_destination_port_and_back():
    svc_addr = prefix_addr(WEB6)
    a = built(frame6(tcp_seg(sport=40004, dport=4444), dst=svc_addr))
    u = built(frame6(UDP(sport=40005, dport=9) / Raw(b"x" * 10), dst=svc_addr))
    r = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=1, ack=1001))
    res = run(cfg(), {0: [a, u, r]})
    assert len(res.out[1]) == 2 and len(res.out[0]) == 1
    assert_natted(res.out[1][0], a, P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC)
    assert_natted(res.out[1][1], u, P1_V6, SNAT_MIN + 1, HOST_V6, 8080, HOST_MAC, P1_MAC)
    # the reply comes from the service address and the port the client used
    assert_natted(res.out[0][0], r, svc_addr, 4444, CLIENT_V6, 40004, CLIENT_MAC, P0_MAC)
    check(res, rx=3, tx=3, sessions_created=2)


def test_service_prefix_unknown_sid_refused():
    import ipaddress
    unknown = str(ipaddress.IPv6Address(PREFIX6) + 0x1234)
    t = built(frame6(tcp_seg(sport=40006, dport=80, seq=77), dst=unknown))
    res = run(cfg(), {0: [t]})
    assert len(res.out[0]) == 1
    rst = res.out[0][0]
    assert rst[IPv6].src == unknown and rst[IPv6].dst == CLIENT_V6
    assert rst[TCP].flags == "RA" and rst[TCP].ack == 78 and rst[TCP].seq == 0
    assert_checksums(rst)
    check(res, rx=1, tx=1, no_service_refused=1)


def test_order_session_first_then_shim_then_option_then_listener():
    """A UDP datagram to VIP:6868 with a shim naming WEB while a listener on
    udp/6868 names DNS: the shim wins (§4.2 order)."""
    c = cfg()
    c["listeners"].append({"vip": VIP4, "proto": "udp", "port": ASRS_PORT, "service": DNS})
    s = shim(sid(WEB))
    a = built(frame4(UDP(sport=5010, dport=ASRS_PORT) / Raw(s + b"x")))
    res = run(c, {0: [a]})
    assert len(res.out[1]) == 1
    assert res.out[1][0][UDP].dport == 8080  # WEB's port, not DNS's 5353
    check(res, rx=1, tx=1, shim_stripped=1)


def test_refusals_rst_and_port_unreachable():
    unknown_svc = built(frame4(tcp_seg(sport=40010, dport=82, flags="S", seq=500)))   # listener → unknown service
    empty_svc = built(frame4(tcp_seg(sport=40011, dport=81, flags="PA", seq=9, ack=1234, payload=b"abc")))  # no destination
    no_lsn = built(frame4(UDP(sport=5020, dport=9999) / Raw(b"nobody")))
    bad_sid = built(frame6(UDP(sport=5021, dport=ASRS_PORT) / Raw(shim(0x1122334455667788) + b"x")))
    rst_in = built(frame4(tcp_seg(sport=40012, dport=82, flags="R", seq=1)))  # never answered
    res = run(cfg(), {0: [unknown_svc, empty_svc, no_lsn, bad_sid, rst_in]})
    out = res.out[0]
    assert len(out) == 4, [p.summary() for p in out]
    r1, r2, u1, u2 = out
    assert (r1[IP].src, r1[IP].dst, r1[TCP].sport, r1[TCP].dport) == (VIP4, CLIENT_V4, 82, 40010)
    assert r1[TCP].flags == "RA" and r1[TCP].seq == 0 and r1[TCP].ack == 501
    assert r2[TCP].flags == "R" and r2[TCP].seq == 1234  # answers an ACK: seq = its ack
    for p in (r1, r2):
        assert_checksums(p)
    assert u1[ICMP].type == 3 and u1[ICMP].code == 3 and u1[IPerror].dst == VIP4 and u1[UDPerror].dport == 9999
    assert u2[ICMPv6DestUnreach].code == 4
    for p in (u1, u2):
        assert_checksums(p)
    check(res, {"no_service": 1}, rx=5, tx=4, no_service_refused=3, no_destination_refused=1, sessions_created=0)


def test_ttl_expiry_new_and_established():
    a = built(frame4(tcp_seg(sport=40020, dport=80), ttl=1))       # no session made
    b = built(frame4(tcp_seg(sport=40021, dport=80), ttl=5))
    c2 = built(frame4(tcp_seg(sport=40021, dport=80, flags="A", seq=1001), ttl=1))
    h = built(frame6(tcp_seg(sport=40022, dport=80), hlim=1))
    res = run(cfg(), {0: [a, b, c2, h]})
    assert len(res.out[1]) == 1 and len(res.out[0]) == 3
    te = res.out[0]
    assert te[0][ICMP].type == 11 and te[0][IPerror].src == CLIENT_V4 and te[0][TCPerror].sport == 40020
    assert te[1][ICMP].type == 11 and te[1][TCPerror].sport == 40021 and te[1][IPerror].dst == VIP4
    assert ICMPv6TimeExceeded in te[2]
    for p in te:
        assert_checksums(p)
    check(res, rx=4, tx=4, sessions_created=1, ttl_expired=3)


def test_mtu_frag_needed_quotes_client_packet():
    c = cfg()
    c["ports"][1]["mtu"] = 1280
    a = built(frame4(UDP(sport=5030, dport=53) / Raw(b"small")))
    big = built(frame4(UDP(sport=5030, dport=53) / Raw(b"B" * 1300)))
    big6 = built(frame6(UDP(sport=5031, dport=ASRS_PORT) / Raw(shim(sid(WEB6)) + b"B" * 1300)))
    res = run(c, {0: [a, big, big6]})
    assert len(res.out[1]) == 1 and len(res.out[0]) == 2
    fn, ptb = res.out[0]
    assert fn[ICMP].type == 3 and fn[ICMP].code == 4 and fn[ICMP].nexthopmtu == 1280
    assert fn[IPerror].src == CLIENT_V4 and fn[IPerror].dst == VIP4 and fn[UDPerror].dport == 53
    # the shim is removed before the egress port: the client may send 16 more
    assert ptb[ICMPv6PacketTooBig].mtu == 1280 + 16
    for p in (fn, ptb):
        assert_checksums(p)
    check(res, rx=3, tx=3, sessions_created=2)


def test_instance_alias_unicast_address_like_aarp_vip():
    """TCP to port 0's own address on a listener port of an AARP VIP is
    served like the VIP; the reply comes from that address. A port whose
    listeners belong to no AARP VIP is not served on the unicast address."""
    a = built(frame4(tcp_seg(sport=40030, dport=80), dst=P0_V4))
    r = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / TCP(sport=8080, dport=SNAT_MIN, flags="SA", ack=1001))
    other = built(frame4(UDP(sport=5040, dport=53) / Raw(b"q"), dst=P0_V4))  # udp/53 is on VIP4 only
    shim_alias = built(frame4(UDP(sport=5041, dport=ASRS_PORT) / Raw(shim(sid(DNS)) + b"q"), dst=P0_V4))
    res = run(cfg(), {0: [a, r, other, shim_alias]})
    assert len(res.out[1]) == 2 and len(res.out[0]) == 1
    assert_natted(res.out[1][0], a, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    assert_natted(res.out[0][0], r, P0_V4, 80, CLIENT_V4, 40030, CLIENT_MAC, P0_MAC)
    assert res.out[1][1][UDP].dport == 5353
    check(res, {"local_unhandled": 1}, rx=4, tx=3, sessions_created=2)


def test_priority_groups_and_weighted_maglev():
    """Lower priority value preferred; inside the group, clients spread over
    the destinations in proportion to their weights."""
    svcs = services()
    svcs[0] = {"service": WEB, "destinations": [
        {"addr": HOST_V4, "port": 8080, "priority": 10, "weight": 300},
        {"addr": HOST2_V4, "port": 8080, "priority": 10, "weight": 100},
        {"addr": HOST_V4, "port": 9999, "priority": 20}]}
    c = asrs_config(asrs={"snat_ports": {"min": SNAT_MIN, "max": 29999}}, svcs=svcs)
    pkts = [built(frame4(tcp_seg(sport=30000 + i, dport=80), src="10.1.0.%d" % (10 + i % 200)))
            for i in range(400)]
    res = run(c, {0: pkts})
    out = res.out[1]
    assert len(out) == 400
    to = {}
    for p in out:
        to[(p[IP].dst, p[TCP].dport)] = to.get((p[IP].dst, p[TCP].dport), 0) + 1
    assert (HOST_V4, 9999) not in to
    # weights 3:1 → about 300 / 100 (Maglev spread, generous bounds)
    assert 240 <= to[(HOST_V4, 8080)] <= 360 and 40 <= to[(HOST2_V4, 8080)] <= 160, to
    check(res, rx=400, tx=400, sessions_created=400)


def test_refusals_rate_limited_to_nothing():
    c = cfg()
    c["icmp_rate_per_s"] = 0
    t = built(frame4(tcp_seg(sport=40050, dport=82)))
    u = built(frame4(UDP(sport=5050, dport=9999) / Raw(b"x")))
    e = built(frame4(tcp_seg(sport=40051, dport=81)))
    res = run(c, {0: [t, u, e]})
    assert res.out[0] == [] and res.out[1] == []
    check(res, {"no_service": 2, "no_destination": 1}, rx=3, tx=0, no_service_refused=0)
