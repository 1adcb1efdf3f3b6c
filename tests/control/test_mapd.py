"""anyway-mapd over real sockets: the protocol of SPEC §7.1, malformed input,
TTL expiry, versions, snapshots in parts, slow subscribers."""

import json
import socket
import threading
import subprocess

import pytest

from ctlharness import LineClient, admin, free_port, prog, reg, tls_args, tls_wrap, wait_until

PID = "0123456789abcdef0123456789abcdef"
KEY = "ab" * 32


def subscriber(port, name="sub"):
    c = LineClient(("127.0.0.1", port))
    r = c.call({"op": "hello", "role": "subscriber", "name": name})
    assert r["ok"], r
    return c


def read_snapshot(c):
    """All parts of one snapshot: (version, services, relays, parts)."""
    services, relays, parts, version = [], [], 0, None
    while True:
        m = c.recv()
        assert m["op"] == "snapshot", m
        assert version is None or m["version"] == version
        version = m["version"]
        services += m["services"]
        relays += m["relays"]
        parts += 1
        if not m.get("more"):
            return version, services, relays, parts


def next_push(c):
    while True:
        m = c.recv()
        if m is None or m.get("op") != "ping":
            return m


MALFORMED = [
    (b"{not json\n", "invalid JSON"),
    (b"[1,2]\n", ""),
    (b'{"op":7}\n', "op"),
    (b'{"op":"launch"}\n', "op"),
    (b'{"op":"register","service":"asrs://a","addr":"10.0.0.1","port":"80","priority":0,"weight":1,"ttl":5}\n', "port"),
    (b'{"op":"register","service":"asrs://a","addr":"10.0.0.1","port":80,"priority":0,"weight":1}\n', "ttl"),
    (b'{"op":"register","service":"asrs://a","addr":"10.0.0.999","port":80,"priority":0,"weight":1,"ttl":5}\n', "addr"),
    (b'{"op":"register","service":"asrs://a","addr":"10.0.0.1","port":80,"priority":0,"weight":1,"ttl":5,"x":1}\n', "x"),
    (b'{"op":"relay.add","path_id":"12","tunnel_key":"' + KEY.encode() + b'","suite":1}\n', "path_id"),
    (b'{"op":"relay.add","path_id":"' + PID.encode() + b'","tunnel_key":"' + KEY.encode() + b'","suite":3}\n', "suite"),
    (b'{"op":"service.get"}\n', "service"),
    (b'{"op":"hello","role":"admin","name":"again"}\n', "hello"),
]


def test_malformed_lines_get_errors_and_the_connection_stays_usable(procs):
    m = procs.mapd()
    c = admin(m.port)
    for line, word in MALFORMED:
        c.send_raw(line)
        r = c.recv()
        assert r["ok"] is False and word in r["error"], (line, r)
        assert c.call({"op": "service.list"})["ok"] is True  # still usable
    assert c.call({"op": "service.list"})["services"] == []  # nothing of it was applied


