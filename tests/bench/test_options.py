"""anyway-bench's option parsing and validation: bad values exit 2 with a
one-line message naming the option and what was expected; nothing starts
(the checks run before EAL)."""

import subprocess

import pytest

from benchutil import BENCH, bench

BAD = [
    (["--flows", "0"], "--flows: expected an integer 1..4194304, got '0'"),
    (["--flows", "abc"], "--flows: expected an integer 1..4194304, got 'abc'"),
    (["--flows", "-5"], "--flows: expected an integer"),
    (["--flows", "4194305"], "--flows: expected an integer 1..4194304"),
    (["--pkt-size", "59"], "--pkt-size: expected an integer 60..9000, got '59'"),
    (["--pkt-size", "9001"], "--pkt-size: expected an integer 60..9000"),
    (["--burst", "0"], "--burst: expected an integer 1..256, got '0'"),
    (["--burst", "257"], "--burst: expected an integer 1..256"),
    (["--duration", "0"], "--duration: expected seconds 0.1..86400, got '0'"),
    (["--duration", "nan"], "--duration: expected seconds"),
    (["--duration", "2s"], "--duration: expected seconds 0.1..86400, got '2s'"),
    (["--rate", "x"], "--rate: expected an integer 0..1000000000"),
    (["--period", "-1"], "--period: expected seconds 0..3600"),
    (["--packets", "0"], "--packets: expected an integer 1..281474976710656"),
    (["--bogus"], "--bogus: unknown option"),
    (["--flows"], "--flows: expected a value"),
    (["stray"], "stray: unexpected argument"),
    (["--in-process"], "--dp-config: required with --in-process"),
    (["--dp-config", "x.json"], "--dp-config: only with --in-process"),
    (["--in-process", "--dp-config", "x.json", "--rate", "1000"], "--rate: not with --in-process"),
    (["--in-process", "--dp-config", "x.json", "--dp-api", "/tmp/s"], "--dp-api: not with --in-process"),
    (["--warmup", "5"], "--warmup: only with --in-process (through ports a run is timed from its first packet)"),
    (["--in-process", "--dp-config", "x.json", "--warmup", "-1"], "--warmup: expected an integer 0..281474976710656"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_exits_2_with_message(args, msg):
    r = bench("--scenario", "plain", *args)
    assert r.returncode == 2, r
    assert msg in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, "one line expected: %r" % r.stderr


def test_scenario_required():
    r = bench("--flows", "4")
    assert r.returncode == 2
    assert "--scenario: required" in r.stderr


def test_unknown_scenario_lists_the_names():
    r = bench("--scenario", "nope")
    assert r.returncode == 2
    assert "--scenario: expected one of plain, pipeline, asrs-established" in r.stderr
    assert "got 'nope'" in r.stderr


def test_suite_is_1_or_2():
    r = bench("--scenario", "trs-signaling", "--pkt-size", "128", "--suite", "3")
    assert r.returncode == 2 and "--suite: expected an integer 1..2, got '3'" in r.stderr


def test_trs_signaling_leaves_room_for_the_tag():
    r = bench("--scenario", "trs-signaling", "--pkt-size", "100", "--check")
    assert r.returncode == 2
    assert "--pkt-size: 100 too small for template" in r.stderr and "needs at least 110" in r.stderr


def test_asrs_new_needs_packets_within_flows():
    for extra in ([], ["--packets", "1001"]):
        r = bench("--scenario", "asrs-new", "--flows", "1000", *extra, "--check")
        assert r.returncode == 2, r
        assert "--packets: scenario asrs-new opens a session per packet: give --packets N with N <= --flows (1000)" \
            in r.stderr
    assert bench("--scenario", "asrs-new", "--flows", "1000", "--packets", "1000", "--check").returncode == 0


def test_warmup_is_for_asrs_new_and_leaves_packets_to_time():
    """--warmup (the untimed leading packets of a session-per-packet run) is
    refused where a scenario warms up on its own, and where it would leave
    nothing to time."""
    inproc = ["--in-process", "--dp-config", "x.json"]
    r = bench("--scenario", "plain", *inproc, "--warmup", "5", "--check")
    assert r.returncode == 2, r
    assert "--warmup: scenario plain warms up on its own (one untimed pass over --flows); " \
           "--warmup is for asrs-new" in r.stderr
    r = bench("--scenario", "asrs-new", "--flows", "1000", "--packets", "1000", *inproc, "--warmup", "1000",
              "--check")
    assert r.returncode == 2, r
    assert "--warmup: 1000 untimed packets leave none of --packets (1000) to time: give N < --packets" \
        in r.stderr
    for n in ("0", "999"):
        r = bench("--scenario", "asrs-new", "--flows", "1000", "--packets", "1000", *inproc, "--warmup", n,
                  "--check")
        assert r.returncode == 0, r


def test_trs_flows_not_limited_by_the_templates():
    """The bench binds the relay paths itself (ab_bind.c): any --flows the
    config installs paths for; a config with fewer is refused in process
    (test_trs_bind.py)."""
    for flows in ("1025", "1000000"):
        r = bench("--scenario", "trs-capsule", "--pkt-size", "128", "--flows", flows, "--check")
        assert r.returncode == 0, r.stderr


def test_trs_capsule_minimum_size():
    r = bench("--scenario", "trs-capsule", "--check")
    assert r.returncode == 2
    assert "--pkt-size: 64 too small for template" in r.stderr and "needs at least 94" in r.stderr


def test_check_accepts_a_good_command():
    r = bench("--scenario", "plain", "--flows", "1000", "--pkt-size", "128", "--burst", "64",
              "--duration", "1.5", "--rate", "1000000", "--check")
    assert r.returncode == 0, r.stderr
    assert "scenario plain" in r.stdout and "plain.pcap: ok" in r.stdout


def test_pkt_size_too_small_for_the_template():
    r = bench("--scenario", "plain", "--pkt-size", "61", "--check")
    assert r.returncode == 2
    assert "--pkt-size: 61 too small for template" in r.stderr and "needs at least 62" in r.stderr


def test_missing_and_broken_templates(tmp_path):
    r = bench("--scenario", "plain", "--templates", str(tmp_path), "--check")
    assert r.returncode == 2 and "plain.pcap: cannot open" in r.stderr
    (tmp_path / "plain.pcap").write_bytes(b"not a pcap at all, definitely not")
    r = bench("--scenario", "plain", "--templates", str(tmp_path), "--check")
    assert r.returncode == 2 and "not a pcap file" in r.stderr


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_without_eal(flag):
    for argv in ([str(BENCH), flag], [str(BENCH), "--", flag]):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r
        assert ("usage: anyway-bench" if flag == "--help" else "anyway-bench 0.") in r.stdout


def test_scripts_refuse_bad_input():
    from benchutil import script
    r = script("compare.sh", "plain", "--rounds", "0")
    assert r.returncode == 2 and "--rounds: expected an integer >= 1" in r.stderr
    r = script("run.sh", "nope")
    assert r.returncode == 2 and "--scenario: expected one of" in r.stderr
    r = script("callgrind.sh", "plain", "500", "100")
    assert r.returncode == 2 and "must be larger" in r.stderr
    r = script("compare_all.sh", "--rounds", "0")
    assert r.returncode == 2 and "--rounds: expected an integer >= 1" in r.stderr
    r = script("compare_all.sh", "--duration", "x")
    assert r.returncode == 2 and "--duration: expected seconds" in r.stderr
    r = script("compare_all.sh", "--timeout", "0")
    assert r.returncode == 2 and "--timeout: expected whole seconds >= 1" in r.stderr
    r = script("compare_all.sh", "plain", "nope")
    assert r.returncode == 2 and "unknown scenario 'nope'" in r.stderr and "trs-signaling-2" in r.stderr
