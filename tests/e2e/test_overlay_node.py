"""The overlay node program (overlay_node.py) on its own, against a Python
double of the gateway (overlay_echo_gw.py), both on the CAPSULE reference:
the node namespace's kernel pings an address routed into the TUN, the
pings travel as capsules (suites 1 and 2, inner packets up to 1500 bytes so
that the capsules exceed the 1500-byte outer MTU and go as IP fragments both
ways), and after a NAT rebinding (SIGUSR1, or the control file) the replies
follow the node to its new port. The gateway itself: test_gateway_e2e.py.

    node ns: TUN ovl (10.77.0.2, route 10.99.0.0/24) -- veth 10.40.0.2
    gw ns:   veth 10.40.0.1, UDP 7813 (overlay_echo_gw.py)
"""
import os
import re
import signal

import pytest

from netns import PYTHON, wait_line

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.path.join(HERE, "overlay_node.py")
GW = os.path.join(HERE, "overlay_echo_gw.py")
PID = "6b" * 16
KEY = "19" * 32
NODE_ADDR = "10.77.0.2"


def start(topo, suite):
    n, g = topo.add_netns("n"), topo.add_netns("g")
    n0, g0 = topo.ifname("n", 0), topo.ifname("g", 0)
    topo.add_veth(n, n0, g, g0)
    n.run("ip", "addr", "add", "10.40.0.2/24", "dev", n0)
    g.run("ip", "addr", "add", "10.40.0.1/24", "dev", g0)
    gw = g.spawn(PYTHON, GW, "--path-id", PID, "--key", KEY, "--suite", str(suite), "--node-addr",
                 NODE_ADDR, ready=r"^ready$")
    control = str(topo.tmp / "rebind")
    node = n.spawn(PYTHON, NODE, "--gateway", "10.40.0.1", "--path-id", PID, "--key", KEY,
                   "--suite", str(suite), "--tun", "ovl", "--control", control, "--max-s", "120")
    line = wait_line(node, r"^ready ", 10, what="overlay_node")
    port = int(line.split()[2])
    n.run("ip", "addr", "add", NODE_ADDR + "/32", "dev", "ovl")
    n.run("ip", "link", "set", "ovl", "mtu", "1500", "up")
    n.run("ip", "route", "add", "10.99.0.0/24", "dev", "ovl", "src", NODE_ADDR)
    return n, gw, node, port, control


@pytest.mark.parametrize("suite", [1, 2])
def test_pings_through_the_tunnel_and_rebinding(topology, suite):
    n, gw, node, port, control = start(topology, suite)
    rc, out = n.ping("10.99.0.1", count=3)
    assert rc == 0, out
    assert wait_line(gw, r"^bound ", 5) == "bound 10.40.0.2 %d" % port
    rc, out = n.ping("10.99.0.1", count=2, size=1472)  # 1500-byte inner packets
    assert rc == 0, out
    # rebinding by signal, then by the control file: the gateway follows
    node.send_signal(signal.SIGUSR1)
    new = int(wait_line(node, r"^rebound ", 5).split()[1])
    assert new != port
    rc, out = n.ping("10.99.0.1", count=2)
    assert rc == 0, out
    assert wait_line(gw, r"^bound ", 5) == "bound 10.40.0.2 %d" % new
    open(control, "w").close()
    newer = int(wait_line(node, r"^rebound ", 5).split()[1])
    rc, out = n.ping("10.99.0.1", count=2)
    assert rc == 0, out
    assert wait_line(gw, r"^bound ", 5) == "bound 10.40.0.2 %d" % newer
    assert not os.path.exists(control)
    node.send_signal(signal.SIGUSR2)
    stats = dict(kv.split("=") for kv in wait_line(node, r"^stats ", 5).split()[1:])
    assert int(stats["tun_out"]) >= 9 and int(stats["sent"]) >= 9, stats
    assert not any(k.startswith("refused_") for k in stats), stats
