"""Fixtures of the ASRS golden tests: a config with services, listeners and
the service prefix on the standard two-port topology, packet builders for
every way a packet names its service, and independent checks of the NAT."""

import hashlib
import struct

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw

from golden_common import (  # noqa: F401
    AARP4, AARP6, CLIENT_MAC, CLIENT_V4, CLIENT_V6, HOST_MAC, HOST_V4, HOST_V6, P0_MAC, P0_V4,
    P0_V6, P1_MAC, P1_V4, P1_V6, VIP4, VIP6, assert_checksums, config, eth)

WEB = "asrs://shop.example/web"
WEB6 = "asrs://shop.example/web6"
DNS = "asrs://shop.example/dns"
EMPTY = "asrs://shop.example/empty"
PREFIX6 = "2001:db8:a5::"
HOST2_V4, HOST2_V6 = "10.2.0.3", "2001:db8:2::3"
HOST2_MAC = "02:00:00:00:00:b2"
ASRS_PORT = 6868


def sid(uri):
    return struct.unpack("!Q", hashlib.sha256(uri.encode()).digest()[:8])[0]


def prefix_addr(uri):
    """The IPv6 service address of a service: prefix + SID."""
    import ipaddress
    return str(ipaddress.IPv6Address(ipaddress.IPv6Address(PREFIX6).packed[:8] + struct.pack("!Q", sid(uri))))


def services():
    return [
        {"service": WEB, "destinations": [{"addr": HOST_V4, "port": 8080}]},
        {"service": WEB6, "destinations": [{"addr": HOST_V6, "port": 8080}]},
        {"service": DNS, "destinations": [{"addr": HOST_V4, "port": 5353}]},
        {"service": EMPTY, "destinations": []},
    ]


def asrs_config(asrs=None, listeners=None, svcs=None, **over):
    c = config(**over)
    c["neighbors"] = c["neighbors"] + [
        {"addr": HOST2_V4, "mac": HOST2_MAC, "port": 1},
        {"addr": HOST2_V6, "mac": HOST2_MAC, "port": 1},
    ]
    a = {"service_prefix6": PREFIX6 + "/64", "max_sessions": 1024}
    a.update(asrs or {})
    c["asrs"] = a
    c["listeners"] = listeners if listeners is not None else [
        {"vip": VIP4, "proto": "tcp", "port": 80, "service": WEB},
        {"vip": VIP6, "proto": "tcp", "port": 80, "service": WEB6},
        {"vip": VIP4, "proto": "udp", "port": 53, "service": DNS},
        {"vip": AARP4, "proto": "tcp", "port": 80, "service": WEB},
        {"vip": VIP4, "proto": "tcp", "port": 81, "service": EMPTY},
        {"vip": VIP4, "proto": "tcp", "port": 82, "service": "asrs://nowhere/x"},
    ]
    c["services"] = svcs if svcs is not None else services()
    return c


# -- builders -----------------------------------------------------------------
def shim(sid_=None, uri=None, sid_field=None, ver=1, magic=b"AS", hdr_len=None, uri_len=None, pad=0):
    """The UDP shim of SPEC §4.2, built independently of lib/asrs."""
    if uri is None:
        body = struct.pack("!Q", sid_ if sid_ is not None else sid(WEB))
        flags = 0
        tail = b""
    else:
        u = uri.encode()
        body = struct.pack("!Q", sid_field if sid_field is not None else 0)
        flags = 1
        tail = struct.pack("!H", uri_len if uri_len is not None else len(u)) + u
    raw = body + tail
    n = 8 + len(raw)
    n = (n + 3) & ~3
    n += pad
    hl = hdr_len if hdr_len is not None else n
    s = magic + bytes([ver, flags]) + struct.pack("!HH", hl, 0) + raw
    return s + b"\0" * (n - len(s))


def tcp_opt(sid_, length=12, exid=0x4153):
    body = struct.pack("!H", exid) + struct.pack("!Q", sid_)
    return bytes([253, length]) + body[: length - 2]


def frame4(l4, dst=VIP4, src=CLIENT_V4, ttl=64, mac=P0_MAC, smac=CLIENT_MAC, flags="DF"):
    return eth(mac, smac) / IP(src=src, dst=dst, ttl=ttl, flags=flags, id=0x1111) / l4


def frame6(l4, dst=VIP6, src=CLIENT_V6, hlim=64, mac=P0_MAC, smac=CLIENT_MAC):
    return eth(mac, smac) / IPv6(src=src, dst=dst, hlim=hlim) / l4


