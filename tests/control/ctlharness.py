"""Harness of the control-plane tests: real anyway-mapd / anyway-agent /
anyway-registrar processes (and the data-plane test double) on loopback.

Every process is started through a Procs object whose cleanup() (a pytest
finalizer) stops it (SIGTERM, then SIGKILL after 5 s); every wait is bounded;
ports are picked free at random; unix sockets live in a short temporary
directory that is removed afterwards.

Binaries come from $AW_BUILD (the build directory), else build/ of this checkout.

TLS (SPEC 7.4): every TCP control connection is TLS 1.3 with certificates of a
CA made once per test process by deploy/pki/anyway-pki (pki(), cert(); removed
at exit). tls_args(NAME) are the --ca/--cert/--key options of a program with
identity NAME; LineClient speaks TLS to a TCP peer (identity "admin" unless
told otherwise). AW_CONTROL_TLS=0 switches every start to --insecure (plain
TCP) in this one place.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WAIT = 15.0  # default bound of every wait
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")


TLS = os.environ.get("AW_CONTROL_TLS", "1") != "0"
PKI = ROOT / "deploy" / "pki" / "anyway-pki"
_pki_dirs = {}
_contexts = {}


def pki(which="ca"):
    """Directory of a test CA (ca.pem, NAME.pem, NAME.key), made once per process."""
    if which not in _pki_dirs:
        base = Path(tempfile.mkdtemp(prefix="awpki%d-" % os.getpid(), dir="/tmp"))
        atexit.register(shutil.rmtree, base, True)
        subprocess.run([str(PKI), "init", str(base / which)], check=True, capture_output=True, timeout=60)
        _pki_dirs[which] = base / which
    return _pki_dirs[which]


def cert(name, days=None, which="ca"):
    """(certificate, key) paths of identity NAME from CA `which`, issued on first use;
    days < 0 gives an expired certificate."""
    d = pki(which)
    c = d / (name + ".pem")
    if not c.exists():
        extra = ["--days", str(days)] if days is not None else []
        subprocess.run([str(PKI), "issue", str(d), name] + extra, check=True, capture_output=True, timeout=60)
    return str(c), str(d / (name + ".key"))


def tls_args(name):
    """Options of a control program with identity NAME (--insecure with AW_CONTROL_TLS=0)."""
    if not TLS:
        return ["--insecure"]
    c, k = cert(name)
    return ["--ca", str(pki() / "ca.pem"), "--cert", c, "--key", k]


def client_context(name="admin", which="ca", ca="ca"):
    """An ssl client context: TLS 1.3, CA `ca`, certificate NAME of CA `which` (None: none)."""
    key = (name, which, ca)
    if key not in _contexts:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False  # identities are checked by the CA, not by host name
        ctx.load_verify_locations(str(pki(ca) / "ca.pem"))
        if name is not None:
            ctx.load_cert_chain(*cert(name, which=which))
        _contexts[key] = ctx
    return _contexts[key]


def tls_wrap(sock, name="admin"):
    """sock (connected TCP) as a TLS client with identity NAME; as is with AW_CONTROL_TLS=0."""
    if not TLS:
        return sock
    return client_context(name).wrap_socket(sock)


def tls_accept(sock, name="mapd"):
    """An accepted connection (a test's stand-in map server) as a TLS server with
    identity NAME that requires a client certificate of the test CA."""
    if not TLS:
        return sock
    key = ("server", name)
    if key not in _contexts:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(pki() / "ca.pem"))
        ctx.load_cert_chain(*cert(name))
        _contexts[key] = ctx
    return _contexts[key].wrap_socket(sock, server_side=True)


def build_dir():
    return Path(os.environ.get("AW_BUILD") or ROOT / "build")


def prog(name):
    sub = {"anyway-mapd": "mapd", "anyway-agent": "agent", "anyway-registrar": "registrar"}[name]
    return str(build_dir() / "control" / sub / name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=WAIT, what="condition", interval=0.02):
    """Polls pred() until it returns a true value (returned) or timeout (AssertionError)."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
        except (OSError, ValueError, KeyError) as e:
            last = None
            err = e
        else:
            err = None
        if last:
            return last
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s (last error: %s)" % (timeout, what, err))
        time.sleep(interval)


class LineClient:
    """One connection speaking JSON lines (TCP "host:port" or a unix path)."""

    def __init__(self, where, timeout=WAIT, tls="admin"):
        """tls: identity of the client certificate over TCP, an ssl.SSLContext, or
        None / False for plain TCP."""
        if isinstance(where, tuple):
            self.s = socket.create_connection(where, timeout=timeout)
            if isinstance(tls, ssl.SSLContext):
                self.s = tls.wrap_socket(self.s)
            elif tls:
                self.s = tls_wrap(self.s, tls)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(where)
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, obj):
        self.send_raw((json.dumps(obj, separators=(",", ":")) + "\n").encode())

    def recv(self):
        """Next line as JSON; None when the peer closed."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, obj):
        self.send(obj)
        return self.recv()

    def close(self):
        self.s.close()


class Procs:
    """Processes and files of one test; cleanup() stops everything."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="awc", dir="/tmp"))
        self.procs = []
        self.n = 0

    def start(self, cmd, name):
        self.n += 1
        log = open(self.dir / ("%s.%d.log" % (name, self.n)), "wb")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.aw_log = log.name
        p.aw_name = name
        self.procs.append(p)
        return p

    def log(self, p):
        with open(p.aw_log, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, p, sig=signal.SIGTERM, timeout=5.0):
        """Signals p and waits (bounded); SIGKILL if it does not stop. Returns the exit code."""
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        return p.returncode

    def cleanup(self, keep_dir=False):
        """Stops every process; raises when a sanitizer reported anything (ASan builds)."""
        for p in self.procs:
            self.stop(p, signal.SIGTERM)
        reports = [(p.aw_name, self.log(p)) for p in self.procs]
        if keep_dir:
            print("logs kept in", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        for name, log in reports:
            for mark in SANITIZER_MARKS:
                if mark in log:
                    raise AssertionError("sanitizer report from %s:\n%s" % (name, log[-6000:]))

    # -- the programs --------------------------------------------------------
    def mapd(self, port=None, args=(), wrap=(), probe_tls=True):
        """wrap: a command prefix (e.g. valgrind) for the benchmark. probe_tls=False:
        the readiness probe is a plain TCP connect (a map server with a certificate
        the test CA does not know)."""
        port = port or free_port()
        own = "--insecure" in args or "--ca" in args  # the test's own transport
        p = self.start(list(wrap) + [prog("anyway-mapd"), "--listen", "127.0.0.1:%d" % port]
                       + ([] if own else tls_args("mapd")) + list(args), "mapd")
        p.port = port
        p.tls = TLS and "--insecure" not in args
        wait_until(lambda: _can_connect(("127.0.0.1", port), tls="admin" if p.tls and probe_tls else None)
                   or p.poll() is not None,
                   timeout=60 if wrap else WAIT, what="anyway-mapd listening")
        assert p.poll() is None, self.log(p)
        return p

    def fake_dp(self, path=None, args=()):
        path = path or str(self.dir / "dp.sock")
        p = self.start([sys.executable, str(HERE / "fake_dataplane.py"), "--socket", path] + list(args), "fakedp")
        p.sock = path
        wait_until(lambda: _can_connect(path) or p.poll() is not None, what="fake data plane listening")
        assert p.poll() is None, self.log(p)
        return p

    def agent(self, mapd_ports, dp_sock, args=(), wrap=()):
        """wrap: a command prefix (e.g. valgrind) for the benchmark."""
        status = str(self.dir / ("agent%d.sock" % (self.n + 1)))
        cmd = (list(wrap) + [prog("anyway-agent"), "--dataplane", dp_sock, "--status", status]
               + _tls_unless_given("agent", args) + list(args))
        for port in mapd_ports:
            cmd += ["--mapd", "127.0.0.1:%d" % port]
        p = self.start(cmd, "agent")
        p.status = status
        wait_until(lambda: _can_connect(status) or p.poll() is not None, timeout=60 if wrap else WAIT,
                   what="agent status socket")
        assert p.poll() is None, self.log(p)
        return p

    def registrar(self, mapd_ports, services, args=(), config=None):
        """services: [{"service", "addr", "port", ...}] given as flags (True: a flag
        without value, like drain); or config: a --config FILE."""
        cmd = [prog("anyway-registrar"), "--check-interval-ms", "200"] + _tls_unless_given("registrar", args) + list(args)
        for port in mapd_ports:
            cmd += ["--mapd", "127.0.0.1:%d" % port]
        if config is not None:
            cmd += ["--config", str(config)]
        for s in services:
            cmd += ["--service", s["service"]]
            for k, v in s.items():
                if k != "service":
                    cmd += ["--" + k.replace("_", "-")] + ([] if v is True else [str(v)])
        return self.start(cmd, "registrar")


def _tls_unless_given(name, args):
    return [] if "--insecure" in args or "--ca" in args else tls_args(name)


def _can_connect(where, tls=None):
    try:
        c = LineClient(where, timeout=1, tls=tls)
    except OSError:
        return False
    c.close()
    return True


def admin(port):
    c = LineClient(("127.0.0.1", port))
    r = c.call({"op": "hello", "role": "admin", "name": "test"})
    assert r["ok"], r
    return c


def dp_dump(path):
    c = LineClient(path)
    try:
        r = c.call({"op": "dump"})
    finally:
        c.close()
    assert r["ok"], r
    return r


def agent_status(path):
    c = LineClient(path)
    try:
        return c.call({"op": "status"})
    finally:
        c.close()


def dests(dump, uri):
    """{(addr, port): (priority, weight)} of a service in a fake data plane dump (None: absent)."""
    if uri not in dump["services"]:
        return None
    return {(d["addr"], d["port"]): (d["priority"], d["weight"]) for d in dump["services"][uri]}


def reg(service, addr, port, priority=0, weight=100, ttl=30):
    return {"op": "register", "service": service, "addr": addr, "port": port,
            "priority": priority, "weight": weight, "ttl": ttl}
