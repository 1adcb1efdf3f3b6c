"""The TCP option way of naming a service (SPEC §4.2 way 2) end to end: a SYN
built with scapy in client a carries kind 253 / ExID 0x4153 / SID to
VIP:6868; the real HTTP server on b accepts it (its SYN-ACK comes back from
VIP:6868). An unknown SID gets a RST, a malformed option nothing (bad_shim).
(Kernel clients cannot add this option, hence scapy for the SYN; after the
SYN-ACK a's kernel resets the half-open connection through the router.)

Topology and config: asrs_env.py; conservation checked after every test.
"""
import pytest

from asrs_env import (ASRS_PORT, UNKNOWN, VIP, WEB, asrs_net,  # noqa: F401
                      assert_conserved, counted, syn_with_option, wait_counted)


@pytest.fixture(autouse=True)
def conserved(asrs_net):
    yield
    assert_conserved(asrs_net.dp)


def test_tcp_option_reaches_service(asrs_net):
    r = syn_with_option(asrs_net.a, VIP, ASRS_PORT, WEB)
    assert r["answer"] == "synack", r
    assert (r["src"], r["sport"], r["ack"]) == (VIP, ASRS_PORT, 1001), r


def test_tcp_option_unknown_service_rst(asrs_net):
    before = counted(asrs_net.dp.stats(), "no_service")
    r = syn_with_option(asrs_net.a, VIP, ASRS_PORT, UNKNOWN)
    assert r["answer"] == "rst" and (r["src"], r["sport"]) == (VIP, ASRS_PORT), r
    wait_counted(asrs_net.dp, "no_service", before)


def test_tcp_option_malformed_dropped(asrs_net):
    before = counted(asrs_net.dp.stats(), "bad_shim")
    r = syn_with_option(asrs_net.a, VIP, ASRS_PORT, WEB, "short")
    assert r["answer"] == "none", r
    wait_counted(asrs_net.dp, "bad_shim", before)
