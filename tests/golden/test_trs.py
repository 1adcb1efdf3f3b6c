"""TRS relay (SPEC §5.3) through the real binary on net_pcap: messages built
and checked by the independent Python implementation trs_ref.py.

Topology: both nodes sit behind the gateway on port 1 (node A on IPv4
198.51.100.7, node B on IPv6 2001:db8:99::7, node C on IPv4 198.51.100.8);
the relay listens on port 1's addresses (trs.addrs), UDP 7811."""

import time

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import trs_ref as T
from golden_common import (GW_MAC, GW_V4, GW_V6, P1_MAC, P1_V4, P1_V6, REMOTE_V4, REMOTE_V6,
                           assert_checksums, assert_conserved, assert_drops, config)
from harness import Dataplane, run, run_bad_config, app_error_lines

PORT = 7811
A4, B6, C4 = REMOTE_V4, REMOTE_V6, "198.51.100.8"
PID = bytes.fromhex("00112233445566778899aabbccddeeff")
PID2 = bytes.fromhex("ffeeddccbbaa99887766554433221100")
KEY = bytes(range(32))
KEY2 = bytes(range(100, 132))
WAIT = 15.0


def relay(pid=PID, key=KEY, suite=1, **kw):
    e = {"path_id": pid.hex(), "tunnel_key": key.hex(), "suite": suite}
    e.update(kw)
    return e


def cfg(relays=(), **trs):
    t = {"port": PORT, "addrs": [P1_V4, P1_V6]}
    t.update(trs)
    return config(trs=t, relays=list(relays))


def pkt(src, payload, sport=40000, dport=PORT, ulen=None):
    """A UDP datagram from a node behind the gateway to the relay (port 1)."""
    v6 = ":" in src
    ip = IPv6(src=src, dst=P1_V6, hlim=60) if v6 else IP(src=src, dst=P1_V4, ttl=60)
    u = UDP(sport=sport, dport=dport) if ulen is None else UDP(sport=sport, dport=dport, len=ulen)
    return Ether(bytes(Ether(dst=P1_MAC, src=GW_MAC) / ip / u / Raw(payload)))


def msg(k, type_, seq, flag=0, txid=7, pid=PID, body=b"", seal=True):
    h = T.Hdr(txid=txid, flag=flag, type=type_, seq=seq, id=pid)
    return k.seal(h, body) if seal else k.sign(h, body)


def capsule(seq, flag=0, pid=PID, data=b"end-to-end encrypted bytes"):
    # The relay never sees the capsule key: any bytes with a valid header.
    return T.Hdr(txid=1, flag=flag, type=T.CAPSULE, seq=seq, id=pid, msg_len=T.MIN_LEN + len(data)).pack() + data + b"T" * 16


def udp_of(p):
    return p[UDP]


def check_out(p, dst, dport, v6):
    """A frame the relay sent toward the gateway: L2, addresses, ports, checksums."""
    assert p[Ether].src == P1_MAC and p[Ether].dst == GW_MAC
    if v6:
        assert IPv6 in p and p[IPv6].src == P1_V6 and p[IPv6].dst == dst and p[IPv6].hlim == 64
    else:
        assert IP in p and p[IP].src == P1_V4 and p[IP].dst == dst and p[IP].ttl == 64
    assert p[UDP].sport == PORT and p[UDP].dport == dport
    assert_checksums(p)
    return bytes(p[UDP].payload)


def check_ack(k, raw, answered, side):
    h, body, _ = T.parse(raw)
    assert h.type == T.ACK and body == b""
    assert h.txid == T.Hdr.unpack(answered).txid and h.id == T.Hdr.unpack(answered).id
    assert h.flag == 0x80 | side
    assert k.verify(raw), "ACK tag does not verify with the Tunnel Key"
    return h.seq


