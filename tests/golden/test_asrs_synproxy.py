"""ASRS SYN proxy, golden packets: the SYN-ACK carries the cookie the Python
reference computes (shared secret in the config) and no session is made;
the cookie ACK becomes the SYN to the destination (client ISN, MSS from the
cookie); the destination's SYN-ACK becomes the ACK back to it; data both ways
with sequence numbers shifted and checksums right; bad, stale and sessionless
segments dropped with their counters; the destination refusing; the new-flow
limit; SNAT address ranges used and their config errors."""

import socket
import struct

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check, l2
from harness import app_error_lines, run, run_bad_config
from synproxy_ref import cookie, mss_idx, safe_generation

SECRET = "00112233445566778899aabbccddeeff"
PERIOD = 3600
SNAT_MIN = 20000
MSS_OPT = b"\x02\x04\x05\x78"  # MSS 1400


TOP_KEYS = ("mode", "burst", "idle_sleep_us", "mbufs", "pipeline")


def cfg(lsn_sp=True, default=None, **asrs):
    """The config: listeners 80 (v4, v6) with synproxy = lsn_sp (None: no
    key), 81 without; `asrs` keys, or top-level ones (TOP_KEYS)."""
    top = {k: asrs.pop(k) for k in TOP_KEYS if k in asrs}
    a = {"snat_ports": {"min": SNAT_MIN, "max": 20999},
         "synproxy": {"secret": SECRET, "cookie_period_s": PERIOD}}
    if default is not None:
        a["synproxy"]["default"] = default
    a.update(asrs)
    lsn = [{"vip": VIP4, "proto": "tcp", "port": 80, "service": WEB},
           {"vip": VIP6, "proto": "tcp", "port": 80, "service": WEB6},
           {"vip": VIP4, "proto": "tcp", "port": 81, "service": WEB}]
    if lsn_sp is not None:
        lsn[0]["synproxy"] = lsn_sp
        lsn[1]["synproxy"] = lsn_sp
    return asrs_config(asrs=a, listeners=lsn, **top)


def ck(gen, isn, sport=40000, mss=1400, src=CLIENT_V4, dst=VIP4, dport=80):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    return cookie(SECRET, gen, socket.inet_pton(fam, src), socket.inet_pton(fam, dst), sport, dport,
                  isn, mss_idx(mss), v6=fam == socket.AF_INET6)


def tcp_of(frame):
    b = l3(frame)
    hl = 40 if b[0] >> 4 == 6 else (b[0] & 15) * 4
    return b, b[hl:]


def assert_segment(out, src, dst, sport, dport, seq, ack, flags, opts=b"", win=None, ttl=None, payload=b""):
    """Field by field, then every checksum by recomputation (asrs_fixtures)."""
    b, t = tcp_of(out)
    v6 = b[0] >> 4 == 6
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    got_src, got_dst = (b[8:24], b[24:40]) if v6 else (b[12:16], b[16:20])
    assert got_src == socket.inet_pton(fam, src) and got_dst == socket.inet_pton(fam, dst), out.summary()
    sp, dp, sq, ak, off, fl, w = struct.unpack("!HHIIBBH", t[:16])
    assert (sp, dp) == (sport, dport), (sp, dp)
    assert sq == seq & 0xFFFFFFFF, "seq %d, expected %d" % (sq, seq & 0xFFFFFFFF)
    assert ak == ack & 0xFFFFFFFF, "ack %d, expected %d" % (ak, ack & 0xFFFFFFFF)
    assert fl == flags, "flags %#x, expected %#x" % (fl, flags)
    assert t[20:(off >> 4) * 4] == opts, t[20:(off >> 4) * 4].hex()
    assert t[(off >> 4) * 4:] == payload
    if win is not None:
        assert w == win, w
    if ttl is not None:
        assert (b[7] if v6 else b[8]) == ttl
    assert recompute(b) == b, "checksums"


SYN, ACK, RST, SA, PA = 0x02, 0x10, 0x04, 0x12, 0x18


