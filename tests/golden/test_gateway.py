"""Overlay gateway (SPEC §6) through the real binary on net_pcap: CAPSULEs
built and opened by the independent Python implementation trs_ref.py
(hashlib / hmac / python3-cryptography), inner packets checked byte for byte
after the ASRS NAT.

Topology: the overlay node sits behind the gateway router on port 1 (outer
address REMOTE_V4 198.51.100.7 / REMOTE_V6); its overlay address (node_addr)
is NODE4 / NODE6 inside the overlay prefixes; the data plane's gateway port is
7813 on port 1's addresses. The real host (HOST_V4 / HOST_V6) is the ASRS
destination of the listener VIP4:80 / VIP6:80."""

import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import capsule_ref as C
import trs_ref as T
from asrs_fixtures import (HOST_MAC, HOST_V4, HOST_V6, P1_MAC, P1_V4, P1_V6, VIP4, VIP6,
                           asrs_config, assert_natted, built, natted, tcp_seg)
from golden_common import (GW_MAC, REMOTE_V4, REMOTE_V6, assert_checksums, assert_ipv4_header_ok,
                           check)
from harness import Dataplane, run, run_bad_config

GWPORT = 7813
NODE4, NODE6 = "10.200.0.5", "fd00:200::5"
OVERLAY = ["10.200.0.0/16", "fd00:200::/64"]
PID = bytes.fromhex("0102030405060708090a0b0c0d0e0f10")
PID6 = bytes.fromhex("1112131415161718191a1b1c1d1e1f20")
KEY = bytes(range(64, 96))
WRONG = bytes(range(32))
SNAT_MIN = 20000


def entry(pid=PID, key=KEY, suite=1, node=NODE4, **kw):
    e = {"path_id": pid.hex(), "end_key": key.hex(), "suite": suite, "node_addr": node}
    e.update(kw)
    return e


def cfg(entries=(), **gw):
    c = asrs_config(asrs={"snat_ports": {"min": SNAT_MIN, "max": 20999}})
    g = {"port": GWPORT, "prefixes": OVERLAY}
    g.update(gw)
    c["gateway"] = g
    c["gateways"] = list(entries)
    return c


def inner4(l4, dst=VIP4, src=NODE4, ttl=64):
    return bytes(IP(src=src, dst=dst, ttl=ttl, flags="DF", id=0x2222) / l4)


def inner6(l4, dst=VIP6, src=NODE6, hlim=64):
    return bytes(IPv6(src=src, dst=dst, hlim=hlim) / l4)


def capsule(k, inner, seq, pid=PID, flag=0, txid=9):
    return k.seal(T.Hdr(txid=txid, flag=flag, type=T.CAPSULE, seq=seq, id=pid), inner)


def outer(payload, src=REMOTE_V4, sport=40000, dport=GWPORT):
    """The capsule as it arrives on port 1 from the node (through the gateway router)."""
    v6 = ":" in src
    ip = IPv6(src=src, dst=P1_V6, hlim=60) if v6 else IP(src=src, dst=P1_V4, ttl=60)
    return Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC) / ip / UDP(sport=sport, dport=dport) / Raw(payload)))


def staged(config, stages, port=1):
    """All frames on `port` in one pcap, processed one per burst (a reply
    must not share a burst with the capsule that creates its session: the
    features of one burst run one after the other); returns the Result."""
    config = dict(config, burst=1)
    return run(config, {port: [p for st in stages for p in st]})


def as_frame(inner):
    """The inner packet as the router sees it once re-injected (for natted())."""
    return Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC, type=0x86DD if inner[0] >> 4 == 6 else 0x0800) / Raw(inner)))


def assert_capsule_checksums(p):
    """The outer checksums of a capsule the gateway sent: over IPv4 the IP
    header checksum right and the UDP checksum 0 (none: the capsule's tag
    covers the message); over IPv6 all of them as scapy computes them."""
    if IP not in p:
        return assert_checksums(p)
    assert p[UDP].chksum == 0, "UDP checksum over IPv4: %#x, not 0" % p[UDP].chksum
    q = Ether(bytes(p))
    del q[IP].chksum
    assert bytes(q) == bytes(p), "IPv4 header checksum differs from scapy's"
    assert_ipv4_header_ok(bytes(p[IP])[:20])


