"""TRS relay end to end: two nodes, each behind a real NAT (nftables
masquerade in a NAT namespace), exchange hole punching, a tunnel request /
response and streams of CAPSULEs through the relay (af_packet ports). Then
node A's NAT mapping changes (A's socket moves to a new port, so the NAT
allocates a new mapping): its CAPSULEs are refused until the next
KEEP_ALIVE rebinds A, and the streams continue both ways.

    node a 10.31.0.2 -- nat-a (masquerade -> 10.11.0.2) -- dp port 0 10.11.0.1
    node b 10.32.0.2 -- nat-b (masquerade -> 10.12.0.2) -- dp port 1 10.12.0.1
    relay: VIP 203.0.113.10, UDP 7811 (trs.addrs)
"""
import os
import subprocess

import pytest

from netns import PYTHON, V4, base_config, wait_line

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.path.join(HERE, "trs_node.py")
VIP = "203.0.113.10"
PID = "5a" * 16
KEY = "3c" * 32
E2E_KEY = "77" * 32
STEP_S = 15


class NodeProc:
    def __init__(self, topo, ns, side):
        self.p = subprocess.Popen(
            ns.cmd(PYTHON, NODE, "--relay", VIP, "--path-id", PID, "--key", KEY,
                   "--e2e-key", E2E_KEY, "--suite", "1", "--side", str(side)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        topo.procs.append(self.p)
        wait_line(self.p, r"^ready$", 10, what="trs_node")

    def do(self, cmd, timeout=STEP_S):
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()
        return wait_line(self.p, r"^(ack|noack|sent|got|timeout|recv|port|error)", timeout, what=cmd)


@pytest.fixture
def relay_net(topology):
    from netns import Dataplane
    t = topology
    r = t.add_netns("r")
    r0, r1 = t.ifname("r", 0), t.ifname("r", 1)
    na = t.add_netns("na")
    nb = t.add_netns("nb")
    a_out, b_out = t.ifname("na", 0), t.ifname("nb", 0)
    t.add_veth(r, r0, na, a_out, kernel_ipv6_a=False)
    t.add_veth(r, r1, nb, b_out, kernel_ipv6_a=False)
    _, ha = _nat_setup(t, na, "a", a_out, "10.31.0", "10.11.0.2", V4["dp0"])
    _, hb = _nat_setup(t, nb, "b", b_out, "10.32.0", "10.12.0.2", V4["dp1"])
    cfg = base_config()
    cfg["trs"] = {"addrs": [VIP]}
    cfg["relays"] = [{"path_id": PID, "tunnel_key": KEY, "suite": 1, "idle_timeout_s": 300}]
    dp = Dataplane(t, r, [("af_packet", r0), ("af_packet", r1)], cfg)
    dp.start()
    yield dp, ha, hb
    dp.stop_checked()


def _nat_setup(topo, n, tag, outside, in_net, out_addr, gw):
    h = topo.add_netns("h" + tag)
    ni, hi = topo.ifname("n" + tag, 1), topo.ifname("h" + tag, 0)
    topo.add_veth(n, ni, h, hi)
    n.run("ip", "addr", "add", f"{in_net}.1/24", "dev", ni)
    h.run("ip", "addr", "add", f"{in_net}.2/24", "dev", hi)
    h.run("ip", "route", "add", "default", "via", f"{in_net}.1")
    n.run("ip", "addr", "add", f"{out_addr}/24", "dev", outside)
    n.run("ip", "route", "add", "default", "via", gw)
    n.sysctl("net.ipv4.ip_forward", 1)
    n.run("nft", "-f", "-", input=(
        "table ip awnat {\n"
        " chain post { type nat hook postrouting priority srcnat; policy accept;\n"
        f"  oifname \"{outside}\" masquerade\n"
        " }\n}\n"))
    return n, h


def test_tunnel_through_two_nats_and_rebinding(relay_net, topology):
    dp, ha, hb = relay_net
    a, b = NodeProc(topology, ha, 0), NodeProc(topology, hb, 1)

    assert a.do("hp").startswith("ack "), dp.log()[-2000:]
    assert b.do("hp").startswith("ack ")
    rel = dp.call("relay.get", path_id=PID)["relay"]
    assert rel["state"] == "bound"
    # each side is bound to its NAT's outside address, not the node's own
    assert [s["addr"] for s in rel["sides"]] == ["10.11.0.2", "10.12.0.2"]
    a_port = rel["sides"][0]["port"]

    assert a.do("sig TUNNEL_REQUEST hello-responder") == "sent"
    assert b.do("expect TUNNEL_REQUEST 5") == "got hello-responder"
    assert b.do("sig TUNNEL_RESPONSE hello-initiator") == "sent"
    assert a.do("expect TUNNEL_RESPONSE 5") == "got hello-initiator"

    assert a.do("send 30 a2b") == "sent 30"
    assert b.do("recv 30 5") == "recv 30 a2b-0 a2b-29"
    assert b.do("send 30 b2a") == "sent 30"
    assert a.do("recv 30 5") == "recv 30 b2a-0 b2a-29"

    # NAT mapping changes: A's traffic now leaves nat-a from another port
    assert a.do("rebind").startswith("port ")
    before = dp.stats()["drops"]["relay_unbound_source"]
    assert a.do("send 5 lost") == "sent 5"
    assert b.do("recv 5 1") == "recv 0 - -"
    assert dp.stats()["drops"]["relay_unbound_source"] - before == 5
    assert a.do("ka").startswith("ack ")
    rel = dp.call("relay.get", path_id=PID)["relay"]
    assert rel["sides"][0]["addr"] == "10.11.0.2" and rel["sides"][0]["port"] != a_port
    assert a.do("send 30 a2b-again") == "sent 30"
    assert b.do("recv 30 5") == "recv 30 a2b-again-0 a2b-again-29"
    assert b.do("send 30 b2a-again") == "sent 30"
    assert a.do("recv 30 5") == "recv 30 b2a-again-0 b2a-again-29"

    s = dp.settled_stats()
    assert s["rx"] == s["tx"] + s["drops_total"] + s["consumed"]
    c = s["counters"]
    assert c["relay_rebinds"] == 1 and c["relay_binds"] == 2
    assert c["relay_forwarded"] >= 122 and c["relay_acks"] >= 3
    assert rel["counters"]["drops"] >= 5
