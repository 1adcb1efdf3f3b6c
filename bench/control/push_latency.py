#!/usr/bin/env python3
"""Control-plane push benchmark (SPEC §10 last row): a registration change at
anyway-mapd → applied in the data plane through anyway-agent.

  latency:    one register at a time (a new weight each time, so every one is
              a change), the time from sending it to the data plane applying
              the service.set it caused; p50 / p99 / max over --samples.
  throughput: --updates registrations of distinct services pipelined into the
              map server; map updates applied per second = updates / (time of
              the last apply - time of the first send). The agent batches what
              arrives together (batch forms of the data-plane API).

The data plane is tests/control/fake_dataplane.py (the API test double, which
stamps each apply with CLOCK_MONOTONIC); with --dataplane SOCK a real one can
be used for the throughput part only (it cannot stamp applies: the run then
waits until service.list shows every service).

    bench/control/push_latency.py [--build DIR] [--samples N] [--updates N]
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "control"))
from ctlharness import LineClient, Procs, admin, free_port, reg, tls_accept, wait_until  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def latency(procs, m, dp, samples):
    a = admin(m.port)
    w = LineClient(dp.sock, timeout=10)
    out = []
    for i in range(samples):
        weight = 1 + i % 60000
        t0 = time.monotonic()
        a.send(reg("asrs://bench/latency", "10.0.0.1", 80, weight=weight, ttl=600))
        r = w.call({"op": "wait_applied", "service": "asrs://bench/latency", "weight": weight})
        assert r["ok"], r
        out.append((r["t"] - t0) * 1000.0)
        assert a.recv()["ok"]
    a.close()
    w.close()
    return out


def throughput(procs, m, dp, n):
    a = admin(m.port)
    w = LineClient(dp.sock, timeout=120)
    lines = b"".join((json.dumps(reg("asrs://bench/t%d" % i, "10.1.%d.%d" % (i // 250 % 250, i % 250), 80,
                                     weight=7, ttl=600)) + "\n").encode() for i in range(n))
    base = len(LineClient(dp.sock).call({"op": "dump"})["services"])
    cpu0 = {p.aw_name: cpu_s(p) for p in procs.procs}
    oks = []
    reader = threading.Thread(target=lambda: oks.extend(a.recv()["ok"] for _ in range(n)), daemon=True)
    reader.start()  # the map server's queue toward a client that never reads is bounded
    t0 = time.monotonic()
    a.send_raw(lines)

    t_end = LineClient(dp.sock, timeout=300).call({"op": "wait_services", "count": base + n})["t"]
    cpu = {p.aw_name: cpu_s(p) - cpu0[p.aw_name] for p in procs.procs}
    d = LineClient(dp.sock, timeout=60).call({"op": "dump"})
    ts = [t for u, t in d["set_time"].items() if u.startswith("asrs://bench/t")]
    reader.join(60)
    assert len(oks) == n and all(oks)
    return n, len(ts), t_end - t0, cpu


def callgrind_per_update(build, n1=5000, n2=25000, run=None):
    """Instructions the agent (or with run=mapd_registers the map server)
    executes per update, from two callgrind runs (n2 - n1 updates apart, so
    start-up cancels out): repeatable on a busy machine."""
    irs = []
    for n in (n1, n2):
        procs = Procs()
        try:
            out = procs.dir / "cg.out"
            (run or agent_throughput)(procs, n, wrap=["valgrind", "--tool=callgrind",
                                                      "--callgrind-out-file=%s" % out])
            procs.cleanup(keep_dir=True)  # SIGTERM: callgrind writes its totals
            procs = None
        finally:
            if procs is not None:
                procs.cleanup()
        with open(out) as f:
            irs.append(next(int(l.split()[1]) for l in f if l.startswith(("summary:", "totals:"))))
        shutil.rmtree(out.parent, ignore_errors=True)
    return (irs[1] - irs[0]) / (n2 - n1)


def mapd_registers(procs, n, wrap=()):
    """The map server alone: n registrations of distinct services from one
    admin connection, each replied to and pushed to one subscriber."""
    m = procs.mapd(wrap=wrap)
    sub = LineClient(("127.0.0.1", m.port), timeout=120)
    assert sub.call({"op": "hello", "role": "subscriber", "name": "sink"})["ok"]
    assert sub.recv()["op"] == "snapshot"
    a = admin(m.port)
    a.s.settimeout(120)
    lines = b"".join((json.dumps(reg("asrs://bench/t%d" % i, "10.1.%d.%d" % (i // 250 % 250, i % 250), 80,
                                     weight=7, ttl=600)) + "\n").encode() for i in range(n))
    threading.Thread(target=a.send_raw, args=(lines,), daemon=True).start()
    for _ in range(n):
        r = a.recv()
        while r.get("op") == "ping":  # a slow run (valgrind) gets keepalives
            r = a.recv()
        assert r["ok"], r
    for i in range(n):
        m = sub.recv()
        while m.get("op") == "ping":
            m = sub.recv()
        assert m["op"] == "service" and m["version"] == i + 1, m
    a.close()
    sub.close()


def agent_throughput(procs, n, wrap=()):
    """The agent alone: a stand-in map server sends n pre-encoded service pushes
    (distinct services) at once; the data plane double stores batches without
    checking them. Rate = n / (last apply - first byte sent)."""
    dp = procs.fake_dp(path=str(procs.dir / "sink.sock"), args=["--no-validate"])
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(1)
    lis.settimeout(30)
    pushes = b"".join((json.dumps({"op": "service", "version": i + 1, "service": "asrs://agent/t%d" % i,
                                   "sid": hashlib.sha256(b"asrs://agent/t%d" % i).hexdigest()[:16],
                                   "destinations": [{"addr": "10.2.%d.%d" % (i // 250 % 250, i % 250),
                                                     "port": 80, "priority": 0, "weight": 5}]},
                                  separators=(",", ":")) + "\n").encode() for i in range(n))
    ag = procs.agent([lis.getsockname()[1]], dp.sock, wrap=wrap)
    c, _ = lis.accept()
    c.settimeout(30)
    c = tls_accept(c)  # the agent speaks TLS to its map servers
    c.recv(4096)  # hello
    c.sendall(b'{"ok":true,"version":0}\n{"op":"snapshot","version":0,"services":[],"relays":[]}\n')
    wait_until(lambda: LineClient(ag.status).call({"op": "status"})["mapds"][0]["state"] == "synced",
               what="agent synced to the stand-in")
    cpu0 = cpu_s(ag)
    t0 = time.monotonic()
    c.sendall(pushes)

    t_end = LineClient(dp.sock, timeout=300).call({"op": "wait_services", "count": n})["t"]
    cpu = cpu_s(ag) - cpu0
    c.close()
    lis.close()
    return t_end - t0, cpu


def cpu_s(p):
    """user + system CPU seconds of a running process."""
    with open("/proc/%d/stat" % p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description="map push latency and throughput (loopback)")
    ap.add_argument("--build", default=os.environ.get("AW_BUILD", str(ROOT / "build")))
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--updates", type=int, default=100000)
    ap.add_argument("--callgrind", action="store_true",
                    help="also count the agent's and the map server's instructions per update "
                         "under valgrind")
    a = ap.parse_args()
    os.environ["AW_BUILD"] = a.build
    procs = Procs()
    try:
        m = procs.mapd()
        dp = procs.fake_dp()
        ag = procs.agent([m.port], dp.sock)
        wait_until(lambda: json.loads(json.dumps(LineClient(ag.status).call({"op": "status"})))["mapds"][0]["state"]
                   == "synced", what="agent synced")
        lat = latency(procs, m, dp, a.samples)
        print("latency  registration -> applied: n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms"
              % (len(lat), pct(lat, 50), pct(lat, 99), max(lat)))
        n, got, secs, cpu = throughput(procs, m, dp, a.updates)
        print("throughput %d updates (distinct services) applied=%d in %.3f s: %.0f updates/s"
              % (n, got, secs, got / secs))
        print("CPU during the throughput run: " + ", ".join(
            "%s %.2f s (%.1f us/update)" % (k, v, v * 1e6 / n) for k, v in sorted(cpu.items())))
        st = LineClient(ag.status).call({"op": "status"})["dataplane"]
        print("agent: %d data-plane batches, %d items applied, %d errors"
              % (st["applies"], st["items_applied"], st["errors"]))
        secs2, cpu2 = agent_throughput(procs, a.updates)
        print("agent alone: %d pushes applied in %.3f s: %.0f updates/s; agent CPU %.2f s (%.1f us/update)"
              % (a.updates, secs2, a.updates / secs2, cpu2, cpu2 * 1e6 / a.updates))
        if a.callgrind:
            print("agent alone under callgrind: %.0f instructions per update" % callgrind_per_update(a.build))
            print("map server alone under callgrind: %.0f instructions per register"
                  % callgrind_per_update(a.build, run=mapd_registers))
        return 0 if got == n else 1
    finally:
        procs.cleanup()


if __name__ == "__main__":
    sys.exit(main())
