"""HOST:PORT with host names (SPEC §11): "localhost:PORT" and "[::1]:PORT"
work for the map server's --listen and the registrar's --mapd; a name that
does not resolve is refused at start with the resolver's reason."""

import socket
import subprocess

import pytest

from ctlharness import free_port, prog, tls_args, wait_until
from test_registrar import registered


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_localhost_names(procs):
    port = free_port()
    # the map server listens on localhost (its IPv4 address) ...
    m = procs.mapd(port=port, args=["--listen", "localhost:%d" % free_port()])
    # ... and the registrar reaches it by name
    procs.start([prog("anyway-registrar")] + tls_args("registrar") + ["--mapd", "localhost:%d" % port, "--service", "asrs://n/x",
                 "--addr", "10.0.0.1", "--port", "80", "--check", "none"], "registrar")
    wait_until(lambda: registered(m.port) == {"asrs://n/x": {("10.0.0.1", 80)}}, what="registered by name")


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback (::1) in this environment")
def test_ipv6_in_brackets(procs):
    port = free_port()
    m = procs.mapd(args=["--listen", "[::1]:%d" % port])
    procs.start([prog("anyway-registrar")] + tls_args("registrar") + ["--mapd", "[::1]:%d" % port, "--service", "asrs://n/6",
                 "--addr", "10.0.0.2", "--port", "81", "--check", "none"], "registrar")
    wait_until(lambda: registered(m.port) == {"asrs://n/6": {("10.0.0.2", 81)}}, what="registered over ::1")


# a name that does not resolve is a usage error (exit 2) for every daemon
@pytest.mark.parametrize("cmd,rc", [
    (["anyway-mapd", "--listen", "no-such-host.invalid:7810"], 2),
    (["anyway-registrar", "--mapd", "no-such-host.invalid:7810", "--service", "asrs://x", "--addr", "10.0.0.1",
      "--port", "80"], 2),
    (["anyway-agent", "--mapd", "no-such-host.invalid:7810"], 2),
])
def test_unresolvable_name_refused(cmd, rc, tmp_path):
    r = subprocess.run([prog(cmd[0])] + tls_args(cmd[0].split("-")[1]) + cmd[1:], capture_output=True,
                       timeout=30, cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == rc, (r.returncode, err)
    assert "cannot resolve 'no-such-host.invalid'" in err, err
