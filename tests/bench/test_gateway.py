"""anyway-bench's gateway scenarios (SPEC §6, issue 14): gateway-in (the
generator seals a CAPSULE per packet, the gateway opens it and routes the
inner packet) and gateway-out (plain packets to the nodes, sealed by the
gateway, opened by the sink), suites 1 and 2, in process and through ports.
Behaviour only, never a speed: every packet comes back whole and in order,
nothing is dropped, and the gateway's counters say it did the crypto; wrong
options and configs are refused with a precise message. Every run is short
and bounded; DPDK runtime directories are removed."""

import re
import subprocess
import tempfile

import pytest

from benchutil import PY, SCRIPTS, assert_flowed, bench, script, dp_config, in_process as run_in_process

COUNTER = {"gateway-in": "gw_decrypted", "gateway-out": "gw_encrypted"}


def config(tmp, scenario, *args):
    return dp_config(tmp, scenario, *args)


def in_process(cfg, scenario, *extra):
    return run_in_process('awbgw', cfg, scenario, *extra, timeout=180)


def counter(out, name):
    m = re.search(r"^  counters .* %s=(\d+)" % name, out, re.M)
    return int(m.group(1)) if m else 0


RUNS = [(sc, suite, size) for sc in ("gateway-in", "gateway-out") for suite in (1, 2) for size in (64, 1400)]


@pytest.mark.parametrize("scenario,suite,size", RUNS, ids=["%s-s%d-%d" % r for r in RUNS])
def test_in_process(scenario, suite, size):
    with tempfile.TemporaryDirectory(prefix="awbgw") as tmp:
        cfg = config(tmp, scenario, "--suite", str(suite), "--flows", "300")
        r = in_process(cfg, scenario, "--suite", str(suite), "--flows", "300", "--pkt-size", str(size),
                       "--packets", "30000")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["verdict"] == "valid" and int(res["received"]) == 30000, res
    assert "drops by reason none" in r.stdout
    # counters start after the binding capsules: exactly one seal or open per packet
    assert counter(r.stdout, COUNTER[scenario]) == 30000, r.stdout[-1500:]


@pytest.mark.parametrize("scenario,suite", [("gateway-in", 2), ("gateway-out", 1)])
def test_through_ports(scenario, suite):
    r = script("run.sh", scenario, "--suite", str(suite), "--flows", "200", "--pkt-size", "512",
               "--duration", "1", "--period", "0", timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    res = assert_flowed(r.stdout)
    assert res["mode"] == "ports" and res["verdict"] == "valid", res
    # the data plane's counters include the 200 binding capsules of the setup
    n = counter(r.stdout, COUNTER[scenario])
    assert n >= int(res["received"]) > 0, r.stdout[-1500:]
    assert counter(r.stdout, "gw_binds") == 200, r.stdout[-1500:]


def test_compare_one_round():
    """Against testpmd the generator's capsules come back swapped: the sink
    opens them, and the comparison gives a ratio."""
    r = script("compare.sh", "gateway-in", "--rounds", "1", "--flows", "64", "--pkt-size", "256",
               "--duration", "1", timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "ratio anyway/5tswap" in r.stdout


def test_sizes_and_flows_refused():
    r = bench("--scenario", "gateway-in", "--pkt-size", "1422", "--check")
    assert r.returncode == 2
    assert ("--pkt-size: 1422: the inner frame of a suite-1 capsule is at most 1421 bytes (the capsule's outer "
            "IPv4 packet within the 1500-byte MTU)") in r.stderr, r.stderr
    assert bench("--scenario", "gateway-in", "--pkt-size", "1421", "--check").returncode == 0
    r = bench("--scenario", "gateway-out", "--suite", "2", "--pkt-size", "1439", "--check")
    assert r.returncode == 2 and "suite-2 capsule is at most 1438 bytes" in r.stderr, r.stderr
    r = bench("--scenario", "gateway-out", "--flows", "65537", "--check")
    assert r.returncode == 2
    assert "--flows: 65537: a gateway scenario binds one gateway path per flow, at most 65536" in r.stderr
    r = bench("--scenario", "gateway-in", "--pkt-size", "60", "--check")
    assert r.returncode == 2 and "--pkt-size: 60 too small for template" in r.stderr, r.stderr


def test_in_process_config_must_match():
    with tempfile.TemporaryDirectory(prefix="awbgw") as tmp:
        cfg = config(tmp, "gateway-in", "--suite", "1", "--paths", "100", "--flows", "100")
        r = in_process(cfg, "gateway-in", "--suite", "2", "--flows", "100", "--packets", "1000")
        assert r.returncode == 2, r.stdout[-2000:] + r.stderr
        assert ("--suite 2: %s installs gateway paths of suite 1; make it with bench/templates.py --suite 2"
                % cfg) in r.stderr
        r = in_process(cfg, "gateway-in", "--flows", "101", "--packets", "1000")
        assert r.returncode == 2, r.stdout[-2000:] + r.stderr
        assert ("--flows 101: the gateway scenario uses 101 gateway paths but %s installs 100 (gateways[])"
                % cfg) in r.stderr
    assert "RESULT" not in r.stdout


def test_templates_refuse_too_many_paths():
    r = subprocess.run([PY, str(SCRIPTS / "templates.py"), "--dp-config", "gateway-out", "--flows", "65537"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "--flows: gateway-out binds one gateway path per flow, at most 65536" in r.stderr
