"""ASRS error answers end to end (SPEC §4.2): a service that is unknown or has
no destination gets a TCP RST (the client's connect() is refused at once,
not timed out) or an ICMP port unreachable (the client's connected UDP socket
reports ECONNREFUSED), each counted; a malformed shim is dropped and counted.

Topology and config: asrs_env.py; conservation checked after every test.
"""
import pytest

from asrs_env import (ECHO, EMPTY, SVC_PREFIX6, UNKNOWN, VIP, asrs_net,  # noqa: F401
                      assert_conserved, assert_tcp_refused, counted, dest, service_addr6, shim_ping,
                      wait_counted)
from netns import V4


@pytest.fixture(autouse=True)
def conserved(asrs_net):
    yield
    assert_conserved(asrs_net.dp)


@pytest.fixture
def empty_service(asrs_net):
    """EMPTY known with no destination, with TCP and UDP listeners on VIP:81."""
    dp = asrs_net.dp
    dp.call("service.set", service=EMPTY, destinations=[])
    for proto in ("tcp", "udp"):
        dp.call("listener.add", vip=VIP, proto=proto, port=81, service=EMPTY)
    yield EMPTY
    for proto in ("tcp", "udp"):
        dp.api({"op": "listener.del", "vip": VIP, "proto": proto, "port": 81})
    dp.api({"op": "service.del", "service": EMPTY})


def assert_refused(net, url, *extra):
    assert_tcp_refused(net.a, url, *extra)


def test_no_destination_tcp_rst(asrs_net, empty_service):
    dp = asrs_net.dp
    before = counted(dp.stats(), "no_destination")
    assert_refused(asrs_net, f"http://{VIP}:81/")
    wait_counted(dp, "no_destination", before)


def test_no_destination_udp_port_unreachable(asrs_net, empty_service):
    dp = asrs_net.dp
    before = counted(dp.stats(), "no_destination")
    results = shim_ping(asrs_net.a, VIP, f"sid:{EMPTY}", [100])
    assert results[0]["result"] == "refused", results
    wait_counted(dp, "no_destination", before)


def test_no_service_udp_port_unreachable(asrs_net):
    dp = asrs_net.dp
    before = counted(dp.stats(), "no_service")
    for mode in ("sid", "uri"):
        results = shim_ping(asrs_net.a, VIP, f"{mode}:{UNKNOWN}", [100])
        assert results[0]["result"] == "refused", (mode, results)
    wait_counted(dp, "no_service", before + 1)


def test_no_service_tcp_rst_v6_service_address(asrs_net):
    dp = asrs_net.dp
    before = counted(dp.stats(), "no_service")
    assert_refused(asrs_net, f"http://[{service_addr6(SVC_PREFIX6, UNKNOWN)}]:80/", "-6")
    wait_counted(dp, "no_service", before)


def test_listener_to_unregistered_service(asrs_net):
    """A listener may name a service the map has not pushed (yet): RST."""
    dp = asrs_net.dp
    dp.call("listener.add", vip=VIP, proto="tcp", port=82, service=UNKNOWN)
    try:
        before = counted(dp.stats(), "no_service")
        assert_refused(asrs_net, f"http://{VIP}:82/")
        wait_counted(dp, "no_service", before)
    finally:
        dp.api({"op": "listener.del", "vip": VIP, "proto": "tcp", "port": 82})


def test_deleted_service_refused_then_restored(asrs_net):
    """service.del makes the next datagram no_service; service.set brings it back."""
    dp = asrs_net.dp
    listed = {s["service"]: s for s in dp.call("service.list")["services"]}
    dests = listed[ECHO]["destinations"]
    dp.call("service.del", service=ECHO)
    try:
        results = shim_ping(asrs_net.a, VIP, f"sid:{ECHO}", [10])
        assert results[0]["result"] == "refused", results
    finally:
        dp.call("service.set", service=ECHO,
                destinations=[dest(d["addr"], d["port"]) for d in dests])
    results = shim_ping(asrs_net.a, VIP, f"sid:{ECHO}", [10])
    assert results[0]["result"] == "ok", results


def test_bad_shim_dropped(asrs_net):
    """A shim with version 2 is malformed: no answer at all, bad_shim counted."""
    dp = asrs_net.dp
    before = counted(dp.stats(), "bad_shim")
    results = shim_ping(asrs_net.a, VIP, f"badver:{ECHO}", [10])
    assert results[0]["result"] == "timeout", results
    wait_counted(dp, "bad_shim", before + 2)  # three tries, all dropped


def test_unknown_listener_port_not_served(asrs_net):
    """TCP to a VIP port with no listener (and not the ASRS port) names no
    service: refused, never forwarded."""
    dp = asrs_net.dp
    before = counted(dp.stats(), "no_service")
    assert_refused(asrs_net, f"http://{VIP}:83/")
    wait_counted(dp, "no_service", before)


def test_destination_port_unreachable_reaches_client(asrs_net):
    """The service exists but nothing listens at its destination: b's kernel
    answers port unreachable to the SNAT address, the router translates it
    (SPEC §4.5) and the client's connected socket sees ECONNREFUSED. Not the
    router's own refusal: its no_service / no_destination counters stay."""
    dp = asrs_net.dp
    dead = "asrs://shop.example/dead"
    dp.call("service.set", service=dead, destinations=[dest(V4["b"], 9)])
    try:
        s0 = dp.stats()
        results = shim_ping(asrs_net.a, VIP, f"sid:{dead}", [10])
        assert results[0]["result"] == "refused", results
        s1 = dp.settled_stats()
        for name in ("no_service", "no_destination"):
            assert counted(s1, name) == counted(s0, name), name
    finally:
        dp.api({"op": "service.del", "service": dead})