def open_out(k, p, dst=REMOTE_V4, dport=40000):
    """A capsule the gateway sent: outer headers checked, the message opened
    by the reference; returns (header, plaintext)."""
    assert p[Ether].src == P1_MAC and p[Ether].dst == GW_MAC
    v6 = ":" in dst
    if v6:
        assert IPv6 in p and p[IPv6].src == P1_V6 and p[IPv6].dst == dst
    else:
        assert IP in p and p[IP].src == P1_V4 and p[IP].dst == dst
    assert p[UDP].sport == GWPORT and p[UDP].dport == dport
    assert_capsule_checksums(p)
    raw = bytes(p[UDP].payload)
    h, _, _ = T.parse(raw)
    assert h.type == T.CAPSULE and h.flag == T.FLAG_R
    return h, k.open(raw)


@pytest.mark.parametrize("suite", [1, 2])
def test_inbound_nat_and_reply_capsule_v4(suite):
    k = T.Key(KEY, suite)
    syn = inner4(tcp_seg(sport=40000, dport=80, flags="S", seq=1000))
    a = outer(capsule(k, syn, seq=1))
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5000, ack=1001, window=1000))
    res = staged(cfg([entry(suite=suite)]), [[a], [r]])
    out = res.out[1]
    assert len(out) == 2, [o.summary() for o in out]
    assert_natted(out[0], as_frame(syn), P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    h, pt = open_out(k, out[1])
    assert h.id == PID and h.seq == 1
    assert pt == natted(r, VIP4, 80, NODE4, 40000), "inner reply differs"
    check(res, rx=2, tx=2, gw_decrypted=1, gw_encrypted=1, gw_binds=1, sessions_created=1)
    g = res.stats["gateway"]
    assert g["paths"] == 1 and g["key_expansions"] == 1  # one expansion, then cache hits


@pytest.mark.parametrize("suite", [1, 2])
def test_inbound_v6_node_over_v6_outer(suite):
    k = T.Key(KEY, suite)
    syn = inner6(tcp_seg(sport=40001, dport=80, flags="S", seq=7))
    a = outer(capsule(k, syn, seq=5, pid=PID6), src=REMOTE_V6, sport=50000)
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IPv6(src=HOST_V6, dst=P1_V6) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=70, ack=8, window=1000))
    res = staged(cfg([entry(pid=PID6, suite=suite, node=NODE6)]), [[a], [r]])
    out = res.out[1]
    assert len(out) == 2, [o.summary() for o in out]
    assert_natted(out[0], as_frame(syn), P1_V6, SNAT_MIN, HOST_V6, 8080, HOST_MAC, P1_MAC)
    raw = bytes(out[1][UDP].payload)
    assert out[1][IPv6].dst == REMOTE_V6 and out[1][UDP].dport == 50000
    assert_checksums(out[1])
    h, _, _ = T.parse(raw)
    assert h.id == PID6 and h.flag == T.FLAG_R and h.seq == 1
    assert k.open(raw) == natted(r, VIP6, 80, NODE6, 40001)
    check(res, rx=2, tx=2, gw_decrypted=1, gw_encrypted=1)


def test_rebind_newest_wins_and_sequence_increases():
    """A NAT rebinding: the node's capsules come from a new port; replies
    follow the newest verified source; the gateway's seq goes up per capsule."""
    k = T.Key(KEY, 2)
    syn = inner4(tcp_seg(sport=41000, dport=80, flags="S", seq=1))
    ack = inner4(tcp_seg(sport=41000, dport=80, flags="A", seq=2, ack=5001, payload=b"x"))
    r1 = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
               TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5000, ack=2))
    r2 = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) /
               TCP(sport=8080, dport=SNAT_MIN, flags="A", seq=5001, ack=3))
    inputs = [[outer(capsule(k, syn, 1))], [r1], [outer(capsule(k, ack, 2), sport=40999)], [r2]]
    res = staged(cfg([entry(suite=2)]), inputs)
    out = res.out[1]
    assert len(out) == 4, [o.summary() for o in out]
    h1, _ = open_out(k, out[1], dport=40000)
    h2, _ = open_out(k, out[3], dport=40999)
    assert (h1.seq, h2.seq) == (1, 2) and h1.txid == h2.txid
    check(res, rx=4, tx=4, gw_binds=1, gw_rebinds=1)


