"""Anycast cluster, data-plane half (SPEC §8, doc/cluster.md): a SYN whose
owner is another member leaves encapsulated to it, byte for byte as the
Python model (cluster_ref.py, written from the documentation) builds it;
an encapsulated SYN from a member is NAT-ed as a local one; a non-SYN miss
goes on to the next hop, and at the last hop is dropped as owner_miss;
every malformed or forged encapsulated packet is dropped with its counter;
cluster.set is validated whole; the owner table equals the Python one."""

import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import cluster_ref as ref
from asrs_fixtures import *  # noqa: F401,F403
from asrs_fixtures import natted
from golden_common import CLIENT_MAC, CLIENT_V4, GW_MAC, GW_V4, HOST_MAC, HOST_V4, P0_MAC, P0_V4, P1_MAC, P1_V4, check
from harness import Dataplane, app_error_lines, run_bad_config

KEY = "00112233445566778899aabbccddeeff" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PORT = 7812
SNAT_MIN = 20000
A, B, C = ("inst-a", P1_V4), ("inst-b", HOST_V4), ("inst-c", GW_V4)  # A is us
MAC_OF = {HOST_V4: HOST_MAC, GW_V4: GW_MAC}


def cfg(**cl):
    c = asrs_config(asrs={"snat_ports": {"min": SNAT_MIN, "max": 20999}})
    c["cluster"] = {"id": "inst-a", "udp_port": PORT, "key": KEY, "underlay": P1_V4}
    c["cluster"].update(cl)
    return c


def members(*ms, states=None):
    states = states or {}
    return [{"id": i, "addr": a, "state": states.get(i, "active")} for i, a in ms]


def ref_members(ms):
    return [(m["id"], m["addr"], m["state"]) for m in ms]


def index_of(ms, ident):
    return [m[0] for m in ref.sorted_members(ref_members(ms))].index(ident)


def client_port_owned_by(ms, primary, secondary=None, proto=6, dport=80):
    """A client port whose flow to VIP4:dport has this primary (and secondary)."""
    rm = ref_members(ms)
    for cport in range(40000, 60000):
        row = ref.row_of_flow(CLIENT_V4, cport, VIP4, dport, proto)
        p, s = ref.owner_row(rm, row)
        if p == index_of(ms, primary) and (secondary is None or s == index_of(ms, secondary)):
            return cport
    raise AssertionError("no port found")


def encapsulated(inner_ip, src, dst, epoch, hop_idx, hops, sport, key=KEY, dst_mac=P1_MAC,
                 src_mac=HOST_MAC, hdr=None):
    """An encapsulated frame as a member sends it (built here independently)."""
    h = hdr if hdr is not None else ref.header(key, epoch, hop_idx, hops)
    return built(Ether(dst=dst_mac, src=src_mac) / IP(src=src, dst=dst, ttl=64, flags="DF", id=0) /
                 UDP(sport=sport, dport=PORT, chksum=0) / Raw(h + inner_ip))


def start(ms, epoch=1, port=0, **cl):
    """The PMD blocks its lcore reading a FIFO: one live port, the one sent on."""
    dp = Dataplane(cfg(**cl), live_ports=(port,))
    dp.__enter__()
    r = dp.api({"op": "cluster.set", "epoch": epoch, "members": ms})
    assert r == {"ok": True}, r
    return dp


def finish(dp, n):
    dp.wait_idle(expect_rx=n)
    dp.stop()
    dp.__exit__(None, None, None)
    return dp.result


def test_syn_to_other_owner_leaves_encapsulated_byte_for_byte():
    ms = members(A, B, C)
    cport = client_port_owned_by(ms, "inst-b", "inst-a")
    syn = built(frame4(tcp_seg(sport=cport, dport=80, flags="S")))
    dp = start(ms, epoch=7)
    try:
        dp.live[0].send([syn])
        res = finish(dp, 1)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1 and not res.out.get(0), res.out
    inner = l3(syn)
    h = ref.flow_hash_words(ref.asrs_key_words(CLIENT_V4, cport, VIP4, 80, 6))
    # hops: the primary only (the secondary is us: we already missed)
    want = built(Ether(dst=HOST_MAC, src=P1_MAC) / IP(src=P1_V4, dst=HOST_V4, ttl=64, flags="DF", id=0) /
                 UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=PORT, chksum=0) /
                 Raw(ref.header(KEY, 7, 0, [index_of(ms, "inst-b")]) + inner))
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=1, tx=1, cluster_redirected=1, sessions_created=0)


