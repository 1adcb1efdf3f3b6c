"""TEST DOUBLE of the overlay gateway for tests/e2e/test_overlay_node.py —
not the data plane: checks overlay_node.py against the CAPSULE reference on
its own. Receives capsules on UDP PORT, opens them (tests/golden/capsule_ref.py),
checks that the inner source is the node's address, binds the path to the
newest verified outer source (as SPEC §6 says the gateway does), answers
inner ICMP echo requests with echo replies sealed with R set, and prints one
"bound ADDR PORT" line per new binding.

    overlay_echo_gw.py --port P --path-id HEX --key HEX --suite N --node-addr A [--max-s S]
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import capsule_ref as C  # noqa: E402
import trs_ref as T  # noqa: E402


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_reply(pkt):
    """IPv4 ICMP echo request -> its reply, else None."""
    if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 1:
        return None
    ihl = (pkt[0] & 15) * 4
    icmp = bytearray(pkt[ihl:])
    if icmp[0] != 8:
        return None
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
    ip = bytearray(pkt[:ihl])
    ip[12:16], ip[16:20] = pkt[16:20], pkt[12:16]
    ip[8] = 64
    ip[6:8] = b"\0\0"  # no fragment bits: one whole packet
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    return bytes(ip) + bytes(icmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=7813)
    ap.add_argument("--path-id", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--suite", type=int, default=2)
    ap.add_argument("--node-addr", required=True)
    ap.add_argument("--max-s", type=float, default=120)
    a = ap.parse_args()
    pid, key = bytes.fromhex(a.path_id), bytes.fromhex(a.key)
    rx = C.Receiver(key, a.suite, pid)
    tx = C.Sender(key, a.suite, pid, flag=T.FLAG_R)
    node = socket.inet_aton(a.node_addr)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT
    s.bind(("0.0.0.0", a.port))
    bound = None
    print("ready", flush=True)
    end = time.monotonic() + a.max_s
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.5)
        if not r:
            continue
        data, src = s.recvfrom(65535)
        try:
            inner = rx.open(data)
        except C.Refused as e:
            print("refused %s" % e, flush=True)
            continue
        if len(inner) < 20 or inner[12:16] != node:
            print("refused spoofed inner source", flush=True)
            continue
        if src != bound:
            bound = src
            print("bound %s %d" % src, flush=True)
        reply = echo_reply(inner)
        if reply is not None:
            s.sendto(tx.seal(reply), bound)
    return 0


if __name__ == "__main__":
    sys.exit(main())
