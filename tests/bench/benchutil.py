"""Helpers of the anyway-bench tests: where the binaries are, bounded runs."""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("AW_BUILD", ROOT / "build"))
BENCH = BUILD / "bench" / "anyway-bench"
DATAPLANE = BUILD / "dataplane" / "anyway-dataplane"
SCRIPTS = ROOT / "bench"
PY = "/usr/bin/python3"


def env():
    e = dict(os.environ)
    e["AW_BUILD"] = str(BUILD)
    return e


def bench(*args, timeout=60):
    """anyway-bench with app options only (after --)."""
    return subprocess.run([str(BENCH), "--", *args], capture_output=True, text=True, timeout=timeout)


def script(name, *args, timeout=300):
    return subprocess.run(["bash", str(SCRIPTS / name), *args], capture_output=True, text=True,
                          timeout=timeout, env=env())


def result(stdout):
    """The RESULT line as a dict of strings."""
    m = re.search(r"^RESULT (.*)$", stdout, re.M)
    assert m, "no RESULT line in:\n" + stdout[-3000:]
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def assert_flowed(out, tolerated=()):
    """Packets went through and came back whole and in order, the run is not
    INVALID (unless for drop reasons in `tolerated` only) and names its
    bottleneck (never a speed)."""
    r = result(out)
    if r["verdict"] == "INVALID" and tolerated:
        reasons = {kv.split(":")[0] for kv in r["invalid"].split(",")}
        assert reasons <= set(tolerated), "INVALID run: " + str(r)
    else:
        assert r["verdict"] in ("valid", "unchecked"), "INVALID run: " + str(r)
    assert r["bottleneck"] in ("generator", "dataplane", "link", "rate"), r
    for k in ("gen_idle", "dp_idle"):
        assert r[k] == "na" or 0 <= float(r[k]) <= 1, r
    assert int(r["received"]) > 0, "nothing came back: " + str(r)
    assert int(r["out_of_order"]) == 0, r
    assert int(r["corrupted"]) == 0, r
    return r


def dp_config(tmp, scenario, *args):
    """The in-process data plane config of bench/templates.py for `scenario`
    (extra templates.py options in args), written into tmp; its path."""
    out = Path(tmp) / "dp.json"
    r = subprocess.run([PY, str(SCRIPTS / "templates.py"), "--dp-config", scenario, "--in-process", "--mbufs",
                        "8191", "--api", str(Path(tmp) / "s"), "--out", str(out), *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


def in_process(tag, cfg, scenario, *extra, timeout=180):
    """anyway-bench --in-process on net_ring with config cfg (bounded); its
    DPDK runtime directory (prefix tag + pid) removed afterwards."""
    prefix = "%s%d" % (tag, os.getpid())
    try:
        return subprocess.run([str(BENCH), "-l", "0", "--no-huge", "-m", "768", "--no-pci", "--no-telemetry",
                               "--file-prefix", prefix, "--vdev", "net_ring0", "--vdev", "net_ring1",
                               "--log-level=error", "--", "--in-process", "--dp-config", str(cfg),
                               "--scenario", scenario, "--period", "0", *extra],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
