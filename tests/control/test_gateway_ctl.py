"""Overlay gateway entries through the control plane (issue 14, SPEC §6):
gateway.add / gateway.del (single and batch) on the map server, validated by
the check the data plane shares (lib/proto aw_msg_gateway_check), pushed to
the agent and applied to the data plane's gateway.* API (the test double
tests/control/fake_dataplane.py until the real one runs here), reconciled on
snapshot, refusals reported back; gateway.get / gateway.list never show the
End Key; anyway-ctl gateways on both sides."""

import json

from ctlharness import LineClient, admin, agent_status, dp_dump, wait_until

KEY = "5a" * 32
GOOD = "0a" + "1" * 30
GOOD2 = "0b" + "2" * 30
BAD = "ff" + "3" * 30  # the fake data plane refuses path_ids starting "ff" (--refuse ff)


def node_of(pid):
    """A node address of its own for each path (one node, one path)."""
    n = int(pid, 16) % (1 << 24)
    return "10.%d.%d.%d" % (n >> 16, (n >> 8) & 255, n & 255)


def gw(pid, node=None, **kw):
    return dict({"path_id": pid, "end_key": KEY, "suite": 2, "node_addr": node or node_of(pid)}, **kw)


def add(pid, **kw):
    return dict({"op": "gateway.add"}, **gw(pid, **kw))


def next_op(c, op, limit=200):
    for _ in range(limit):
        m = c.recv()
        assert m is not None, "connection closed before %s" % op
        if m.get("op") == op:
            return m
    raise AssertionError("no %s in %d lines" % (op, limit))


def dp_gateways(dp):
    return dp_dump(dp.sock)["gateways"]


