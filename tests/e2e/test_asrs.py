"""ASRS service router end to end (SPEC §4): real clients in namespace a reach
real servers in namespace b through the data plane's full NAT, by every way a
packet can name its service (listener, UDP shim with and without URI, IPv6
service address), and keep their server when the service moves.

Topology and config: asrs_env.py. One data plane (one lcore, af_packet) per
module; after every test the stats must conserve packets
(rx == tx + drops + consumed).
"""
import hashlib
import json

import pytest

from asrs_env import (ASRS_PORT, ECHO, ECHO2_PORT, ECHO6, ECHO_PORT, MOVE, MOVE_PORT, SNAT4,
                      SNAT6, SVC_PREFIX6, VIP, VIP6_AARP, W1_PORT, W2_ADDR, W2_PORT, WEB, WEB6,
                      Hold,
                      asrs_net,  # noqa: F401 (fixture)
                      assert_conserved, assert_tcp_refused, curl, dest, service_addr6, shim_ping,
                      who, who_many)
from netns import PEER, PYTHON, V4


@pytest.fixture(autouse=True)
def conserved(asrs_net):
    yield
    assert_conserved(asrs_net.dp)


def served_by(net, url, *extra):
    """curl from a; returns (server name, client address the server saw)."""
    rc, body, info = curl(net.a, url, *extra)
    assert rc == 0, f"curl {url}: rc {rc}: {info['stderr']}"
    name, client, _ = who(body)
    return name, client, info


# --------------------------------------------------------------------------
# listener (SPEC §4.2 way 4)


def test_curl_listener_vip(asrs_net):
    """curl to VIP:80 reaches the HTTP server on b; the server sees the
    router's SNAT address, the client sees the VIP."""
    name, client, info = served_by(asrs_net, f"http://{VIP}/")
    assert name == "web1"
    assert client == SNAT4, f"server saw {client}, expected the SNAT address {SNAT4}"
    assert info["remote_ip"] == VIP, info


def test_curl6_listener_vip(asrs_net):
    """The same over IPv6: a v6 VIP's listener, a v6 destination."""
    name, client, info = served_by(asrs_net, f"http://[{VIP6_AARP}]/", "-6")
    assert (name, client) == ("web1", SNAT6)
    assert info["remote_ip"] == VIP6_AARP, info


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_large_download_through_nat(asrs_net, family):
    """8 MiB from the server through the NAT (thousands of rewritten
    segments each way; the kernels check every TCP checksum)."""
    from asrs_peers import payload
    host = VIP if family == "v4" else f"[{service_addr6(SVC_PREFIX6, WEB6)}]"
    n = 8 << 20
    out = asrs_net.topo.tmp / f"blob-{family}"
    rc, body, info = curl(asrs_net.a, f"http://{host}/blob/{n}", "-o", str(out), max_time=60)
    assert rc == 0, info
    got = out.read_bytes()
    out.unlink()
    assert len(got) == n and hashlib.sha256(got).digest() == \
        hashlib.sha256(payload(n, 0)).digest(), f"{len(got)} bytes, content differs"


def test_runtime_vip_and_listener(asrs_net):
    """A VIP and a listener added through the API serve like configured ones;
    after listener.del the port names no service (RST)."""
    dp, vip = asrs_net.dp, "203.0.113.30"
    dp.call("vip.add", addr=vip)
    try:
        dp.call("listener.add", vip=vip, proto="tcp", port=8088, service=WEB)
        name, client, info = served_by(asrs_net, f"http://{vip}:8088/")
        assert (name, client, info["remote_ip"]) == ("web1", SNAT4, vip)
        dp.call("listener.del", vip=vip, proto="tcp", port=8088)
        assert_tcp_refused(asrs_net.a, f"http://{vip}:8088/")
    finally:
        dp.api({"op": "listener.del", "vip": vip, "proto": "tcp", "port": 8088})
        dp.api({"op": "vip.del", "addr": vip})


def test_curl_listener_many_connections(asrs_net):
    """Sequential connections (new session each, old ones closing) all work."""
    for i in range(20):
        name, client, _ = served_by(asrs_net, f"http://{VIP}/n{i}")
        assert (name, client) == ("web1", SNAT4), i


def test_udp_listener_plain_client(asrs_net):
    """A client that knows nothing of ASRS: plain UDP to a UDP listener."""
    asrs_net.echo.drain()
    cp = asrs_net.a.run(PYTHON, PEER, "udp-ping", VIP, str(ECHO_PORT), "1,100,1000,1472",
                        timeout=30, check=False)
    results = json.loads(cp.stdout.strip().splitlines()[-1])
    assert all(r["ok"] for r in results), results
    line = asrs_net.echo.expect(r"^got ", timeout=5)
    assert line.split()[1] == SNAT4, line


# --------------------------------------------------------------------------
# UDP shim (SPEC §4.2 way 1)


