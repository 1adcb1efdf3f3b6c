"""anyway-agent end to end on loopback: map servers → agent → data plane,
with the data plane's API played by fake_dataplane.py (a test double)."""

import json
import signal
import socket
import threading

from ctlharness import LineClient, admin, agent_status, dests, dp_dump, free_port, reg, tls_accept, wait_until

KEY = "cd" * 32


def applied(dp, uri, want):
    """Waits until the data plane has exactly want ({(addr, port): (prio, weight)} or None) for uri."""
    return wait_until(lambda: dests(dp_dump(dp.sock), uri) == want, what="%s == %s in the data plane" % (uri, want))


def barrier(procs, dp, port, uri="asrs://barrier/x", n=[0]):
    """A fresh registration through map server `port` that reaches the data plane:
    everything that map server pushed before it has been handled by the agent."""
    n[0] += 1
    a = admin(port)
    assert a.call(reg(uri, "10.9.9.%d" % n[0], 9))["ok"]
    wait_until(lambda: ("10.9.9.%d" % n[0], 9) in (dests(dp_dump(dp.sock), uri) or {}), what="barrier")
    a.close()


def test_registrar_to_dataplane_and_priority(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    procs.registrar([m.port], [
        {"service": "asrs://shop/web", "addr": "127.0.0.1", "port": port, "priority": 10, "weight": 5, "check": "tcp"},
        {"service": "asrs://shop/web", "addr": "127.0.0.2", "port": port, "priority": 20, "check": "none"},
    ])
    applied(dp, "asrs://shop/web", {("127.0.0.1", port): (10, 5), ("127.0.0.2", port): (20, 100)})
    got = dp_dump(dp.sock)["services"]["asrs://shop/web"]
    assert [d["priority"] for d in got] == [10, 20]  # preferred first
    srv.close()  # the tcp check fails: the preferred destination leaves, the other stays
    applied(dp, "asrs://shop/web", {("127.0.0.2", port): (20, 100)})


def test_ttl_expiry_withdraws_from_the_dataplane(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://ttl/x", "10.0.0.1", 80, ttl=1))["ok"]
    applied(dp, "asrs://ttl/x", {("10.0.0.1", 80): (0, 100)})
    applied(dp, "asrs://ttl/x", None)


def test_two_map_servers_merged_one_dies_nothing_withdrawn(procs):
    m1, m2 = procs.mapd(), procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m1.port, m2.port], dp.sock)
    a1, a2 = admin(m1.port), admin(m2.port)
    for a in (a1, a2):  # registrars register with all map servers...
        assert a.call(reg("asrs://both/x", "10.0.0.1", 80))["ok"]
    assert a1.call(reg("asrs://both/x", "10.0.0.2", 80))["ok"]  # ...but one may know more
    assert a2.call(reg("asrs://only2/x", "10.0.0.3", 80))["ok"]
    applied(dp, "asrs://both/x", {("10.0.0.1", 80): (0, 100), ("10.0.0.2", 80): (0, 100)})
    applied(dp, "asrs://only2/x", {("10.0.0.3", 80): (0, 100)})
    procs.stop(m1)
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["state"] != "synced", what="agent sees mapd 1 gone")
    barrier(procs, dp, m2.port)
    d = dp_dump(dp.sock)
    assert dests(d, "asrs://both/x") == {("10.0.0.1", 80): (0, 100), ("10.0.0.2", 80): (0, 100)}
    assert dests(d, "asrs://only2/x") == {("10.0.0.3", 80): (0, 100)}


def test_fail_static_then_resync_by_snapshot(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://keep/x", "10.0.0.1", 80))["ok"]
    assert a.call(reg("asrs://gone/x", "10.0.0.2", 80))["ok"]
    assert a.call({"op": "relay.add", "path_id": "%032x" % 1, "tunnel_key": KEY, "suite": 1})["ok"]
    applied(dp, "asrs://gone/x", {("10.0.0.2", 80): (0, 100)})
    wait_until(lambda: len(dp_dump(dp.sock)["relays"]) == 1, what="relay applied")
    procs.stop(m)  # every map server gone
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["state"] == "disconnected", what="agent sees mapd gone")
    n = agent_status(ag.status)["mapds"][0]["connects"]
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["connects"] >= n + 2, what="two more attempts")
    d = dp_dump(dp.sock)  # fail-static: the data plane keeps everything
    assert set(d["services"]) == {"asrs://keep/x", "asrs://gone/x"} and len(d["relays"]) == 1
    # the map server comes back (same port) knowing only part of it: the snapshot reconciles
    m2 = procs.mapd(port=m.port)
    a = admin(m2.port)
    assert a.call(reg("asrs://keep/x", "10.0.0.1", 80))["ok"]
    assert a.call(reg("asrs://new/x", "10.0.0.3", 80))["ok"]
    applied(dp, "asrs://new/x", {("10.0.0.3", 80): (0, 100)})
    applied(dp, "asrs://gone/x", None)
    # the relay's deletion may reach the data plane after the services' changes
    wait_until(lambda: dp_dump(dp.sock)["relays"] == {}, what="relay withdrawn by the snapshot")
    d = dp_dump(dp.sock)
    assert set(d["services"]) == {"asrs://keep/x", "asrs://new/x"} and d["relays"] == {}


