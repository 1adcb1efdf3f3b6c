"""Shared pieces of the golden tests: the standard topology, packet builders
and independent checks (checksums recomputed by scapy, counters)."""

import copy
import struct

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
)
from scapy.packet import Raw

# Port 0: clients; port 1: hosts and a gateway.
P0_MAC = "02:00:00:00:00:01"
P1_MAC = "02:00:00:00:00:02"
P0_V4, P0_V6 = "10.1.0.1", "2001:db8:1::1"
P1_V4, P1_V6 = "10.2.0.1", "2001:db8:2::1"

CLIENT_MAC, CLIENT_V4, CLIENT_V6 = "02:00:00:00:00:aa", "10.1.0.2", "2001:db8:1::2"
HOST_MAC, HOST_V4, HOST_V6 = "02:00:00:00:00:bb", "10.2.0.2", "2001:db8:2::2"
GW_MAC, GW_V4, GW_V6 = "02:00:00:00:00:cc", "10.2.0.254", "2001:db8:2::fe"
REMOTE_V4, REMOTE_V6 = "198.51.100.7", "2001:db8:99::7"  # behind the gateway

VIP4, VIP6 = "203.0.113.10", "2001:db8:100::10"
AARP4, AARP6 = "203.0.113.20", "2001:db8:100::20"

BCAST = "ff:ff:ff:ff:ff:ff"


def config(**over):
    """Two ports, static neighbours for the client, the host and the gateway,
    routes to the remote prefixes via the gateway, VIPs (one AARP per family)."""
    c = {
        "ports": [
            {"port": 0, "mac": P0_MAC, "addrs": [P0_V4 + "/24", P0_V6 + "/64"]},
            {"port": 1, "mac": P1_MAC, "addrs": [P1_V4 + "/24", P1_V6 + "/64"]},
        ],
        "routes": [
            {"prefix": "198.51.100.0/24", "via": GW_V4},
            {"prefix": "2001:db8:99::/48", "via": GW_V6},
        ],
        "neighbors": [
            {"addr": CLIENT_V4, "mac": CLIENT_MAC, "port": 0},
            {"addr": CLIENT_V6, "mac": CLIENT_MAC, "port": 0},
            {"addr": HOST_V4, "mac": HOST_MAC, "port": 1},
            {"addr": HOST_V6, "mac": HOST_MAC, "port": 1},
            {"addr": GW_V4, "mac": GW_MAC, "port": 1},
            {"addr": GW_V6, "mac": GW_MAC, "port": 1},
        ],
        "vips": [{"addr": VIP4}, {"addr": VIP6}, {"addr": AARP4, "aarp": True}, {"addr": AARP6, "aarp": True}],
        "idle_sleep_us": 100,
        "mbufs": 4095,
    }
    c = copy.deepcopy(c)
    c.update(over)
    return c


# -- builders -----------------------------------------------------------------
def eth(dst=P0_MAC, src=CLIENT_MAC):
    return Ether(dst=dst, src=src)


def echo4(dst=P0_V4, src=CLIENT_V4, payload=b"golden-echo-v4 0123456789", ident=0x1234, seq=7, ttl=64, mac=P0_MAC):
    return Ether(bytes(eth(mac) / IP(src=src, dst=dst, ttl=ttl, id=0x4242) / ICMP(type=8, id=ident, seq=seq) / Raw(payload)))


def echo6(dst=P0_V6, src=CLIENT_V6, payload=b"golden-echo-v6 0123456789", ident=0x4321, seq=9, hlim=64, mac=P0_MAC):
    return Ether(bytes(eth(mac) / IPv6(src=src, dst=dst, hlim=hlim) / ICMPv6EchoRequest(id=ident, seq=seq, data=payload)))


def udp4(dst=HOST_V4, src=CLIENT_V4, sport=5000, dport=6000, payload=b"transit", ttl=64, mac=P0_MAC, flags=0):
    return Ether(bytes(eth(mac) / IP(src=src, dst=dst, ttl=ttl, flags=flags, id=0x777) / UDP(sport=sport, dport=dport) / Raw(payload)))


def udp6(dst=HOST_V6, src=CLIENT_V6, sport=5000, dport=6000, payload=b"transit6", hlim=64, mac=P0_MAC):
    return Ether(bytes(eth(mac) / IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=sport, dport=dport) / Raw(payload)))


def arp_request(tip, sip=CLIENT_V4, smac=CLIENT_MAC, dst=BCAST):
    return Ether(dst=dst, src=smac) / ARP(op=1, hwsrc=smac, psrc=sip, hwdst="00:00:00:00:00:00", pdst=tip)


def arp_reply(sip, smac, tip, tmac, dst=None):
    return Ether(dst=dst or tmac, src=smac) / ARP(op=2, hwsrc=smac, psrc=sip, hwdst=tmac, pdst=tip)


# -- checks -------------------------------------------------------------------
def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def assert_ipv4_header_ok(raw_ip):
    ihl = (raw_ip[0] & 0xF) * 4
    assert inet_checksum(raw_ip[:ihl]) == 0xFFFF, "IPv4 header checksum wrong: %s" % raw_ip[:ihl].hex()