def test_full_handshake_and_data_both_ways_v4():
    g = safe_generation(PERIOD)
    c = ck(g, 1000)
    disn = 0xFFFFFF00  # the destination's ISN: the shift wraps around 2^32
    syn = built(frame4(tcp_seg(flags="S", seq=1000, opts=MSS_OPT)))
    ack = built(frame4(tcp_seg(flags="A", seq=1001, ack=c + 1)))
    synack = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
                   TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=disn, ack=1001, window=1000,
                       options=[("MSS", 1460), ("WScale", 7)]))
    data = built(frame4(tcp_seg(flags="PA", seq=1001, ack=c + 1, payload=b"GET / HTTP/1.0\r\n\r\n")))
    reply = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
                  TCP(sport=8080, dport=SNAT_MIN, flags="PA", seq=disn + 1, ack=1019, window=1000) /
                  b"HTTP/1.0 200 OK\r\n")
    res = run(cfg(), {0: [syn, ack, synack, data, reply]})
    o0, o1 = res.out[0], res.out[1]
    assert len(o0) == 2 and len(o1) == 3, {p: [x.summary() for x in v] for p, v in res.out.items()}
    # 1. SYN-ACK with the cookie, our MSS (port MTU 1500), no other option.
    l2(o0[0], CLIENT_MAC, P0_MAC, 0x0800)
    assert_segment(o0[0], VIP4, CLIENT_V4, 80, 40000, c, 1001, SA, opts=b"\x02\x04\x05\xb4", win=65535)
    # 2. The ACK became the client's SYN toward the destination (TTL - 1).
    l2(o1[0], HOST_MAC, P1_MAC, 0x0800)
    assert_segment(o1[0], P1_V4, HOST_V4, SNAT_MIN, 8080, 1000, 0, SYN, opts=MSS_OPT, win=8192, ttl=63)
    # 3. The destination's SYN-ACK became the handshake's ACK back to it.
    assert_segment(o1[1], P1_V4, HOST_V4, SNAT_MIN, 8080, 1001, disn + 1, ACK, win=65535)
    # 4. Client data: ack shifted into the destination's sequence space.
    assert_segment(o1[2], P1_V4, HOST_V4, SNAT_MIN, 8080, 1001, disn + 1, PA, win=8192, ttl=63,
                   payload=b"GET / HTTP/1.0\r\n\r\n")
    # 5. Destination data: seq shifted into the cookie's space.
    assert_segment(o0[1], VIP4, CLIENT_V4, 80, 40000, c + 1, 1019, PA, win=1000, ttl=63,
                   payload=b"HTTP/1.0 200 OK\r\n")
    check(res, rx=5, tx=5, sessions_created=1, synproxy_syn_cookies=1, synproxy_accepted=1,
          synproxy_established=1)
    assert res.stats["asrs"]["sessions"] == 1


def test_handshake_and_data_v6():
    g = safe_generation(PERIOD)
    c = ck(g, 5, sport=40001, mss=1440, src=CLIENT_V6, dst=VIP6)
    ack = built(frame6(tcp_seg(sport=40001, flags="A", seq=6, ack=c + 1)))
    synack = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) /
                   TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=100, ack=6))
    data = built(frame6(tcp_seg(sport=40001, flags="PA", seq=6, ack=c + 1, payload=b"hello")))
    reply = built(eth(P0_MAC, HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6, hlim=64) /
                  TCP(sport=8080, dport=SNAT_MIN, flags="A", seq=101, ack=11, window=500) / b"world!")
    res = run(cfg(), {0: [ack, synack, data, reply]})
    o0, o1 = res.out[0], res.out[1]
    assert len(o0) == 1 and len(o1) == 3, {p: [x.summary() for x in v] for p, v in res.out.items()}
    assert_segment(o1[0], P1_V6, HOST_V6, SNAT_MIN, 8080, 5, 0, SYN, opts=b"\x02\x04\x05\xa0", ttl=63)
    assert_segment(o1[1], P1_V6, HOST_V6, SNAT_MIN, 8080, 6, 101, ACK, win=65535, ttl=64)
    assert_segment(o1[2], P1_V6, HOST_V6, SNAT_MIN, 8080, 6, 101, PA, ttl=63, payload=b"hello")
    assert_segment(o0[0], VIP6, CLIENT_V6, 80, 40001, c + 1, 11, ACK, win=500, ttl=63, payload=b"world!")
    check(res, rx=4, tx=4, sessions_created=1, synproxy_accepted=1, synproxy_established=1)


