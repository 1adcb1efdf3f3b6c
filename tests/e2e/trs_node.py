"""A TRS node for the end-to-end tests (runs inside a namespace, Debian's
python3): talks to the relay with the independent implementation in
tests/golden/trs_ref.py. Commands on stdin, one result line per command on
stdout (every wait bounded):

  hp | ka                 HOLE_PUNCHING / KEEP_ALIVE, wait for the relay's ACK
                          (verified with the Tunnel Key; 5 tries, 1 s each)
                          -> "ack SEQ" | "noack"
  sig TYPE TEXT           send TUNNEL_REQUEST / TUNNEL_RESPONSE sealed with the
                          Tunnel Key -> "sent"
  expect TYPE SECONDS     wait for a verified message of TYPE -> "got TEXT" | "timeout"
  send N TAG              N CAPSULEs "TAG-i", sealed with the end-to-end key the
                          relay never sees -> "sent N"
  recv N SECONDS          receive CAPSULEs until N arrived or the time is up
                          -> "recv COUNT FIRST LAST" (texts, "-" when none)
  rebind                  new socket on a new local port (a new NAT mapping)
                          -> "port P"
  quit
"""
import argparse
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import trs_ref as T  # noqa: E402

TYPES = {"TUNNEL_REQUEST": T.TUNNEL_REQUEST, "TUNNEL_RESPONSE": T.TUNNEL_RESPONSE}


class Node:
    def __init__(self, a):
        self.relay = (a.relay, a.port)
        self.pid = bytes.fromhex(a.path_id)
        self.key = T.Key(bytes.fromhex(a.key), a.suite)
        self.e2e = T.Key(bytes.fromhex(a.e2e_key), 2)
        self.flag = a.side
        self.seq = 0        # signalling with the Tunnel Key
        self.cseq = 0       # capsules with the end-to-end key
        self.fam = socket.AF_INET6 if ":" in a.relay else socket.AF_INET
        self.sock = None
        self.rebind()

    def rebind(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.socket(self.fam, socket.SOCK_DGRAM)
        self.sock.bind(("::" if self.fam == socket.AF_INET6 else "0.0.0.0", 0))
        return self.sock.getsockname()[1]

    def hdr(self, type_, seq):
        return T.Hdr(txid=int.from_bytes(os.urandom(4), "big"), flag=self.flag, type=type_,
                     seq=seq, id=self.pid)

    def signal(self, type_, text=b""):
        self.seq += 1
        m = self.key.seal(self.hdr(type_, self.seq), text)
        self.sock.sendto(m, self.relay)
        return T.Hdr.unpack(m).txid

    def recv(self, deadline):
        """Next datagram from the relay before the deadline, or None."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data, src = self.sock.recvfrom(65535)
                if src[0] == self.relay[0] and src[1] == self.relay[1]:
                    return data

    def handshake(self, type_):
        for _ in range(5):
            txid = self.signal(type_)
            deadline = time.monotonic() + 1.0
            while True:
                m = self.recv(deadline)
                if m is None:
                    break
                try:
                    h, _, _ = T.parse(m)
                except ValueError:
                    continue
                if h.type == T.ACK and h.txid == txid and self.key.verify(m):
                    return "ack %d" % h.seq
        return "noack"

    def expect(self, type_, secs):
        deadline = time.monotonic() + secs
        while True:
            m = self.recv(deadline)
            if m is None:
                return "timeout"
            try:
                h, _, _ = T.parse(m)
                if h.type == type_:
                    return "got " + self.key.open(m).decode()
            except ValueError:
                continue

    def send(self, n, tag):
        for i in range(n):
            self.cseq += 1
            h = T.Hdr(txid=self.cseq, flag=self.flag, type=T.CAPSULE, seq=self.cseq, id=self.pid)
            self.sock.sendto(self.e2e.seal(h, ("%s-%d" % (tag, i)).encode()), self.relay)
            time.sleep(0.002)
        return "sent %d" % n

    def recv_caps(self, n, secs):
        got = []
        deadline = time.monotonic() + secs
        while len(got) < n:
            m = self.recv(deadline)
            if m is None:
                break
            try:
                h, _, _ = T.parse(m)
                if h.type == T.CAPSULE:
                    got.append(self.e2e.open(m).decode())
            except ValueError:
                continue
        return "recv %d %s %s" % (len(got), got[0] if got else "-", got[-1] if got else "-")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--relay", required=True)
    ap.add_argument("--port", type=int, default=7811)
    ap.add_argument("--path-id", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--e2e-key", required=True)
    ap.add_argument("--suite", type=int, default=1)
    ap.add_argument("--side", type=int, choices=(0, 1), required=True)
    node = Node(ap.parse_args())
    print("ready", flush=True)
    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        if w[0] == "quit":
            break
        if w[0] in ("hp", "ka"):
            out = node.handshake(T.HOLE_PUNCHING if w[0] == "hp" else T.KEEP_ALIVE)
        elif w[0] == "sig":
            node.signal(TYPES[w[1]], w[2].encode())
            out = "sent"
        elif w[0] == "expect":
            out = node.expect(TYPES[w[1]], float(w[2]))
        elif w[0] == "send":
            out = node.send(int(w[1]), w[2])
        elif w[0] == "recv":
            out = node.recv_caps(int(w[1]), float(w[2]))
        elif w[0] == "rebind":
            out = "port %d" % node.rebind()
        else:
            out = "error unknown command"
        print(out, flush=True)


if __name__ == "__main__":
    main()
