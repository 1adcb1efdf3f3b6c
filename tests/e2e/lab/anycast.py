"""The anycast lab (SPEC §8; README in this directory): N instances behind an
upstream router that spreads flows over them by Linux multipath routes learnt
from BIRD, with the data planes' cluster feature redirecting every packet of a
flow to the instance that owns it (doc/cluster.md).

    client ns  10.60.0.2 ──veth── upstream ns 10.60.0.1 (BIRD, multipath,
                                  fib_multipath_hash_policy=1, ip_forward)
    upstream ns 10.61.i.1 ──veth (management)── instance i 10.61.i.2 (BIRD)
    upstream ns 10.62.i.1 ──veth── instance i: data plane port 0 10.62.i.2
                                   (next hop of the VIP, cluster underlay)
    instance i: data plane port 1 10.63.i.2 ──veth── backend ns 10.63.i.1
    backend ns: 10.64.0.1 on lo, a TCP and UDP line echo server on port 9000

Every instance: anyway-dataplane (af_packet, one lcore, idle back-off) with
the VIP, an ASRS listener VIP:80 → service LAB (destination 10.64.0.1:9000,
set through the map server; UDP shim flows to VIP:6868 name it too), TRS on
the VIP, SNAT to its port-1 address, and the `cluster` section (id inst-i, the
lab's key, underlay = port 0; the other instances' underlay addresses are
reached through the upstream namespace, which forwards between all port-0
networks); anyway-agent (root namespace: it reaches the data plane's and
BIRD's unix sockets and the map server on loopback) with --instance-id inst-i
--underlay 10.62.i.2 --bird-socket; BIRD in the instance namespace announcing
the VIP with next hop 10.62.i.2. One map server (root namespace, loopback).

Flows (client namespace): long-lived TCP connections to VIP:80 and UDP shim
flows to VIP:6868, each exchanging a message every 100 ms, in one thread with
one select loop (a stalled flow never delays the others).

Contract: the pytest process (or tests/e2e/demo_anycast.py); everything
belongs to the given netns.Topology and ctlharness.Procs and goes with them.
Every wait is bounded."""

import contextlib
import ctypes
import os
import selectors
import socket
import sys
import threading
import time

from netns import Dataplane, PYTHON, wait_until
from . import Bird, bird_instance_conf, bird_upstream_conf, routes_to

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "golden"))
import cluster_ref  # noqa: E402

VIP = "203.0.113.80"
SERVICE = "asrs://lab.example/echo"
ECHO_PORT = 9000
ASRS_PORT = 6868
BACKEND = "10.64.0.1"
CLIENT = "10.60.0.2"
UP_AS = 65000
CLUSTER_KEY = "5eed" * 16
CLUSTER_PORT = 7812
STALL_S = 8.0  # a flow whose echo has not come back for this long is broken
CONVERGE_S = 40  # BGP sessions, agents synced, member lists applied