def test_hello_first_and_roles(procs):
    m = procs.mapd()
    c = LineClient(("127.0.0.1", m.port))
    r = c.call({"op": "service.list"})
    assert r["ok"] is False and "hello" in r["error"]
    assert c.call({"op": "hello", "role": "root", "name": "x"})["ok"] is False
    assert c.call({"op": "hello", "role": "registrar", "name": "x"})["ok"] is True
    r = c.call({"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 1})
    assert r["ok"] is False and "not allowed for role registrar" in r["error"]
    assert c.call(reg("asrs://a/b", "10.0.0.1", 80))["ok"] is True


def test_oversized_line_closes_only_that_connection(procs):
    m = procs.mapd()
    other = admin(m.port)
    c = admin(m.port)
    c.send_raw(b'{"op":"service.list","pad":"' + b"x" * (1 << 20) + b'"}\n')
    r = c.recv()
    assert r["ok"] is False and "longer than" in r["error"]
    assert wait_until(lambda: c.s.recv(1) == b"", what="connection closed")
    assert other.call({"op": "service.list"})["ok"] is True


def test_snapshot_then_versioned_pushes_priority_order(procs):
    m = procs.mapd()
    a = admin(m.port)
    assert a.call(reg("asrs://shop/web", "10.0.0.2", 80, priority=20))["ok"]
    s = subscriber(m.port)
    v0, services, relays, _ = read_snapshot(s)
    assert [d["addr"] for d in services[0]["destinations"]] == ["10.0.0.2"] and relays == []
    assert a.call(reg("asrs://shop/web", "10.0.0.1", 80, priority=10))["ok"]
    assert a.call(reg("asrs://shop/web", "2001:db8::3", 8080, priority=30, weight=7))["ok"]
    p1, p2 = next_push(s), next_push(s)
    assert (p1["op"], p1["version"], p2["version"]) == ("service", v0 + 1, v0 + 2)
    assert [(d["addr"], d["priority"]) for d in p2["destinations"]] == \
        [("10.0.0.1", 10), ("10.0.0.2", 20), ("2001:db8::3", 30)]
    # a renewal with the same values pushes nothing; a deregister pushes the shorter list
    assert a.call(reg("asrs://shop/web", "10.0.0.1", 80, priority=10))["changed"] is False
    assert a.call({"op": "deregister", "service": "asrs://shop/web", "addr": "10.0.0.2", "port": 80})["ok"]
    p3 = next_push(s)
    assert p3["version"] == v0 + 3 and len(p3["destinations"]) == 2
    assert a.call({"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 2})["changed"] is True
    assert a.call({"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 2})["changed"] is False
    assert a.call({"op": "relay.del", "path_id": PID})["existed"] is True
    p4, p5 = next_push(s), next_push(s)
    assert (p4["op"], p4["version"], p5["op"], p5["version"]) == ("relay.add", v0 + 4, "relay.del", v0 + 5)
    g = a.call({"op": "service.get", "service": "asrs://shop/web"})
    assert len(g["service"]["destinations"]) == 2
    subs = a.call({"op": "subscriber.list"})["subscribers"]
    assert [x["name"] for x in subs] == ["sub"]


def test_ttl_expiry_withdraws(procs):
    m = procs.mapd()
    a = admin(m.port)
    s = subscriber(m.port)
    read_snapshot(s)
    assert a.call(reg("asrs://short/ttl", "10.0.0.9", 80, ttl=1))["ok"]
    assert next_push(s)["destinations"] != []
    gone = next_push(s)  # after about a second, with no renewal
    assert gone["service"] == "asrs://short/ttl" and gone["destinations"] == []
    assert a.call({"op": "service.list"})["services"] == []


def test_ping_every_5s(procs):
    m = procs.mapd()
    s = subscriber(m.port)
    read_snapshot(s)
    s.s.settimeout(8)
    assert s.recv() == {"op": "ping"}


def test_big_snapshot_comes_in_parts(procs):
    m = procs.mapd()
    a = admin(m.port)
    for i in range(6000):
        a.send({"op": "relay.add", "path_id": "%032x" % i, "tunnel_key": KEY, "suite": 1})
    for i in range(6000):
        assert a.recv()["ok"]
    s = subscriber(m.port)
    _, services, relays, parts = read_snapshot(s)
    assert parts >= 2 and len(relays) == 6000 and len({r["path_id"] for r in relays}) == 6000


def test_slow_subscriber_is_dropped_without_blocking_others(procs):
    m = procs.mapd(args=["--subscriber-queue", "65536"])
    a = admin(m.port)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", m.port))
    slow = tls_wrap(slow, "slow")
    slow.sendall(b'{"op":"hello","role":"subscriber","name":"slow"}\n')  # and never reads
    good = subscriber(m.port, "good")
    v0 = read_snapshot(good)[0]
    n = 30000  # ~6 MB of pushes: more than the kernel buffers and the 64 KiB queue hold
    replies = []

    def admin_side():  # sends everything, then reads the replies
        a.send_raw(b"".join((json.dumps({"op": "relay.add", "path_id": "%032x" % i, "tunnel_key": KEY,
                                         "suite": 1}) + "\n").encode() for i in range(n)))
        replies.extend(a.recv()["ok"] for _ in range(n))

    t = threading.Thread(target=admin_side, daemon=True)
    t.start()
    versions = [next_push(good)["version"] for _ in range(n)]
    t.join(60)
    assert versions == list(range(v0 + 1, v0 + n + 1))
    assert len(replies) == n and all(replies)
    r = a.call({"op": "subscriber.list"})
    assert r["dropped_behind"] >= 1 and [x["name"] for x in r["subscribers"]] == ["good"]
    slow.close()
    # it comes back and resyncs by snapshot
    again = subscriber(m.port, "slow")
    assert len(read_snapshot(again)[2]) == n


def test_ipv6_listener_and_sigterm(procs):
    port = free_port()
    p = procs.start([prog("anyway-mapd"), "--listen", "[::1]:%d" % port] + tls_args("mapd"), "mapd6")
    c = wait_until(lambda: LineClient(("::1", port)), what="IPv6 listener")
    assert c.call({"op": "hello", "role": "admin", "name": "v6"})["ok"]
    assert procs.stop(p) == 0


@pytest.mark.parametrize("args,msg", [
    (["--listen", "1.2.3:80"], "not a numeric"),
    (["--listen", "127.0.0.1:0"], "port"),
    (["--subscriber-queue", "12"], "--subscriber-queue"),
    (["--idle-timeout-s", "5"], "--idle-timeout-s: expected an integer 10..86400"),
    (["--max-per-source", "0"], "--max-per-source"),
    (["--output-budget", "1000"], "--output-budget"),
    (["--bogus"], "usage"),
])
def test_bad_options_exit_2(args, msg):
    r = subprocess.run([prog("anyway-mapd")] + tls_args("mapd") + args, capture_output=True, timeout=10)
    assert r.returncode == 2 and msg in r.stderr.decode()


def test_destination_list_is_bounded(procs):
    m = procs.mapd()
    a = admin(m.port)
    for i in range(256):
        a.send(reg("asrs://many/x", "10.0.%d.%d" % (i // 200, i % 200 + 1), 80))
    assert all(a.recv()["ok"] for _ in range(256))
    r = a.call(reg("asrs://many/x", "10.1.0.1", 80))
    assert r["ok"] is False and "already has 256 destinations" in r["error"]
    assert a.call(reg("asrs://many/x", "10.0.0.1", 80, weight=5))["ok"]  # a known one may change
    s = subscriber(m.port)
    _, services, _, _ = read_snapshot(s)
    assert len(services[0]["destinations"]) == 256


def test_a_connection_without_hello_is_closed(procs):
    m = procs.mapd(args=["--hello-timeout-s", "1"])
    idle = LineClient(("127.0.0.1", m.port))
    r = idle.recv()  # nothing sent: an error, then the close
    assert r["ok"] is False and "expected hello within 1 s" in r["error"]
    assert idle.recv() is None
    assert admin(m.port).call({"op": "service.list"})["ok"]
