"""anyway-dataplane --check-config FILE (SPEC §11): validates without EAL.
Every bad-config case of the golden suite gives, through --check-config, the
very line the data plane prints when it refuses to start, and exit 2; a good
config gives exit 0 and a one-line summary. What needs EAL (lcore ids enabled,
port ids of probed devices) is not checked, as --help says."""

import json
import subprocess

import pytest

import test_api_abuse
import test_asrs_api
import test_asrs_synproxy
import test_config
import test_trs
from asrs_fixtures import config as asrs_config
from golden_common import config as full_config
from harness import app_error_lines, binary, run_bad_config

# Refused at start only because EAL knows the lcores / ports; --check-config accepts them.
NEEDS_EAL = {"pipeline_lcore_disabled", "port_out_of_range"}


def _asrs(over):
    c = test_asrs_api.config()
    c.update(over)
    return c


def _synproxy(over):
    c = asrs_config()
    c["asrs"] = over
    return c


CASES = ([(c[0], c[1]) for c in test_config.CASES if c[0] not in NEEDS_EAL]
         + [("asrs_api_%d" % i, _asrs(o)) for i, (o, _) in enumerate(test_asrs_api.BAD_CONFIGS)]
         + [("synproxy_%d" % i, _synproxy(o)) for i, (o, _) in enumerate(test_asrs_synproxy.BAD)]
         + [("trs_%d" % i, test_trs.config(**o)) for i, (o, _, _) in enumerate(test_trs.BAD_CONFIGS)]
         + [("api_%d" % i, test_api_abuse.cfg(unix="/tmp/awg-never.sock", **o))
            for i, (o, _) in enumerate(test_api_abuse.BAD_API_CONFIGS)])


def check_config(path, *extra):
    p = subprocess.run([binary()] + list(extra) + ["--check-config", str(path)], capture_output=True,
                       timeout=20, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.mark.parametrize("cfg", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_same_error_as_at_start(cfg, tmp_path):
    f = tmp_path / "cfg.json"
    f.write_text(json.dumps(cfg))
    rc_start, err_start, _ = run_bad_config(None, app_args=["--config", str(f)])
    start_lines = app_error_lines(err_start)
    assert rc_start == 2 and len(start_lines) == 1, (rc_start, err_start[-2000:])
    rc, out, err = check_config(f)
    assert rc == 2, (rc, out, err)
    assert "EAL:" not in out + err, "EAL was initialised:\n" + out + err
    assert err.splitlines() == start_lines and out == "", (err, start_lines)


def test_good_config_summary(tmp_path):
    f = tmp_path / "good.json"
    c = full_config()
    f.write_text(json.dumps(c))
    rc, out, err = check_config(f)
    assert rc == 0 and err == "", (rc, out, err)
    assert "EAL:" not in out
    line = out.strip()
    assert "\n" not in line and line.startswith("anyway-dataplane: %s: config OK: " % f), out
    assert "%d port(s)" % len(c["ports"]) in line and "%d route(s)" % len(c.get("routes", [])) in line, line
    # the same file is accepted at start too (the harness's golden runs start with it)


def test_eal_checks_are_left_out(tmp_path):
    """A port id beyond the probed devices: refused at start, accepted by --check-config (documented)."""
    c = test_config.base(ports=test_config.ports(port=7))
    f = tmp_path / "port7.json"
    f.write_text(json.dumps(c))
    rc_start, err_start, _ = run_bad_config(None, app_args=["--config", str(f)])
    assert rc_start == 2 and "port id 7 out of range" in err_start, err_start[-2000:]
    rc, out, err = check_config(f)
    assert rc == 0 and "config OK" in out and "port and lcore ids not checked (no EAL)" in out, (out, err)


def test_host_bits_refused(tmp_path):
    c = test_config.base(routes=[{"prefix": "10.9.0.1/16", "via": "10.1.0.254"}])
    f = tmp_path / "hb.json"
    f.write_text(json.dumps(c))
    rc, out, err = check_config(f)
    assert rc == 2 and err.strip() == ("anyway-dataplane: %s: routes[0].prefix: '10.9.0.1/16' has host bits set; "
                                       "did you mean 10.9.0.0/16?" % f), err


@pytest.mark.parametrize("args,msg", [
    (["--check-config"], "--check-config FILE takes exactly one file"),
    (["--check-config", "a.json", "b.json"], "--check-config FILE takes exactly one file"),
    (["--check-config", "/nonexistent/x.json"], "/nonexistent/x.json"),
])
def test_usage_errors(args, msg):
    p = subprocess.run([binary()] + args, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and msg in p.stderr.decode(), p.stderr


def test_help_says_what_is_not_checked():
    p = subprocess.run([binary(), "--help"], capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    out = p.stdout.decode()
    assert p.returncode == 0 and "--check-config FILE" in out and "port ids" in out and "lcore ids" in out, out
