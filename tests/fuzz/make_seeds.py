#!/usr/bin/python3
"""Builds the seed corpus of every fuzz target from the test fixtures:
frames from the golden tests' builders (tests/golden/golden_common.py,
asrs_fixtures.py), TRS messages from their reference implementation
(trs_ref.py), JSON lines and API requests found in the control and golden
tests (every dict literal or JSON line with an "op" in tests/control/*.py
and tests/golden/*.py, evaluated against its module's constants), and the
golden configs. Written at run time, nothing committed:

    /usr/bin/python3 tests/fuzz/make_seeds.py OUTDIR

makes OUTDIR/<target>/<name> files, each in the input format of that target
(see the comment at the top of tests/fuzz/*/fuzz_<target>.c). Prints how many
seeds each target got."""

import ast
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "golden"))

import asrs_fixtures as af  # noqa: E402
import golden_common as gc  # noqa: E402
import trs_ref  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.packet import Raw  # noqa: E402


# -- lines and requests found in the tests -------------------------------------
def _module_env(tree):
    """Top-level NAME = expr constants of a test module (what evaluates)."""
    env = {"__builtins__": {"bytes": bytes, "str": str, "len": len, "bytearray": bytearray}}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            try:
                val = eval(compile(ast.Expression(node.value), "<seed>", "eval"), env)
            except Exception:
                continue
            for t in node.targets:
                if isinstance(t, ast.Name):
                    env[t.id] = val
                elif isinstance(t, ast.Tuple) and isinstance(val, tuple) and len(t.elts) == len(val):
                    for e, v in zip(t.elts, val):
                        if isinstance(e, ast.Name):
                            env[e.id] = v
    return env


def op_lines(paths):
    """Every JSON object with an "op" that the given test files write, as one line."""
    out = []
    for path in paths:
        with open(path) as f:
            tree = ast.parse(f.read())
        env = _module_env(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Dict, ast.Constant, ast.BinOp)):
                continue
            try:
                val = eval(compile(ast.Expression(node), "<seed>", "eval"), env)
            except Exception:
                continue
            if isinstance(val, dict) and "op" in val:
                try:
                    line = json.dumps(val, separators=(",", ":")).encode()
                except (TypeError, ValueError):
                    continue
            elif isinstance(val, (bytes, str)):
                line = val.encode() if isinstance(val, str) else val
                line = line.rstrip(b"\n")
                if not line.startswith(b'{"op"') or b"\n" in line or len(line) > 4096:
                    continue
            else:
                continue
            if line not in out:
                out.append(line)
    return out


def files_in(folder, prefix="test_"):
    d = os.path.join(TESTS, folder)
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith(".py") and (f.startswith(prefix) or f in ("ctlharness.py",
                                                                           "fake_dataplane.py")))


# -- frames ---------------------------------------------------------------------
def frames_local():
    return [
        gc.echo4(), gc.echo6(), gc.udp4(), gc.udp6(), gc.udp4(dst=gc.REMOTE_V4),
        gc.udp4(ttl=1), gc.udp6(hlim=1), gc.udp4(dst=gc.REMOTE_V4, payload=b"x" * 1400, flags=2),
        gc.arp_request(gc.P0_V4), gc.arp_request(gc.AARP4), gc.arp_reply(gc.CLIENT_V4, gc.CLIENT_MAC, gc.P0_V4, gc.P0_MAC),
        gc.ns(gc.P0_V6), gc.ns(gc.AARP6), gc.echo4(dst=gc.VIP4), gc.echo6(dst=gc.VIP6),
    ]


def frames_asrs():
    web, web6 = af.sid(af.WEB), af.sid(af.WEB6)
    shim_udp = UDP(sport=5000, dport=af.ASRS_PORT)
    return [
        af.frame4(af.tcp_seg()),
        af.frame4(af.tcp_seg(flags="A", seq=1001, ack=1, payload=b"GET / HTTP/1.0\r\n\r\n")),
        af.frame4(af.tcp_seg(flags="F")),
        af.frame4(af.tcp_seg(flags="R")),
        af.frame6(af.tcp_seg()),
        af.frame4(af.tcp_seg(dport=af.ASRS_PORT, opts=af.tcp_opt(web)), dst=af.VIP4),
        af.frame6(af.tcp_seg(dport=af.ASRS_PORT, opts=b"\x02\x04\x05\xb4" + af.tcp_opt(web6))),
        af.frame4(shim_udp / Raw(af.shim(web) + b"payload")),
        af.frame6(shim_udp / Raw(af.shim(uri=af.WEB6) + b"payload")),
        af.frame4(UDP(sport=5353, dport=53) / Raw(b"\x12\x34dns")),
        af.frame6(af.tcp_seg(dport=7), dst=af.prefix_addr(af.WEB6)),
        af.frame4(af.tcp_seg(dport=81)),
        af.frame4(af.tcp_seg(dport=82)),
        af.frame4(TCP(sport=8080, dport=1024, flags="SA"), dst=af.P1_V4, src=af.HOST_V4,
                  mac=af.P1_MAC, smac=gc.HOST_MAC),
        af.frame4(ICMP(type=3, code=4) / IP(src=af.P1_V4, dst=af.HOST_V4) / TCP(sport=1024, dport=8080),
                  dst=af.P1_V4, src=af.HOST_V4, mac=af.P1_MAC, smac=gc.HOST_MAC),
    ]


