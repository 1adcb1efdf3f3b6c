"""`make demo`, act two (SPEC §8): two instances behind an upstream router
that spreads flows over them by BGP multipath (the namespace lab of
tests/e2e/lab/anycast.py: BIRD on every instance and on the upstream, one map
server, an agent per instance). Clients hold open TCP connections and UDP
shim flows, a message every 100 ms; instance 0 is drained with `anyway-ctl
drain`; the upstream stops sending it anything, and the other instance
redirects the packets of instance 0's flows to it (doc/cluster.md). Prints
the numbers; exit 0 only if no flow broke. Everything is removed at the end,
also on failure or Ctrl-C.

Environment: AW_BUILD (build dir, default ./build; `make demo` builds it in
act one). Needs root and bird2 (tests/install_deps.sh)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "control"))

import netns  # noqa: E402
from ctlharness import Procs, build_dir, tls_args  # noqa: E402
from lab.anycast import AnycastLab, Flows  # noqa: E402

N_TCP, N_UDP = 16, 4
BOLD, GREEN, RED, OFF = ("\033[1m", "\033[32m", "\033[31m", "\033[0m") if sys.stdout.isatty() else ("",) * 4


def step(n, text):
    print(f"\n{BOLD}==> [A2.{n}] {text}{OFF}", flush=True)


def info(text):
    print("    " + text, flush=True)


def owners(lab, f):
    out = {}
    for fl in f.flows:
        proto, vport = (6, 80) if fl.proto == "tcp" else (17, 6868)
        out[fl.k] = lab.owner_of(lab.instances[1], fl.port, proto, vport)
    return out


def ctl(*args):
    cp = subprocess.run([str(build_dir() / "control" / "ctl" / "anyway-ctl"), *tls_args("admin"), *args],
                        capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout


def act(topo, procs):
    step(1, "two instances (data plane + agent + BIRD each) behind the upstream router")
    lab = AnycastLab(topo, procs, 2).start(2)
    info("upstream routes %s via %s (ECMP, fib_multipath_hash_policy=1)" % (
        "203.0.113.80", " and ".join(sorted(lab.next_hops()))))
    step(2, f"clients open {N_TCP} TCP connections and {N_UDP} UDP shim flows (a message every 100 ms)")
    f = Flows(lab.client, N_TCP, N_UDP).open().start()
    try:
        f.all_echoed()
        own = owners(lab, f)
        for inst in lab.instances:
            info("%s owns %d flows, %d sessions" % (inst.id, sum(1 for o in own.values() if o == inst.id),
                                                    inst.dp.call("stats")["asrs"]["sessions"]))
        step(3, "anyway-ctl drain on instance 0")
        red0 = lab.instances[1].counters().get("cluster_redirected", 0)
        dec0 = lab.instances[0].counters().get("cluster_decapsulated", 0)
        r = json.loads(ctl("--json", "--agent", lab.instances[0].agent.status, "drain"))
        info("anyway-ctl drain: state %s" % r.get("state"))
        t0 = time.monotonic()
        netns.wait_until(lambda: lab.next_hops() == {lab.instances[1].port0}, 40, what="instance 0 withdrawn")
        info("upstream routes the VIP via %s only, %.1f s after the drain" % (lab.instances[1].port0,
                                                                            time.monotonic() - t0))
        before = f.rounds
        f.all_echoed()
        f.run_for(5.0)
        step(4, "the numbers")
        red = lab.instances[1].counters().get("cluster_redirected", 0) - red0
        dec = lab.instances[0].counters().get("cluster_decapsulated", 0) - dec0
        info("rounds of messages since the drain: %d; echoes in all: %d" % (
            f.rounds - before, sum(x.echoes for x in f.flows)))
        info("since the drain: instance 1 redirected %d packets of instance 0's flows to it, "
             "instance 0 decapsulated %d" % (red, dec))
        info("sessions: instance 0 %d (draining), instance 1 %d" % tuple(
            inst.dp.call("stats")["asrs"]["sessions"] for inst in lab.instances))
        broken = f.broken
        info("broken flows: %d of %d" % (len(broken), len(f.flows)))
        return broken
    finally:
        f.close()


def main():
    if os.geteuid() != 0:
        print("needs root (network namespaces): run 'sudo make demo'", file=sys.stderr)
        return 1
    if shutil.which("bird") is None or shutil.which("birdc") is None:
        print("needs bird2 (tests/install_deps.sh)", file=sys.stderr)
        return 1
    print(f"\n{BOLD}Act two: anycast, one instance drained under open connections{OFF}", flush=True)
    netns.cleanup_stale()
    signal.signal(signal.SIGTERM, lambda s, fr: (_ for _ in ()).throw(KeyboardInterrupt()))
    topo, procs = netns.Topology(), Procs()
    try:
        broken = act(topo, procs)
    except (AssertionError, KeyboardInterrupt) as e:
        print(f"\n{RED}{BOLD}ACT TWO FAILED{OFF}: {e}", file=sys.stderr)
        return 1
    finally:
        procs.cleanup()
        topo.close()
    if broken:
        print(f"\n{RED}{BOLD}ACT TWO FAILED{OFF}: broken flows {broken}", file=sys.stderr)
        return 1
    print(f"\n{GREEN}{BOLD}Act two done: no flow broke while instance 0 drained.{OFF}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
