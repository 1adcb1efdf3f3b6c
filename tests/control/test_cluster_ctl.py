"""Cluster membership through the map servers (SPEC §8, control/PROTOCOL.md
"Membership"), with real anyway-mapd / anyway-agent processes and the data
plane test double: agents register their instance, the map server pushes the
member list with an epoch, the agents apply it with cluster.set; a member is
`down` while its data plane does not answer and `draining` after its agent's
clean stop (never deregistered: its sessions may live on), and leaves by ttl or
an explicit deregister; state changes reach every
data plane with increasing epochs; the ACL holds a subscriber to its own id;
malformed and old-epoch member updates are rejected whole."""

import json
import socket
import threading

from ctlharness import LineClient, agent_status, tls_accept, wait_until
from test_ctl import ctl


def cluster_get(dp):
    c = LineClient(dp.sock)
    try:
        r = c.call({"op": "cluster.get"})
    finally:
        c.close()
    assert r["ok"], r
    return r


def members_of(dp):
    return {m["id"]: (m["addr"], m["state"]) for m in cluster_get(dp)["members"]}


def hello(port, role, name):
    c = LineClient(("127.0.0.1", port), tls=name)
    r = c.call({"op": "hello", "role": role, "name": name})
    assert r["ok"], r
    return c


def call(c, obj):
    """A request on a subscriber's connection: its reply, pushes skipped."""
    c.send(obj)
    while True:
        r = c.recv()
        if r is None or "op" not in r:
            return r


def member(mid, addr, state="active", ttl=30):
    return {"op": "member.register", "id": mid, "addr": addr, "state": state, "ttl": ttl}


def two_instances(procs, mapd):
    dps, agents = [], []
    for mid, addr in (("inst-a", "10.9.0.1"), ("inst-b", "10.9.0.2")):
        dp = procs.fake_dp(path=str(procs.dir / ("dp-%s.sock" % mid)))
        ag = procs.agent([mapd.port], dp.sock, args=["--name", mid, "--instance-id", mid,
                                                      "--underlay", addr])
        dps.append(dp)
        agents.append(ag)
    both = {"inst-a": ("10.9.0.1", "active"), "inst-b": ("10.9.0.2", "active")}
    for dp in dps:
        wait_until(lambda: members_of(dp) == both, what="both members on each data plane")
    return dps, agents


def test_a_member_whose_data_plane_stops_answering_is_down(procs):
    """No instance may make an instance whose data plane is gone the owner of new
    flows: its agent registers it `down` at once, and `active` again when the data
    plane is back."""
    m = procs.mapd()
    dps, agents = two_instances(procs, m)
    path = dps[1].sock
    procs.stop(dps[1])
    wait_until(lambda: members_of(dps[0]).get("inst-b") == ("10.9.0.2", "down"), what="inst-b down")
    assert agent_status(agents[1].status)["cluster"]["state"] == "down"
    dps[1] = procs.fake_dp(path=path)
    wait_until(lambda: members_of(dps[0]).get("inst-b") == ("10.9.0.2", "active"), what="inst-b active again")
    wait_until(lambda: members_of(dps[1]).get("inst-b") == ("10.9.0.2", "active"), what="the new data plane told")


