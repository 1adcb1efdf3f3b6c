"""Independent Python model of the anycast cluster (doc/cluster.md): the
owner table (rendezvous hashing), the flow hash, the cluster header and its
SipHash-2-4 tag. Written from the documentation; calls no code of ours."""
import struct

M64 = (1 << 64) - 1
ROWS = 65536
NONE = 0xFF
SEED = 0x616E79776179636C
STATES = ("active", "draining", "down")


def mix64(x):
    x &= M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def score(member_id, row):
    return mix64(fnv1a64(member_id) + (row + 1) * 0x9E3779B97F4A7C15)


def sorted_members(members):
    """members: [(id, addr, state)] -> sorted by id (bytewise)."""
    return sorted(members, key=lambda m: m[0].encode())


def owner_row(members, row):
    """(primary index, secondary index) of one row, NONE when absent."""
    ms = sorted_members(members)
    ranked = sorted(((score(m[0], row), -i, i) for i, m in enumerate(ms) if m[2] != "down"),
                    reverse=True)
    actives = [i for _, _, i in ranked if ms[i][2] == "active"]
    if not actives:
        return NONE, NONE
    prim = actives[0]
    others = [i for _, _, i in ranked if i != prim]
    return prim, (others[0] if others else NONE)


def flow_hash_words(words):
    h = SEED
    for w in words:
        h = mix64(h ^ w)
    return h


def asrs_key_words(client, cport, vip, vport, proto, v6=False):
    """The 40-byte ASRS key: client (16, IPv4 zero padded), VIP (16), client
    port, VIP port (network order), proto, v6, 2 zero bytes; 5 LE words."""
    import ipaddress
    c = ipaddress.ip_address(client).packed.ljust(16, b"\0")
    v = ipaddress.ip_address(vip).packed.ljust(16, b"\0")
    key = c + v + struct.pack("!HH", cport, vport) + bytes([proto, 1 if v6 else 0, 0, 0])
    return list(struct.unpack("<5Q", key))


def row_of_flow(client, cport, vip, vport, proto, v6=False):
    return flow_hash_words(asrs_key_words(client, cport, vip, vport, proto, v6)) >> 48


def row_of_path(path_id):
    """Row of a TRS path: its 16-byte PathID as two little-endian words."""
    return flow_hash_words(list(struct.unpack("<2Q", path_id))) >> 48


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(k0, k1, data):
    v0, v1 = 0x736F6D6570736575 ^ k0, 0x646F72616E646F6D ^ k1
    v2, v3 = 0x6C7967656E657261 ^ k0, 0x7465646279746573 ^ k1

    def rnd(v0, v1, v2, v3):
        v0 = (v0 + v1) & M64; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        return v0, v1, v2, v3

    n = len(data)
    full = n - n % 8
    for i in range(0, full, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = rnd(*rnd(v0, v1, v2, v3))
        v0 ^= m
    b = (n << 56) & M64
    for i, x in enumerate(data[full:]):
        b |= x << (8 * i)
    v3 ^= b
    v0, v1, v2, v3 = rnd(*rnd(v0, v1, v2, v3))
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def sip_key(key_hex):
    k = bytes.fromhex(key_hex)
    x = bytes(a ^ b for a, b in zip(k[:16], k[16:]))
    return int.from_bytes(x[:8], "little"), int.from_bytes(x[8:], "little")


def header(key_hex, epoch, hop_idx, hops):
    hl = list(hops) + [NONE] * (2 - len(hops))
    head = b"AC" + bytes([1, hop_idx, len(hops), hl[0], hl[1], 0]) + struct.pack("!Q", epoch)
    tag = siphash24(*sip_key(key_hex), head)
    return head + tag.to_bytes(8, "little")


def synproxy_secret(key_hex):
    """The SYN cookie master secret every member derives from cluster.key when
    asrs.synproxy.secret is not given (doc/cluster.md), as 32 hex digits."""
    k0, k1 = sip_key(key_hex)
    words = [siphash24(k0, k1, ("anyway synproxy secret %d" % i).encode()) for i in (0, 1)]
    return struct.pack("<2Q", *words).hex()