@pytest.mark.parametrize("suite", [1, 2])
def test_bind_ack_forward_v4_v6(suite):
    k = T.Key(KEY, suite)
    hp_a = msg(k, T.HOLE_PUNCHING, 1, flag=0, txid=11)
    hp_b = msg(k, T.HOLE_PUNCHING, 1, flag=1, txid=12, body=b"responder here")
    ka_a = msg(k, T.KEEP_ALIVE, 2, flag=0, txid=13)
    treq = msg(k, T.TUNNEL_REQUEST, 3, flag=0, txid=14, body=b"tunnel please")
    tres = msg(k, T.TUNNEL_RESPONSE, 2, flag=1, txid=14, body=b"tunnel ok")
    cap_a, cap_b = capsule(10, 0), capsule(11, 1, data=b"x" * 1000)
    inputs = [pkt(A4, hp_a), pkt(B6, hp_b, sport=50000), pkt(A4, ka_a), pkt(A4, treq), pkt(B6, tres, sport=50000),
              pkt(A4, cap_a), pkt(B6, cap_b, sport=50000)]
    res = run(cfg([relay(suite=suite)]), {1: inputs})
    out = res.out[1]
    assert len(out) == 7, [o.summary() for o in out]
    seqs = [check_ack(k, check_out(out[0], A4, 40000, False), hp_a, 0),
            check_ack(k, check_out(out[1], B6, 50000, True), hp_b, 1),
            check_ack(k, check_out(out[2], A4, 40000, False), ka_a, 0)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3, "relay seq must increase: %s" % seqs
    assert check_out(out[3], B6, 50000, True) == treq          # Initiator -> Responder, v4 -> v6
    assert check_out(out[4], A4, 40000, False) == tres         # Responder -> Initiator, v6 -> v4
    assert check_out(out[5], B6, 50000, True) == cap_a         # byte-identical
    assert check_out(out[6], A4, 40000, False) == cap_b
    assert_conserved(res.stats)
    assert_drops(res.stats, {})
    c = res.stats["counters"]
    assert (c["relay_acks"], c["relay_forwarded"], c["relay_binds"], c["relay_verified"]) == (3, 4, 2, 5)
    assert c["relay_family_changed"] == 4


def test_drops_by_reason():
    k, wrong = T.Key(KEY, 1), T.Key(KEY2, 1)
    hp = msg(k, T.HOLE_PUNCHING, 5)
    forged = bytearray(msg(k, T.KEEP_ALIVE, 6))
    forged[-1] ^= 0x55
    lie_long = bytearray(msg(k, T.KEEP_ALIVE, 7))
    lie_long[12:14] = (len(lie_long) + 1).to_bytes(2, "big")
    lie_short = bytearray(msg(k, T.KEEP_ALIVE, 8))
    lie_short[12:14] = (len(lie_short) - 16).to_bytes(2, "big")
    badver = bytearray(msg(k, T.KEEP_ALIVE, 9))
    badver[4] = 2
    unknown_type = bytearray(msg(k, T.KEEP_ALIVE, 10))
    unknown_type[6] = 0x77
    inputs = [
        pkt(A4, hp),                                       # binds A: ACK
        pkt(A4, hp),                                       # replay
        pkt(A4, msg(k, T.HOLE_PUNCHING, 4)),               # older than top, unseen: accepted, no rebind
        pkt(A4, bytes(forged)),                            # bad tag
        pkt(A4, msg(wrong, T.KEEP_ALIVE, 20)),             # wrong key: bad tag
        pkt(A4, hp[:47]),                                  # truncated (msg_len still says 48+)
        pkt(A4, bytes(lie_long)),                          # msg_len > payload
        pkt(A4, bytes(lie_short)),                         # msg_len < payload
        pkt(A4, bytes(badver)),
        pkt(A4, bytes(unknown_type)),
        pkt(A4, msg(k, T.LOGIN_REQUEST, 11)),              # a type the relay does not take
        pkt(A4, msg(k, T.KEEP_ALIVE, 12, pid=PID2)),       # unknown path
        pkt(A4, msg(k, T.TUNNEL_REQUEST, 13, flag=1)),     # Responder may not send a request
        pkt(A4, msg(k, T.TUNNEL_RESPONSE, 14, flag=0)),    # Initiator may not send a response
        pkt(A4, msg(k, T.TUNNEL_REQUEST, 15)),             # Responder not bound yet
        pkt(C4, capsule(1)),                               # capsule from an unbound source
        pkt(A4, capsule(2), sport=40001),                  # bound address, other port
        pkt(A4, capsule(3)),                               # from A, B unbound
        pkt(A4, hp, ulen=len(hp) + 8 + 4),                 # UDP length lies
    ]
    res = run(cfg([relay()]), {1: inputs})
    assert len(res.out[1]) == 2  # the two ACKs
    for o in res.out[1]:
        check_ack(k, check_out(o, A4, 40000, False), hp, 0)
    assert_conserved(res.stats)
    assert_drops(res.stats, {
        "relay_replay": 1, "relay_bad_tag": 2, "relay_truncated": 1, "relay_msg_len": 2,
        "relay_bad_version": 1, "relay_unknown_type": 1, "relay_unhandled_type": 1,
        "relay_unknown_path": 1, "relay_wrong_direction": 2, "relay_peer_unbound": 2,
        "relay_unbound_source": 2, "relay_udp_length": 1})
    assert res.stats["counters"]["relay_binds"] == 1
    assert res.stats["counters"]["relay_rebinds"] == 0


def test_rebind_to_new_source_port():
    k = T.Key(KEY, 2)
    inputs = [
        pkt(A4, msg(k, T.HOLE_PUNCHING, 1)),
        pkt(C4, msg(k, T.HOLE_PUNCHING, 1, flag=1), sport=7000),   # B on IPv4 this time
        pkt(C4, capsule(1, 1), sport=7000),                        # -> A:40000
        pkt(A4, msg(k, T.KEEP_ALIVE, 2), sport=40001),             # NAT moved A: rebind
        pkt(C4, capsule(2, 1), sport=7000),                        # -> A:40001
        pkt(A4, capsule(3), sport=40000),                          # old mapping: refused
        pkt(A4, capsule(4), sport=40001),                          # new mapping: -> C:7000
    ]
    res = run(cfg([relay(suite=2)]), {1: inputs})
    out = res.out[1]
    assert len(out) == 6
    check_out(out[0], A4, 40000, False)
    check_out(out[1], C4, 7000, False)
    assert check_out(out[2], A4, 40000, False) == capsule(1, 1)
    check_ack(k, check_out(out[3], A4, 40001, False), msg(k, T.KEEP_ALIVE, 2), 0)
    assert check_out(out[4], A4, 40001, False) == capsule(2, 1)
    assert check_out(out[5], C4, 7000, False) == capsule(4)
    assert_conserved(res.stats)
    assert_drops(res.stats, {"relay_unbound_source": 1})
    assert res.stats["counters"]["relay_rebinds"] == 1
    assert res.stats["counters"]["relay_family_changed"] == 0


def test_verify_budget_bounds_forged_flood():
    k = T.Key(KEY, 1)
    forged = []
    for s in range(1, 9):
        m = bytearray(msg(k, T.HOLE_PUNCHING, s))
        m[-3] ^= 1
        forged.append(pkt(A4, bytes(m)))
    res = run(cfg([relay()], verify_burst=3), {1: forged})
    assert res.out[1] == [] or len(res.out[1]) == 0
    assert_conserved(res.stats)
    d = res.drops()
    assert set(d) == {"relay_bad_tag", "relay_verify_budget"} and sum(d.values()) == 8
    assert d["relay_bad_tag"] % 3 == 0 or d["relay_bad_tag"] >= 3  # at most 3 per burst
    assert res.stats["counters"]["relay_verified"] == 0


def test_rate_limit_drops_excess_capsules():
    k = T.Key(KEY, 1)
    inputs = [pkt(A4, msg(k, T.HOLE_PUNCHING, 1)), pkt(B6, msg(k, T.HOLE_PUNCHING, 1, flag=1), sport=50000)]
    inputs += [pkt(A4, capsule(i)) for i in range(10)]
    res = run(cfg([relay(rate={"pps": 1, "burst": 2})]), {1: inputs})
    d = res.drops()
    fwd = res.stats["counters"]["relay_forwarded"]
    assert set(d) == {"relay_rate_limited"}
    assert fwd + d["relay_rate_limited"] == 10 and 2 <= fwd <= 4, (fwd, d)
    assert_conserved(res.stats)


def wait_events(dp, n, after=0):
    deadline = time.monotonic() + WAIT
    while True:
        r = dp.api({"op": "relay.expired", "after": after})
        assert r["ok"], r
        if len(r["events"]) >= n or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_bind_and_idle_timeout_expiry():
    k = T.Key(KEY, 1)
    binds = [pkt(A4, msg(k, T.HOLE_PUNCHING, 1)), pkt(B6, msg(k, T.HOLE_PUNCHING, 1, flag=1), sport=50000)]
    relays = [relay(idle_timeout_s=1, bind_timeout_s=30), relay(pid=PID2, key=KEY2, bind_timeout_s=1)]
    with Dataplane(cfg(relays), {1: binds}) as dp:
        dp.wait_idle()
        got = dp.api({"op": "relay.get", "path_id": PID.hex()})
        r = wait_events(dp, 2)
        left = dp.api({"op": "relay.list"})
        stats = dp.stats()
    assert got["ok"] and got["relay"]["state"] == "bound", got
    sides = got["relay"]["sides"]
    assert sides[0] == {"bound": True, "addr": A4, "port": 40000}
    assert sides[1] == {"bound": True, "addr": B6, "port": 50000}
    assert "tunnel_key" not in got["relay"]
    ev = sorted((e["path_id"], e["reason"]) for e in r["events"])
    assert ev == sorted([(PID.hex(), "idle_timeout"), (PID2.hex(), "bind_timeout")]), r
    assert r["next"] == max(e["seq"] for e in r["events"])
    assert left["relays"] == [] and left["cursor"] is None
    assert stats["relay"]["expired"] == {"bind_timeout": 1, "idle_timeout": 1}
    assert stats["relay"]["paths"] == 0


def test_api_add_get_list_del_and_errors():
    with Dataplane(cfg([])) as dp:
        a = dp.api(dict(op="relay.add", **relay()))
        again = dp.api(dict(op="relay.add", **relay()))
        batch = dp.api({"op": "relay.add", "relays": [relay(pid=bytes([i]) * 16, suite=2) for i in range(1, 6)]})
        lst = dp.api({"op": "relay.list", "limit": 4})
        rest = dp.api({"op": "relay.list", "limit": 4, "cursor": lst["cursor"]})
        errors = {
            "bad_hex": dp.api(dict(relay(), op="relay.add", path_id="zz" * 16)),
            "short_key": dp.api(dict(op="relay.add", path_id=PID.hex(), tunnel_key="00" * 31, suite=1)),
            "suite": dp.api(dict(op="relay.add", **relay(suite=3))),
            "unknown_key": dp.api(dict(op="relay.add", colour="red", **relay())),
            "missing": dp.api({"op": "relay.add", "path_id": PID.hex()}),
            "idle_range": dp.api(dict(op="relay.add", **relay(idle_timeout_s=0))),
            "rate_empty": dp.api(dict(op="relay.add", **relay(rate={"burst": 3}))),
            "batch_dup": dp.api({"op": "relay.add", "relays": [relay(pid=PID2), relay(pid=PID2)]}),
            "batch_bad": dp.api({"op": "relay.add", "relays": [relay(pid=PID2), relay(suite=9)]}),
            "get_missing": dp.api({"op": "relay.get", "path_id": PID2.hex()}),
            "get_extra": dp.api({"op": "relay.get", "path_id": PID.hex(), "x": 1}),
            # a non-ASCII byte in a hex field is named by its value (found by fuzz_asrs_api:
            # the reply used to be not UTF-8, so none was sent)
            "nonascii_hex": dp.api({"op": "relay.get", "path_id": "\u00e9" + "a" * 30}),
            # an unknown op cut inside a UTF-8 sequence still gets a (sanitised) reply
            "op_cut_utf8": dp.api({"op": "x" * 63 + "\u00e9"}),
            "list_limit": dp.api({"op": "relay.list", "limit": 0}),
            "expired_after": dp.api({"op": "relay.expired", "after": -1}),
        }
        not_added = dp.api({"op": "relay.get", "path_id": PID2.hex()})
        replaced = dp.api(dict(op="relay.add", **relay(key=KEY2)))
        d1 = dp.api({"op": "relay.del", "path_id": PID.hex()})
        d2 = dp.api({"op": "relay.del", "path_id": PID.hex()})
        db = dp.api({"op": "relay.del", "path_ids": [(bytes([i]) * 16).hex() for i in range(1, 4)] + [PID.hex()]})
        stats = dp.stats()
    assert a == {"ok": True, "path_id": PID.hex(), "existed": False}
    assert again["existed"] is True and batch == {"ok": True, "applied": 5}
    assert len(lst["relays"]) == 4 and lst["cursor"] is not None
    assert len(rest["relays"]) == 2 and rest["cursor"] is None
    ids = {r["path_id"] for r in lst["relays"] + rest["relays"]}
    assert len(ids) == 6 and PID.hex() in ids
    expect = {
        "bad_hex": "path_id: expected 32 hex digits", "short_key": "tunnel_key: expected 64 hex digits",
        "suite": "suite: expected integer 1..2", "unknown_key": "unknown key 'colour'",
        "missing": "tunnel_key: required", "idle_range": "idle_timeout_s: expected integer 1..65535",
        "rate_empty": "rate: expected pps and/or bytes_per_s", "batch_dup": "relays[1].path_id: same PathID as relays[0]",
        "batch_bad": "relays[1].suite", "get_missing": "path_id: no relay", "get_extra": "relay.get takes exactly",
        "nonascii_hex": "path_id: expected 32 hex digits, got byte 0xc3 at 0",
        "op_cut_utf8": "op: unknown method '" + "x" * 63 + "?'",
        "list_limit": "limit: expected integer 1..10000", "expired_after": "after: expected integer",
    }
    for name, r in errors.items():
        assert r["ok"] is False and expect[name] in r["error"], (name, r)
    assert not_added["ok"] is False  # the failed batches left nothing behind
    assert replaced["existed"] is False
    assert d1["existed"] is True and d2["existed"] is False
    assert db == {"ok": True, "removed": 3}
    assert stats["relay"]["paths"] == 2


def test_relay_methods_when_trs_is_off():
    with Dataplane(config()) as dp:
        r = dp.api({"op": "relay.list"})
        s = dp.stats()
    assert r == {"ok": False, "error": "trs is not enabled in the config"}
    assert "relay" not in s


BAD_CONFIGS = [
    ({"trs": {"port": 0}}, "trs.port", "1..65535"),
    ({"trs": {"addrs": ["192.0.2.99"]}}, "trs.addrs[0]", "address of a port or a VIP"),
    ({"trs": {"addrs": [P1_V4, "10.1.0.1"]}}, "trs.addrs[1]", "one address per family"),
    ({"trs": {"colour": 1}}, "trs", "unknown key 'colour'"),
    ({"relays": [relay(suite=3)]}, "relays[0].suite", "1..2"),
    ({"relays": [relay(), relay()]}, "relays", "same PathID"),
    ({"relays": [relay(tunnel_key="ab")]}, "relays[0].tunnel_key", "64 hex digits"),
    ({"relays": {"a": 1}}, "relays", "array"),
]


@pytest.mark.parametrize("over,path,words", BAD_CONFIGS)
def test_config_errors(over, path, words):
    c = config(**over)
    rc, stderr, cfgfile = run_bad_config(c)
    lines = app_error_lines(stderr)
    assert rc == 2 and len(lines) == 1, stderr
    assert lines[0].startswith("anyway-dataplane: %s: %s: " % (cfgfile, path)), lines[0]
    assert words in lines[0], lines[0]
