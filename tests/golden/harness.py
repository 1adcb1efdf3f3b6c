"""Golden-packet harness: runs the real anyway-dataplane on net_pcap vdevs.

A test describes a config and the frames each port receives; the harness
writes them into a temporary directory, starts the binary (one lcore by
default), waits until every input frame has been received and nothing is
left in flight, reads the stats through the JSON API, stops the process with
SIGTERM (which closes the ports, so the TX pcaps are complete) and returns
what every port transmitted.

    with Dataplane(config, {0: [pkt, ...]}) as dp:
        stats = dp.wait_idle()
    res = dp.result          # stats, out[port] (scapy packets), stdout, stderr

or in one call: ``res = run(config, {0: [...]})``.

Every wait is bounded; the process is always stopped (SIGKILL if SIGTERM is
not obeyed within 30 s) and the temporary directory removed, also when the
test fails. Set AW_GOLDEN_KEEP=1 to keep the directories for debugging.

The binary is $AW_DATAPLANE, else $AW_BUILD/dataplane/anyway-dataplane, else
build/dataplane/anyway-dataplane of this checkout.
"""

import sys
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from scapy.layers.l2 import Ether
from scapy.utils import PcapWriter, rdpcap, wrpcap

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from awtest_common import api_call, hugepages_free  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROG = "anyway-dataplane"

READY_TIMEOUT = 20.0
IDLE_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0  # a bound, not a timing claim: a loaded CI machine under ASan can be slow to stop
API_TIMEOUT = 10.0

# Sanitizer reports in stderr fail the run (the ASan/UBSan stage of make test).
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")

_seq = itertools.count()


def binary():
    env = os.environ.get("AW_DATAPLANE")
    if env:
        return env
    build = os.environ.get("AW_BUILD")
    if build:
        return str(Path(build) / "dataplane" / PROG)
    return str(ROOT / "build" / "dataplane" / PROG)


def memory_args():
    """EAL memory options: hugepages when enough are free (in-memory mode, so
    a killed process leaves no hugepage files behind), else --no-huge.
    AW_GOLDEN_NO_HUGE=1 forces --no-huge."""
    if os.environ.get("AW_GOLDEN_NO_HUGE") != "1" and hugepages_free() >= 300:
        return ["--in-memory"]
    return ["--no-huge", "-m", "512"]


def unique_prefix():
    return "awg%d_%d" % (os.getpid(), next(_seq))


def eal_args(prefix, vdevs, lcores="0"):
    """lcores: "0" / "0-1" (-l) or a mapping with '@' (--lcores)."""
    args = ["--lcores", lcores] if "@" in lcores else ["-l", lcores]
    args += ["--file-prefix", prefix, "--no-pci"] + memory_args()
    for v in vdevs:
        args += ["--vdev", v]
    return args


def _cleanup_runtime(prefix):
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    for d in ("/dev/hugepages",):
        try:
            for name in os.listdir(d):
                if name.startswith(prefix + "map_"):
                    os.unlink(os.path.join(d, name))
        except OSError:
            pass


def _mkdtemp():
    # Short: the API socket path must fit sockaddr_un (108 bytes).
    return tempfile.mkdtemp(prefix="awg", dir="/tmp")


def _keep():
    return os.environ.get("AW_GOLDEN_KEEP") == "1"


class DataplaneError(AssertionError):
    pass


class Result:
    def __init__(self, stats, out, rc, stdout, stderr, directory):
        self.stats = stats
        self.out = out  # {port: [Ether, ...]} in transmit order
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.dir = directory

    def drops(self):
        """Drop reasons with a non-zero count."""
        return {k: v for k, v in self.stats["drops"].items() if v}

    def counter(self, name):
        return self.stats["counters"][name]


class Live:
    """A port whose RX pcap is a FIFO: frames written with send() reach the
    data plane only then. The PMD blocks its lcore in read() until a whole
    burst or EOF arrives, so send(..., close=True) is the usual call."""

    def __init__(self, path):
        self.path = path
        self.file = None
        self.writer = None
        self._opener = threading.Thread(target=self._open, daemon=True)
        self._opener.start()

    def _open(self):
        self.file = open(self.path, "wb")  # blocks until the PMD opens it
        self.writer = PcapWriter(self.file, linktype=1, sync=True)
        self.writer._write_header(None)
        self.file.flush()

    def wait_open(self, timeout):
        self._opener.join(timeout)
        return self.writer is not None

    def send(self, pkts, close=True):
        for p in pkts:
            self.writer.write(p)
        self.file.flush()
        if close:
            self.close()

    def close(self):
        if self.file is not None and not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass

    def abandon(self):
        """Unblocks a PMD still waiting in open() or read()."""
        if self.writer is None:
            try:  # open for reading too, so that our writer's open returns
                fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
                self._opener.join(2)
                os.close(fd)
            except OSError:
                pass
        self.close()