def test_icmp_error_goes_to_the_owner_of_the_quoted_flow():
    from scapy.layers.inet import ICMP
    ms = members(A, B, C)
    cport = client_port_owned_by(ms, "inst-b", "inst-a")
    quote = IP(src=VIP4, dst=CLIENT_V4, ttl=60) / TCP(sport=80, dport=cport, flags="SA", seq=1, ack=2)
    err = built(Ether(dst=P0_MAC, src=CLIENT_MAC) / IP(src="10.1.0.9", dst=VIP4, ttl=64) /
                ICMP(type=3, code=4, nexthopmtu=1400) / Raw(bytes(quote)[:28]))
    dp = start(ms, epoch=2)
    try:
        dp.live[0].send([err])
        res = finish(dp, 1)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    h = ref.flow_hash_words(ref.asrs_key_words(CLIENT_V4, cport, VIP4, 80, 6))
    want = built(Ether(dst=HOST_MAC, src=P1_MAC) / IP(src=P1_V4, dst=HOST_V4, ttl=64, flags="DF", id=0) /
                 UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=PORT, chksum=0) /
                 Raw(ref.header(KEY, 2, 0, [index_of(ms, "inst-b")]) + l3(err)))
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=1, tx=1, cluster_redirected=1)


def test_trs_message_for_an_unknown_path_goes_to_the_pathid_owner():
    import trs_ref as T
    ms = members(A, B)
    pid = next(bytes.fromhex("c0ffee00" * 3) + i.to_bytes(4, "big") for i in range(1000)
               if ref.owner_row(ref_members(ms), ref.row_of_path(
                   bytes.fromhex("c0ffee00" * 3) + i.to_bytes(4, "big")))[0] == index_of(ms, "inst-b"))
    body = T.Hdr(txid=1, flag=0, type=T.CAPSULE, seq=1, id=pid, msg_len=T.MIN_LEN).pack() + bytes(T.TAG_LEN)
    cap = built(Ether(dst=P0_MAC, src=CLIENT_MAC) / IP(src=CLIENT_V4, dst=P0_V4) / UDP(sport=5000, dport=7811) / Raw(body))
    c = cfg()
    c["trs"] = {"port": 7811}
    dp = Dataplane(c, live_ports=(0,))
    dp.__enter__()
    try:
        assert dp.api({"op": "cluster.set", "epoch": 3, "members": ms})["ok"]
        dp.live[0].send([cap])
        res = finish(dp, 1)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    h = ref.flow_hash_words(list(struct.unpack("<2Q", pid)))
    want = built(Ether(dst=HOST_MAC, src=P1_MAC) / IP(src=P1_V4, dst=HOST_V4, ttl=64, flags="DF", id=0) /
                 UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=PORT, chksum=0) /
                 Raw(ref.header(KEY, 3, 0, [index_of(ms, "inst-b")]) + l3(cap)))
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=1, tx=1, cluster_redirected=1)


def test_syn_owned_here_and_alias_are_local():
    ms = members(A, B)
    cport = client_port_owned_by(ms, "inst-a")
    other = client_port_owned_by(ms, "inst-b")
    own = built(frame4(tcp_seg(sport=cport, dport=80, flags="S")))
    alias = built(frame4(tcp_seg(sport=other, dport=80, flags="S"), dst=P0_V4))  # instance alias
    dp = start(ms)
    try:
        dp.live[0].send([own, alias])
        res = finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 2
    assert_natted(res.out[1][0], own, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=2, tx=2, cluster_redirected=0, sessions_created=2)


def test_encapsulated_syn_from_member_is_natted_as_local():
    ms = members(A, B)
    syn = built(frame4(tcp_seg(sport=41000, dport=80, flags="S")))
    pkt = encapsulated(l3(syn), HOST_V4, P1_V4, 3, 0, [index_of(ms, "inst-a")], 50000)
    dp = start(ms, epoch=3, port=1)
    try:
        dp.live[1].send([pkt])
        res = finish(dp, 1)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    assert_natted(res.out[1][0], syn, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=1, tx=1, cluster_decapsulated=1, sessions_created=1)


