"""anyway-ctl against a real anyway-mapd on loopback (register / deregister,
services, service get, subscribers, relay add/del, --json, API errors) and
against a real anyway-agent (status).

Skipped, with the reason, while the build's anyway-mapd / anyway-agent are
still the --help-only fronts (branch ctl not merged). Every wait is bounded;
daemons are killed in the fixture's finalizer whatever happens.
"""
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ctlharness import tls_args, tls_wrap
from test_ctl import build_dir, ctl, kv, section, table

START_TIMEOUT = 10.0
URI = "asrs://demo.example/web"


def daemon_binary(name):
    return str(build_dir() / "control" / name.split("-", 1)[1] / name)


def require_real(name):
    """Skips unless `name` is built and is the real daemon."""
    path = daemon_binary(name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{name} not built at {path}")
    p = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
    if "not implemented yet" in p.stdout + p.stderr:
        pytest.skip(f"{name} at {path} is still the --help-only front "
                    "(the daemon comes with branch ctl)")
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_tcp(port, proc, what):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited {proc.returncode} before listening: "
                                 f"{proc.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} not listening on {port} after {START_TIMEOUT} s")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def mapd():
    path = require_real("anyway-mapd")
    port = free_port()
    proc = subprocess.Popen([path, "--listen", f"127.0.0.1:{port}", *tls_args("mapd")], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_tcp(port, proc, "anyway-mapd")
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


def test_register_services_deregister(mapd):
    m = ("--mapd", mapd)
    p = ctl(*m, "services")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("(none)\n")
    p = ctl(*m, "register", URI, "10.0.2.2", "8080", "priority", "10", "ttl", "60")
    assert p.returncode == 0, p.stderr
    assert kv(p.stdout)["service"] == URI
    p = ctl(*m, "register", URI, "2001:db8:3::2", "8080", "priority", "20", "weight", "50")
    assert p.returncode == 0, p.stderr
    p = ctl(*m, "services")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[-1].startswith("version ")
    rows = table("\n".join(lines[:-1]))
    assert len(rows) == 2 and rows[0]["SERVICE"] == URI and len(rows[0]["SID"]) == 16
    got = sorted((r["DESTINATION"], r["PRIORITY"], r["WEIGHT"]) for r in rows)
    assert got == [("10.0.2.2:8080", "10", "100"), ("[2001:db8:3::2]:8080", "20", "50")]
    p = ctl(*m, "service", "get", URI)
    assert p.returncode == 0, p.stderr
    assert len(table(p.stdout)) == 2
    p = ctl(*m, "--json", "services")
    reply = json.loads(p.stdout)
    assert reply["ok"] is True and reply["services"][0]["service"] == URI
    p = ctl(*m, "deregister", URI, "10.0.2.2", "8080")
    assert p.returncode == 0, p.stderr
    p = ctl(*m, "deregister", URI, "2001:db8:3::2", "8080")
    assert p.returncode == 0, p.stderr
    p = ctl(*m, "service", "get", URI)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith(f"anyway-ctl: map server: service.get: "), p.stderr
    assert URI in p.stderr


def test_subscribers(mapd):
    host, port = mapd.rsplit(":", 1)
    p = ctl("--mapd", mapd, "subscribers")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("(none)")
    with tls_wrap(socket.create_connection((host, int(port)), timeout=5), "test-sub") as s:
        s.sendall(b'{"op":"hello","role":"subscriber","name":"test-sub"}\n')
        s.recv(65536)  # hello reply and snapshot
        p = ctl("--mapd", mapd, "subscribers")
        assert p.returncode == 0, p.stderr
        rows = table(p.stdout.split("\n\n")[0] if p.stdout.startswith("NAME") else
                     section(p.stdout, "subscribers"))
        assert [r["NAME"] for r in rows] == ["test-sub"]


def test_relay_add_del(mapd):
    pid, key = "0123456789abcdef" * 2, "ab" * 32
    p = ctl("--mapd", mapd, "relay", "add", pid, key, "suite", "2", "idle", "60")
    assert p.returncode == 0, p.stderr
    assert kv(p.stdout)["path_id"] == pid
    p = ctl("--mapd", mapd, "--json", "relay", "del", pid)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["path_id"] == pid


def test_role_enforced(mapd):
    """register goes out as a registrar, relay.add as an admin: what the map
    server answers to anything else is shown as its error (a raw check of
    the same server, so this test fails if the roles were swapped)."""
    host, port = mapd.rsplit(":", 1)
    with tls_wrap(socket.create_connection((host, int(port)), timeout=5)) as s:
        f = s.makefile("rwb")
        f.write(b'{"op":"hello","role":"registrar","name":"t"}\n')
        f.flush()
        assert json.loads(f.readline())["ok"] is True
        f.write(b'{"op":"relay.del","path_id":"' + b"00" * 16 + b'"}\n')
        f.flush()
        assert json.loads(f.readline())["ok"] is False


@pytest.fixture
def agent_bin():
    return require_real("anyway-agent")


def test_agent_status(agent_bin, mapd, tmp_path):
    """status over the agent's unix socket. The agent's socket flag is read
    from its --help (--status or --status-socket)."""
    h = subprocess.run([agent_bin, "--help"], capture_output=True, text=True, timeout=10).stdout
    flag = next((f for f in ("--status-socket", "--status", "--socket") if f in h), None)
    if flag is None:
        pytest.skip("anyway-agent --help names no status socket option")
    sock = str(tmp_path / "agent.sock")
    dp_sock = str(tmp_path / "no-dataplane.sock")
    proc = subprocess.Popen([agent_bin, "--mapd", mapd, "--dataplane", dp_sock, flag, sock,
                             *tls_args("agent")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(sock):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "agent status socket never appeared"
            time.sleep(0.05)
        # the map server's row in the status tables, once subscribed
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            p = ctl("--agent", sock, "status")
            assert p.returncode == 0, p.stderr
            rows = [r for r in table(section(p.stdout, "mapds")) if mapd in r.values()]
            if rows and "synced" in rows[0].values():
                break
            assert time.monotonic() < deadline, "agent never synced:\n" + p.stdout
            time.sleep(0.05)
        assert kv(p.stdout.split("\n\n")[0])["dataplane.connected"] == "false"
        p = ctl("--agent", sock, "--json", "status")
        assert json.loads(p.stdout)["ok"] is True
    finally:
        stop(proc)
