"""End-to-end test helpers: network namespaces, veth pairs, the data plane
process, its JSON API, and cleanup that survives failing and crashed runs.

Naming. Everything this module creates carries the prefix "awe2e" and the id of
the creating process, so concurrent runs (and other suites using the same
binary) never collide and leftovers of crashed runs can be told apart from live
ones:
  network namespaces   awe2e_<pid>_<tag>_<role>      (e.g. awe2e_4242_9f3a_r)
  interfaces           awe2e<tag><role><n>            (<= 15 chars, created directly
                                                       inside the namespaces, never
                                                       in the root namespace)
  temp dir             /tmp/awe2e_<pid>_<tag>/        (configs, logs, API socket)
  DPDK --file-prefix   awe2e_<pid>_<tag>_<dp-name>
<tag> is 4 random hex digits. cleanup_stale() removes every namespace, temp dir
and DPDK runtime dir of ours whose <pid> is no longer running (processes left
inside those namespaces are killed first).

Every wait is bounded: commands run with a timeout, the data plane must say
"ready" within DP_START_TIMEOUT_S, a stop escalates SIGTERM -> SIGKILL.
"""
import sys
import atexit
import contextlib
import glob
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from awtest_common import hugepages_free  # noqa: E402

PREFIX = "awe2e"
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PYTHON = "/usr/bin/python3"  # Debian's interpreter, also inside namespaces
PEER = str(HERE / "peer.py")
DP_START_TIMEOUT_S = 30
DP_STOP_TIMEOUT_S = 10
NAME_RE = re.compile(rf"^{PREFIX}_(\d+)_")

# Topologies not closed yet: closed at interpreter exit too (belt and braces
# for finalizers that never ran, e.g. pytest killed by SIGTERM).
_live = []


# --------------------------------------------------------------------------
# small utilities


def run(args, timeout=15, check=True, input=None):
    """Runs a command (list), returns CompletedProcess with text output."""
    try:
        cp = subprocess.run(args, input=input, capture_output=True, text=True,
                            timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"command timed out after {timeout}s: {' '.join(args)}\n"
                             f"stdout: {e.stdout}\nstderr: {e.stderr}") from None
    if check and cp.returncode != 0:
        raise AssertionError(f"command failed (rc {cp.returncode}): {' '.join(args)}\n"
                             f"stdout: {cp.stdout}\nstderr: {cp.stderr}")
    return cp