def tcp_seg(sport=40000, dport=80, flags="S", opts=b"", seq=1000, ack=0, payload=b""):
    """TCP segment with raw option bytes (padded with EOL to a multiple of
    4); its checksum is filled by scapy when built under an IP layer."""
    opts = opts + b"\x00" * ((4 - len(opts) % 4) % 4)
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=8192, dataofs=5 + len(opts) // 4)
    if opts or payload:
        return t / Raw(opts + payload)
    return t


def built(pkt):
    """The frame as bytes on the wire (every checksum computed by scapy)."""
    from scapy.layers.l2 import Ether
    return Ether(bytes(pkt))


# -- independent checks -----------------------------------------------------------
def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _pton(a):
    import socket
    return socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a)


def l3(frame):
    """The IP packet of a frame (padding cut at the IP length)."""
    b = bytes(frame)[14:]
    if b[0] >> 4 == 4:
        return b[: struct.unpack("!H", b[2:4])[0]]
    return b[: 40 + struct.unpack("!H", b[4:6])[0]]


def recompute(b):
    """IP header and L4 checksums recomputed in Python (an IPv4 UDP checksum
    of 0 stays 0)."""
    b = bytearray(b)
    v6 = b[0] >> 4 == 6
    hl = 40 if v6 else (b[0] & 15) * 4
    if not v6:
        b[10:12] = b"\0\0"
        b[10:12] = struct.pack("!H", _csum(bytes(b[:hl])))
    proto = b[6] if v6 else b[9]
    off = {6: 16, 17: 6}.get(proto)
    if off is None:
        return bytes(b)
    if proto == 17 and not v6 and b[hl + 6: hl + 8] == b"\0\0":
        return bytes(b)
    b[hl + off: hl + off + 2] = b"\0\0"
    l4 = bytes(b[hl:])
    src, dst = (b[8:24], b[24:40]) if v6 else (b[12:16], b[16:20])
    pseudo = bytes(src) + bytes(dst) + (struct.pack("!IxxxB", len(l4), proto) if v6 else struct.pack("!xBH", proto, len(l4)))
    ck = _csum(pseudo + l4)
    if proto == 17 and ck == 0:
        ck = 0xFFFF
    b[hl + off: hl + off + 2] = struct.pack("!H", ck)
    return bytes(b)


def natted(sent, src, sport, dst, dport, strip=0, nop_off=None):
    """What the router must send for `sent` (a frame): addresses and ports
    replaced, TTL / hop limit - 1, `strip` shim bytes removed after the UDP
    header, the 12 option bytes at nop_off (in the options area) turned into
    NOPs, lengths and checksums recomputed here."""
    b = bytearray(l3(sent))
    v6 = b[0] >> 4 == 6
    hl = 40 if v6 else (b[0] & 15) * 4
    if strip:
        del b[hl + 8: hl + 8 + strip]
        b[hl + 4: hl + 6] = struct.pack("!H", len(b) - hl)
    if nop_off is not None:
        o = hl + 20 + nop_off
        b[o: o + 12] = b"\x01" * 12
    if v6:
        b[4:6] = struct.pack("!H", len(b) - 40)
        b[7] -= 1
        b[8:24], b[24:40] = _pton(src), _pton(dst)
    else:
        b[2:4] = struct.pack("!H", len(b))
        b[8] -= 1
        b[12:16], b[16:20] = _pton(src), _pton(dst)
    b[hl: hl + 2] = struct.pack("!H", sport)
    b[hl + 2: hl + 4] = struct.pack("!H", dport)
    return recompute(bytes(b))


def assert_natted(out, sent, src, sport, dst, dport, dst_mac, src_mac, strip=0, nop_off=None):
    from golden_common import l2
    l2(out, dst_mac, src_mac, 0x86DD if IPv6 in out else 0x0800)
    want = natted(sent, src, sport, dst, dport, strip, nop_off)
    got = l3(out)
    assert got == want, "rewritten packet differs:\n got  %s\n want %s" % (got.hex(), want.hex())
    if UDP in out and out[UDP].chksum == 0:  # scapy would fill in the absent checksum
        from golden_common import assert_ipv4_header_ok
        assert_ipv4_header_ok(got)
    else:
        assert_checksums(out)


def out_ports(pkt):
    l4 = pkt[TCP] if TCP in pkt else pkt[UDP]
    return l4.sport, l4.dport
