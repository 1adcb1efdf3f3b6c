"""Short smoke runs of every scenario this build can run, both ways (SPEC
§10), plus compare.sh, callgrind.sh and the bench surviving a data plane that
dies mid-traffic. They assert only that packets flow and that the sink saw no
reordering or corruption: never a speed. Every run is bounded in time and
every process started here is stopped, also when a test fails."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from benchutil import BENCH, DATAPLANE, PY, SCRIPTS, assert_flowed, env, result, script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from awtest_common import hugepages_free  # noqa: E402


def mem_args():
    return ["--in-memory"] if hugepages_free() >= 300 else ["--no-huge", "-m", "512"]


def dp_config(tmp, scenario, in_process=False):
    path = Path(tmp) / "dp.json"
    cmd = [PY, str(SCRIPTS / "templates.py"), "--dp-config", scenario, "--api", str(Path(tmp) / "dp.sock"),
           "--out", str(path)]
    if in_process:
        cmd += ["--in-process", "--mbufs", "8191", "--sessions", "262144"]
    subprocess.run(cmd, check=True, timeout=60)
    return path


IN_PROCESS = [
    ("plain", []),
    ("pipeline", ["--flows", "1"]),
    ("asrs-established", ["--flows", "5000"]),
    ("asrs-new", ["--flows", "200000"]),
    ("trs-capsule", ["--flows", "1000", "--pkt-size", "128"]),
    ("trs-signaling", ["--flows", "1000", "--pkt-size", "128"]),
    ("mixed", ["--flows", "999", "--pkt-size", "128"]),
]


@pytest.mark.parametrize("scenario,extra", IN_PROCESS, ids=[s for s, _ in IN_PROCESS])
def test_in_process(scenario, extra):
    prefix = "awbt%d" % os.getpid()
    with tempfile.TemporaryDirectory(prefix="awbt") as tmp:
        cfg = dp_config(tmp, scenario, in_process=True)
        try:
            r = subprocess.run([str(BENCH), "-l", "0", "--no-huge", "-m", "768", "--no-pci", "--no-telemetry",
                                "--file-prefix", prefix, "--vdev", "net_ring0", "--vdev", "net_ring1",
                                "--log-level=error", "--", "--in-process", "--dp-config", str(cfg),
                                "--scenario", scenario, "--packets", "200000", "--period", "0", *extra],
                               capture_output=True, text=True, timeout=180)
        finally:
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    res = assert_flowed(r.stdout)
    # asrs-new: the first min(8192, packets / 4) open their sessions untimed
    warmup = 8192 if scenario == "asrs-new" else 0
    assert int(res["warmup"]) == warmup
    assert res["mode"] == "in-process" and int(res["received"]) == 200000 - warmup
    if warmup:
        assert "warm-up: 8192 sessions opened untimed, then 191808 timed" in r.stdout
    assert float(res["dp_cycles_per_pkt"]) > 0
    assert "drops by reason none" in r.stdout
    if scenario == "pipeline":
        assert "reorder stage" in r.stdout


PORTS = [
    ("plain", ["--flows", "256", "--duration", "1"]),
    ("pipeline", ["--workers", "1", "--flows", "1", "--rate", "300000", "--duration", "1"]),
    ("pipeline", ["--workers", "3", "--flows", "1", "--rate", "300000", "--duration", "1"]),
    ("asrs-established", ["--flows", "2000", "--duration", "1"]),
    ("asrs-new", ["--flows", "50000", "--packets", "50000"]),
    ("trs-capsule", ["--flows", "512", "--pkt-size", "128", "--duration", "1"]),
    ("trs-signaling", ["--flows", "512", "--pkt-size", "128", "--duration", "1"]),
    # suite 2: run.sh gives the data plane suite-2 paths and the bench setup frames of that suite
    ("trs-signaling", ["--flows", "512", "--pkt-size", "128", "--duration", "1", "--suite", "2"]),
    ("mixed", ["--flows", "600", "--pkt-size", "128", "--duration", "1"]),
]


def port_id(s, e):
    return s + ("-%sw" % e[1] if e[0] == "--workers" else "") + ("-s%s" % e[-1] if "--suite" in e else "")


@pytest.mark.parametrize("scenario,extra", PORTS, ids=[port_id(s, e) for s, e in PORTS])
def test_through_ports(scenario, extra):
    r = script("run.sh", scenario, *extra, "--period", "0.5", timeout=180)
    # pipeline: rx, workers and tx lcores all share CPU 1 here, so the data
    # plane may drop as worker_ring_full / reorder_late; such a run is
    # INVALID (exit 3, bench/README.md) but must still deliver in order.
    tolerated = ("worker_ring_full", "reorder_late") if scenario == "pipeline" else ()
    assert r.returncode == 0 or (tolerated and r.returncode == 3), r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout, tolerated)
    assert res["mode"] == "ports"
    assert "NIC statistics for port 0" in r.stdout
    if "--duration" in extra:  # periodic stats came at least once
        assert "Tx-pps:" in r.stdout
    assert re.search(r"data plane +rx \d+ tx \d+ drops \d+", r.stdout), "no stats from the data plane API"


def test_compare_one_round():
    if shutil.which("dpdk-testpmd") is None:
        pytest.skip("dpdk-testpmd not installed")
    r = script("compare.sh", "plain", "--rounds", "1", "--duration", "1", timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    for name in ("anyway-dataplane", "testpmd 5tswap", "testpmd io"):
        m = re.search(r"^%s +([0-9.]+) " % name, r.stdout, re.M)
        assert m and float(m.group(1)) > 0, r.stdout
    assert "ratio anyway/5tswap" in r.stdout
    # every round names the bottleneck and both idle shares (testpmd's: na)
    rounds = re.findall(r"^round 1  (\S+) .*\(bottleneck (\w+), generator idle (\S+), forwarder idle (\S+)\)$",
                        r.stdout, re.M)
    assert [x[0] for x in rounds] == ["anyway", "5tswap", "io"], r.stdout
    assert rounds[0][3] != "na" and all(x[3] == "na" for x in rounds[1:]), rounds


def test_through_ports_memif_zero_copy():
    """AW_BENCH_ZC=1: the bench as a zero-copy memif client; the traffic still
    comes back whole and in order, and the run is valid."""
    e = env()
    e["AW_BENCH_ZC"] = "1"
    r = subprocess.run(["bash", str(SCRIPTS / "run.sh"), "plain", "--flows", "64", "--duration", "1",
                        "--period", "0"], capture_output=True, text=True, timeout=180, env=e)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["verdict"] == "valid", res


def test_compare_all_gives_a_ratio_per_scenario():
    """compare_all.sh: one table row per scenario asked for, with its ratios."""
    if shutil.which("dpdk-testpmd") is None:
        pytest.skip("dpdk-testpmd not installed")
    r = script("compare_all.sh", "--rounds", "1", "--duration", "1", "plain", "trs-signaling-2", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    for name in ("plain", "trs-signaling-2"):
        m = re.search(r"^compare %s +([0-9.]+) +([0-9.]+) +([0-9.]+) +([0-9.]+) +([0-9.]+)  (\S+)$" % name,
                      r.stdout, re.M)
        assert m and all(float(v) > 0 for v in m.groups()[:5]), r.stdout
        # the bottleneck of the one anyway round
        assert m.group(6) in ("generator", "dataplane", "link"), r.stdout


def test_compare_all_bounds_each_scenario():
    """compare_all.sh --timeout: a scenario that gives no result in time gets a
    "timeout:" row (no ratio) and the run exits 1, well within the test's own
    bound (the bench and compare.sh honour the SIGTERM)."""
    if shutil.which("dpdk-testpmd") is None:
        pytest.skip("dpdk-testpmd not installed")
    r = script("compare_all.sh", "--rounds", "1", "--duration", "30", "--timeout", "8", "plain", timeout=300)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert re.search(r"^compare plain +timeout: no result within 8 s", r.stdout, re.M), r.stdout


def test_callgrind_small():
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind not installed")
    r = script("callgrind.sh", "plain", "300", "900", timeout=280)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"data plane burst functions: +([0-9.]+)", r.stdout)
    assert m and float(m.group(1)) > 0, r.stdout


def _stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait(timeout=20)


def test_bench_survives_data_plane_exit():
    """The data plane is killed while traffic flows: the bench notices the
    link going down, stops, prints what it measured and exits 1.

    Opt-in (AW_BENCH_PEER_KILL=1): DPDK 22.11's memif PMD unmaps the shared
    regions from its interrupt thread when the peer vanishes, racing the
    lcore's rx/tx burst; in about 1 run of 4 on this machine the bench dies by
    SIGSEGV inside the PMD before it sees the link down. The bench's own runs
    avoid the race by stopping traffic before the peer (bench/run.sh)."""
    if os.environ.get("AW_BENCH_PEER_KILL") != "1":
        pytest.skip("peer killed mid-traffic races the 22.11 memif PMD's region unmap "
                    "(SIGSEGV in ~1/4 runs); run with AW_BENCH_PEER_KILL=1")
    tmp = tempfile.mkdtemp(prefix="awbt")
    tag = "awbk%d" % os.getpid()
    memif = lambda role: ["--vdev", "net_memif0,role=%s,socket=%s/m0.sock" % (role, tmp),  # noqa: E731
                          "--vdev", "net_memif1,role=%s,socket=%s/m1.sock" % (role, tmp)]
    dp = bench = None
    try:
        cfg = dp_config(tmp, "plain")
        dp = subprocess.Popen([str(DATAPLANE), "-l", "1", "--file-prefix", tag + "d", "--no-pci", "--no-telemetry",
                               *mem_args(), *memif("server"), "--log-level=error", "--", "--config", str(cfg)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 20
        while not (Path(tmp) / "dp.sock").exists():
            assert dp.poll() is None and time.time() < deadline, "data plane did not start"
            time.sleep(0.1)
        bench = subprocess.Popen([str(BENCH), "-l", "0", "--file-prefix", tag + "b", "--no-pci", "--no-telemetry",
                                  *mem_args(), *memif("client"), "--log-level=error", "--",
                                  "--scenario", "plain", "--duration", "30", "--period", "0.2"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        assert bench.poll() is None, "bench ended early: %s" % (bench.communicate(timeout=10),)
        dp.send_signal(signal.SIGKILL)
        out, err = bench.communicate(timeout=30)
        assert bench.returncode == 1, (bench.returncode, err)
        assert "the peer left" in err
        res = result(out)
        assert int(res["received"]) > 0 and int(res["out_of_order"]) == 0 and int(res["corrupted"]) == 0
    finally:
        for p in (bench, dp):
            if p is not None:
                _stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
        for t in ("d", "b"):
            shutil.rmtree("/var/run/dpdk/" + tag + t, ignore_errors=True)


def test_gen_rate_one_round():
    """gen_rate.sh: the generator alone into testpmd rxonly, then testpmd
    txonly as the reference; both rates printed (txonly's may read none when
    its memif link was late, never a made-up number)."""
    if shutil.which("dpdk-testpmd") is None:
        pytest.skip("dpdk-testpmd not installed")
    r = script("gen_rate.sh", "1", "--duration", "1", timeout=200)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    m = re.search(r"^round 1: tx_mpps=([0-9.]+) testpmd_txonly_mpps=(none|[0-9.]+) \(load ", r.stdout, re.M)
    assert m and float(m.group(1)) > 0, r.stdout
    assert m.group(2) == "none" or float(m.group(2)) > 0, r.stdout
    assert re.search(r"^median tx_mpps=[0-9.]+ testpmd_txonly_mpps=", r.stdout, re.M), r.stdout
