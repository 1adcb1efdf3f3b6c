"""CAPSULEs of the overlay gateway (SPEC §6) on top of the independent TRS
reference trs_ref.py (SPEC §5.1 message layout, §5.2 keys and suites): what an
overlay node sends to the gateway and what it accepts back. Only hashlib /
hmac / python3-cryptography (through trs_ref); never the project's C code.

    tx = Sender(end_key, suite, path_id)          # own txid, seq 1, 2, ...
    msg = tx.seal(inner_ip_packet)
    rx = Receiver(end_key, suite, path_id)
    rx.open(msg) -> inner packet, or raises Refused("bad tag" | "replay" | ...)

Suite 1: body = IV(16) || AES-256-CBC(enc, PKCS#7(inner)), tag =
HMAC-MD5(mac, header || body). Suite 2: body = AES-256-GCM(enc, inner) with
AAD = header, nonce = type || flag || 0(2) || txid || seq, tag = GCM tag.
enc / mac = HMAC-SHA256(End Key, "anyway-enc" / "anyway-mac").

The node sends with flag R = 0 (it is the Initiator of its path); what it
receives is verified with the header as sent, whatever its flag, so the GCM
nonces of the two directions differ as long as the gateway sets R = 1 (or
another txid).
"""

import os
import struct

import trs_ref as T

CAPSULE = T.CAPSULE
WINDOW = 64


class Refused(ValueError):
    """Why a capsule was dropped: its counter name in the data plane's terms."""


class Sender:
    def __init__(self, key, suite, path_id, flag=0, txid=None):
        self.key = T.Key(key, suite)
        self.pid = path_id
        self.flag = flag
        self.txid = txid if txid is not None else struct.unpack("!I", os.urandom(4))[0]
        self.seq = 0

    def seal(self, inner, iv=None):
        self.seq += 1
        if self.seq >= 1 << 32:
            raise OverflowError("a key is never used for 2^32 messages by one sender")
        h = T.Hdr(txid=self.txid, flag=self.flag, type=CAPSULE, seq=self.seq, id=self.pid)
        return self.key.seal(h, inner, iv=iv) if self.key.suite == 1 else self.key.seal(h, inner)


class ReplayWindow:
    """The 64-message anti-replay window of SPEC §5.2 (per path and side)."""

    def __init__(self, size=WINDOW):
        self.size, self.top, self.bits = size, 0, 0

    def check(self, seq):
        """True when seq is new (and records it), False when old or repeated."""
        if seq == 0:
            return False
        if seq > self.top:
            shift = seq - self.top
            self.bits = ((self.bits << shift) | 1) & ((1 << self.size) - 1) if shift < self.size else 1
            self.top = seq
            return True
        off = self.top - seq
        if off >= self.size or self.bits >> off & 1:
            return False
        self.bits |= 1 << off
        return True


class Receiver:
    def __init__(self, key, suite, path_id):
        self.key = T.Key(key, suite)
        self.pid = path_id
        self.window = ReplayWindow()

    def open(self, msg):
        """The inner packet of a capsule for this path, or raises Refused."""
        try:
            h, body, _ = T.parse(msg)
        except ValueError as e:
            raise Refused("malformed: %s" % e)
        if h.type != CAPSULE:
            raise Refused("not a capsule: type 0x%02x" % h.type)
        if h.id != self.pid:
            raise Refused("unknown path")
        if not self.key.verify(msg):
            raise Refused("bad tag")
        if not self.window.check(h.seq):
            raise Refused("replay")
        try:
            return self.key.open(msg)
        except ValueError as e:  # suite 1: padding or body length (after a good tag)
            raise Refused(str(e))
