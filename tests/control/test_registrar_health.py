"""anyway-registrar's health checks (SPEC §11) against real HTTP, HTTPS and
TCP backends on loopback: rise/fall counts, expected status and body, HTTPS
with a test CA, parallel checks (a hanging backend delays nobody), drain
(weight 0) by flag and by SIGHUP, bad keys; and the log lines (levels,
journald prefixes, condensed repeats, --log-level)."""

import http.server
import json
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from ctlharness import admin, free_port, prog, wait_until


class Backend(http.server.ThreadingHTTPServer):
    """Answers GET with script.pop(0) while the script has more than one
    entry, then its last entry: (status, body). Records what it answered."""

    def __init__(self, script, tls_ctx=None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.script = list(script)
        self.answered = []
        if tls_ctx is not None:
            self.socket = tls_ctx.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def next(self):
        with self.lock:
            a = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            self.answered.append(a[0])
            return a

    def set(self, script):
        with self.lock:
            self.script = list(script)
            self.answered = []

    @property
    def port(self):
        return self.server_address[1]

    def stop(self):
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = self.server.next()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def backends():
    made = []

    def make(script, tls_ctx=None):
        b = Backend(script, tls_ctx)
        made.append(b)
        return b
    yield make
    for b in made:
        b.stop()


def dests(port):
    """{service: {(addr, port): weight}} in a map server."""
    a = admin(port)
    try:
        r = a.call({"op": "service.list"})
    finally:
        a.close()
    return {s["service"]: {(d["addr"], d["port"]): d["weight"] for d in s["destinations"]} for s in r["services"]}


def svc(uri, port, **kw):
    return dict({"service": uri, "addr": "127.0.0.1", "port": port}, **kw)


def test_rise_fall_counts(procs, backends):
    m = procs.mapd()
    b = backends([(500, b"")])
    r = procs.registrar([m.port], [svc("asrs://h/rf", b.port, check="http:/x", rise=3, fall=2)])
    wait_until(lambda: b.answered.count(500) >= 2, what="failing checks")
    b.set([(200, b"")])
    wait_until(lambda: "asrs://h/rf" in dests(m.port), what="registered after rise")
    assert b.answered.count(200) >= 3, b.answered  # rise 3: three passes in a row first
    # one failure is not enough to withdraw (fall 2); passes then reset the count
    b.set([(500, b""), (200, b""), (500, b""), (200, b"")])
    wait_until(lambda: len(b.answered) >= 6, what="blips answered")
    assert "asrs://h/rf" in dests(m.port)
    assert "fails: deregistering" not in procs.log(r)
    b.set([(503, b"")])
    wait_until(lambda: "asrs://h/rf" not in dests(m.port), what="withdrawn after fall")
    assert b.answered.count(503) >= 2, b.answered
    assert "fails: deregistering" in procs.log(r)


def test_expected_status_and_body(procs, backends):
    m = procs.mapd()
    gone = backends([(404, b"")])
    ready = backends([(200, b"state: ready\n")])
    starting = backends([(200, b"state: starting\n")])
    procs.registrar([m.port], [
        svc("asrs://h/404", gone.port, check="http:/gone", expect_status="404,410", rise=1),
        svc("asrs://h/200only", gone.port, check="http:/gone", rise=1),
        svc("asrs://h/ready", ready.port, check="http:/s", expect_status="200-204", expect_body="ready", rise=1),
        svc("asrs://h/starting", starting.port, check="http:/s", expect_body="ready", rise=1),
    ])
    wait_until(lambda: set(dests(m.port)) == {"asrs://h/404", "asrs://h/ready"}, what="expected ones only")
    wait_until(lambda: len(starting.answered) >= 3 and len(gone.answered) >= 6, what="more checks")
    assert set(dests(m.port)) == {"asrs://h/404", "asrs://h/ready"}


@pytest.fixture
def tls_backend(backends, tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=health-test",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(crt), str(key))
    return backends([(200, b"ok")], ctx), crt


def test_https_checks(procs, tls_backend):
    b, crt = tls_backend
    m = procs.mapd()
    r = procs.registrar([m.port], [
        svc("asrs://h/tls", b.port, check="https:/ok", ca_file=str(crt), rise=1),
        svc("asrs://h/tls-untrusted", b.port, check="https:/ok", rise=1),
        svc("asrs://h/tls-noverify", b.port, check="https:/ok", no_tls_verify=True, rise=1),
        svc("asrs://h/plain-to-tls", b.port, check="http:/ok", rise=1),
    ])
    wait_until(lambda: set(dests(m.port)) == {"asrs://h/tls", "asrs://h/tls-noverify"}, what="verified TLS")
    wait_until(lambda: "asrs://h/tls-untrusted 127.0.0.1 port %d: check failed" % b.port in procs.log(r),
               what="the failure logged")
    assert set(dests(m.port)) == {"asrs://h/tls", "asrs://h/tls-noverify"}


def test_hanging_backend_delays_no_other_check_or_renewal(procs, backends):
    """A backend that accepts and never answers: its check waits its whole
    timeout, while the others are checked and renewed (ttl 1 s: a renewal late
    by a second lets the map server expire the registration)."""
    m = procs.mapd()
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)  # never accepted: connects, then silence
    try:
        fast = backends([(200, b"")])
        r = procs.registrar([m.port], [
            svc("asrs://h/hang", hang.getsockname()[1], check="http:/x", check_timeout_ms=20000, rise=1, ttl=1),
            svc("asrs://h/fast", fast.port, check="http:/x", rise=1, ttl=1),
            svc("asrs://h/tcp", fast.port, check="tcp", rise=1, ttl=1),
        ])
        wait_until(lambda: set(dests(m.port)) == {"asrs://h/fast", "asrs://h/tcp"}, what="fast ones registered")
        start = len(fast.answered)
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:  # registered all along, and checked again and again
            assert set(dests(m.port)) == {"asrs://h/fast", "asrs://h/tcp"}, procs.log(r)
            time.sleep(0.1)
        assert len(fast.answered) - start >= 5
    finally:
        hang.close()


def test_drain_by_flag_and_by_sighup(procs, tmp_path):
    m = procs.mapd()
    f = tmp_path / "svc.json"
    entry = {"service": "asrs://h/d", "addr": "10.0.0.7", "port": 80, "check": "none"}
    f.write_text(json.dumps({"services": [entry]}))
    r = procs.registrar([m.port], [], config=f)
    procs.registrar([m.port], [{"service": "asrs://h/flag", "addr": "10.0.0.8", "port": 80, "check": "none",
                                "drain": True}])
    wait_until(lambda: dests(m.port).get("asrs://h/d") == {("10.0.0.7", 80): 100}, what="registered, weight 100")
    wait_until(lambda: dests(m.port).get("asrs://h/flag") == {("10.0.0.8", 80): 0}, what="--drain: weight 0")
    f.write_text(json.dumps({"services": [dict(entry, drain=True)]}))
    r.send_signal(signal.SIGHUP)
    wait_until(lambda: dests(m.port).get("asrs://h/d") == {("10.0.0.7", 80): 0}, what="drained: weight 0")
    f.write_text(json.dumps({"services": [dict(entry, drain="yes")]}))  # bad: old config kept
    r.send_signal(signal.SIGHUP)
    wait_until(lambda: "services[0].drain: expected true or false" in procs.log(r), what="reload refused")
    assert r.poll() is None and dests(m.port).get("asrs://h/d") == {("10.0.0.7", 80): 0}
    f.write_text(json.dumps({"services": [entry]}))
    r.send_signal(signal.SIGHUP)
    wait_until(lambda: dests(m.port).get("asrs://h/d") == {("10.0.0.7", 80): 100}, what="undrained")


BASE = {"service": "asrs://x", "addr": "10.0.0.1", "port": 80, "check": "http:/h"}


@pytest.mark.parametrize("extra,msg", [
    ({"rise": 0}, "services[0].rise: expected integer 1..100, got 0"),
    ({"fall": "3"}, "services[0].fall: expected integer 1..100"),
    ({"expect_status": "200-99"}, "services[0].expect_status: expected status codes 100..599 or ranges like "
                                  "200-399, got '200-99'"),
    ({"expect_status": [200, 1000]}, "got '1000'"),
    ({"expect_status": {}}, "services[0].expect_status: expected a string"),
    ({"expect_body": ""}, "services[0].expect_body: expected a string of 1..255 characters"),
    ({"check_timeout_ms": 50}, "services[0].check_timeout_ms: expected integer 100..60000, got 50"),
    ({"check_interval_ms": 10}, "services[0].check_interval_ms: expected integer 100..3600000, got 10"),
    ({"ca_file": "/nonexistent/ca.pem", "check": "https:/h"}, "services[0].ca_file: cannot read the file"),
    ({"ca_file": "/etc/hostname"}, "services[0].ca_file: only with an https:/PATH check"),
    ({"tls_verify": 1, "check": "https:/h"}, "services[0].tls_verify: expected true or false"),
    ({"drain": 1}, "services[0].drain: expected true or false"),
    ({"check": "tcp", "expect_status": "200"}, "services[0].expect_status: only with an http:/PATH or https:/PATH"),
    ({"check": "https:nopath"}, "services[0].check: expected tcp, none, http:/PATH or https:/PATH"),
])
def test_bad_check_keys_exit_2(tmp_path, extra, msg):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"services": [dict(BASE, **extra)]}))
    r = subprocess.run([prog("anyway-registrar"), "--mapd", "127.0.0.1:1", "--config", str(f)],
                       capture_output=True, timeout=10)
    assert r.returncode == 2 and msg in r.stderr.decode(), r.stderr


