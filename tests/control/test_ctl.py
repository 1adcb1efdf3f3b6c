"""anyway-ctl: command line, connection errors and reply handling, and the data
plane commands against the real anyway-dataplane (net_pcap vdevs, started
by tests/golden/harness.py; --no-huge unless hugepages are free).

Map server and agent commands are in test_ctl_mapd.py.

Every subprocess runs with a timeout; the data plane is stopped (SIGKILL as a
last resort) by the harness's context manager whatever happens.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "golden"))
from harness import Dataplane, DataplaneError  # noqa: E402

CMD_TIMEOUT = 20


from ctlharness import tls_args  # noqa: E402  (the map server is reached over TLS)

def build_dir():
    return Path(os.environ.get("AW_BUILD", str(REPO / "build")))


def ctl_binary():
    return str(build_dir() / "control" / "ctl" / "anyway-ctl")


SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def ctl(*args, timeout=CMD_TIMEOUT):
    """Runs anyway-ctl; returns CompletedProcess (text). A sanitizer report
    (an ASan/UBSan build in AW_BUILD) fails the test."""
    p = subprocess.run([ctl_binary(), *tls_args("admin"), *args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    for mark in SANITIZER_MARKS:
        assert mark not in p.stderr, p.stderr
    return p


def table(text):
    """Parses an aligned table (header line first) into a list of dicts, and
    checks the alignment: every cell of a row starts at its header's column."""
    lines = [l for l in text.splitlines() if l.strip()]
    header = lines[0]
    names = header.split()
    starts = []
    pos = 0
    for n in names:
        pos = header.index(n, pos)
        starts.append(pos)
        pos += len(n)
    rows = []
    for l in lines[1:]:
        cells = []
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(l)
            cell = l[s:end]
            assert i == 0 or s == 0 or l[s - 1] == " ", f"cell not aligned at {s}: {l!r}"
            cells.append(cell.strip())
        assert "".join(cells).replace(" ", "") == l.replace(" ", ""), f"misaligned row {l!r}"
        rows.append(dict(zip(names, cells)))
    return rows


def kv(text):
    """'key  value' lines into a dict (values as text)."""
    out = {}
    for l in text.splitlines():
        if l.strip() and not l.endswith(":"):
            k, _, v = l.partition(" ")
            out[k] = v.strip()
    return out


def section(text, name):
    """The lines after 'name:' up to the next blank line."""
    lines = text.splitlines()
    i = lines.index(name + ":")
    out = []
    for l in lines[i + 1:]:
        if not l.strip():
            break
        out.append(l)
    return "\n".join(out)


@pytest.fixture(scope="session", autouse=True)
def _binary_present():
    if not os.access(ctl_binary(), os.X_OK):
        pytest.fail(f"anyway-ctl not found at {ctl_binary()}: build first (ninja -C build) "
                    "or set AW_BUILD")


# ---------------------------------------------------------------------------
# command line