@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("mode", ["sid", "uri", "urisid"])
def test_udp_shim_echo(asrs_net, mode, family):
    """UDP to VIP:6868 with the shim (SID only; URI with SID field 0; URI with
    its SID): the server gets the payload without the shim, from the SNAT
    address; the echo comes back from VIP:6868 without a shim. (v6: to the
    v6 VIP, service with a v6 destination.)"""
    vip, uri, snat = (VIP, ECHO, SNAT4) if family == "v4" else (VIP6_AARP, ECHO6, SNAT6)
    sizes = [1, 64, 512, 1400]
    asrs_net.echo.drain()
    results = shim_ping(asrs_net.a, vip, f"{mode}:{uri}", sizes)
    assert [r["result"] for r in results] == ["ok"] * len(sizes), results
    # one router hop each way: 64 - 1 (SPEC §4.4: TTL decremented)
    assert [r["ttl"] for r in results] == [63] * len(sizes), results
    from asrs_peers import payload
    for i, size in enumerate(sizes):
        line = asrs_net.echo.expect(rf"^got \S+ \d+ {size} ", timeout=5)
        _, src, _, n, head, _, ttl = line.split()
        assert src == snat and ttl == "ttl=63", line
        assert bytes.fromhex(head) == payload(size, i)[:16], \
            f"server got {head}, not the payload (shim not removed?)"


# --------------------------------------------------------------------------
# IPv6 service address (SPEC §4.2 way 3)


@pytest.mark.parametrize("port", [80, 31337])
def test_curl6_service_address(asrs_net, port):
    """curl -6 to service_prefix6 + SID(web6), any port: reaches the server
    (its port 8080) from the v6 SNAT address."""
    addr = service_addr6(SVC_PREFIX6, WEB6)
    name, client, info = served_by(asrs_net, f"http://[{addr}]:{port}/", "-6")
    assert (name, client) == ("web1", SNAT6)
    assert info["remote_ip"] == addr, info


def test_udp6_service_address_plain_client(asrs_net):
    """A plain UDP client (no shim) to service_prefix6 + SID(echo6), any port."""
    addr = service_addr6(SVC_PREFIX6, ECHO6)
    asrs_net.echo.drain()
    cp = asrs_net.a.run(PYTHON, PEER, "udp-ping", addr, "5353", "1,100,1000,1452",
                        timeout=30, check=False)
    results = json.loads(cp.stdout.strip().splitlines()[-1])
    assert all(r["ok"] for r in results), results
    line = asrs_net.echo.expect(r"^got ", timeout=5)
    assert line.split()[1] == SNAT6, line


# --------------------------------------------------------------------------
# moving a service (SPEC §4.3: sessions keep their destination)


def test_service_moved_keeps_open_connection(asrs_net):
    net, dp = asrs_net, asrs_net.dp
    old = Hold(net.a, VIP, MOVE_PORT)
    try:
        assert old.ask("before").split()[:2] == ["w1", SNAT4]
        r = dp.call("service.set", service=MOVE, destinations=[dest(W2_ADDR, W2_PORT)])
        assert r["service"] == MOVE, r
        listed = {s["service"]: s for s in dp.call("service.list")["services"]}
        assert [(d["addr"], d["port"]) for d in listed[MOVE]["destinations"]] == \
            [(W2_ADDR, W2_PORT)], listed[MOVE]
        # the open connection keeps its server, both ways
        assert old.ask("after-1").split()[0] == "w1"
        # a new connection reaches the new server
        new = Hold(net.a, VIP, MOVE_PORT)
        try:
            assert new.ask("new").split()[:2] == ["w2", SNAT4]
            assert old.ask("after-2").split()[0] == "w1"
            # the table says the same (API.md: endpoints "ADDR:PORT")
            assert session_of(dp, old.local_port)["destination"] == f"{V4['b']}:{W1_PORT}"
            assert session_of(dp, new.local_port)["destination"] == f"{W2_ADDR}:{W2_PORT}"
        finally:
            new.close()
        assert old.ask("after-3").split()[0] == "w1"
    finally:
        old.close()
        dp.call("service.set", service=MOVE, destinations=[dest(V4["b"], W1_PORT)])


def test_udp_service_moved_keeps_session(asrs_net):
    """The same for a UDP shim session: datagrams of the open socket keep
    going to echo1 after the move, a new socket's reach echo2."""
    net, dp = asrs_net, asrs_net.dp
    uri = "asrs://shop.example/echo-move"
    dp.call("service.set", service=uri, destinations=[dest(V4["b"], ECHO_PORT)])
    net.echo.drain()
    net.echo2.drain()
    old = Hold(net.a, VIP, ASRS_PORT, shim_mode=f"sid:{uri}")
    try:
        assert old.ask("u-before") == "u-before"
        assert net.echo.expect(r"^got ").split()[5] == "echo1"
        dp.call("service.set", service=uri, destinations=[dest(W2_ADDR, ECHO2_PORT)])
        assert old.ask("u-after") == "u-after"
        assert net.echo.expect(r"^got \S+ \d+ 7 ").split()[5] == "echo1"  # len("u-after")
        new = Hold(net.a, VIP, ASRS_PORT, shim_mode=f"sid:{uri}")
        try:
            assert new.ask("u-new") == "u-new"
            assert net.echo2.expect(r"^got ").split()[5] == "echo2"
        finally:
            new.close()
        assert old.ask("u-after-2") == "u-after-2"
        assert net.echo.expect(r"^got \S+ \d+ 9 ").split()[5] == "echo1"
    finally:
        old.close()
        dp.api({"op": "service.del", "service": uri})


