"""AARP responder and instance alias end to end (SPEC §4.6): ping to an AARP
VIP is answered from the router's unicast address on the port the request
came in on; service traffic to that unicast address (listener ports, ASRS
port) is served exactly like traffic to the VIP. And the whole seed-001 flow:
probe the anycast address with ping, then connect to the address that
answered.

Topology and config: asrs_env.py; conservation checked after every test.
"""
import re

import pytest

from asrs_env import (ECHO, SNAT4, SNAT6, VIP, VIP6_AARP, VIP_AARP, asrs_net,  # noqa: F401
                      assert_conserved, counter, curl, shim_ping, who)
from netns import V4, V6

REPLY_RE = re.compile(r"^\d+ bytes from ([0-9a-f.:]+?):? icmp_seq=", re.M)


@pytest.fixture(autouse=True)
def conserved(asrs_net):
    yield
    assert_conserved(asrs_net.dp)


def echo_sources(ns, addr, count=3):
    """Pings addr; returns the source address of every echo reply."""
    rc, out = ns.ping(addr, count=count)
    assert rc == 0, f"ping {addr} from {ns.name}: rc {rc}\n{out}"
    return REPLY_RE.findall(out), out


@pytest.mark.parametrize("side", ["a", "b"])
def test_aarp_ping_v4_answered_from_ingress_unicast(asrs_net, side):
    ns = getattr(asrs_net, side)
    unicast = V4["dp0"] if side == "a" else V4["dp1"]
    before = counter(asrs_net.dp.stats(), "echo_replies")
    sources, out = echo_sources(ns, VIP_AARP)
    assert sources == [unicast] * 3, f"replies came from {sources}, expected {unicast}\n{out}"
    assert counter(asrs_net.dp.stats(), "echo_replies") >= before + 3


def test_aarp_ping_v6_answered_from_ingress_unicast(asrs_net):
    sources, out = echo_sources(asrs_net.a, VIP6_AARP)
    assert sources == [V6["dp0"]] * 3, out


def test_plain_vip_ping_answered_from_vip(asrs_net):
    """Contrast: a VIP without aarp answers from itself."""
    sources, out = echo_sources(asrs_net.a, VIP)
    assert sources == [VIP] * 3, out


def test_unicast_alias_tcp_listener_v4(asrs_net):
    """TCP to the router's unicast address on a listener port of the AARP VIP
    reaches the service like VIP:80 does."""
    rc, body, info = curl(asrs_net.a, f"http://{V4['dp0']}/")
    assert rc == 0, f"curl to the unicast alias: rc {rc}: {info['stderr']}"
    assert who(body)[:2] == ("web1", SNAT4), body
    assert info["remote_ip"] == V4["dp0"], info


def test_unicast_alias_tcp_listener_v6(asrs_net):
    rc, body, info = curl(asrs_net.a, f"http://[{V6['dp0']}]/", "-6")
    assert rc == 0, f"curl to the unicast alias: rc {rc}: {info['stderr']}"
    assert who(body)[:2] == ("web1", SNAT6), body


def test_unicast_alias_udp_shim(asrs_net):
    """UDP with the shim to the unicast address on the ASRS port."""
    results = shim_ping(asrs_net.a, V4["dp0"], f"sid:{ECHO}", [1, 200, 1000])
    assert [r["result"] for r in results] == ["ok"] * 3, results


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_probe_then_connect(asrs_net, family):
    """Seed 001's flow: ping the anycast VIP, learn the instance's unicast
    address from the reply, open HTTP to that address."""
    vip = VIP_AARP if family == "v4" else VIP6_AARP
    sources, out = echo_sources(asrs_net.a, vip, count=1)
    assert len(sources) == 1 and sources[0] != vip, out
    host = sources[0] if family == "v4" else f"[{sources[0]}]"
    rc, body, info = curl(asrs_net.a, f"http://{host}/")
    assert rc == 0, f"curl to {host} learned from ping: rc {rc}: {info['stderr']}"
    assert who(body)[:2] == ("web1", SNAT4 if family == "v4" else SNAT6), body