def wait_until(fn, timeout, interval=0.05, what="condition"):
    """Calls fn until it returns a true value; returns it. Raises after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # keep the last error for the message
            last_exc = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc})" if last_exc else ""))
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def hugetlbfs_mounted():
    try:
        with open("/proc/mounts") as f:
            return any(l.split()[2] == "hugetlbfs" for l in f if len(l.split()) > 2)
    except OSError:
        return False


def eal_memory_args():
    """--no-huge when hugepages are scarce (another suite may hold some) or
    AW_E2E_NO_HUGE=1; otherwise hugepages, kept in memory only (no files left
    in /dev/hugepages)."""
    if os.environ.get("AW_E2E_NO_HUGE") == "1" or hugepages_free() < 300 \
            or not hugetlbfs_mounted():
        return ["--no-huge", "-m", "512"]
    return ["--in-memory"]  # (EAL rejects --in-memory together with --no-huge)


def dataplane_binary():
    p = os.environ.get("AW_DATAPLANE")
    if p:
        return p
    build = os.environ.get("AW_BUILD", str(REPO / "build"))
    return str(Path(build) / "dataplane" / "anyway-dataplane")


def list_netns():
    cp = run(["ip", "netns", "list"], check=False)
    return [l.split()[0] for l in cp.stdout.splitlines() if l.strip()]


def netns_pids(name):
    cp = run(["ip", "netns", "pids", name], check=False, timeout=10)
    return [int(x) for x in cp.stdout.split() if x.isdigit()]


def kill_netns_processes(name):
    """SIGKILLs every process inside namespace `name` and waits (bounded)."""
    pids = netns_pids(name)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if pid_alive(p) and not _is_zombie(p)]
        time.sleep(0.02)


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def delete_netns(name):
    kill_netns_processes(name)
    run(["ip", "netns", "del", name], check=False)


def cleanup_stale():
    """Removes leftovers of earlier runs of ours that crashed: namespaces,
    temp dirs, DPDK runtime dirs and hugepage files whose owner pid is gone,
    and any awe2e* interface in the root namespace (we never create one
    there). Returns what it removed."""
    removed = []
    for ns in list_netns():
        m = NAME_RE.match(ns)
        if m and not pid_alive(int(m.group(1))):
            delete_netns(ns)
            removed.append(f"netns {ns}")
    cp = run(["ip", "-o", "link", "show"], check=False)
    for line in cp.stdout.splitlines():
        parts = line.split(":")
        if len(parts) > 1:
            ifname = parts[1].strip().split("@")[0]
            if ifname.startswith(PREFIX):
                run(["ip", "link", "del", ifname], check=False)
                removed.append(f"link {ifname}")
    for pattern in ("/tmp/awe2e_*", "/var/run/dpdk/awe2e_*", "/dev/hugepages/awe2e_*"):
        for path in glob.glob(pattern):
            m = NAME_RE.match(os.path.basename(path))
            if m and not pid_alive(int(m.group(1))):
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                removed.append(path)
    return removed


def api_call(sock_path, request, timeout=5.0):
    """Sends one JSON line to the data plane's unix socket, returns the decoded
    one-line reply. `request` may be a dict or a raw string (sent as is)."""
    line = request if isinstance(request, str) else json.dumps(request)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(line.encode() + b"\n")
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply to {line!r} within {timeout}s")
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    if not buf:
        raise ConnectionError(f"API closed the connection without a reply to {line!r}")
    return json.loads(buf.split(b"\n", 1)[0])


def wait_line(proc, pattern, timeout, what=None):
    """Reads proc.stdout (a pipe) until a line matches `pattern`; bounded."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    seen = []
    fd = proc.stdout.fileno()
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace")
            seen.append(text)
            if rx.search(text):
                return text
    raise AssertionError(f"{what or proc.args}: no line matching {pattern!r} within "
                         f"{timeout}s (rc={proc.poll()}); output: {seen!r}")


# --------------------------------------------------------------------------
# namespaces and topology


class Netns:
    def __init__(self, topo, name, role):
        self.topo = topo
        self.name = name
        self.role = role

    def __repr__(self):
        return f"Netns({self.name})"

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args, timeout=15, check=True, input=None):
        return run(self.cmd(*args), timeout=timeout, check=check, input=input)

    def sh(self, script, timeout=15, check=True):
        return self.run("bash", "-c", script, timeout=timeout, check=check)

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", f"{key}={value}")

    def spawn(self, *args, ready=None, ready_timeout=10):
        """Starts a background process in this namespace (killed at topology
        close). With `ready`, waits for a stdout line matching that regex."""
        p = self.topo.spawn(self.cmd(*args))
        if ready:
            wait_line(p, ready, ready_timeout, what=f"{self.name}: {' '.join(args)}")
        return p

    def ping(self, addr, count=3, ttl=None, v6=None, timeout=None, interval=0.2,
             wait_s=2, size=None):
        """Runs ping; returns (rc, output). Never raises on rc != 0."""
        v6 = (":" in addr) if v6 is None else v6
        args = ["ping", "-6" if v6 else "-4", "-n", "-c", str(count), "-i", str(interval),
                "-W", str(wait_s)]
        if ttl is not None:
            args += ["-t", str(ttl)]
        if size is not None:
            args += ["-s", str(size)]
        args.append(addr)
        timeout = timeout or (count * (interval + wait_s) + 5)
        cp = self.run(*args, timeout=timeout, check=False)
        return cp.returncode, cp.stdout + cp.stderr

    def if_stats(self, ifname):
        base = f"/sys/class/net/{ifname}/statistics"
        cp = self.sh(f"cat {base}/rx_packets {base}/tx_packets {base}/rx_dropped "
                     f"{base}/tx_dropped")
        rx, tx, rxd, txd = (int(x) for x in cp.stdout.split())
        return {"rx_packets": rx, "tx_packets": tx, "rx_dropped": rxd, "tx_dropped": txd}


