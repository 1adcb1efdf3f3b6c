"""anyway-mapd under abusive or careless clients (issue 10): idle timeout after
hello, partial-line and slow-subscriber memory bounds, per-source connection
limit, fd exhaustion. Real anyway-mapd on loopback; memory and CPU come from
/proc with generous bounds (behaviour, not timing)."""

import json
import os
import socket
import ssl
import time

from ctlharness import LineClient, admin, agent_status, tls_wrap, wait_until

WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

KEY = "ab" * 32


def proc_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def slack(pid):
    """Memory bounds are for the normal build; ASan's shadow and allocator double them."""
    with open("/proc/%d/maps" % pid) as f:
        return 2 if "libasan" in f.read() else 1


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def limits(port):
    a = admin(port)
    try:
        r = a.call({"op": "subscriber.list"})
    finally:
        a.close()
    assert r["ok"], r
    return r["limits"]


def closed(s):
    """True once the peer closed s (EOF or reset); lines before the EOF are read."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except WOULD_BLOCK:
        return False
    except OSError:
        return True


def raw(port, hello=None, src=None):
    s = socket.socket()
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if hello:  # a TLS client (the control port's transport); without hello: raw TCP
        s = tls_wrap(s, "admin")
        s.sendall((json.dumps({"op": "hello", "role": hello, "name": "t"}) + "\n").encode())
    return s


def test_idle_connections_are_closed_pinging_subscribers_kept(procs):
    m = procs.mapd(args=["--idle-timeout-s", "10"])
    quiet_admin = raw(m.port, "admin")
    quiet_sub = raw(m.port, "subscriber")  # reads, never answers pings
    live = LineClient(("127.0.0.1", m.port))
    assert live.call({"op": "hello", "role": "subscriber", "name": "live"})["ok"]
    pings = 0
    end = time.monotonic() + 14
    while time.monotonic() < end:  # answers each ping, as anyway-agent does
        msg = live.recv()
        if msg.get("op") == "ping":
            pings += 1
            live.send({"op": "ping"})
    assert pings >= 2
    for s in (quiet_admin, quiet_sub):
        s.setblocking(False)
        assert closed(s)
    live.send({"op": "ping"})
    while True:
        r = live.recv()
        if r.get("op") != "ping" and "ok" in r:
            break
    assert r["ok"] and r.get("pong")
    assert limits(m.port)["closed_idle"] == 2


def test_agent_keeps_its_subscription_past_the_idle_timeout(procs):
    m = procs.mapd(args=["--idle-timeout-s", "10"])
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["state"] == "synced", what="agent synced")
    time.sleep(14)  # past the idle timeout: it answered the pings
    st = agent_status(ag.status)["mapds"][0]
    assert st["state"] == "synced" and st["connects"] == 1, st
    assert limits(m.port)["closed_idle"] == 0


def test_partial_line_abuse_keeps_memory_bounded(procs):
    m = procs.mapd(args=["--max-per-source", "1000", "--max-clients", "1000"])
    base_kb = proc_kb(m.pid, "VmRSS")
    n, size = 300, 1_000_000  # 300 MB held if nothing bounded it
    socks = [raw(m.port, "admin") for _ in range(n)]
    for s in socks:
        s.setblocking(False)
    chunk = b"x" * 65536
    sent = [0] * n
    end = time.monotonic() + 60
    while time.monotonic() < end and any(0 <= x < size for x in sent):
        for i, s in enumerate(socks):
            if not 0 <= sent[i] < size:
                continue
            try:
                sent[i] += s.send(chunk[:size - sent[i]])
            except WOULD_BLOCK:
                pass
            except OSError:
                sent[i] = -1  # closed by the map server
    for s in socks:
        s.setblocking(False)
    # every held connection is closed (budget at once, the rest after 5 s)
    wait_until(lambda: all(closed(s) for s in socks), timeout=30, what="held connections closed",
               interval=0.5)
    peak_mb = proc_kb(m.pid, "VmHWM") / 1024
    assert peak_mb < base_kb / 1024 + 120 * slack(m.pid), "peak RSS %.0f MB" % peak_mb
    lim = limits(m.port)
    assert lim["closed_partial_line"] + lim["closed_input_budget"] >= n - 5, lim
    assert lim["input_bytes"] < 1 << 20, lim
    for s in socks:
        s.close()
    # a 1 MB line that arrives promptly is still read whole
    a = admin(m.port)
    a.send_raw(b'{"op":"service.get","service":"' + b"s" * 1_000_000 + b'"}\n')
    r = a.recv()
    assert not r["ok"] and "service" in r["error"], r
    assert a.call({"op": "ping"})["ok"]


def test_slow_subscribers_are_bounded_by_the_output_budget(procs):
    m = procs.mapd(args=["--output-budget", str(8 << 20), "--max-per-source", "1000"])
    base_kb = proc_kb(m.pid, "VmRSS")
    slow = []
    for _ in range(20):  # never read: 20 x 64 MiB allowed one by one
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", m.port))
        s = tls_wrap(s, "slow")
        s.sendall(b'{"op":"hello","role":"subscriber","name":"slow"}\n')
        slow.append(s)
    good = LineClient(("127.0.0.1", m.port))
    assert good.call({"op": "hello", "role": "subscriber", "name": "good"})["ok"]
    a = admin(m.port)
    n = 50000  # ~11 MB per subscriber (the kernel holds a few), 220 MB for all of them
    a.send_raw(b"".join((json.dumps({"op": "relay.add", "path_id": "%032x" % i, "tunnel_key": KEY,
                                     "suite": 1}) + "\n").encode() for i in range(n)))
    got = 0
    while got < n:
        msg = good.recv()
        if msg.get("op") == "relay.add":
            got += 1
    for _ in range(n):
        assert a.recv()["ok"]
    lim = limits(m.port)
    assert lim["dropped_output_budget"] >= 10, lim
    assert lim["output_bytes"] <= 8 << 20, lim
    peak_mb = proc_kb(m.pid, "VmHWM") / 1024
    assert peak_mb < base_kb / 1024 + 80 * slack(m.pid), "peak RSS %.0f MB" % peak_mb
    for s in slow:
        s.close()


def test_per_source_limit_leaves_room_for_other_hosts(procs):
    m = procs.mapd(args=["--max-per-source", "3"])
    other = tls_wrap(socket.create_connection(("127.0.0.1", m.port), source_address=("127.0.0.2", 0)))
    c = LineClient.__new__(LineClient)
    c.s, c.buf = other, b""
    other.settimeout(10)
    assert c.call({"op": "hello", "role": "admin", "name": "other"})["ok"]
    wait_until(lambda: limits_via(c)["clients"] == 1, what="harness probe gone")
    held = [admin(m.port) for _ in range(3)]
    extra = raw(m.port)
    extra.settimeout(10)
    assert extra.recv(100) == b""  # refused: closed at once
    lim = limits_via(c)
    assert lim["refused_per_source"] == 1 and lim["sources"] == 2 and lim["clients"] == 4, lim
    # another host still gets in
    more = tls_wrap(socket.create_connection(("127.0.0.1", m.port), source_address=("127.0.0.3", 0)))
    more.settimeout(10)
    more.sendall(b'{"op":"hello","role":"admin","name":"more"}\n')
    assert json.loads(more.recv(1000))["ok"]
    held[0].close()  # a slot of 127.0.0.1 comes free
    wait_until(lambda: limits_via(c)["clients"] == 4, what="slot freed")
    assert admin(m.port).call({"op": "ping"})["ok"]


def try_admin(port):
    try:
        return admin(port)
    except Exception:  # refused or closed while no fd was free
        return None


def limits_via(c):
    return c.call({"op": "subscriber.list"})["limits"]


def test_fd_exhaustion_does_not_spin(procs):
    m = procs.mapd(args=["--max-per-source", "1000"], wrap=["prlimit", "--nofile=32:32", "--"])
    socks = []
    for _ in range(60):  # more than the map server has fds for
        s = raw(m.port)
        socks.append(s)
    time.sleep(0.5)
    cpu0, t0 = cpu_s(m.pid), time.monotonic()
    for _ in range(30):  # keep knocking while no fd is free
        socks.append(raw(m.port))
        time.sleep(0.1)
    cpu = cpu_s(m.pid) - cpu0
    wall = time.monotonic() - t0
    assert cpu < 0.5 * wall, "%.2f s CPU in %.2f s" % (cpu, wall)
    for s in socks:
        s.close()
    a = wait_until(lambda: try_admin(m.port), what="serving again")
    r = a.call({"op": "subscriber.list"})
    assert r["limits"]["refused_fd_limit"] >= 1, r
    assert a.call({"op": "register", "service": "asrs://x", "addr": "10.0.0.1", "port": 80,
                   "priority": 0, "weight": 1, "ttl": 30})["ok"]
