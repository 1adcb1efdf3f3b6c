"""Independent Python implementation of the TRS message format and cipher
suites (SPEC §5.1, §5.2), for the golden and end-to-end tests. It uses only
hashlib/hmac and python3-cryptography; it never calls the project's C code.

    k = Key(bytes(32), suite=1)
    msg = k.seal(Hdr(txid=1, type=HOLE_PUNCHING, seq=1, id=pid), b"hello")
    k.verify(msg)      -> True / False
    k.open(msg)        -> plaintext (raises ValueError on a bad tag)
"""

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HDR_LEN, TAG_LEN = 32, 16
MIN_LEN = HDR_LEN + TAG_LEN
VERSION = 1
FLAG_R = 0x01

ACK, KEEP_ALIVE = 0x01, 0x22
HOLE_PUNCHING, TUNNEL_REQUEST, TUNNEL_RESPONSE, CAPSULE = 0x50, 0x51, 0x52, 0x60
LOGIN_REQUEST = 0x10

_HDR = struct.Struct("!IBBBBIHBB16s")


@dataclass
class Hdr:
    txid: int = 0
    flag: int = 0
    type: int = CAPSULE
    count: int = 0
    seq: int = 0
    msg_len: int = 0
    next_opt: int = 0
    reserved: int = 0
    id: bytes = field(default=bytes(16))
    version: int = VERSION

    def pack(self):
        return _HDR.pack(self.txid, self.version, self.flag, self.type, self.count, self.seq,
                         self.msg_len, self.next_opt, self.reserved, self.id)

    @classmethod
    def unpack(cls, b):
        t = _HDR.unpack(b[:HDR_LEN])
        return cls(txid=t[0], version=t[1], flag=t[2], type=t[3], count=t[4], seq=t[5],
                   msg_len=t[6], next_opt=t[7], reserved=t[8], id=t[9])


def kdf(key):
    enc = hmac.new(key, b"anyway-enc", hashlib.sha256).digest()
    mac = hmac.new(key, b"anyway-mac", hashlib.sha256).digest()
    return enc, mac


def _pkcs7(b):
    n = 16 - len(b) % 16
    return b + bytes([n]) * n


def _unpkcs7(b):
    n = b[-1] if b else 0
    if n < 1 or n > 16 or b[-n:] != bytes([n]) * n:
        raise ValueError("bad padding")
    return b[:-n]


class Key:
    def __init__(self, key, suite):
        assert len(key) == 32 and suite in (1, 2)
        self.raw, self.suite = key, suite
        self.enc, self.mac = kdf(key)

    @staticmethod
    def nonce(hdr_bytes):
        # type(1) || flag(1) || 0(2) || txid(4) || seq(4), from the header bytes
        return hdr_bytes[6:7] + hdr_bytes[5:6] + b"\0\0" + hdr_bytes[0:4] + hdr_bytes[8:12]

    def _tag(self, header, body):
        if self.suite == 1:
            return hmac.new(self.mac, header + body, hashlib.md5).digest()
        # GCM tag of ciphertext `body`: recover the plaintext with the CTR
        # keystream (counter 2 onwards), then encrypt it with AESGCM.
        nonce = self.nonce(header)
        ctr = Cipher(algorithms.AES(self.enc), modes.CTR(nonce + b"\0\0\0\x02")).encryptor()
        pt = ctr.update(body) + ctr.finalize()
        ct = AESGCM(self.enc).encrypt(nonce, pt, header)
        assert ct[:-16] == body
        return ct[-16:]

    def sign(self, hdr, body=b""):
        """Header + body as given (already ciphertext) + tag."""
        h = replace(hdr, msg_len=MIN_LEN + len(body)).pack()
        return h + body + self._tag(h, body)

    def seal(self, hdr, plaintext=b"", iv=None):
        if self.suite == 1:
            iv = iv if iv is not None else os.urandom(16)
            enc = Cipher(algorithms.AES(self.enc), modes.CBC(iv)).encryptor()
            body = iv + enc.update(_pkcs7(plaintext)) + enc.finalize()
            return self.sign(hdr, body)
        h = replace(hdr, msg_len=MIN_LEN + len(plaintext)).pack()
        ct = AESGCM(self.enc).encrypt(self.nonce(h), plaintext, h)
        return h + ct

    def verify(self, msg):
        if len(msg) < MIN_LEN or struct.unpack("!H", msg[12:14])[0] != len(msg):
            return False
        h, body, tag = msg[:HDR_LEN], msg[HDR_LEN:-TAG_LEN], msg[-TAG_LEN:]
        return hmac.compare_digest(self._tag(h, body), tag)

    def open(self, msg):
        if not self.verify(msg):
            raise ValueError("bad tag")
        h, body = msg[:HDR_LEN], msg[HDR_LEN:-TAG_LEN]
        if self.suite == 1:
            if len(body) < 32 or len(body) % 16:
                raise ValueError("bad body length")
            dec = Cipher(algorithms.AES(self.enc), modes.CBC(body[:16])).decryptor()
            return _unpkcs7(dec.update(body[16:]) + dec.finalize())
        return AESGCM(self.enc).decrypt(self.nonce(h), body + msg[-TAG_LEN:], h)


def parse(msg):
    """Strict parse as the relay does it: (Hdr, body, tag) or raises ValueError."""
    if len(msg) < MIN_LEN:
        raise ValueError("truncated")
    h = Hdr.unpack(msg)
    if h.version != VERSION:
        raise ValueError("version")
    if h.msg_len != len(msg):
        raise ValueError("msg_len")
    return h, msg[HDR_LEN:-TAG_LEN], msg[-TAG_LEN:]
