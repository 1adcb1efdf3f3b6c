"""The bench's honesty rules (bench/README.md "Valid runs"; issue 16): tables
are sized from --flows or the run is refused; a run whose data plane drops
packets for any reason but tx_full is INVALID (no rate, exit 3) and
compare.sh gives no ratio for it; every RESULT line names the bottleneck.
Behaviour only, never a speed; every run is short and bounded, and every
process and DPDK runtime directory started here is cleaned up."""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from benchutil import PY, SCRIPTS, assert_flowed, result, script, dp_config, in_process as run_in_process

BOTTLENECKS = ("generator", "dataplane", "link", "rate")


def config(tmp, scenario, *args):
    return dp_config(tmp, scenario, *args)


def in_process(cfg, scenario, *extra):
    return run_in_process('awbh', cfg, scenario, *extra, timeout=180)


def templates(*args):
    return subprocess.run([PY, str(SCRIPTS / "templates.py"), *args], capture_output=True, text=True,
                          timeout=60)


def test_templates_size_sessions_from_flows():
    with tempfile.TemporaryDirectory(prefix="awbh") as tmp:
        for flows, want in (("64", 262144), ("300000", 524288), ("1000000", 1048576)):
            r = templates("--dp-config", "asrs-established", "--api", "/tmp/none", "--flows", flows,
                          "--out", tmp + "/c.json", "--mem-mb")
            assert r.returncode == 0, r.stderr
            c = json.loads(Path(tmp, "c.json").read_text())
            assert c["asrs"]["max_sessions"] == want
            assert int(r.stdout) > 256  # the need grows with the table
            dests = c["services"][0]["destinations"]
            # SNAT: one address, 64,512 ports per destination, kept at most half full
            assert len(dests) >= 16 and len(dests) * 64512 >= 2 * int(flows), (flows, len(dests))
            assert {d["addr"] for d in dests} <= {n["addr"] for n in c["neighbors"]}
        small = int(templates("--dp-config", "asrs-established", "--api", "/tmp/none", "--flows", "64",
                              "--out", tmp + "/c.json", "--mem-mb").stdout)
        assert int(r.stdout) > small
    assert "--flows: expected 1..4194304" in templates("--dp-config", "plain", "--flows", "0").stderr


def test_dp_memory_refused_when_missing():
    """Tables the machine cannot hold: run.sh's memory step refuses, naming the need."""
    r = subprocess.run(["bash", "-c", '. "$0"/bench_lib.sh; awb_dp_mem 900000000', str(SCRIPTS)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stdout == ""
    assert "needs about 900000000 MB" in r.stderr and "refusing" in r.stderr


def test_ports_flows_above_old_table_are_sized():
    """300,000 flows: more than the 262,144 sessions run.sh used to configure."""
    r = script("run.sh", "asrs-established", "--flows", "300000", "--duration", "1", "--period", "0",
               timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["verdict"] == "valid" and res["invalid"] == "-", res
    assert "session_table_full" not in r.stdout
    # through ports the data plane's idle share is read from its poll counters
    assert res["dp_idle"] != "na" and 0 <= float(res["dp_idle"]) <= 1, res


def test_ports_dp_idle_covers_the_timed_part_only():
    """The data plane's idle share covers what the generator's does, the timed
    TX part, not the drain after it (there the data plane has nothing to do:
    3 s of drain after 1 s of TX would read as ~75 % idle whatever the load)."""
    r = script("run.sh", "plain", "--duration", "1", "--drain", "3", "--period", "0", timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["verdict"] == "valid" and res["dp_idle"] != "na", res
    m = re.search(r"data plane idle ([0-9.]+) in its first ([0-9.]+) s\)", r.stdout)
    assert m and m.group(1) == res["dp_idle"], r.stdout[-2000:]
    # read when TX ended (plus the API's answer), long before the drain's end
    assert float(res["seconds"]) <= float(m.group(2)) < float(res["seconds"]) + 1.5, m.group(0)


def test_ports_forced_drops_are_invalid():
    r = script("run.sh", "asrs-established", "--dp-sessions", "1000", "--flows", "5000", "--duration", "1",
               "--period", "0", timeout=240)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr
    res = result(r.stdout)
    assert res["verdict"] == "INVALID" and res["invalid"].startswith("session_table_full:"), res
    assert res["rx_mpps"] == "invalid" and res["tx_mpps"] == "invalid" and res["gbps"] == "invalid"
    assert res["bottleneck"] in BOTTLENECKS
    assert "INVALID         the data plane dropped packets: session_table_full:" in r.stdout


def test_compare_gives_no_ratio_for_invalid_run():
    if shutil.which("dpdk-testpmd") is None:
        pytest.skip("dpdk-testpmd not installed")
    r = script("compare.sh", "asrs-established", "--rounds", "1", "--dp-sessions", "1000", "--flows", "5000",
               "--duration", "1", timeout=240)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr
    assert "anyway INVALID: the data plane dropped session_table_full:" in r.stdout
    assert "ratio" not in r.stdout and "Mpps" not in r.stdout
    assert "no rate, no ratio" in r.stderr


def test_in_process_refuses_too_small_table():
    with tempfile.TemporaryDirectory(prefix="awbh") as tmp:
        cfg = config(tmp, "asrs-established", "--sessions", "1000")
        r = in_process(cfg, "asrs-established", "--flows", "5000", "--packets", "10000")
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr
    assert ("--flows 5000: scenario asrs-established opens 5000 sessions but %s has asrs.max_sessions 1000"
            % cfg) in r.stderr
    assert "RESULT" not in r.stdout


def test_in_process_drops_make_it_invalid():
    """1000-byte frames toward a port with a 576-byte MTU: dropped as mtu_exceeded."""
    with tempfile.TemporaryDirectory(prefix="awbh") as tmp:
        cfg = config(tmp, "plain")
        c = json.loads(cfg.read_text())
        c["ports"][1]["mtu"] = 576
        cfg.write_text(json.dumps(c))
        r = in_process(cfg, "plain", "--packets", "20000", "--pkt-size", "1000")
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr
    res = result(r.stdout)
    assert res["verdict"] == "INVALID" and res["invalid"].startswith("mtu_exceeded:"), res
    assert res["rx_mpps"] == "invalid"


def test_in_process_valid_run_names_bottleneck():
    with tempfile.TemporaryDirectory(prefix="awbh") as tmp:
        cfg = config(tmp, "asrs-established", "--flows", "5000")
        r = in_process(cfg, "asrs-established", "--flows", "5000", "--packets", "20000")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["verdict"] == "valid" and res["bottleneck"] in BOTTLENECKS
    assert res["gen_idle"] == "na" and res["dp_idle"] == "na"  # one lcore: neither side idles
    assert "data plane share of the lcore" in r.stdout


def test_in_process_bad_config_exits_2():
    """A config the data plane refuses: one precise line, exit 2, no crash on the way out."""
    with tempfile.TemporaryDirectory(prefix="awbh") as tmp:
        out = Path(tmp) / "p.json"
        assert templates("--dp-config", "pipeline", "--api", tmp + "/s", "--out", str(out)).returncode == 0
        r = in_process(out, "pipeline", "--packets", "1000")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "is not enabled in EAL" in r.stderr