def test_unbound_path_reply_dropped():
    """A packet routed to a node whose path never spoke: gw_unbound."""
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=NODE4) / UDP(sport=1, dport=2))
    res = run(cfg([entry()]), {1: [r]})
    assert res.out.get(1, []) == []
    check(res, rx=1, tx=0, drops={"gw_unbound": 1})


def test_unknown_node_in_overlay_dropped():
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst="10.200.9.9") / UDP(sport=1, dport=2))
    res = run(cfg([entry()]), {1: [r]})
    check(res, rx=1, tx=0, drops={"gw_unknown_node": 1})


def test_every_bad_capsule_dropped_with_its_counter():
    k, wrong = T.Key(KEY, 1), T.Key(WRONG, 1)
    syn = inner4(tcp_seg(sport=42000, dport=80, flags="S"))
    good = capsule(k, syn, 10)
    forged = bytearray(capsule(k, syn, 11))
    forged[-1] ^= 1
    # a body whose padding is wrong but whose tag is right (re-signed)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    iv = bytes(16)
    enc = Cipher(algorithms.AES(k.enc), modes.CBC(iv)).encryptor()
    badpad = k.sign(T.Hdr(txid=1, type=T.CAPSULE, seq=12, id=PID), iv + enc.update(syn[:32]) + enc.finalize())
    short_body = k.sign(T.Hdr(txid=1, type=T.CAPSULE, seq=13, id=PID), bytes(20))
    spoofed = capsule(k, inner4(tcp_seg(sport=1, dport=80), src="10.200.0.6"), 14)
    garbage = capsule(k, b"\x45" + bytes(10), 15)
    truncated = good[:40]
    lie = bytearray(capsule(k, syn, 16))
    lie[12:14] = struct.pack("!H", len(lie) + 4)
    ver = bytearray(capsule(k, syn, 17))
    ver[4] = 2
    notcap = k.seal(T.Hdr(txid=1, type=T.KEEP_ALIVE, seq=18, id=PID))
    rflag = capsule(k, syn, 19, flag=1)
    unknown = capsule(k, syn, 20, pid=PID6)
    inputs = [outer(good), outer(good), outer(bytes(forged)), outer(capsule(wrong, syn, 21)),
              outer(badpad), outer(short_body), outer(spoofed), outer(garbage), outer(truncated),
              outer(bytes(lie)), outer(bytes(ver)), outer(notcap), outer(rflag), outer(unknown)]
    res = run(cfg([entry()]), {1: inputs})
    assert len(res.out.get(1, [])) == 1  # the good one, NAT-ed to the host
    check(res, rx=14, tx=1, drops={"gw_replay": 1, "gw_bad_tag": 2, "gw_bad_body": 2,
                                   "gw_spoofed_inner": 1, "gw_inner_malformed": 1,
                                   "gw_truncated": 1, "gw_msg_len": 1, "gw_bad_version": 1,
                                   "gw_not_capsule": 1, "gw_wrong_side": 1,
                                   "gw_unknown_path": 1}, gw_decrypted=1)


def test_api_add_get_list_del_never_shows_the_key():
    with Dataplane(cfg([])) as dp:
        r = dp.api({"op": "gateway.add", **entry(suite=2)})
        assert r["ok"] and r["existed"] is False, r
        r = dp.api({"op": "gateway.add", **entry(suite=2)})
        assert r["ok"] and r["existed"] is True, r
        g = dp.api({"op": "gateway.get", "path_id": PID.hex()})
        assert g["ok"] and g["gateway"]["node_addr"] == NODE4 and g["gateway"]["bound"] is False
        assert KEY.hex() not in str(g)
        r = dp.api({"op": "gateway.add", "gateways": [entry(pid=PID6, node=NODE6), entry(pid=bytes(16), node="10.200.0.7")]})
        assert r["ok"] and r["applied"] == 2, r
        ls = dp.api({"op": "gateway.list", "limit": 2})
        assert ls["ok"] and len(ls["gateways"]) == 2 and ls["cursor"] is not None
        rest = dp.api({"op": "gateway.list", "cursor": ls["cursor"]})
        assert len(rest["gateways"]) == 1 and rest["cursor"] is None
        assert KEY.hex() not in str(ls) + str(rest)
        r = dp.api({"op": "gateway.del", "path_ids": [PID.hex(), PID6.hex()]})
        assert r["ok"] and r["removed"] == 2
        r = dp.api({"op": "gateway.del", "path_id": PID.hex()})
        assert r["ok"] and r["existed"] is False
        assert dp.api({"op": "stats"})["gateway"]["paths"] == 1


