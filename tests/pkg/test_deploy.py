"""deploy/ and doc/man without packages: the sample production config runs on
the real data plane (net_null ports), every daemon reports READY=1 / STOPPING=1
to a notify socket, the unit files pass systemd-analyze verify, the env files
define what the units use, and the man pages render without warnings."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from pkgharness import ROOT, Notify, build_dir, render_man, run_dataplane, stop, verify_unit

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
BINARIES = {"anyway-dataplane": "dataplane", "anyway-mapd": "control/mapd", "anyway-agent": "control/agent",
            "anyway-registrar": "control/registrar", "anyway-ctl": "control/ctl", "anyway-bench": "bench"}


def built(name):
    return build_dir() / BINARIES[name] / name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_file(path):
    """KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped)."""
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"([A-Z_][A-Z0-9_]*)=(.*)", line)
        assert m, "%s:%d: not KEY=VALUE: %r" % (path, n, line)
        out[m.group(1)] = m.group(2)
    return out


def test_sample_config_runs_on_the_data_plane():
    pong, out = run_dataplane(built("anyway-dataplane"), DEPLOY / "dataplane.json")
    assert pong.get("ok") is True and pong.get("pong") == "anyway-dataplane" and pong.get("version")
    assert "rtc mode" in out and ": ready" in out
    assert out.count("mac ") == 2  # both ports came up


def test_units_verify_and_declare_notify():
    assert len(UNITS) == 4
    tmp = Path(tempfile.mkdtemp(prefix="awpkg-units"))
    try:
        for unit in UNITS:
            text = unit.read_text()
            assert "\nType=notify\n" in text, unit
            assert "Restart=on-failure" in text and "RestartPreventExitStatus=2" in text, unit
            exe = re.search(r"^ExecStart=/usr/bin/(\S+)", text, re.M).group(1)
            assert "\nExecReload=/bin/kill -HUP $MAINPID\n" in text, unit  # SIGHUP never stops it
            for var in re.findall(r"\$([A-Z_]+)", text):
                if var == "MAINPID":  # set by systemd itself
                    continue
                files = re.findall(r"^EnvironmentFile=-?/etc/anyway/([a-z]+\.env)$", text, re.M)
                assert any(var in env_file(DEPLOY / f) for f in files), (unit, var)
            if exe in ("anyway-dataplane", "anyway-agent"):
                assert "RuntimeDirectory=anyway\n" in text and "RuntimeDirectoryPreserve=yes" in text
            name = unit.name.replace("@.", "@test.")
            (tmp / name).write_text(text.replace("/usr/bin/" + exe, str(built(exe))))
            problems = verify_unit(tmp / name)
            if problems is None:
                pytest.skip("systemd-analyze not installed")
            assert problems == "", "%s:\n%s" % (unit.name, problems)
        # the check itself notices a bad unit
        (tmp / "bad.service").write_text("[Service]\nType=notyfy\nExecStart=/bin/true\n")
        assert "notyfy" in verify_unit(tmp / "bad.service")
    finally:
        shutil.rmtree(tmp)


def test_daemons_notify_ready_and_stopping():
    tmp = tempfile.mkdtemp(prefix="awpkg")
    mport = free_port()
    status = os.path.join(tmp, "agent.sock")
    pki = os.path.join(tmp, "pki")  # TLS 1.3 certificates, as deploy/README.md makes them
    subprocess.run([str(DEPLOY / "pki" / "anyway-pki"), "init", pki], check=True, capture_output=True, timeout=60)
    for n in ("mapd", "agent", "registrar"):
        subprocess.run([str(DEPLOY / "pki" / "anyway-pki"), "issue", pki, n], check=True, capture_output=True,
                       timeout=60)

    def tls(n):
        return ["--ca", os.path.join(pki, "ca.pem"), "--cert", os.path.join(pki, n + ".pem"),
                "--key", os.path.join(pki, n + ".key")]
    cmds = [
        ([str(built("anyway-mapd")), "--listen", "127.0.0.1:%d" % mport] + tls("mapd"), None),
        ([str(built("anyway-agent")), "--mapd", "127.0.0.1:%d" % free_port(), "--dataplane",
          os.path.join(tmp, "none.sock"), "--status", status] + tls("agent"), status),
        ([str(built("anyway-registrar")), "--mapd", "127.0.0.1:%d" % free_port(), "--config",
          str(DEPLOY / "registrar" / "web.json"), "--check-interval-ms", "60000"] + tls("registrar"), None),
    ]
    try:
        for cmd, sock in cmds:
            notify = Notify()
            p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, NOTIFY_SOCKET=notify.env))
            try:
                notify.wait_for("READY=1", 15.0, p)
                if sock:
                    assert os.path.exists(sock)  # ready means its socket is there
                assert p.poll() is None
                p.send_signal(signal.SIGTERM)
                notify.wait_for("STOPPING=1", 10.0)
                assert p.wait(10) == 0, p.stderr.read()
            finally:
                stop(p)
                notify.close()
    finally:
        shutil.rmtree(tmp)


def test_env_files_and_registrar_example():
    for f in ("dataplane.env", "mapd.env", "agent.env", "registrar.env"):
        assert env_file(DEPLOY / f)
    assert "--file-prefix" in env_file(DEPLOY / "dataplane.env")["EAL_OPTS"]
    svcs = json.loads((DEPLOY / "registrar" / "web.json").read_text())["services"]
    assert svcs and all(s["check"].startswith("http:/") for s in svcs)


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "doc" / "man").glob("*.[18]")))
def test_man_page_renders_clean(page):
    path = ROOT / "doc" / "man" / page
    problems, text = render_man(path)
    assert problems == "", problems
    name = page.rsplit(".", 1)[0]
    assert text.lstrip().startswith(name.upper()) and "NAME" in text and "SYNOPSIS" in text


def test_every_binary_has_a_man_page():
    pages = {p.name.rsplit(".", 1)[0] for p in (ROOT / "doc" / "man").glob("*.[18]")}
    assert pages == set(BINARIES)
    # a broken page is noticed
    tmp = Path(tempfile.mkdtemp(prefix="awpkg-man"))
    try:
        (tmp / "bad.8").write_text(".TH BAD 8\n.SH NAME\nbad \\- x\n.BOGUS\n\\fBunclosed \\qz\n")
        assert render_man(tmp / "bad.8")[0] != ""
    finally:
        shutil.rmtree(tmp)
