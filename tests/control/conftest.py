"""Control-plane suite: real daemons on loopback; stops at once when they are not built."""

import os

import pytest

from ctlharness import Procs, prog


def pytest_sessionstart(session):
    for name in ("anyway-mapd", "anyway-agent", "anyway-registrar"):
        if not os.access(prog(name), os.X_OK):
            pytest.exit("%s not found at %s: build first (ninja -C build) or set AW_BUILD" % (name, prog(name)),
                        returncode=1)


@pytest.fixture
def procs():
    p = Procs()
    yield p
    p.cleanup(keep_dir=os.environ.get("AW_CTL_KEEP") == "1")
