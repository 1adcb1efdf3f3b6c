"""Self-checks of the ASRS end-to-end harness, without ASRS: the shim and
service ID built in Python match SPEC §4.1/§4.2 byte for byte, and the
servers, clients and the narrow link of asrs_env.py behave as the ASRS tests
assume when the data plane only routes (client a talks to b and c directly).
They also show that the ASRS tests' checks can fail: the shim client reports
an unstripped shim as a mismatch, a closed UDP port as refused, curl a RST
as "refused".
"""
import re

import pytest

from asrs_env import (ECHO, FAR4, FAR6, HTTP_PORT, NARROW_MTU, W1_PORT, Hold,
                      assert_conserved, assert_tcp_refused, asrs_network, curl, far_routes,
                      icmp_unreach_received, shim_ping, spawn_peer, syn_with_option, who)
from asrs_peers import build_shim, service_addr6, sid_of
from netns import PEER, PYTHON, V4, V6, base_config

SINK_PORT = 9000


def servers(net):
    net.web = spawn_peer(net.b, "http", "web1", "::", HTTP_PORT)
    net.echo = spawn_peer(net.b, "udp-echo", "echo1", "::", 7000)
    net.w1 = spawn_peer(net.b, "who", "w1", "::", W1_PORT)
    net.c.spawn(PYTHON, "-u", PEER, "tcp-sink", "::", str(SINK_PORT), ready=r"^listening")


@pytest.fixture(scope="module")
def plain_net(request, e2e_env):
    """Routing only (no ASRS keys), with the far host behind b."""
    return asrs_network(request, far_routes(base_config()), far=True, servers=servers)


@pytest.fixture(autouse=True)
def conserved(request):
    yield
    if "plain_net" in request.fixturenames:
        assert_conserved(request.getfixturevalue("plain_net").dp)


# --------------------------------------------------------------------------
# the spec's formats, no network


def test_sid_known_value():
    # the value lib/asrs's unit test also uses (tests/unit/asrs/test_sid.c)
    assert sid_of("asrs://shop.example/web") == 0xc6251832bd2b33f2


def test_shim_without_uri_layout():
    shim = build_shim(sid=0x0102030405060708)
    assert shim == bytes([0x41, 0x53, 1, 0, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])


@pytest.mark.parametrize("uri,hdr_len", [("a", 20), ("asrs://x/yz", 32),
                                         ("asrs://shop.example/web", 44)])
def test_shim_with_uri_layout(uri, hdr_len):
    for sid_field in (0, sid_of(uri)):
        shim = build_shim(uri=uri, sid_field=sid_field)
        assert len(shim) == hdr_len and hdr_len % 4 == 0
        assert shim[:4] == b"AS\x01\x01"
        assert int.from_bytes(shim[4:6], "big") == hdr_len
        assert shim[6:8] == b"\0\0"
        assert int.from_bytes(shim[8:16], "big") == sid_field
        assert int.from_bytes(shim[16:18], "big") == len(uri)
        assert shim[18:18 + len(uri)] == uri.encode()
        assert set(shim[18 + len(uri):]) <= {0}


def test_service_address6():
    assert service_addr6("2001:db8:a5::/64", "asrs://shop.example/web") == \
        "2001:db8:a5:0:c625:1832:bd2b:33f2"


# --------------------------------------------------------------------------
# the peers and the topology, through plain routing


def test_http_server_reports_client(plain_net):
    rc, body, info = curl(plain_net.a, f"http://{V4['b']}:{HTTP_PORT}/")
    assert rc == 0, info
    assert who(body) == ("web1", V4["a"], info["local_port"]), (body, info)
    rc, body, info = curl(plain_net.a, f"http://[{V6['b']}]:{HTTP_PORT}/", "-6")
    assert rc == 0, info
    assert who(body)[:2] == ("web1", V6["a"]), body


def test_tcp_refused_tells_rst_from_icmp(plain_net):
    # b's kernel answers a SYN to a closed port with a RST
    assert_tcp_refused(plain_net.a, f"http://{V4['b']}:1/")
    assert_tcp_refused(plain_net.a, f"http://[{V6['b']}]:1/", "-6")
    # an ICMP unreachable instead (b's prohibit route) is told apart
    before = icmp_unreach_received(plain_net.a)
    plain_net.b.run("ip", "route", "add", "prohibit", "198.51.100.77/32")
    try:
        rc, _, info = curl(plain_net.a, "http://198.51.100.77:1/")
    finally:
        plain_net.b.run("ip", "route", "del", "prohibit", "198.51.100.77/32")
    assert rc == 7, info
    assert icmp_unreach_received(plain_net.a) > before


def test_hold_keeps_one_connection(plain_net):
    h = Hold(plain_net.a, V4["b"], W1_PORT)
    try:
        for text in ("one", "two"):
            assert h.ask(text) == f"w1 {V4['a']} {h.local_port} {text}"
    finally:
        h.close()


def test_udp_echo_reports_source(plain_net):
    plain_net.echo.drain()
    cp = plain_net.a.run(PYTHON, PEER, "udp-ping", V4["b"], "7000", "5", timeout=15)
    assert cp.returncode == 0, cp.stdout
    line = plain_net.echo.expect(r"^got ")
    parts = line.split()
    assert (parts[1], parts[3]) == (V4["a"], "5"), line


def test_shim_client_sees_unstripped_shim_and_refusal(plain_net):
    plain_net.echo.drain()
    # the echo server returns shim + payload: not what an ASRS reply must be
    results = shim_ping(plain_net.a, V4["b"], f"sid:{ECHO}", [10], port=7000)
    assert results == [{"size": 10, "result": "mismatch", "ttl": 63}], results
    line = plain_net.echo.expect(r"^got ")
    assert line.endswith(" ttl=63"), line  # one hop: the TTLs are read right
    # nothing listens on b's port 6868: b's kernel answers port unreachable
    results = shim_ping(plain_net.a, V4["b"], f"uri:{ECHO}", [10])
    assert [r["result"] for r in results] == ["refused"], results


def test_synopt_client(plain_net):
    """The scapy SYN with the ASRS option: a listening port answers SYN-ACK
    (Linux ignores the unknown option), a closed one RST."""
    r = syn_with_option(plain_net.a, V4["b"], W1_PORT, ECHO)
    assert (r["answer"], r["src"], r["sport"], r["ack"]) == ("synack", V4["b"], W1_PORT, 1001), r
    r = syn_with_option(plain_net.a, V4["b"], 1, ECHO, "short")
    assert (r["answer"], r["src"]) == ("rst", V4["b"]), r


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_far_host_narrow_link(plain_net, family):
    """b answers big DF packets to c with frag needed / packet too big (MTU
    1280), a's kernel learns it, and an upload still completes."""
    far = FAR4 if family == "v4" else FAR6
    rc, out = plain_net.a.ping(far, count=1, size=1400, v6=family == "v6")
    assert rc != 0 and re.search(r"(Frag needed.*mtu = |Packet too big: mtu=)"
                                 rf"{NARROW_MTU}", out), out
    cp = plain_net.a.run(PYTHON, PEER, "tcp-send", far, str(SINK_PORT), str(1 << 20), "5",
                         timeout=45)
    lines = dict(l.split(" ", 1) for l in cp.stdout.strip().splitlines())
    assert lines["sink"] == lines["sent"], cp.stdout
    out = plain_net.a.run("ip", "route", "get", far).stdout
    assert re.search(rf"\bmtu (lock )?{NARROW_MTU}\b", out), out
