"""ASRS tables with small limits from the config: session table full, SNAT
port exhaustion (ports reused toward another destination), expiry by
session state, sessions keeping their destination across service.set, and
failover to the next priority group."""

import time

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check
from harness import Dataplane, run

WAIT = 20.0  # bound of every wait below


def test_table_full_new_dropped_existing_kept():
    c = asrs_config(asrs={"max_sessions": 2})
    s1 = built(frame4(tcp_seg(sport=42001, dport=80)))
    s2 = built(frame4(tcp_seg(sport=42002, dport=80)))
    s3 = built(frame4(tcp_seg(sport=42003, dport=80)))
    a1 = built(frame4(tcp_seg(sport=42001, dport=80, flags="A", seq=1001, payload=b"still here")))
    res = run(c, {0: [s1, s2, s3, a1]})
    assert [p[TCP].payload.load if Raw in p else None for p in res.out[1]][-1] == b"still here"
    assert len(res.out[1]) == 3
    check(res, {"session_table_full": 1}, rx=4, tx=3, sessions_created=2)
    assert res.stats["asrs"]["sessions"] == 2


def test_snat_exhausted_ports_reused_toward_other_destination():
    svcs = services()
    svcs.append({"service": "asrs://shop.example/other", "destinations": [{"addr": HOST2_V4, "port": 8080}]})
    lsn = [{"vip": VIP4, "proto": "tcp", "port": 80, "service": WEB},
           {"vip": VIP4, "proto": "tcp", "port": 88, "service": "asrs://shop.example/other"}]
    c = asrs_config(asrs={"snat_ports": {"min": 30000, "max": 30001}}, listeners=lsn, svcs=svcs)
    pk = [built(frame4(tcp_seg(sport=43000 + i, dport=80))) for i in range(3)]
    other = built(frame4(tcp_seg(sport=43010, dport=88)))
    res = run(c, {0: pk + [other]})
    out = res.out[1]
    assert len(out) == 3
    assert sorted(p[TCP].sport for p in out[:2]) == [30000, 30001]
    assert out[2][IP].dst == HOST2_V4 and out[2][TCP].sport in (30000, 30001)  # reused
    check(res, {"snat_exhausted": 1}, rx=4, tx=3, sessions_created=3)


def _sessions(dp):
    r = dp.api({"op": "session.list", "limit": 100})
    assert r["ok"], r
    return {(s["proto"], s["client"]): s for s in r["sessions"]}


def _wait(pred, what):
    deadline = time.monotonic() + WAIT
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


def test_expiry_by_state():
    c = asrs_config(asrs={"timeouts": {"tcp_syn": 1, "tcp_closing": 1, "tcp_established": 3600, "udp": 3}})
    syn_only = built(frame4(tcp_seg(sport=44001, dport=80)))
    est = [built(frame4(tcp_seg(sport=44002, dport=80))),
           built(frame4(tcp_seg(sport=44002, dport=80, flags="A", seq=1001, ack=1)))]
    closing = [built(frame4(tcp_seg(sport=44003, dport=80))),
               built(frame4(tcp_seg(sport=44003, dport=80, flags="FA", seq=1001, ack=1)))]
    udp = built(frame4(UDP(sport=44004, dport=53) / Raw(b"q")))
    inputs = [syn_only] + est + closing + [udp]
    with Dataplane(c, {0: inputs}) as dp:
        dp.wait_idle()
        s = _sessions(dp)
        states = {k[1]: v["state"] for k, v in s.items()}
        assert states == {"10.1.0.2:44001": "syn_seen", "10.1.0.2:44002": "established",
                          "10.1.0.2:44003": "closing", "10.1.0.2:44004": "udp"}, states
        # SYN-seen and closing (1 s) go first; UDP (3 s) and established (1 h) stay.
        left = _wait(lambda: (lambda s: s if len(s) == 2 else None)(_sessions(dp)), "SYN/closing expiry")
        assert {k[1] for k in left} == {"10.1.0.2:44002", "10.1.0.2:44004"}, left
        left = _wait(lambda: (lambda s: s if len(s) == 1 else None)(_sessions(dp)), "UDP expiry")
        assert {k[1] for k in left} == {"10.1.0.2:44002"}
        st = dp.stats()
        assert st["asrs"]["sessions"] == 1 and st["asrs"]["sessions_expired"] == 3
        dp.stop()
    check(dp.result, rx=6, tx=6, sessions_created=4)


