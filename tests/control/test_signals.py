"""Signals and startup of the control daemons (real binaries): SIGHUP never
stops anyway-mapd, anyway-agent or anyway-registrar (each logs
"SIGHUP: nothing to reload", or that it reloaded its TLS files, and keeps
serving, three in a row too), SIGTERM
after them still stops cleanly, the registrar re-reads its --config on
SIGHUP (all or nothing), and the agent creates the directory of its --status
socket."""

import json
import os
import signal
import subprocess

from ctlharness import TLS, admin, agent_status, dests, dp_dump, prog, reg, tls_args, wait_until
from test_mapd import next_push, read_snapshot, subscriber

HUP_LINE = "SIGHUP: nothing to reload"
# mapd and the agent re-read their TLS files (the registrar its --config too)
HUP_TLS = "SIGHUP: TLS certificate, key and CA reloaded" if TLS else HUP_LINE


def hup3(procs, p, line=HUP_LINE):
    """Three SIGHUPs one after another (each logged before the next), then three
    at once (pending signals of one kind merge: at least one more line); p
    stays running throughout."""
    for i in range(1, 4):
        p.send_signal(signal.SIGHUP)
        wait_until(lambda: procs.log(p).count(line) == i or p.poll() is not None, what="SIGHUP line %d" % i)
        assert p.poll() is None, "exited %s on SIGHUP:\n%s" % (p.returncode, procs.log(p))
    for _ in range(3):
        p.send_signal(signal.SIGHUP)
    wait_until(lambda: procs.log(p).count(line) >= 4 or p.poll() is not None, what="burst of SIGHUPs")
    assert p.poll() is None, "exited %s on SIGHUP:\n%s" % (p.returncode, procs.log(p))


def test_mapd_sighup_keeps_state_and_subscribers(procs):
    m = procs.mapd()
    a = admin(m.port)
    assert a.call(reg("asrs://hup/web", "10.0.0.1", 80, ttl=600))["ok"]
    s = subscriber(m.port, name="hupsub")
    v0, services, _, _ = read_snapshot(s)
    assert [x["service"] for x in services] == ["asrs://hup/web"]
    hup3(procs, m, HUP_TLS)
    # the same admin connection, the same subscriber, the same table
    assert [x["name"] for x in a.call({"op": "subscriber.list"})["subscribers"]] == ["hupsub"]
    g = a.call({"op": "service.get", "service": "asrs://hup/web"})
    assert [d["addr"] for d in g["service"]["destinations"]] == ["10.0.0.1"]
    assert a.call(reg("asrs://hup/web", "10.0.0.2", 80, ttl=600))["ok"]
    p = next_push(s)
    assert p["version"] == v0 + 1 and len(p["destinations"]) == 2
    a.close()
    s.close()
    assert procs.stop(m) == 0


def test_agent_sighup_stays_synced(procs):
    m = procs.mapd()
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock)
    a = admin(m.port)
    assert a.call(reg("asrs://hup/a", "10.0.0.1", 80, ttl=600))["ok"]
    wait_until(lambda: dests(dp_dump(dp.sock), "asrs://hup/a") == {("10.0.0.1", 80): (0, 100)}, what="applied")
    hup3(procs, ag, HUP_TLS)
    assert agent_status(ag.status)["ok"]
    # still subscribed and applying: a change after the SIGHUPs reaches the data plane
    assert a.call(reg("asrs://hup/a", "10.0.0.2", 80, ttl=600))["ok"]
    wait_until(lambda: dests(dp_dump(dp.sock), "asrs://hup/a") ==
               {("10.0.0.1", 80): (0, 100), ("10.0.0.2", 80): (0, 100)}, what="applied after SIGHUP")
    a.close()
    assert procs.stop(ag) == 0
    assert not os.path.exists(ag.status)


