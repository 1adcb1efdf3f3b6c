"""Reference of the ASRS SYN cookie (lib/asrs/aw_syncookie.h), written
independently in Python for the golden tests: SipHash-2-4, the key of a
generation, the cookie layout."""

import struct
import time

MSS_TAB = [536, 1200, 1220, 1280, 1360, 1400, 1440, 1460]
M64 = (1 << 64) - 1


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(k0, k1, data):
    v0 = 0x736F6D6570736575 ^ k0
    v1 = 0x646F72616E646F6D ^ k1
    v2 = 0x6C7967656E657261 ^ k0
    v3 = 0x7465646279746573 ^ k1

    def rnd(v0, v1, v2, v3):
        v0 = (v0 + v1) & M64; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = _rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = _rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)
        return v0, v1, v2, v3

    n = len(data)
    full = n - n % 8
    for i in range(0, full, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v3 ^= m
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
        v0 ^= m
    b = (n & 0xFF) << 56
    for i, c in enumerate(data[full:]):
        b |= c << (8 * i)
    v3 ^= b
    v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def mss_idx(mss):
    i = len(MSS_TAB) - 1
    while i > 0 and MSS_TAB[i] > mss:
        i -= 1
    return i


def cookie(secret_hex, gen, src, dst, sport, dport, isn, mss_index, v6=False):
    """src/dst: packed addresses (4 or 16 bytes)."""
    s = bytes.fromhex(secret_hex)
    k0, k1 = struct.unpack("<QQ", s)
    g = struct.pack("<Q", gen)
    gk0 = siphash24(k0, k1, b"AWSC" + g)
    gk1 = siphash24(k0, k1, b"awsc" + g)
    data = (src.ljust(16, b"\0") + dst.ljust(16, b"\0") + struct.pack("!HH", sport, dport) +
            struct.pack("<I", isn & 0xFFFFFFFF) + bytes([6 if v6 else 4, mss_index, 0, 0]))
    h = siphash24(gk0, gk1, data) & 0x7FFFFFF
    return ((gen & 3) << 30) | (mss_index << 27) | h


def safe_generation(period):
    """The current generation, after waiting out the last 10 s of one (so
    that the router, started right after, is in the same generation)."""
    t = time.time()
    if t % period > period - 10:
        time.sleep(period - t % period + 0.5)
    return int(time.time()) // period