def test_join_leave_and_state_changes_reach_every_data_plane(procs):
    m = procs.mapd()
    dps, agents = two_instances(procs, m)
    epochs = [cluster_get(dp)["epoch"] for dp in dps]

    # a third member (registered by an admin here) joins, drains, then leaves by ttl
    adm = hello(m.port, "admin", "admin")
    r = adm.call(member("inst-c", "10.9.0.3", ttl=2))
    assert r["ok"] and r["changed"] is True, r
    for dp in dps:
        wait_until(lambda: members_of(dp).get("inst-c") == ("10.9.0.3", "active"), what="inst-c joined")
    r = adm.call(member("inst-c", "10.9.0.3", state="draining", ttl=2))
    assert r["ok"] and r["changed"] is True, r
    for dp in dps:
        wait_until(lambda: members_of(dp).get("inst-c") == ("10.9.0.3", "draining"), what="inst-c draining")
    # a renewal that changes nothing keeps the epoch
    e = adm.call({"op": "member.list"})["epoch"]
    r = adm.call(member("inst-c", "10.9.0.3", state="draining", ttl=2))
    assert r["ok"] and r["changed"] is False and r["epoch"] == e, r
    for i, dp in enumerate(dps):
        assert cluster_get(dp)["epoch"] > epochs[i]
        epochs[i] = cluster_get(dp)["epoch"]
    adm.close()  # no more renewals: inst-c expires after its ttl
    for dp in dps:
        wait_until(lambda: "inst-c" not in members_of(dp), what="inst-c expired by ttl")
        assert set(members_of(dp)) == {"inst-a", "inst-b"}
    assert "member inst-c (10.9.0.3) expired" in procs.log(m)

    # a clean stop of the agent leaves the member draining (its data plane may still
    # serve the sessions it owns: the others must keep redirecting them), not gone
    procs.stop(agents[1])
    wait_until(lambda: members_of(dps[0]) == {"inst-a": ("10.9.0.1", "active"),
                                              "inst-b": ("10.9.0.2", "draining")}, what="inst-b draining")
    assert cluster_get(dps[0])["epoch"] > epochs[0]
    lst = hello(m.port, "admin", "admin").call({"op": "member.list"})
    assert [(x["id"], x["state"]) for x in lst["members"]] == [("inst-a", "active"), ("inst-b", "draining")], lst
    assert lst["counters"]["deregisters"] == 0 and lst["counters"]["expired"] == 1, lst

    st = agent_status(agents[0].status)["cluster"]
    assert st["id"] == "inst-a" and st["state"] == "active" and st["counters"]["rejected"] == 0, st
    assert st["epoch"] == cluster_get(dps[0])["epoch"], st


def test_ctl_shows_members_and_cluster(procs):
    m = procs.mapd()
    dps, agents = two_instances(procs, m)
    out = ctl("--json", "--mapd", "127.0.0.1:%d" % m.port, "members")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert sorted(x["id"] for x in got["members"]) == ["inst-a", "inst-b"], got
    out = ctl("--json", "--socket", dps[0].sock, "cluster")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert sorted(x["id"] for x in got["members"]) == ["inst-a", "inst-b"]
    assert got["epoch"] == cluster_get(dps[0])["epoch"]


ACL = """admin      ops-*
subscriber agent-*
"""


def test_acl_holds_a_subscriber_to_its_own_id(procs):
    path = procs.dir / "acl.txt"
    path.write_text(ACL)
    m = procs.mapd(args=["--acl", str(path)])
    c = hello(m.port, "subscriber", "agent-1")
    r = call(c, member("agent-2", "10.9.0.2"))
    assert r == {"ok": False, "error": "member.register: identity 'agent-1' may not register member "
                 "'agent-2' (acl %s: a subscriber may register only the member id equal to its "
                 "identity)" % path}, r
    r = call(c, {"op": "member.deregister", "id": "agent-2"})
    assert r["ok"] is False and "may not register member 'agent-2'" in r["error"], r
    r = call(c, member("agent-1", "10.9.0.1"))
    assert r["ok"] and r["member"] == "agent-1", r
    ops = hello(m.port, "admin", "ops-1")
    r = call(ops, member("any-id", "10.9.0.9"))  # an admin may register any id
    assert r["ok"], r
    lst = call(ops, {"op": "member.list"})
    assert sorted(x["id"] for x in lst["members"]) == ["agent-1", "any-id"], lst
    assert lst["counters"]["refused"] == 2, lst
    assert call(ops, {"op": "subscriber.list"})["acl"]["refusals"]["member"] == 2
    # malformed requests are refused whole
    for bad, err in ((member("a b", "10.9.0.1"), "id: expected"),
                     (member("agent-1", "10.9.0.300"), "addr: expected"),
                     (member("agent-1", "10.9.0.1", state="gone"), "state: expected"),
                     (member("agent-1", "10.9.0.1", ttl=0), "ttl: expected"),
                     (dict(member("agent-1", "10.9.0.1"), extra=1), "extra: unknown field")):
        r = call(c, bad)
        assert r["ok"] is False and err in r["error"], (bad, r)
    strip = lambda ms: [{k: v for k, v in x.items() if k != "ttl_left_ms"} for x in ms]
    assert strip(call(ops, {"op": "member.list"})["members"]) == strip(lst["members"])


