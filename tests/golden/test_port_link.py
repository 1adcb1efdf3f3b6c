"""Port link state in `stats` (dataplane/API.md, ports[].link_up): read from
the driver when stats is answered. net_pcap ports are up once started; a
net_tap port follows its kernel interface, which the test sets down and up
again (a tap named with the test's pid, no address, removed with the data
plane)."""

import os
import subprocess
import time

import harness
from golden_common import config
from harness import Dataplane

WAIT = 20.0


def test_pcap_ports_report_link_up():
    with Dataplane(config()) as dp:
        s = dp.wait_idle()
        dp.stop()
    assert [p["link_up"] for p in s["ports"]] == [True, True], s["ports"]


def _link_up(dp, port, want):
    """Polls stats (bounded) until ports[port].link_up == want."""
    deadline = time.monotonic() + WAIT
    while True:
        got = dp.stats()["ports"][port]["link_up"]
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_tap_port_follows_its_interface(monkeypatch):
    iface = "awlk%d" % (os.getpid() % 100000)
    plain = harness.eal_args

    def with_tap(prefix, vdevs, lcores="0"):  # port 0: pcap, port 1: the tap
        return plain(prefix, vdevs + ["net_tap1,iface=%s" % iface], lcores)

    monkeypatch.setattr(harness, "eal_args", with_tap)
    c = config()
    c["ports"] = c["ports"][:1] + [{"port": 1, "mac": c["ports"][1]["mac"], "addrs": ["10.250.0.1/24"]}]
    c["routes"] = []
    c["neighbors"] = c["neighbors"][:2]
    with Dataplane(c, n_ports=1) as dp:
        up0 = _link_up(dp, 1, True)
        subprocess.run(["ip", "link", "set", iface, "down"], check=True, timeout=10)
        down = _link_up(dp, 1, False)
        subprocess.run(["ip", "link", "set", iface, "up"], check=True, timeout=10)
        up1 = _link_up(dp, 1, True)
        pcap = dp.stats()["ports"][0]["link_up"]
        dp.stop()
    assert (up0, down, up1, pcap) == (True, False, True, True)
