"""The VIP announcement as an upstream router sees it (SPEC §8): an instance
namespace runs BIRD 2 with the agent's static protocol of the VIP routes and a
BGP session (hold time 3 s) over a veth to an upstream namespace running a
second BIRD. anyway-agent (with a map server and the data plane test double,
on loopback: the agent reaches BIRD through its control socket, a file) drives
the instance's BIRD; the upstream's routes are read with birdc. Data plane
stopped -> withdrawn, back -> announced; drain -> withdrawn; undrain ->
announced; agent SIGTERM -> withdrawn. Every wait is bounded; namespaces and
processes are removed whatever happens (netns.Topology, ctlharness.Procs)."""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from netns import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "control"))
from ctlharness import Procs, build_dir, tls_args  # noqa: E402

BIRD, BIRDC = shutil.which("bird"), shutil.which("birdc")
VIP = "203.0.113.10/32"
WAIT_S = 30  # BGP session up: connect delay + OPEN exchange, well inside this

INSTANCE_CONF = """router id 10.77.0.1;
protocol device {}
protocol static anyway_vips {
	disabled;
	ipv4;
	route 203.0.113.10/32 blackhole;
}
protocol bgp upstream {
	local 10.77.0.1 as 65010;
	neighbor 10.77.0.2 as 65000;
	hold time 3;
	connect delay time 1;
	connect retry time 2;
	ipv4 {
		import none;
		export where proto = "anyway_vips";
		next hop self;   # stands for the data-plane port's address
	};
}
"""

UPSTREAM_CONF = """router id 10.77.0.2;
protocol device {}
protocol bgp inst_a {
	local 10.77.0.2 as 65000;
	neighbor 10.77.0.1 as 65010;
	hold time 3;
	connect delay time 1;
	connect retry time 2;
	ipv4 { import all; export none; };
}
"""


def birdc(sock, *cmd):
    return subprocess.run([BIRDC, "-s", sock, *cmd], capture_output=True, text=True, timeout=10)


def start_bird(topo, ns, name, conf):
    path = topo.tmp / (name + ".conf")
    path.write_text(conf)
    sock = str(topo.tmp / (name + ".ctl"))
    p = ns.spawn(BIRD, "-f", "-c", str(path), "-s", sock, "-P", str(topo.tmp / (name + ".pid")))
    wait_until(lambda: birdc(sock, "show", "status").returncode == 0 or p.poll() is not None, WAIT_S,
               what=name + " bird up")
    assert p.poll() is None, p.stdout.read().decode(errors="replace")
    return sock


def upstream_has_vip(sock):
    return VIP in birdc(sock, "show", "route").stdout


def ctl(*args):
    return subprocess.run([str(build_dir() / "control" / "ctl" / "anyway-ctl"), *tls_args("admin"), *args],
                          capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(BIRD is None or BIRDC is None, reason="bird2 not installed (tests/install_deps.sh)")
def test_upstream_sees_the_vip_follow_health(topology):
    inst, up = topology.add_netns("i"), topology.add_netns("u")
    a, b = topology.ifname("i", 0), topology.ifname("u", 0)
    topology.add_veth(inst, a, up, b)
    inst.run("ip", "addr", "add", "10.77.0.1/30", "dev", a)
    up.run("ip", "addr", "add", "10.77.0.2/30", "dev", b)
    isock = start_bird(topology, inst, "instance", INSTANCE_CONF)
    usock = start_bird(topology, up, "upstream", UPSTREAM_CONF)
    wait_until(lambda: "Established" in birdc(usock, "show", "protocols", "inst_a").stdout, WAIT_S,
               what="BGP session established")
    assert not upstream_has_vip(usock)

    procs = Procs()
    try:
        m = procs.mapd()
        dp = procs.fake_dp()
        ag = procs.agent([m.port], dp.sock, args=["--instance-id", "inst-a", "--underlay", "10.77.0.1",
                                                  "--bird-socket", isock, "--bird-protocol", "anyway_vips",
                                                  "--drain-timeout-s", "30"])
        wait_until(lambda: upstream_has_vip(usock), WAIT_S, what="VIP announced upstream")
        route = birdc(usock, "show", "route", "all", VIP).stdout
        assert "10.77.0.1" in route, route  # the instance's next hop

        procs.stop(dp)
        wait_until(lambda: not upstream_has_vip(usock), WAIT_S, what="withdrawn: data plane stopped")
        dp = procs.fake_dp(path=dp.sock)
        wait_until(lambda: upstream_has_vip(usock), WAIT_S, what="announced: data plane back")

        r = ctl("--json", "--agent", ag.status, "drain")
        assert r.returncode == 0 and json.loads(r.stdout)["state"] in ("draining", "drained"), r
        wait_until(lambda: not upstream_has_vip(usock), WAIT_S, what="withdrawn: drain")
        r = ctl("--json", "--agent", ag.status, "undrain")
        assert r.returncode == 0 and json.loads(r.stdout)["state"] == "active", r
        wait_until(lambda: upstream_has_vip(usock), WAIT_S, what="announced: undrain")

        assert procs.stop(ag, signal.SIGTERM) == 0
        wait_until(lambda: not upstream_has_vip(usock), WAIT_S, what="withdrawn: agent stopped")
        assert " down " in birdc(isock, "show", "protocols", "anyway_vips").stdout  # left disabled
    finally:
        procs.cleanup()