ECHO_SERVER = r'''
import socket, sys, threading
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(512)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[2], port))  # replies from it
def serve(c):
    with c:
        while True:
            d = c.recv(4096)
            if not d:
                return
            c.sendall(d)
def udp():
    while True:
        d, a = u.recvfrom(4096)
        u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''


def shim(uri):
    """The UDP shim naming a service by URI (SPEC §4.2.1), built independently:
    magic "AS", version 1, flags U, header length, reserved, SID 0, URI length, URI."""
    u = uri.encode()
    hdr_len = (18 + len(u) + 3) // 4 * 4
    body = b"AS" + bytes([1, 1]) + hdr_len.to_bytes(2, "big") + b"\0\0" + bytes(8) \
        + len(u).to_bytes(2, "big") + u
    return body + b"\0" * (hdr_len - len(body))


class Instance:
    def __init__(self, lab, i):
        self.lab, self.i = lab, i
        self.id = f"inst-{i}"
        t = lab.topo
        self.ns = t.add_netns(f"i{i}")
        self.mgmt = f"10.61.{i}.2"
        self.port0, self.port1 = f"10.62.{i}.2", f"10.63.{i}.2"
        up_m, in_m = t.ifname("M", i), t.ifname("m", i)
        up_d, in_d = t.ifname("D", i), t.ifname("d", i)
        bk_b, in_b = t.ifname("B", i), t.ifname("b", i)
        t.add_veth(self.ns, in_m, lab.up, up_m)
        t.add_veth(self.ns, in_d, lab.up, up_d, kernel_ipv6_a=False)
        t.add_veth(self.ns, in_b, lab.backend, bk_b, kernel_ipv6_a=False)
        self.ns.run("ip", "addr", "add", f"{self.mgmt}/24", "dev", in_m)
        lab.up.run("ip", "addr", "add", f"10.61.{i}.1/24", "dev", up_m)
        lab.up.run("ip", "addr", "add", f"10.62.{i}.1/24", "dev", up_d)
        lab.backend.run("ip", "addr", "add", f"10.63.{i}.1/24", "dev", bk_b)
        cfg = {
            "ports": [{"port": 0, "mac": f"02:00:00:62:{i:02x}:01", "addrs": [f"{self.port0}/24"]},
                      {"port": 1, "mac": f"02:00:00:63:{i:02x}:01", "addrs": [f"{self.port1}/24"]}],
            "routes": [{"prefix": "10.60.0.0/24", "via": f"10.62.{i}.1"},
                       {"prefix": "10.62.0.0/16", "via": f"10.62.{i}.1"},  # the other underlays
                       {"prefix": "10.64.0.0/24", "via": f"10.63.{i}.1"}],
            "vips": [{"addr": VIP}],
            "asrs": {"snat": [self.port1], "port": ASRS_PORT, "max_sessions": 16384},
            "listeners": [{"vip": VIP, "proto": "tcp", "port": 80, "service": SERVICE}],
            "trs": {"addrs": [VIP], "max_paths": 1024},
            "cluster": {"id": self.id, "key": CLUSTER_KEY, "udp_port": CLUSTER_PORT,
                        "underlay": self.port0},
            "idle_sleep_us": 200,
        }
        self.dp = Dataplane(t, self.ns, [("af_packet", in_d), ("af_packet", in_b)], cfg, name=f"dp{i}")
        self.bird = Bird(t, self.ns, f"i{i}", bird_instance_conf(
            self.mgmt, self.mgmt, f"10.61.{i}.1", UP_AS + 1 + i, UP_AS, [VIP], self.port0))
        self.agent = None

    def start(self):
        self.dp.start()
        self.bird.start()
        self.start_agent()
        return self

    def start_agent(self):
        self.agent = self.lab.procs.agent(
            [self.lab.mapd.port], self.dp.sock,
            args=["--instance-id", self.id, "--underlay", self.port0,
                  "--bird-socket", self.bird.sock, "--bird-protocol", "anyway_vips",
                  "--drain-timeout-s", "60"])
        return self.agent

    def cluster_ids(self):
        """Member ids (with state) this instance's data plane has applied."""
        r = self.dp.call("cluster.get")
        return {(m["id"], m["state"]) for m in r["members"]}

    def counters(self):
        return self.dp.call("cluster.get")["counters"]


class AnycastLab:
    def __init__(self, topo, procs, n=2):
        self.topo, self.procs = topo, procs
        self.client = topo.add_netns("cl")
        self.up = topo.add_netns("up")
        self.backend = topo.add_netns("bk")
        self.up.sysctl("net.ipv4.ip_forward", 1)
        self.up.sysctl("net.ipv4.fib_multipath_hash_policy", 1)
        c, u = topo.ifname("c", 0), topo.ifname("C", 0)
        topo.add_veth(self.client, c, self.up, u)
        self.client.run("ip", "addr", "add", f"{CLIENT}/24", "dev", c)
        self.up.run("ip", "addr", "add", "10.60.0.1/24", "dev", u)
        self.client.run("ip", "route", "add", "default", "via", "10.60.0.1")
        self.backend.run("ip", "addr", "add", f"{BACKEND}/32", "dev", "lo")
        self.mapd = procs.mapd()
        self.instances = [Instance(self, i) for i in range(n)]
        # the SNAT addresses are on-link for the backend; the echo server:
        self.backend.spawn(PYTHON, "-c", ECHO_SERVER, str(ECHO_PORT), BACKEND, ready="listening")
        peers = [(f"10.61.{i}.1", f"10.61.{i}.2", UP_AS + 1 + i) for i in range(n)]
        self.up_bird = Bird(topo, self.up, "up", bird_upstream_conf("10.60.0.1", UP_AS, peers)).start()
        self.register_service()

    def register_service(self):
        from ctlharness import admin
        a = admin(self.mapd.port)
        r = a.call({"op": "register", "service": SERVICE, "addr": BACKEND, "port": ECHO_PORT,
                    "priority": 0, "weight": 100, "ttl": 3600})
        a.close()
        assert r["ok"], r

    def add_relay(self, path_id, key, suite=1):
        """A TRS path through the map server (every agent installs it)."""
        from ctlharness import admin
        a = admin(self.mapd.port)
        r = a.call({"op": "relay.add", "path_id": path_id, "tunnel_key": key, "suite": suite,
                    "idle_timeout_s": 600, "bind_timeout_s": 600})
        a.close()
        assert r["ok"], r

    def next_hops(self):
        return routes_to(self.up, VIP)

    def start(self, count):
        """Starts the first `count` instances and waits until the upstream
        routes the VIP to each of them and each data plane has every one of
        them as an active member."""
        for inst in self.instances[:count]:
            inst.start()
        self.converge(self.instances[:count])
        return self

    def converge(self, running, announced=None):
        want_hops = {x.port0 for x in (announced if announced is not None else running)}
        wait_until(lambda: self.next_hops() == want_hops, CONVERGE_S,
                   what="the upstream routes the VIP to %s" % sorted(want_hops))
        want = {(x.id, "active") for x in running}
        for inst in running:
            wait_until(lambda: inst.cluster_ids() == want, CONVERGE_S,
                       what="%s has applied the members %s" % (inst.id, sorted(want)))

    def owner_of(self, inst, client_port, proto, vport):
        """Primary owner id of an ASRS flow from the client, as `inst`'s data
        plane has it (row computed by the independent model cluster_ref)."""
        row = cluster_ref.row_of_flow(CLIENT, client_port, VIP, vport, proto)
        return inst.dp.call("cluster.owner", **{"from": row, "count": 1})["rows"][0][0]

    def hop_of(self, proto, sport, dport):
        """The instance (port-0 address) the upstream's multipath route picks
        for a packet from the client."""
        out = self.up.run("ip", "route", "get", VIP, "from", CLIENT, "iif", self.topo.ifname("C", 0),
                          "ipproto", proto, "sport", str(sport), "dport", str(dport)).stdout
        w = out.split()
        return w[w.index("via") + 1] if "via" in w else None


@contextlib.contextmanager
def in_netns(name):
    """Runs the body with this thread in network namespace `name` (sockets
    created there stay there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/var/run/netns/{name}") as fd, open("/proc/self/ns/net") as own:
        assert libc.setns(fd.fileno(), 0x40000000) == 0, ctypes.get_errno()  # CLONE_NEWNET
        try:
            yield
        finally:
            assert libc.setns(own.fileno(), 0x40000000) == 0


class Flow:
    def __init__(self, k, sock, proto):
        self.k, self.sock, self.proto = k, sock, proto
        self.port = sock.getsockname()[1]
        self.pending, self.buf, self.seq = None, b"", 0
        self.last_ok = time.monotonic()
        self.echoes, self.why = 0, None


class Flows:
    """n_tcp TCP connections to VIP:80 and n_udp UDP shim flows to VIP:6868
    from the client namespace; each sends a message every 100 ms (TCP: once
    the last echo is back). A flow is broken when its connection is reset or
    closed, an echo is garbled, or no echo came back for STALL_S."""

    def __init__(self, client_ns, n_tcp, n_udp):
        self.ns, self.n_tcp, self.n_udp = client_ns, n_tcp, n_udp
        self.flows, self.rounds = [], 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None
        self.shim = shim(SERVICE)

    def open(self, timeout=10):
        with in_netns(self.ns.name):
            for k in range(self.n_tcp):
                s = socket.create_connection((VIP, 80), timeout=timeout)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.flows.append(Flow(k, s, "tcp"))
            for k in range(self.n_udp):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.connect((VIP, ASRS_PORT))
                self.flows.append(Flow(self.n_tcp + k, s, "udp"))
        for f in self.flows:
            f.sock.setblocking(False)
            f.last_ok = time.monotonic()
        return self

    @property
    def broken(self):
        with self.lock:
            return {f.k: f.why for f in self.flows if f.why}

    def broken_of(self, proto):
        return {f.k for f in self.flows if f.why and f.proto == proto}

    def _break(self, f, why):
        with self.lock:
            if not f.why:
                f.why = why

    def _send(self, f):
        f.seq += 1
        msg = b"flow %d seq %d\n" % (f.k, f.seq)
        try:
            if f.proto == "tcp":
                if f.pending is not None:
                    return
                f.pending, f.buf = msg, b""
                f.sock.send(msg)  # a few bytes: never a partial send on an idle socket
            else:
                f.sock.send(self.shim + msg)
        except BlockingIOError:
            pass
        except OSError as e:
            if f.proto == "tcp":
                self._break(f, "send: %s" % e)

    def _recv(self, f, now):
        try:
            d = f.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionRefusedError:  # ICMP port unreachable for an earlier datagram
            return
        except OSError as e:
            self._break(f, "recv: %s" % e)
            return
        if f.proto == "udp":
            if d.startswith(b"flow %d seq " % f.k):
                f.last_ok, f.echoes = now, f.echoes + 1
            return
        if not d:
            self._break(f, "closed by the peer")
            return
        f.buf += d
        if f.pending is None or not f.pending.startswith(f.buf):
            self._break(f, "garbled echo %r" % f.buf)
        elif f.buf == f.pending:
            f.pending, f.last_ok, f.echoes = None, now, f.echoes + 1

    def _run(self):
        sel = selectors.DefaultSelector()
        for f in self.flows:
            sel.register(f.sock, selectors.EVENT_READ, f)
        nxt = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= nxt:
                for f in self.flows:
                    if not f.why:
                        self._send(f)
                self.rounds += 1
                nxt = now + 0.1
            for key, _ in sel.select(max(0.0, nxt - time.monotonic())):
                f = key.data
                if not f.why:
                    self._recv(f, time.monotonic())
            now = time.monotonic()
            for f in self.flows:
                if not f.why and now - f.last_ok > STALL_S:
                    self._break(f, "no echo for %.0f s" % STALL_S)
        sel.close()

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def run_for(self, seconds):
        self.stop.wait(seconds)

    def all_echoed(self):
        """Every flow not broken has had an echo since the call's start."""
        t0 = time.monotonic()
        wait_until(lambda: all(f.why or f.last_ok >= t0 for f in self.flows), STALL_S + 5,
                   what="an echo on every live flow")

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(10)
        for f in self.flows:
            f.sock.close()