@pytest.mark.parametrize("req,msg", [
    ({"op": "gateway.add", **entry(node="10.9.9.9")}, "node_addr: 10.9.9.9 is not inside any of gateway.prefixes"),
    ({"op": "gateway.add", **entry(suite=3)}, "suite"),
    ({"op": "gateway.add", **entry(key=b"\x01" * 31)}, "end_key"),
    ({"op": "gateway.add", "path_id": PID.hex(), "end_key": KEY.hex(), "suite": 1}, "node_addr: required"),
    ({"op": "gateway.add", **entry(), "tunnel_key": "x"}, "tunnel_key"),
    ({"op": "gateway.add", "gateways": [entry(), entry(node="10.200.0.9")]}, "gateways[1].path_id: same PathID as gateways[0]"),
    ({"op": "gateway.add", "gateways": [entry(), entry(pid=PID6)]}, "gateways[1].node_addr: same node_addr as gateways[0]"),
    ({"op": "gateway.add", "gateways": [entry(), {"path_id": 1}]}, "gateways[1]"),
    ({"op": "gateway.get", "path_id": "zz"}, "path_id"),
    ({"op": "gateway.del"}, "gateway.del takes exactly"),
])
def test_api_refusals_change_nothing(req, msg):
    with Dataplane(cfg([entry(pid=bytes(16), node="10.200.0.7")])) as dp:
        r = dp.api(req)
        assert r["ok"] is False and msg in r["error"], r
        assert dp.api({"op": "stats"})["gateway"]["paths"] == 1


def test_node_of_another_path_refused():
    with Dataplane(cfg([entry()])) as dp:
        r = dp.api({"op": "gateway.add", **entry(pid=PID6)})
        assert r["ok"] is False and "already belongs to another gateway path" in r["error"], r


@pytest.mark.parametrize("over,msg", [
    ({"gateways": [entry()]}, "gateway: required"),
    ({"gateway": {"port": GWPORT}, "gateways": []}, "gateway.prefixes"),
    ({"gateway": {"prefixes": ["10.200.0.0/16", "10.200.1.0/24"]}}, "overlaps"),
    ({"gateway": {"prefixes": ["10.200.0.1/16"]}}, "gateway.prefixes[0]"),
    ({"gateway": {"prefixes": OVERLAY, "max_paths": 0}}, "gateway.max_paths"),
    ({"gateway": {"prefixes": OVERLAY, "port": 7811}, "trs": {"port": 7811}}, "UDP port is already taken by relay"),
])
def test_bad_config_refused(over, msg):
    c = asrs_config()
    c.update(over)
    rc, err, _ = run_bad_config(c)
    assert rc != 0 and msg in err, err


def test_pipeline_workers_decrypt_in_order():
    """Capsules of one path spread over two pipeline workers: each decrypted
    once, NAT-ed in the order they arrived (the reorder stage), replays
    caught across workers."""
    k = T.Key(KEY, 1)
    caps = [capsule(k, inner4(UDP(sport=30000 + s, dport=53) / Raw(b"q%03d" % s)), s) for s in range(1, 41)]
    ins = [outer(c) for c in caps] + [outer(caps[5]), outer(caps[6])]
    c = cfg([entry()])
    c.update(mode="pipeline", pipeline={"rx_lcores": [1], "worker_lcores": [2, 3], "tx_lcores": [4],
                                        "gap_timeout_us": 500000})
    res = run(c, {1: ins}, lcores="0@0,1@1,2@0,3@1,4@0", timeout=60)
    out = res.out[1]
    assert len(out) == 40, res.drops()
    # Exactly one copy of seq 6 and of seq 7 is accepted: the one that reaches
    # the window first, which with two workers may be the replay (the same
    # bytes; a descheduled worker can hold the first copy back). The output
    # keeps the RX order of the copies accepted.
    sent = [b"q%03d" % s for s in range(1, 41)] + [b"q006", b"q007"]
    orders = []
    for drop6 in (5, 40):
        for drop7 in (6, 41):
            orders.append([x for i, x in enumerate(sent) if i not in (drop6, drop7)])
    got = [bytes(o[UDP].payload) for o in out]
    assert got in orders, got
    assert all(o[IP].dst == HOST_V4 and o[UDP].dport == 5353 for o in out)
    check(res, drops={"gw_replay": 2}, gw_decrypted=40, sessions_created=40)


