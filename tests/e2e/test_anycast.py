"""Broken flows across changes of the instance set behind ECMP (SPEC §8
"Measured outcome", issue 13), in the namespace lab of tests/e2e/lab: long-lived
TCP flows and UDP shim flows from the client namespace through the VIP, a
message every 100 ms, while the data planes redirect every packet that misses
its session to the flow's owner (doc/cluster.md). One event per test: an
instance joins; one is drained; one's VIP route is withdrawn at the upstream;
one's BIRD is killed (hold timer); one's data plane is killed. 0 broken flows
for all but the last; for the killed data plane exactly the flows it owned
(owner: `cluster.owner` of the flow's row, the row computed by the independent
model tests/golden/cluster_ref.py). A TRS path whose two sides reach two
different instances is a test of its own.

Needs root and bird2 (tests/install_deps.sh); skipped, with the reason, without
BIRD. Every wait is bounded; namespaces and processes go with the test."""

import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "control"))

from ctlharness import LineClient, Procs  # noqa: E402
from lab.anycast import STALL_S, VIP, AnycastLab, Flows, in_netns  # noqa: E402
from netns import PYTHON, wait_line, wait_until  # noqa: E402

N_TCP, N_UDP = 24, 8
BOUND = 40  # every convergence wait
AFTER_S = 4.0  # flows keep running this long after the routes converged

pytestmark = pytest.mark.skipif(shutil.which("bird") is None or shutil.which("birdc") is None,
                                reason="bird2 is not installed (tests/install_deps.sh)")


@pytest.fixture
def procs():
    p = Procs()
    yield p
    p.cleanup()


def flows_up(lab):
    f = Flows(lab.client, N_TCP, N_UDP).open().start()
    f.all_echoed()
    assert not f.broken, "flows broken before any change: %s" % f.broken
    return f


def spread(lab, f, inst=None):
    """{flow: owner id} as the data plane of `inst` (default instance 0) has it."""
    owners = {}
    for fl in f.flows:
        proto, vport = (6, 80) if fl.proto == "tcp" else (17, 6868)
        owners[fl.k] = lab.owner_of(inst or lab.instances[0], fl.port, proto, vport)
    return owners


def no_flow_broken(f, event):
    f.all_echoed()
    f.run_for(AFTER_S)
    assert not f.broken, "%d of %d flows broke on %s: %s" % (len(f.broken), len(f.flows), event, f.broken)
    assert f.rounds >= 30


def redirected(inst):
    return inst.counters().get("cluster_redirected", 0)


def test_steady_state_spreads_flows_over_owners(topology, procs):
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        f.run_for(2.0)
        assert not f.broken
        owners = spread(lab, f)
        # every instance owns some flows, and both data planes compute the same owners
        assert set(owners.values()) == {"inst-0", "inst-1"}, owners
        assert spread(lab, f, lab.instances[1]) == owners
        sessions = [inst.dp.call("stats")["asrs"]["sessions"] for inst in lab.instances]
        assert sum(sessions) >= N_TCP + N_UDP and all(s > 0 for s in sessions), sessions
    finally:
        f.close()


def test_join_breaks_no_flow(topology, procs):
    lab = AnycastLab(topology, procs, 3).start(2)
    f = flows_up(lab)
    try:
        lab.instances[2].start()
        lab.converge(lab.instances)
        no_flow_broken(f, "join")
        assert redirected(lab.instances[2]) > 0  # the new instance received flows it did not own
    finally:
        f.close()


def test_drain_breaks_no_flow(topology, procs):
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        before = redirected(lab.instances[1])
        c = LineClient(lab.instances[0].agent.status)
        r = c.call({"op": "drain"})
        c.close()
        assert r["ok"] and r["state"] == "draining", r
        wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND, what="instance 0 withdrawn")
        want = {("inst-0", "draining"), ("inst-1", "active")}
        for inst in lab.instances:
            wait_until(lambda: inst.cluster_ids() == want, BOUND, what="%s knows inst-0 draining" % inst.id)
        no_flow_broken(f, "drain")
        assert redirected(lab.instances[1]) > before  # inst-0's flows went back to it
    finally:
        f.close()


def test_withdraw_breaks_no_flow(topology, procs):
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        # the route to instance 0 is withdrawn at the upstream; it stays an active member
        before = redirected(lab.instances[1])
        assert "inst0: disabled" in lab.up_bird.birdc("disable", "inst0")
        wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND, what="instance 0 withdrawn")
        no_flow_broken(f, "withdrawal")
        assert redirected(lab.instances[1]) > before
    finally:
        f.close()


def test_bird_killed_breaks_no_flow(topology, procs):
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        before = redirected(lab.instances[1])
        lab.instances[0].bird.kill()
        wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND,
                   what="instance 0 gone after the hold time")
        no_flow_broken(f, "BIRD killed")
        assert redirected(lab.instances[1]) > before
    finally:
        f.close()


