"""Log lines of anyway-mapd and anyway-agent (SPEC §11): a level on every
line, journald priority prefixes under $JOURNAL_STREAM, repeated reconnect
errors condensed, --log-level filtering and refusing bad levels (the
registrar's own are in test_registrar_health.py)."""

import subprocess
import time

import pytest

from ctlharness import free_port, prog, wait_until

LEVELS = ("error", "warning", "notice", "info", "debug")


def test_agent_condenses_reconnect_errors(procs):
    port = free_port()
    dp = procs.fake_dp()
    a = procs.agent([port], dp.sock)
    refused = "warning: mapd 127.0.0.1:%d: Connection refused" % port
    wait_until(lambda: refused in procs.log(a), what="the first error")
    time.sleep(1.5)  # retries (backoff from 100 ms) meanwhile
    procs.mapd(port=port)
    wait_until(lambda: "notice: mapd 127.0.0.1:%d: connected" % port in procs.log(a), what="connected")
    log = procs.log(a)
    assert log.count("Connection refused") == 2 and "Connection refused (repeated " in log, log
    for line in log.splitlines():
        assert line.startswith("anyway-agent: ") and line.split(": ")[1] in LEVELS, line


def test_mapd_levels_and_journald_prefixes(procs, monkeypatch):
    plain = procs.mapd()
    wait_until(lambda: "anyway-mapd: notice: listening on 127.0.0.1:%d" % plain.port in procs.log(plain),
               what="plain line")
    monkeypatch.setenv("JOURNAL_STREAM", "9:4242")
    j = procs.mapd()
    wait_until(lambda: "<5>listening on 127.0.0.1:%d" % j.port in procs.log(j), what="journald line")
    procs.stop(j)
    assert all(line[:3] in ("<3>", "<4>", "<5>", "<6>", "<7>") for line in procs.log(j).splitlines())


def test_mapd_log_level_filters(procs):
    m = procs.mapd(args=["--log-level", "warning"])
    procs.stop(m)
    # listening / stopping are notices; without --acl, a warning says so
    assert procs.log(m).splitlines() == ["anyway-mapd: warning: no --acl: any connection may take any "
                                         "role, register any service and install relays"], procs.log(m)
    m = procs.mapd(args=["--log-level", "error"])
    procs.stop(m)
    assert procs.log(m) == ""


@pytest.mark.parametrize("name,args", [
    ("anyway-mapd", []),
    ("anyway-agent", ["--mapd", "127.0.0.1:1"]),
])
def test_bad_log_level_exit_2(name, args):
    r = subprocess.run([prog(name)] + args + ["--log-level", "chatty"], capture_output=True, timeout=10)
    assert r.returncode == 2, r.stderr
    assert "%s: --log-level: expected error, warning, notice, info or debug, got 'chatty'" % name in \
        r.stderr.decode(), r.stderr
