#!/usr/bin/python3
"""Sends one TCP SYN carrying the ASRS option (SPEC §4.2 way 2: kind 253,
length 12, ExID 0x4153, 8-byte SID), built with scapy from the spec, and
reports what came back. Run inside a client namespace (the kernel routes
and resolves; scapy sends on the interface the route names).

  asrs_synopt.py HOST PORT SID_HEX [good|short]
    good   the 12-byte option
    short  a malformed one: ExID and only 6 bytes of SID (length 10)
Prints one JSON object: {"answer": "synack"|"rst"|"other"|"none",
"src", "sport", "dport", "flags"}; waits at most 3 s.
"""
import json
import sys

from scapy.all import IP, IPv6, TCP, RandShort, conf, sr1  # noqa: E402


def main(argv):
    host, port, sid, variant = argv[1], int(argv[2]), int(argv[3], 16), \
        (argv[4] if len(argv) > 4 else "good")
    value = b"\x41\x53" + sid.to_bytes(8, "big")
    if variant == "short":
        value = value[:8]
    conf.verb = 0
    ip = IPv6(dst=host) if ":" in host else IP(dst=host)
    syn = ip / TCP(sport=int(RandShort()) | 0x8000, dport=port, flags="S", seq=1000,
                   options=[("MSS", 1460), (253, value)])
    ans = sr1(syn, timeout=3)
    out = {"answer": "none"}
    if ans is not None and TCP in ans:
        t = ans[TCP]
        flags = str(t.flags)
        kind = "synack" if flags == "SA" else "rst" if "R" in flags else "other"
        out = {"answer": kind, "src": ans.src, "sport": t.sport, "dport": t.dport,
               "flags": flags, "ack": t.ack}
    elif ans is not None:
        out = {"answer": "other", "summary": ans.summary()}
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
