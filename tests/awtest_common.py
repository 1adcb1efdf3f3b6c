"""Helpers shared by the golden-packet, end-to-end and packaging suites (no pytest here)."""

import json
import socket


def hugepages_free():
    """Free 2 MiB hugepages now (0 when unknown): decides --no-huge."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def api_call(path, req, timeout=10.0):
    """One JSON request line to a data plane's API socket, one JSON reply line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf.decode())