def test_agent_refused_by_the_acl_keeps_its_subscription(procs):
    path = procs.dir / "acl.txt"
    path.write_text(ACL + "subscriber agent\n")
    m = procs.mapd(args=["--acl", str(path)])
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--name", "agent", "--instance-id", "not-me", "--underlay", "10.9.0.1"])
    wait_until(lambda: agent_status(ag.status)["cluster"]["counters"]["refusals"] >= 1,
               what="the refusal counted by the agent")
    st = agent_status(ag.status)
    assert st["mapds"][0]["state"] == "synced", st["mapds"]
    assert "may not register member 'not-me'" in st["cluster"]["last_error"], st["cluster"]


def fake_mapd(lines):
    """A map server stand-in: hello reply, empty snapshot, then the given lines."""
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
        out = [{"ok": True, "version": 1}, {"op": "snapshot", "version": 1, "services": [], "relays": []}]
        c.sendall(b"".join(json.dumps(o).encode() + b"\n" for o in out) + b"".join(l + b"\n" for l in lines))
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    return lis


def push(epoch, members, **extra):
    o = {"op": "members", "version": 1, "epoch": epoch, "members": members}
    o.update(extra)
    return json.dumps(o).encode()


A = {"id": "inst-a", "addr": "10.9.0.1", "state": "active"}
B = {"id": "inst-b", "addr": "10.9.0.2", "state": "active"}


def test_malformed_and_old_epoch_updates_rejected_whole(procs):
    lines = [push(100, [A]),
             push(200, [A, dict(B, state="gone")]),      # bad state: nothing of it applies
             push(201, [A, dict(B, addr="10.9.0.999")]),  # bad address
             push(202, [A, A]),                           # duplicate id
             push(203, [A, dict(B, extra=1)]),            # unknown field in a member
             push(204, [A, B], surprise=True),            # unknown field
             push(50, [A, B]),                            # older epoch than taken
             push(101, [A, dict(B, state="draining")])]
    lis = fake_mapd(lines)
    dp = procs.fake_dp()
    ag = procs.agent([lis.getsockname()[1]], dp.sock, args=["--instance-id", "inst-a", "--underlay", "10.9.0.1"])
    try:
        wait_until(lambda: agent_status(ag.status)["cluster"]["counters"]["rejected"] == 6,
                   what="six updates rejected")
        wait_until(lambda: cluster_get(dp)["epoch"] == 101, what="epoch 101 applied")
        assert members_of(dp) == {"inst-a": ("10.9.0.1", "active"), "inst-b": ("10.9.0.2", "draining")}
        st = agent_status(ag.status)
        assert st["cluster"]["counters"]["updates"] == 2, st["cluster"]
        assert st["rejected_updates"] == 6
        log = procs.log(ag)
        assert "rejected a members update, nothing applied: members[1].state: expected" in log
        assert "epoch 50 is older than 100, taken before" in log
        assert cluster_get(dp)["counters"]["refused"] == 0
    finally:
        lis.close()


