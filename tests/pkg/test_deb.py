"""The Debian packages (make deb): what each holds, the data plane started
from the packages extracted into a temporary root, and one real `dpkg -i`
with the installed units verified and the installed data plane started, then
purged again (skipped when not root or when anyway packages were installed
before the test, so the machine is left as it was)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import PACKAGES, deb_of
from pkgharness import ROOT, render_man, run_dataplane, verify_unit

EXPECT = {
    "anyway-dataplane": [
        "./usr/bin/anyway-dataplane", "./lib/systemd/system/anyway-dataplane.service",
        "./etc/anyway/dataplane.json", "./etc/anyway/dataplane.env",
        "./usr/share/man/man8/anyway-dataplane.8.gz", "./usr/share/doc/anyway-dataplane/CONFIG.md",
        "./usr/share/doc/anyway-dataplane/API.md", "./usr/share/doc/anyway-dataplane/README.md"],
    "anyway-control": [
        "./usr/bin/anyway-mapd", "./usr/bin/anyway-agent", "./usr/bin/anyway-registrar",
        "./usr/bin/anyway-ctl", "./lib/systemd/system/anyway-mapd.service",
        "./lib/systemd/system/anyway-agent.service", "./lib/systemd/system/anyway-registrar@.service",
        "./etc/anyway/mapd.env", "./etc/anyway/agent.env", "./etc/anyway/registrar.env",
        "./etc/anyway/registrar/", "./usr/share/man/man8/anyway-mapd.8.gz",
        "./usr/share/man/man8/anyway-agent.8.gz", "./usr/share/man/man8/anyway-registrar.8.gz",
        "./usr/share/man/man1/anyway-ctl.1.gz", "./usr/share/doc/anyway-control/PROTOCOL.md",
        "./usr/share/doc/anyway-control/examples/web.json",
        "./usr/share/doc/anyway-control/examples/anyway-pki"],
    "anyway-bench": [
        "./usr/bin/anyway-bench", "./usr/share/man/man1/anyway-bench.1.gz",
        "./usr/share/anyway-bench/templates/plain.pcap", "./usr/share/anyway-bench/templates/mixed.pcap",
        "./usr/share/doc/anyway-bench/README.md"],
}
CONFFILES = {
    "anyway-dataplane": {"/etc/anyway/dataplane.json", "/etc/anyway/dataplane.env"},
    "anyway-control": {"/etc/anyway/mapd.env", "/etc/anyway/agent.env", "/etc/anyway/registrar.env"},
    "anyway-bench": set(),
}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_contents(debs, package):
    deb = deb_of(debs, package)
    listing = run(["dpkg-deb", "-c", str(deb)], check=True).stdout
    paths = {line.split()[-1] for line in listing.splitlines()}
    missing = [p for p in EXPECT[package] if p not in paths]
    assert not missing, missing
    ctl = Path(tempfile.mkdtemp(prefix="awpkg-ctl"))
    try:
        run(["dpkg-deb", "-e", str(deb), str(ctl)], check=True)
        conf = ctl / "conffiles"
        assert set(conf.read_text().split() if conf.exists() else []) == CONFFILES[package]
    finally:
        shutil.rmtree(ctl)
    fields = run(["dpkg-deb", "-f", str(deb), "Package", "Depends", "Architecture"], check=True).stdout
    assert "Package: %s\n" % package in fields and "libc6" in fields
    if package == "anyway-control":  # the registrar's HTTPS health checks
        assert "libcurl4" in fields, fields


def test_extracted_packages_run(debs):
    root = Path(tempfile.mkdtemp(prefix="awpkg-root"))
    try:
        for p in PACKAGES:
            run(["dpkg-deb", "-x", str(deb_of(debs, p)), str(root)], check=True)
        conf = root / "etc/anyway/dataplane.json"
        assert conf.read_text() == (ROOT / "deploy/dataplane.json").read_text()
        pong, _ = run_dataplane(root / "usr/bin/anyway-dataplane", conf)
        assert pong.get("pong") == "anyway-dataplane"
        for b in ("anyway-mapd", "anyway-agent", "anyway-registrar", "anyway-ctl"):
            r = run([str(root / "usr/bin" / b), "--version"])
            assert r.returncode == 0 and r.stdout.startswith(b + " "), (b, r.stdout, r.stderr)
        r = run([str(root / "usr/bin/anyway-bench"), "--", "--scenario", "plain", "--templates",
                 str(root / "usr/share/anyway-bench/templates"), "--check"])
        assert r.returncode == 0, r.stdout + r.stderr
        for page in (root / "usr/share/man").glob("man?/*.gz"):
            problems, _ = render_man(page)
            assert problems == "", (page.name, problems)
    finally:
        shutil.rmtree(root)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def test_dpkg_install_start_purge(debs):
    if os.geteuid() != 0:
        pytest.skip("dpkg -i needs root")
    before = [p for p in PACKAGES if installed(p)]
    if before:
        pytest.skip("%s already installed: not touching them" % before)
    had_etc = os.path.exists("/etc/anyway")
    try:
        r = run(["dpkg", "-i", *[str(deb_of(debs, p)) for p in PACKAGES]], timeout=600,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert all(installed(p) for p in PACKAGES)
        for unit in ("anyway-dataplane.service", "anyway-mapd.service", "anyway-agent.service",
                     "anyway-registrar@.service"):
            problems = verify_unit("/lib/systemd/system/" + unit)  # binaries and man pages too
            if problems is not None:
                assert problems == "", (unit, problems)
        assert run(["man", "-w", "anyway-dataplane"]).stdout.strip().endswith("anyway-dataplane.8.gz")
        pong, _ = run_dataplane("/usr/bin/anyway-dataplane", "/etc/anyway/dataplane.json")
        assert pong.get("pong") == "anyway-dataplane"
        assert run(["anyway-ctl", "--version"]).returncode == 0
    finally:
        r = run(["dpkg", "--purge", *reversed(PACKAGES)], timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
    assert not any(installed(p) for p in PACKAGES)
    assert not os.path.exists("/usr/bin/anyway-dataplane")
    assert os.path.exists("/etc/anyway") == had_etc
