"""Bad input of every kind: each is dropped with its named counter and the
port keeps working (a valid echo after it is still answered)."""

import struct

import pytest
from scapy.layers.inet import IPOption_RR
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment

from golden_common import *  # noqa: F401,F403
from harness import run

E = bytes(Ether(dst=P0_MAC, src=CLIENT_MAC, type=0x0800))
E6 = bytes(Ether(dst=P0_MAC, src=CLIENT_MAC, type=0x86DD))


def ip4_raw(ihl=5, total=None, payload=b"\x08\0\xf7\xff\0\0\0\0", version=4, good_ck=True, src=CLIENT_V4, dst=P0_V4, ttl=64, proto=1, frag=0):
    """A hand-made IPv4 header (fields scapy would fix up left as given)."""
    hl = ihl * 4
    opts = b"\x01" * max(0, hl - 20)  # NOPs
    total = 20 + len(opts) + len(payload) if total is None else total
    import socket

    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 0x99, frag, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    if good_ck:
        ck = 0xFFFF - (inet_checksum(h[: max(hl, 20)]) & 0xFFFF)
        h = h[:10] + struct.pack("!H", ck) + h[12:]
    return h + payload


def ip6_raw(plen=None, payload=b"", version=6, nh=17, src=CLIENT_V6, dst=HOST_V6):
    import socket

    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", version << 28, plen, nh, 64, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def frame(b):
    return Ether(b) if len(b) >= 14 else Raw(b)


def bad_ck_echo():
    p = echo4()
    p[IP].chksum ^= 0x1111
    return Ether(bytes(p))


def bad_ck_in_options():
    # IPv4 header with 12 bytes of options whose checksum is wrong only
    # because of an option byte (the sum covers the whole header)
    b = bytearray(E + ip4_raw(ihl=8))
    b[14 + 20 + 5] ^= 0x40
    return frame(bytes(b))


def icmp_short():
    # 4 bytes of ICMP: shorter than an echo header
    return frame(E + ip4_raw(payload=b"\x08\0\xf7\xff"))


def frag_to_us():
    p = echo4()
    p[IP].flags = "MF"
    del p[IP].chksum
    return Ether(bytes(p))


def udp_to_us():
    return Ether(bytes(eth() / IP(src=CLIENT_V4, dst=P0_V4) / UDP(sport=1, dport=9) / b"hi"))


def v6_ext_to_us():
    return Ether(bytes(eth() / IPv6(src=CLIENT_V6, dst=P0_V6) / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest()))


def v6_frag_to_us():
    return Ether(bytes(eth() / IPv6(src=CLIENT_V6, dst=P0_V6) / IPv6ExtHdrFragment(m=1) / ICMPv6EchoRequest()))


def icmp_timestamp_to_us():
    return Ether(bytes(eth() / IP(src=CLIENT_V4, dst=P0_V4) / ICMP(type=13)))


def mcast_dst():
    return Ether(bytes(Ether(dst="01:00:5e:00:00:fb", src=CLIENT_MAC) / IP(src=CLIENT_V4, dst="224.0.0.251") / UDP(sport=5353, dport=5353)))


def bcast_src_echo():
    return Ether(bytes(eth() / IP(src="255.255.255.255", dst=P0_V4) / ICMP()))


def own_src_echo():
    return Ether(bytes(eth() / IP(src=P1_V4, dst=P0_V4) / ICMP()))


def mcast_src_transit():
    return Ether(bytes(eth() / IP(src="224.1.1.1", dst=HOST_V4) / UDP()))


def v6_mcast_src_echo():
    return Ether(bytes(eth() / IPv6(src="ff02::1", dst=P0_V6) / ICMPv6EchoRequest()))


def v4_options_echo_ok():
    return Ether(bytes(eth() / IP(src=CLIENT_V4, dst=P0_V4, options=[IPOption_RR()]) / ICMP(id=3, seq=4) / b"opt"))


