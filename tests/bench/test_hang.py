"""anyway-bench never hangs (bench/ab_watch.h): a memif client without a
server, or with a server that never answers, ends with a clear message and a
non-zero exit; SIGTERM ends it in every phase reached here (port start,
blocked in connect, link wait, traffic through ports, in-process traffic),
and a second signal ends it at once. The bounds below are generous
(behaviour, never a speed); every process started here is stopped, also when
a test fails."""

import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from benchutil import BENCH, DATAPLANE, PY, SCRIPTS, result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from awtest_common import hugepages_free  # noqa: E402

TAG = "bf6hang%d" % os.getpid()


def mem_args():
    return ["--in-memory"] if hugepages_free() >= 300 else ["--no-huge", "-m", "512"]


def memif(role, base):
    return ["--vdev", "net_memif0,role=%s,socket=%s.a" % (role, base),
            "--vdev", "net_memif1,role=%s,socket=%s.b" % (role, base)]


def start_bench(prefix, eal_extra, *app):
    return subprocess.Popen([str(BENCH), "-l", "0", "--file-prefix", TAG + prefix, "--no-pci", "--no-telemetry",
                             *mem_args(), *eal_extra, "--log-level=error", "--", *app],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(p):
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGKILL)
    if p is not None:
        p.wait(timeout=30)


