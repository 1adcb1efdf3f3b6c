"""Anycast lab helpers (SPEC §8): BIRD 2 instances in network namespaces.

bird_instance_conf / bird_upstream_conf write the two sides of an eBGP session:
the instance announces the routes of the static protocol that anyway-agent
enables and disables (--bird-protocol), with the data-plane port's address as
next hop; the upstream router installs what it learns into its kernel table
(ECMP across instances with `merge paths`). Bird runs one BIRD process in a
namespace of a netns.Topology (stopped with it)."""

import os
import signal
import subprocess
import time

HOLD_S = 3  # short BGP hold time for the tests (keepalive 1 s)


def bird_instance_conf(router_id, local, peer, local_as, peer_as, vips, next_hop, proto="anyway_vips"):
    routes = "\n".join("  route %s/32 blackhole;" % v for v in vips)
    return f"""
router id {router_id};
protocol device {{ }}
# owned by anyway-agent: enabled while the instance is healthy, disabled otherwise
protocol static {proto} {{
  disabled;
  ipv4;
{routes}
}}
protocol bgp upstream {{
  local {local} as {local_as};
  neighbor {peer} as {peer_as};
  hold time {HOLD_S}; keepalive time 1; connect retry time 1; error wait time 1, 2;
  ipv4 {{ import none; export where proto = "{proto}"; next hop address {next_hop}; }};
}}
"""


def bird_upstream_conf(router_id, local_as, peers):
    """peers: [(local_addr, neighbor_addr, peer_as)]."""
    sessions = "\n".join(f"""
protocol bgp inst{i} {{
  local {la} as {local_as};
  neighbor {na} as {pas};
  hold time {HOLD_S}; keepalive time 1; connect retry time 1; error wait time 1, 2;
  ipv4 {{ import all; export none; }};
}}""" for i, (la, na, pas) in enumerate(peers))
    return f"""
router id {router_id};
protocol device {{ }}
protocol kernel {{
  merge paths on;
  ipv4 {{ import none; export all; }};
}}
{sessions}
"""


class Bird:
    """One BIRD process in namespace ns, its control socket under topo.tmp."""

    def __init__(self, topo, ns, name, conf):
        self.topo, self.ns, self.name = topo, ns, name
        self.conf = topo.tmp / f"bird-{name}.conf"
        self.sock = str(topo.tmp / f"bird-{name}.ctl")
        self.conf.write_text(conf)
        self.proc = None

    def start(self, timeout=10):
        self.proc = self.ns.spawn("bird", "-f", "-c", str(self.conf), "-s", self.sock,
                                  "-P", str(self.topo.tmp / f"bird-{self.name}.pid"))
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""
                raise AssertionError(f"bird {self.name} did not start: {out}")
            time.sleep(0.05)
        return self

    def birdc(self, *args):
        cp = subprocess.run(["birdc", "-s", self.sock, *args], capture_output=True, text=True, timeout=10)
        return cp.stdout

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def routes_to(ns, prefix):
    """The next hops the kernel of ns has for prefix (set of addresses)."""
    out = ns.run("ip", "-4", "route", "show", prefix, check=False).stdout
    hops = set()
    for tok in zip(out.split(), out.split()[1:]):
        if tok[0] == "via":
            hops.add(tok[1])
    return hops
