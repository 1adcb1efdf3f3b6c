"""anyway-registrar against a real anyway-mapd: health checks, renewal,
deregistration on SIGTERM, reconnection, several map servers, bad input."""

import http.server
import subprocess
import threading

import pytest

from ctlharness import admin, free_port, prog, tls_args, wait_until


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = {"/ok": 200, "/moved": 302}.get(self.path, 500)
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def http_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def registered(port):
    """{service: {(addr, port), ...}} in a map server."""
    a = admin(port)
    try:
        r = a.call({"op": "service.list"})
    finally:
        a.close()
    return {s["service"]: {(d["addr"], d["port"]) for d in s["destinations"]} for s in r["services"]}


def test_http_check_renewal_and_failure(procs, http_server):
    m = procs.mapd()
    hp = http_server.server_address[1]
    r = procs.registrar([m.port], [
        {"service": "asrs://web/ok", "addr": "127.0.0.1", "port": hp, "check": "http:/ok", "ttl": 2},
        {"service": "asrs://web/moved", "addr": "127.0.0.1", "port": hp, "check": "http:/moved", "ttl": 2},
        {"service": "asrs://web/broken", "addr": "127.0.0.1", "port": hp, "check": "http:/broken", "ttl": 2},
    ])
    want = {"asrs://web/ok": {("127.0.0.1", hp)}, "asrs://web/moved": {("127.0.0.1", hp)}}
    wait_until(lambda: registered(m.port) == want, what="2xx and 3xx registered, 5xx not")
    # renewed every ttl/3: the time left goes down, then back up, and never runs out
    a = admin(m.port)
    seen = []

    def renewed():
        d = a.call({"op": "service.get", "service": "asrs://web/ok"})["service"]["destinations"][0]
        seen.append(d["ttl_left_ms"])
        return len(seen) > 1 and seen[-1] > seen[-2]
    wait_until(renewed, what="a renewal", interval=0.05)
    assert 0 < max(seen) <= 2000
    log_lines = lambda: procs.log(r).count("passes: registering")
    assert log_lines() == 2
    http_server.shutdown()
    http_server.server_close()
    wait_until(lambda: registered(m.port) == {}, what="withdrawn when the check fails")
    assert "fails: deregistering" in procs.log(r)


def test_sigterm_deregisters_and_exits_0(procs):
    m1, m2 = procs.mapd(), procs.mapd()
    r = procs.registrar([m1.port, m2.port], [
        {"service": "asrs://a/x", "addr": "10.0.0.1", "port": 80, "check": "none", "ttl": 600},
        {"service": "asrs://a/x", "addr": "2001:db8::1", "port": 80, "check": "none", "ttl": 600, "priority": 5},
    ])
    want = {"asrs://a/x": {("10.0.0.1", 80), ("2001:db8::1", 80)}}
    for m in (m1, m2):  # registered with every map server
        wait_until(lambda: registered(m.port) == want, what="registered")
    assert procs.stop(r) == 0
    assert registered(m1.port) == {} and registered(m2.port) == {}  # at once, not after the ttl


def test_reconnects_to_a_map_server_that_starts_later(procs):
    port = free_port()
    procs.registrar([port], [{"service": "asrs://late/x", "addr": "10.0.0.1", "port": 80, "check": "none"}])
    m = procs.mapd(port=port)
    wait_until(lambda: registered(m.port) == {"asrs://late/x": {("10.0.0.1", 80)}}, what="registered late")
    procs.stop(m)
    m2 = procs.mapd(port=port)  # a restarted map server gets the registration again
    wait_until(lambda: registered(m2.port) == {"asrs://late/x": {("10.0.0.1", 80)}}, what="registered again")


def test_config_file(procs, tmp_path):
    m = procs.mapd()
    f = tmp_path / "svc.json"
    f.write_text('{"services": [{"service": "asrs://f/x", "addr": "10.0.0.5", "port": 81, "check": "none",'
                 ' "priority": 3, "weight": 9}]}')
    procs.start([prog("anyway-registrar")] + tls_args("registrar") + ["--mapd", "127.0.0.1:%d" % m.port, "--config", str(f)], "registrar")
    wait_until(lambda: registered(m.port) == {"asrs://f/x": {("10.0.0.5", 81)}}, what="registered from file")
    d = admin(m.port).call({"op": "service.get", "service": "asrs://f/x"})["service"]["destinations"][0]
    assert (d["priority"], d["weight"]) == (3, 9)


@pytest.mark.parametrize("args,msg", [
    (["--service", "asrs://x", "--addr", "10.0.0.1", "--port", "0"], "port: expected integer 1..65535"),
    (["--service", "asrs://x", "--addr", "10.0.0.256", "--port", "80"], "addr"),
    (["--service", "asrs://x", "--addr", "10.0.0.1", "--port", "80", "--ttl", "0"], "ttl"),
    (["--service", "asrs://x", "--addr", "10.0.0.1", "--port", "80", "--check", "ftp"], "check: expected"),
    (["--service", "asrs://x", "--addr", "10.0.0.1", "--port", "80", "--check", "http:health"],
     "check: expected tcp, none, http:/PATH or https:/PATH (the path starts with '/'), got 'http:health'"),
    (["--addr", "10.0.0.1"], "give --service first"),
    (["--service", "asrs://x", "--addr", "10.0.0.1"], "port: missing"),
])
def test_bad_flags_exit_2(args, msg):
    r = subprocess.run([prog("anyway-registrar"), "--mapd", "127.0.0.1:1"] + args, capture_output=True, timeout=10)
    assert r.returncode == 2 and msg in r.stderr.decode(), r.stderr


@pytest.mark.parametrize("text,msg", [
    ('{"services": [{"service": "asrs://x", "addr": "10.0.0.1", "port": 80, "weight": 70000}]}',
     "services[0].weight: expected integer 0..65535, got 70000"),
    ('{"services": [{"service": "asrs://x", "addr": "10.0.0.1", "port": 80, "colour": 1}]}', "services[0].colour"),
    ('{"services": []}', "services: expected an array"),
    ('{"services": [', "line 1"),
])
def test_bad_file_exit_2(tmp_path, text, msg):
    f = tmp_path / "bad.json"
    f.write_text(text)
    r = subprocess.run([prog("anyway-registrar"), "--mapd", "127.0.0.1:1", "--config", str(f)],
                       capture_output=True, timeout=10)
    assert r.returncode == 2 and msg in r.stderr.decode(), r.stderr


def test_help_names_http_check_as_written():
    r = subprocess.run([prog("anyway-registrar"), "--help"], capture_output=True, timeout=10)
    out = r.stdout.decode()
    assert r.returncode == 0 and "http:/PATH" in out, out
    assert "http:PATH" not in out, out