def test_syn_flood_creates_no_session_v6():
    g = safe_generation(PERIOD)
    syns = [built(frame6(tcp_seg(sport=30000 + i, flags="S", seq=7 * i))) for i in range(50)]
    res = run(cfg(), {0: syns})
    assert len(res.out[0]) == 50 and len(res.out.get(1, [])) == 0
    for i, o in enumerate(res.out[0]):
        assert IPv6 in o
        # No MSS option from the client: 536, the cookie's smallest MSS.
        assert_segment(o, VIP6, CLIENT_V6, 80, 30000 + i, ck(g, 7 * i, 30000 + i, 536, CLIENT_V6, VIP6),
                       7 * i + 1, SA, opts=b"\x02\x04\x05\xa0", win=65535)
    check(res, rx=50, tx=50, synproxy_syn_cookies=50, sessions_created=0)
    assert res.stats["asrs"]["sessions"] == 0


@pytest.mark.parametrize("full", [True, False])
def test_icmp_from_client_quotes_the_destinations_own_sequence(full):
    """Fragmentation needed from the client side about the destination's
    segment (seq in the cookie's space) reaches the destination quoting
    its own seq, so its kernel recognises the segment."""
    from scapy.layers.inet import ICMP, TCPerror
    from scapy.packet import Raw
    g = safe_generation(PERIOD)
    c = ck(g, 1000)
    disn = 777
    ack = built(frame4(tcp_seg(flags="A", seq=1001, ack=c + 1)))
    synack = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
                   TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=disn, ack=1001))
    reply = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
                  TCP(sport=8080, dport=SNAT_MIN, flags="PA", seq=disn + 1, ack=1001) / (b"z" * 40))
    # what the client received: the reply as the router sent it
    got = bytearray(natted(reply, VIP4, 80, CLIENT_V4, 40000))
    got[24:28] = struct.pack("!I", c + 1)
    got = recompute(bytes(got))
    q = got if full else got[:28]
    err = built(frame4(ICMP(type=3, code=4, nexthopmtu=1300) / Raw(q)))
    res = run(cfg(), {0: [ack, synack, reply, err]})
    assert len(res.out[1]) == 3, [x.summary() for x in res.out[1]]
    out = res.out[1][2]
    assert out[IP].src == P1_V4 and out[IP].dst == HOST_V4 and out[ICMP].type == 3
    assert out[TCPerror].sport == 8080 and out[TCPerror].dport == SNAT_MIN
    assert out[TCPerror].seq == disn + 1
    qb = l3(out)[28:]
    if full:
        assert recompute(qb) == qb, "quoted checksums"
    assert_checksums(out)
    check(res, rx=4, tx=4, icmp_translated=1)


def test_bad_stale_and_sessionless_segments_dropped():
    g = safe_generation(PERIOD)
    good = ck(g, 1000)
    bad = built(frame4(tcp_seg(flags="A", seq=1001, ack=(good ^ 1) + 1)))
    other_isn = built(frame4(tcp_seg(flags="A", seq=2001, ack=good + 1)))  # cookie of ISN 1000
    stale = built(frame4(tcp_seg(flags="A", seq=1001, ack=ck(g - 2, 1000) + 1)))
    rst = built(frame4(tcp_seg(flags="R", seq=1001)))
    fin = built(frame4(tcp_seg(flags="FA", seq=1001, ack=good + 1)))
    plain = built(frame4(tcp_seg(dport=81, flags="S", seq=5)))  # listener without SYN proxy
    res = run(cfg(), {0: [bad, other_isn, stale, rst, fin, plain]})
    assert len(res.out[1]) == 1 and res.out[1][0][TCP].flags == "S"
    check(res, {"synproxy_bad_cookie": 2, "synproxy_stale_cookie": 1, "synproxy_no_session": 2},
          rx=6, tx=1, sessions_created=1, synproxy_accepted=0)