def test_non_syn_miss_goes_to_next_hop_then_owner_miss():
    ms = members(A, B, C)
    ack = built(frame4(tcp_seg(sport=41001, dport=80, flags="A", seq=5, ack=9)))
    a_i, c_i, b_i = index_of(ms, "inst-a"), index_of(ms, "inst-c"), index_of(ms, "inst-b")
    first = encapsulated(l3(ack), HOST_V4, P1_V4, 4, 0, [a_i, c_i], 50001)  # we are hop 0 of 2
    last = encapsulated(l3(ack), HOST_V4, P1_V4, 4, 1, [b_i, a_i], 50002)   # we are the last hop
    dp = start(ms, epoch=4, port=1)
    try:
        dp.live[1].send([first, last])
        res = finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    h = ref.flow_hash_words(ref.asrs_key_words(CLIENT_V4, 41001, VIP4, 80, 6))
    want = built(Ether(dst=GW_MAC, src=P1_MAC) / IP(src=P1_V4, dst=GW_V4, ttl=64, flags="DF", id=0) /
                 UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=PORT, chksum=0) /
                 Raw(ref.header(KEY, 4, 1, [a_i, c_i]) + l3(ack)))
    assert bytes(res.out[1][0]) == bytes(want), (bytes(res.out[1][0]).hex(), bytes(want).hex())
    check(res, rx=2, tx=1, drops={"owner_miss": 1}, cluster_decapsulated=2, cluster_next_hop=1,
          sessions_created=0)


def _bad_packets(ms):
    syn = l3(built(frame4(tcp_seg(sport=42000, dport=80, flags="S"))))
    a_i = index_of(ms, "inst-a")
    good = ref.header(KEY, 5, 0, [a_i])
    forged_tag = good[:16] + bytes(8)
    wrong_key = ref.header("ff" * 32, 5, 0, [a_i])
    bad_magic = b"AX" + good[2:]
    hop_over = ref.header(KEY, 5, 0, [a_i])[:3] + bytes([1, 1]) + good[5:16]
    hop_over += ref.siphash24(*ref.sip_key(KEY), hop_over).to_bytes(8, "little")
    not_me = ref.header(KEY, 5, 0, [index_of(ms, "inst-b")])
    return [
        ("cluster_not_member", encapsulated(syn, "10.2.0.77", P1_V4, 5, 0, [a_i], 1)),
        ("cluster_bad_tag", encapsulated(syn, HOST_V4, P1_V4, 5, 0, [a_i], 2, hdr=forged_tag)),
        ("cluster_bad_tag", encapsulated(syn, HOST_V4, P1_V4, 5, 0, [a_i], 3, hdr=wrong_key)),
        ("cluster_stale_epoch", encapsulated(syn, HOST_V4, P1_V4, 2, 0, [a_i], 4)),
        ("cluster_stale_epoch", encapsulated(syn, HOST_V4, P1_V4, 3, 0, [a_i], 5)),
        ("cluster_bad_tag", encapsulated(syn, HOST_V4, P1_V4, 9, 0, [a_i], 11, hdr=ref.header("ff" * 32, 9, 0, [a_i]))),
        ("cluster_bad_hop", encapsulated(syn, HOST_V4, P1_V4, 5, 0, [a_i], 6, hdr=hop_over)),
        ("cluster_bad_hop", encapsulated(syn, HOST_V4, P1_V4, 5, 0, [a_i], 7, hdr=not_me)),
        ("cluster_malformed", encapsulated(syn, HOST_V4, P1_V4, 5, 0, [a_i], 8, hdr=bad_magic)),
        ("cluster_malformed", encapsulated(b"", HOST_V4, P1_V4, 5, 0, [a_i], 9, hdr=good[:20])),
        ("cluster_malformed", encapsulated(b"\x50" + syn[1:], HOST_V4, P1_V4, 5, 0, [a_i], 10)),
    ]


def test_malformed_or_forged_encapsulated_packets_dropped_with_counters():
    ms = members(A, B)
    bad = _bad_packets(ms)
    dp = start(ms, epoch=4, port=1)
    try:
        assert dp.api({"op": "cluster.set", "epoch": 5, "members": ms})["ok"]  # 4 is kept
        dp.live[1].send([p for _, p in bad])
        dp.wait_idle(expect_rx=len(bad))
        got = dp.api({"op": "cluster.get"})
        res = finish(dp, len(bad))
    finally:
        dp.__exit__(None, None, None)
    want = {}
    for name, _ in bad:
        want[name] = want.get(name, 0) + 1
    check(res, rx=len(bad), tx=0, drops=want, sessions_created=0)
    assert got["ok"] and got["epoch"] == 5 and got["kept_epoch"] == 4
    for name, n in want.items():
        assert got["counters"][name] == n, (name, got["counters"])