def cleanup_prefixes():
    for d in Path("/var/run/dpdk").glob(TAG + "*"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(autouse=True)
def _prefixes():
    yield
    cleanup_prefixes()


class Listener:
    """Memif sockets (abstract names) that listen and never speak memif:
    with fill, their accept backlog is full, so a client's connect() blocks;
    without, the client connects and its link never comes up."""

    def __init__(self, base, fill):
        self.socks, self.fill = [], []
        for end in ("a", "b"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.bind("\0%s.%s" % (base, end))
            s.listen(0)
            self.socks.append(s)
            for _ in range(4 if fill else 0):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                c.setblocking(False)
                try:
                    c.connect("\0%s.%s" % (base, end))
                except (BlockingIOError, OSError):
                    pass
                self.fill.append(c)

    def accepted(self, bound_s):
        """Accepts one client on the first socket within bound_s (True), else False."""
        self.socks[0].settimeout(bound_s)
        try:
            c, _ = self.socks[0].accept()
        except socket.timeout:
            return False
        self.fill.append(c)
        return True

    def close(self):
        for s in self.socks + self.fill:
            s.close()


def wait_blocked_in_connect(p, bound_s=90):
    """Until the bench's main thread sleeps in a unix connect()."""
    wchan = Path("/proc/%d/wchan" % p.pid)
    deadline = time.time() + bound_s
    while time.time() < deadline:
        assert p.poll() is None, p.communicate(timeout=10)
        if wchan.read_text().strip() == "unix_wait_for_peer":
            return
        time.sleep(0.2)
    pytest.fail("anyway-bench never blocked in connect()")


def test_no_server_clear_error():
    base = TAG + "none"
    p = start_bench("n", memif("client", base), "--scenario", "plain", "--duration", "1", "--link-wait", "1")
    try:
        out, err = p.communicate(timeout=120)
    finally:
        stop(p)
    assert p.returncode == 1, (p.returncode, err)
    assert "port 0: not started after 1.0 s" in err and "role=server" in err, err
    assert "RESULT" not in out


def test_sigterm_while_retrying_port_start():
    base = TAG + "retry"
    p = start_bench("r", memif("client", base), "--scenario", "plain", "--duration", "1", "--link-wait", "300")
    try:
        # each failed start is logged by the memif PMD
        head = read_until(p, "Failed to connect socket", stream="stderr")
        p.send_signal(signal.SIGTERM)
        out, err = finish(p, "", head)
    finally:
        stop(p)
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert "stopped by signal 15 (received during port start)" in err, err
    assert "not started after" not in err, err


def test_connect_never_answered_is_bounded():
    """A server whose backlog is full: connect() blocks inside the memif PMD;
    the port-start phase's bound ends the run (link-wait 0.5: 31 s)."""
    base = TAG + "full"
    lst = Listener(base, fill=True)
    p = start_bench("f", memif("client", base), "--scenario", "plain", "--duration", "1", "--link-wait", "0.5")
    try:
        out, err = p.communicate(timeout=200)
    finally:
        stop(p)
        lst.close()
    assert p.returncode == 1, (p.returncode, err)
    assert "port start did not end within 31 s" in err, err


@pytest.mark.parametrize("signals", [1, 2], ids=["one", "two"])
def test_sigterm_blocked_in_connect(signals):
    base = TAG + "blk%d" % signals
    lst = Listener(base, fill=True)
    p = start_bench("b%d" % signals, memif("client", base), "--scenario", "plain", "--duration", "1",
                    "--link-wait", "300")
    try:
        wait_blocked_in_connect(p)
        p.send_signal(signal.SIGTERM)
        if signals == 2:
            time.sleep(0.5)
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        stop(p)
        lst.close()
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    if signals == 1:
        assert "signal 15 received during port start; port start did not end within 10 s of it" in err, err
    else:
        assert "second signal during port start: exiting now" in err, err


def test_sigterm_waiting_for_links():
    base = TAG + "link"
    lst = Listener(base, fill=False)
    p = start_bench("l", memif("client", base), "--scenario", "plain", "--duration", "1", "--link-wait", "300")
    try:
        assert lst.accepted(120), p.poll() or "the bench never connected"
        time.sleep(1)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        stop(p)
        lst.close()
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert "stopped by signal 15" in err, err


def read_until(p, text, bound_s=120, stream="stdout"):
    """Reads the bench's stdout (or stderr) until a line containing text (bounded)."""
    deadline = time.time() + bound_s
    seen = []
    f = getattr(p, stream)
    os.set_blocking(f.fileno(), False)
    while time.time() < deadline:
        line = f.readline()
        if line:
            seen.append(line)
            if text in line:
                return "".join(seen)
            continue
        assert p.poll() is None, "".join(seen)
        time.sleep(0.1)
    pytest.fail("no %r within %d s:\n%s" % (text, bound_s, "".join(seen)[-2000:]))


def finish(p, head_out, head_err=""):
    os.set_blocking(p.stdout.fileno(), True)
    os.set_blocking(p.stderr.fileno(), True)
    out, err = p.communicate(timeout=90)
    return head_out + out, head_err + err


def test_sigterm_in_traffic_through_ports():
    tmp = tempfile.mkdtemp(prefix="bf6hang")
    base = "%s/m" % tmp
    dp = p = None
    try:
        cfg = Path(tmp) / "dp.json"
        subprocess.run([PY, str(SCRIPTS / "templates.py"), "--dp-config", "plain", "--api",
                        str(Path(tmp) / "dp.sock"), "--out", str(cfg)], check=True, timeout=60)
        dp = subprocess.Popen([str(DATAPLANE), "-l", "1", "--file-prefix", TAG + "dp", "--no-pci",
                               "--no-telemetry", *mem_args(), *memif("server", base), "--log-level=error",
                               "--", "--config", str(cfg)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while not (Path(tmp) / "dp.sock").exists():
            assert dp.poll() is None and time.time() < deadline, "data plane did not start"
            time.sleep(0.1)
        p = start_bench("t", memif("client", base), "--scenario", "plain", "--duration", "300",
                        "--period", "0.2", "--dp-api", str(Path(tmp) / "dp.sock"))
        head = read_until(p, "Throughput")
        p.send_signal(signal.SIGTERM)
        out, err = finish(p, head)
    finally:
        stop(p)  # the bench first: memif
        if dp is not None and dp.poll() is None:
            dp.send_signal(signal.SIGTERM)
            try:
                dp.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop(dp)
        shutil.rmtree(tmp, ignore_errors=True)
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert "stopped by signal 15 (received during traffic): the numbers above are partial" in err, err
    r = result(out)
    assert int(r["received"]) > 0 and float(r["seconds"]) < 300, r


def test_sigterm_in_process():
    tmp = tempfile.mkdtemp(prefix="bf6hang")
    p = None
    try:
        cfg = Path(tmp) / "dp.json"
        subprocess.run([PY, str(SCRIPTS / "templates.py"), "--dp-config", "plain", "--in-process", "--mbufs",
                        "8191", "--out", str(cfg)], check=True, timeout=60)
        p = subprocess.Popen([str(BENCH), "-l", "0", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
                              "--file-prefix", TAG + "ip", "--vdev", "net_ring0", "--vdev", "net_ring1",
                              "--log-level=error", "--", "--in-process", "--dp-config", str(cfg),
                              "--scenario", "plain", "--duration", "300", "--period", "0.2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        head = read_until(p, "in-process: sent")
        p.send_signal(signal.SIGTERM)
        out, err = finish(p, head)
    finally:
        stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert "received during in-process traffic" in err, err
    r = result(out)
    assert float(r["seconds"]) < 300, r
