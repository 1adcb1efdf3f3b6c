"""SIGHUP to the running data plane: never stops it (it logs "SIGHUP: nothing
to reload", from its own thread, so no lcore is interrupted), the API keeps
answering and packets sent after the signals are still forwarded; SIGTERM
afterwards still stops it cleanly."""

import signal
import time

from golden_common import *  # noqa: F401,F403
from harness import Dataplane

HUP_LINE = b"anyway-dataplane: notice: SIGHUP: nothing to reload"
WAIT_S = 15.0


def wait_lines(dp, n):
    """Waits (bounded) until stdout holds n SIGHUP lines; the process must live."""
    end = time.monotonic() + WAIT_S
    while dp.stdout_path.read_bytes().count(HUP_LINE) < n:
        assert dp.proc.poll() is None, "exited %s on SIGHUP:\n%s" % (dp.proc.returncode, dp._logs())
        assert time.monotonic() < end, "no SIGHUP line %d:\n%s" % (n, dp._logs())
        time.sleep(0.02)


def test_sighup_keeps_serving_and_forwarding():
    good = echo4()
    with Dataplane(config(), live_ports=(0,)) as dp:
        for i in range(1, 4):  # three in a row, each handled before the next
            dp.proc.send_signal(signal.SIGHUP)
            wait_lines(dp, i)
        for _ in range(3):  # three at once (pending signals of one kind merge)
            dp.proc.send_signal(signal.SIGHUP)
        wait_lines(dp, 4)
        assert dp.api({"op": "ping"})["pong"] == "anyway-dataplane"
        dp.live[0].send([good])
        dp.wait_idle(expect_rx=1)
        res = dp.stop()
    assert res.rc == 0, res.stderr
    assert len(res.out[0]) == 1
    check_echo4_reply(res.out[0][0], good, P0_V4)
    check(res, rx=1, tx=1)