@pytest.mark.parametrize("args, message", [
    ([], "no command given"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--bogus", "stats"], "unknown option '--bogus'"),
    (["stats", "-s"], "option -s needs a value"),
    (["--timeout", "soon", "stats"], "--timeout: expected an integer 1..3600000, got 'soon'"),
    (["--timeout", "0", "stats"], "--timeout: expected an integer"),
    (["stats", "extra"], "stats takes no arguments"),
    (["vip", "add"], "usage: vip add ADDR [aarp]"),
    (["vip", "add", "10.0.0.1", "sticky"], "usage: vip add ADDR [aarp]"),
    (["vip", "flip"], "vip: unknown subcommand 'flip'"),
    (["listener", "add", "10.0.0.1", "sctp", "80", "asrs://a/b"],
     "listener: protocol must be tcp or udp, got 'sctp'"),
    (["listener", "add", "10.0.0.1", "tcp", "70000", "asrs://a/b"],
     "port: expected an integer 1..65535, got '70000'"),
    (["listener", "del", "10.0.0.1", "tcp"], "usage: listener del VIP tcp|udp PORT"),
    (["service", "set"], "usage: service set URI"),
    (["service", "set", "asrs://a/b", "dest", "10.0.0.2"], "expected ADDR:PORT"),
    (["service", "set", "asrs://a/b", "dest", "10.0.0.2:80", "colour", "red"],
     "service set: unknown keyword 'colour'"),
    (["service", "set", "asrs://a/b", "priority", "1"], "service set: 'priority' before any 'dest'"),
    (["service", "set", "asrs://a/b", "dest", "10.0.0.2:80", "weight", "x"],
     "weight: expected an integer 0..65535, got 'x'"),
    (["service", "set", "asrs://a/b", "dest"], "service set: 'dest' needs a value"),
    (["sessions", "limit", "0"], "limit: expected an integer 1..100000000, got '0'"),
    (["sessions", "all"], "usage: sessions [limit N]"),
    (["relay", "add", "00"], "usage: relay add PATH_ID TUNNEL_KEY"),
    (["relay", "add", "00", "11", "suite", "3"], "suite: expected an integer 1..2, got '3'"),
    (["relay", "add", "00", "11", "colour", "3"], "relay add: unknown keyword 'colour'"),
    (["relay", "get"], "usage: relay get PATH_ID"),
    (["register", "asrs://a/b", "10.0.0.1"], "usage: register URI ADDR PORT"),
    (["register", "asrs://a/b", "10.0.0.1", "80", "ttl", "0"], "ttl: expected an integer 1..86400"),
    (["register", "asrs://a/b", "10.0.0.300", "80"], "register: addr: '10.0.0.300' is not an IPv4"),
    (["register", "asrs://" + "a" * 300, "10.0.0.1", "80"], "register: service:"),
    (["deregister", "asrs://a/b", "10.0.0.1", "80", "ttl", "5"], "usage: deregister URI ADDR PORT"),
    (["--mapd", "127.0.0.1:1", "relay", "add", "zz" * 16, "00" * 32],
     "relay.add: path_id:"),
    (["--mapd", "127.0.0.1:1", "service", "set", "asrs://a/b"], "service set: not a map server command"),
    (["--mapd", "127.0.0.1:1", "relay", "get"], "usage: relay get PATH_ID"),
    (["--mapd", "127.0.0.1:1", "relay", "get", "zz"], "relay.get: path_id:"),
    (["--mapd", "127.0.0.1:1", "limits", "now"], "limits takes no arguments"),
    (["--mapd", "no-port", "subscribers"], "--mapd: expected HOST:PORT or [IPV6]:PORT, got 'no-port'"),
    (["status", "now"], "status takes no arguments"),
    (["service", "get"], "usage: service get URI"),
])
def test_usage_errors(args, message):
    """Bad command lines: exit 2, one precise line on stderr, nothing sent
    (the map server at 127.0.0.1:1 would refuse: exit 1, not 2)."""
    p = ctl(*args)
    assert p.returncode == 2, (args, p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith("anyway-ctl: "), p.stderr
    assert message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert p.stdout == ""


def test_help_and_version():
    p = ctl("--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: anyway-ctl")
    for word in ("stats", "vips", "listeners", "services", "sessions", "relays",
                 "subscribers", "register", "deregister", "status", "--json", "--socket",
                 "--mapd", "--agent", "/run/anyway/dataplane.sock", "127.0.0.1:7810"):
        assert word in p.stdout, word
    p = ctl("-V")
    assert p.returncode == 0 and p.stdout.strip().startswith("anyway-ctl ")


# ---------------------------------------------------------------------------
# connection errors (nothing listening, or a peer that misbehaves)

def test_missing_socket():
    p = ctl("--socket", "/nonexistent/dp.sock", "stats")
    assert p.returncode == 1
    assert p.stderr == ("anyway-ctl: data plane /nonexistent/dp.sock: connect: "
                        "No such file or directory\n")


def test_socket_nobody_listening(tmp_path):
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)  # bound, never listening: connect is refused
    try:
        p = ctl("--socket", path, "vips")
    finally:
        s.close()
    assert p.returncode == 1
    assert p.stderr == f"anyway-ctl: data plane {path}: connect: Connection refused\n"


def _closed_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_mapd_refused():
    port = _closed_tcp_port()
    p = ctl("--mapd", f"127.0.0.1:{port}", "subscribers")
    assert p.returncode == 1
    assert p.stderr == f"anyway-ctl: map server 127.0.0.1:{port}: connect: Connection refused\n"
    p = ctl("--mapd", f"[::1]:{port}", "register", "asrs://a/b", "10.0.0.1", "80")
    assert p.returncode == 1
    assert p.stderr.startswith(f"anyway-ctl: map server [::1]:{port}: connect: ")


def test_agent_missing():
    p = ctl("--agent", "/nonexistent/agent.sock", "status")
    assert p.returncode == 1
    assert p.stderr == ("anyway-ctl: agent /nonexistent/agent.sock: connect: "
                        "No such file or directory\n")


class FakePeer:
    """A unix socket that answers every request line with `answer` (bytes,
    or None: say nothing; b"" : close at once). Records the requests."""

    def __init__(self, answer):
        self.dir = tempfile.mkdtemp(prefix="awctl", dir="/tmp")
        self.path = os.path.join(self.dir, "p.sock")
        self.answer = answer
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.sock.settimeout(15)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        with c:
            c.settimeout(15)
            buf = b""
            try:
                while b"\n" not in buf:
                    chunk = c.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                self.requests.append(json.loads(buf.split(b"\n")[0]))
                if self.answer is None:
                    c.recv(1)  # until the client gives up and closes
                elif self.answer:
                    c.sendall(self.answer)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        self.thread.join(20)
        os.unlink(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def fake():
    peers = []

    def make(answer):
        peers.append(FakePeer(answer))
        return peers[-1]
    yield make
    for p in peers:
        p.close()


def test_malformed_reply(fake):
    f = fake(b"this is not json\n")
    p = ctl("--socket", f.path, "vips")
    assert p.returncode == 1
    assert p.stderr == (f"anyway-ctl: data plane {f.path}: vip.list: malformed reply: "
                        "this is not json\n")
    assert f.requests == [{"op": "vip.list"}]


def test_reply_without_ok(fake):
    f = fake(b'{"vips": []}\n')
    p = ctl("--socket", f.path, "vips")
    assert p.returncode == 1 and "vip.list: malformed reply" in p.stderr


@pytest.mark.parametrize("cmd, op, key", [("listeners", "listener.list", "listeners"),
                                          ("vips", "vip.list", "vips"),
                                          ("services", "service.list", "services"),
                                          ("sessions", "session.list", "sessions"),
                                          ("relays", "relay.list", "relays")])
def test_reply_missing_array(fake, cmd, op, key):
    f = fake(b'{"ok": true}\n')
    p = ctl("--socket", f.path, cmd)
    assert p.returncode == 1
    assert p.stderr == f"anyway-ctl: data plane: {op}: reply has no '{key}' array\n"


def test_no_reply_times_out(fake):
    f = fake(None)
    p = ctl("--timeout", "300", "--socket", f.path, "stats")
    assert p.returncode == 1
    assert p.stderr == f"anyway-ctl: data plane {f.path}: stats: no reply within 300 ms\n"


def test_closed_without_reply(fake):
    f = fake(b"")
    p = ctl("--socket", f.path, "ping")
    assert p.returncode == 1
    assert p.stderr == (f"anyway-ctl: data plane {f.path}: ping: connection closed "
                        "without a reply\n")


def test_agent_status_request_and_rendering(fake):
    """What status sends, and how a reply of any shape is shown: scalars and
    nested objects as key/value lines, arrays of objects as tables."""
    reply = {"ok": True, "dataplane": {"connected": True, "applied": 12},
             "last_apply": "2024-01-01T00:00:00Z",
             "mapd": [{"addr": "127.0.0.1:7810", "connected": True, "version": 7},
                      {"addr": "127.0.0.1:7811", "connected": False, "version": None}]}
    f = fake(json.dumps(reply).encode() + b"\n")
    p = ctl("--agent", f.path, "status")
    assert p.returncode == 0, p.stderr
    assert f.requests == [{"op": "status"}]
    head = kv(p.stdout.split("\n\n")[0])
    assert head == {"dataplane.connected": "true", "dataplane.applied": "12",
                    "last_apply": "2024-01-01T00:00:00Z"}
    rows = table(section(p.stdout, "mapd"))
    assert rows == [{"ADDR": "127.0.0.1:7810", "CONNECTED": "true", "VERSION": "7"},
                    {"ADDR": "127.0.0.1:7811", "CONNECTED": "false", "VERSION": "-"}]


def test_stats_api_block(fake):
    """stats shows the reply's api section as its own block, after the features'."""
    reply = {"ok": True, "rx": 5, "drops": {}, "counters": {}, "ports": [], "lcores": [],
             "relay": {"entries": 2},
             "api": {"clients": 2, "trusted_clients": 1, "accepted": 9, "refused": 3,
                     "evicted": 1, "timed_out": 4, "closed_slow": 0}}
    f = fake(json.dumps(reply).encode() + b"\n")
    p = ctl("--socket", f.path, "stats")
    assert p.returncode == 0, p.stderr
    assert kv(p.stdout.split("\n\n")[0]) == {"rx": "5", "drops:": "none", "counters:": "none"}
    assert kv(section(p.stdout, "api")) == {"clients": "2", "trusted_clients": "1",
                                            "accepted": "9", "refused": "3", "evicted": "1",
                                            "timed_out": "4", "closed_slow": "0"}
    assert p.stdout.index("\nrelay:\n") < p.stdout.index("\napi:\n") < p.stdout.index("\nports:\n")


def test_json_mode_prints_error_reply_raw(fake):
    line = b'{"ok":false,"error":"addr: 1.2.3.4 is not a VIP"}'
    f = fake(line + b"\n")
    p = ctl("--json", "--socket", f.path, "vip", "del", "1.2.3.4")
    assert p.returncode == 1
    assert p.stdout == line.decode() + "\n"
    assert p.stderr == "anyway-ctl: data plane: vip.del: addr: 1.2.3.4 is not a VIP\n"
    assert f.requests == [{"op": "vip.del", "addr": "1.2.3.4"}]


def test_requests_sent(fake):
    """The exact requests of the add/del forms (what the API contract says)."""
    cases = [
        (["service", "set", "asrs://shop.example/web", "dest", "10.2.0.2:8080", "priority",
          "10", "dest", "[2001:db8:2::2]:80", "weight", "50"],
         {"op": "service.set", "service": "asrs://shop.example/web",
          "destinations": [{"addr": "10.2.0.2", "port": 8080, "priority": 10},
                           {"addr": "2001:db8:2::2", "port": 80, "weight": 50}]}),
        (["service", "set", "asrs://x/y"],
         {"op": "service.set", "service": "asrs://x/y", "destinations": []}),
        (["service", "del", "asrs://x/y"], {"op": "service.del", "service": "asrs://x/y"}),
        (["listener", "add", "203.0.113.10", "tcp", "80", "asrs://x/y"],
         {"op": "listener.add", "vip": "203.0.113.10", "proto": "tcp", "port": 80,
          "service": "asrs://x/y"}),
        (["listener", "del", "203.0.113.10", "udp", "53"],
         {"op": "listener.del", "vip": "203.0.113.10", "proto": "udp", "port": 53}),
        (["relay", "add", "ab" * 16, "cd" * 32, "suite", "2", "idle", "60", "bind", "5"],
         {"op": "relay.add", "path_id": "ab" * 16, "tunnel_key": "cd" * 32, "suite": 2,
          "idle_timeout_s": 60, "bind_timeout_s": 5}),
        (["relay", "del", "ab" * 16], {"op": "relay.del", "path_id": "ab" * 16}),
        (["relay", "get", "ab" * 16], {"op": "relay.get", "path_id": "ab" * 16}),
        (["vip", "add", "203.0.113.11", "aarp"],
         {"op": "vip.add", "addr": "203.0.113.11", "aarp": True}),
        (["sessions", "limit", "5"], {"op": "session.list", "limit": 5}),
    ]
    for args, want in cases:
        f = fake(b'{"ok":true,"sessions":[],"cursor":null,"relay":{}}\n')
        p = ctl("--socket", f.path, *args)
        assert p.returncode == 0, (args, p.stderr)
        assert f.requests == [want], args


def test_sessions_paged(tmp_path):
    """sessions follows the cursor until it is null, and prints one table."""
    path = str(tmp_path / "s.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(15)
    seen = []
    pages = [
        {"ok": True, "cursor": "c1", "sessions": [
            {"proto": "tcp", "client": {"addr": "10.1.0.2", "port": 40000},
             "vip": {"addr": "203.0.113.10", "port": 80},
             "snat": {"addr": "10.2.0.1", "port": 1024},
             "destination": {"addr": "2001:db8:2::2", "port": 8080},
             "service": "asrs://shop.example/web", "state": "established", "idle_s": 3}]},
        {"ok": True, "cursor": None, "sessions": [
            {"proto": "udp", "client": "10.1.0.3:5353", "vip": "203.0.113.10:53",
             "snat": "10.2.0.1:1025", "destination": "10.2.0.3:53",
             "service": "asrs://dns.example/", "state": "udp", "idle_s": 0}]},
    ]

    def serve():
        for page in pages:
            c, _ = srv.accept()
            with c:
                c.settimeout(15)
                buf = b""
                while b"\n" not in buf:
                    buf += c.recv(4096)
                seen.append(json.loads(buf))
                c.sendall(json.dumps(page).encode() + b"\n")
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        p = ctl("--socket", path, "sessions")
    finally:
        t.join(20)
        srv.close()
    assert p.returncode == 0, p.stderr
    assert seen == [{"op": "session.list", "limit": 1000},
                    {"op": "session.list", "limit": 999, "cursor": "c1"}]
    lines = p.stdout.strip().splitlines()
    assert lines[-1] == "2 sessions"
    rows = table("\n".join(lines[:-1]))
    assert rows[0]["CLIENT"] == "10.1.0.2:40000"
    assert rows[0]["DESTINATION"] == "[2001:db8:2::2]:8080"
    assert rows[1]["PROTO"] == "udp" and rows[1]["SNAT"] == "10.2.0.1:1025"


# ---------------------------------------------------------------------------
# the real data plane

DP_CONFIG = {
    "ports": [{"port": 0, "addrs": ["10.1.0.1/24"]},
              {"port": 1, "addrs": ["10.2.0.1/24", "2001:db8:2::1/64"]}],
    "vips": [{"addr": "203.0.113.10", "aarp": True}],
}


@pytest.fixture(scope="module")
def dp():
    with Dataplane(DP_CONFIG, {}) as d:
        yield d


def test_stats_table(dp):
    p = ctl("--socket", dp.sock, "stats")
    assert p.returncode == 0, p.stderr
    head = kv(p.stdout.split("\n\n")[0])
    for k in ("rx", "tx", "consumed", "originated", "drops_total", "in_flight"):
        assert head[k].isdigit(), (k, head)
    assert "drops: none" in p.stdout  # nothing was received
    ports = table(section(p.stdout, "ports"))
    assert [r["PORT"] for r in ports] == ["0", "1"]
    assert all(r["NAME"].startswith("net_pcap") and r["IPACKETS"] == "0" for r in ports)
    lcores = table(section(p.stdout, "lcores"))
    assert lcores[0]["LCORE"] == "0" and lcores[0]["ROLE"] == "rtc"
    api = kv(section(p.stdout, "api"))  # the API server's own counters, a block of their own
    assert int(api["clients"]) >= 1 and int(api["accepted"]) >= 1, api
    for k in ("trusted_clients", "refused", "evicted", "timed_out", "closed_slow"):
        assert api[k].isdigit(), (k, api)
    assert not any(k.startswith("api") for k in head), head


def test_stats_json(dp):
    p = ctl("--socket", dp.sock, "--json", "stats")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    s = json.loads(lines[0])
    assert s["ok"] is True and s["rx"] == 0 and len(s["ports"]) == 2


def test_vip_add_list_del(dp):
    p = ctl("--socket", dp.sock, "vips")
    assert p.returncode == 0, p.stderr
    assert table(p.stdout) == [{"ADDR": "203.0.113.10", "AARP": "true"}]
    p = ctl("--socket", dp.sock, "vip", "add", "2001:db8:100::10", "aarp")
    assert p.returncode == 0, p.stderr
    assert kv(p.stdout) == {"addr": "2001:db8:100::10", "aarp": "true", "existed": "false"}
    p = ctl("-s", dp.sock, "vip", "list")
    assert table(p.stdout) == [{"ADDR": "203.0.113.10", "AARP": "true"},
                               {"ADDR": "2001:db8:100::10", "AARP": "true"}]
    p = ctl("-s", dp.sock, "-j", "vips")
    assert json.loads(p.stdout) == {"ok": True, "vips": [
        {"addr": "203.0.113.10", "aarp": True}, {"addr": "2001:db8:100::10", "aarp": True}]}
    p = ctl("-s", dp.sock, "vip", "del", "2001:db8:100::10")
    assert p.returncode == 0 and kv(p.stdout) == {"addr": "2001:db8:100::10"}
    p = ctl("-s", dp.sock, "vips")
    assert table(p.stdout) == [{"ADDR": "203.0.113.10", "AARP": "true"}]


def test_api_errors(dp):
    """The data plane's error text, named by peer and method; exit 1."""
    p = ctl("-s", dp.sock, "vip", "del", "1.2.3.4")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == "anyway-ctl: data plane: vip.del: addr: 1.2.3.4 is not a VIP\n"
    p = ctl("-s", dp.sock, "vip", "add", "10.2.0.1")
    assert p.returncode == 1
    assert p.stderr == ("anyway-ctl: data plane: vip.add: addr: 10.2.0.1 is an address of "
                        "port 1, not a VIP\n")
    p = ctl("-s", dp.sock, "vip", "add", "300.1.1.1")
    assert p.returncode == 1 and p.stderr.startswith("anyway-ctl: data plane: vip.add: addr")


def test_ping_and_config(dp):
    p = ctl("-s", dp.sock, "ping")
    assert p.returncode == 0 and kv(p.stdout)["pong"] == "anyway-dataplane"
    p = ctl("-s", dp.sock, "config")
    assert p.returncode == 0
    first, _, rest = p.stdout.partition("\n")
    assert first.startswith("# ") and first.endswith("cfg.json")
    assert json.loads(rest)["ports"] == DP_CONFIG["ports"]


def _asrs_methods(dp):
    from harness import api_call
    return "service.list" not in api_call(dp.sock, {"op": "service.list"}).get("error", "")


def test_feature_commands_without_the_feature(dp):
    """services / listeners / sessions / relays on a data plane without ASRS
    or TRS: the data plane's own error, exit 1 (whatever the build has)."""
    for args, op in ((["services"], "service.list"), (["listeners"], "listener.list"),
                     (["sessions"], "session.list"), (["relays"], "relay.list")):
        p = ctl("-s", dp.sock, *args)
        assert p.returncode == 1, (args, p.stdout)
        assert p.stderr.startswith(f"anyway-ctl: data plane: {op}: "), p.stderr
        assert ("not enabled" in p.stderr) or ("unknown method" in p.stderr), p.stderr


ASRS_CONFIG = dict(DP_CONFIG, asrs={"snat": ["10.2.0.1"]},
                   listeners=[{"vip": "203.0.113.10", "proto": "tcp", "port": 80,
                               "service": "asrs://shop.example/web"}],
                   services=[{"service": "asrs://shop.example/web", "destinations": [
                       {"addr": "10.2.0.2", "port": 8080, "priority": 10, "weight": 100}]}])


@pytest.fixture(scope="module")
def asrs_dp():
    try:
        with Dataplane(ASRS_CONFIG, {}) as d:
            yield d
    except DataplaneError as e:
        if "not implemented" in str(e):
            pytest.skip("this build's data plane has no ASRS yet (config key asrs: "
                        "'recognised but not implemented'); branch asrs not merged")
        raise


def test_services_and_listeners(asrs_dp):
    s = asrs_dp.sock
    p = ctl("-s", s, "services")
    assert p.returncode == 0, p.stderr
    rows = table(p.stdout)
    assert rows == [{"SERVICE": "asrs://shop.example/web", "SID": rows[0]["SID"],
                     "DESTINATION": "10.2.0.2:8080", "PRIORITY": "10", "WEIGHT": "100"}]
    assert len(rows[0]["SID"]) == 16
    p = ctl("-s", s, "service", "set", "asrs://shop.example/web", "dest", "10.2.0.3:80",
            "priority", "20", "dest", "10.2.0.2:8080", "priority", "10")
    assert p.returncode == 0, p.stderr
    rows = table(ctl("-s", s, "services").stdout)
    assert sorted((r["DESTINATION"], r["PRIORITY"]) for r in rows) == [
        ("10.2.0.2:8080", "10"), ("10.2.0.3:80", "20")]
    assert rows[1]["SERVICE"] == ""  # one service, two destination rows
    p = ctl("-s", s, "listeners")
    assert table(p.stdout) == [{"VIP": "203.0.113.10", "PROTO": "tcp", "PORT": "80",
                                "SERVICE": "asrs://shop.example/web"}]
    p = ctl("-s", s, "listener", "add", "203.0.113.10", "udp", "53", "asrs://shop.example/web")
    assert p.returncode == 0, p.stderr
    assert len(table(ctl("-s", s, "listeners").stdout)) == 2
    p = ctl("-s", s, "listener", "del", "203.0.113.10", "udp", "53")
    assert p.returncode == 0, p.stderr
    p = ctl("-s", s, "listener", "del", "203.0.113.10", "udp", "53")
    assert p.returncode == 1 and p.stderr.startswith("anyway-ctl: data plane: listener.del: ")
    p = ctl("-s", s, "service", "set", "asrs://shop.example/web", "dest", "10.2.0.3:80",
            "dest", "10.2.0.3:80")  # refused by the data plane (weight 0 is valid: drained)
    assert p.returncode == 1 and "same address and port" in p.stderr, p.stderr
    p = ctl("-s", s, "sessions")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "0 sessions"
    p = ctl("-s", s, "service", "del", "asrs://shop.example/web")
    assert p.returncode == 0, p.stderr


def test_sessions_real(asrs_dp_sessions):
    """Three SYNs through the listener make three sessions; sessions shows
    them as one aligned table, limit N stops after N."""
    s = asrs_dp_sessions.sock
    p = ctl("-s", s, "sessions")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[-1] == "3 sessions"
    rows = table("\n".join(lines[:-1]))
    assert sorted(r["CLIENT"] for r in rows) == ["10.1.0.2:40000", "10.1.0.2:40001",
                                                 "10.1.0.2:40002"]
    for r in rows:
        assert r["PROTO"] == "tcp" and r["VIP"] == "203.0.113.10:80"
        assert r["DESTINATION"] == "10.2.0.2:8080" and r["SNAT"].startswith("10.2.0.1:")
        assert r["SERVICE"] == "asrs://shop.example/web" and r["STATE"] == "syn_seen"
    p = ctl("-s", s, "sessions", "limit", "2")
    lines = p.stdout.strip().splitlines()
    assert p.returncode == 0 and lines[-1] == "2 sessions (limit reached)"
    assert len(table("\n".join(lines[:-1]))) == 2
    p = ctl("-s", s, "--json", "sessions", "limit", "2")
    reply = json.loads(p.stdout)
    assert reply["ok"] is True and len(reply["sessions"]) == 2
    p = ctl("-s", s, "stats")
    assert kv(section(p.stdout, "asrs"))["sessions"] == "3"


@pytest.fixture
def asrs_dp_sessions():
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    cfg = dict(ASRS_CONFIG, neighbors=[{"addr": "10.2.0.2", "mac": "02:00:00:00:00:22",
                                        "port": 1}])
    cfg["ports"] = [dict(DP_CONFIG["ports"][0], mac="02:00:00:00:00:01"), DP_CONFIG["ports"][1]]
    syns = [Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:aa") /
            IP(src="10.1.0.2", dst="203.0.113.10") / TCP(sport=40000 + i, dport=80, flags="S")
            for i in range(3)]
    try:
        with Dataplane(cfg, {0: syns}) as d:
            d.wait_idle()
            yield d
    except DataplaneError as e:
        if "not implemented" in str(e):
            pytest.skip("this build's data plane has no ASRS yet; branch asrs not merged")
        raise
