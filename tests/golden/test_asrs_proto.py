"""ASRS sessions are TCP or UDP only: a packet of another IP protocol whose
addresses and first L4 bytes are those of an established session (UDP-Lite,
SCTP and DCCP carry ports where UDP and TCP do) is not rewritten as if it
were TCP or UDP: it never reaches the session table (dropped as the core
drops a protocol no feature takes), and neither does an ICMP error quoting
such a packet; the session itself keeps working, its counts untouched."""

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check
from harness import run

SNAT_MIN = 20000
OTHER = {"udplite": 136, "sctp": 132, "dccp": 33}


def cfg():
    return asrs_config(asrs={"snat_ports": {"min": SNAT_MIN, "max": 20999}})


def _as_proto(frame, proto, v6=False):
    """frame (Ether / IP / L4) with the IP protocol field set to proto, the
    L4 bytes (ports first) kept as they are."""
    b = built(frame)
    ip = b[IPv6] if v6 else b[IP]
    l4 = bytes(ip.payload)
    if v6:
        return built(eth(P0_MAC, CLIENT_MAC) / IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim, nh=proto) / Raw(l4))
    return built(eth(P0_MAC, CLIENT_MAC) / IP(src=ip.src, dst=ip.dst, ttl=ip.ttl, proto=proto) / Raw(l4))


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_protocol_with_a_udp_sessions_ports_not_natted(name):
    first = built(frame4(UDP(sport=6100, dport=53) / Raw(b"q1")))
    other = _as_proto(frame4(UDP(sport=6100, dport=53) / Raw(b"q2")), OTHER[name])
    again = built(frame4(UDP(sport=6100, dport=53) / Raw(b"q3")))
    res = run(cfg(), {0: [first, other, again]})
    assert [bytes(p[UDP].payload) for p in res.out[1]] == [b"q1", b"q3"], [p.summary() for p in res.out[1]]
    assert res.out[0] == []
    check(res, {"local_unhandled": 1}, rx=3, tx=2, sessions_created=1, forwarded=2)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_protocol_with_a_tcp_sessions_ports_not_natted_v6(name):
    syn = built(frame6(tcp_seg(sport=40100, dport=80)))
    other = _as_proto(frame6(tcp_seg(sport=40100, dport=80, flags="A", seq=1001)), OTHER[name], v6=True)
    ack = built(frame6(tcp_seg(sport=40100, dport=80, flags="A", seq=1001)))
    res = run(cfg(), {0: [syn, other, ack]})
    assert len(res.out[1]) == 2 and all(TCP in p for p in res.out[1])
    assert [p[TCP].flags for p in res.out[1]] == ["S", "A"]
    check(res, {"ipv6_ext_local": 1}, rx=3, tx=2, sessions_created=1, forwarded=2)


def test_reply_side_other_protocol_not_natted():
    """From the destination to the SNAT address and port: the reply key of a
    UDP session, in another protocol."""
    first = built(frame4(UDP(sport=6101, dport=53) / Raw(b"q")))
    reply = eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / UDP(sport=5353, dport=SNAT_MIN) / Raw(b"a")
    other = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, proto=OTHER["sctp"]) /
                  Raw(bytes(built(reply)[UDP])))
    res = run(cfg(), {0: [first, other, built(reply)]})
    assert len(res.out[1]) == 1 and len(res.out[0]) == 1
    assert bytes(res.out[0][0][UDP].payload) == b"a"
    check(res, {"local_unhandled": 1}, rx=3, tx=2, sessions_created=1)


def test_icmp_error_quoting_another_protocol_finds_no_session():
    """An error quoting what the router sent toward the destination, but
    with the quoted protocol changed: no session, not translated."""
    first = built(frame4(UDP(sport=6102, dport=53) / Raw(b"q")))
    sent = IP(src=P1_V4, dst=HOST_V4, proto=OTHER["udplite"]) / Raw(bytes(UDP(sport=SNAT_MIN, dport=5353)))
    err = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / ICMP(type=3, code=3) / bytes(sent)[:28])
    res = run(cfg(), {0: [first, err]})
    assert len(res.out[1]) == 1 and res.out[0] == []
    check(res, {"icmp_no_session": 1}, rx=2, tx=1, sessions_created=1)