def test_bad_log_level_exit_2():
    r = subprocess.run([prog("anyway-registrar"), "--mapd", "127.0.0.1:1", "--log-level", "loud",
                        "--service", "asrs://x", "--addr", "10.0.0.1", "--port", "80"],
                       capture_output=True, timeout=10)
    assert r.returncode == 2 and "--log-level: expected error, warning, notice, info or debug, got 'loud'" in \
        r.stderr.decode(), r.stderr


# -- log lines ------------------------------------------------------------------------------
NONE = {"service": "asrs://h/log", "addr": "10.0.0.9", "port": 80, "check": "none"}


def test_log_levels_and_condensed_reconnect_errors(procs):
    port = free_port()
    r = procs.registrar([port], [NONE])
    wait_until(lambda: "warning: mapd 127.0.0.1:%d: Connection refused" % port in procs.log(r), what="first error")
    time.sleep(1.5)  # the registrar retries (backoff from 100 ms) meanwhile
    m = procs.mapd(port=port)
    wait_until(lambda: "asrs://h/log" in dests(m.port), what="registered")
    wait_until(lambda: "notice: mapd 127.0.0.1:%d: connected" % port in procs.log(r), what="connected")
    log = procs.log(r)
    assert log.count("Connection refused") == 2, log  # the first, then the summary
    assert "Connection refused (repeated " in log and " times in " in log, log
    for line in log.splitlines():
        assert line.split(": ")[1] in ("error", "warning", "notice", "info", "debug"), line