def test_destination_refuses_and_wrong_synack():
    g = safe_generation(PERIOD)
    c = ck(g, 1000)
    ack = built(frame4(tcp_seg(flags="A", seq=1001, ack=c + 1)))
    wrong = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
                  TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=9, ack=5))
    again = built(frame4(tcp_seg(flags="PA", seq=1001, ack=c + 1, payload=b"x")))
    rst = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
                TCP(sport=8080, dport=SNAT_MIN, flags="RA", seq=0, ack=1001))
    res = run(cfg(), {0: [ack, wrong, again, rst]})
    o1 = res.out[1]
    assert len(o1) == 2
    assert_segment(o1[0], P1_V4, HOST_V4, SNAT_MIN, 8080, 1000, 0, SYN, opts=MSS_OPT, win=8192)
    # A client packet while waiting: the SYN once more, its data not sent.
    assert_segment(o1[1], P1_V4, HOST_V4, SNAT_MIN, 8080, 1000, 0, SYN, opts=MSS_OPT, win=8192)
    # The destination's RST reaches the client in the cookie's sequence space.
    assert len(res.out[0]) == 1
    assert_segment(res.out[0][0], VIP4, CLIENT_V4, 80, 40000, c + 1, 1001, RST | ACK)
    check(res, {"synproxy_bad_synack": 1}, rx=4, tx=3, synproxy_syn_resent=1, synproxy_established=0)


def test_destination_rst_ends_the_wait():
    """The destination's RST ends the proxied handshake (the client's ISN it
    kept leaves the client-side next-hop word): a later SYN-ACK no longer
    completes it (no ACK to the destination; it passes as any segment of the
    closing session), and the client's next SYN on the same ports gets a new
    cookie."""
    g = safe_generation(PERIOD)
    c = ck(g, 1000)
    ack = built(frame4(tcp_seg(flags="A", seq=1001, ack=c + 1)))
    rst = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
                TCP(sport=8080, dport=SNAT_MIN, flags="RA", seq=0, ack=1001))
    late = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
                 TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=777, ack=1001))
    syn = built(frame4(tcp_seg(flags="S", seq=5000)))
    res = run(cfg(), {0: [ack, rst, late, syn]})
    assert len(res.out[1]) == 1  # the SYN to the destination; no ACK for the late SYN-ACK
    assert_segment(res.out[1][0], P1_V4, HOST_V4, SNAT_MIN, 8080, 1000, 0, SYN, opts=MSS_OPT,
                   win=8192)
    o0 = res.out[0]
    assert len(o0) == 3, [x.summary() for x in o0]
    assert_segment(o0[0], VIP4, CLIENT_V4, 80, 40000, c + 1, 1001, RST | ACK)
    assert o0[1][TCP].flags == "SA" and o0[1][TCP].seq == 777  # forwarded, not taken
    assert o0[2][TCP].flags == "SA" and o0[2][TCP].ack == 5001  # a new cookie
    check(res, rx=4, tx=4, sessions_created=1, synproxy_established=0, synproxy_syn_cookies=1)


def test_global_default_and_listener_override():
    g = safe_generation(PERIOD)
    syn80 = built(frame4(tcp_seg(dport=80, flags="S", seq=1)))
    syn81 = built(frame4(tcp_seg(dport=81, flags="S", seq=1)))
    # default on, listener 80 off: 80 opens a session, 81 gets a cookie.
    res = run(cfg(lsn_sp=False, default=True), {0: [syn80, syn81]})
    assert len(res.out[1]) == 1 and res.out[1][0][TCP].dport == 8080
    assert len(res.out[0]) == 1
    assert_segment(res.out[0][0], VIP4, CLIENT_V4, 81, 40000, ck(g, 1, dport=81, mss=536), 2, SA,
                   opts=b"\x02\x04\x05\xb4")
    check(res, rx=2, tx=2, sessions_created=1, synproxy_syn_cookies=1)


def test_new_flow_limit_drops_sessions_above_burst():
    syns = [built(frame4(tcp_seg(dport=81, sport=10000 + i, flags="S", seq=1))) for i in range(40)]
    res = run(cfg(new_flow_limit={"rate": 1, "burst": 10}), {0: syns})
    assert len(res.out[1]) == 10
    check(res, {"new_flow_limited": 30}, rx=40, tx=10, sessions_created=10)


