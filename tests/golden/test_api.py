"""The JSON API's stats: every drop reason of the X-macro list is reported,
the totals add up, per-port and per-lcore views exist."""

import re

from golden_common import *  # noqa: F401,F403
from harness import ROOT, Dataplane, run


COUNTER_HEADERS = {  # the core's list, then each feature's (see aw_counters.h)
    "aw_counters.h": "CORE",
    "asrs/aw_asrs_counters.h": "ASRS",
    "trs/aw_relay_counters.h": "RELAY",
    "cluster/aw_cluster_counters.h": "CLUSTER",
    "gateway/aw_gw_counters.h": "GW",
}


def reason_names(macro):
    """Names in the X-macro list `macro` (AW_DROP_REASONS / AW_INFO_COUNTERS),
    read from the headers that the data plane joins into it."""
    names = []
    for header, prefix in COUNTER_HEADERS.items():
        text = (ROOT / "dataplane" / header).read_text()
        part = macro.replace("AW_", "AW_%s_" % prefix, 1)
        block = text.split("#define %s(X)" % part, 1)[1].split("\n\n", 1)[0]
        names += re.findall(r'X\(\w+,\s*"([a-z0-9_]+)"', block)
    return names


def test_stats_shape_and_every_reason_listed():
    with Dataplane(config(), {0: [echo4(), udp4(dst="192.0.2.1")]}) as dp:
        s = dp.wait_idle()
        ping = dp.api({"op": "ping"})
        cfg = dp.api({"op": "config.get"})
        res = dp.stop()
    for k in ("rx", "tx", "consumed", "originated", "drops", "drops_total", "counters", "in_flight", "ports", "lcores"):
        assert k in s, k
    drops = reason_names("AW_DROP_REASONS")
    assert len(drops) >= 30 and set(s["drops"]) == set(drops)
    assert set(s["counters"]) == set(reason_names("AW_INFO_COUNTERS"))
    assert s["drops_total"] == sum(s["drops"].values()) == 1
    assert [p["port"] for p in s["ports"]] == [0, 1]
    assert [p["mac"].lower() for p in s["ports"]] == [P0_MAC, P1_MAC]
    assert s["ports"][0]["hw"]["ipackets"] == 2
    assert [l["role"] for l in s["lcores"]] == ["rtc"] and s["lcores"][0]["housekeeper"] is True
    # per lcore loop iterations: the two packets moved in at least one, and the
    # data plane waited idle for the API; one lcore: its counts are the totals
    # (read a moment after them, while the loop runs on)
    lc0 = s["lcores"][0]
    assert lc0["polls_busy"] >= 1 and lc0["polls_idle"] >= 1, lc0
    assert lc0["polls_busy"] >= s["counters"]["polls_busy"] >= 1
    assert lc0["polls_idle"] >= s["counters"]["polls_idle"] >= 1
    # and their TSC cycles: at least one per iteration, read the same way
    for k in ("cycles_busy", "cycles_idle"):
        assert lc0[k] >= s["counters"][k] >= s["counters"]["polls_" + k[7:]], (k, lc0, s["counters"])
    assert ping["ok"] is True and ping["pong"] == "anyway-dataplane"
    assert cfg["ok"] is True and cfg["config"]["ports"][0]["mac"] == P0_MAC
    check(res, {"no_route": 1}, rx=2, tx=1)


def test_echo_reply_without_route_dropped():
    """The echo reply is routed: a client nobody can reach gets none."""
    res = run(config(), {0: [echo4(src="192.0.2.50")]})
    assert res.out[0] == [] and res.out[1] == []
    check(res, {"no_route": 1}, rx=1, tx=0, echo_replies=1)


def test_sigint_stops_cleanly():
    import os
    import signal

    with Dataplane(config(), {0: [echo4()]}) as dp:
        dp.wait_idle()
        dp.proc.send_signal(signal.SIGINT)
        assert dp.proc.wait(10) == 0
        assert not os.path.exists(dp.sock), "API socket left behind"
        res = dp.stop()  # reads the pcaps of the stopped process
    assert len(res.out[0]) == 1 and "stopping" in res.stdout


def test_vip_del_then_arp_not_answered():
    import threading
    import time

    with Dataplane(config(), live_ports=(0,)) as dp:
        reply = {}
        t = threading.Thread(target=lambda: reply.update(dp.api({"op": "vip.del", "addr": VIP4}, timeout=20)))
        t.start()
        time.sleep(1.0)  # published before the API thread waits for the lcore
        dp.live[0].send([arp_request(VIP4), echo4(dst=VIP4)])
        t.join(20)
        assert reply == {"ok": True, "addr": VIP4}, reply
        dp.wait_idle(expect_rx=2)
        res = dp.stop()
    assert res.out[0] == [] and res.out[1] == []
    # The echo to the former VIP is now transit traffic with no route.
    check(res, {"arp_not_for_us": 1, "no_route": 1}, rx=2, tx=0, originated=0)


def test_frames_beyond_one_mbuf_dropped():
    """4000-byte frames (the pcap PMD chains mbufs): dropped, never read past
    the first segment, the port keeps working."""
    good = echo4()
    res = run(config(), {0: [udp4(payload=b"J" * 4000, flags="DF"), udp6(payload=b"J" * 4000),
                             echo4(payload=b"E" * 4000), good]})
    assert len(res.out[0]) == 1 and res.out[1] == []
    check_echo4_reply(res.out[0][0], good, P0_V4)
    assert res.stats["drops_total"] == 3
    assert_conserved(res.stats)
