"""Configuration errors: exit code 2 and one line naming file, key path and
what was expected; --help / --version without EAL; bad app options."""

import subprocess
import time

import pytest

from golden_common import P0_MAC, P1_MAC
from harness import app_error_lines, binary, run_bad_config


def ports(**p0):
    a = {"port": 0, "mac": P0_MAC, "addrs": ["10.1.0.1/24", "2001:db8:1::1/64"]}
    a.update(p0)
    return [a, {"port": 1, "mac": P1_MAC, "addrs": ["10.2.0.1/24"]}]


def base(**over):
    c = {"ports": ports()}
    c.update(over)
    return c


CASES = [
    # id, config, key path, words the message must contain
    ("prefix_33", base(ports=ports(addrs=["10.1.0.1/33"])), "ports[0].addrs[0]", []),
    ("prefix_129", base(ports=ports(addrs=["2001:db8::1/129"])), "ports[0].addrs[0]", []),
    ("bad_addr", base(ports=ports(addrs=["10.1.0.300/24"])), "ports[0].addrs[0]", []),
    ("bad_mac", base(ports=ports(mac="02:00:00:00:00")), "ports[0].mac", []),
    ("bad_mac_hex", base(ports=ports(mac="02:00:00:00:00:zz")), "ports[0].mac", []),
    ("multicast_mac", base(ports=ports(mac="03:00:00:00:00:01")), "ports[0].mac", ["multicast"]),
    ("unknown_top_key", base(bogus=1), "(top level)", ["bogus"]),
    ("unknown_port_key", base(ports=ports(speed=10)), "ports[0]", ["speed"]),
    ("unknown_neigh_cache_key", base(neighbor_cache={"max_entries": 64, "ttl": 3}), "neighbor_cache", ["ttl"]),
    ("unknown_route_key", base(routes=[{"prefix": "0.0.0.0/0", "via": "10.1.0.254", "metric": 1}]), "routes[0]", ["metric"]),
    ("mtu_string", base(ports=ports(mtu="1500")), "ports[0].mtu", ["integer", "string"]),
    ("mtu_range", base(ports=ports(mtu=20)), "ports[0].mtu", ["68"]),
    ("addrs_not_array", base(ports=ports(addrs="10.1.0.1/24")), "ports[0].addrs", ["array"]),
    ("ports_not_array", {"ports": {"port": 0}}, "ports", ["array"]),
    ("burst_bool", base(burst=True), "burst", ["integer", "boolean"]),
    ("aarp_string", base(vips=[{"addr": "203.0.113.10", "aarp": "yes"}]), "vips[0].aarp", ["boolean"]),
    ("missing_ports", {"routes": []}, "ports", ["required"]),
    ("empty_ports", {"ports": []}, "ports", []),
    ("port_missing_id", base(ports=[{"mac": P0_MAC}]), "ports[0]", ["port"]),
    ("port_out_of_range", base(ports=ports(port=5)), "ports[0].port", ["out of range"]),
    ("duplicate_port", base(ports=[{"port": 0}, {"port": 0}]), "ports[1]", ["twice"]),
    ("route_via_unconnected", base(routes=[{"prefix": "0.0.0.0/0", "via": "192.0.2.1"}]), "routes[0]", []),
    ("route_family_mismatch", base(routes=[{"prefix": "0.0.0.0/0", "via": "2001:db8:1::fe"}]), "routes[0].via", []),
    ("route_bad_prefix", base(routes=[{"prefix": "10.0.0.0/40", "via": "10.1.0.254"}]), "routes[0].prefix", []),
    ("route_host_bits", base(routes=[{"prefix": "10.9.0.1/16", "via": "10.1.0.254"}]), "routes[0].prefix",
     ["'10.9.0.1/16' has host bits set; did you mean 10.9.0.0/16?"]),
    ("route_host_bits6", base(routes=[{"prefix": "2001:db8:9::1/48", "via": "2001:db8:1::fe"}]), "routes[0].prefix",
     ["did you mean 2001:db8:9::/48?"]),
    ("service_prefix6_host_bits", base(asrs={"service_prefix6": "2001:db8:a5::1/64"}), "asrs.service_prefix6",
     ["has host bits set; did you mean 2001:db8:a5::/64?"]),
    ("snat_prefix_host_bits", base(asrs={"snat": ["10.2.0.5/30"]}), "asrs.snat[0]",
     ["did you mean 10.2.0.4/30?"]),
    ("route_port_unknown", base(routes=[{"prefix": "0.0.0.0/0", "port": 7}]), "routes[0]", ["7"]),
    ("neighbor_bad_mac", base(neighbors=[{"addr": "10.1.0.2", "mac": "nope", "port": 0}]), "neighbors[0].mac", []),
    ("neighbor_port_unknown", base(neighbors=[{"addr": "10.1.0.2", "mac": "02:00:00:00:00:aa", "port": 3}]), "neighbors[0]", ["3"]),
    ("asrs_bad_port", base(asrs={"port": 0}), "asrs.port", ["1..65535"]),
    ("bad_mode", base(mode="turbo"), "mode", ["rtc", "pipeline"]),
    ("pipeline_without_mode", base(pipeline={"rx_lcores": [0]}), "pipeline", []),
    ("pipeline_missing", base(mode="pipeline"), "pipeline", ["required"]),
    ("pipeline_lcore_disabled", base(mode="pipeline", pipeline={"rx_lcores": [1], "worker_lcores": [2], "tx_lcores": [3]}),
     "pipeline.rx_lcores[0]", ["not enabled"]),
    ("neigh_probes_range", base(neighbor_cache={"probes": 0}), "neighbor_cache.probes", []),
    ("api_unix_empty", base(api={"unix": ""}), "api.unix", []),
]