def test_newer_epoch_served_by_address():
    """A member list newer than ours (our agent lags, or has stopped while we serve
    what we own): a packet is accepted once its tag verifies, its hop indices are not
    checked (they mean nothing under our list); a session hit or a flow-creating
    packet is served, another miss cannot go on (cluster_stale_epoch)."""
    ms = members(A, B)
    b_i = index_of(ms, "inst-b")  # not us under our list: the sender's list differs
    syn = built(frame4(tcp_seg(sport=41600, dport=80, flags="S")))
    ack = built(frame4(tcp_seg(sport=41601, dport=80, flags="A", seq=5, ack=9)))
    pkts = [encapsulated(l3(syn), HOST_V4, P1_V4, 9, 0, [b_i], 50004),
            encapsulated(l3(ack), HOST_V4, P1_V4, 9, 0, [b_i, 7], 50005)]
    dp = start(ms, epoch=5, port=1)
    try:
        dp.live[1].send(pkts)
        res = finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 1, res.out
    assert_natted(res.out[1][0], syn, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(res, rx=2, tx=1, drops={"cluster_stale_epoch": 1}, cluster_decapsulated=2, cluster_newer_epoch=2,
          sessions_created=1)


def test_kept_epoch_still_accepted():
    ms = members(A, B)
    syn = built(frame4(tcp_seg(sport=41500, dport=80, flags="S")))
    pkt = encapsulated(l3(syn), HOST_V4, P1_V4, 1, 0, [index_of(ms, "inst-a")], 50003)
    dp = start(ms, epoch=1, port=1)
    try:
        assert dp.api({"op": "cluster.set", "epoch": 2, "members": ms})["ok"]
        dp.live[1].send([pkt])
        res = finish(dp, 1)
    finally:
        dp.__exit__(None, None, None)
    check(res, rx=1, tx=1, cluster_decapsulated=1, sessions_created=1)


@pytest.mark.parametrize("req,msg", [
    ({"epoch": 2}, "members: expected an array"),
    ({"epoch": 0, "members": []}, "epoch: expected an integer >= 1"),
    ({"epoch": 2, "members": members(A, ("inst-a", "10.2.0.9"))}, "members[1].id: 'inst-a' already in members[0]"),
    ({"epoch": 2, "members": members(A, ("inst-b", P1_V4))}, "members[1].addr: same address as members[0]"),
    ({"epoch": 2, "members": [{"id": "x", "addr": "10.2.0.5", "state": "up"}]}, "members[0].state: expected"),
    ({"epoch": 2, "members": [{"id": "x y", "addr": "10.2.0.5", "state": "down"}]}, "members[0].id: expected"),
    ({"epoch": 2, "members": [{"id": "x", "addr": "2001:db8::5", "state": "down"}]}, "expected an IPv4 address"),
    ({"epoch": 2, "members": [{"id": "x", "addr": "10.2.0.5", "state": "down", "w": 1}]}, "unknown key 'w'"),
    ({"epoch": 2, "members": [{"id": "m%d" % i, "addr": "10.3.%d.%d" % (i // 250, i % 250 + 1),
                               "state": "active"} for i in range(65)]}, "expected at most 64, got 65"),
    ({"epoch": 5, "members": members(A)}, "stale epoch: 5 is older than the current 6"),
    ({"epoch": 6, "members": members(A)}, "epoch 6 already applied with a different member list"),
])
def test_cluster_set_rejected_whole(req, msg):
    ms = members(A, B)
    with Dataplane(cfg(), live_ports=(0,)) as dp:
        assert dp.api(dict({"op": "cluster.set"}, epoch=6, members=ms))["ok"]
        assert dp.api(dict({"op": "cluster.set"}, epoch=6, members=list(reversed(ms))))["ok"]
        r = dp.api(dict({"op": "cluster.set"}, **req))
        assert not r["ok"] and msg in r["error"], r
        got = dp.api({"op": "cluster.get"})
        dp.stop()
    assert got["epoch"] == 6 and [m["id"] for m in got["members"]] == ["inst-a", "inst-b"]


def test_owner_table_equals_python_model():
    ms = members(("inst-c", "10.2.0.3"), A, ("inst-b", "10.2.0.2"), ("inst-d", "10.2.0.4"),
                 ("inst-e", "10.2.0.5"), states={"inst-b": "draining", "inst-d": "down"})
    rm = ref_members(ms)
    ids = [m[0] for m in ref.sorted_members(rm)]
    with Dataplane(cfg(), live_ports=(0,)) as dp:
        assert dp.api({"op": "cluster.set", "epoch": 11, "members": ms})["ok"]
        rows = []
        for start_row in range(0, ref.ROWS, 8192):
            r = dp.api({"op": "cluster.owner", "from": start_row, "count": 8192})
            assert r["ok"] and r["epoch"] == 11, r
            rows += r["rows"]
        dp.stop()
    assert len(rows) == ref.ROWS
    for row in range(ref.ROWS):
        p, s = ref.owner_row(rm, row)
        want = [ids[p] if p != ref.NONE else None, ids[s] if s != ref.NONE else None]
        assert rows[row] == want, (row, rows[row], want)


def _cl(**over):
    c = {"id": "inst-a", "udp_port": PORT, "key": KEY, "underlay": P1_V4}
    c.update(over)
    return c


@pytest.mark.parametrize("cl,path,words", [
    (_cl(id="a b"), "cluster.id", ["[A-Za-z0-9._-]"]),
    (_cl(id="x" * 64), "cluster.id", ["63"]),
    (_cl(key="00" * 31), "cluster.key", ["64 hex digits", "62"]),
    (_cl(key="zz" + "00" * 31), "cluster.key", ["non-hex", "0"]),
    (_cl(udp_port=0), "cluster.udp_port", ["65535"]),
    (_cl(underlay="10.9.9.9"), "cluster.underlay", ["address of a port", "10.9.9.9"]),
    (_cl(underlay="bogus"), "cluster.underlay", []),
    ({k: v for k, v in _cl().items() if k != "key"}, "cluster.key", ["required"]),
    (_cl(extra=1), "cluster", ["extra"]),
])
def test_cluster_config_errors(cl, path, words):
    c = cfg()
    c["cluster"] = cl
    rc, stderr, cfgfile = run_bad_config(c)
    lines = app_error_lines(stderr)
    assert rc == 2 and len(lines) == 1, stderr
    prefix = "anyway-dataplane: %s: %s: " % (cfgfile, path)
    assert lines[0].startswith(prefix), (prefix, lines[0])
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_underlay_mtu_too_small_refused_at_start():
    c = cfg()
    c["ports"][1]["mtu"] = 1300  # 1300 - 52 < 1280
    rc, stderr, _ = run_bad_config(c)
    assert rc != 0 and "MTU 1300 leaves 1248 bytes" in stderr and "at least 1332" in stderr, stderr


@pytest.mark.parametrize("ms", [None, members(B)], ids=["no_member_list", "one_member"])
def test_one_member_or_none_behaves_as_today(ms):
    syn = built(frame4(tcp_seg(sport=43000, dport=80, flags="S")))
    with Dataplane(cfg(), live_ports=(0,)) as dp:
        if ms is not None:  # one member, not even us: still local
            assert dp.api({"op": "cluster.set", "epoch": 1, "members": ms})["ok"]
        dp.live[0].send([syn])
        dp.wait_idle(expect_rx=1)
        dp.stop()
    assert_natted(dp.result.out[1][0], syn, P1_V4, SNAT_MIN, HOST_V4, 8080, HOST_MAC, P1_MAC)
    check(dp.result, rx=1, tx=1, sessions_created=1, cluster_redirected=0)


def test_ipv6_underlay_capsules_repeat_byte_for_byte():
    """Outer IPv6 (UDP checksum mandatory) from the per-member template: two
    packets of different lengths toward the same member, each exact."""
    from golden_common import HOST_V6, GW_V6, P1_V6
    from scapy.layers.inet6 import IPv6
    ms = members(("inst-a", P1_V6), ("inst-b", HOST_V6), ("inst-c", GW_V6))
    cport = client_port_owned_by(ms, "inst-b", "inst-a")
    syn = built(frame4(tcp_seg(sport=cport, dport=80, flags="S")))
    ack = built(frame4(tcp_seg(sport=cport, dport=80, flags="PA", seq=7, ack=9, payload=b"x" * 333)))
    dp = start(ms, epoch=9, underlay=P1_V6)
    try:
        dp.live[0].send([syn, ack])
        res = finish(dp, 2)
    finally:
        dp.__exit__(None, None, None)
    assert len(res.out[1]) == 2, res.out
    h = ref.flow_hash_words(ref.asrs_key_words(CLIENT_V4, cport, VIP4, 80, 6))
    for got, sent in zip(res.out[1], (syn, ack)):
        want = built(Ether(dst=HOST_MAC, src=P1_MAC) / IPv6(src=P1_V6, dst=HOST_V6, hlim=64) /
                     UDP(sport=0xC000 | ((h >> 32) & 0x3FFF), dport=PORT) /
                     Raw(ref.header(KEY, 9, 0, [index_of(ms, "inst-b")]) + l3(sent)))
        assert bytes(got) == bytes(want), (bytes(got).hex(), bytes(want).hex())
    check(res, rx=2, tx=2, cluster_redirected=2, sessions_created=0)
