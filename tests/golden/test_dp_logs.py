"""The data plane's own lines (SPEC §11): events on stdout with a level
("anyway-dataplane: notice: ...: ready"), journald priority prefixes when
$JOURNAL_STREAM is set, --log-level after '--' refused when unknown. Errors
stay on stderr; EAL's own logging is EAL's."""

import pytest

from golden_common import *  # noqa: F401,F403
from harness import Dataplane, run_bad_config

LEVELS = ("error", "warning", "notice", "info", "debug")


def test_levels_on_every_line():
    with Dataplane(config()) as dp:
        dp.stop()
    lines = [l for l in dp.result.stdout.splitlines() if l.startswith("anyway-dataplane: ")]
    assert any(l.startswith("anyway-dataplane: notice: ") and l.endswith(": ready") for l in lines), lines
    assert any(l == "anyway-dataplane: notice: stopping" for l in lines), lines
    assert any(l.startswith("anyway-dataplane: info: port 0 ") for l in lines), lines
    assert all(l.split(": ")[1] in LEVELS for l in lines), lines


def test_journald_prefixes(monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "8:4711")
    with Dataplane(config()) as dp:
        dp.stop()
    out = dp.result.stdout
    assert "<5>stopping\n" in out and "<6>port 0 " in out, out
    assert "anyway-dataplane: " not in out, out


def test_bad_log_level_exit_2(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text("{}")
    rc, err, _ = run_bad_config(None, app_args=["--log-level", "shout", "--config", str(cfg)])
    assert rc == 2 and "anyway-dataplane: --log-level: expected error, warning, notice, info or debug, " \
        "got 'shout'" in err, err