def test_snat_range_spreads_and_moves_on_when_a_pair_is_exhausted():
    c = cfg(lsn_sp=None, snat=["10.2.0.10-10.2.0.11"], snat_ports={"min": 30000, "max": 30001})
    c["ports"][1]["addrs"] += ["10.2.0.10/24", "10.2.0.11/24"]
    syns = [built(frame4(tcp_seg(dport=81, sport=10000 + i, flags="S", seq=1))) for i in range(5)]
    res = run(c, {0: syns})
    got = sorted((o[IP].src, o[TCP].sport) for o in res.out[1])
    # Two addresses x two ports toward the one destination; the fifth fails.
    assert got == [("10.2.0.10", 30000), ("10.2.0.10", 30001), ("10.2.0.11", 30000), ("10.2.0.11", 30001)]
    check(res, {"snat_exhausted": 1}, rx=5, tx=4, sessions_created=4)


def test_snat_prefix_and_v6_range():
    c = cfg(lsn_sp=False, snat=["10.2.0.10/31", "2001:db8:2::10-2001:db8:2::11"],
            snat_ports={"min": 30000, "max": 30000})
    c["ports"][1]["addrs"] += ["10.2.0.10/24", "10.2.0.11/24", "2001:db8:2::10/64", "2001:db8:2::11/64"]
    syns = [built(frame4(tcp_seg(dport=81, sport=10000 + i, flags="S", seq=1))) for i in range(3)]
    syns += [built(frame6(tcp_seg(dport=80, sport=10000 + i, flags="S", seq=1))) for i in range(3)]
    res = run(c, {0: syns})
    got4 = sorted(o[IP].src for o in res.out[1] if IP in o)
    got6 = sorted(o[IPv6].src for o in res.out[1] if IPv6 in o)
    assert got4 == ["10.2.0.10", "10.2.0.11"] and got6 == ["2001:db8:2::10", "2001:db8:2::11"]
    check(res, {"snat_exhausted": 2}, rx=6, tx=4, sessions_created=4)


BAD = [
    ({"snat": ["10.2.0.9-10.2.0.1"]}, "asrs.snat[0]: range \"10.2.0.9-10.2.0.1\": first address above the last"),
    ({"snat": ["10.2.0.1-2001:db8:2::1"]}, "asrs.snat[0]: range \"10.2.0.1-2001:db8:2::1\" mixes IPv4 and IPv6"),
    ({"snat": ["10.2.0.0-10.2.1.0"]}, "asrs.snat[0]: range \"10.2.0.0-10.2.1.0\" holds more than 64 addresses"),
    ({"snat": ["10.2.0.0/24"]}, "asrs.snat[0]: prefix \"10.2.0.0/24\" holds more than 64 addresses"),
    ({"snat": ["10.2.0.1", "10.2.0.0/30"]}, "asrs.snat[1]: listed twice: 10.2.0.1"),
    ({"snat": ["10.2.0.0/26", "10.2.0.64"]}, "asrs.snat[1]: more than 64 SNAT addresses of the family in all"),
    ({"snat": ["10.2.0.1-10.2.0.3"]}, "asrs.snat: 10.2.0.2 is neither a port address nor a VIP"),
    ({"snat": ["10.2.0.1-x"]}, "asrs.snat[0]:"),
    ({"synproxy": {"secret": "abc"}}, "asrs.synproxy.secret: expected 32 hex digits, got 3 characters"),
    ({"synproxy": {"secret": "g" * 32}}, "asrs.synproxy.secret: not a hex digit at position 0"),
    ({"synproxy": {"cookie_period_s": 0}}, "asrs.synproxy.cookie_period_s: expected integer 1..3600, got 0"),
    ({"synproxy": {"default": 1}}, "asrs.synproxy.default: expected true or false, got integer"),
    ({"synproxy": {"on": True}}, "asrs.synproxy: unknown key 'on'"),
    ({"synproxy": True}, "asrs.synproxy: expected object {default, secret, cookie_period_s}, got boolean"),
    ({"new_flow_limit": {"rate": -1}}, "asrs.new_flow_limit.rate: expected integer"),
    ({"new_flow_limit": 5}, "asrs.new_flow_limit: expected object {rate, burst}, got integer"),
]


