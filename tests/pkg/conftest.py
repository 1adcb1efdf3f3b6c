"""Fixtures of tests/pkg: the Debian packages of this checkout.

`debs`: the folder holding anyway-{dataplane,control,bench}_*.deb. $AW_DEB_DIR
when it holds them (make deb's build-deb/), else they are built once per run
with tests/pkg/build_deb.sh in a temporary copy of the checkout (tracked and
untracked, not ignored files), so the checkout itself is not touched.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pkgharness import ROOT  # noqa: E402

PACKAGES = ("anyway-dataplane", "anyway-control", "anyway-bench")
BUILD_TIMEOUT = 1500


def _have_all(d):
    return d.is_dir() and all(list(d.glob(p + "_*.deb")) for p in PACKAGES)


def _copy_checkout(dst):
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
                           capture_output=True, check=True, timeout=60).stdout.split(b"\0")
    for f in filter(None, files):
        src = ROOT / f.decode()
        if src.is_file():
            (dst / f.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f.decode())


@pytest.fixture(scope="session")
def debs():
    given = os.environ.get("AW_DEB_DIR")
    if given and _have_all(Path(given)):
        yield Path(given)
        return
    tmp = Path(tempfile.mkdtemp(prefix="awpkg-deb"))
    try:
        src = tmp / "src"
        src.mkdir()
        _copy_checkout(src)
        out = tmp / "debs"
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck noddebs parallel=%d" % (os.cpu_count() or 1))
        r = subprocess.run(["bash", str(src / "tests/pkg/build_deb.sh"), str(out)], capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT, env=env)
        assert r.returncode == 0, "make deb failed:\n" + r.stderr[-4000:]
        assert _have_all(out), os.listdir(out)
        yield out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def deb_of(debs, package):
    (path,) = Path(debs).glob(package + "_*.deb")
    return path
