"""ASRS malformed input: every bad UDP shim and TCP option variant of the
issue is dropped as `bad_shim`, with its finer reason in stats asrs.bad_shim,
and creates no session; the port keeps working afterwards."""

import struct

import pytest
from scapy.layers.inet import UDP
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check
from harness import run

GOOD = shim(sid(DNS))


def _with(s, off, data):
    return s[:off] + data + s[off + len(data):]


SHIMS = {
    "bad_magic": _with(GOOD, 0, b"AX"),
    "bad_version": _with(GOOD, 2, b"\x02"),
    "hdr_len_short": _with(GOOD, 4, struct.pack("!H", 12)),
    "hdr_len_align": _with(GOOD + b"\0\0\0\0", 4, struct.pack("!H", 18)),
    "hdr_len_trunc": _with(GOOD, 4, struct.pack("!H", 64)),  # longer than the payload
    "uri_len_trunc": shim(uri=DNS, uri_len=200),              # URI length beyond the shim
    "sid_mismatch": shim(uri=DNS, sid_field=sid(WEB)),        # SID != hash(URI)
    "sid_zero": shim(0),
    "short": GOOD[:12],
    "uri_invalid": shim(uri="asrs://bad\nuri"),
}


@pytest.mark.parametrize("why", sorted(SHIMS))
def test_bad_shim_variants(why):
    bad = built(frame4(UDP(sport=6000, dport=ASRS_PORT) / Raw(SHIMS[why])))
    good = built(frame4(UDP(sport=6001, dport=ASRS_PORT) / Raw(GOOD + b"ok")))
    res = run(asrs_config(), {0: [bad, good]})
    assert len(res.out[1]) == 1 and res.out[1][0][UDP].sport != 6000
    check(res, {"bad_shim": 1}, rx=2, tx=1, sessions_created=1)
    assert res.stats["asrs"]["bad_shim"][why] == 1, res.stats["asrs"]["bad_shim"]


OPTS = {
    "opt_bad_len": bytes([253, 10]) + struct.pack("!H", 0x4153) + b"\0" * 6,
    "opt_trunc": b"\x01\x01" + bytes([253, 12]) + struct.pack("!H", 0x4153) + b"\0" * 4,  # runs past the area
    "opt_malformed": b"\x08\x01" + b"\0" * 2,  # an option with length 1
    "opt_dup": tcp_opt(sid(WEB)) + tcp_opt(sid(WEB)),
}


@pytest.mark.parametrize("why", sorted(OPTS))
def test_bad_tcp_option_variants(why):
    opts = OPTS[why]
    bad = built(frame4(tcp_seg(sport=41000, dport=ASRS_PORT, opts=opts)))
    res = run(asrs_config(), {0: [bad]})
    assert res.out[1] == [] and res.out[0] == []
    check(res, {"bad_shim": 1}, rx=1, tx=0, sessions_created=0)
    assert res.stats["asrs"]["bad_shim"][why] == 1, res.stats["asrs"]["bad_shim"]


def test_option_on_a_non_syn_dropped():
    ack = built(frame4(tcp_seg(sport=41001, dport=ASRS_PORT, flags="A", opts=tcp_opt(sid(WEB)))))
    synack = built(frame4(tcp_seg(sport=41002, dport=ASRS_PORT, flags="SA", opts=tcp_opt(sid(WEB)))))
    res = run(asrs_config(), {0: [ack, synack]})
    assert res.out[1] == []
    check(res, {"bad_shim": 2}, rx=2, tx=0)
    assert res.stats["asrs"]["bad_shim"]["opt_not_syn"] == 2


def test_option_on_non_syn_inside_a_session_dropped_session_kept():
    s = built(frame4(tcp_seg(sport=41003, dport=ASRS_PORT, opts=tcp_opt(sid(WEB)))))
    bad = built(frame4(tcp_seg(sport=41003, dport=ASRS_PORT, flags="A", seq=1001, opts=tcp_opt(sid(WEB)))))
    ok = built(frame4(tcp_seg(sport=41003, dport=ASRS_PORT, flags="A", seq=1001, payload=b"x")))
    res = run(asrs_config(), {0: [s, bad, ok]})
    assert len(res.out[1]) == 2
    check(res, {"bad_shim": 1}, rx=3, tx=2, sessions_created=1)


def test_shim_of_another_service_inside_a_session_dropped():
    a = built(frame4(UDP(sport=6010, dport=ASRS_PORT) / Raw(GOOD + b"1")))
    b = built(frame4(UDP(sport=6010, dport=ASRS_PORT) / Raw(shim(sid(WEB)) + b"2")))
    c = built(frame4(UDP(sport=6010, dport=ASRS_PORT) / Raw(b"no shim at all, a plain payload")))
    res = run(asrs_config(), {0: [a, b, c]})
    assert len(res.out[1]) == 1
    check(res, {"bad_shim": 2}, rx=3, tx=1, sessions_created=1)
    bs = res.stats["asrs"]["bad_shim"]
    assert bs["sid_changed"] == 1 and bs["bad_magic"] == 1, bs


@pytest.mark.parametrize("doff", [4, 15])
def test_tcp_bad_data_offset(doff):
    t = tcp_seg(sport=41010, dport=80)
    t.dataofs = doff
    res = run(asrs_config(), {0: [built(frame4(t))]})
    check(res, {"tcp_bad_header": 1}, rx=1, tx=0)


def test_icmp_error_without_session_dropped():
    from scapy.layers.inet import ICMP, IP, TCP
    q = IP(src=P1_V4, dst=HOST_V4) / TCP(sport=23456, dport=8080, flags="S")
    e = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / ICMP(type=3, code=3) / bytes(q)[:28])
    short = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4) / ICMP(type=3, code=3) / bytes(q)[:12])
    res = run(asrs_config(), {0: [e, short]})
    check(res, {"icmp_no_session": 2}, rx=2, tx=0)