def test_service_moved_back(asrs_net):
    """After the move test restored the map, new connections reach w1 again."""
    h = Hold(asrs_net.a, VIP, MOVE_PORT)
    try:
        assert h.ask("x").split()[0] == "w1"
    finally:
        h.close()


# --------------------------------------------------------------------------
# destination choice (SPEC §4.3): priority groups, weighted Maglev


PAIR = "asrs://shop.example/pair"
PAIR_PORT = 8001
W1, W2 = (V4["b"], W1_PORT), (W2_ADDR, W2_PORT)


@pytest.fixture
def pair(asrs_net):
    """PAIR on VIP:8001; set_dests(...) replaces its destinations."""
    dp = asrs_net.dp
    dp.call("listener.add", vip=VIP, proto="tcp", port=PAIR_PORT, service=PAIR)

    def set_dests(*dests):
        dp.call("service.set", service=PAIR, destinations=[
            dest(addr, port, priority=prio, weight=weight)
            for (addr, port), prio, weight in dests])

    yield set_dests
    dp.api({"op": "listener.del", "vip": VIP, "proto": "tcp", "port": PAIR_PORT})
    dp.api({"op": "service.del", "service": PAIR})


def test_priority_groups_and_failover(asrs_net, pair):
    """Lower priority value preferred; when that group is gone, the next."""
    pair((W1, 10, 100), (W2, 20, 100))
    assert who_many(asrs_net.a, VIP, PAIR_PORT, 16) == {"w1": 16}
    pair((W1, 30, 100), (W2, 20, 100))
    assert who_many(asrs_net.a, VIP, PAIR_PORT, 16) == {"w2": 16}
    pair((W1, 30, 100))  # the preferred group (20) emptied
    assert who_many(asrs_net.a, VIP, PAIR_PORT, 16) == {"w1": 16}


def test_weights_spread_connections(asrs_net, pair):
    """Equal weights: both servers get connections (ephemeral client ports
    differ); weight 1:3: the heavier one gets more. (Counts of 64
    connections; P(all on one of two equal servers) = 2^-63.)"""
    pair((W1, 0, 100), (W2, 0, 100))
    equal = who_many(asrs_net.a, VIP, PAIR_PORT, 64)
    assert set(equal) == {"w1", "w2"}, equal
    pair((W1, 0, 100), (W2, 0, 300))
    skewed = who_many(asrs_net.a, VIP, PAIR_PORT, 64)
    # expected 16 : 48; w2 <= w1 is more than 6 standard deviations away
    assert skewed.get("w2", 0) > skewed.get("w1", 0), skewed


# --------------------------------------------------------------------------
# API views


def test_service_and_listener_lists(asrs_net):
    from asrs_peers import sid_of
    dp = asrs_net.dp
    services = {s["service"]: s for s in dp.call("service.list")["services"]}
    for uri in (WEB, WEB6, ECHO, MOVE):
        assert uri in services, services
        assert int(services[uri]["sid"], 16) == sid_of(uri), services[uri]
    listeners = dp.call("listener.list")["listeners"]
    assert {"vip": VIP, "proto": "tcp", "port": 80, "service": WEB} in listeners, listeners


def session_of(dp, client_port, client=V4["a"]):
    """The session.list entry of client:client_port (asserts there is one)."""
    sessions = dp.call("session.list", limit=10000)["sessions"]
    mine = [s for s in sessions if s.get("client") == f"{client}:{client_port}"]
    assert len(mine) == 1, (client_port, sessions)
    return mine[0]


def test_session_list_shows_a_session(asrs_net):
    """An open connection appears in session.list as what it is."""
    h = Hold(asrs_net.a, VIP, MOVE_PORT)
    try:
        server_saw = h.ask("hello").split()
        s = session_of(asrs_net.dp, h.local_port)
        assert (s["proto"], s["vip"], s["service"], s["state"]) == \
            ("tcp", f"{VIP}:{MOVE_PORT}", MOVE, "established"), s
        assert s["snat"] == f"{server_saw[1]}:{server_saw[2]}", (s, server_saw)
        assert s["destination"] == f"{V4['b']}:{W1_PORT}", s
        assert isinstance(s["idle_s"], (int, float)) and s["idle_s"] >= 0, s
    finally:
        h.close()
