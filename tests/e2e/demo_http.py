"""A tiny HTTP server for `make demo` (tests/e2e/demo.sh) that says which
host it is: every GET answers "served by <name> (<addr>)".

    demo_http.py ADDR PORT NAME

It never does a reverse DNS lookup (http.server does one at bind time, which
hangs in a namespace whose default route leads nowhere). Prints one
"serving on ADDR:PORT" line when it listens; stops on SIGTERM / SIGINT.
"""
import signal
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no getfqdn()
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: demo_http.py ADDR PORT NAME")
    addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body = f"served by {name} ({addr})\n".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stdout.write("%s %s\n" % (self.client_address[0], fmt % args))
            sys.stdout.flush()

    srv = Server((addr, port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on {addr}:{port}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