def assert_checksums(pkt):
    """Rebuilds the frame with every checksum of the outer headers (IP, ICMP,
    UDP, TCP, ICMPv6/ND) deleted, i.e. recomputed by scapy, and compares with
    the bytes the data plane sent. Quoted headers inside ICMP errors are
    compared as they are (they must be the offender's own bytes)."""
    raw = bytes(pkt)
    p = Ether(raw)
    layer = p
    while layer is not None and not isinstance(layer, (Raw,)):
        name = type(layer).__name__
        if "error" in name.lower() or name.endswith("Padding"):
            break
        for f in ("chksum", "cksum"):
            if f in layer.fields:
                delattr(layer, f)  # also drops scapy's cache of the dissected bytes
        layer = layer.payload if layer.payload else None
    rebuilt = bytes(p)
    assert rebuilt == raw, "checksums differ from scapy's:\n sent    %s\n scapy   %s" % (raw.hex(), rebuilt.hex())
    if IP in p:
        assert_ipv4_header_ok(bytes(p[IP]))


def assert_conserved(stats):
    assert stats["drops_total"] == sum(stats["drops"].values())
    assert stats["rx"] == stats["tx"] + stats["drops_total"] + stats["consumed"], (
        "rx %d != tx %d + drops %d + consumed %d"
        % (stats["rx"], stats["tx"], stats["drops_total"], stats["consumed"]))
    assert stats["in_flight"] == 0


def assert_drops(stats, expected):
    """Exactly these drop reasons are non-zero, with these counts."""
    have = {k: v for k, v in stats["drops"].items() if v}
    assert have == expected, "drops %s, expected %s" % (have, expected)


def check(res, drops=None, **expect):
    """Conservation, exact drops, and stats fields / counters given as
    keyword arguments (rx=, tx=, consumed=, originated= or counter names)."""
    s = res.stats
    assert_conserved(s)
    assert_drops(s, drops or {})
    for k, v in expect.items():
        have = s[k] if k in ("rx", "tx", "consumed", "originated") else s["counters"][k]
        assert have == v, "%s = %s, expected %s" % (k, have, v)


def l2(pkt, dst, src, etype):
    assert pkt[Ether].dst == dst, "eth dst %s, expected %s" % (pkt[Ether].dst, dst)
    assert pkt[Ether].src == src, "eth src %s, expected %s" % (pkt[Ether].src, src)
    assert pkt[Ether].type == etype


# -- answers from the router ------------------------------------------------------
def check_arp_reply(r, ip, mac, asker_mac):
    l2(r, asker_mac, mac, 0x0806)
    a = r[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen, a.op) == (1, 0x0800, 6, 4, 2)
    assert a.hwsrc == mac and a.psrc == ip
    assert a.hwdst == asker_mac
    assert len(bytes(r)) == 42, "ARP reply of %d bytes (no padding expected)" % len(bytes(r))


def snm(addr):
    """Solicited-node multicast address and MAC of an IPv6 address."""
    import ipaddress

    low = ipaddress.IPv6Address(addr).packed[13:]
    group = ipaddress.IPv6Address(b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + low)
    mac = "33:33:ff:%02x:%02x:%02x" % tuple(low)
    return str(group), mac


def ns(target, src=CLIENT_V6, smac=CLIENT_MAC, hlim=255, sll=True, dst=None):
    group, gmac = snm(target)
    p = Ether(dst=gmac, src=smac) / IPv6(src=src, dst=dst or group, hlim=hlim) / ICMPv6ND_NS(tgt=target)
    if sll:
        p = p / ICMPv6NDOptSrcLLAddr(lladdr=smac)
    return Ether(bytes(p))


def check_na(r, target, mac, dst_ip, dst_mac, router=1, solicited=1, override=1):
    l2(r, dst_mac, mac, 0x86DD)
    ip = r[IPv6]
    assert ip.src == target and ip.dst == dst_ip
    assert ip.hlim == 255 and ip.nh == 58
    na = r[ICMPv6ND_NA]
    assert (na.type, na.code) == (136, 0)
    assert (na.R, na.S, na.O) == (router, solicited, override), "flags R%d S%d O%d" % (na.R, na.S, na.O)
    assert na.tgt == target
    assert ICMPv6NDOptDstLLAddr in r and r[ICMPv6NDOptDstLLAddr].lladdr == mac
    assert r[ICMPv6NDOptDstLLAddr].len == 1
    assert ip.plen == 32
    assert_checksums(r)


def check_echo4_reply(r, req, src, out_mac=P0_MAC, dst_mac=CLIENT_MAC):
    l2(r, dst_mac, out_mac, 0x0800)
    ip, q = r[IP], req[IP]
    assert ip.src == src and ip.dst == q.src
    assert ip.ttl == 64 and ip.proto == 1 and ip.ihl == 5
    assert ip.len == q.len
    ic, qi = r[ICMP], req[ICMP]
    assert (ic.type, ic.code, ic.id, ic.seq) == (0, 0, qi.id, qi.seq)
    assert bytes(ic.payload) == bytes(qi.payload), "payload changed"
    assert len(bytes(r)) == 14 + q.len, "trailing bytes after the IP packet"
    assert_checksums(r)


def check_echo6_reply(r, req, src, out_mac=P0_MAC, dst_mac=CLIENT_MAC):
    l2(r, dst_mac, out_mac, 0x86DD)
    ip, q = r[IPv6], req[IPv6]
    assert ip.src == src and ip.dst == q.src
    assert ip.hlim == 64 and ip.nh == 58 and ip.plen == q.plen
    e, qe = r[ICMPv6EchoReply], req[ICMPv6EchoRequest]
    assert (e.type, e.code, e.id, e.seq) == (129, 0, qe.id, qe.seq)
    assert e.data == qe.data
    assert len(bytes(r)) == 14 + 40 + q.plen
    assert_checksums(r)


__all__ = [n for n in dir() if not n.startswith("_")] + ["IP", "IPv6", "ICMP", "UDP", "TCP", "ARP", "Ether", "Raw"]