class Dataplane:
    """Context manager around one data-plane process (see module doc).

    config: dict (the "api" key is filled in); inputs: {port: [frames]};
    n_ports: number of pcap vdevs (port ids 0..n-1); live_ports: ports whose
    RX is a FIFO fed with dp.live[port].send(...)."""

    def __init__(self, config, inputs=None, n_ports=2, lcores="0", live_ports=(), extra_app_args=()):
        self.config = json.loads(json.dumps(config))
        self.inputs = {p: list(v) for p, v in (inputs or {}).items()}
        self.n_ports = n_ports
        self.lcores = lcores
        self.live_ports = tuple(live_ports)
        self.extra_app_args = list(extra_app_args)
        self.prefix = unique_prefix()
        self.dir = None
        self.proc = None
        self.live = {}
        self.result = None
        self._stats = None

    # -- start ---------------------------------------------------------------
    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self._teardown(kill=True)
            raise
        return self

    def _start(self):
        self.dir = Path(_mkdtemp())
        self.sock = str(self.dir / "api.sock")
        self.config.setdefault("api", {})["unix"] = self.sock
        self.config.setdefault("idle_sleep_us", 100)
        self.cfg_path = self.dir / "cfg.json"
        self.cfg_path.write_text(json.dumps(self.config, indent=1))
        vdevs = []
        for p in range(self.n_ports):
            rx = self.dir / ("in%d.pcap" % p)
            if p in self.live_ports:
                os.mkfifo(rx)
                self.live[p] = Live(str(rx))
            else:
                wrpcap(str(rx), self.inputs.get(p, []), linktype=1)
            vdevs.append("net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (p, rx, self.dir / ("out%d.pcap" % p)))
        cmd = [binary()] + eal_args(self.prefix, vdevs, self.lcores) + ["--", "--config", str(self.cfg_path)]
        cmd += self.extra_app_args
        self.cmd = cmd
        self.stdout_path = self.dir / "stdout"
        self.stderr_path = self.dir / "stderr"
        with open(self.stdout_path, "wb") as so, open(self.stderr_path, "wb") as se:
            self.proc = subprocess.Popen(cmd, stdout=so, stderr=se, stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if b": ready" in self.stdout_path.read_bytes():
                break
            if self.proc.poll() is not None:
                raise DataplaneError("data plane exited %s before ready:\n%s" % (self.proc.returncode, self._logs()))
            if time.monotonic() > deadline:
                raise DataplaneError("data plane not ready after %.0f s:\n%s" % (READY_TIMEOUT, self._logs()))
            time.sleep(0.02)
        for p, lv in self.live.items():
            if not lv.wait_open(max(0.1, deadline - time.monotonic())):
                raise DataplaneError("port %d FIFO never opened" % p)

    def _logs(self):
        out = err = ""
        try:
            out = self.stdout_path.read_text(errors="replace")
            err = self.stderr_path.read_text(errors="replace")
        except OSError:
            pass
        return "cmd: %s\n--- stdout\n%s--- stderr\n%s" % (" ".join(getattr(self, "cmd", [])), out, err[-4000:])

    # -- while running -------------------------------------------------------
    def api(self, req, timeout=API_TIMEOUT):
        return api_call(self.sock, req, timeout)

    def stats(self):
        return self.api({"op": "stats"})

    def wait_idle(self, expect_rx=None, timeout=IDLE_TIMEOUT, settle=None):
        """Polls stats until rx == expect_rx (default: every input frame) and
        in_flight == 0; returns those stats. `settle(stats)`, when given, must
        also be true (e.g. an expected number of originated packets)."""
        if expect_rx is None:
            expect_rx = sum(len(v) for v in self.inputs.values())
        deadline = time.monotonic() + timeout
        s = None
        while True:
            if self.proc.poll() is not None:
                raise DataplaneError("data plane exited %s while running:\n%s" % (self.proc.returncode, self._logs()))
            s = self.stats()
            if s.get("rx") == expect_rx and s.get("in_flight") == 0 and (settle is None or settle(s)):
                break
            if time.monotonic() > deadline:
                raise DataplaneError(
                    "not idle after %.0f s: want rx=%d in_flight=0, have rx=%s in_flight=%s drops=%s\n%s"
                    % (timeout, expect_rx, s.get("rx"), s.get("in_flight"),
                       {k: v for k, v in s.get("drops", {}).items() if v}, self._logs()))
            time.sleep(0.02)
        self._stats = s
        return s

    # -- stop ----------------------------------------------------------------
    def stop(self):
        """SIGTERM, wait (SIGKILL after 30 s), read the TX pcaps."""
        rc = self._terminate()
        stdout = self.stdout_path.read_text(errors="replace")
        stderr = self.stderr_path.read_text(errors="replace")
        out = {}
        for p in range(self.n_ports):
            path = self.dir / ("out%d.pcap" % p)
            out[p] = [Ether(bytes(x)) for x in rdpcap(str(path))] if path.exists() and path.stat().st_size else []
        self.result = Result(self._stats, out, rc, stdout, stderr, str(self.dir))
        if rc != 0:
            raise DataplaneError("data plane exit code %s after SIGTERM (want 0):\n%s" % (rc, self._logs()))
        for mark in SANITIZER_MARKS:
            if mark in stderr:
                raise DataplaneError("sanitizer report in stderr:\n%s" % stderr[-6000:])
        if os.path.exists(self.sock):
            raise DataplaneError("API socket %s left behind after a clean stop" % self.sock)
        return self.result

    def _terminate(self):
        if self.proc is None:
            return None
        for lv in self.live.values():
            lv.abandon()  # a PMD blocked on its FIFO must see EOF to stop
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                raise DataplaneError("data plane ignored SIGTERM for %.0f s (killed):\n%s" % (STOP_TIMEOUT, self._logs()))
        return self.proc.returncode

    def _teardown(self, kill):
        try:
            if self.proc is not None and self.proc.poll() is None:
                for lv in self.live.values():
                    lv.abandon()
                if kill:
                    self.proc.kill()
                else:
                    self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(STOP_TIMEOUT)
        finally:
            _cleanup_runtime(self.prefix)
            if self.dir is not None and not _keep():
                shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.result is None:
                self.stop()
        finally:
            self._teardown(kill=exc_type is not None)
        return False


def run(config, inputs=None, n_ports=2, lcores="0", expect_rx=None, settle=None, timeout=IDLE_TIMEOUT):
    """Start, wait until idle, stop; returns the Result (stats + outputs)."""
    with Dataplane(config, inputs, n_ports=n_ports, lcores=lcores) as dp:
        dp.wait_idle(expect_rx=expect_rx, timeout=timeout, settle=settle)
        dp.stop()
    return dp.result


def run_bad_config(config, n_ports=2, app_args=None, raw=None, timeout=20):
    """Runs with a config that must be refused; returns (exit code, stderr,
    config path). `raw` (str) is written instead of the JSON of `config`."""
    d = Path(_mkdtemp())
    prefix = unique_prefix()
    try:
        cfg = d / "cfg.json"
        cfg.write_text(raw if raw is not None else json.dumps(config))
        vdevs = []
        for p in range(n_ports):
            rx = d / ("in%d.pcap" % p)
            wrpcap(str(rx), [], linktype=1)
            vdevs.append("net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (p, rx, d / ("out%d.pcap" % p)))
        app = app_args if app_args is not None else ["--config", str(cfg)]
        cmd = [binary()] + eal_args(prefix, vdevs) + ["--"] + app
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, cwd=d)
        except subprocess.TimeoutExpired as e:
            raise DataplaneError("data plane still running after %d s with a bad config %s" % (timeout, cmd)) from e
        return p.returncode, p.stderr.decode(errors="replace"), str(cfg)
    finally:
        _cleanup_runtime(prefix)
        if not _keep():
            shutil.rmtree(d, ignore_errors=True)


def app_error_lines(stderr):
    """The data plane's own stderr lines (EAL logs left out)."""
    return [l for l in stderr.splitlines() if l.startswith(PROG + ":")]
