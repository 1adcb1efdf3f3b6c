#!/usr/bin/python3
"""Small traffic endpoints the end-to-end tests run inside client namespaces.

Plain kernel sockets, standard library only. Every server prints one line
"listening HOST PORT" (flushed) once it accepts traffic, so the test can wait
for it; every blocking call has a timeout so nothing hangs forever.

  peer.py tcp-sink HOST PORT                  each connection: read to EOF, reply
                                              "<bytes> <sha256>\\n", close
  peer.py tcp-send HOST PORT NBYTES SEED      send NBYTES of seeded random data,
                                              print the sink's reply and our own
                                              "<bytes> <sha256>"
  peer.py udp-echo HOST PORT                  echo every datagram back
  peer.py udp-ping HOST PORT SIZE[,SIZE...]   one datagram per size, wait for the
                                              echo (3 tries, 1 s each); prints a
                                              JSON summary
"""
import hashlib
import json
import random
import socket
import sys
import time

IDLE_LIMIT_S = 60  # servers exit after this long without traffic


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def payload(nbytes, seed):
    rnd = random.Random(seed)
    return rnd.randbytes(nbytes)


def tcp_sink(host, port):
    srv = socket.socket(family_of(host), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(host) == socket.AF_INET6:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind((host, port))
    srv.listen(8)
    srv.settimeout(IDLE_LIMIT_S)
    print("listening", host, port, flush=True)
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            return 0
        with conn:
            conn.settimeout(20)
            h = hashlib.sha256()
            n = 0
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    h.update(chunk)
                    n += len(chunk)
                conn.sendall(f"{n} {h.hexdigest()}\n".encode())
            except OSError as e:
                print("sink error:", e, flush=True)


def tcp_send(host, port, nbytes, seed):
    data = payload(nbytes, seed)
    with socket.create_connection((host, port), timeout=20) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    print("sink", reply.decode().strip())
    print("sent", len(data), hashlib.sha256(data).hexdigest())
    return 0


def udp_echo(host, port):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    if family_of(host) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((host, port))
    s.settimeout(IDLE_LIMIT_S)
    print("listening", host, port, flush=True)
    while True:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            return 0
        s.sendto(data, addr)


def udp_ping(host, port, sizes):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(1.0)
    results = []
    for i, size in enumerate(sizes):
        data = payload(size, i)
        tries = 0
        ok = False
        while tries < 3 and not ok:
            tries += 1
            s.send(data)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                try:
                    got = s.recv(65535)
                except (socket.timeout, ConnectionRefusedError):
                    break
                if got == data:
                    ok = True
                    break
        results.append({"size": size, "ok": ok, "tries": tries})
    print(json.dumps(results))
    return 0 if all(r["ok"] for r in results) else 1


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, host, port = argv[1], argv[2], int(argv[3])
    if cmd == "tcp-sink":
        return tcp_sink(host, port)
    if cmd == "tcp-send":
        return tcp_send(host, port, int(argv[4]), int(argv[5]))
    if cmd == "udp-echo":
        return udp_echo(host, port)
    if cmd == "udp-ping":
        return udp_ping(host, port, [int(x) for x in argv[4].split(",")])
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
