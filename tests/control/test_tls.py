"""TLS 1.3 with mutual authentication on the control connections (SPEC 7.4):
real anyway-mapd / anyway-agent / anyway-registrar / anyway-ctl on loopback,
certificates from the per-session test CA of deploy/pki/anyway-pki (and a
second CA for the refusals). What is checked: the whole chain over TLS, the
identity taken from the certificate (not from hello), every refusal with its
reason in the map server's log and its counter, the start-up refusals (exit 2),
handshakes that never finish, 1,000 silent connections, SIGHUP reload."""

import resource
import shutil
import signal
import socket
import ssl
import subprocess

import pytest

from ctlharness import (PKI, TLS, LineClient, admin, cert, client_context, dests, dp_dump, pki, prog, reg, tls_args,
                        wait_until)
from test_ctl import ctl

pytestmark = pytest.mark.skipif(not TLS, reason="AW_CONTROL_TLS=0: the control plane runs without TLS")


def stats(port):
    a = admin(port)
    try:
        r = a.call({"op": "subscriber.list"})
    finally:
        a.close()
    assert r["ok"], r
    return r


def failed(port):
    return stats(port)["limits"]["tls_handshake_failed"]


def refused(port, ctx):
    """A client with ctx says hello: True when the map server closes the connection
    instead of answering (TLS 1.3: the client's side of the handshake may finish first)."""
    try:
        c = LineClient(("127.0.0.1", port), timeout=10, tls=ctx)
        r = c.call({"op": "hello", "role": "admin", "name": "intruder"})
        c.close()
        return r is None
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def in_log(procs, p, text):
    return text in procs.log(p)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise KeyError("VmRSS")


def test_chain_over_tls_identity_from_certificate(procs):
    """registrar -> mapd -> agent -> data plane, each hop TLS; the identity is the
    certificate's CN whatever hello claims."""
    m = procs.mapd()
    dp = procs.fake_dp()
    procs.agent([m.port], dp.sock, args=["--name", "claims-to-be-admin"])
    procs.registrar([m.port], [{"service": "asrs://tls/web", "addr": "10.7.0.1", "port": 443, "check": "none"}])
    wait_until(lambda: dests(dp_dump(dp.sock), "asrs://tls/web") == {("10.7.0.1", 443): (0, 100)},
               what="registration applied over TLS")
    subs = stats(m.port)["subscribers"]
    assert [(s["name"], s["identity"]) for s in subs] == [("claims-to-be-admin", "agent")], subs
    # anyway-ctl --mapd over TLS shows the same
    p = ctl("--mapd", "127.0.0.1:%d" % m.port, "subscribers")
    assert p.returncode == 0, p.stderr
    assert "IDENTITY" in p.stdout.upper() and "agent" in p.stdout, p.stdout
    assert stats(m.port)["limits"]["tls_handshake_failed"] == 0


@pytest.mark.parametrize("what,make_ctx,reason", [
    ("unknown CA", lambda: client_context("intruder", which="other"),
     "peer certificate refused: unable to get local issuer certificate"),
    ("expired", lambda: (cert("expired", days=-1), client_context("expired"))[1],
     "peer certificate refused: certificate has expired"),
    ("no certificate", lambda: client_context(None), "peer sent no certificate"),
])
def test_client_certificate_refused(procs, what, make_ctx, reason):
    m = procs.mapd()
    before = failed(m.port)
    assert refused(m.port, make_ctx()), what
    wait_until(lambda: in_log(procs, m, "TLS handshake failed: " + reason), what="reason logged: " + reason)
    assert procs.log(m).count("TLS handshake failed") == 1
    assert failed(m.port) == before + 1
    assert admin(m.port).call({"op": "ping"})["ok"]  # still serving


def test_server_certificate_unknown_to_the_clients(procs):
    """A map server whose certificate another CA signed: agent and anyway-ctl refuse it."""
    rogue_cert, rogue_key = cert("rogue-mapd", which="other")
    m = procs.mapd(args=["--ca", str(pki() / "ca.pem"), "--cert", rogue_cert, "--key", rogue_key],
                   probe_tls=False)
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    wait_until(lambda: in_log(procs, ag, "TLS handshake failed: peer certificate refused: "
                                         "unable to get local issuer certificate"), what="agent refuses")
    p = ctl("--mapd", "127.0.0.1:%d" % m.port, "services")
    assert p.returncode == 1 and "TLS handshake failed: peer certificate refused" in p.stderr, p.stderr
    assert m.poll() is None


