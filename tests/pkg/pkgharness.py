"""Helpers of the packaging tests (tests/pkg): running a data plane binary on
net_null ports with a given config until it reports READY=1 through
$NOTIFY_SOCKET and answers ping, then stopping it; checking unit files and man
pages with the tools Debian ships.

Every wait is bounded; processes are always stopped (SIGKILL after 10 s) and
temporary directories removed; EAL file prefixes and notify sockets carry the
pid, so parallel runs do not meet.
"""

import gzip
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from awtest_common import api_call, hugepages_free  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
_seq = itertools.count()


def build_dir():
    return Path(os.environ.get("AW_BUILD") or ROOT / "build")


class Notify:
    """A datagram socket standing in for systemd's notify socket (abstract)."""

    def __init__(self):
        self.name = "awpkg-notify-%d-%d" % (os.getpid(), next(_seq))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.env = "@" + self.name

    def wait_for(self, key, timeout, proc=None):
        """Messages until one holds the line `key` (returned, all lines), bounded."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                raise AssertionError("exited with %s before %s" % (proc.returncode, key))
            self.sock.settimeout(0.5)
            try:
                msg = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            if key in msg.split("\n"):
                return msg
        raise AssertionError("no %s within %.0f s" % (key, timeout))

    def close(self):
        self.sock.close()




def memory_args():
    # the sample production config allocates about 600 MB
    if hugepages_free() >= 512:
        return ["--in-memory"]
    return ["--no-huge", "-m", "1024"]


def stop(proc):
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


def run_dataplane(binary, config_file, env=None):
    """Starts `binary` on two net_null ports (no RX) with config_file, its
    api.unix moved into a temporary directory and idle_sleep_us 100 (the
    machine is shared); waits for READY=1, pings, stops with SIGTERM and
    checks STOPPING=1, exit 0 and the socket removed. Returns (pong, stdout)."""
    tmp = tempfile.mkdtemp(prefix="awpkg")
    notify = Notify()
    proc = None
    prefix = "awpkg%d_%d" % (os.getpid(), next(_seq))
    try:
        cfg = json.loads(Path(config_file).read_text())
        sock = os.path.join(tmp, "dp.sock")
        cfg.setdefault("api", {})["unix"] = sock
        cfg["idle_sleep_us"] = 100
        conf = os.path.join(tmp, "dataplane.json")
        Path(conf).write_text(json.dumps(cfg))
        cmd = [str(binary), "-l", "0", *memory_args(), "--file-prefix", prefix, "--no-pci",
               "--vdev", "net_null0,no-rx=1", "--vdev", "net_null1,no-rx=1", "--", "--config", conf]
        penv = dict(os.environ if env is None else env, NOTIFY_SOCKET=notify.env)
        out = open(os.path.join(tmp, "out"), "w+")
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=penv, cwd=tmp)
        try:
            ready = notify.wait_for("READY=1", READY_TIMEOUT, proc)
        except AssertionError:
            out.seek(0)
            raise AssertionError("data plane not ready: %s" % out.read()[-3000:])
        assert "STATUS=api " + sock in ready.split("\n")
        pong = api_call(sock, {"op": "ping"})
        rc = stop(proc)
        notify.wait_for("STOPPING=1", 5.0)
        out.seek(0)
        text = out.read()
        assert rc == 0, "exit %s: %s" % (rc, text[-3000:])
        assert not os.path.exists(sock), "API socket left behind"
        return pong, text
    finally:
        if proc is not None:
            stop(proc)
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)  # EAL runtime files
        notify.close()
        shutil.rmtree(tmp, ignore_errors=True)


def verify_unit(path):
    """systemd-analyze verify's complaints about one unit file ('' = none);
    None when systemd-analyze is not installed."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None
    r = subprocess.run([tool, "verify", "--man=no", str(path)], capture_output=True, text=True,
                       timeout=120)
    return (r.stdout + r.stderr).strip() + ("" if r.returncode == 0 else "\nexit %d" % r.returncode)


def render_man(path):
    """groff's warnings (-ww) and man's for one page; '' when clean."""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    src = gzip.decompress(Path(path).read_bytes()) if str(path).endswith(".gz") else Path(path).read_bytes()
    g = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=src, capture_output=True,
                       timeout=60, env=env)
    m = subprocess.run(["man", "--warnings", "-l", str(path)], capture_output=True, text=True,
                       timeout=60, env=env)
    problems = (g.stderr.decode() + m.stderr).strip()
    if g.returncode or m.returncode:
        problems += "\nexit groff %d man %d" % (g.returncode, m.returncode)
    return problems, m.stdout
