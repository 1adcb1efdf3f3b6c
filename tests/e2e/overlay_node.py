"""An overlay node for the gateway's end-to-end test (SPEC §6; runs inside a
namespace, Debian's python3 and python3-cryptography): the kernel of its
namespace routes traffic for the services into a TUN device; every packet
read from the TUN is sealed into a CAPSULE (tests/golden/capsule_ref.py, the
independent reference) and sent by UDP to the gateway; every datagram from
the gateway is verified (tag, path, 64-message replay window), decrypted and
written to the TUN. Nothing of the project's C code is used.

    overlay_node.py --gateway ADDR [--port 7813] --path-id HEX --key HEX
                    [--suite 1|2] [--tun NAME] [--control FILE] [--max-s S]
                    [--node-addr ADDR --probe ADDR [--keepalive-s S]]

It creates the TUN device (IFF_TUN | IFF_NO_PI through /dev/net/tun) and
prints "ready TUN PORT"; the caller then gives it its address and routes
(ip addr / ip route). NAT rebinding: on SIGUSR1, or when FILE (--control)
appears (it is then removed), the node moves to a new UDP socket on a new
local port, prints "rebound PORT", and goes on: its NAT allocates a new
mapping and the gateway rebinds the path to it on the next verified capsule.

Keepalives (with --node-addr, the node's overlay address, and --probe, an
address the gateway's side answers pings for): right after a rebinding, and
whenever nothing went to the gateway for --keepalive-s seconds, the node
seals an ICMP echo request from its overlay address to the probe address.
Without it, a node whose kernel is only receiving (a download) sends nothing
after its mapping changed: the gateway keeps sending to the dead mapping and
the sender's TCP retransmits into it until the receiver happens to send (a
delayed ACK, a window update) - a real tunnel client sends such keepalives
(NAT-T, WireGuard) for exactly this. The echo replies come back through the
tunnel to the kernel, which ignores them.
SIGUSR2 prints "stats ..."; SIGTERM / SIGINT / --max-s end it (stats last).
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import capsule_ref as C  # noqa: E402

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0  # linux/in.h (not in Python's socket module)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_request(src, dst, ident, seq):
    """An ICMP / ICMPv6 echo request from src to dst (address strings), as IP bytes."""
    data = b"overlay-node keepalive"
    if ":" in src:
        s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
        icmp = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data
        pseudo = s6 + d6 + struct.pack("!I3xB", len(icmp), 58)
        icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
        return struct.pack("!IHBB", 6 << 28, len(icmp), 58, 64) + s6 + d6 + icmp
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI)
    got = fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd, got[:16].rstrip(b"\0").decode()


class Node:
    def __init__(self, a):
        pid, key = bytes.fromhex(a.path_id), bytes.fromhex(a.key)
        self.tx = C.Sender(key, a.suite, pid)
        self.rx = C.Receiver(key, a.suite, pid)
        self.fam = socket.AF_INET6 if ":" in a.gateway else socket.AF_INET
        self.gw = (a.gateway, a.port)
        self.tun, self.tun_name = open_tun(a.tun)
        self.sock = None
        self.stats = {"tun_in": 0, "sent": 0, "recv": 0, "tun_out": 0, "not_gateway": 0,
                      "send_errors": 0, "keepalives": 0}
        self.node_addr, self.probe = a.node_addr, a.probe
        self.last_sent = time.monotonic()
        self.refused = {}
        self.pending_rebind = False
        self.rebind()

    def rebind(self):
        old = self.sock
        s = socket.socket(self.fam, socket.SOCK_DGRAM)
        if self.fam == socket.AF_INET:
            # capsules above the path MTU go out as IP fragments, never refused
            s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("::" if self.fam == socket.AF_INET6 else "0.0.0.0", 0))
        s.setblocking(False)
        self.sock = s
        if old is not None:
            old.close()
        return s.getsockname()[1]

    def from_tun(self):
        for _ in range(64):
            try:
                pkt = os.read(self.tun, 65535)
            except BlockingIOError:
                return
            self.stats["tun_in"] += 1
            self.send(pkt)

    def send(self, inner):
        try:
            self.sock.sendto(self.tx.seal(inner), self.gw)
            self.stats["sent"] += 1
            self.last_sent = time.monotonic()
        except OSError:
            self.stats["send_errors"] += 1

    def keepalive(self):
        """An echo request to the probe address through the tunnel (see the module doc)."""
        if self.node_addr is None or self.probe is None:
            return
        self.stats["keepalives"] += 1
        self.send(echo_request(self.node_addr, self.probe, os.getpid() & 0xFFFF,
                               self.stats["keepalives"] & 0xFFFF))

    def from_gateway(self):
        for _ in range(64):
            try:
                data, src = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            if (src[0], src[1]) != self.gw:
                self.stats["not_gateway"] += 1
                continue
            self.stats["recv"] += 1
            try:
                inner = self.rx.open(data)
            except C.Refused as e:
                why = str(e).split(":")[0].replace(" ", "_")
                self.refused[why] = self.refused.get(why, 0) + 1
                continue
            try:
                os.write(self.tun, inner)
                self.stats["tun_out"] += 1
            except OSError as e:
                self.refused["tun_write_" + str(e.errno)] = self.refused.get("tun_write_" + str(e.errno), 0) + 1

    def stats_line(self):
        items = sorted(self.stats.items()) + sorted(("refused_" + k, v) for k, v in self.refused.items())
        return "stats " + " ".join("%s=%d" % kv for kv in items)


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--port", type=int, default=7813)
    ap.add_argument("--path-id", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--suite", type=int, choices=(1, 2), default=2)
    ap.add_argument("--tun", default="ovl0")
    ap.add_argument("--control", help="a file whose appearance means: rebind")
    ap.add_argument("--max-s", type=float, default=600.0, help="end after this long (bounded)")
    ap.add_argument("--node-addr", help="the node's overlay address (source of keepalives)")
    ap.add_argument("--probe", help="where keepalives go: an address the gateway side pings back")
    ap.add_argument("--keepalive-s", type=float, default=5.0,
                    help="keepalive after this long without sending (with --node-addr, --probe)")
    a = ap.parse_args()
    node = Node(a)
    flags = {"stop": False, "stats": False}

    def on_rebind(*_):
        node.pending_rebind = True

    signal.signal(signal.SIGUSR1, on_rebind)
    signal.signal(signal.SIGUSR2, lambda *_: flags.__setitem__("stats", True))
    signal.signal(signal.SIGTERM, lambda *_: flags.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: flags.__setitem__("stop", True))
    say("ready %s %d" % (node.tun_name, node.sock.getsockname()[1]))
    end = time.monotonic() + a.max_s
    while not flags["stop"] and time.monotonic() < end:
        if a.control and os.path.exists(a.control):
            os.unlink(a.control)
            node.pending_rebind = True
        if node.pending_rebind:
            node.pending_rebind = False
            say("rebound %d" % node.rebind())
            node.keepalive()  # the gateway learns the new mapping now, whatever the kernel sends
        if flags["stats"]:
            flags["stats"] = False
            say(node.stats_line())
        try:
            r, _, _ = select.select([node.tun, node.sock], [], [], 0.2)
        except InterruptedError:
            continue
        if node.tun in r:
            node.from_tun()
        if node.sock in r:
            node.from_gateway()
        if time.monotonic() - node.last_sent >= a.keepalive_s:
            node.keepalive()
            node.last_sent = time.monotonic()  # also without --node-addr: no busy retry
    say(node.stats_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
