"""ASRS ICMP error translation (SPEC §4.5): an error about a packet of a
session reaches the other side with outer and quoted headers rewritten and
every checksum right, so PMTU discovery works end to end."""

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, TCPerror, UDPerror
from scapy.layers.inet6 import ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPerror6, IPv6, TCPerror as _T6  # noqa: F401
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from asrs_fixtures import l3, natted, recompute
from golden_common import assert_ipv4_header_ok, check
from harness import run

SNAT = 20000


def cfg():
    return asrs_config(asrs={"snat_ports": {"min": SNAT, "max": 20999}})


def quoted(out, v6):
    """The quoted packet's bytes inside an ICMP error frame."""
    b = l3(out)
    return b[48:] if v6 else b[(b[0] & 15) * 4 + 8:]


def assert_quote(q, src, sport, dst, dport, full):
    v6 = q[0] >> 4 == 6
    hl = 40 if v6 else (q[0] & 15) * 4
    import socket
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    qs, qd = (q[8:24], q[24:40]) if v6 else (q[12:16], q[16:20])
    assert socket.inet_ntop(fam, qs) == src and socket.inet_ntop(fam, qd) == dst
    assert int.from_bytes(q[hl:hl + 2], "big") == sport and int.from_bytes(q[hl + 2:hl + 4], "big") == dport
    if not v6:
        assert_ipv4_header_ok(q)
    if full:  # the whole packet is quoted: its L4 checksum must verify too
        assert recompute(q) == q, "quoted checksums wrong: %s" % q.hex()


@pytest.mark.parametrize("full", [True, False])
def test_frag_needed_from_destination_reaches_client(full):
    a = built(frame4(tcp_seg(sport=40000, dport=80, payload=b"x" * 20)))
    sent = natted(a, P1_V4, SNAT, HOST_V4, 8080)  # what the host received
    q = sent if full else sent[:28]
    e = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / ICMP(type=3, code=4, nexthopmtu=1400) / Raw(q))
    res = run(cfg(), {0: [a, e]})
    assert len(res.out[1]) == 1 and len(res.out[0]) == 1
    out = res.out[0][0]
    assert out[IP].src == VIP4 and out[IP].dst == CLIENT_V4 and out[IP].ttl == 63
    assert out[ICMP].type == 3 and out[ICMP].code == 4 and out[ICMP].nexthopmtu == 1400
    assert_quote(quoted(out, False), CLIENT_V4, 40000, VIP4, 80, full)
    assert_checksums(out)
    check(res, rx=2, tx=2, icmp_translated=1)


def test_packet_too_big_v6_from_destination_reaches_client():
    a = built(frame6(UDP(sport=5000, dport=ASRS_PORT) / Raw(shim(sid(WEB6)) + b"y" * 40)))
    sent = natted(a, P1_V6, SNAT, HOST_V6, 8080, strip=16)
    e = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) / ICMPv6PacketTooBig(mtu=1300) / Raw(sent))
    res = run(cfg(), {0: [a, e]})
    assert len(res.out[0]) == 1
    out = res.out[0][0]
    assert out[IPv6].src == VIP6 and out[IPv6].dst == CLIENT_V6 and out[IPv6].hlim == 63
    assert out[ICMPv6PacketTooBig].mtu == 1300
    assert_quote(quoted(out, True), CLIENT_V6, 5000, VIP6, ASRS_PORT, True)
    assert_checksums(out)
    check(res, rx=2, tx=2, icmp_translated=1)


def test_error_from_client_side_reaches_destination():
    a = built(frame4(UDP(sport=5001, dport=53) / Raw(b"q")))
    r = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / UDP(sport=5353, dport=SNAT) / Raw(b"answer"))
    reply_sent = natted(r, VIP4, 53, CLIENT_V4, 5001)  # what the client side saw
    e = built(eth(P0_MAC, CLIENT_MAC) / IP(src=CLIENT_V4, dst=VIP4) / ICMP(type=3, code=3) / Raw(reply_sent))
    res = run(cfg(), {0: [a, r, e]})
    assert len(res.out[1]) == 2 and len(res.out[0]) == 1
    out = res.out[1][1]
    assert out[IP].src == P1_V4 and out[IP].dst == HOST_V4
    assert out[ICMP].type == 3 and out[ICMP].code == 3
    assert_quote(quoted(out, False), HOST_V4, 5353, P1_V4, SNAT, True)
    assert_checksums(out)
    check(res, rx=3, tx=3, icmp_translated=1)


def test_time_exceeded_v6_from_destination_side():
    a = built(frame6(tcp_seg(sport=40001, dport=80)))
    sent = natted(a, P1_V6, SNAT, HOST_V6, 8080)
    e = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) / ICMPv6TimeExceeded() / Raw(sent))
    res = run(cfg(), {0: [a, e]})
    out = res.out[0][0]
    assert ICMPv6TimeExceeded in out and out[IPv6].dst == CLIENT_V6
    assert_quote(quoted(out, True), CLIENT_V6, 40001, VIP6, 80, True)
    assert_checksums(out)
    check(res, rx=2, tx=2, icmp_translated=1)