# -- fragments (outer IPv4 / IPv6 fragments of capsules) ------------------------------
def frags4(payload, src=REMOTE_V4, sport=40000, size=600, ident=0x4242):
    """The capsule's UDP datagram fragmented by scapy (IPv4, `size` bytes a fragment)."""
    from scapy.layers.inet import fragment
    p = IP(src=src, dst=P1_V4, ttl=60, id=ident) / UDP(sport=sport, dport=GWPORT) / Raw(payload)
    return [Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC) / f)) for f in fragment(p, fragsize=size)]


def frags6(payload, src=REMOTE_V6, sport=50000, size=600, ident=0x77):
    from scapy.layers.inet6 import IPv6ExtHdrFragment, fragment6
    p = IPv6(src=src, dst=P1_V6, hlim=60) / IPv6ExtHdrFragment(id=ident) / UDP(sport=sport, dport=GWPORT) / Raw(payload)
    return [Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC) / f)) for f in fragment6(p, size + 48)]


def big_inner(n=1300, sport=43000):
    return inner4(UDP(sport=sport, dport=53) / Raw(b"B" * n))


@pytest.mark.parametrize("suite", [1, 2])
def test_fragmented_capsule_v4_reassembled(suite):
    k = T.Key(KEY, suite)
    inner = big_inner()
    fr = frags4(capsule(k, inner, 1))
    assert len(fr) == 3
    res = run(cfg([entry(suite=suite)]), {1: fr})
    out = res.out[1]
    assert len(out) == 1, res.drops()
    assert_natted(out[0], as_frame(inner), P1_V4, SNAT_MIN, HOST_V4, 5353, HOST_MAC, P1_MAC)
    check(res, rx=3, tx=1, consumed=2, gw_fragments=3, gw_reassembled=1, gw_decrypted=1)


def test_fragmented_capsule_v6_reassembled_out_of_order():
    k = T.Key(KEY, 2)
    inner = inner6(UDP(sport=43001, dport=53) / Raw(b"C" * 1200), dst=HOST_V6)
    fr = frags6(capsule(k, inner, 3, pid=PID6))
    assert len(fr) >= 3
    fr = fr[::-1]  # last fragment first
    res = run(cfg([entry(pid=PID6, suite=2, node=NODE6)]), {1: fr})
    out = res.out[1]
    assert len(out) == 1, res.drops()
    got = IPv6(bytes(out[0])[14:])
    assert got.src == NODE6 and got.dst == HOST_V6 and got.hlim == 63
    assert got[Raw].load == b"C" * 1200  # routed to the host, unchanged but the hop limit
    check(res, rx=len(fr), tx=1, consumed=len(fr) - 1, gw_reassembled=1, gw_decrypted=1)


def test_fragments_incomplete_overlapping_too_many_discarded():
    """A missing fragment (timed out), overlapping fragments, more than 8
    fragments: nothing reassembled; the held copies are discarded and
    counted, the received fragments counted consumed; a good datagram after
    them still goes through."""
    from scapy.layers.inet import fragment
    k = T.Key(KEY, 1)
    incomplete = frags4(capsule(k, big_inner(sport=1), 1), ident=1)[:-1]
    ov = frags4(capsule(k, big_inner(sport=2), 2), ident=2)
    o = IP(bytes(ov[1][IP]))  # a second copy of fragment 2 shifted by 8 bytes: overlaps
    o.frag += 1
    del o.chksum
    overlapping = [ov[0], Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC) / o)), ov[1], ov[2]]
    many = frags4(capsule(k, big_inner(sport=3), 3), size=128, ident=3)
    assert len(many) > 8
    good = frags4(capsule(k, big_inner(sport=4), 4), ident=4)
    c = cfg([entry()])
    c["gateway"]["reassembly"] = {"timeout_ms": 100}
    with Dataplane(c, inputs={1: incomplete + overlapping + many + good}) as dp:
        import time
        time.sleep(1.0)  # the incomplete datagram times out
        dp.wait_idle(expect_rx=len(incomplete + overlapping + many + good))
        res = dp.stop()
    assert len(res.out[1]) == 1, res.drops()
    s = res.stats
    c_ = s["counters"]
    assert c_["gw_reassembled"] == 1 and c_["gw_decrypted"] == 1
    n_in = len(incomplete + overlapping + many + good)
    assert s["consumed"] == n_in - 1
    assert c_["gw_frag_discarded"] >= len(incomplete) + 1, c_
    check(res, rx=n_in, tx=1)


