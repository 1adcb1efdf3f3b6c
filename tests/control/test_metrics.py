"""The --metrics endpoints of anyway-mapd and anyway-agent (SPEC §11): scraped
with curl, every response checked by a strict OpenMetrics parser; values
follow actions; malformed HTTP (wrong method or path, oversized or partial
request heads, too many connections) gets the right status or is closed,
and the daemon keeps serving."""

import math
import re
import socket
import subprocess

# Prometheus' own OpenMetrics parser (Debian python3-prometheus-client, in
# tests/install_deps.sh), a second opinion after the strict one below.
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from ctlharness import admin, free_port, prog, reg, tls_args, wait_until

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LVALUE = r'(?:[^"\\\n]|\\[\\"n])*'
SAMPLE_RE = re.compile(r"^(%s)(?:\{(%s=\"%s\"(?:,%s=\"%s\")*)\})? (\S+)$" % (NAME, LABEL, LVALUE, LABEL, LVALUE))
LABEL_RE = re.compile(r'(%s)="(%s)"' % (LABEL, LVALUE))
SUFFIX = {"counter": "_total", "gauge": "", "info": "_info"}
CTYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse(text):
    """Strict OpenMetrics text: {(sample name, ((label, value), ...)): float}.
    Raises AssertionError on anything out of place."""
    assert text.endswith("# EOF\n"), "no '# EOF' at the end"
    lines = text[:-1].split("\n")
    assert lines.pop() == "# EOF"
    families, samples = {}, {}
    cur = None
    for ln in lines:
        assert "# EOF" not in ln, "'# EOF' before the end"
        if ln.startswith("# "):
            kind, name, rest = (ln[2:].split(" ", 2) + [""])[:3]
            assert re.fullmatch(NAME, name), "bad family name %r" % name
            if kind == "TYPE":
                assert name not in families, "family %s twice" % name
                assert rest in SUFFIX, "unknown type %r" % rest
                families[name] = {"type": rest, "help": False}
                cur = name
            elif kind == "HELP":
                assert name == cur and not families[name]["help"], "HELP out of place: %r" % ln
                families[name]["help"] = True
            else:
                raise AssertionError("unknown comment line %r" % ln)
            continue
        m = SAMPLE_RE.match(ln)
        assert m, "not a valid sample line: %r" % ln
        name, labels, value = m.group(1), m.group(2), m.group(3)
        assert cur is not None, "sample before any TYPE: %r" % ln
        typ = families[cur]["type"]
        assert name == cur + SUFFIX[typ], "sample %s outside its family %s (%s)" % (name, cur, typ)
        lab = tuple(sorted((k, unescape(v)) for k, v in LABEL_RE.findall(labels or "")))
        assert len({k for k, _ in lab}) == len(lab), "label repeated: %r" % ln
        key = (name, lab)
        assert key not in samples, "sample repeated: %r" % ln
        v = float(value)  # raises on garbage
        if typ == "counter":
            assert v >= 0 and not math.isnan(v), "negative counter: %r" % ln
        if typ == "info":
            assert v == 1, "info value not 1: %r" % ln
        samples[key] = v
    for name, f in families.items():
        assert f["help"], "family %s has no HELP" % name
        assert any(k[0] == name + SUFFIX[f["type"]] for k in samples), "family %s has no samples" % name
    return samples


def curl(url, *args):
    """(status, headers, body) from a real HTTP client."""
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-i"] + list(args) + [url],
                       capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.decode().partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1])
    headers = {k.lower(): v for k, v in (h.split(": ", 1) for h in head.split("\r\n")[1:])}
    return status, headers, body


def scrape(port):
    status, headers, body = curl("http://127.0.0.1:%d/metrics" % port)
    assert status == 200, (status, body)
    assert headers["content-type"] == CTYPE
    assert int(headers["content-length"]) == len(body.encode())
    samples = parse(body)
    theirs = [(smp.name, tuple(sorted(smp.labels.items())), smp.value)
              for fam in text_string_to_metric_families(body) for smp in fam.samples]
    assert len(theirs) == len(samples)
    for name, labels, value in theirs:
        assert samples[(name, labels)] == value or (math.isnan(value) and math.isnan(samples[(name, labels)]))
    return samples