def test_agent_goes_above_an_epoch_the_data_plane_already_holds(procs):
    """A data plane left with a higher epoch (e.g. by an agent that bumped it)
    refuses the map server's epoch as stale: the agent reads cluster.get and
    applies above it."""
    m = procs.mapd()
    dp = procs.fake_dp()
    c = LineClient(dp.sock)
    high = 1 << 62  # above any wall-clock epoch
    assert c.call({"op": "cluster.set", "epoch": high, "members": [B]})["ok"]
    c.close()
    ag = procs.agent([m.port], dp.sock, args=["--instance-id", "inst-a", "--underlay", "10.9.0.1"])
    wait_until(lambda: members_of(dp) == {"inst-a": ("10.9.0.1", "active")}, what="applied above the held epoch")
    assert cluster_get(dp)["epoch"] == high + 1
    st = agent_status(ag.status)["cluster"]
    assert st["counters"]["apply_errors"] == 1 and st["epoch"] == high + 1, st
    assert "cluster.set refused: epoch: stale epoch" in procs.log(ag)


def test_member_list_bounded_at_the_data_planes_64(procs):
    m = procs.mapd()
    adm = hello(m.port, "admin", "admin")
    for i in range(64):
        assert adm.call(member("m%02d" % i, "10.9.1.%d" % (i + 1)))["ok"]
    r = adm.call(member("m64", "10.9.1.65"))
    assert r == {"ok": False, "error": "member.register: the cluster already has 64 members"}, r
    assert adm.call(member("m00", "10.9.1.1", state="down"))["changed"] is True  # a known id still changes
    assert len(adm.call({"op": "member.list"})["members"]) == 64
    adm.close()


def test_two_map_servers_merge_by_id_and_sum_their_epochs(procs):
    m1, m2 = procs.mapd(), procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m1.port, m2.port], dp.sock, args=["--instance-id", "inst-a", "--underlay", "10.9.0.1"])
    a1, a2 = hello(m1.port, "admin", "admin"), hello(m2.port, "admin", "admin")
    assert a2.call(member("inst-x", "10.9.0.7"))["ok"]  # known to the second map server only

    def settled():
        l1, l2 = a1.call({"op": "member.list"}), a2.call({"op": "member.list"})
        return (len(l1["members"]) == 1 and len(l2["members"]) == 2
                and cluster_get(dp)["epoch"] == l1["epoch"] + l2["epoch"])
    wait_until(settled, what="epoch = sum of both lists' epochs")
    assert members_of(dp) == {"inst-a": ("10.9.0.1", "active"), "inst-x": ("10.9.0.7", "active")}
    a1.close()
    a2.close()


def test_the_real_data_plane_takes_the_member_list(procs, monkeypatch):
    """anyway-dataplane (net_null ports, cluster section) accepts what the agent
    applies: members and epoch as the map server pushed them."""
    import test_with_dataplane as twd
    monkeypatch.setitem(twd.CONFIG, "cluster", {"id": "inst-a", "udp_port": 7812, "underlay": "10.1.0.1",
                                                 "key": "00112233445566778899aabbccddeeff" * 2})
    rdp = twd.RealDataplane(procs)
    try:
        m = procs.mapd()
        ag = procs.agent([m.port], rdp.sock, args=["--instance-id", "inst-a", "--underlay", "10.1.0.1"])
        adm = hello(m.port, "admin", "admin")
        assert adm.call(member("inst-b", "10.1.0.2", state="draining"))["ok"]
        want = [{"id": "inst-a", "addr": "10.1.0.1", "state": "active"},
                {"id": "inst-b", "addr": "10.1.0.2", "state": "draining"}]
        wait_until(lambda: rdp.call({"op": "cluster.get"}).get("members") == want, what="applied to the data plane")
        assert rdp.call({"op": "cluster.get"})["epoch"] == adm.call({"op": "member.list"})["epoch"]
        assert agent_status(ag.status)["cluster"]["counters"]["apply_errors"] == 0
        adm.close()
    finally:
        rdp.stop()
