"""A relay the data plane refuses is reported back to the admin (issue 10):
the agent sends relay.refused to the map server, which records it per relay
(relay.get / relay.list) and forwards it to the admin connection that added
the relay. And what the map server accepts, the data plane accepts: the
ranges the data plane refuses are refused by the map server up front."""

import time

from ctlharness import admin, dp_dump, wait_until

KEY = "ab" * 32
BAD = "ff" + "0" * 30    # the fake data plane refuses path_ids starting "ff"
GOOD = "0a" + "0" * 30


def relay(pid, **kw):
    return dict({"op": "relay.add", "path_id": pid, "tunnel_key": KEY, "suite": 1}, **kw)


def next_op(c, op, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = c.recv()
        if m is not None and m.get("op") == op:
            return m
    raise AssertionError("no %s within %d s" % (op, timeout))


def test_refused_relay_is_reported_to_the_admin_and_recorded(procs):
    m = procs.mapd()
    dp = procs.fake_dp(args=["--refuse", "ff"])
    procs.agent([m.port], dp.sock, args=["--name", "agent-x"])
    a = admin(m.port)
    assert a.call(relay(GOOD))["ok"]
    assert a.call(relay(BAD, idle_timeout_s=65535))["ok"]  # valid everywhere, but the table is "full"
    note = next_op(a, "relay.refused")
    assert note["path_id"] == BAD and note["by"] == "agent-x", note
    assert "table full" in note["error"], note
    wait_until(lambda: GOOD in dp_dump(dp.sock)["relays"], what="the good relay applied")
    assert BAD not in dp_dump(dp.sock)["relays"]
    r = a.call({"op": "relay.get", "path_id": BAD})
    assert r["ok"] and r["relay"]["refused"]["by"] == "agent-x", r
    assert r["relay"]["refused"]["count"] >= 1 and "tunnel_key" not in r["relay"]
    r = a.call({"op": "relay.get", "path_id": GOOD})
    assert r["ok"] and "refused" not in r["relay"], r
    ls = a.call({"op": "relay.list"})
    assert ls["total"] == 2 and ls["left_out"] == 0
    assert [x["path_id"] for x in ls["relays"]] == [BAD, GOOD]  # refused ones first
    # a changed entry clears the refusal until it is refused again
    a2 = admin(m.port)
    assert not a2.call({"op": "relay.get", "path_id": "ee" * 16})["ok"]
    assert a2.call({"op": "relay.del", "path_id": BAD})["existed"]
    assert not a2.call({"op": "relay.get", "path_id": BAD})["ok"]


def test_trs_off_is_reported(procs):
    m = procs.mapd()
    dp = procs.fake_dp(args=["--no-trs"])
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(relay(GOOD))["ok"]
    note = next_op(a, "relay.refused")
    assert note["path_id"] == GOOD and "TRS is not enabled" in note["error"], note


def test_map_server_refuses_what_the_data_plane_would(procs):
    m = procs.mapd()
    a = admin(m.port)
    for bad, what in ((relay(GOOD, idle_timeout_s=86400), "idle_timeout_s: expected integer 1..65535"),
                      (relay(GOOD, bind_timeout_s=70000), "bind_timeout_s: expected integer 1..65535"),
                      (relay(GOOD, rate={"pps": 10, "bps": 0, "burst": 1500000}),
                       "rate.burst: expected integer 1..1000000"),
                      (relay(GOOD, rate={"pps": 0, "bps": 10**13, "burst": 10}), "rate.bps")):
        r = a.call(bad)
        assert not r["ok"] and what in r["error"], (bad, r)
    assert a.call(relay(GOOD, idle_timeout_s=65535, rate={"pps": 10**9, "bps": 10**12, "burst": 10**6}))["ok"]


def test_subscriber_only_reports_refusals(procs):
    m = procs.mapd()
    a = admin(m.port)
    r = a.call({"op": "relay.refused", "path_id": GOOD, "error": "x"})
    assert not r["ok"] and "not allowed for role admin" in r["error"], r