@pytest.mark.parametrize("over,msg", BAD, ids=range(len(BAD)))
def test_config_errors(over, msg):
    c = config()
    c["asrs"] = over
    rc, err, path = run_bad_config(c)
    lines = app_error_lines(err)
    assert rc == 2 and lines and (path + ": " + msg) in lines[0], (rc, lines, err[-2000:])


def test_listener_synproxy_on_udp_refused():
    c = config()
    c["listeners"] = [{"vip": VIP4, "proto": "udp", "port": 53, "service": DNS, "synproxy": True}]
    rc, err, path = run_bad_config(c)
    lines = app_error_lines(err)
    assert rc == 2 and (path + ": listeners[0].synproxy: only a TCP listener can have a SYN proxy") in lines[0], lines


def test_listener_added_live_with_synproxy_answers_with_a_cookie():
    from harness import Dataplane
    g = safe_generation(PERIOD)
    with Dataplane(cfg(), live_ports=(0,)) as dp:
        lsn = {"vip": VIP4, "proto": "tcp", "port": 82, "service": WEB, "synproxy": True}
        assert dp.api(dict(lsn, op="listener.add")) == dict(lsn, ok=True, existed=False)
        assert lsn in dp.api({"op": "listener.list"})["listeners"]
        r = dp.api({"op": "listener.add", "vip": VIP4, "proto": "udp", "port": 82, "service": DNS,
                    "synproxy": True})
        assert r["ok"] is False and r["error"].endswith("synproxy: only a TCP listener can have a SYN proxy"), r
        r = dp.api({"op": "listener.add", "vip": VIP4, "proto": "tcp", "port": 83, "service": WEB,
                    "synproxy": "yes"})
        assert r["ok"] is False and "synproxy: expected true or false, got string" in r["error"], r
        dp.live[0].send([built(frame4(tcp_seg(dport=82, flags="S", seq=9)))])
        dp.wait_idle(expect_rx=1)
        dp.stop()
    out = dp.result.out[0]
    assert len(out) == 1
    assert_segment(out[0], VIP4, CLIENT_V4, 82, 40000, ck(g, 9, dport=82, mss=536), 10, SA,
                   opts=b"\x02\x04\x05\xb4")
    assert dp.result.stats["asrs"]["sessions"] == 0


def test_pipeline_workers_one_session_per_cookie_ack():
    """Pipeline mode, 3 workers fed round-robin with bursts of 2: a flow's
    cookie ACK and its first data segment may reach two workers at once;
    each flow still gets one session, and both leave as the SYN toward the
    destination, in order."""
    from test_pipeline import lcore_map
    g = safe_generation(PERIOD)
    c = cfg(mode="pipeline", burst=2, idle_sleep_us=50, mbufs=8191,
            pipeline={"rx_lcores": [1], "worker_lcores": [2, 3, 4], "tx_lcores": [5],
                      "gap_timeout_us": 500000})
    pkts = []
    for cl in range(8):
        k = ck(g, 1000, sport=41000 + cl)
        pkts.append(built(frame4(tcp_seg(sport=41000 + cl, flags="A", seq=1001, ack=k + 1))))
        pkts.append(built(frame4(tcp_seg(sport=41000 + cl, flags="PA", seq=1001, ack=k + 1, payload=b"d"))))
    res = run(c, {0: pkts}, lcores=lcore_map(6, 2), timeout=60)
    out = res.out[1]
    assert len(out) == 16
    ports = {}
    for o in out:
        assert o[TCP].flags == "S" and o[TCP].seq == 1000 and o[TCP].ack == 0
        ports.setdefault(o[TCP].sport, 0)
        ports[o[TCP].sport] += 1
    assert sorted(ports.values()) == [2] * 8  # one SNAT port (session) per flow
    check(res, rx=16, tx=16, sessions_created=8)
    assert res.stats["asrs"]["sessions"] == 8
