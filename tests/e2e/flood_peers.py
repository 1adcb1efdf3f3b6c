#!/usr/bin/env python3
"""Peers of the SYN flood end-to-end test (test_asrs_synflood.py), run inside
the test's namespaces:

  syn-flood DST DPORT RATE SECONDS   raw IPv4 SYNs from random sources of
                                     10.99.0.0/16 (routed nowhere by the
                                     router: its answers are dropped there),
                                     at most RATE per second for SECONDS;
                                     prints {"sent": n}
  stream-server HOST PORT RATE       sends RATE bytes/s to every connection
  stream-read HOST PORT SECONDS STEP connects, prints "connected", reads for
                                     SECONDS; prints {"steps": [bytes per STEP s]}

Everything is bounded in time; the test kills what is left at the end.
"""
import json
import os
import random
import socket
import struct
import sys
import threading
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn_packet(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + \
        b"\x02\x04\x05\xb4"
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def syn_flood(dst, dport, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    d = socket.inet_aton(dst)
    rnd = random.Random(os.getpid())
    sent, start = 0, time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * rate) + 1
        while sent < due:
            src = bytes([10, 99, rnd.randrange(256), rnd.randrange(1, 255)])
            pkt = syn_packet(src, d, rnd.randrange(1024, 65536), dport, rnd.getrandbits(32))
            try:
                s.sendto(pkt, (dst, 0))
            except (BlockingIOError, OSError):
                pass  # a full queue: that SYN is lost, the flood goes on
            sent += 1
        time.sleep(0.005)
    print(json.dumps({"sent": sent}), flush=True)


def stream_server(host, port, rate):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)
    print("listening", flush=True)
    chunk = b"x" * 4096

    def feed(c):
        with c:
            start, sent = time.monotonic(), 0
            try:
                while True:
                    if sent > (time.monotonic() - start) * rate:
                        time.sleep(0.002)
                        continue
                    c.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass

    while True:
        c, _ = srv.accept()
        threading.Thread(target=feed, args=(c,), daemon=True).start()


def stream_read(host, port, seconds, step):
    c = socket.create_connection((host, port), timeout=10)
    c.settimeout(0.05)
    print("connected", flush=True)
    steps, cur = [], 0
    start = time.monotonic()
    edge = start + step
    while time.monotonic() < start + seconds:
        try:
            n = len(c.recv(65536))
            if n == 0:
                break
            cur += n
        except socket.timeout:
            pass
        if time.monotonic() >= edge:
            steps.append(cur)
            cur = 0
            edge += step
    c.close()
    print(json.dumps({"steps": steps}), flush=True)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "syn-flood":
        syn_flood(args[0], int(args[1]), float(args[2]), float(args[3]))
    elif cmd == "stream-server":
        stream_server(args[0], int(args[1]), float(args[2]))
    elif cmd == "stream-read":
        stream_read(args[0], int(args[1]), float(args[2]), float(args[3]))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