def val(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_parser_is_strict():
    ok = "# TYPE a counter\n# HELP a h\na_total{x=\"q\\\"\"} 1\n# EOF\n"
    assert parse(ok) == {("a_total", (("x", 'q"'),)): 1.0}
    bad = [
        ok[:-6],                                                      # no EOF
        ok.replace("a_total", "a", 1),                                # counter without _total
        ok.replace("# TYPE a counter\n", ""),                        # sample before TYPE
        ok.replace("# EOF\n", "a_total{x=\"q\\\"\"} 2\n# EOF\n"),     # repeated sample
        ok.replace("1\n", "one\n"),                                   # bad value
        ok.replace("{x=", "{9x="),                                    # bad label name
        ok.replace("# EOF\n", "# TYPE a counter\n# HELP a h\na_total 1\n# EOF\n"),  # family twice
        ok.replace("# HELP a h\n", ""),                               # no HELP
        ok.replace('\\"', '"'),                                       # unescaped quote
    ]
    for text in bad:
        try:
            parse(text)
        except (AssertionError, ValueError):
            continue
        raise AssertionError("parser accepted %r" % text)


def test_mapd_metrics_follow_registrations(procs):
    mport = free_port()
    m = procs.mapd(args=["--metrics", "127.0.0.1:%d" % mport])
    wait_until(lambda: scrape(mport), what="mapd metrics")
    s = scrape(mport)
    assert val(s, "anyway_mapd_registrations") == 0
    assert val(s, "anyway_mapd_connections", role="admin") == 0
    pushes = val(s, "anyway_mapd_pushes_total")
    assert any(k[0] == "anyway_mapd_build_info" for k in s)
    assert val(s, "anyway_mapd_uptime_seconds") >= 0

    a = admin(m.port)
    assert a.call(reg("asrs://m/one", "10.1.0.1", 80))["ok"]
    assert a.call(reg("asrs://m/one", "10.1.0.2", 80))["ok"]
    assert a.call(reg("asrs://m/two", "10.1.0.3", 80))["ok"]
    s = scrape(mport)
    assert val(s, "anyway_mapd_registrations") == 3
    assert val(s, "anyway_mapd_services") == 2
    assert val(s, "anyway_mapd_pushes_total") == pushes + 3
    assert val(s, "anyway_mapd_connections", role="admin") == 1
    assert val(s, "anyway_mapd_metrics_scrapes_total") >= 2
    a.close()
    wait_until(lambda: val(scrape(mport), "anyway_mapd_connections", role="admin") == 0,
               what="admin connection gone")
    assert m.poll() is None


def test_mapd_counts_refusals(procs):
    mport = free_port()
    m = procs.mapd(args=["--metrics", "127.0.0.1:%d" % mport, "--max-per-source", "1"])
    # the harness's readiness probe may still hold the one slot
    wait_until(lambda: sum(v for k, v in scrape(mport).items() if k[0] == "anyway_mapd_connections") == 0,
               what="no connection left")
    a = admin(m.port)
    with socket.create_connection(("127.0.0.1", m.port), timeout=5) as b:
        try:
            while b.recv(4096):  # refused: closed by the server (after an error line, if any)
                pass
        except ConnectionResetError:
            pass
    wait_until(lambda: val(scrape(mport), "anyway_mapd_connections_refused_total", reason="max_per_source") == 1,
               what="refusal counted")
    a.close()


def test_agent_metrics(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    aport = free_port()
    procs.agent([m.port], dp.sock, args=["--metrics", "127.0.0.1:%d" % aport])
    name = "127.0.0.1:%d" % m.port
    wait_until(lambda: val(scrape(aport), "anyway_agent_mapd_state", mapd=name, state="synced") == 1,
               what="agent synced")
    s = scrape(aport)
    assert val(s, "anyway_agent_mapd_state", mapd=name, state="idle") == 0
    assert val(s, "anyway_agent_dataplane_connected") == 1
    assert val(s, "anyway_agent_mapd_snapshots_total", mapd=name) >= 1
    assert val(s, "anyway_agent_mapd_restart_grace_seconds", mapd=name) == 0
    applies = val(s, "anyway_agent_applies_total")

    a = admin(m.port)
    assert a.call(reg("asrs://ag/one", "10.2.0.1", 80))["ok"]
    wait_until(lambda: val(scrape(aport), "anyway_agent_applied_services") == 1, what="service applied")
    s = scrape(aport)
    assert val(s, "anyway_agent_applies_total") > applies
    assert val(s, "anyway_agent_mapd_updates_total", mapd=name) >= 1
    a.close()

    procs.stop(dp)
    wait_until(lambda: val(scrape(aport), "anyway_agent_dataplane_connected") == 0, what="data plane down seen")
    procs.stop(m)
    wait_until(lambda: val(scrape(aport), "anyway_agent_mapd_state", mapd=name, state="synced") == 0,
               what="map server down seen")


def test_registrar_metrics(procs):
    """The registrar's endpoint: per service its health verdict and drain, per
    map server the connection and what was sent, registrations and health
    withdrawals; parsed by the strict parser."""
    import socket
    m = procs.mapd()
    rport = free_port()
    ok_port = free_port()
    srv = socket.socket()
    srv.bind(("127.0.0.1", ok_port))
    srv.listen(16)  # a TCP check passes while this listens
    procs.registrar([m.port], [{"service": "asrs://reg/a", "addr": "127.0.0.1", "port": ok_port, "check": "tcp",
                                "ttl": 3, "rise": 1, "fall": 1},
                               {"service": "asrs://reg/b", "addr": "127.0.0.1", "port": ok_port, "check": "none",
                                "drain": True}],
                    args=["--metrics", "127.0.0.1:%d" % rport])
    name = "127.0.0.1:%d" % m.port

    def up():
        with socket.socket() as c:
            return c.connect_ex(("127.0.0.1", rport)) == 0
    wait_until(up, what="registrar metrics endpoint")
    a = dict(service="asrs://reg/a", addr="127.0.0.1", port=str(ok_port))
    b = dict(service="asrs://reg/b", addr="127.0.0.1", port=str(ok_port))
    wait_until(lambda: val(scrape(rport), "anyway_registrar_service_healthy", **a) == 1, what="a healthy")
    s = scrape(rport)
    assert val(s, "anyway_registrar_mapd_up", mapd=name) == 1
    assert val(s, "anyway_registrar_service_drained", **b) == 1
    assert val(s, "anyway_registrar_service_drained", **a) == 0
    assert val(s, "anyway_registrar_registrations_total") >= 2
    assert val(s, "anyway_registrar_mapd_sent_total", mapd=name) >= 2
    srv.close()  # the TCP check now fails: withdrawn
    wait_until(lambda: val(scrape(rport), "anyway_registrar_service_healthy", **a) == 0, what="a failing")
    assert val(scrape(rport), "anyway_registrar_health_withdrawals_total") == 1


def raw(port, data, timeout=10):
    """Sends data, returns everything until the server closes (or resets)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        out = b""
        try:
            c.sendall(data)
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    return out
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            return out


def test_http_errors(procs):
    mport = free_port()
    m = procs.mapd(args=["--metrics", "127.0.0.1:%d" % mport])
    base = "http://127.0.0.1:%d" % mport
    assert curl(base + "/")[0] == 404
    assert curl(base + "/metricsx")[0] == 404
    status, headers, _ = curl(base + "/metrics", "-X", "POST", "-d", "x=1")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert curl(base + "/metrics", "-X", "DELETE")[0] == 405
    status, headers, body = curl(base + "/metrics?x=1", "-I")  # HEAD: headers only
    assert status == 200 and body == "" and int(headers["content-length"]) > 0
    assert curl(base + "/metrics", "-H", "X-Big: " + "a" * 5000)[0] == 431
    assert raw(mport, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(mport, b"GET /metrics HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(mport, b"GET /metrics HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 ")
    assert raw(mport, b"GET /metrics HTTP/1.0\n\n").startswith(b"HTTP/1.1 200 ")  # bare LF
    assert raw(mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"# EOF\n")
    assert raw(mport, b"GET /metrics HTTP/1.1\r\n\x00\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(mport, b"x" * 100000).startswith(b"HTTP/1.1 431 ")  # no head end at all
    s = scrape(mport)
    assert val(s, "anyway_mapd_metrics_http_errors_total", reason="bad_request") == 9
    assert m.poll() is None


def test_slow_and_too_many_clients(procs):
    mport = free_port()
    m = procs.mapd(args=["--metrics", "127.0.0.1:%d" % mport])
    slow = []
    try:
        for _ in range(16):  # AW_MHTTP_MAX_CONNS, each with a partial request head
            c = socket.create_connection(("127.0.0.1", mport), timeout=30)
            c.sendall(b"GET /metr")
            slow.append(c)
        # the 17th is accepted and closed at once, with no response
        assert raw(mport, b"GET /metrics HTTP/1.1\r\n\r\n") == b""
        # meanwhile the map server's own protocol is served as usual
        a = admin(m.port)
        assert a.call(reg("asrs://m/slow", "10.3.0.1", 80))["ok"]
        a.close()
        # the partial ones are closed by the server's deadline (no response)
        for c in slow:
            assert c.recv(4096) == b""
    finally:
        for c in slow:
            c.close()
    s = scrape(mport)
    assert val(s, "anyway_mapd_metrics_http_errors_total", reason="timeout") == 16
    assert val(s, "anyway_mapd_metrics_http_errors_total", reason="too_many_connections") >= 1
    assert m.poll() is None


def test_bad_metrics_option(procs):
    for p in ("anyway-mapd", "anyway-agent"):
        r = subprocess.run([prog(p), "--mapd", "127.0.0.1:1", "--metrics", "nowhere"] if p == "anyway-agent"
                           else [prog(p), "--metrics", "nowhere"], capture_output=True, timeout=20)
        assert r.returncode == 2, r
        assert b"--metrics 'nowhere': expected HOST:PORT" in r.stderr, r.stderr


def test_metrics_port_in_use(procs):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = "127.0.0.1:%d" % busy.getsockname()[1]
        p = procs.start([prog("anyway-mapd")] + tls_args("mapd") + ["--listen", "127.0.0.1:%d" % free_port(), "--metrics", taken], "mapd")
        assert p.wait(20) == 1
        assert "--metrics %s" % taken in procs.log(p)
