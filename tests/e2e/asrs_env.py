"""Shared setup of the ASRS end-to-end tests (test_asrs*.py): the router
config, the servers behind the router, a far host behind a narrow link, line
readers for server output, curl and counter helpers, and the per-test
conservation check.

    client a  10.11.0.2 / 2001:db8:11::2
        | veth
    data plane port 0  10.11.0.1 / 2001:db8:11::1   (namespace "r", one lcore)
    data plane port 1  10.12.0.1 / 2001:db8:12::1   (= the SNAT addresses)
        | veth
    server host b  10.12.0.2 / 2001:db8:12::2, 198.51.100.1 on lo
        | veth, b routes to c's server address with MTU 1280 (far_host only)
    far host c  192.0.2.100 / 2001:db8:98::100 on lo

Contract: for the pytest process (main thread) of the test_asrs*.py modules,
which import the fixtures they use from here. Only netns.py's public helpers
are used (Topology, TwoPorts, Dataplane); everything started here belongs to
a Topology and is removed with it, whatever the test's outcome.
"""
import json
import os
import re
import select
import subprocess
import time

import pytest

from netns import PYTHON, V4, V6, Topology, TwoPorts, base_config, wait_until
from asrs_peers import ASRS_PORT, service_addr6, sid_of  # noqa: F401 (re-export)

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asrs_peers.py")
SYNOPT = os.path.join(os.path.dirname(PEERS), "asrs_synopt.py")

VIP = V4["vip"]                   # 203.0.113.10, plain VIP
VIP_AARP = "203.0.113.11"         # answers echo from the unicast address
VIP6_AARP = "2001:db8:100::11"
SVC_PREFIX6 = "2001:db8:a5::/64"
SNAT4, SNAT6 = V4["dp1"], V6["dp1"]  # the router's address on the servers' side

WEB = "asrs://shop.example/web"      # HTTP "web1" on b, v4 destination
WEB6 = "asrs://shop.example/web6"    # the same server, v6 destination
ECHO = "asrs://shop.example/echo"    # UDP echo on b
ECHO6 = "asrs://shop.example/echo6"  # the same echo server, v6 destination
MOVE = "asrs://shop.example/move"    # line server w1 on b, moved to w2 by a test
EMPTY = "asrs://shop.example/empty"  # set with no destination by the tests
UNKNOWN = "asrs://shop.example/nobody-registered-this"

HTTP_PORT, ECHO_PORT, ECHO2_PORT, W1_PORT, W2_PORT = 8080, 7000, 7001, 9001, 9002
W2_ADDR = V4["host_b"]  # 198.51.100.1, b's loopback, behind a static route
MOVE_PORT = 8000        # listener port of MOVE on the VIP

FAR4, FAR6 = "192.0.2.100", "2001:db8:98::100"
NARROW_MTU = 1280


def dest(addr, port, **kw):
    return {"addr": addr, "port": port, **kw}


def asrs_config(extra_services=(), extra_listeners=()):
    cfg = base_config()
    cfg["vips"] = [{"addr": VIP}, {"addr": VIP_AARP, "aarp": True},
                   {"addr": VIP6_AARP, "aarp": True}]
    cfg["asrs"] = {"port": ASRS_PORT, "service_prefix6": SVC_PREFIX6,
                   "snat": [SNAT4, SNAT6]}
    cfg["services"] = [
        {"service": WEB, "destinations": [dest(V4["b"], HTTP_PORT)]},
        {"service": WEB6, "destinations": [dest(V6["b"], HTTP_PORT)]},
        {"service": ECHO, "destinations": [dest(V4["b"], ECHO_PORT)]},
        {"service": ECHO6, "destinations": [dest(V6["b"], ECHO_PORT)]},
        {"service": MOVE, "destinations": [dest(V4["b"], W1_PORT)]},
        *extra_services]
    cfg["listeners"] = [
        {"vip": VIP, "proto": "tcp", "port": 80, "service": WEB},
        {"vip": VIP_AARP, "proto": "tcp", "port": 80, "service": WEB},
        {"vip": VIP6_AARP, "proto": "tcp", "port": 80, "service": WEB6},
        {"vip": VIP, "proto": "udp", "port": ECHO_PORT, "service": ECHO},
        {"vip": VIP, "proto": "tcp", "port": MOVE_PORT, "service": MOVE},
        *extra_listeners]
    return cfg


# --------------------------------------------------------------------------
# processes and their output


