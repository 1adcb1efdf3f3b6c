"""A map server restart withdraws nothing (issue 10): the agent sees a new map
server instance (the hello reply's "instance") and keeps the old view merged
for --restart-grace-s after the server's start, while the registrars come
back; fresh registrations apply at once, and what nobody re-registers is
withdrawn when the grace is over. Real anyway-mapd, anyway-registrar and
anyway-agent against tests/control/fake_dataplane.py."""

import signal
import time

from ctlharness import admin, agent_status, dp_dump, wait_until

A = "asrs://restart-a"
B = "asrs://restart-b"
C = "asrs://restart-c"


def svc(uri, port, ttl=30):
    return {"service": uri, "addr": "10.9.0.1", "port": port, "ttl": ttl, "check": "none"}


def mapd_has(port, uris):
    a = admin(port)
    try:
        got = {s["service"] for s in a.call({"op": "service.list"})["services"]}
    finally:
        a.close()
    return set(uris) <= got


def test_restart_with_live_registrars_withdraws_nothing(procs):
    m = procs.mapd()
    port = m.port
    dp = procs.fake_dp()
    procs.registrar([port], [svc(A, 80)])
    procs.registrar([port], [svc(B, 81)])
    ag = procs.agent([port], dp.sock)
    wait_until(lambda: {A, B} <= set(dp_dump(dp.sock)["services"]), what="both applied")
    dels0 = dp_dump(dp.sock)["calls"].get("service.del", 0)
    for run in range(4):
        procs.stop(m)
        m = procs.mapd(port=port)
        end = time.monotonic() + 30
        # sample the data plane until the registrars are back on the new server
        while True:
            d = dp_dump(dp.sock)
            assert {A, B} <= set(d["services"]), (run, d["services"])
            assert all(d["services"][u] for u in (A, B)), (run, d["services"])
            if mapd_has(port, (A, B)):
                break
            assert time.monotonic() < end, "registrars did not come back"
            time.sleep(0.02)
        wait_until(lambda: agent_status(ag.status)["mapds"][0]["state"] == "synced", what="agent resynced")
    time.sleep(0.5)  # let anything queued reach the data plane
    d = dp_dump(dp.sock)
    assert d["calls"].get("service.del", 0) == dels0, d["calls"]
    assert {A, B} <= set(d["services"])
    assert "restarted" in procs.log(ag)


def test_grace_keeps_the_missing_then_withdraws_fresh_entries_apply_at_once(procs):
    m = procs.mapd()
    port = m.port
    dp = procs.fake_dp()
    procs.registrar([port], [svc(A, 80)])
    gone = procs.registrar([port], [svc(B, 81)])
    ag = procs.agent([port], dp.sock, args=["--restart-grace-s", "8"])
    wait_until(lambda: {A, B} <= set(dp_dump(dp.sock)["services"]), what="both applied")
    procs.stop(gone, signal.SIGKILL)  # B's registrar dies without deregistering
    procs.stop(m)
    m = procs.mapd(port=port)
    procs.registrar([port], [svc(C, 82)])  # a fresh registration after the restart
    wait_until(lambda: C in dp_dump(dp.sock)["services"], what="fresh registration applied")
    d = dp_dump(dp.sock)
    assert B in d["services"], "B withdrawn before the grace was over"  # (grace is 8 s)
    assert A in d["services"]
    wait_until(lambda: B not in dp_dump(dp.sock)["services"], timeout=30, what="B withdrawn after the grace")
    d = dp_dump(dp.sock)
    assert A in d["services"] and C in d["services"]
    assert "restart grace over" in procs.log(ag)

