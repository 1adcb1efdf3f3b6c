"""PMTU discovery through the ASRS router (SPEC §4.5): the destination sits
behind a link of MTU 1280 (host b routes to far host c with `mtu lock 1280`).
A large TCP upload from client a through the router makes b send
fragmentation needed / packet too big to the router's SNAT address; only if
the router translates it back to the client (outer and embedded headers:
the client's own packet to the VIP inside) does the client's kernel lower
its path MTU, and the transfer completes. Without translation the client
keeps sending 1500-byte segments into a black hole and the transfer times
out (bounded).

The narrow link itself is checked without ASRS in test_asrs_peers.py.
"""
import re

import pytest

from asrs_env import (FAR4, FAR6, NARROW_MTU, SVC_PREFIX6, VIP, asrs_config, asrs_network,
                      assert_conserved, dest, far_routes, icmp_unreach_received,
                      service_addr6)
from netns import PEER, PYTHON

BIG = "asrs://shop.example/big"
BIG6 = "asrs://shop.example/big6"
SINK_PORT = 9000
UPLOAD = 2 << 20


def pmtu_config():
    cfg = asrs_config(
        extra_services=[{"service": BIG, "destinations": [dest(FAR4, SINK_PORT)]},
                        {"service": BIG6, "destinations": [dest(FAR6, SINK_PORT)]}],
        extra_listeners=[{"vip": VIP, "proto": "tcp", "port": SINK_PORT, "service": BIG}])
    return far_routes(cfg)


def sink_on_far_host(net):
    net.c.spawn(PYTHON, "-u", PEER, "tcp-sink", "::", str(SINK_PORT), ready=r"^listening")


@pytest.fixture(scope="module")
def pmtu_net(request, e2e_env):
    return asrs_network(request, pmtu_config(), far=True, servers=sink_on_far_host)


@pytest.fixture(autouse=True)
def conserved(pmtu_net):
    yield
    assert_conserved(pmtu_net.dp)


def upload(net, host, seed):
    cp = net.a.run(PYTHON, PEER, "tcp-send", host, str(SINK_PORT), str(UPLOAD), str(seed),
                   timeout=45, check=False)
    assert cp.returncode == 0, \
        f"upload of {UPLOAD} bytes to {host} through the router failed (rc {cp.returncode}; " \
        f"a timeout here means the PMTU black hole: no translated ICMP reached the " \
        f"client):\n{cp.stdout}{cp.stderr}"
    lines = dict(l.split(" ", 1) for l in cp.stdout.strip().splitlines())
    assert lines["sink"] == lines["sent"], cp.stdout


def too_big_received(ns, family):
    """v4: ICMP destination unreachable (frag needed is one) received by ns;
    v6: ICMPv6 packet too big received."""
    if family == "v4":
        return icmp_unreach_received(ns)
    out = ns.run("cat", "/proc/net/snmp6").stdout
    return int(re.search(r"^Icmp6InPktTooBigs\s+(\d+)", out, re.M).group(1))


def learned_mtu(net, addr):
    """The path MTU a's kernel learned for addr (None when none)."""
    out = net.a.run("ip", "route", "get", addr).stdout
    m = re.search(r"\bmtu (?:lock )?(\d+)", out)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_pmtu_through_router(pmtu_net, family):
    """v4 through the listener VIP:9000, v6 to the service address of BIG6."""
    addr = VIP if family == "v4" else service_addr6(SVC_PREFIX6, BIG6)
    assert learned_mtu(pmtu_net, addr) is None  # nothing learned before
    icmp_before = too_big_received(pmtu_net.a, family)
    upload(pmtu_net, addr, 1 if family == "v4" else 2)
    # the client's kernel got frag needed / packet too big
    assert too_big_received(pmtu_net.a, family) > icmp_before
    assert learned_mtu(pmtu_net, addr) == NARROW_MTU, \
        f"the client never learned the narrow path's MTU for {addr}"