def test_sessions_keep_destination_across_service_set_and_failover():
    """burst 1 and a FIFO port: the lcore handles each frame as it is sent."""
    svcs = services()
    svcs[0] = {"service": WEB, "destinations": [{"addr": HOST_V4, "port": 8080, "priority": 10},
                                                {"addr": HOST2_V4, "port": 8080, "priority": 20}]}
    c = asrs_config(svcs=svcs, burst=1)
    with Dataplane(c, live_ports=(0,)) as dp:
        dp.live[0].send([built(frame4(tcp_seg(sport=45001, dport=80)))], close=False)
        dp.wait_idle(expect_rx=1)
        # the preferred group (priority 10) leaves: the next group takes new sessions
        r = dp.api({"op": "service.set", "service": WEB,
                    "destinations": [{"addr": HOST2_V4, "port": 8080, "priority": 20}]})
        assert r == {"ok": True, "service": WEB, "sid": "%016x" % sid(WEB)}, r
        dp.live[0].send([built(frame4(tcp_seg(sport=45001, dport=80, flags="A", seq=1001, payload=b"old"))),
                         built(frame4(tcp_seg(sport=45002, dport=80)))], close=False)
        dp.wait_idle(expect_rx=3)
        # and the service moves again; both sessions stay where they are
        r = dp.api({"op": "service.set", "service": WEB, "destinations": [{"addr": HOST_V4, "port": 9090}]})
        assert r["ok"], r
        dp.live[0].send([built(frame4(tcp_seg(sport=45002, dport=80, flags="A", seq=1001, payload=b"mid"))),
                         built(frame4(tcp_seg(sport=45003, dport=80)))])
        dp.wait_idle(expect_rx=5)
        dp.stop()
    out = [(p[IP].dst, p[TCP].dport, p[TCP].dport and p[TCP].sport) for p in dp.result.out[1]]
    assert [(d, dp_) for d, dp_, _ in out] == [
        (HOST_V4, 8080),   # 45001 SYN: preferred group
        (HOST_V4, 8080),   # 45001 after the group left: keeps its destination
        (HOST2_V4, 8080),  # 45002 SYN: failover group
        (HOST2_V4, 8080),  # 45002 after the next move: keeps it
        (HOST_V4, 9090),   # 45003: the new map
    ], out
    check(dp.result, rx=5, tx=5, sessions_created=3)


def test_pipeline_workers_share_sessions():
    """Pipeline mode, 3 workers fed round-robin with bursts of 2: the packets
    of one flow are processed by several workers, which create each session
    once (the shared table) and use its SNAT port for every packet; order is
    kept per flow."""
    from test_pipeline import lcore_map
    c = asrs_config(mode="pipeline", burst=2, idle_sleep_us=50, mbufs=8191,
                    pipeline={"rx_lcores": [1], "worker_lcores": [2, 3, 4], "tx_lcores": [5],
                              "gap_timeout_us": 500000})
    pkts = []
    for seq in range(60):
        for cl in range(8):
            pkts.append(built(frame4(UDP(sport=46000 + cl, dport=53) / Raw(b"%d" % seq))))
    res = run(c, {0: pkts}, lcores=lcore_map(6, 2), timeout=60)
    out = res.out[1]
    assert len(out) == len(pkts)
    flows = {}
    for p in out:
        flows.setdefault(p[UDP].sport, []).append(int(bytes(p[UDP].payload)))
    assert len(flows) == 8  # one SNAT port per client flow
    for seqs in flows.values():
        assert seqs == list(range(60))
    check(res, rx=len(pkts), tx=len(pkts), sessions_created=8)


def test_tcp_states_tracked_and_closing_reopened_by_new_syn():
    steps = [("S", "syn_seen"), ("A", "established"), ("FA", "closing"), ("A", "closing"), ("S", "syn_seen")]
    with Dataplane(asrs_config(burst=1), live_ports=(0,)) as dp:
        for i, (flags, want) in enumerate(steps):
            dp.live[0].send([built(frame4(tcp_seg(sport=47000, dport=80, flags=flags, seq=1000 + i)))],
                            close=i == len(steps) - 1)
            dp.wait_idle(expect_rx=i + 1)
            s = _sessions(dp)
            assert [v["state"] for v in s.values()] == [want], (flags, s)
        dp.stop()
    check(dp.result, rx=5, tx=5, sessions_created=1)


def test_service_deleted_existing_session_kept_new_refused():
    with Dataplane(asrs_config(burst=1), live_ports=(0,)) as dp:
        dp.live[0].send([built(frame4(UDP(sport=48000, dport=53) / Raw(b"1")))], close=False)
        dp.wait_idle(expect_rx=1)
        assert dp.api({"op": "service.del", "service": DNS}) == {"ok": True, "service": DNS, "existed": True}
        dp.live[0].send([built(frame4(UDP(sport=48000, dport=53) / Raw(b"2"))),
                         built(frame4(UDP(sport=48001, dport=53) / Raw(b"3")))])
        dp.wait_idle(expect_rx=3)
        s = list(_sessions(dp).values())
        assert len(s) == 1 and s[0]["service"] == "" and s[0]["sid"] == "%016x" % sid(DNS)
        dp.stop()
    out1, out0 = dp.result.out[1], dp.result.out[0]
    assert [bytes(p[UDP].payload) for p in out1] == [b"1", b"2"]
    assert len(out0) == 1 and out0[0][ICMP].type == 3
    check(dp.result, rx=3, tx=3, sessions_created=1, no_service_refused=1)
