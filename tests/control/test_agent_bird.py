"""anyway-agent announcing the VIPs through a real BIRD 2 by health (SPEC §8,
control/PROTOCOL.md "Announcing the VIPs"): the agent enables BIRD's static
protocol of the VIP routes while the data plane answers and it is synced with
a map server, and disables it when the data plane stops, on drain and when the
agent stops (SIGTERM). BIRD runs here with the static protocol only (no BGP
peer); the routes are read back with birdc. Skipped when bird2 is not
installed (tests/install_deps.sh installs it)."""

import json
import shutil
import urllib.request
import signal
import subprocess

import pytest

from ctlharness import LineClient, agent_status, free_port, wait_until
from test_ctl import ctl

BIRD, BIRDC = shutil.which("bird"), shutil.which("birdc")
pytestmark = pytest.mark.skipif(BIRD is None or BIRDC is None, reason="bird2 not installed")

CONF = """router id 192.0.2.1;
protocol static anyway_vips {
	disabled;
	ipv4;
	route 203.0.113.10/32 blackhole;
}
"""


def start_bird(procs):
    conf = procs.dir / "bird.conf"
    conf.write_text(CONF)
    sock = str(procs.dir / "bird.ctl")
    p = procs.start([BIRD, "-f", "-c", str(conf), "-s", sock, "-P", str(procs.dir / "bird.pid")], "bird")
    p.sock = sock
    wait_until(lambda: birdc(p, "show status").returncode == 0 or p.poll() is not None, what="bird up")
    assert p.poll() is None, procs.log(p)
    return p


def birdc(b, *cmd):
    return subprocess.run([BIRDC, "-s", b.sock, *cmd], capture_output=True, text=True, timeout=10)


def announced(b):
    return "203.0.113.10/32" in birdc(b, "show", "route").stdout


def set_sessions(dp, n):
    c = LineClient(dp.sock)
    try:
        assert c.call({"op": "set_sessions", "n": n})["ok"]
    finally:
        c.close()


def test_vips_follow_health_drain_and_stop(procs):
    b = start_bird(procs)
    assert not announced(b)
    m = procs.mapd()
    dp = procs.fake_dp(args=["--vip", "203.0.113.10"])
    mport = free_port()
    ag = procs.agent([m.port], dp.sock, args=["--instance-id", "inst-a", "--underlay", "10.9.0.1",
                                              "--bird-socket", b.sock, "--bird-protocol", "anyway_vips",
                                              "--drain-timeout-s", "60", "--metrics", "127.0.0.1:%d" % mport])
    wait_until(lambda: announced(b), what="VIP announced")
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as r:
        text = r.read().decode()
    assert "\nanyway_agent_vips_announced 1\n" in text and "\nanyway_agent_drain_state 0\n" in text, text
    st = agent_status(ag.status)["bird"]
    assert st["announced"] and st["reason"] == "healthy", st
    wait_until(lambda: agent_status(ag.status)["bird"]["vips"] == ["203.0.113.10"], what="VIPs read")

    # the data plane stops: withdrawn; back: announced again
    procs.stop(dp)
    wait_until(lambda: not announced(b), what="VIP withdrawn after the data plane stopped")
    assert agent_status(ag.status)["bird"]["reason"] == "data plane not answering"
    dp = procs.fake_dp(path=dp.sock)
    wait_until(lambda: announced(b), what="VIP announced again")

    # drain: withdrawn at once, draining until the sessions end, then drained
    set_sessions(dp, 3)
    r = ctl("--json", "--agent", ag.status, "drain")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["state"] == "draining" and got["changed"] is True, got
    # the withdrawal is on its way at the reply (BIRD's exchange runs on the agent's loop)
    wait_until(lambda: not announced(b) and not agent_status(ag.status)["bird"]["announced"],
               what="VIP withdrawn on drain")
    lst = LineClient(("127.0.0.1", m.port), tls="admin")
    lst.call({"op": "hello", "role": "admin", "name": "admin"})
    wait_until(lambda: lst.call({"op": "member.list"})["members"][0]["state"] == "draining",
               what="registered as draining")
    assert agent_status(ag.status)["cluster"]["state"] == "draining"
    set_sessions(dp, 0)
    wait_until(lambda: agent_status(ag.status)["cluster"]["state"] == "drained", what="drained")
    assert not announced(b)
    r = ctl("--json", "--agent", ag.status, "undrain")
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "active", (r.stdout, r.stderr)
    wait_until(lambda: announced(b), what="VIP announced after undrain")
    wait_until(lambda: lst.call({"op": "member.list"})["members"][0]["state"] == "active",
               what="registered as active")
    lst.close()

    # the agent stops: withdrawn before it exits
    assert procs.stop(ag, signal.SIGTERM) == 0
    assert not announced(b)
    log = procs.log(ag)
    # at start (never synced yet), data plane stopped, drain, stop
    assert log.count("bird: VIPs withdrawn") == 4, log
    assert "bird: VIPs withdrawn (protocol anyway_vips disabled): agent stopping" in log


def test_bird_unreachable_is_counted_and_retried(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--bird-socket", str(procs.dir / "no-bird.ctl"),
                                              "--bird-protocol", "anyway_vips"])
    wait_until(lambda: agent_status(ag.status)["bird"]["errors"] >= 2, what="retries counted")
    st = agent_status(ag.status)["bird"]
    assert not st["announced"] and "connect" in st["last_error"], st
    log = procs.log(ag)
    assert log.count("anyway_vips failed: connect") == 1, log  # one line per distinct error


def test_bird_restart_announces_again(procs):
    b = start_bird(procs)
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--bird-socket", b.sock, "--bird-protocol", "anyway_vips"])
    wait_until(lambda: announced(b), what="VIP announced")
    procs.stop(b)  # its config has the protocol disabled: a restarted BIRD announces nothing
    b = start_bird(procs)
    wait_until(lambda: announced(b), what="VIP announced again by the agent after BIRD's restart")
    wait_until(lambda: agent_status(ag.status)["bird"]["announced"], what="status announced")
