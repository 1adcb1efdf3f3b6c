"""ASRS JSON API (dataplane/API.md) and config keys: methods, batch forms,
session.list paging, argument errors (nothing applied on error), config
errors (exit 2, "FILE: key.path: what was expected"), stats and telemetry
shape."""

import pytest
from scapy.layers.inet import UDP
from scapy.packet import Raw

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import config
from harness import Dataplane, app_error_lines, run_bad_config


def _list(dp):
    r = dp.api({"op": "service.list"})
    assert r["ok"], r
    return {s["service"]: s for s in r["services"]}


def test_service_set_list_del_and_batches():
    with Dataplane(asrs_config()) as dp:
        dp.wait_idle(expect_rx=0)
        have = _list(dp)
        assert set(have) == {WEB, WEB6, DNS, EMPTY}
        assert have[WEB]["sid"] == "%016x" % sid(WEB)
        assert have[WEB]["destinations"] == [{"addr": HOST_V4, "port": 8080, "priority": 0, "weight": 100}]
        assert have[EMPTY]["destinations"] == []
        new = "asrs://new.example/x"
        r = dp.api({"op": "service.set", "service": new, "destinations": [
            {"addr": HOST2_V4, "port": 1, "priority": 5, "weight": 7}, {"addr": HOST_V4, "port": 2, "priority": 1}]})
        assert r == {"ok": True, "service": new, "sid": "%016x" % sid(new)}
        assert [d["port"] for d in _list(dp)[new]["destinations"]] == [2, 1]  # by priority
        r = dp.api({"op": "service.set", "services": [
            {"service": "asrs://b/%d" % i, "destinations": [{"addr": HOST_V4, "port": 1000 + i}]} for i in range(50)]})
        assert r == {"ok": True, "applied": 50}
        assert len(_list(dp)) == 55
        r = dp.api({"op": "service.del", "services": ["asrs://b/%d" % i for i in range(60)]})
        assert r == {"ok": True, "removed": 50}
        assert dp.api({"op": "service.del", "service": new}) == {"ok": True, "service": new, "existed": True}
        assert dp.api({"op": "service.del", "service": new}) == {"ok": True, "service": new, "existed": False}
        assert set(_list(dp)) == {WEB, WEB6, DNS, EMPTY}
        assert dp.stats()["asrs"]["services"] == 4
        dp.stop()


BAD_SERVICE_SET = [
    ({"destinations": []}, "service: required key missing"),
    ({"service": "", "destinations": []}, "service: URI is empty"),
    ({"service": WEB}, "destinations: required key missing"),
    ({"service": WEB, "destinations": {}}, "destinations: expected array"),
    ({"service": WEB, "destinations": [{"addr": "10.2.0.2"}]}, "destinations[0]: port: required key missing"),
    ({"service": WEB, "destinations": [{"addr": "10.2.0.x", "port": 1}]}, "destinations[0].addr"),
    ({"service": WEB, "destinations": [{"addr": HOST_V4, "port": 1, "weight": 65536}]}, "destinations[0].weight: expected integer 0..65535, got 65536"),
    ({"service": WEB, "destinations": [{"addr": HOST_V4, "port": 70000}]}, "destinations[0].port: expected integer 1..65535"),
    ({"service": WEB, "destinations": [{"addr": HOST_V4, "port": 1, "prio": 1}]}, "unknown key 'prio'"),
    ({"service": WEB, "destinations": [{"addr": HOST_V4, "port": 1}, {"addr": HOST_V4, "port": 1}]},
     "destinations[1]: same address and port as destinations[0]"),
    ({"service": WEB, "destinations": [], "extra": 1}, "unknown key 'extra'"),
    ({"services": [{"service": WEB, "destinations": []}, {"service": WEB, "destinations": []}]},
     "services[1]: same service as services[0]"),
    ({"services": [{"service": WEB, "destinations": []}, {"service": DNS, "destinations": [{"addr": 1}]}]},
     "services[1].destinations[0].addr: expected string"),
    ({"services": "x"}, "services: expected array"),
]


@pytest.mark.parametrize("args,msg", BAD_SERVICE_SET, ids=range(len(BAD_SERVICE_SET)))
def test_service_set_errors_change_nothing(args, msg):
    with Dataplane(asrs_config()) as dp:
        dp.wait_idle(expect_rx=0)
        before = _list(dp)
        req = {"op": "service.set"}
        req.update(args)
        r = dp.api(req)
        assert r["ok"] is False and msg in r["error"], r
        assert _list(dp) == before
        dp.stop()