class Lines:
    """Line reader over a spawned process's stdout pipe that keeps what it
    read past the line it was asked for (netns.wait_line drops it)."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = b""
        self.seen = []

    def drain(self):
        """Forgets everything printed so far (bounded: reads what is there)."""
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], 0)[0]:
            if not os.read(fd, 65536):
                break
        self.buf = b""

    def expect(self, pattern, timeout=10):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                self.seen.append(text)
                if rx.search(text):
                    return text
            left = deadline - time.monotonic()
            r = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
            chunk = os.read(fd, 4096) if r else b""
            if not chunk:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s "
                                     f"(rc={self.proc.poll()}); seen: {self.seen[-20:]!r}")
            self.buf += chunk


def spawn_peer(ns, *args, ready=r"^listening"):
    """Starts asrs_peers.py in ns (killed at topology close); returns Lines."""
    p = ns.topo.spawn(ns.cmd(PYTHON, "-u", PEERS, *map(str, args)))
    lines = Lines(p)
    if ready:
        lines.expect(ready, timeout=10)
    return lines


class Hold:
    """A TCP connection kept open by `asrs_peers.py hold` in ns (with
    shim_mode: a UDP socket of `asrs_peers.py udp-hold`); ask() sends one
    line on it and returns the server's answer."""

    def __init__(self, ns, host, port, shim_mode=None):
        cmd = ["hold", host, str(port)] if shim_mode is None else \
            ["udp-hold", host, str(port), shim_mode]
        self.proc = subprocess.Popen(ns.cmd(PYTHON, "-u", PEERS, *cmd),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        ns.topo.procs.append(self.proc)  # killed at topology close whatever happens
        self.lines = Lines(self.proc)
        self.local_port = int(self.lines.expect(r"^connected \d+").split()[1])

    def ask(self, text, timeout=10):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()
        return self.lines.expect(r"^reply ", timeout).split(" ", 1)[1]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def shim_ping(ns, host, mode, sizes, port=ASRS_PORT):
    """Runs the shim client; returns its list of {size, result}."""
    cp = ns.run(PYTHON, PEERS, "shim-ping", host, str(port), mode,
                ",".join(map(str, sizes)), timeout=10 + 4 * len(sizes), check=False)
    try:
        return json.loads(cp.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise AssertionError(f"shim-ping printed no result: {cp.stdout}{cp.stderr}") from None


def who_many(ns, host, port, n):
    """n sequential connections to a who service; {server name: count}."""
    cp = ns.run(PYTHON, PEERS, "who-many", host, str(port), str(n), timeout=10 + n)
    return json.loads(cp.stdout.strip().splitlines()[-1])


def syn_with_option(ns, host, port, uri, variant="good"):
    """One scapy SYN with the ASRS TCP option naming uri (asrs_synopt.py)."""
    cp = ns.run(PYTHON, SYNOPT, host, str(port), f"{sid_of(uri):016x}", variant, timeout=30)
    return json.loads(cp.stdout.strip().splitlines()[-1])


def curl(ns, url, *extra, max_time=10):
    """curl -sS; returns (rc, body, info) with info = {remote_ip, local_port}."""
    cp = ns.run("curl", "-sS", "-g", "--connect-timeout", "5", "--max-time", str(max_time),
                "-w", "\n%{remote_ip} %{local_port}", *extra, url,
                timeout=max_time + 5, check=False)
    body, _, tail = cp.stdout.rpartition("\n")
    parts = tail.split()
    info = {"remote_ip": parts[0] if parts else "",
            "local_port": int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0,
            "stderr": cp.stderr.strip()}
    return cp.returncode, body, info


def icmp_unreach_received(ns):
    """ICMP + ICMPv6 destination unreachable messages ns's kernel received."""
    out = ns.sh("cat /proc/net/snmp /proc/net/snmp6").stdout
    lines = out.splitlines()
    n = 0
    for i, line in enumerate(lines):
        if line.startswith("Icmp: InMsgs") and i + 1 < len(lines):
            names, values = line.split(), lines[i + 1].split()
            n += int(values[names.index("InDestUnreachs")])
        elif line.startswith("Icmp6InDestUnreachs"):
            n += int(line.split()[1])
    return n


def assert_tcp_refused(ns, url, *extra):
    """curl cannot connect, and not because of a timeout (the SYN dropped:
    rc 28) or an ICMP unreachable (counted by ns's kernel): a RST came back."""
    before = icmp_unreach_received(ns)
    rc, body, info = curl(ns, url, *extra)
    assert rc == 7, f"curl {url}: expected connection refused by a RST (rc 7), " \
        f"got rc {rc}: {info['stderr']} {body!r}"
    assert icmp_unreach_received(ns) == before, \
        f"curl {url}: refused by an ICMP unreachable, not by a TCP RST"


def who(body):
    """'web1 10.12.0.1 40000' -> ('web1', '10.12.0.1', 40000)."""
    parts = body.split()
    assert len(parts) >= 3, f"unexpected answer {body!r}"
    return parts[0], parts[1], int(parts[2])


# --------------------------------------------------------------------------
# counters


def counter(stats, name):
    """A named counter wherever the stats reply keeps it: drops, counters, or
    the asrs section. Fails when it is nowhere (the name is part of the spec)."""
    for section in (stats.get("drops", {}), stats.get("counters", {}), stats.get("asrs", {})):
        if name in section:
            return section[name]
    raise AssertionError(f"stats have no counter {name!r}: {json.dumps(stats)[:2000]}")


def counted(stats, name):
    """What a spec counter name counts, however the data plane splits it:
    the counter `name` plus every `name_<detail>` one (e.g. no_service for
    refusals that could not be answered and no_service_refused for answered
    ones), in any section. Fails when there is none of them."""
    found = [v for section in (stats.get("drops", {}), stats.get("counters", {}),
                               stats.get("asrs", {}))
             for k, v in section.items()
             if (k == name or k.startswith(name + "_")) and isinstance(v, int)]
    if not found:
        raise AssertionError(f"stats have no counter {name!r} (nor {name}_*): "
                             f"{json.dumps(stats)[:2000]}")
    return sum(found)


def assert_conserved(dp):
    s = dp.settled_stats()
    assert s["in_flight"] == 0, s
    assert s["drops_total"] == sum(s["drops"].values()), s
    assert s["rx"] == s["tx"] + s["drops_total"] + s["consumed"], \
        f"rx {s['rx']} != tx {s['tx']} + drops {s['drops_total']} + consumed " \
        f"{s['consumed']}; drops: {[(k, v) for k, v in s['drops'].items() if v]}"
    return s


# --------------------------------------------------------------------------
# topologies


def start_servers(net):
    """The servers on b used by test_asrs.py."""
    b = net.b
    net.web = spawn_peer(b, "http", "web1", "::", HTTP_PORT)
    net.echo = spawn_peer(b, "udp-echo", "echo1", "::", ECHO_PORT)
    net.w1 = spawn_peer(b, "who", "w1", V4["b"], W1_PORT)
    net.w2 = spawn_peer(b, "who", "w2", W2_ADDR, W2_PORT)
    net.echo2 = spawn_peer(b, "udp-echo", "echo2", W2_ADDR, ECHO2_PORT)


def add_far_host(net):
    """Namespace c behind b: FAR4 / FAR6 on c's loopback; b forwards to them
    over a route with MTU NARROW_MTU (so b answers larger DF packets with
    fragmentation needed / packet too big, sent to the packet's source)."""
    topo = net.topo
    c = topo.add_netns("c")
    bc, cb = topo.ifname("b", 1), topo.ifname("c", 0)
    topo.add_veth(net.b, bc, c, cb)
    b = net.b
    b.sysctl("net.ipv4.ip_forward", 1)
    b.sysctl("net.ipv6.conf.all.forwarding", 1)
    for ns, ifn in ((b, bc), (c, cb)):
        ns.sysctl(f"net.ipv6.conf.{ifn}.accept_dad", 0)
    b.run("ip", "addr", "add", "192.0.2.1/30", "dev", bc)
    c.run("ip", "addr", "add", "192.0.2.2/30", "dev", cb)
    b.run("ip", "-6", "addr", "add", "2001:db8:97::1/64", "dev", bc, "nodad")
    c.run("ip", "-6", "addr", "add", "2001:db8:97::2/64", "dev", cb, "nodad")
    c.run("ip", "addr", "add", f"{FAR4}/32", "dev", "lo")
    c.run("ip", "-6", "addr", "add", f"{FAR6}/128", "dev", "lo")
    c.run("ip", "route", "add", "default", "via", "192.0.2.1")
    c.run("ip", "-6", "route", "add", "default", "via", "2001:db8:97::1")
    b.run("ip", "route", "add", f"{FAR4}/32", "via", "192.0.2.2", "mtu", "lock",
          str(NARROW_MTU))
    b.run("ip", "-6", "route", "add", f"{FAR6}/128", "via", "2001:db8:97::2", "mtu", "lock",
          str(NARROW_MTU))
    net.c = c
    return c


def far_routes(cfg):
    """Router routes to the far host (via b)."""
    cfg["routes"] = cfg["routes"] + [{"prefix": f"{FAR4}/32", "via": V4["b"]},
                                     {"prefix": f"{FAR6}/128", "via": V6["b"]}]
    return cfg


def asrs_network(request, config, far=False, servers=start_servers, driver="af_packet"):
    """A started router with `config`, clients, servers; closed when
    `request`'s scope ends (module or test)."""
    t = Topology()
    request.addfinalizer(t.close)  # runs last
    net = TwoPorts(t, driver=driver, config=config, start=False)
    if far:
        add_far_host(net)
    servers(net)
    net.dp.start()
    # after the module: SIGTERM must stop it cleanly, no sanitizer report
    request.addfinalizer(net.dp.stop_checked)
    return net


@pytest.fixture(scope="module")
def asrs_net(request, e2e_env):
    """The standard ASRS setup (asrs_config, servers on b), one data plane
    shared by a test module."""
    return asrs_network(request, asrs_config())


def wait_counted(dp, name, above, timeout=5):
    """Waits (bounded) until counted(stats, name) exceeds `above`."""
    return wait_until(lambda: counted(dp.stats(), name) > above, timeout,
                      what=f"counters {name}(_*) to exceed {above}")
