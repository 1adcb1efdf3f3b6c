"""Golden-packet suite: stops at once with a clear message when the data
plane binary is missing (build first: ninja -C build)."""

import os

import pytest

from harness import binary


def pytest_sessionstart(session):
    b = binary()
    if not os.access(b, os.X_OK):
        pytest.exit("anyway-dataplane not found at %s: build it first (ninja -C build) "
                    "or set AW_DATAPLANE" % b, returncode=1)


def pytest_report_header(config):
    from harness import hugepages_free, memory_args

    return "anyway-dataplane: %s (EAL memory: %s, HugePages_Free %d)" % (
        binary(), " ".join(memory_args()), hugepages_free())