def test_agent_restart_reconciles(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://a/x", "10.0.0.1", 80))["ok"]
    assert a.call({"op": "relay.add", "path_id": "%032x" % 7, "tunnel_key": KEY, "suite": 2})["ok"]
    applied(dp, "asrs://a/x", {("10.0.0.1", 80): (0, 100)})
    wait_until(lambda: len(dp_dump(dp.sock)["relays"]) == 1, what="relay applied")
    assert procs.stop(ag) == 0
    # while the agent is away: the map changes, and someone leaves a stray entry in the data plane
    assert a.call({"op": "deregister", "service": "asrs://a/x", "addr": "10.0.0.1", "port": 80})["ok"]
    assert a.call(reg("asrs://b/x", "10.0.0.2", 80))["ok"]
    assert a.call({"op": "relay.del", "path_id": "%032x" % 7})["ok"]
    assert a.call({"op": "relay.add", "path_id": "%032x" % 8, "tunnel_key": KEY, "suite": 1})["ok"]
    c = LineClient(dp.sock)
    assert c.call({"op": "service.set", "service": "asrs://stray/x",
                   "destinations": [{"addr": "10.7.7.7", "port": 7}]})["ok"]
    assert dests(dp_dump(dp.sock), "asrs://a/x") is not None  # still there: nobody removed it
    procs.agent([m.port], dp.sock)
    applied(dp, "asrs://b/x", {("10.0.0.2", 80): (0, 100)})
    d = wait_until(lambda: (lambda d: d if set(d["services"]) == {"asrs://b/x"} and
                            set(d["relays"]) == {"%032x" % 8} else None)(dp_dump(dp.sock)),
                   what="reconciled data plane")
    assert d["relays"]["%032x" % 8]["suite"] == 1


def test_dataplane_restart_gets_everything_again(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://a/x", "10.0.0.1", 80))["ok"]
    assert a.call({"op": "relay.add", "path_id": "%032x" % 3, "tunnel_key": KEY, "suite": 1,
                   "rate": {"pps": 100, "bps": 1000, "burst": 64}})["ok"]
    applied(dp, "asrs://a/x", {("10.0.0.1", 80): (0, 100)})
    procs.stop(dp)
    dp2 = procs.fake_dp(path=dp.sock)  # empty, like a restarted data plane
    applied(dp2, "asrs://a/x", {("10.0.0.1", 80): (0, 100)})
    r = wait_until(lambda: dp_dump(dp2.sock)["relays"].get("%032x" % 3), what="relay re-applied")
    assert r["rate"] == {"pps": 100, "bytes_per_s": 1000, "burst": 64}
    assert agent_status(ag.status)["dataplane"]["reconnects"] >= 2


def test_malformed_admin_update_never_reaches_the_dataplane(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    bad = [
        {"op": "relay.add", "path_id": "%032x" % 1, "tunnel_key": "zz" * 32, "suite": 1},
        {"op": "relay.add", "path_id": "%032x" % 1, "tunnel_key": KEY, "suite": 1, "rate": {"pps": -1}},
        {"op": "register", "service": "asrs://bad/x", "addr": "10.0.0.1", "port": 70000,
         "priority": 0, "weight": 1, "ttl": 5},
        {"op": "register", "service": "", "addr": "10.0.0.1", "port": 80, "priority": 0, "weight": 1, "ttl": 5},
    ]
    for b in bad:
        r = a.call(b)
        assert r["ok"] is False, (b, r)
    barrier(procs, dp, m.port)
    d = dp_dump(dp.sock)
    assert d["relays"] == {} and set(d["services"]) == {"asrs://barrier/x"}


def fake_mapd(lines_after_snapshot):
    """A map server stand-in that sends a snapshot, then the given raw lines."""
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(4)
    lis.settimeout(15)

    def serve():
        try:
            c, _ = lis.accept()
        except OSError:
            return
        c.settimeout(15)
        c = tls_accept(c)
        c.recv(4096)  # hello
        snap = {"op": "snapshot", "version": 1, "relays": [], "services": [{
            "service": "asrs://ok/x", "sid": sid("asrs://ok/x"),
            "destinations": [{"addr": "10.0.0.1", "port": 80, "priority": 0, "weight": 10}]}]}
        c.sendall((json.dumps(snap) + "\n").encode() + b"".join(l + b"\n" for l in lines_after_snapshot))
        try:
            c.recv(4096)
        except OSError:
            pass
        c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return lis


def sid(uri):
    import hashlib
    return hashlib.sha256(uri.encode()).hexdigest()[:16]


def test_agent_rejects_a_malformed_push_whole(procs):
    good_then_bad = [
        # a destination list with one bad entry: nothing of it may be applied
        json.dumps({"op": "service", "version": 2, "service": "asrs://ok/x", "sid": sid("asrs://ok/x"),
                    "destinations": [{"addr": "10.0.0.2", "port": 80, "priority": 0, "weight": 1},
                                     {"addr": "10.0.0.300", "port": 80, "priority": 0, "weight": 1}]}).encode(),
        b'{"op":"relay.add","version":2,"path_id":"00","tunnel_key":"x","suite":1}',
        b"{garbage",
    ]
    lis = fake_mapd(good_then_bad)
    dp = procs.fake_dp()
    ag = procs.agent([lis.getsockname()[1]], dp.sock)
    applied(dp, "asrs://ok/x", {("10.0.0.1", 80): (0, 10)})
    st = wait_until(lambda: (lambda s: s if s["rejected_updates"] >= 3 else None)(agent_status(ag.status)),
                    what="three rejected pushes")
    assert "rejected" in st["mapds"][0]["last_error"]
    d = dp_dump(dp.sock)
    assert dests(d, "asrs://ok/x") == {("10.0.0.1", 80): (0, 10)} and d["relays"] == {}
    assert "rejected a malformed message" in procs.log(ag)
    lis.close()


def test_status_socket_malformed_requests(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    c = LineClient(ag.status)
    for raw, word in [(b"{oops\n", "invalid JSON"), (b"[]\n", "object"), (b'{"op":"reboot"}\n', "unknown method"),
                      (b'{"op":"status","x":1}\n', "no arguments"), (b'{"x":1}\n', "op")]:
        c.send_raw(raw)
        r = c.recv()
        assert r["ok"] is False and word in r["error"], (raw, r)
    st = wait_until(lambda: (lambda s: s if s["mapds"][0]["state"] == "synced" else None)(c.call({"op": "status"})),
                    what="synced status")
    assert st["dataplane"]["connected"] is True and st["mapds"][0]["mapd"] == "127.0.0.1:%d" % m.port


def test_scale_1000_services_10000_relays_exact(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    want_s = {"asrs://svc%d.example/app" % i: {("10.%d.%d.1" % (i // 250, i % 250), 8000 + j): (j, 10 + j)
                                               for j in range(3)} for i in range(1000)}
    lines = []
    for uri, ds in want_s.items():
        for (addr, port), (prio, w) in ds.items():
            lines.append(reg(uri, addr, port, prio, w, ttl=600))
    want_r = {"%032x" % (i * 7919): {"suite": 1 + i % 2, "tunnel_key": "%064x" % i} for i in range(10000)}
    for pid, r in want_r.items():
        lines.append({"op": "relay.add", "path_id": pid, "tunnel_key": r["tunnel_key"], "suite": r["suite"]})
    t = threading.Thread(target=lambda: a.send_raw(b"".join((json.dumps(x) + "\n").encode() for x in lines)),
                         daemon=True)
    t.start()
    for _ in lines:
        assert a.recv()["ok"]
    t.join(30)

    def exact():
        d = dp_dump(dp.sock)
        if len(d["services"]) != 1000 or len(d["relays"]) != 10000:
            return None
        return d
    d = wait_until(exact, timeout=60, what="1,000 services and 10,000 relays applied", interval=0.2)
    assert {u: dests(d, u) for u in d["services"]} == want_s
    assert {p: {"suite": r["suite"], "tunnel_key": r["tunnel_key"]} for p, r in d["relays"].items()} == want_r
    # a second agent on a second data plane gets the same from the snapshot (sent in parts)
    dp2 = procs.fake_dp(path=str(procs.dir / "dp2.sock"))
    procs.agent([m.port], dp2.sock)
    d2 = wait_until(lambda: (lambda x: x if len(x["relays"]) == 10000 and len(x["services"]) == 1000 else None)(
        dp_dump(dp2.sock)), timeout=60, what="snapshot applied", interval=0.2)
    assert d2["services"] == d["services"] and d2["relays"] == d["relays"]


def test_silent_map_server_is_left_after_15s(procs):
    """A map server that says nothing (no push, no ping) for 15 s: the agent
    reconnects and subscribes again, and keeps what it applied meanwhile."""
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(4)
    lis.settimeout(30)
    dp = procs.fake_dp()
    procs.agent([lis.getsockname()[1]], dp.sock)
    c1, _ = lis.accept()
    c1.settimeout(30)
    c1 = tls_accept(c1)
    c1.recv(4096)
    snap = {"op": "snapshot", "version": 4, "relays": [], "services": [{
        "service": "asrs://quiet/x", "sid": sid("asrs://quiet/x"),
        "destinations": [{"addr": "10.0.0.1", "port": 80, "priority": 0, "weight": 10}]}]}
    c1.sendall(b'{"ok":true,"version":4}\n' + (json.dumps(snap) + "\n").encode())
    applied(dp, "asrs://quiet/x", {("10.0.0.1", 80): (0, 10)})
    c2, _ = lis.accept()  # within the accept timeout: the agent came back by itself
    c2.settimeout(30)
    c2 = tls_accept(c2)
    assert c2.recv(4096).startswith(b'{"op":"hello","role":"subscriber"')
    assert dests(dp_dump(dp.sock), "asrs://quiet/x") == {("10.0.0.1", 80): (0, 10)}
    c1.close()
    c2.close()
    lis.close()


def test_reconcile_a_dataplane_whose_list_exceeds_one_line(procs):
    """15,000 stale services (service.list longer than 1 MiB) left in the data
    plane: a starting agent reads them all and removes what no map server has."""
    m = procs.mapd()
    dp = procs.fake_dp()
    c = LineClient(dp.sock)
    stale = [{"service": "asrs://stale/%d" % i, "destinations": [{"addr": "10.3.%d.%d" % (i // 200, i % 200 + 1),
                                                                   "port": 8080, "weight": 3}]}
             for i in range(15000)]
    for k in range(0, len(stale), 5000):
        assert c.call({"op": "service.set", "services": stale[k:k + 5000]})["ok"]
    assert len(json.dumps(c.call({"op": "service.list"}))) > (1 << 20)
    assert admin(m.port).call(reg("asrs://live/x", "10.0.0.1", 80))["ok"]
    procs.agent([m.port], dp.sock)
    wait_until(lambda: list(dp_dump(dp.sock)["services"]) == ["asrs://live/x"], timeout=60,
               what="only the live service left", interval=0.2)


def test_a_refused_item_does_not_hold_back_the_rest(procs):
    """The data plane refuses one service of a batch (the whole request fails):
    the agent retries the items one by one, applies the others, counts the error."""
    m = procs.mapd()
    dp = procs.fake_dp(args=["--refuse", "asrs://full/"])
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["state"] == "synced", what="synced")
    # pipelined, so that they reach the agent together and share one batch
    a.send_raw(b"".join((json.dumps(reg(u, "10.0.0.%d" % i, 80)) + "\n").encode()
                        for i, u in enumerate(["asrs://a/x", "asrs://full/x", "asrs://b/x"], 1)))
    assert all(a.recv()["ok"] for _ in range(3))
    applied(dp, "asrs://a/x", {("10.0.0.1", 80): (0, 100)})
    applied(dp, "asrs://b/x", {("10.0.0.3", 80): (0, 100)})
    st = agent_status(ag.status)["dataplane"]
    assert st["errors"] >= 1 and "table full" in st["last_error"]
    assert "asrs://full/x" not in dp_dump(dp.sock)["services"]
    assert "data plane refused service.set" in procs.log(ag)


def test_a_dataplane_that_stops_answering_is_noticed(procs):
    """The data plane hangs (SIGSTOP): the agent's ping gets no reply within the
    call timeout, it drops the connection and retries; when the data plane
    answers again, what changed meanwhile is applied."""
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://before/x", "10.0.0.1", 80))["ok"]
    applied(dp, "asrs://before/x", {("10.0.0.1", 80): (0, 100)})
    dp.send_signal(signal.SIGSTOP)
    try:
        assert a.call(reg("asrs://during/x", "10.0.0.2", 80))["ok"]
        wait_until(lambda: "no reply" in agent_status(ag.status)["dataplane"]["last_error"], timeout=30,
                   what="the agent notices the silent data plane", interval=0.5)
    finally:
        dp.send_signal(signal.SIGCONT)
    applied(dp, "asrs://during/x", {("10.0.0.2", 80): (0, 100)})
