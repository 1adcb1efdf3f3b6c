"""ASRS under SYN floods with real kernel TCP (issue 10), on a router with
SNAT_PORTS source ports, asrs.max_sessions = MAX_SESSIONS and a SYN-seen
timeout of 2 s:

  - a flood of raw SYNs (tests/e2e/flood_peers.py, spoofed sources of
    10.99.0.0/16, bounded in rate and time, into this test's namespaces
    only) to a plain listener exhausts the SNAT ports toward its destination
    (every further SYN then fails at once: snat_exhausted), and an
    established stream through the router keeps flowing: bytes arrive in
    every STEP_S interval of the flood (no stall);
  - with the SYN proxy on a listener, the same flood creates no session
    (the table stays at what the legitimate connections hold), every SYN is
    answered with a cookie, and curls to that listener during the flood
    succeed.
Bounds are generous (behaviour, not speed): "> 0 bytes per interval",
"all curls succeed", "sessions stay below a small number".

Topology and servers: asrs_env.py; conservation checked after every test.
"""
import json
import os

import pytest

from asrs_env import (VIP, Lines, asrs_config, asrs_network, assert_conserved,
                      counted, curl, dest, start_servers)
from netns import PYTHON, V4, wait_until

FLOOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flood_peers.py")
STREAM = "asrs://shop.example/stream"
STREAM_PORT, STREAM_DEST_PORT = 5000, 5001
PROXY_PORT = 81          # WEB behind the SYN proxy
MAX_SESSIONS = 4096
SNAT_PORTS = 1000
FLOOD_RATE, FLOOD_S = 4000, 6
STEP_S = 1.0


def flood_config():
    cfg = asrs_config(
        extra_services=[{"service": STREAM, "destinations": [dest(V4["b"], STREAM_DEST_PORT)]}],
        extra_listeners=[
            {"vip": VIP, "proto": "tcp", "port": STREAM_PORT, "service": STREAM},
            {"vip": VIP, "proto": "tcp", "port": PROXY_PORT, "service": "asrs://shop.example/web",
             "synproxy": True}])
    cfg["asrs"]["max_sessions"] = MAX_SESSIONS
    cfg["asrs"]["snat_ports"] = {"min": 20000, "max": 20000 + SNAT_PORTS - 1}
    cfg["asrs"]["timeouts"] = {"tcp_syn": 2}
    return cfg


def servers(net):
    start_servers(net)
    net.b.spawn(PYTHON, "-u", FLOOD, "stream-server", V4["b"], str(STREAM_DEST_PORT),
                str(2 * 1024 * 1024), ready=r"^listening")


@pytest.fixture(scope="module")
def flood_net(request, e2e_env):
    return asrs_network(request, flood_config(), servers=servers)


@pytest.fixture(autouse=True)
def conserved(flood_net):
    yield
    assert_conserved(flood_net.dp)


def flood(net, port):
    cp = net.a.run(PYTHON, FLOOD, "syn-flood", VIP, str(port), str(FLOOD_RATE), str(FLOOD_S),
                   timeout=FLOOD_S + 30)
    return json.loads(cp.stdout.strip().splitlines()[-1])["sent"]


def sessions(dp):
    return dp.stats()["asrs"]["sessions"]


def wait_table_drained(dp):
    wait_until(lambda: sessions(dp) <= 5, 30, interval=0.2,
               what="flood sessions to expire (tcp_syn 2 s)")


def test_established_stream_keeps_flowing_while_flood_exhausts_snat(flood_net):
    dp = flood_net.dp
    wait_table_drained(dp)
    exhausted_before = counted(dp.stats(), "snat_exhausted")
    seconds = FLOOD_S + 3
    p = flood_net.a.spawn(PYTHON, "-u", FLOOD, "stream-read", VIP, str(STREAM_PORT), str(seconds),
                          str(STEP_S))
    reader = Lines(p)
    reader.expect(r"^connected", timeout=10)
    sent = flood(flood_net, 80)
    steps = json.loads(reader.expect(r"^\{", timeout=seconds + 20))["steps"]
    assert sent >= FLOOD_RATE, f"the flood sent only {sent} SYNs"
    # the flood did exhaust the ports (else this test would prove nothing)
    st = dp.stats()
    assert counted(st, "snat_exhausted") > exhausted_before, \
        (sent, {k: v for k, v in st["drops"].items() if v})
    assert len(steps) >= FLOOD_S, steps
    stalls = [i for i, n in enumerate(steps) if n == 0]
    assert not stalls, f"the stream stalled in intervals {stalls} of {STEP_S} s: {steps}"
    wait_table_drained(dp)
    rc, body, info = curl(flood_net.a, f"http://{VIP}/")
    assert rc == 0 and body.startswith("web1"), (rc, body, info)


def test_synproxy_flood_creates_no_session_and_curls_succeed(flood_net):
    dp = flood_net.dp
    wait_table_drained(dp)
    s0 = dp.stats()
    cookies0, created0 = counted(s0, "synproxy_syn_cookies"), s0["counters"]["sessions_created"]
    p = flood_net.a.spawn(PYTHON, FLOOD, "syn-flood", VIP, str(PROXY_PORT), str(FLOOD_RATE),
                          str(FLOOD_S))
    flooder = Lines(p)
    results, peak = [], 0
    for _ in range(8):
        rc, body, info = curl(flood_net.a, f"http://{VIP}:{PROXY_PORT}/", max_time=8)
        results.append((rc, body[:40], info["stderr"]))
        peak = max(peak, sessions(dp))
    sent = json.loads(flooder.expect(r"^\{", timeout=FLOOD_S + 30))["sent"]
    s1 = dp.stats()
    assert all(r[0] == 0 and r[1].startswith("web1") for r in results), results
    assert sent >= FLOOD_RATE, f"the flood sent only {sent} SYNs"
    cookies = counted(s1, "synproxy_syn_cookies") - cookies0
    assert cookies >= sent // 2, f"{cookies} cookies for {sent} SYNs"
    created = s1["counters"]["sessions_created"] - created0
    assert created <= len(results) + 2, f"{created} sessions for {len(results)} curls"
    assert peak <= len(results) + 2, f"the session table grew to {peak} during the flood"
    assert counted(s1, "synproxy_accepted") >= len(results)