def test_journald_prefixes(procs, monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    m = procs.mapd()
    r = procs.registrar([m.port], [NONE])
    wait_until(lambda: "asrs://h/log" in dests(m.port), what="registered")
    wait_until(lambda: "<5>asrs://h/log 10.0.0.9 port 80: health check passes" in procs.log(r),
               what="a notice with its priority")
    log = procs.log(r)
    assert "<5>mapd 127.0.0.1:%d: connected" % m.port in log, log
    assert all(line[:3] in ("<3>", "<4>", "<5>", "<6>", "<7>") for line in log.splitlines()), log


def test_log_level_filters(procs):
    port = free_port()
    quiet = procs.registrar([port], [NONE], args=["--log-level", "error"])
    warn = procs.registrar([port], [NONE], args=["--log-level", "warning"])
    wait_until(lambda: "warning: mapd" in procs.log(warn), what="the warning")
    m = procs.mapd(port=port)
    wait_until(lambda: "asrs://h/log" in dests(m.port), what="registered")
    procs.stop(quiet)
    procs.stop(warn)
    assert procs.log(quiet) == ""
    assert "notice:" not in procs.log(warn) and "info:" not in procs.log(warn)


def test_drain_reaches_the_data_plane_as_weight_0(procs):
    """registrar --drain → map server → agent → data plane: the destination is
    applied with weight 0 (listed, sessions kept, no new flows), not deleted;
    when one map server drains it and the other does not, the weight wins."""
    from ctlharness import dests as dp_dests, dp_dump
    m1, m2 = procs.mapd(), procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m1.port, m2.port], dp.sock)
    uri = "asrs://h/chain"
    base = {"service": uri, "addr": "10.0.0.11", "port": 80, "check": "none"}
    procs.registrar([m1.port], [dict(base, drain=True), dict(base, addr="10.0.0.12")])
    want = {("10.0.0.11", 80): (0, 0), ("10.0.0.12", 80): (0, 100)}
    wait_until(lambda: dp_dests(dp_dump(dp.sock), uri) == want, what="drained one applied with weight 0")
    procs.registrar([m2.port], [base])  # the same destination with a weight at the other map server
    want[("10.0.0.11", 80)] = (0, 100)
    wait_until(lambda: dp_dests(dp_dump(dp.sock), uri) == want, what="a weight from any map server wins")