def test_registrar_sighup_keeps_registering(procs):
    m = procs.mapd()
    r = procs.registrar([m.port], [{"service": "asrs://hup/r", "addr": "10.0.0.7", "port": 80,
                                    "check": "none", "ttl": 1}])
    a = admin(m.port)

    def dest():
        g = a.call({"op": "service.get", "service": "asrs://hup/r"})
        return g["service"]["destinations"][0] if g.get("ok") and g["service"]["destinations"] else None
    wait_until(dest, what="registered")
    hup3(procs, r)
    # renewed after the SIGHUPs: the time left goes back up (with ttl 1 s it would
    # otherwise run out and the destination leave)
    seen = []

    def renewed():
        d = dest()
        seen.append(d["ttl_left_ms"] if d else -1)
        return len(seen) > 1 and seen[-1] > seen[-2] >= 0
    wait_until(renewed, what="a renewal after SIGHUP", interval=0.05)
    a.close()
    assert procs.stop(r) == 0


def test_agent_creates_status_directory(procs):
    dp = procs.fake_dp()
    status = procs.dir / "new" / "run" / "agent.sock"
    p = procs.start([prog("anyway-agent")] + tls_args("agent") + ["--dataplane", dp.sock, "--status", str(status),
                     "--mapd", "127.0.0.1:1"], "agent")
    wait_until(lambda: status.exists() or p.poll() is not None, what="status socket")
    assert p.poll() is None, procs.log(p)
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(status.parent).st_mode & 0o777 == 0o755 & ~mask
    assert agent_status(str(status))["ok"]


def test_agent_status_directory_cannot_be_created(procs):
    blocker = procs.dir / "file"
    blocker.write_text("not a directory")
    status = blocker / "sub" / "agent.sock"
    r = subprocess.run([prog("anyway-agent")] + tls_args("agent") + ["--dataplane", str(procs.dir / "dp.sock"), "--status", str(status),
                        "--mapd", "127.0.0.1:1"],
                       capture_output=True, text=True, timeout=15)
    assert r.returncode == 1
    assert "--status cannot create directory %s/sub: Not a directory" % blocker in r.stderr, r.stderr


def test_registrar_sighup_rereads_config(procs):
    m = procs.mapd()
    cfg = procs.dir / "reg.json"

    def write(services):
        cfg.write_text(json.dumps({"services": [
            {"service": s, "addr": a, "port": 80, "check": "none", "ttl": 600, "weight": w}
            for s, a, w in services]}))
    write([("asrs://cfg/a", "10.0.0.1", 100), ("asrs://cfg/b", "10.0.0.2", 100)])
    r = procs.start([prog("anyway-registrar")] + tls_args("registrar") + ["--check-interval-ms", "200", "--mapd", "127.0.0.1:%d" % m.port,
                     "--config", str(cfg)], "registrar")
    a = admin(m.port)

    def table():
        out = {}
        for s in a.call({"op": "service.list"})["services"]:
            for d in s["destinations"]:
                out[(s["service"], d["addr"])] = d["weight"]
        return out
    wait_until(lambda: table() == {("asrs://cfg/a", "10.0.0.1"): 100, ("asrs://cfg/b", "10.0.0.2"): 100},
               what="registered from the file")
    # a kept with a new weight, b removed, c added
    write([("asrs://cfg/a", "10.0.0.1", 7), ("asrs://cfg/c", "10.0.0.3", 100)])
    r.send_signal(signal.SIGHUP)
    want = {("asrs://cfg/a", "10.0.0.1"): 7, ("asrs://cfg/c", "10.0.0.3"): 100}
    wait_until(lambda: table() == want, what="the re-read file applied")
    assert "SIGHUP: reloaded %s: 2 services (1 kept, 1 added, 1 removed)" % cfg in procs.log(r)
    # a file that does not load changes nothing
    cfg.write_text('{"services": [{"service": "asrs://cfg/d", "addr": "10.0.0.4"}]}')
    r.send_signal(signal.SIGHUP)
    wait_until(lambda: "not reloaded: keeping the 2 services running" in procs.log(r) or r.poll() is not None,
               what="refused reload")
    assert r.poll() is None, procs.log(r)
    assert table() == want
    a.close()
    assert procs.stop(r) == 0