def test_a_peer_of_the_same_ca_cannot_pose_as_the_map_server(procs):
    """A host holding a registrar's certificate (signed by the operator's CA) listens
    as a map server: agent, registrar and anyway-ctl refuse it by name, and nothing
    is subscribed or registered."""
    rc, rk = cert("registrar")
    m = procs.mapd(args=["--ca", str(pki() / "ca.pem"), "--cert", rc, "--key", rk])
    dp = procs.fake_dp()
    why = ("TLS handshake failed: peer certificate refused: it is 'registrar', not the map server "
           "identity 'mapd' (--mapd-name)")
    ag = procs.agent([m.port], dp.sock)
    rg = procs.registrar([m.port], [{"service": "asrs://tls/pose", "addr": "10.7.0.9", "port": 80, "check": "none"}])
    wait_until(lambda: in_log(procs, ag, why), what="agent refuses the impostor")
    wait_until(lambda: in_log(procs, rg, why), what="registrar refuses the impostor")
    p = ctl("--mapd", "127.0.0.1:%d" % m.port, "services")
    assert p.returncode == 1 and why in p.stderr, p.stderr
    assert stats(m.port)["subscribers"] == []
    r = admin(m.port).call({"op": "service.list"})
    assert r["ok"] and not r.get("services"), r
    assert m.poll() is None and ag.poll() is None and rg.poll() is None


def test_mapd_name_names_the_map_server(procs):
    """A map server whose certificate carries another name is accepted with
    --mapd-name NAME (exact match, no wildcard), also when the name is a DNS SAN
    beside another CN (anyway-pki issue ... --dns NAME)."""
    m = procs.mapd(args=["--ca", str(pki() / "ca.pem"), *[a for a in cert_args("mapd-east")]])
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--mapd-name", "mapd-east", "--name", "east-agent"])
    wait_until(lambda: [s["identity"] for s in stats(m.port)["subscribers"]] == ["agent"], what="agent subscribed")
    assert ctl("--mapd-name", "mapd-east", "--mapd", "127.0.0.1:%d" % m.port, "services").returncode == 0
    p = ctl("--mapd-name", "mapd-eas", "--mapd", "127.0.0.1:%d" % m.port, "services")
    assert p.returncode == 1 and "it is 'mapd-east', not the map server identity 'mapd-eas'" in p.stderr, p.stderr
    # a certificate with CN=mapd-west and the DNS SAN "mapd" passes the default check
    c, k = cert_with_dns("mapd-west", "mapd")
    m2 = procs.mapd(args=["--ca", str(pki() / "ca.pem"), "--cert", c, "--key", k])
    assert ctl("--mapd", "127.0.0.1:%d" % m2.port, "services").returncode == 0
    assert ag.poll() is None


def cert_args(name):
    c, k = cert(name)
    return ["--cert", c, "--key", k]


def cert_with_dns(name, dns):
    d = pki()
    c, k = d / (name + ".pem"), d / (name + ".key")
    if not c.exists():
        subprocess.run([str(PKI), "issue", str(d), name, "--dns", dns], check=True, capture_output=True, timeout=60)
    return str(c), str(k)


