"""Issue 10 with real daemons: the agent keeps applying updates to the real
anyway-dataplane while untrusted clients hold every API slot, or while the
data plane is stopped (SIGSTOP) mid-push and the agent gives up on it; and
the agent's own status socket has the same manners (bounded clients, idle
timeout, slow reader closed, no SIGPIPE; control/PROTOCOL.md).

Untrusted clients run as uid/gid 65534 (the data plane trusts its own euid by
default, so the root agent is trusted)."""

import json
import os
import select
import signal
import socket
import subprocess
import time

import pytest

from ctlharness import LineClient, admin, agent_status, reg, wait_until
from test_with_dataplane import RealDataplane

NOBODY = 65534
STATUS_MAX = 16  # agent_status.c

HOLDER = r"""
import json, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
held, refused = [], 0
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(b'{"op":"ping"}\n')
    except OSError:  # refused: the data plane closed at once (its reason is queued)
        pass
    r = s.makefile("rb").readline()
    if b'"pong"' in r:
        held.append(s)
    else:
        refused += 1
        s.close()
for _ in range(50):  # connect and close at once while the table is full
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.close()
print(json.dumps({"held": len(held), "refused": refused}), flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or 60 s: the test's timeout)
"""


@pytest.fixture
def rdp(procs):
    dp = RealDataplane(procs).probe()
    yield dp
    dp.stop()


def hold_slots(procs, sock, n):
    """A uid-65534 process holding n API connections; returns (proc, its report)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client under another uid")
    os.chmod(procs.dir, 0o755)
    os.chmod(sock, 0o777)
    p = subprocess.Popen(["/usr/bin/python3", "-c", HOLDER, sock, str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, user=NOBODY, group=NOBODY, cwd="/")
    line = p.stdout.readline()
    assert line, "holder exited %s" % p.wait(10)
    return p, json.loads(line)


def release(p):
    p.stdin.close()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def dp_api_stats(rdp):
    return rdp.call({"op": "stats"})["api"]


def test_agent_applies_while_every_api_slot_is_held(procs, rdp):
    """A client that never reads its 100 replies and an untrusted process
    holding every unreserved slot (and connecting-and-closing while the table
    is full) stall nothing: the agent, and a restarted agent, still apply."""
    m = procs.mapd()
    ag = procs.agent([m.port], rdp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://before/x", "10.2.0.2", 80))["ok"]
    wait_until(lambda: "asrs://before/x" in rdp.services(), what="first service applied")
    reader = LineClient(rdp.sock)  # never reads: 100 stats replies pile up for it
    reader.send_raw(b'{"op":"stats"}\n' * 100)
    holder, got = hold_slots(procs, rdp.sock, 70)
    try:
        # 64 slots, 8 reserved for trusted peers: 56 for the untrusted holder
        assert got == {"held": 56, "refused": 14}, got
        assert rdp.proc.poll() is None
        assert a.call(reg("asrs://during/x", "10.2.0.3", 80))["ok"]
        wait_until(lambda: "asrs://during/x" in rdp.services(), what="update applied while slots are held")
        procs.stop(ag)  # a restarted agent gets in too
        ag2 = procs.agent([m.port], rdp.sock)
        assert a.call(reg("asrs://restarted/x", "10.2.0.4", 80))["ok"]
        wait_until(lambda: "asrs://restarted/x" in rdp.services(), what="applied by the new agent")
        assert agent_status(ag2.status)["dataplane"]["connected"]
        st = dp_api_stats(rdp)
        assert st["refused"] >= 14 + 50 and st["clients"] >= 58  # holder, agent, reader (+ us)
    finally:
        release(holder)
        reader.close()
    wait_until(lambda: dp_api_stats(rdp)["clients"] <= 2, what="the holder's slots freed")


def test_sigstop_dataplane_while_agent_pushes(procs, rdp):
    """The agent's call times out (5 s) and it closes the connection; on
    SIGCONT the data plane answers the dead connection, survives, and the
    agent reconnects and applies everything."""
    m = procs.mapd()
    ag = procs.agent([m.port], rdp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://s/0", "10.2.0.2", 80))["ok"]
    wait_until(lambda: "asrs://s/0" in rdp.services(), what="first service applied")
    before = agent_status(ag.status)["dataplane"]["reconnects"]
    rdp.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(1, 40):
            assert a.call(reg("asrs://s/%d" % i, "10.2.0.2", 1000 + i))["ok"]
        wait_until(lambda: not agent_status(ag.status)["dataplane"]["connected"], timeout=20,
                   what="the agent to give up on the stopped data plane")
    finally:
        rdp.proc.send_signal(signal.SIGCONT)
    wait_until(lambda: {"asrs://s/%d" % i for i in range(40)} <= set(rdp.services()), timeout=30,
               what="everything applied after SIGCONT")
    assert rdp.proc.poll() is None
    assert rdp.call({"op": "ping"})["ok"]
    wait_until(lambda: agent_status(ag.status)["dataplane"]["connected"] and
               agent_status(ag.status)["dataplane"]["reconnects"] > before, timeout=30,
               what="the agent to reconnect")
    assert a.call(reg("asrs://s/after", "10.2.0.2", 999))["ok"]
    wait_until(lambda: "asrs://s/after" in rdp.services(), what="applied after the reconnect")


def wait_peer_closed(s, timeout=30.0):
    """Waits, without reading, until the peer has closed s (POLLRDHUP/POLLHUP)."""
    p = select.poll()
    p.register(s, select.POLLRDHUP | select.POLLHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll(500):
            return
    raise AssertionError("peer did not close the connection within %.0f s" % timeout)


def connect_retry(path, timeout=10.0):
    """A LineClient; retried while the listen backlog is full (EAGAIN on a
    unix socket), which only means the agent has not accepted yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return LineClient(path)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def read_all(s):
    s.settimeout(10)
    got = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                return got
            got += chunk
    except ConnectionResetError:
        return got


def test_agent_status_socket_manners(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    # a reader that never reads: 3000 status requests (megabytes of replies)
    slow = LineClient(ag.status)
    slow.send_raw(b'{"op":"status"}\n' * 3000)
    # the slots: fill them, one more is refused with a reason
    held = []
    for _ in range(STATUS_MAX - 1):  # one by one: each is answered, so it holds a slot
        held.append(LineClient(ag.status))
        assert held[-1].call({"op": "ping"})["ok"]
    extra = LineClient(ag.status)
    assert extra.recv() == {"ok": False, "error": "too many status clients (16)"}
    extra.close()
    for _ in range(20):  # connect and close while full
        connect_retry(ag.status).close()
    # the non-reader is closed (its output stalled 5 s), having got fewer replies
    wait_peer_closed(slow.s)
    assert read_all(slow.s).count(b"\n") < 3000
    slow.close()
    wait_until(lambda: agent_status(ag.status)["ok"], what="a slot free again")
    # idle: the held ones (no request since their ping) are closed after 10 s
    for c in held:
        wait_peer_closed(c.s)
        assert c.recv() is None
        c.close()
    # early closers: requests then close (or reset) without reading
    for i in range(20):
        c = connect_retry(ag.status)
        c.send_raw(b'{"op":"status"}\n{"op":"status"}\n')
        if i % 2:
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        c.close()
    # the agent answers once it has seen those go (a refusal meanwhile is fine)
    wait_until(lambda: agent_status(ag.status)["ok"], what="the agent answering after the early closers")
    assert ag.poll() is None