class Topology:
    """A set of namespaces, veth pairs, processes and a temp dir, all removed
    by close() (idempotent; called from pytest finalizers and at exit)."""

    def __init__(self):
        self.pid = os.getpid()
        self.tag = secrets.token_hex(2)
        self.base = f"{PREFIX}_{self.pid}_{self.tag}"
        self.tmp = Path("/tmp") / self.base
        self.tmp.mkdir(mode=0o755)
        self.namespaces = []
        self.procs = []
        self.dataplanes = []
        self.closed = False
        _live.append(self)

    def ifname(self, role, n):
        name = f"{PREFIX}{self.tag}{role}{n}"
        assert len(name) <= 15, name
        return name

    def add_netns(self, role):
        name = f"{self.base}_{role}"
        run(["ip", "netns", "add", name])
        ns = Netns(self, name, role)
        self.namespaces.append(ns)
        ns.run("ip", "link", "set", "lo", "up")
        return ns

    def add_veth(self, ns_a, name_a, ns_b, name_b, kernel_ipv6_a=True):
        """Creates a veth pair with one end in each namespace, turns checksum
        and segmentation offloads off on both ends (af_packet would otherwise
        see unfinished checksums) and sets both up. kernel_ipv6_a=False
        disables the kernel's IPv6 on end a (the end a data plane owns: no
        link-local address, no RS/MLD from the kernel)."""
        run(["ip", "link", "add", "name", name_a, "netns", ns_a.name, "type", "veth",
             "peer", "name", name_b, "netns", ns_b.name])
        for ns, ifn in ((ns_a, name_a), (ns_b, name_b)):
            ns.run("ethtool", "-K", ifn, "rx", "off", "tx", "off", "tso", "off", "gso", "off",
                   "gro", "off")
        if not kernel_ipv6_a:
            ns_a.sysctl(f"net.ipv6.conf.{name_a}.disable_ipv6", 1)
        for ns, ifn in ((ns_a, name_a), (ns_b, name_b)):
            ns.run("ip", "link", "set", ifn, "up")

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def close(self):
        if self.closed:
            return
        self.closed = True
        for dp in self.dataplanes:
            with contextlib.suppress(Exception):
                dp.stop()
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                p.wait(timeout=5)
            if p.stdout:
                p.stdout.close()
        for ns in self.namespaces:
            delete_netns(ns.name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        for path in glob.glob(f"/var/run/dpdk/{self.base}_*") + \
                glob.glob(f"/dev/hugepages/{self.base}_*"):
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        with contextlib.suppress(ValueError):
            _live.remove(self)


@atexit.register
def _close_all():
    for t in list(_live):
        with contextlib.suppress(Exception):
            t.close()


# --------------------------------------------------------------------------
# the data plane


class Dataplane:
    """One anyway-dataplane process in namespace `ns`. `ports` lists
    (driver, ifname) in DPDK port order; driver is "af_packet" or "af_xdp"."""

    def __init__(self, topo, ns, ports, config, name="dp"):
        self.topo = topo
        self.ns = ns
        self.ports = ports
        self.name = name
        self.sock = str(topo.tmp / f"{name}.sock")
        self.cfg_path = topo.tmp / f"{name}.json"
        self.log_path = topo.tmp / f"{name}.log"
        self.file_prefix = f"{topo.base}_{name}"
        self.config = dict(config)
        self.config.setdefault("api", {"unix": self.sock})
        self.config.setdefault("idle_sleep_us", 100)
        self.sock = self.config["api"]["unix"]
        self.proc = None
        self.rc = None
        self._log = None
        topo.dataplanes.append(self)

    def argv(self):
        vdevs = []
        for i, (driver, ifname) in enumerate(self.ports):
            if driver == "af_packet":
                vdevs += ["--vdev", f"net_af_packet{i},iface={ifname},qpairs=1"]
            elif driver == "af_xdp":
                vdevs += ["--vdev", f"net_af_xdp{i},iface={ifname},start_queue=0,queue_count=1"]
            else:
                raise ValueError(driver)
        return [dataplane_binary(), "-l", "0", "--no-pci", "--file-prefix",
                self.file_prefix, *eal_memory_args(), *vdevs, "--", "--config",
                str(self.cfg_path)]

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout=DP_START_TIMEOUT_S):
        """Starts the process and waits (bounded) for "ready" and the API
        socket. Raises AssertionError with the log if it does not come up."""
        binary = dataplane_binary()
        if not os.access(binary, os.X_OK):
            raise AssertionError(f"data plane binary not found: {binary} "
                                 "(build it: meson setup build && ninja -C build, "
                                 "or set AW_DATAPLANE)")
        self.cfg_path.write_text(json.dumps(self.config, indent=1))
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.ns.cmd(*self.argv()), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.rc = self.proc.returncode
                raise AssertionError(f"data plane exited with {self.rc} before ready:\n"
                                     f"{' '.join(self.argv())}\n{self.log()}")
            if re.search(r": ready$", self.log(), re.M) and os.path.exists(self.sock):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"data plane not ready within {timeout}s:\n{self.log()}")
            time.sleep(0.05)
        return self

    def problems(self):
        """Sanitizer reports (ASan/UBSan builds) and crashes found in the log."""
        return [l for l in self.log().splitlines()
                if re.search(r"ERROR: AddressSanitizer|runtime error:|LeakSanitizer|"
                             r"Segmentation fault|PANIC in", l)]

    def stop_checked(self):
        """Stops the process and fails if it had died, did not exit 0 on
        SIGTERM, or logged a sanitizer report."""
        if self.proc is None:
            return
        was_running = self.running()
        rc = self.stop()
        errors = []
        if not was_running:
            errors.append(f"the data plane died while the tests ran (exit {rc})")
        elif rc != 0:
            errors.append(f"exit code {rc} after SIGTERM (expected 0)")
        errors += self.problems()
        assert not errors, "\n".join(errors) + "\n--- log ---\n" + self.log()[-4000:]

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def api(self, request, timeout=5.0):
        return api_call(self.sock, request, timeout)

    def call(self, op, **args):
        """API call that must succeed; returns the reply."""
        reply = self.api({"op": op, **args})
        assert reply.get("ok") is True, f"{op} {args} failed: {reply}"
        return reply

    def stats(self):
        return self.call("stats")

    def settled_stats(self, timeout=5.0):
        """Stats once nothing is in flight and two reads in a row agree on
        rx/tx (no packet arriving). Bounded."""
        prev = [None]

        def check():
            s = self.stats()
            key = (s["rx"], s["tx"], s["consumed"], s["drops_total"])
            stable = prev[0] == key
            prev[0] = key
            return s if stable and s["in_flight"] == 0 else None

        return wait_until(check, timeout, interval=0.2, what="data plane stats to settle")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.rc

    def stop(self, timeout=DP_STOP_TIMEOUT_S):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code
        (negative: killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.rc = self.proc.returncode
        if self._log:
            self._log.close()
            self._log = None
        return self.rc


# --------------------------------------------------------------------------
# the standard two-port setup


V4 = {
    "dp0": "10.11.0.1", "a": "10.11.0.2",
    "dp1": "10.12.0.1", "b": "10.12.0.2",
    "vip": "203.0.113.10",
    "net_b": "198.51.100.0", "host_b": "198.51.100.1",  # behind b, static route
}
V6 = {
    "dp0": "2001:db8:11::1", "a": "2001:db8:11::2",
    "dp1": "2001:db8:12::1", "b": "2001:db8:12::2",
    "net_b": "2001:db8:99::", "host_b": "2001:db8:99::1",
}
MAC0, MAC1 = "02:00:00:00:01:01", "02:00:00:00:02:01"


def base_config():
    return {
        "ports": [
            {"port": 0, "mac": MAC0, "addrs": [f"{V4['dp0']}/24", f"{V6['dp0']}/64"]},
            {"port": 1, "mac": MAC1, "addrs": [f"{V4['dp1']}/24", f"{V6['dp1']}/64"]},
        ],
        # networks behind client b (on its loopback), reached by static routes
        "routes": [{"prefix": f"{V4['net_b']}/24", "via": V4["b"]},
                   {"prefix": f"{V6['net_b']}/64", "via": V6["b"]}],
        "vips": [{"addr": V4["vip"]}],
        # fast failure of unanswered ARP / NS, so the unresolved-neighbour test is quick
        "neighbor_cache": {"probe_interval_ms": 100, "probes": 3},
        "idle_sleep_us": 100,
    }


class TwoPorts:
    """router namespace (data plane) -- veth -- client a (10.11.0.2, 2001:db8:11::2)
                                       -- veth -- client b (10.12.0.2, 2001:db8:12::2;
                                                  198.51.100.1, 2001:db8:99::1 on lo)"""

    def __init__(self, topo, driver="af_packet", config=None, start=True):
        self.topo = topo
        self.r = topo.add_netns("r")
        self.a = topo.add_netns("a")
        self.b = topo.add_netns("b")
        self.r0, self.r1 = topo.ifname("r", 0), topo.ifname("r", 1)
        self.a0, self.b0 = topo.ifname("a", 0), topo.ifname("b", 0)
        topo.add_veth(self.r, self.r0, self.a, self.a0, kernel_ipv6_a=False)
        topo.add_veth(self.r, self.r1, self.b, self.b0, kernel_ipv6_a=False)
        for ns, ifn, key, gw in ((self.a, self.a0, "a", "dp0"), (self.b, self.b0, "b", "dp1")):
            ns.sysctl(f"net.ipv6.conf.{ifn}.accept_dad", 0)
            ns.sysctl(f"net.ipv6.conf.{ifn}.accept_ra", 0)
            ns.run("ip", "addr", "add", f"{V4[key]}/24", "dev", ifn)
            ns.run("ip", "-6", "addr", "add", f"{V6[key]}/64", "dev", ifn, "nodad")
            ns.run("ip", "route", "add", "default", "via", V4[gw])
            ns.run("ip", "-6", "route", "add", "default", "via", V6[gw])
        self.b.run("ip", "addr", "add", f"{V4['host_b']}/32", "dev", "lo")
        self.b.run("ip", "-6", "addr", "add", f"{V6['host_b']}/128", "dev", "lo")
        self.dp = Dataplane(topo, self.r, [(driver, self.r0), (driver, self.r1)],
                            config or base_config())
        if start:
            self.dp.start()


# --------------------------------------------------------------------------
# pytest fixtures (conftest.py re-exports them)


REQUIRED_TOOLS = ["ip", "ethtool", "ping", "curl", "bash", "nft"]


@pytest.fixture(scope="session")
def e2e_env():
    """Checks prerequisites, removes leftovers of crashed runs, and turns
    SIGTERM into KeyboardInterrupt so finalizers still run."""
    if os.geteuid() != 0:
        pytest.skip("end-to-end tests need root (network namespaces)")
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing tools: {', '.join(missing)} "
                    "(Debian: iproute2 ethtool iputils-ping curl)")
    cleanup_stale()

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, on_term)
    yield
    signal.signal(signal.SIGTERM, old)
    _close_all()


@pytest.fixture
def topology(request, e2e_env):
    """A fresh, empty Topology, removed after the test whatever happened."""
    t = Topology()
    request.addfinalizer(t.close)
    return t


@pytest.fixture(scope="module")
def two_ports(request, e2e_env):
    """The standard setup with the data plane running on af_packet, shared
    by a test module."""
    t = Topology()
    request.addfinalizer(t.close)  # runs last (finalizers run in reverse)
    net = TwoPorts(t)
    # after the module: SIGTERM must stop it cleanly, and an ASan/UBSan build
    # must have reported nothing (a failure shows as an error at teardown)
    request.addfinalizer(net.dp.stop_checked)
    return net