# -- sizes: MSS clamping and packets too big for a capsule -----------------------------
# suite 1 over an IPv4 outer header in a 1500-byte MTU: 1472 bytes of UDP payload,
# 64 of header + IV + tag, padding to 16: the largest inner packet is 1407 bytes.
INNER_MAX_S1_V4 = 1407


def mss_syn(sport, mss, flags="S"):
    return TCP(sport=sport, dport=80, flags=flags, seq=1, window=8192, options=[("NOP", None), ("MSS", mss)])


def test_inbound_syn_mss_clamped_to_fit_capsules():
    k = T.Key(KEY, 1)
    syn = inner4(mss_syn(44000, 1460))
    want = inner4(mss_syn(44000, INNER_MAX_S1_V4 - 40))  # the odd-offset MSS option rewritten
    res = run(cfg([entry()]), {1: [outer(capsule(k, syn, 1))]})
    assert len(res.out[1]) == 1, res.drops()
    assert_natted(res.out[1][0], as_frame(want), P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=1, tx=1, gw_mss_clamped=1)


def test_small_mss_left_alone():
    k = T.Key(KEY, 2)
    syn = inner4(mss_syn(44001, 1200))
    res = run(cfg([entry(suite=2)]), {1: [outer(capsule(k, syn, 1))]})
    assert_natted(res.out[1][0], as_frame(syn), P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=1, tx=1, gw_mss_clamped=0)


def test_outbound_synack_mss_clamped():
    k = T.Key(KEY, 1)
    syn = inner4(tcp_seg(sport=44002, dport=80, flags="S", seq=1000))
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
              TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5, ack=1001, window=1000, options=[("MSS", 1460)]))
    want = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
                 TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5, ack=1001, window=1000,
                     options=[("MSS", INNER_MAX_S1_V4 - 40)]))
    res = staged(cfg([entry()]), [[outer(capsule(k, syn, 1))], [r]])
    out = res.out[1]
    assert len(out) == 2, res.drops()
    _, pt = open_out(k, out[1])
    assert pt == natted(want, VIP4, 80, NODE4, 44002)
    check(res, rx=2, tx=2, gw_mss_clamped=1)


def test_too_big_for_a_capsule_answered_frag_needed():
    """A host's DF packet to a node, too large for a capsule: ICMP
    fragmentation needed to the host with the inner MTU (routed traffic);
    without DF: its capsule goes as outer IPv4 fragments (below)."""
    k = T.Key(KEY, 1)
    bind = outer(capsule(k, inner4(UDP(sport=1, dport=53) / Raw(b"x")), 1))
    big = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=NODE4, ttl=64, flags="DF") /
                UDP(sport=7, dport=7) / Raw(b"D" * 1420))
    nodf = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=NODE4, ttl=64) /
                 UDP(sport=7, dport=7) / Raw(b"D" * 1420))
    fits = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=NODE4, ttl=64, flags="DF") /
                 UDP(sport=7, dport=7) / Raw(b"d" * (INNER_MAX_S1_V4 - 28)))
    res = staged(cfg([entry()]), [[bind], [big, nodf, fits]])
    out = res.out[1]
    icmps = [o for o in out if ICMP in o]
    caps = [o for o in out if UDP in o and o[IP].flags.DF and o[UDP].sport == GWPORT]
    frags = [o for o in out if IP in o and ICMP not in o and not o[IP].flags.DF]
    assert len(icmps) == 1 and len(caps) == 1 and len(frags) == 2, [o.summary() for o in out]
    e = icmps[0]
    assert e[IP].dst == HOST_V4 and e[ICMP].type == 3 and e[ICMP].code == 4
    assert e[ICMP].nexthopmtu == INNER_MAX_S1_V4
    _, pt = open_out(k, caps[0])
    assert len(pt) == INNER_MAX_S1_V4
    assert open_frags(1, frags, 1500) == routed(nodf)
    check(res, drops={}, gw_encrypted=2, gw_fragmented=1, gw_fragments_out=2)