def raw(pkt):
    return bytes(af.built(pkt))


# -- TRS --------------------------------------------------------------------------
RELAY_PATHS = [(bytes([0x11] * 32), 1, bytes.fromhex("a1" * 16)),
               (bytes([0x22] * 32), 2, bytes.fromhex("b2" * 16))]


def trs_messages(key, suite, pid):
    k = trs_ref.Key(key, suite)
    H = trs_ref.Hdr
    out = []
    for i, (t, flag, pt) in enumerate([
            (trs_ref.HOLE_PUNCHING, 0, b""), (trs_ref.HOLE_PUNCHING, trs_ref.FLAG_R, b""),
            (trs_ref.TUNNEL_REQUEST, 0, b"request"), (trs_ref.TUNNEL_RESPONSE, trs_ref.FLAG_R, b"response"),
            (trs_ref.CAPSULE, 0, b"capsule" * 8), (trs_ref.CAPSULE, trs_ref.FLAG_R, b"c"),
            (trs_ref.KEEP_ALIVE, 0, b""), (trs_ref.ACK, 0, b""), (trs_ref.LOGIN_REQUEST, 0, b"x")]):
        out.append(k.seal(H(txid=i + 1, flag=flag, type=t, seq=i + 1, id=pid), pt, iv=bytes(16)))
    return out


# -- configs ----------------------------------------------------------------------
def configs():
    relays = [{"path_id": pid.hex(), "tunnel_key": key.hex(), "suite": s} for key, s, pid in RELAY_PATHS]
    relays[1]["rate"] = {"pps": 1000, "burst": 3000}
    return [
        gc.config(),
        gc.config(mode="pipeline"),
        gc.config(neighbor_cache={"max_entries": 64, "pending_packets": 4}, icmp_rate_per_s=100),
        af.asrs_config(),
        af.asrs_config(asrs={"snat_ports": {"min": 1024, "max": 1100}, "timeouts": {"tcp_syn": 1, "udp": 1}}),
        gc.config(trs={"max_paths": 64}, relays=relays),
    ]


def write(outdir, target, items):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    for i, b in enumerate(items):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(b)
    print("%-16s %d seeds" % (target, len(items)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    local = [raw(p) for p in frames_local()]
    asrs = [raw(p) for p in frames_asrs()]
    write(out, "fuzz_pkt", [bytes([i % 2]) + f for i, f in enumerate(local + asrs)])
    items = [struct.pack("!H", len(f)) + f for f in asrs]
    write(out, "fuzz_asrs", items + [b"".join(items[i:i + 4]) for i in range(0, len(items), 4)])

    relay = []
    for n, (key, suite, pid) in enumerate(RELAY_PATHS):
        for i, m in enumerate(trs_messages(key, suite, pid)):
            relay.append(bytes([(i % 2) | (n << 1)]) + m)
    write(out, "fuzz_relay", relay)
    verify = trs_messages(bytes([0x42] * 32), 1, bytes(16)) + trs_messages(bytes([0x42] * 32), 2, bytes(16))
    write(out, "fuzz_trs_msg", verify)
    write(out, "fuzz_trs_verify", verify)
    write(out, "fuzz_trs_replay", [struct.pack("!IIII", 1, 2, 70, 3), struct.pack("!IIIII", 2, 100, 99, 100, 36)])

    web = af.sid(af.WEB)
    write(out, "fuzz_shim", [af.shim(web), af.shim(uri=af.WEB), af.shim(uri=af.WEB6, pad=4),
                             af.shim(web, hdr_len=12), af.shim(uri="asrs://x", uri_len=200)])
    write(out, "fuzz_tcpopt", [af.tcp_opt(web), b"\x02\x04\x05\xb4" + af.tcp_opt(web),
                               b"\x01\x01" + af.tcp_opt(web) + b"\x01\x01\x04\x02",
                               b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x08\x0a" + bytes(8),
                               af.tcp_opt(web, length=10)])

    control = op_lines(files_in("control"))
    golden_api = op_lines(files_in("golden"))
    write(out, "fuzz_msg", control)
    changes = [l for l in control if any(l.startswith(b'{"op":"%s"' % o)
                                         for o in (b"register", b"deregister", b"relay.add", b"relay.del"))]
    write(out, "fuzz_mapd_agent", [b"\n".join(changes[i:i + 6]) for i in range(0, len(changes), 3)])
    write(out, "fuzz_asrs_api", golden_api)
    write(out, "fuzz_config", [json.dumps(c).encode() for c in configs()])
    reg = [{"services": [{"service": af.WEB, "addr": gc.HOST_V4, "port": 8080, "check": "http:/health"},
                         {"service": af.WEB6, "addr": gc.HOST_V6, "port": 8080, "priority": 1,
                          "weight": 0, "ttl": 5, "check": "none"}]}]
    write(out, "fuzz_reg_config", [b"\x00" + json.dumps(r).encode() for r in reg] +
          [b"\x01" + b"\0".join([b"--mapd", b"127.0.0.1:7810", b"--service", af.WEB.encode(), b"--addr",
                                 gc.HOST_V4.encode(), b"--port", b"8080", b"--check", b"tcp"])])


if __name__ == "__main__":
    main()
