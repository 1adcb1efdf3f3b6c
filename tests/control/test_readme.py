"""README.md stays true: what its Run section shows is checked against the
built programs — every JSON config block passes `anyway-dataplane
--check-config`, every `anyway-ctl` command it shows is one the CLI lists in
its --help, every option it gives a program is in that program's --help, and
every path and make target it names exists. (make demo / make test themselves
run in CI.)"""

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ctlharness import build_dir

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)
CTL_VALUED = {"-s", "--socket", "-m", "--mapd", "-a", "--agent", "-t", "--timeout", "--ca", "--cert", "--key",
              "-i", "--interval", "-c", "--count"}


def prog(name):
    sub = {"anyway-mapd": "control/mapd", "anyway-agent": "control/agent", "anyway-registrar": "control/registrar",
           "anyway-ctl": "control/ctl", "anyway-dataplane": "dataplane"}[name]
    return str(build_dir() / sub / name)


def words(ln):
    try:
        return shlex.split(ln)
    except ValueError:  # a quote the line opens and a later one closes (JSON): plain split
        return ln.split()


def lines():
    """Shell lines of the code blocks: comments cut, continuations joined."""
    for lang, body in BLOCKS:
        if lang == "json":
            continue
        for ln in body.replace("\\\n", " ").splitlines():
            ln = ln.split("  #")[0].split(" # ")[0].strip()
            if ln and not ln.startswith("#"):
                yield ln


def help_of(name):
    r = subprocess.run([prog(name), "--help"], capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def test_json_configs_pass_check_config(tmp_path):
    blocks = [b for lang, b in BLOCKS if lang == "json"]
    assert blocks, "README has no JSON config"
    for i, b in enumerate(blocks):
        json.loads(b)
        f = tmp_path / ("cfg%d.json" % i)
        f.write_text(b)
        r = subprocess.run([prog("anyway-dataplane"), "--check-config", str(f)], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, "README config %d refused: %s" % (i, r.stdout + r.stderr)


def ctl_commands():
    for ln in lines():
        if not ln.startswith("anyway-ctl "):
            continue
        ws = words(ln)[1:]
        cmd = []
        i = 0
        while i < len(ws):
            w = ws[i]
            if w in CTL_VALUED:
                i += 2
                continue
            if w.startswith("-"):
                i += 1
                continue
            cmd.append(w)
            i += 1
        yield ln, cmd


def test_every_anyway_ctl_command_shown_exists():
    text = help_of("anyway-ctl")
    listed = {ln.split()[0] for ln in text.splitlines() if ln.startswith("  ") and ln.split()
              and not ln.split()[0].startswith("-")}
    seen = 0
    for ln, cmd in ctl_commands():
        assert cmd, ln
        for alt in " ".join(cmd).split("|"):  # "vips | listeners | ...": each one a command
            word = alt.split()[0]
            assert word in listed, "README shows `%s`: anyway-ctl --help has no %r" % (ln, word)
            seen += 1
    assert seen >= 5


def test_options_given_to_programs_exist():
    progs = {"anyway-mapd": "anyway-mapd", "anyway-agent": "anyway-agent", "anyway-registrar": "anyway-registrar",
             "build/dataplane/anyway-dataplane": "anyway-dataplane"}
    text = README
    for shown, name in progs.items():
        helptext = help_of(name)
        for m in re.finditer(re.escape(shown) + r"((?: [^`\n]*)?)", text):
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", m.group(1)):
                if name == "anyway-dataplane" and opt in ("--no-pci", "--file-prefix", "--vdev", "--no-huge"):
                    continue  # EAL's options, before "--"
                assert opt in helptext, "README gives %s %s: not in its --help" % (shown, opt)


def test_paths_and_make_targets_exist():
    for ln in lines():
        for w in words(ln):
            if re.match(r"^(bench|tests|deploy|build)/[\w./-]+\.(sh|py)$", w):
                assert (ROOT / w).exists(), "README names %s, which does not exist" % w
    make = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)", README, re.M):
        assert re.search(r"^%s:" % target, make, re.M), "README shows make %s: no such target" % target


def test_data_plane_cli_examples_run_against_the_readme_config(tmp_path):
    """The README's config started as it says (--no-huge -m 512, net_null ports
    here), then every data-plane `anyway-ctl` line of the README run against
    it: each exits 0."""
    import os
    import signal
    import time
    cfg = json.loads([b for lang, b in BLOCKS if lang == "json"][0])
    import shutil
    sock = str(tmp_path / "dp.sock")
    cfg["api"]["unix"] = sock
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    prefix = "awreadme%d" % os.getpid()
    dp = subprocess.Popen([prog("anyway-dataplane"), "-l", "0", "--no-huge", "-m", "512", "--no-pci",
                           "--file-prefix", prefix, "--vdev", "net_null0", "--vdev", "net_null1", "--",
                           "--config", str(tmp_path / "cfg.json")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(sock):
            assert dp.poll() is None and time.monotonic() < deadline, dp.stdout.read().decode(errors="replace")
            time.sleep(0.1)
        ran = 0
        for ln, cmd in ctl_commands():
            if any(w in ln for w in ("--mapd", "--agent")) or cmd[0] in ("register", "deregister", "drain", "undrain"):
                continue  # the map server's and the agent's: tests/control/test_ctl*.py
            rest = words(ln)[1:]
            for alt in " ".join(rest).split("|"):
                args = alt.split()
                r = subprocess.run([prog("anyway-ctl"), "--socket", sock] + args, capture_output=True,
                                   text=True, timeout=30)
                assert r.returncode == 0, "README's `anyway-ctl %s` failed: %s" % (alt.strip(), r.stdout + r.stderr)
                ran += 1
        assert ran >= 8, ran
    finally:
        dp.send_signal(signal.SIGTERM)
        try:
            dp.wait(20)
        except subprocess.TimeoutExpired:
            dp.kill()
            dp.wait()
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)  # the EAL's runtime files