def test_dataplane_killed_breaks_only_its_flows(topology, procs):
    """Only flows the killed instance owned break: every TCP one of them (its SNAT
    port died with it); its UDP flows may live on, re-created at the survivor once
    the dead member is `down` (any datagram creates a UDP session, doc/cluster.md)."""
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        owners = spread(lab, f)
        owned = {k for k, o in owners.items() if o == "inst-0"}
        assert owned and len(owned) < len(f.flows), owners
        lab.instances[0].dp.signal(signal.SIGKILL)
        wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND, what="instance 0 withdrawn")
        f.run_for(STALL_S + AFTER_S)
        broken = set(f.broken)
        owned_tcp = {k for k in owned if f.flows[k].proto == "tcp"}
        assert owned_tcp <= broken <= owned, "broken %s, owned by the killed instance %s (TCP %s)" % (
            sorted(broken), sorted(owned), sorted(owned_tcp))
    finally:
        f.close()


def test_agent_stop_breaks_no_flow(topology, procs):
    """A stopping agent withdraws the VIP and leaves its member draining (never
    deregistered): the flows its data plane owns go on through the redirect."""
    lab = AnycastLab(topology, procs, 2).start(2)
    f = flows_up(lab)
    try:
        assert procs.stop(lab.instances[0].agent) == 0  # withdraws the VIP, then exits
        wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND, what="instance 0 withdrawn")
        inst1 = lab.instances[1]
        wait_until(lambda: (lab.instances[0].id, "draining") in inst1.cluster_ids(), BOUND,
                   what="instance 0 draining on instance 1")
        no_flow_broken(f, "agent stop")
    finally:
        f.close()


def test_new_flows_after_dataplane_killed(topology, procs):
    """An agent whose data plane died registers its member down: no instance makes
    it the owner of new flows."""
    lab = AnycastLab(topology, procs, 2).start(2)
    lab.instances[0].dp.signal(signal.SIGKILL)
    wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, BOUND, what="instance 0 withdrawn")
    inst1 = lab.instances[1]
    wait_until(lambda: (lab.instances[0].id, "down") in inst1.cluster_ids(), BOUND,
               what="instance 0 down on instance 1")
    failed = 0
    with in_netns(lab.client.name):
        for _ in range(16):
            try:
                socket.create_connection((VIP, 80), timeout=2).close()
            except OSError:
                failed += 1
    assert failed == 0, "%d of 16 new connections failed after instance 0's data plane died" % failed


# --- TRS: the two sides of one path reach two different instances ----------

NODE = os.path.join(HERE, "trs_node.py")
PID, KEY, E2E_KEY = "6c" * 16, "4d" * 32, "88" * 32
TRS_PORT = 7811


class Node:
    def __init__(self, topo, ns, side):
        self.p = subprocess.Popen(
            ns.cmd(PYTHON, NODE, "--relay", VIP, "--path-id", PID, "--key", KEY,
                   "--e2e-key", E2E_KEY, "--suite", "1", "--side", str(side)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        topo.procs.append(self.p)
        wait_line(self.p, r"^ready$", 10, what="trs_node")

    def do(self, cmd, timeout=20):
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()
        return wait_line(self.p, r"^(ack|noack|sent|got|timeout|recv|port|error)", timeout, what=cmd)


def place(lab, node, hop):
    """Rebinds node until the upstream routes its datagrams to `hop`."""
    for _ in range(64):
        port = int(node.do("rebind").split()[1])
        if lab.hop_of("udp", port, TRS_PORT) == hop:
            return port
    raise AssertionError("no source port of 64 routed to %s" % hop)


def test_trs_path_relays_with_sides_on_two_instances(topology, procs):
    lab = AnycastLab(topology, procs, 2).start(2)
    lab.add_relay(PID, KEY)
    for inst in lab.instances:
        wait_until(lambda: inst.dp.api({"op": "relay.get", "path_id": PID}).get("ok"), BOUND,
                   what="%s has the path" % inst.id)
    a, b = Node(topology, lab.client, 0), Node(topology, lab.client, 1)
    place(lab, a, lab.instances[0].port0)
    place(lab, b, lab.instances[1].port0)
    assert a.do("hp").startswith("ack ")
    assert b.do("hp").startswith("ack ")
    assert a.do("send 20 a2b") == "sent 20"
    assert b.do("recv 20 5") == "recv 20 a2b-0 a2b-19"
    assert b.do("send 20 b2a") == "sent 20"
    assert a.do("recv 20 5") == "recv 20 b2a-0 b2a-19"
    # the path is bound at one instance only, with both sides
    states = [inst.dp.call("relay.get", path_id=PID)["relay"]["state"] for inst in lab.instances]
    assert sorted(states) == ["bound", "unbound"], states
    # the other instance is drained: the path's owner is unchanged, it keeps relaying
    other = lab.instances[states.index("unbound")]
    c = LineClient(other.agent.status)
    r = c.call({"op": "drain"})
    c.close()
    assert r["ok"] and r["state"] == "draining", r
    owner = lab.instances[states.index("bound")]
    wait_until(lambda: lab.next_hops() == {owner.port0}, BOUND, what="%s withdrawn" % other.id)
    want = {(other.id, "draining"), (owner.id, "active")}
    for inst in lab.instances:
        wait_until(lambda: inst.cluster_ids() == want, BOUND, what="%s knows %s draining" % (inst.id, other.id))
    assert a.do("send 20 a2b") == "sent 20"
    assert b.do("recv 20 5") == "recv 20 a2b-0 a2b-19"
    assert b.do("send 20 b2a") == "sent 20"
    assert a.do("recv 20 5") == "recv 20 b2a-0 b2a-19"
