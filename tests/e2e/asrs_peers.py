#!/usr/bin/python3
"""Traffic endpoints for the ASRS end-to-end tests, run inside namespaces.

Also imported by the tests for the ASRS shim and service ID, built here in
Python from SPEC §4.1/§4.2 alone (never from the project's C code), so the
tests check the data plane against an independent reading of the spec.

Plain kernel sockets, standard library only. Servers print one flushed line
"listening HOST PORT" once they accept traffic; every blocking call has a
timeout; servers exit after SERVER_LIFETIME_S (or IDLE_LIMIT_S idle).

  asrs_peers.py http NAME HOST PORT        HTTP server: GET / answers
                                           "NAME <client addr> <client port>\\n",
                                           GET /blob/N N bytes of payload(N, 0)
  asrs_peers.py who NAME HOST PORT         TCP line server, a thread per connection:
                                           each line L gets "NAME <client addr>
                                           <client port> L\\n"
  asrs_peers.py hold HOST PORT             TCP client kept open: prints "connected
                                           <local port>", then sends each stdin
                                           line and prints "reply <answer>";
                                           exits at stdin EOF
  asrs_peers.py udp-hold HOST PORT MODE    hold for UDP with the shim (MODE as for
                                           shim-ping): one socket, each stdin line
                                           one datagram, prints "reply <echo>" or
                                           "reply (timeout)" / "reply (refused)"
  asrs_peers.py who-many HOST PORT N       N sequential connections to a who server,
                                           one line each; prints a JSON object
                                           {server name: connections}
  asrs_peers.py udp-echo NAME HOST PORT    echoes every datagram unchanged and prints
                                           "got <src addr> <src port> <len> <hex of
                                           the first 16 bytes> NAME ttl=<TTL / hop
                                           limit it arrived with>"
  asrs_peers.py shim-ping HOST PORT MODE SIZES
                                           UDP client adding the ASRS shim; MODE is
                                           sid:URI (16-byte shim, SID only),
                                           uri:URI (U flag, SID field 0) or
                                           urisid:URI (U flag, SID field = SID(URI)),
                                           badver:URI (as sid: but version 2);
                                           one datagram per size, expects the payload
                                           back without shim; prints a JSON list of
                                           {size, result: ok|refused|timeout|mismatch,
                                           ttl: of the reply, -1 when none}
"""
import hashlib
import http.server
import json
import random
import socket
import socketserver
import sys
import threading
import time

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux value; Python 3.11 lacks the name
IDLE_LIMIT_S = 600  # idle sockets; the tests kill us long before
SERVER_LIFETIME_S = 900
ASRS_PORT = 6868


# --------------------------------------------------------------------------
# SPEC §4.1 / §4.2, independently


def sid_of(uri):
    """Service ID: first 8 bytes of SHA-256(URI), big-endian."""
    return int.from_bytes(hashlib.sha256(uri.encode()).digest()[:8], "big")


def build_shim(sid=None, uri=None, sid_field=None):
    """The UDP shim: magic "AS", ver 1, flags (bit0 U), hdr_len (total bytes,
    multiple of 4, >= 16), reserved, SID (64 bits), and with U: uri_len (16
    bits) and the URI, zero-padded to hdr_len. With uri, the SID field is
    sid_field (default 0)."""
    if uri is None:
        return b"AS" + bytes([1, 0]) + (16).to_bytes(2, "big") + b"\0\0" + \
            sid.to_bytes(8, "big")
    u = uri.encode()
    hdr_len = (18 + len(u) + 3) // 4 * 4
    body = b"AS" + bytes([1, 1]) + hdr_len.to_bytes(2, "big") + b"\0\0" + \
        (sid_field or 0).to_bytes(8, "big") + len(u).to_bytes(2, "big") + u
    return body + b"\0" * (hdr_len - len(body))


def shim_for(mode):
    kind, uri = mode.split(":", 1)
    if kind == "sid":
        return build_shim(sid=sid_of(uri))
    if kind == "uri":
        return build_shim(uri=uri)
    if kind == "urisid":
        return build_shim(uri=uri, sid_field=sid_of(uri))
    if kind == "badver":  # malformed on purpose: version 2
        shim = bytearray(build_shim(sid=sid_of(uri)))
        shim[2] = 2
        return bytes(shim)
    raise ValueError(f"unknown shim mode {kind!r}")


def service_addr6(prefix, uri):
    """IPv6 service address: the /64 prefix with the SID as the low 64 bits."""
    import ipaddress
    net = ipaddress.IPv6Network(prefix)
    assert net.prefixlen == 64, prefix
    return str(ipaddress.IPv6Address(int(net.network_address) | sid_of(uri)))


def payload(size, seed):
    return random.Random(seed).randbytes(size)


# --------------------------------------------------------------------------
# servers


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def plain_addr(addr):
    """'::ffff:10.1.2.3' (a v4 client on a dual-stack socket) -> '10.1.2.3'."""
    return addr[7:] if addr.startswith("::ffff:") else addr


class _DualStack:
    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve(srv, host, port):
    """Serves from a thread for at most SERVER_LIFETIME_S (the test kills
    us long before)."""
    with srv:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        print("listening", host, port, flush=True)
        time.sleep(SERVER_LIFETIME_S)
        srv.shutdown()
    return 0