# -- outgoing capsules above the egress MTU: outer IPv4 fragments ----------------------
def reassemble(frags, mtu, dst=REMOTE_V4):
    """The outer IPv4 datagram the fragments make, checked fragment by
    fragment (one id, DF clear, MF on all but the last, offsets contiguous,
    each within the MTU, header checksums); returns it as a frame."""
    ips = sorted((f[IP] for f in frags), key=lambda i: i.frag)
    assert len({i.id for i in ips}) == 1, [i.id for i in ips]
    off = 0
    body = b""
    for n, i in enumerate(ips):
        assert i.src == P1_V4 and i.dst == dst and i.proto == 17 and i.ihl == 5
        assert not i.flags.DF and bool(i.flags.MF) == (n + 1 < len(ips)), (n, i.flags)
        assert i.frag * 8 == off, (n, i.frag, off)
        assert i.len <= mtu, (i.len, mtu)
        assert_ipv4_header_ok(bytes(i)[:20])
        data = bytes(i)[20:i.len]
        if n + 1 < len(ips):
            assert len(data) % 8 == 0
        body += data
        off += len(data)
    for f in frags:
        assert f[Ether].src == P1_MAC and f[Ether].dst == GW_MAC
    first = ips[0]
    return Ether(bytes(Ether(dst=GW_MAC, src=P1_MAC) /
                       IP(src=first.src, dst=first.dst, id=first.id, ttl=first.ttl, proto=17) /
                       Raw(body)))


def open_frags(suite, frags, mtu, dport=40000):
    """Reassembled by the checks above, its UDP checksum 0 (IPv4), the
    capsule opened by the overlay node's reference (capsule_ref)."""
    p = reassemble(frags, mtu)
    assert_capsule_checksums(p)
    assert p[UDP].sport == GWPORT and p[UDP].dport == dport
    rx = C.Receiver(KEY, suite, PID)
    return rx.open(bytes(p[UDP].payload))