def test_add_del_single_and_batch_reach_the_data_plane(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    r = a.call(add(GOOD, idle_timeout_s=60))
    assert r == {"ok": True, "path_id": GOOD, "changed": True}, r
    assert a.call(add(GOOD, idle_timeout_s=60))["changed"] is False  # same entry again
    wait_until(lambda: GOOD in dp_gateways(dp), what="gateway applied")
    e = dp_gateways(dp)[GOOD]
    assert e == {"path_id": GOOD, "end_key": KEY, "suite": 2, "node_addr": node_of(GOOD),
                 "idle_timeout_s": 60}, e
    r = a.call({"op": "gateway.add", "gateways": [gw(GOOD2, node="2001:db8::2", suite=1),
                                                  gw(GOOD, node="10.77.0.9")]})
    assert r == {"ok": True, "applied": 2, "changed": 2}, r
    wait_until(lambda: GOOD2 in dp_gateways(dp) and dp_gateways(dp)[GOOD]["node_addr"] == "10.77.0.9",
               what="batch applied")
    assert dp_gateways(dp)[GOOD2]["node_addr"] == "2001:db8::2"
    # reads on the map server: never the key
    g = a.call({"op": "gateway.get", "path_id": GOOD})
    assert g["ok"] and g["gateway"]["node_addr"] == "10.77.0.9" and "end_key" not in g["gateway"], g
    ls = a.call({"op": "gateway.list"})
    assert ls["total"] == 2 and ls["left_out"] == 0 and KEY not in json.dumps(ls), ls
    assert not a.call({"op": "gateway.get", "path_id": "ee" * 16})["ok"]
    r = a.call({"op": "gateway.del", "path_ids": [GOOD, "ee" * 16]})
    assert r == {"ok": True, "removed": 1}, r
    wait_until(lambda: GOOD not in dp_gateways(dp), what="gateway removed")
    r = a.call({"op": "gateway.del", "path_id": GOOD2})
    assert r == {"ok": True, "path_id": GOOD2, "existed": True}, r
    wait_until(lambda: dp_gateways(dp) == {}, what="all removed")
    st = agent_status(ag.status)
    assert st["dataplane"]["gateways_on"] is True and st["applied"]["gateways"] == 0, st
    assert a.call({"op": "gateway.list"})["total"] == 0


def test_subscriber_gets_pushes_and_snapshot(procs):
    m = procs.mapd()
    a = admin(m.port)
    assert a.call(add(GOOD))["ok"]
    s = LineClient(("127.0.0.1", m.port))
    assert s.call({"op": "hello", "role": "subscriber", "name": "sub"})["ok"]
    snap = next_op(s, "snapshot")
    assert snap["gateways"] == [gw(GOOD, idle_timeout_s=300)], snap
    assert a.call(add(GOOD2, suite=1))["ok"]
    p = next_op(s, "gateway.add")
    assert p["version"] == snap["version"] + 1 and p["path_id"] == GOOD2 and p["end_key"] == KEY, p
    assert a.call({"op": "gateway.del", "path_id": GOOD})["ok"]
    p = next_op(s, "gateway.del")
    assert p == {"op": "gateway.del", "version": snap["version"] + 2, "path_id": GOOD}, p


def test_snapshot_reconciles_what_the_data_plane_has(procs):
    """The data plane lists a gateway no map server has: removed; one it has
    without a key known to the agent: added again (the key is never listed)."""
    m = procs.mapd()
    dp = procs.fake_dp()
    c = LineClient(dp.sock)
    for pid in (GOOD, BAD):
        assert c.call(dict({"op": "gateway.add"}, **gw(pid)))["ok"]
    c.close()
    a = admin(m.port)
    assert a.call(add(GOOD, suite=1))["ok"]
    procs.agent([m.port], dp.sock)
    wait_until(lambda: BAD not in dp_gateways(dp) and dp_gateways(dp).get(GOOD, {}).get("suite") == 1,
               what="reconciled")


def test_map_server_refuses_what_the_data_plane_would(procs):
    m = procs.mapd()
    a = admin(m.port)
    cases = ((add(GOOD, suite=3), "suite: expected integer 1..2"),
             (add(GOOD, idle_timeout_s=0), "idle_timeout_s: expected integer 1..86400"),
             (add(GOOD, idle_timeout_s=86401), "idle_timeout_s: expected integer 1..86400"),
             (add(GOOD, node="224.0.0.9"), "node_addr: expected a unicast"),
             (add(GOOD, node="::"), "node_addr: expected a unicast"),
             (add(GOOD, node="10.0.0.300"), "node_addr"),
             (add(GOOD, end_key="00" * 32), "end_key: expected a key"),
             (add(GOOD, end_key="ab" * 31), "end_key: expected 64 hex digits"),
             (dict(add(GOOD), tunnel_key=KEY), "tunnel_key"),
             ({"op": "gateway.add", "gateways": []}, "gateways: expected 1..10000 entries"),
             ({"op": "gateway.add", "gateways": [gw(GOOD)] * 2}, "gateways[1].path_id: duplicate of gateways[0]"),
             ({"op": "gateway.add", "gateways": [0] * 10001}, "gateways: 10001 entries, at most 10000"),
             ({"op": "gateway.add", "gateways": [gw(GOOD), gw(GOOD2, suite=0)]}, "gateways[1].suite"),
             ({"op": "gateway.add", "gateways": [gw(GOOD), gw(GOOD2, node=node_of(GOOD))]},
              "gateways[1].node_addr: same node as gateways[0]"))
    for bad, what in cases:
        r = a.call(bad)
        assert not r["ok"] and what in r["error"], (what, r)
    # all or nothing: the batch with a bad second entry left nothing behind
    assert a.call({"op": "gateway.list"})["total"] == 0
    # 10,000 entries do not fit a 1 MiB line: the line is the bound here
    assert a.call({"op": "gateway.add", "gateways": [gw("%032x" % i) for i in range(1, 5001)]})["applied"] == 5000
    ls = a.call({"op": "gateway.list"})
    assert ls["total"] == 5000 and len(ls["gateways"]) == 4000 and ls["left_out"] == 1000


def test_only_admins_change_or_read_gateways(procs):
    m = procs.mapd()
    for role in ("registrar", "subscriber"):
        c = LineClient(("127.0.0.1", m.port))
        assert c.call({"op": "hello", "role": role, "name": "x"})["ok"]
        if role == "subscriber":
            next_op(c, "snapshot")
        for req in (add(GOOD), {"op": "gateway.del", "path_id": GOOD}, {"op": "gateway.list"},
                    {"op": "gateway.get", "path_id": GOOD}):
            r = c.call(req)
            while r.get("op") is not None:  # a subscriber may get a ping first
                r = c.recv()
            assert not r["ok"] and "not allowed for role %s" % role in r["error"], r
    a = admin(m.port)
    r = a.call({"op": "gateway.refused", "path_id": GOOD, "error": "x"})
    assert not r["ok"] and "not allowed for role admin" in r["error"], r


def test_refused_gateway_is_reported_to_the_admin(procs):
    m = procs.mapd()
    dp = procs.fake_dp(args=["--refuse", "ff"])
    procs.agent([m.port], dp.sock, args=["--name", "agent-g"])
    a = admin(m.port)
    assert a.call(add(GOOD))["ok"]
    assert a.call(add(BAD))["ok"]
    note = next_op(a, "gateway.refused")
    assert note["path_id"] == BAD and note["by"] == "agent-g" and "table full" in note["error"], note
    wait_until(lambda: GOOD in dp_gateways(dp), what="the good one applied")
    assert BAD not in dp_gateways(dp)
    g = a.call({"op": "gateway.get", "path_id": BAD})
    assert g["gateway"]["refused"]["by"] == "agent-g" and g["gateway"]["refused"]["count"] >= 1, g
    assert [x["path_id"] for x in a.call({"op": "gateway.list"})["gateways"]] == [BAD, GOOD]


def test_gateway_off_is_reported(procs):
    m = procs.mapd()
    dp = procs.fake_dp(args=["--no-gateway"])
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(add(GOOD))["ok"]
    note = next_op(a, "gateway.refused")
    assert note["path_id"] == GOOD and "gateway is not enabled" in note["error"], note


def test_ctl_gateways_on_the_data_plane_and_the_map_server(procs):
    from test_ctl import ctl, table
    m = procs.mapd()
    dp = procs.fake_dp()
    mp = "127.0.0.1:%d" % m.port
    p = ctl("-s", dp.sock, "gateway", "add", GOOD, KEY, "10.77.0.2", "suite", "2", "idle", "60")
    assert p.returncode == 0, p.stderr
    assert dp_gateways(dp)[GOOD] == gw(GOOD, node="10.77.0.2", idle_timeout_s=60)
    p = ctl("-s", dp.sock, "gateways")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "1 gateways", p.stdout
    rows = table("\n".join(p.stdout.splitlines()[:-1]))
    assert rows[0]["PATH_ID"] == GOOD and rows[0]["NODE_ADDR"] == "10.77.0.2" and rows[0]["BOUND"] == "-", rows
    assert KEY not in p.stdout
    p = ctl("-s", dp.sock, "gateway", "add", GOOD, KEY, "10.77.0.2", "suite", "3")
    assert p.returncode != 0 and "suite" in p.stderr, p.stderr
    p = ctl("-s", dp.sock, "gateway", "del", GOOD)
    assert p.returncode == 0 and dp_gateways(dp) == {}, p.stderr
    # the map server (admin)
    p = ctl("-m", mp, "gateway", "add", BAD, KEY, "2001:db8::5")
    assert p.returncode == 0, p.stderr
    p = ctl("-m", mp, "--mapd", mp, "gateways")
    assert p.returncode == 0, p.stderr
    assert "1 gateways, 0 refused" in p.stdout and "2001:db8::5" in p.stdout and KEY not in p.stdout, p.stdout
    p = ctl("-m", mp, "gateway", "get", BAD)
    assert p.returncode == 0 and "2001:db8::5" in p.stdout and KEY not in p.stdout, p.stdout
    p = ctl("-m", mp, "gateway", "add", GOOD, KEY, "0.0.0.0")
    assert p.returncode != 0 and "node_addr" in p.stderr, p.stderr
    p = ctl("-m", mp, "gateway", "del", BAD)
    assert p.returncode == 0, p.stderr
    assert admin(m.port).call({"op": "gateway.list"})["total"] == 0


def test_large_snapshot_in_parts_reaches_the_data_plane(procs):
    """5,000 gateway entries (~1 MB) do not fit one snapshot line: they come
    in parts with "more", and the agent applies them all once the last arrives."""
    m = procs.mapd()
    a = admin(m.port)
    pids = ["%032x" % i for i in range(1, 5001)]
    assert a.call({"op": "gateway.add", "gateways": [gw(p) for p in pids]})["applied"] == 5000
    s = LineClient(("127.0.0.1", m.port))
    assert s.call({"op": "hello", "role": "subscriber", "name": "sub"})["ok"]
    got, parts = [], 0
    while True:
        part = next_op(s, "snapshot")
        parts += 1
        got += [g["path_id"] for g in part.get("gateways", [])]
        if not part.get("more"):
            break
    assert parts >= 2 and sorted(got) == pids, (parts, len(got))
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    wait_until(lambda: len(dp_gateways(dp)) == 5000, what="5000 gateways applied")


def test_one_node_one_path(procs):
    """The gateway finds a reply's path by its node address: the map server
    refuses a node that another path has, unless that path moves away in the
    same message; a deleted path frees its node."""
    m = procs.mapd()
    a = admin(m.port)
    assert a.call(add(GOOD, node="10.5.0.1", idle_timeout_s=86400))["ok"]
    r = a.call(add(GOOD2, node="10.5.0.1"))
    assert not r["ok"] and r["error"] == "node_addr: 10.5.0.1 is the node of path %s" % GOOD, r
    r = a.call({"op": "gateway.add", "gateways": [gw(BAD), gw(GOOD2, node="10.5.0.1")]})
    assert not r["ok"] and "gateways[1].node_addr: 10.5.0.1 is the node of path" in r["error"], r
    assert a.call({"op": "gateway.list"})["total"] == 1  # nothing of the refused batch
    assert a.call(add(GOOD, node="10.5.0.1", suite=1))["changed"]  # same path, same node
    # a swap in one message
    assert a.call(add(GOOD2, node="10.5.0.2"))["ok"]
    r = a.call({"op": "gateway.add", "gateways": [gw(GOOD, node="10.5.0.2"), gw(GOOD2, node="10.5.0.1")]})
    assert r == {"ok": True, "applied": 2, "changed": 2}, r
    nodes = {g["path_id"]: g["node_addr"] for g in a.call({"op": "gateway.list"})["gateways"]}
    assert nodes == {GOOD: "10.5.0.2", GOOD2: "10.5.0.1"}, nodes
    r = a.call(add(BAD, node="10.5.0.2"))
    assert not r["ok"] and GOOD in r["error"], r
    assert a.call({"op": "gateway.del", "path_id": GOOD})["existed"]
    assert a.call(add(BAD, node="10.5.0.2"))["ok"]  # freed by the delete


def test_node_moves_to_another_path_in_one_round(procs):
    """A path deleted and another added with its node in one push round: the
    agent deletes first, so a data plane that refuses a node twice (as the
    real one and the fake do) takes the new path."""
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(add(GOOD, node="10.6.0.1"))["ok"]
    wait_until(lambda: GOOD in dp_gateways(dp), what="first path applied")
    # one connection, two lines sent back to back: mapd pushes both before the agent's round
    a.send_raw((json.dumps({"op": "gateway.del", "path_id": GOOD}) + "\n" +
                json.dumps(add(GOOD2, node="10.6.0.1")) + "\n").encode())
    assert a.recv()["existed"] and a.recv()["changed"]
    wait_until(lambda: list(dp_gateways(dp)) == [GOOD2], what="the node moved to the new path")
    assert "refused" not in a.call({"op": "gateway.get", "path_id": GOOD2})["gateway"]


def test_metrics_count_gateways(procs):
    from ctlharness import free_port
    from test_metrics import scrape
    mport, aport = free_port(), free_port()
    m = procs.mapd(args=["--metrics", "127.0.0.1:%d" % mport])
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock, args=["--metrics", "127.0.0.1:%d" % aport])
    a = admin(m.port)
    assert a.call({"op": "gateway.add", "gateways": [gw(GOOD), gw(GOOD2)]})["applied"] == 2
    assert scrape(mport)[("anyway_mapd_gateways", ())] == 2
    wait_until(lambda: scrape(aport)[("anyway_agent_applied_gateways", ())] == 2, what="agent gauge")