def http_server(name, host, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/blob/"):  # /blob/N: N bytes of payload(N, 0)
                body = payload(min(int(self.path[6:] or 0), 64 << 20), 0)
            else:
                body = f"{name} {plain_addr(self.client_address[0])} " \
                       f"{self.client_address[1]}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet: nobody drains our stdout
            pass

    class Server(_DualStack, http.server.ThreadingHTTPServer):
        address_family = family_of(host)
        allow_reuse_address = True

    serve(Server((host, port), Handler), host, port)


def who_server(name, host, port):
    class Handler(socketserver.StreamRequestHandler):
        timeout = IDLE_LIMIT_S

        def handle(self):
            peer, pport = plain_addr(self.client_address[0]), self.client_address[1]
            while True:
                try:
                    line = self.rfile.readline(4096)
                except OSError:
                    return
                if not line:
                    return
                text = line.decode(errors="replace").strip()
                self.wfile.write(f"{name} {peer} {pport} {text}\n".encode())

    class Server(_DualStack, socketserver.ThreadingTCPServer):
        address_family = family_of(host)
        allow_reuse_address = True
        daemon_threads = True

    serve(Server((host, port), Handler), host, port)


def want_ttl(s):
    """Asks the kernel for the TTL / hop limit of each received datagram."""
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)  # v4 (also v4-mapped)
    if s.family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)


def recv_with_ttl(s):
    """(data, addr, ttl or -1 when the kernel gave none)."""
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(4))
    ttl = -1
    for level, kind, value in anc:
        if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL),
                             (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
            ttl = int.from_bytes(value[:4], sys.byteorder)
    return data, addr, ttl


def udp_echo(name, host, port):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    if family_of(host) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    want_ttl(s)
    s.bind((host, port))
    s.settimeout(IDLE_LIMIT_S)
    print("listening", host, port, flush=True)
    while True:
        try:
            data, addr, ttl = recv_with_ttl(s)
        except socket.timeout:
            return 0
        print("got", plain_addr(addr[0]), addr[1], len(data), data[:16].hex(), name,
              f"ttl={ttl}", flush=True)
        s.sendto(data, addr)


# --------------------------------------------------------------------------
# clients


def hold(host, port):
    with socket.create_connection((host, port), timeout=10) as s:
        s.settimeout(10)
        f = s.makefile("rwb")
        print("connected", s.getsockname()[1], flush=True)
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            f.write(line.encode())
            f.flush()
            answer = f.readline(4096)
            print("reply", answer.decode(errors="replace").strip(), flush=True)
    return 0


def udp_hold(host, port, mode):
    """The UDP counterpart of hold: one socket (one session), the shim on
    every datagram; each stdin line is one datagram, the echo (3 tries of
    1 s) is printed as "reply <text>" or "reply (timeout)"."""
    shim = shim_for(mode)
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        s.settimeout(1.0)
        print("connected", s.getsockname()[1], flush=True)
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            answer = "(timeout)"
            for _ in range(3):
                s.send(shim + line.strip().encode())
                try:
                    answer = s.recv(65535).decode(errors="replace")
                    break
                except socket.timeout:
                    continue
                except ConnectionRefusedError:
                    answer = "(refused)"
                    break
            print("reply", answer, flush=True)
    return 0


def who_many(host, port, n):
    counts = {}
    for i in range(n):
        with socket.create_connection((host, port), timeout=10) as s:
            s.settimeout(10)
            f = s.makefile("rwb")
            f.write(f"conn-{i}\n".encode())
            f.flush()
            name = f.readline(4096).decode(errors="replace").split(" ", 1)[0] or "(none)"
        counts[name] = counts.get(name, 0) + 1
    print(json.dumps(counts), flush=True)
    return 0


def shim_ping(host, port, mode, sizes):
    shim = shim_for(mode)
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    want_ttl(s)
    s.connect((host, port))  # only the VIP:port we sent to may answer
    s.settimeout(1.0)
    results = []
    for i, size in enumerate(sizes):
        data = payload(size, i)
        result, ttl = "timeout", -1
        for _ in range(3):
            try:
                s.send(shim + data)
                got, _, ttl = recv_with_ttl(s)
            except socket.timeout:
                continue
            except ConnectionRefusedError:  # ICMP port unreachable came back
                result = "refused"
                break
            result = "ok" if got == data else "mismatch"
            break
        results.append({"size": size, "result": result, "ttl": ttl})
    print(json.dumps(results), flush=True)
    return 0 if all(r["result"] == "ok" for r in results) else 1


def main(argv):
    try:
        cmd = argv[1]
        if cmd == "http":
            return http_server(argv[2], argv[3], int(argv[4]))
        if cmd == "who":
            return who_server(argv[2], argv[3], int(argv[4]))
        if cmd == "udp-echo":
            return udp_echo(argv[2], argv[3], int(argv[4]))
        if cmd == "hold":
            return hold(argv[2], int(argv[3]))
        if cmd == "udp-hold":
            return udp_hold(argv[2], int(argv[3]), argv[4])
        if cmd == "who-many":
            return who_many(argv[2], int(argv[3]), int(argv[4]))
        if cmd == "shim-ping":
            return shim_ping(argv[2], int(argv[3]), argv[4],
                             [int(x) for x in argv[5].split(",")])
    except IndexError:
        pass
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