def test_listener_add_list_del_and_errors():
    with Dataplane(asrs_config(listeners=[])) as dp:
        dp.wait_idle(expect_rx=0)
        assert dp.api({"op": "listener.list"}) == {"ok": True, "listeners": []}
        l1 = {"vip": VIP4, "proto": "udp", "port": 53, "service": DNS}
        assert dp.api(dict(l1, op="listener.add")) == dict(l1, ok=True, existed=False)
        l1b = dict(l1, service=WEB)
        assert dp.api(dict(l1b, op="listener.add")) == dict(l1b, ok=True, existed=True)
        assert dp.api({"op": "listener.list"})["listeners"] == [l1b]
        for bad, msg in [
            ({"vip": VIP4, "proto": "sctp", "port": 1, "service": WEB}, "proto: expected \"tcp\" or \"udp\""),
            ({"vip": VIP4, "proto": "tcp", "port": 0, "service": WEB}, "port: expected integer 1..65535"),
            ({"vip": "x", "proto": "tcp", "port": 1, "service": WEB}, "vip"),
            ({"vip": VIP4, "proto": "tcp", "port": 1}, "service: required key missing"),
        ]:
            r = dp.api(dict(bad, op="listener.add"))
            assert r["ok"] is False and msg in r["error"], (bad, r)
        r = dp.api({"op": "listener.del", "vip": VIP4, "proto": "tcp", "port": 53})
        assert r["ok"] is False and "no listener" in r["error"]
        r = dp.api({"op": "listener.del", "vip": VIP4, "proto": "udp", "port": 53})
        assert r == dict(l1b, ok=True)
        assert dp.api({"op": "listener.list"})["listeners"] == []
        dp.stop()


def test_listener_added_live_serves_traffic():
    with Dataplane(asrs_config(listeners=[], burst=1), live_ports=(0,)) as dp:
        r = dp.api({"op": "listener.add", "vip": VIP4, "proto": "udp", "port": 53, "service": DNS})
        assert r["ok"], r
        dp.live[0].send([built(frame4(UDP(sport=7000, dport=53) / Raw(b"q")))])
        dp.wait_idle(expect_rx=1)
        dp.stop()
    assert len(dp.result.out[1]) == 1 and dp.result.out[1][0][UDP].dport == 5353


def test_session_list_paging():
    pk = [built(frame4(UDP(sport=8000 + i, dport=53) / Raw(b"q"))) for i in range(7)]
    with Dataplane(asrs_config(), {0: pk}) as dp:
        dp.wait_idle()
        seen, cursor, pages = [], None, 0
        while True:
            req = {"op": "session.list", "limit": 3}
            if cursor is not None:
                req["cursor"] = cursor
            r = dp.api(req)
            assert r["ok"], r
            seen += r["sessions"]
            cursor = r["cursor"]
            pages += 1
            if cursor is None:
                break
            assert pages < 10
        assert pages == 3 and len(seen) == 7
        s = seen[0]
        assert set(s) == {"proto", "client", "vip", "snat", "destination", "service", "sid", "state", "idle_s"}
        assert s["proto"] == "udp" and s["vip"] == VIP4 + ":53" and s["service"] == DNS
        assert s["destination"] == HOST_V4 + ":5353" and s["snat"].startswith(P1_V4 + ":")
        assert sorted(x["client"] for x in seen) == sorted("%s:%d" % (CLIENT_V4, 8000 + i) for i in range(7))
        for bad, msg in [({"limit": 0}, "limit: expected integer 1..10000"), ({"cursor": "a"}, "cursor"),
                         ({"bogus": 1}, "unknown key 'bogus'")]:
            r = dp.api(dict(bad, op="session.list"))
            assert r["ok"] is False and msg in r["error"], r
        dp.stop()


def test_methods_refused_when_asrs_off():
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        for op in ("service.set", "service.del", "service.list", "listener.add", "listener.del",
                   "listener.list", "session.list"):
            r = dp.api({"op": op})
            assert r == {"ok": False, "error": "asrs is not enabled in the config"}, (op, r)
        assert "asrs" not in dp.stats()
        dp.stop()