CASES = [
    # id, frame, expected drops
    ("eth_truncated_10", lambda: frame(bytes(eth())[:10]), {"eth_truncated": 1}),
    ("eth_truncated_13", lambda: frame(bytes(eth())[:13]), {"eth_truncated": 1}),
    ("l2_other_host", lambda: Ether(bytes(echo4(mac="02:00:00:00:00:99"))), {"l2_other_host": 1}),
    ("l2_other_port_mac", lambda: Ether(bytes(echo4(mac=P1_MAC))), {"l2_other_host": 1}),
    ("unknown_ethertype", lambda: frame(bytes(Ether(dst=P0_MAC, src=CLIENT_MAC, type=0x88B5)) + b"\0" * 46), {"unknown_ethertype": 1}),
    ("vlan_tagged", lambda: frame(bytes(Ether(dst=P0_MAC, src=CLIENT_MAC, type=0x8100)) + b"\0\x05\x08\x00" + bytes(echo4()[IP])), {"unknown_ethertype": 1}),
    ("ipv4_empty", lambda: frame(E), {"ipv4_truncated": 1}),
    ("ipv4_truncated_19", lambda: frame(E + ip4_raw()[:19]), {"ipv4_truncated": 1}),
    ("ipv4_bad_version", lambda: frame(E + ip4_raw(version=6)), {"ipv4_bad_version": 1}),
    ("ipv4_ihl_4", lambda: frame(E + ip4_raw(ihl=4, total=28)), {"ipv4_bad_ihl": 1}),
    ("ipv4_ihl_0", lambda: frame(E + ip4_raw(ihl=0, total=28)), {"ipv4_bad_ihl": 1}),
    ("ipv4_ihl_beyond_packet", lambda: frame((E + ip4_raw(ihl=15))[:14 + 40]), {"ipv4_bad_ihl": 1}),
    ("ipv4_total_beyond_frame", lambda: frame(E + ip4_raw(total=200)), {"ipv4_bad_length": 1}),
    ("ipv4_total_below_ihl", lambda: frame(E + ip4_raw(total=19)), {"ipv4_bad_length": 1}),
    ("ipv4_bad_checksum", bad_ck_echo, {"ipv4_bad_checksum": 1}),
    ("ipv4_bad_checksum_in_options", bad_ck_in_options, {"ipv4_bad_checksum": 1}),
    ("ipv4_bcast_source", bcast_src_echo, {"ipv4_bad_source": 1}),
    ("ipv4_own_source", own_src_echo, {"ipv4_bad_source": 1}),
    ("ipv4_mcast_source_transit", mcast_src_transit, {"ipv4_bad_source": 1}),
    ("ipv4_multicast_dst", mcast_dst, {"multicast_unhandled": 1}),
    ("ipv6_empty", lambda: frame(E6), {"ipv6_truncated": 1}),
    ("ipv6_truncated_39", lambda: frame(E6 + ip6_raw()[:39]), {"ipv6_truncated": 1}),
    ("ipv6_bad_version", lambda: frame(E6 + ip6_raw(version=4, payload=b"\0" * 8)), {"ipv6_bad_version": 1}),
    ("ipv6_plen_beyond_frame", lambda: frame(E6 + ip6_raw(plen=100, payload=b"\0" * 8)), {"ipv6_bad_length": 1}),
    ("ipv6_mcast_source", v6_mcast_src_echo, {"ipv6_bad_source": 1}),
    ("icmp_truncated", icmp_short, {"icmp_malformed": 1}),
    ("icmp_unhandled_type", icmp_timestamp_to_us, {"icmp_unhandled": 1}),
    ("fragment_to_us", frag_to_us, {"fragment_local": 1}),
    ("ipv6_fragment_to_us", v6_frag_to_us, {"fragment_local": 1}),
    ("ipv6_ext_to_us", v6_ext_to_us, {"ipv6_ext_local": 1}),
    ("udp_to_us", udp_to_us, {"local_unhandled": 1}),
]


@pytest.mark.parametrize("make,drops", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_dropped_port_keeps_working(make, drops):
    bad = make()
    good = echo4(seq=99)
    res = run(config(), {0: [bad, good]})
    assert len(res.out[0]) == 1 and res.out[1] == [], {p: [x.summary() for x in v] for p, v in res.out.items()}
    check_echo4_reply(res.out[0][0], good, P0_V4)
    check(res, drops, rx=2, tx=1, echo_replies=1)


def test_all_malformed_in_one_run():
    """Every case back to back, then a valid echo: the counters add up."""
    bad = [c[1]() for c in CASES]
    total = {}
    for c in CASES:
        for k, v in c[2].items():
            total[k] = total.get(k, 0) + v
    good = echo4(seq=100)
    res = run(config(), {0: bad + [good]})
    assert len(res.out[0]) == 1
    check_echo4_reply(res.out[0][0], good, P0_V4)
    check(res, total, rx=len(bad) + 1, tx=1)


def test_ipv4_options_echo_answered():
    """IHL > 5 with valid options: answered, the reply keeps the header length."""
    req = v4_options_echo_ok()
    res = run(config(), {0: [req]})
    r = res.out[0][0]
    assert r[IP].ihl == req[IP].ihl and r[IP].src == P0_V4 and r[ICMP].type == 0
    assert_checksums(r)


def test_random_garbage_never_crashes():
    """Random bytes after valid Ethernet headers (IPv4, IPv6, ARP types): all
    dropped or answered, counters conserve, the process stops cleanly."""
    import random

    rnd = random.Random(1234)
    pkts = []
    for i in range(600):
        t = (0x0800, 0x86DD, 0x0806)[i % 3]
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 120)))
        if t == 0x0800 and body:
            body = bytes([0x40 | (body[0] & 0xF)]) + body[1:]
        if t == 0x86DD and body:
            body = bytes([0x60]) + body[1:]
        pkts.append(Ether(bytes(Ether(dst=(P0_MAC, BCAST)[i % 2], src=CLIENT_MAC, type=t)) + body))
    res = run(config(), {0: pkts + [echo4(seq=5)]})
    assert res.out[0][-1][ICMP].seq == 5
    assert_conserved(res.stats)