def test_mapd_name_refused_where_it_does_not_apply(tmp_path):
    mc, mk = cert("mapd")
    ac, ak = cert("agent")
    ca = str(pki() / "ca.pem")
    r = subprocess.run([prog("anyway-mapd"), "--listen", "127.0.0.1:1", "--ca", ca, "--cert", mc, "--key", mk,
                        "--mapd-name", "mapd"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--mapd-name is for the programs that connect to a map server" in r.stderr, r.stderr
    agent = [prog("anyway-agent"), "--mapd", "127.0.0.1:1", "--status", str(tmp_path / "a.sock")]
    for args, msg in ((["--ca", ca, "--cert", ac, "--key", ak, "--mapd-name", "two words"],
                       "--mapd-name 'two words': expected an identity of 1..253 characters"),
                      (["--ca", ca, "--cert", ac, "--key", ak, "--mapd-name", ""], "--mapd-name '':"),
                      (["--insecure", "--mapd-name", "mapd"], "--mapd-name needs TLS")):
        r = subprocess.run(agent + args, capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)


def test_start_refused_exit_2(tmp_path):
    mc, mk = cert("mapd")
    _, ak = cert("admin")
    ca = str(pki() / "ca.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = [
        ([], "TLS needs --ca FILE, --cert FILE and --key FILE (missing: --ca --cert --key); "
             "plain TCP only with --insecure"),
        (["--ca", ca, "--cert", mc], "(missing: --key)"),
        (["--ca", ca, "--cert", mc, "--key", ak], "--key %s does not match the certificate in --cert %s" % (ak, mc)),
        (["--ca", "/nonexistent/ca.pem", "--cert", mc, "--key", mk], "--ca /nonexistent/ca.pem: No such file"),
        (["--ca", str(garbage), "--cert", mc, "--key", mk], "--ca %s: " % garbage),
        (["--ca", ca, "--cert", str(garbage), "--key", mk], "--cert %s: " % garbage),
        (["--insecure", "--ca", ca], "--insecure cannot be combined"),
    ]
    for args, msg in cases:
        for p, extra in (("anyway-mapd", ["--listen", "127.0.0.1:1"]),
                         ("anyway-agent", ["--mapd", "127.0.0.1:1", "--status", str(tmp_path / "a.sock")]),
                         ("anyway-registrar", ["--mapd", "127.0.0.1:1", "--service", "asrs://x", "--addr",
                                               "10.0.0.1", "--port", "80"])):
            r = subprocess.run([prog(p)] + extra + args, capture_output=True, text=True, timeout=20)
            assert r.returncode == 2 and msg in r.stderr, (p, args, r.stderr)
    # anyway-ctl: for map server commands
    p = ctl("--ca", ca, "--cert", mc, "--key", ak, "--mapd", "127.0.0.1:1", "services")
    assert p.returncode == 2 and "does not match" in p.stderr, p.stderr


def test_insecure_is_loud(procs):
    m = procs.mapd(args=["--insecure"])
    wait_until(lambda: in_log(procs, m, "WARNING: --insecure: control traffic is neither authenticated "
                                        "nor encrypted"), what="warning")
    c = LineClient(("127.0.0.1", m.port), tls=None)
    assert c.call({"op": "hello", "role": "admin", "name": "plain"})["ok"]
    r = c.call({"op": "subscriber.list"})
    assert r["ok"] and r["limits"]["tls_handshakes"] == 0


def test_plain_tcp_to_a_tls_port_is_closed(procs):
    m = procs.mapd()
    before = failed(m.port)
    s = socket.create_connection(("127.0.0.1", m.port), timeout=10)
    s.sendall(b'{"op":"hello","role":"admin","name":"plain"}\n')
    try:
        while s.recv(4096):  # an alert at most, then the close
            pass
    except ConnectionResetError:
        pass
    s.close()
    wait_until(lambda: in_log(procs, m, "TLS handshake failed: not TLS"), what="not TLS logged")
    assert failed(m.port) == before + 1
    assert admin(m.port).call({"op": "ping"})["ok"]


def test_a_connection_closed_before_any_byte_is_no_failed_handshake(procs):
    """A TCP probe (connect, close) is not a TLS failure: neither logged nor counted."""
    m = procs.mapd()
    before = failed(m.port)
    socket.create_connection(("127.0.0.1", m.port), timeout=10).close()
    a = admin(m.port)
    wait_until(lambda: a.call({"op": "subscriber.list"})["limits"]["clients"] == 1, what="probe gone")
    assert failed(m.port) == before and "TLS handshake failed" not in procs.log(m)


def test_tls_to_a_plain_port_fails_cleanly(procs):
    m = procs.mapd(args=["--insecure", "--hello-timeout-s", "1"])
    p = ctl("--mapd", "127.0.0.1:%d" % m.port, "services")
    assert p.returncode == 1 and "map server 127.0.0.1:%d: TLS handshake failed: " % m.port in p.stderr, p.stderr
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    wait_until(lambda: in_log(procs, ag, "TLS handshake failed: "), what="agent reports the failed handshake")
    assert ag.poll() is None and m.poll() is None


def client_hello():
    """The first bytes a TLS 1.3 client sends (a ClientHello record)."""
    ctx = client_context("admin")
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def test_half_a_client_hello_is_closed_by_the_hello_timeout(procs):
    m = procs.mapd(args=["--hello-timeout-s", "2"])
    hello = client_hello()
    assert len(hello) > 40
    stuck = socket.create_connection(("127.0.0.1", m.port), timeout=20)
    stuck.sendall(hello[:len(hello) // 2])
    # others are served meanwhile
    a = admin(m.port)
    assert a.call({"op": "service.list"})["ok"]
    try:
        assert stuck.recv(4096) == b""
    except ConnectionResetError:
        pass
    lim = a.call({"op": "subscriber.list"})["limits"]
    assert lim["closed_no_hello"] >= 1, lim
    assert a.call(reg("asrs://tls/after", "10.0.0.1", 80))["ok"]


def test_a_thousand_silent_connections(procs):
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 200:
        pytest.skip("RLIMIT_NOFILE hard limit %d < %d" % (hard, n + 200))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 200), hard))
    try:
        m = procs.mapd(args=["--max-per-source", str(n + 100), "--max-clients", str(n + 100)])
        base = rss_kb(m.pid)
        socks = []
        try:
            for _ in range(n):
                socks.append(socket.create_connection(("127.0.0.1", m.port), timeout=10))
            a = admin(m.port)
            wait_until(lambda: a.call({"op": "subscriber.list"})["limits"]["clients"] >= n + 1,
                       what="all accepted")
            # a real client works meanwhile, end to end
            assert a.call(reg("asrs://tls/busy", "10.0.0.2", 80))["ok"]
            s = LineClient(("127.0.0.1", m.port), tls="sub")
            assert s.call({"op": "hello", "role": "subscriber", "name": "sub"})["ok"]
            assert s.recv()["op"] == "snapshot"
            grown_mb = (rss_kb(m.pid) - base) / 1024
            assert grown_mb < 100, "RSS grew %.0f MB for %d silent connections" % (grown_mb, n)
        finally:
            for x in socks:
                x.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_sighup_reloads_the_certificate(procs):
    d = procs.dir / "tls"
    d.mkdir()
    mc, mk = cert("mapd")
    shutil.copy(mc, d / "mapd.pem")
    shutil.copy(mk, d / "mapd.key")
    m = procs.mapd(args=["--ca", str(pki() / "ca.pem"), "--cert", str(d / "mapd.pem"),
                         "--key", str(d / "mapd.key")])
    # a bad set (certificate of another key) keeps the old one
    other_cert, _ = cert("mapd2")
    shutil.copy(other_cert, d / "mapd.pem")
    m.send_signal(signal.SIGHUP)
    wait_until(lambda: in_log(procs, m, "SIGHUP: TLS files not reloaded, the old ones stay: --key"),
               what="bad set refused")
    assert admin(m.port).call({"op": "ping"})["ok"]
    # a good new set: new connections get the new certificate
    other_cert, other_key = cert("mapd2")
    shutil.copy(other_key, d / "mapd.key")
    m.send_signal(signal.SIGHUP)
    wait_until(lambda: in_log(procs, m, "SIGHUP: TLS certificate, key and CA reloaded"), what="reloaded")
    c = LineClient(("127.0.0.1", m.port))
    peer = c.s.getpeercert()
    assert dict(x[0] for x in peer["subject"])["commonName"] == "mapd2"
    assert c.call({"op": "hello", "role": "admin", "name": "t"})["ok"]


def test_identity_from_dns_san_without_cn(procs, tmp_path):
    """A certificate without a subject CN: the identity is its first DNS SAN."""
    ca = pki()
    key, csr, crt, ext = (tmp_path / n for n in ("k.pem", "r.csr", "c.pem", "ext"))
    ext.write_text("subjectAltName=DNS:san-only.example,DNS:second.example\n"
                   "extendedKeyUsage=clientAuth\n")
    for cmd in (["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key)],
                ["openssl", "req", "-new", "-key", str(key), "-subj", "/O=anyway tests", "-out", str(csr)],
                ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca / "ca.pem"), "-CAkey", str(ca / "ca.key"),
                 "-set_serial", "77", "-days", "2", "-extfile", str(ext), "-out", str(crt)]):
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(str(ca / "ca.pem"))
    ctx.load_cert_chain(str(crt), str(key))
    m = procs.mapd()
    s = LineClient(("127.0.0.1", m.port), tls=ctx)
    assert s.call({"op": "hello", "role": "subscriber", "name": "whoever"})["ok"]
    subs = stats(m.port)["subscribers"]
    assert [(x["name"], x["identity"]) for x in subs] == [("whoever", "san-only.example")], subs


def test_insecure_subscriber_identity_is_its_hello_name(procs):
    """On plain TCP no certificate names the peer: its hello name is taken as
    its identity (ACL.md: trusted claims, tests and loopback only)."""
    m = procs.mapd(args=["--insecure"])
    s = LineClient(("127.0.0.1", m.port), tls=None)
    assert s.call({"op": "hello", "role": "subscriber", "name": "plain"})["ok"]
    a = LineClient(("127.0.0.1", m.port), tls=None)
    assert a.call({"op": "hello", "role": "admin", "name": "t"})["ok"]
    subs = a.call({"op": "subscriber.list"})["subscribers"]
    assert [(x["name"], x["identity"]) for x in subs] == [("plain", "plain")], subs
