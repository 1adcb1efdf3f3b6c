"""anyway-bench binds the TRS scenarios' relay paths itself (bench/ab_bind.c,
issue 16): a HOLE_PUNCHING per side and path, tagged with lib/trs, fed through
the data plane before the timed part, then the relay's count of bound sides
checked. Behaviour only, never a speed: every path gets bound and every
capsule comes back whole; a run where paths are not bound, or the config
installs fewer paths than --flows, is refused (exit 2) with the reason. Every
run is short and bounded; DPDK runtime directories are removed."""

import json
import re
import tempfile

import pytest

from benchutil import assert_flowed, dp_config, in_process as run_in_process


def config(tmp, scenario, *args):
    return dp_config(tmp, scenario, *args)


def in_process(cfg, scenario, *extra):
    return run_in_process('awbtrs1m', cfg, scenario, *extra, timeout=300)


@pytest.mark.parametrize("scenario,suite", [("trs-capsule", 1), ("trs-capsule", 2), ("trs-signaling", 2)])
def test_binds_more_paths_than_the_default(scenario, suite):
    """3000 paths (the config's default is 1024): all bound, every packet forwarded."""
    with tempfile.TemporaryDirectory(prefix="awbtrs1m") as tmp:
        cfg = config(tmp, scenario, "--flows", "3000", "--suite", str(suite))
        paths = json.loads(cfg.read_text())["relays"]
        assert len(paths) == 3000 and paths[0]["bind_timeout_s"] == 65535
        r = in_process(cfg, scenario, "--flows", "3000", "--suite", str(suite), "--pkt-size", "128",
                       "--packets", "20000")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "3000 relay paths bound, both sides" in r.stdout
    res = assert_flowed(r.stdout)
    assert int(res["received"]) == 20000
    assert "drops by reason none" in r.stdout


def test_refuses_when_a_path_is_not_bound():
    """One path's key differs in the data plane: its HOLE_PUNCHINGs fail the tag
    check, two sides stay unbound, the run is refused before any timed traffic."""
    with tempfile.TemporaryDirectory(prefix="awbtrs1m") as tmp:
        cfg = config(tmp, "trs-capsule", "--flows", "1200")
        c = json.loads(cfg.read_text())
        c["relays"][700]["tunnel_key"] = "00" * 32
        cfg.write_text(json.dumps(c))
        r = in_process(cfg, "trs-capsule", "--flows", "1200", "--pkt-size", "128", "--packets", "5000")
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr
    assert re.search(r"the relay bound 2398 of the 2400 path sides .*relay_bad_tag:2.*refusing", r.stderr), \
        r.stderr
    assert "RESULT" not in r.stdout


def test_refuses_when_the_config_has_other_paths():
    """The config installs enough paths, but not those the bench binds (other
    PathIDs): every HOLE_PUNCHING is an unknown path, the run is refused."""
    with tempfile.TemporaryDirectory(prefix="awbtrs1m") as tmp:
        cfg = config(tmp, "trs-capsule", "--flows", "64")
        c = json.loads(cfg.read_text())
        c["relays"] = c["relays"][:64]
        for p in c["relays"]:
            p["path_id"] = "b" + p["path_id"][1:]  # not the PathIDs the bench binds
        cfg.write_text(json.dumps(c))
        r = in_process(cfg, "trs-capsule", "--flows", "64", "--pkt-size", "128", "--packets", "1000")
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr
    assert re.search(r"the relay bound 0 of the 128 path sides .*relay_unknown_path:128", r.stderr), r.stderr


def test_refuses_a_config_with_fewer_paths_than_flows():
    with tempfile.TemporaryDirectory(prefix="awbtrs1m") as tmp:
        cfg = config(tmp, "trs-capsule")  # 1024 paths
        r = in_process(cfg, "trs-capsule", "--flows", "2000", "--pkt-size", "128", "--packets", "1000")
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr
    assert "binds one relay path per flow but" in r.stderr and "installs 1024 (relays[])" in r.stderr, r.stderr