def test_stats_section_shape():
    with Dataplane(asrs_config()) as dp:
        dp.wait_idle(expect_rx=0)
        a = dp.stats()["asrs"]
        assert a["sessions"] == 0 and a["max_sessions"] == 1024 and a["services"] == 4 and a["listeners"] == 6
        assert a["session_slot_bytes"] <= 96 and a["bytes_per_session"] > 0
        assert "bad_magic" in a["bad_shim"] and "opt_not_syn" in a["bad_shim"]
        dp.stop()


BAD_CONFIGS = [
    ({"asrs": {"port": 0}}, "asrs.port: expected integer 1..65535, got 0"),
    ({"asrs": {"service_prefix6": "2001:db8::/48"}}, "asrs.service_prefix6: expected an IPv6 /64"),
    ({"asrs": {"service_prefix6": "10.0.0.0/64"}}, "asrs.service_prefix6"),
    ({"asrs": {"snat": ["10.9.9.9"]}}, "asrs.snat: 10.9.9.9 is neither a port address nor a VIP"),
    ({"asrs": {"snat": ["10.2.0.1", "10.2.0.1"]}}, "asrs.snat[1]: listed twice"),
    ({"asrs": {"timeouts": {"tcp": 1}}}, "asrs.timeouts: unknown key 'tcp'"),
    ({"asrs": {"timeouts": {"udp": 0}}}, "asrs.timeouts.udp: expected integer 1..86400, got 0"),
    ({"asrs": {"snat_ports": {"min": 2000, "max": 1000}}}, "asrs.snat_ports: min 2000 is above max 1000"),
    ({"asrs": {"max_sessions": 0}}, "asrs.max_sessions: expected integer"),
    ({"asrs": {"bogus": 1}}, "asrs: unknown key 'bogus'"),
    ({"asrs": []}, "asrs: expected object, got array"),
    ({"listeners": [{"vip": VIP4, "proto": "tcp", "port": 80}]}, "listeners[0].service: required key missing"),
    ({"listeners": [{"vip": VIP4, "proto": "tcp", "port": 80, "service": WEB}] * 2},
     "listeners[1]: same vip, proto and port as listeners[0]"),
    ({"services": [{"service": WEB, "destinations": []}] * 2}, "services[1].service: same service as services[0]"),
    ({"services": [{"service": WEB, "destinations": [{"addr": HOST_V4, "port": 1, "weight": -1}]}]},
     "services[0].destinations[0].weight: expected integer 0..65535, got -1"),
]


@pytest.mark.parametrize("over,msg", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_config_errors(over, msg):
    c = config()
    c.update(over)
    rc, err, path = run_bad_config(c)
    lines = app_error_lines(err)
    assert rc == 2 and lines and (path + ": " + msg) in lines[0], (rc, lines, err[-2000:])


def test_asrs_on_with_listeners_only_and_defaults():
    c = config()
    c["listeners"] = [{"vip": VIP4, "proto": "tcp", "port": 80, "service": WEB}]
    c["asrs"] = {"max_sessions": 64}
    with Dataplane(c) as dp:
        dp.wait_idle(expect_rx=0)
        cfg = dp.api({"op": "config.get"})["config"]
        assert cfg["listeners"] == c["listeners"]
        a = dp.stats()["asrs"]
        assert a["services"] == 0 and a["listeners"] == 1
        dp.stop()


def test_telemetry_sessions():
    """/anyway/sessions on DPDK's telemetry socket (what dpdk-telemetry.py reads)."""
    import glob
    import json
    import os
    import socket
    pk = [built(frame4(UDP(sport=9000 + i, dport=53) / Raw(b"q"))) for i in range(3)]
    with Dataplane(asrs_config(), {0: pk}) as dp:
        dp.wait_idle()
        paths = glob.glob("/var/run/dpdk/%s/dpdk_telemetry.v2" % dp.prefix) + \
            glob.glob("/run/user/%d/dpdk/%s/dpdk_telemetry.v2" % (os.getuid(), dp.prefix))
        assert paths, "no telemetry socket"
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(5)
            s.connect(paths[0])
            json.loads(s.recv(16384))
            s.send(b"/anyway/sessions")
            reply = json.loads(s.recv(16384))["/anyway/sessions"]
        assert reply["sessions"] == 3 and reply["max_sessions"] == 1024 and reply["sessions_expired"] == 0
        dp.stop()