def to_node(size, df=False, src=HOST_V4, dst=NODE4):
    return built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=src, dst=dst, ttl=64, id=0x5151,
                                                      flags="DF" if df else 0) /
                 UDP(sport=7, dport=7) / Raw(bytes(range(256)) * (size // 256) + b"z" * (size % 256)))


def routed(frame):
    """The inner packet as the gateway seals it: TTL - 1, checksum updated."""
    ip = IP(bytes(frame[IP]))
    ip.ttl -= 1
    del ip.chksum
    return bytes(ip)


def groups(out):
    """The frames sent, a fragmented capsule's fragments as one group."""
    gs, cur = [], []
    for o in out:
        cur.append(o)
        if not o[IP].flags.MF:
            gs.append(cur)
            cur = []
    assert cur == [], [o.summary() for o in out]
    return gs


def opened(k, suite, g, mtu):
    """A group of groups(): one capsule (DF, IP id 0) or its fragments, opened."""
    if len(g) == 1:
        assert g[0][IP].flags.DF and g[0][IP].id == 0 and len(g[0][IP]) <= mtu
        return open_out(k, g[0])[1]
    return open_frags(suite, g, mtu)


@pytest.mark.parametrize("suite,mtu", [(1, 1500), (2, 1500), (1, 576), (2, 576)])
def test_capsule_above_mtu_sent_as_outer_fragments(suite, mtu):
    """An inner IPv4 packet without DF, too big for one capsule within the
    egress MTU: the capsule is sealed whole and sent as outer IPv4
    fragments; reassembled here, it opens to the routed packet byte for
    byte. Each fragmented capsule has its own IP id."""
    k = T.Key(KEY, suite)
    bind = outer(capsule(k, inner4(UDP(sport=1, dport=53) / Raw(b"x")), 1))
    c = cfg([entry(suite=suite)])
    c["ports"][1]["mtu"] = mtu
    pkts = [to_node(1420), to_node(900), to_node(400)]
    res = staged(c, [[bind]] + [[p] for p in pkts])
    gs = groups(res.out[1][1:])  # after the bind's DNS query to the host
    assert len(gs) == 3, [o.summary() for o in res.out[1]]
    assert [opened(k, suite, g, mtu) for g in gs] == [routed(p) for p in pkts]
    sizes = [len(g) for g in gs]
    want = [2, 1, 1] if mtu == 1500 else [3, 2, 1]
    assert sizes == want, sizes
    ids = [g[0][IP].id for g in gs if len(g) > 1]
    assert len(set(ids)) == len(ids), ids
    nf = sum(1 for n in sizes if n > 1)
    check(res, rx=4, tx=4, originated=sum(sizes) - 3, drops={}, gw_encrypted=3,
          gw_fragmented=nf, gw_fragments_out=sum(n for n in sizes if n > 1))


def test_fragmented_capsules_in_pipeline_mode():
    """The same through pipeline workers: each capsule's fragments leave
    together, in the capsules' RX order, among unfragmented ones. The path
    is bound first (its capsule alone), then the packets to the node."""
    k = T.Key(KEY, 1)
    bind = outer(capsule(k, inner4(UDP(sport=1, dport=53) / Raw(b"x")), 1))
    pkts = [to_node(1420 if i % 3 == 0 else 200 + i) for i in range(12)]
    c = cfg([entry()])
    c.update(mode="pipeline", burst=1, pipeline={"rx_lcores": [1], "worker_lcores": [2, 3],
                                                 "tx_lcores": [4], "gap_timeout_us": 500000})
    with Dataplane(c, n_ports=2, lcores="0@0,1@1,2@0,3@1,4@0", live_ports=(1,)) as dp:
        dp.live[1].send([bind], close=False)
        dp.wait_idle(expect_rx=1, timeout=60)
        dp.live[1].send(pkts)
        dp.wait_idle(expect_rx=1 + len(pkts), timeout=60)
        dp.stop()
    res = dp.result
    gs = groups(res.out[1][1:])
    assert [opened(k, 1, g, 1500) for g in gs] == [routed(p) for p in pkts]
    assert [len(g) for g in gs] == [2 if i % 3 == 0 else 1 for i in range(12)]
    check(res, drops={}, gw_encrypted=12, gw_fragmented=4, gw_fragments_out=8)


def test_asrs_reply_above_mtu_fragmented_even_with_df():
    """A reply the ASRS NAT makes (its source one of our own addresses, so an
    ICMP error could not reach the real sender) too big for a capsule: sent
    as outer fragments though it has DF; the inner packet stays whole."""
    k = T.Key(KEY, 2)
    q = inner4(UDP(sport=30001, dport=53) / Raw(b"query"))
    r = built(Ether(dst=P1_MAC, src=HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64, flags="DF") /
              UDP(sport=5353, dport=SNAT_MIN) / Raw(b"A" * 1440))
    res = staged(cfg([entry(suite=2)]), [[outer(capsule(k, q, 1))], [r]])
    out = res.out[1]
    assert len(out) == 3, [o.summary() for o in out]
    assert out[0][IP].dst == HOST_V4 and out[0][UDP].dport == 5353
    assert open_frags(2, out[1:], 1500, dport=40000) == natted(r, VIP4, 53, NODE4, 30001)
    check(res, rx=2, tx=2, originated=1, drops={}, gw_fragmented=1, gw_fragments_out=2)


def test_no_df_above_mtu_over_ipv6_outer_dropped():
    """Over an outer IPv6 path the gateway does not fragment: an inner IPv4
    packet without DF too big for a capsule is dropped (gw_too_big)."""
    k = T.Key(KEY, 1)
    bind = outer(capsule(k, inner4(UDP(sport=1, dport=53) / Raw(b"x")), 1), src=REMOTE_V6, sport=50000)
    res = staged(cfg([entry()]), [[bind], [to_node(1420)]])
    assert len(res.out[1]) == 1, [o.summary() for o in res.out[1]]
    check(res, rx=2, tx=1, drops={"gw_too_big": 1}, gw_fragmented=0)