@pytest.mark.parametrize("cfg,path,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_error(cfg, path, words):
    rc, stderr, cfgfile = run_bad_config(cfg)
    lines = app_error_lines(stderr)
    assert rc == 2, "exit %s, want 2; stderr:\n%s" % (rc, stderr)
    assert len(lines) == 1, "want exactly one anyway-dataplane line on stderr:\n%s" % stderr
    prefix = "anyway-dataplane: %s: %s: " % (cfgfile, path)
    assert lines[0].startswith(prefix), "want %r..., got %r" % (prefix, lines[0])
    rest = lines[0][len(prefix):]
    assert rest.strip(), "no description of what was expected"
    for w in words:
        assert w in rest, "%r not in %r" % (w, rest)


def test_invalid_json_names_line_and_column():
    rc, stderr, cfgfile = run_bad_config(None, raw='{"ports": [\n  {"port": 0,}\n]}\n')
    lines = app_error_lines(stderr)
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith("anyway-dataplane: %s:2:" % cfgfile), stderr


def test_duplicate_json_key():
    rc, stderr, cfgfile = run_bad_config(None, raw='{"ports": [{"port": 0}], "ports": [{"port": 1}]}')
    assert rc == 2
    assert len(app_error_lines(stderr)) == 1 and cfgfile in stderr


def test_missing_config_file():
    rc, stderr, _ = run_bad_config(None, app_args=["--config", "/nonexistent/anyway.json"])
    assert rc == 2
    lines = app_error_lines(stderr)
    assert len(lines) == 1 and "/nonexistent/anyway.json" in lines[0], stderr


def test_unknown_app_option():
    rc, stderr, _ = run_bad_config(None, app_args=["--config", "x.json", "--bogus"])
    assert rc == 2
    assert any("--bogus" in l for l in app_error_lines(stderr)), stderr


def test_config_option_required():
    rc, stderr, _ = run_bad_config(None, app_args=[])
    assert rc == 2
    assert "--config" in stderr


def test_stray_argument():
    rc, stderr, _ = run_bad_config(None, app_args=["--config", "x.json", "extra"])
    assert rc == 2
    assert any("extra" in l for l in app_error_lines(stderr)), stderr


@pytest.mark.parametrize("opt", ["--help", "--version"])
def test_help_version_without_eal(opt):
    t0 = time.monotonic()
    p = subprocess.run([binary(), opt], capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0, err
    assert "EAL:" not in out + err, "EAL was initialised for %s:\n%s%s" % (opt, out, err)
    assert time.monotonic() - t0 < 5
    if opt == "--version":
        assert out.startswith("anyway-dataplane ") and len(out.strip().split()) == 2, out
    else:
        assert "usage:" in out and "--config" in out
