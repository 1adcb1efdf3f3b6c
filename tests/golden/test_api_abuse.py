"""The JSON API server under abusive or careless clients (issue 10): clients
that close before reading their replies, never read, hold every slot, stay
idle, send over-long lines, or find the data plane stopped (SIGSTOP). The
real anyway-dataplane must survive all of it, keep serving everyone else, and
count what it did in `stats` "api" (dataplane/API.md; limits in CONFIG.md).

Clients of this process are root. Where a test needs them untrusted it sets
api.trusted_uids to TRUSTED_UID, and the trusted peer is a child process
running as that uid (the test makes the socket reachable for it)."""

import json
import os
import resource
import signal
import socket
import subprocess
import time

import pytest

from golden_common import config
from harness import Dataplane, DataplaneError, app_error_lines, run_bad_config

TRUSTED_UID = 4242
WAIT = 20.0  # upper bound of every wait; none is a timing assertion


def cfg(**api):
    c = config()
    c["api"] = dict(api)
    return c


def connect(dp, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(dp.sock)
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return json.loads(buf.decode()) if buf else None


def call(s, req):
    s.sendall((json.dumps(req) + "\n").encode())
    return read_line(s)


def api_stats(dp):
    return dp.api({"op": "stats"})["api"]


def wait_until(pred, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("still waiting after %.0f s for %s" % (timeout, what))
        time.sleep(0.05)


def drain_until_closed(s, timeout=WAIT):
    """Reads everything until EOF / reset; returns the bytes read."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    return got


def alive(dp):
    if dp.proc.poll() is not None:
        raise DataplaneError("data plane died with exit code %s" % dp.proc.returncode)
    assert dp.api({"op": "ping"})["ok"]


TRUSTED_CLIENT = r"""
import json, socket, sys
out, socks = [], []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    socks.append(s)
    s.sendall(b'{"op":"stats"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        buf += c
    out.append(json.loads(buf) if buf else None)
print(json.dumps(out))
"""


def as_trusted(dp, n):
    """n connections kept open at once by a process of uid TRUSTED_UID, each
    asking for stats; returns their replies (None: closed without one)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client under another uid")
    os.chmod(dp.dir, 0o755)
    os.chmod(dp.sock, 0o777)
    p = subprocess.run(["/usr/bin/python3", "-c", TRUSTED_CLIENT, dp.sock, str(n)], user=TRUSTED_UID,
                       group=TRUSTED_UID, capture_output=True, timeout=WAIT, cwd="/")
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def test_clients_closing_before_their_replies():
    """Two pings (or stats) then close without reading: the replies hit a
    closed socket (EPIPE, no SIGPIPE); the data plane keeps serving."""
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        for i in range(30):
            s = connect(dp)
            op = "ping" if i % 2 else "stats"
            s.sendall(('{"op":"%s"}\n{"op":"%s"}\n' % (op, op)).encode())
            if i % 3 == 0:  # reset instead of a clean close
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            s.close()
        alive(dp)
        wait_until(lambda: api_stats(dp)["clients"] == 1, "the early closers to be gone")
        st = api_stats(dp)
        assert st["accepted"] >= 31 and st["refused"] == 0
        dp.stop()


def test_every_slot_held_trusted_peer_still_served():
    """Untrusted clients fill their share of the table; more of them are
    refused with a reason (also when they close at once); a trusted peer
    still gets in through the reserve, and past it by evicting the
    longest-idle untrusted connection."""
    with Dataplane(cfg(max_clients=8, reserved_clients=2, trusted_uids=[TRUSTED_UID])) as dp:
        dp.wait_idle(expect_rx=0)
        held = [connect(dp) for _ in range(6)]
        for s in held:  # each is served, so each holds a slot now
            assert call(s, {"op": "ping"})["ok"]
        s = connect(dp)
        r = read_line(s)
        assert r == {"ok": False, "error": "too many API clients (6 of api.max_clients 8 in use, "
                     "2 reserved for trusted peers)"}
        s.close()
        for _ in range(30):  # connect and close while every untrusted slot is held
            connect(dp).close()
        assert dp.proc.poll() is None
        # three trusted connections at once: two reserved slots, then one eviction
        replies = as_trusted(dp, 3)
        assert all(r is not None and r["ok"] for r in replies), replies
        assert replies[1]["api"]["trusted_clients"] == 2
        assert replies[2]["api"]["evicted"] == 1
        # the evicted one is the longest idle: the first held connection
        assert drain_until_closed(held[0]) == b""
        for s in held[1:]:
            assert call(s, {"op": "ping"})["ok"]
        st = call(held[1], {"op": "stats"})["api"]
        assert st["refused"] >= 31 and st["evicted"] == 1 and st["clients"] == 5
        for s in held:
            s.close()
        dp.stop()


def test_default_trust_is_own_user():
    """Without trusted_uids/gids the data plane's own euid is trusted: our
    (root) clients count as trusted and are not limited to the unreserved share."""
    with Dataplane(cfg(max_clients=4, reserved_clients=3)) as dp:
        dp.wait_idle(expect_rx=0)
        socks = [connect(dp) for _ in range(3)]
        for s in socks:
            assert call(s, {"op": "ping"})["ok"]
        st = call(socks[0], {"op": "stats"})["api"]
        assert st["trusted_clients"] == 3 and st["refused"] == 0
        for s in socks:
            s.close()
        dp.stop()


def test_never_reading_client_costs_only_its_connection():
    """100 stats requests never read: others are served meanwhile, and the
    reader is closed once its output stalls for api.send_timeout_s."""
    with Dataplane(cfg(send_timeout_s=2)) as dp:
        dp.wait_idle(expect_rx=0)
        bad = connect(dp)
        bad.sendall(b'{"op":"stats"}\n' * 100)
        for _ in range(20):  # served while the bad reader's replies wait
            assert dp.api({"op": "ping"}, timeout=5)["ok"]
            assert dp.api({"op": "vip.list"}, timeout=5)["ok"]
        wait_until(lambda: api_stats(dp)["closed_slow"] == 1, "the non-reader to be closed")
        got = drain_until_closed(bad)
        assert len(got.splitlines()) < 100  # what was queued when it was closed
        bad.close()
        alive(dp)
        dp.stop()


def test_backpressure_stops_reading_a_flooding_client():
    """A client that floods requests without reading is no longer read once
    its output passes the high-water mark: its own send blocks (the data
    plane neither buffers without bound nor reads on until the output bound
    closes it), then it is closed as slow."""
    with Dataplane(cfg(send_timeout_s=5)) as dp:
        dp.wait_idle(expect_rx=0)
        s = connect(dp, timeout=1)
        chunk = b'{"op":"ping"}\n' * 8192
        sent = 0
        with pytest.raises(socket.timeout):
            for _ in range(2000):  # 230 MB of pings: 64 MiB of replies within 23 MB of them
                s.sendall(chunk)
                sent += len(chunk)
        assert sent < 8 << 20
        assert dp.api({"op": "ping"}, timeout=5)["ok"]
        wait_until(lambda: api_stats(dp)["closed_slow"] == 1, "the flooder to be closed")
        s.close()
        alive(dp)
        dp.stop()


def test_idle_connections_time_out_active_ones_stay():
    with Dataplane(cfg(idle_timeout_s=3)) as dp:
        dp.wait_idle(expect_rx=0)
        idle = connect(dp)
        partial = connect(dp)
        partial.sendall(b'{"op":')  # an unfinished request is no activity
        busy = connect(dp)
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:  # the agent's pattern: pings well within the timeout
            assert call(busy, {"op": "ping"})["ok"]
            time.sleep(0.3)
        assert drain_until_closed(idle) == b""
        assert drain_until_closed(partial) == b""
        st = call(busy, {"op": "stats"})["api"]
        assert st["timed_out"] == 2 and st["clients"] == 1
        for s in (idle, partial, busy):
            s.close()
        dp.stop()


def test_reply_larger_than_output_bound_is_an_error():
    vips = [{"addr": "2001:db8:ff::%x" % i} for i in range(1, 2001)]
    with Dataplane(dict(cfg(max_output_bytes=65536), vips=vips)) as dp:
        dp.wait_idle(expect_rx=0)
        s = connect(dp)
        r = call(s, {"op": "vip.list"})
        assert r["ok"] is False and "is larger than api.max_output_bytes (65536)" in r["error"], r
        assert call(s, {"op": "ping"})["ok"]  # the connection stays usable
        assert call(s, {"op": "stats"})["api"]["replies_too_large"] == 1
        s.close()
        dp.stop()


def test_line_over_1mib_closes_with_reason():
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        s = connect(dp)
        s.sendall(b'{"op":"ping"}\n')
        try:
            s.sendall(b"x" * ((1 << 20) + 2))
        except (BrokenPipeError, ConnectionResetError):
            pass
        lines = drain_until_closed(s).splitlines()
        assert json.loads(lines[0])["ok"] is True
        assert "longer than 1048576 bytes" in json.loads(lines[-1])["error"]
        s.close()
        assert api_stats(dp)["closed_too_long"] == 1
        dp.stop()


def test_sigstop_then_clients_gone():
    """Requests arrive while the data plane is stopped and their clients
    leave before it continues: on SIGCONT it answers dead sockets and lives."""
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        socks = [connect(dp) for _ in range(5)]
        dp.proc.send_signal(signal.SIGSTOP)
        try:
            for s in socks:
                s.sendall(b'{"op":"stats"}\n{"op":"ping"}\n')
                s.close()
        finally:
            dp.proc.send_signal(signal.SIGCONT)
        alive(dp)
        wait_until(lambda: api_stats(dp)["clients"] == 1, "the dead clients to be closed")
        dp.stop()


def test_fd_limit_pauses_accepting_then_recovers():
    """At the descriptor limit accept() fails (EMFILE): counted, accepting
    pauses instead of spinning, established connections are still served,
    and the waiting clients are accepted once descriptors are free again."""
    if os.geteuid() != 0:
        pytest.skip("needs root to change another process's RLIMIT_NOFILE")
    with Dataplane(config()) as dp:
        dp.wait_idle(expect_rx=0)
        mon = connect(dp)
        assert call(mon, {"op": "ping"})["ok"]
        pid = dp.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        top = max(int(fd) for fd in os.listdir("/proc/%d/fd" % pid))
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (top + 1, hard))
        try:
            waiting = [connect(dp) for _ in range(8)]  # queued in the backlog, not all accepted
            wait_until(lambda: call(mon, {"op": "stats"})["api"]["accept_errors"] > 0, "EMFILE counted")
            assert call(mon, {"op": "ping"})["ok"]
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        for s in waiting:
            assert call(s, {"op": "ping"})["ok"]
            s.close()
        mon.close()
        dp.stop()


BAD_API_CONFIGS = [
    ({"max_clients": 1}, "api.max_clients: expected integer 2..4096, got 1"),
    ({"max_clients": 8, "reserved_clients": 8}, "api.reserved_clients: expected integer 0..7, got 8"),
    ({"idle_timeout_s": 86401}, "api.idle_timeout_s: expected integer 0..86400"),
    ({"send_timeout_s": 0}, "api.send_timeout_s: expected integer 1..3600"),
    ({"max_output_bytes": 1000}, "api.max_output_bytes: expected integer 65536..1073741824"),
    ({"trusted_uids": [0, -1]}, "api.trusted_uids: entry 1: expected integer 0..4294967294"),
    ({"trusted_gids": "wheel"}, "api.trusted_gids: expected array"),
    ({"trusted_uids": list(range(17))}, "api.trusted_uids: at most 16 entries"),
    ({"timeout": 1}, "unknown key 'timeout'"),
    ({"socket_group": "no-such-group-awacl"}, "api.socket_group: no group 'no-such-group-awacl' on this system"),
    ({"socket_group": "4294967295"}, "api.socket_group: expected a group name or a gid 0..4294967294, got '4294967295'"),
    ({"socket_group": 5}, "api.socket_group: expected string"),
]


@pytest.mark.parametrize("api,want", BAD_API_CONFIGS)
def test_api_config_errors(api, want):
    rc, err, _ = run_bad_config(cfg(unix="/tmp/awg-never.sock", **api))
    assert rc == 2
    assert any(want in l for l in app_error_lines(err)), err


def test_socket_mode_0660_and_group():
    """SPEC §7.4: the API socket is mode 0660, its group api.socket_group
    (a name or a gid); without it the data plane's own group."""
    for group, gid in ((None, os.getegid()), ("4343", 4343), ("root", 0)):
        api = {} if group is None else {"socket_group": group}
        with Dataplane(cfg(**api)) as dp:
            st = os.stat(dp.sock)
            assert (st.st_mode & 0o777, st.st_gid) == (0o660, gid), (oct(st.st_mode), st.st_gid)
            assert dp.api({"op": "ping"})["ok"]
            dp.stop()
