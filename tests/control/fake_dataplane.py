#!/usr/bin/env python3
"""TEST DOUBLE of the anyway-dataplane JSON API — not the data plane.

A small unix-socket server that implements the ASRS and TRS table methods of
dataplane/API.md (service.set/del/list, relay.add/del/get/list,
gateway.add/del/get/list (fake_gateway.py), with the batch forms, plus ping, and
cluster.set / cluster.get of SPEC §8: a lower epoch is refused, the same epoch with
another member list too) with the documented validation (a request is checked
whole, then applied whole; unknown arguments are errors; errors read
"key.path: what was expected"), keeping its state in memory. It lets the
control-plane tests and the push-latency tool run anyway-agent without DPDK.

Test-only methods: {"op": "dump"} → {"ok": true, "services": {uri: [dest]},
"relays": {path_id: entry (key included)}, "gateways": {path_id: entry
(key included)}, "calls": {op: n}, "items": n,
"set_time": {uri: time.monotonic() of its last service.set}};
{"op": "wait_applied", "service": URI, "weight": W} → answered once the
service has a destination of weight W, with "t": the CLOCK_MONOTONIC time
(time.monotonic()) at which the service.set that did it was applied;
{"op": "wait_services", "count": N} → answered once N services are known, with
"t" likewise (both used by bench/control/push_latency.py);
{"op": "set_sessions", "n": N} → the count `stats` reports as asrs.sessions
(`stats` has only that and `ports` here; drain tests); vip.list lists the --vip addresses;
{"op": "set_link", "port": NAME, "up": BOOL|null} → the `link_up` stats reports for the
--port NAME (`stats.ports[]`: one {port, name, link_up} per --port, link_up left out after
"up": null; health-rule tests).

    fake_dataplane.py --socket PATH [--no-asrs] [--no-trs] [--no-gateway] [--no-validate]
                      [--refuse PREFIX] [--vip ADDR]... [--port NAME]...

--refuse PREFIX makes service.set refuse services whose URI starts with
PREFIX, and relay.add / gateway.add entries whose path_id does (as a data plane whose table
is full would): the whole request is refused, so the caller must retry the
others alone.

--no-validate is for bench/control/push_latency.py only: batch service.set
calls are stored without being checked, so that the Python double is not the
bottleneck when the agent's own rate is measured.
"""

import argparse
import ipaddress
import json
import os
import selectors
import signal
import socket
import sys
import time

from fake_gateway import GatewayMethods

MAX_LINE = 1 << 20
MAX_BATCH = 10000


class Bad(Exception):
    pass


def want_int(obj, key, path, lo, hi, default=None):
    if key not in obj:
        if default is None:
            raise Bad("%s%s: missing required field" % (path, key))
        return default
    v = obj[key]
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise Bad("%s%s: expected integer %d..%d, got %s" % (path, key, lo, hi, json.dumps(v)[:40]))
    return v


def want_keys(obj, path, allowed):
    if not isinstance(obj, dict):
        raise Bad("%s: expected object" % (path.rstrip(".") or "request"))
    for k in obj:
        if k not in allowed:
            raise Bad("%s%s: unknown field" % (path, k))


def want_uri(v, path):
    if not isinstance(v, str) or not 1 <= len(v) <= 255 or any(not 0x20 <= ord(c) <= 0x7e for c in v):
        raise Bad("%s: expected a service URI of 1..255 printable ASCII characters" % path)
    return v


def want_hex(obj, key, path, n):
    v = obj.get(key)
    if v is None:
        raise Bad("%s%s: missing required field" % (path, key))
    if not isinstance(v, str) or len(v) != n or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise Bad("%s%s: expected %d hex digits" % (path, key, n))
    return v.lower()


def dest(d, path):
    want_keys(d, path, ("addr", "port", "priority", "weight"))
    a = d.get("addr")
    try:
        addr = str(ipaddress.ip_address(a))
    except (ValueError, TypeError):
        raise Bad("%saddr: expected an IPv4 or IPv6 address" % path)
    return {"addr": addr, "port": want_int(d, "port", path, 1, 65535),
            "priority": want_int(d, "priority", path, 0, 65535, 0),
            "weight": want_int(d, "weight", path, 0, 65535, 100)}


def service_entry(obj, path):
    want_keys(obj, path, ("op", "service", "destinations") if not path else ("service", "destinations"))
    uri = want_uri(obj.get("service"), path + "service")
    ds = obj.get("destinations")
    if not isinstance(ds, list):
        raise Bad("%sdestinations: expected array" % path)
    out, seen = [], set()
    for i, d in enumerate(ds):
        e = dest(d, "%sdestinations[%d]." % (path, i))
        if (e["addr"], e["port"]) in seen:
            raise Bad("%sdestinations[%d]: duplicate addr and port" % (path, i))
        seen.add((e["addr"], e["port"]))
        out.append(e)
    return uri, out


RELAY_KEYS = ("path_id", "tunnel_key", "suite", "idle_timeout_s", "bind_timeout_s", "rate")


def relay_entry(obj, path, top):
    want_keys(obj, path, RELAY_KEYS + (("op",) if top else ()))
    e = {"path_id": want_hex(obj, "path_id", path, 32), "tunnel_key": want_hex(obj, "tunnel_key", path, 64),
         "suite": want_int(obj, "suite", path, 1, 2),
         "idle_timeout_s": want_int(obj, "idle_timeout_s", path, 1, 65535, 300),
         "bind_timeout_s": want_int(obj, "bind_timeout_s", path, 1, 65535, 30)}
    if "rate" in obj:  # the data plane's limits (dataplane/CONFIG.md, lib/proto aw_msg_check.h)
        r = obj["rate"]
        want_keys(r, path + "rate.", ("pps", "bytes_per_s", "burst"))
        hi = {"pps": 10**9, "bytes_per_s": 10**12, "burst": 10**6}
        e["rate"] = {k: want_int(r, k, path + "rate.", 0 if k != "burst" else 1, hi[k], 0 if k != "burst" else 64)
                     for k in ("pps", "bytes_per_s", "burst")}
        if e["rate"]["pps"] == 0 and e["rate"]["bytes_per_s"] == 0:
            raise Bad("%srate: expected pps and/or bytes_per_s above 0" % path)
    return e


def batch(req, single, plural, allowed_single):
    if plural in req:
        want_keys(req, "", ("op", plural))
        items = req[plural]
        if not isinstance(items, list) or len(items) > MAX_BATCH:
            raise Bad("%s: expected array of at most %d items" % (plural, MAX_BATCH))
        return True, items
    want_keys(req, "", ("op",) + allowed_single)
    return False, [req]


class FakeDataplane(GatewayMethods):
    def __init__(self, asrs=True, trs=True, validate=True, refuse=None, gateway=True):
        self.asrs, self.trs, self.validate, self.refuse = asrs, trs, validate, refuse
        self.gateway, self.h = gateway, sys.modules[__name__]
        self.services = {}
        self.relays = {}
        self.gateways = {}
        self.calls = {}
        self.items = 0
        self.set_time = {}  # uri -> time.monotonic() of its last service.set
        self.last_set = None  # time.monotonic() of the last service.set
        self.cluster_epoch = 0
        self.cluster_members = []
        self.cluster_sets = 0
        self.cluster_refused = 0
        self.sessions = 0  # what stats reports as asrs.sessions (test-only set_sessions)
        self.vips = []  # --vip ADDR: what vip.list lists
        self.ports = {}  # --port NAME: name -> link_up (test-only set_link)

    def handle(self, req):
        if not isinstance(req, dict):
            raise Bad("request: expected a JSON object")
        op = req.get("op")
        if not isinstance(op, str):
            raise Bad("op: missing required field (string)")
        self.calls[op] = self.calls.get(op, 0) + 1
        if op == "ping":
            want_keys(req, "", ("op",))
            return {"pong": True, "version": "fake"}
        if op == "dump":
            return {"services": self.services, "relays": self.relays, "gateways": self.gateways,
                    "calls": self.calls, "items": self.items, "set_time": self.set_time}
        fn = getattr(self, "op_" + op.replace(".", "_"), None)
        if fn is None:
            raise Bad("op: unknown method '%s' (known: ping, service.set, service.del, service.list, "
                      "relay.add, relay.del, relay.get, relay.list, gateway.add, gateway.del, "
                      "gateway.get, gateway.list, cluster.set, cluster.get, stats, vip.list)" % op[:64])
        if op.startswith("service.") and not self.asrs:
            raise Bad("asrs is not enabled in the config")
        if op.startswith("relay.") and not self.trs:
            raise Bad("trs is not enabled in the config")
        if op.startswith("gateway.") and not self.gateway:
            raise Bad("gateway is not enabled in the config")
        return fn(req)

    def op_vip_list(self, req):
        want_keys(req, "", ("op",))
        return {"vips": [{"addr": a, "aarp": False} for a in self.vips]}

    def op_stats(self, req):
        want_keys(req, "", ("op",))
        return {"asrs": {"sessions": self.sessions},
                "ports": [dict({"port": i, "name": n}, **({} if up is None else {"link_up": up}))
                          for i, (n, up) in enumerate(self.ports.items())]}

    def op_set_link(self, req):
        """Test-only: the link state stats reports for a --port (up null: no link_up
        field, as a data plane that does not report it)."""
        want_keys(req, "", ("op", "port", "up"))
        if req.get("port") not in self.ports or not isinstance(req.get("up"), (bool, type(None))):
            raise Bad("set_link: expected port: a --port name, up: boolean or null")
        self.ports[req["port"]] = req["up"]
        return {}

    def op_set_sessions(self, req):
        """Test-only: the session count stats reports (drain tests)."""
        want_keys(req, "", ("op", "n"))
        self.sessions = want_int(req, "n", "", 0, 1 << 40)
        return {}

    def op_cluster_set(self, req):
        """As the data plane's cluster.set: checked whole; a lower epoch is
        refused, the same epoch with another list too."""
        want_keys(req, "", ("op", "epoch", "members"))
        try:
            epoch = want_int(req, "epoch", "", 0, (1 << 64) - 1)
            members = req.get("members")
            if not isinstance(members, list) or len(members) > 64:
                raise Bad("members: expected an array of at most 64 members")
            seen = set()
            for i, m in enumerate(members):
                path = "members[%d]." % i
                want_keys(m, path, ("id", "addr", "state"))
                mid = m.get("id")
                if not isinstance(mid, str) or not 1 <= len(mid) <= 64:
                    raise Bad("%sid: expected 1..64 characters" % path)
                if mid in seen:
                    raise Bad("%sid: duplicate member '%s'" % (path, mid))
                seen.add(mid)
                try:
                    ipaddress.ip_address(m.get("addr"))
                except ValueError:
                    raise Bad("%saddr: expected an IP address" % path)
                if m.get("state") not in ("active", "draining", "down"):
                    raise Bad("%sstate: expected active, draining or down" % path)
            if epoch < self.cluster_epoch:
                raise Bad("epoch: stale epoch %d < %d" % (epoch, self.cluster_epoch))
            if epoch == self.cluster_epoch and members != self.cluster_members:
                raise Bad("epoch: %d already applied with another member list" % epoch)
        except Bad:
            self.cluster_refused += 1
            raise
        self.cluster_epoch, self.cluster_members = epoch, members
        self.cluster_sets += 1
        return {}

    def op_cluster_get(self, req):
        want_keys(req, "", ("op",))
        return {"id": "", "epoch": self.cluster_epoch, "members": self.cluster_members,
                "counters": {"sets": self.cluster_sets, "refused": self.cluster_refused}}

    def op_service_set(self, req):
        if not self.validate and "services" in req:
            now = time.monotonic()
            for it in req["services"]:
                self.services[it["service"]] = it["destinations"]
                self.set_time[it["service"]] = now
            self.last_set = now
            self.items += len(req["services"])
            return {"applied": len(req["services"])}
        many, items = batch(req, "service", "services", ("service", "destinations"))
        parsed = [service_entry(it, "services[%d]." % i if many else "") for i, it in enumerate(items)]
        for i, (uri, _) in enumerate(parsed):
            if self.refuse and uri.startswith(self.refuse):
                raise Bad("%sservice: table full (refused by --refuse)" % ("services[%d]." % i if many else ""))
        now = time.monotonic()
        for uri, ds in parsed:  # validated whole, now applied whole
            self.services[uri] = ds
            self.set_time[uri] = now
        self.last_set = now
        self.items += len(parsed)
        return {"applied": len(parsed)} if many else {"service": parsed[0][0], "sid": "0" * 16}

    def op_service_del(self, req):
        many, items = batch(req, "service", "services", ("service",))
        uris = [want_uri(u, "services[%d]" % i) for i, u in enumerate(items)] if many else \
            [want_uri(req.get("service"), "service")]
        removed = sum(1 for u in uris if self.services.pop(u, None) is not None)
        self.items += len(uris)
        return {"removed": removed} if many else {"service": uris[0], "existed": removed == 1}

    def op_service_list(self, req):
        want_keys(req, "", ("op",))
        return {"services": [{"service": u, "sid": "0" * 16, "destinations": d} for u, d in self.services.items()]}

    def op_relay_add(self, req):
        many, items = batch(req, "relay", "relays", RELAY_KEYS)
        es = [relay_entry(it, "relays[%d]." % i if many else "", not many) for i, it in enumerate(items)]
        for i, e in enumerate(es):
            if self.refuse and e["path_id"].startswith(self.refuse):
                raise Bad("%spath_id: relay table full (refused by --refuse)" % ("relays[%d]." % i if many else ""))
        existed = False
        for e in es:
            existed = self.relays.get(e["path_id"]) == e
            self.relays[e["path_id"]] = e
        self.items += len(es)
        return {"applied": len(es)} if many else {"path_id": es[0]["path_id"], "existed": existed}

    def op_relay_del(self, req):
        many, items = batch(req, "relay", "path_ids", ("path_id",))
        if many:
            pids = [want_hex({"p": p}, "p", "path_ids[%d]" % i, 32) for i, p in enumerate(items)]
        else:
            pids = [want_hex(req, "path_id", "", 32)]
        removed = sum(1 for p in pids if self.relays.pop(p, None) is not None)
        self.items += len(pids)
        return {"removed": removed} if many else {"path_id": pids[0], "existed": removed == 1}

    def _public(self, e):
        return {"path_id": e["path_id"], "suite": e["suite"], "state": "unbound",
                "sides": [{"bound": False}, {"bound": False}], "counters": {}}

    def op_relay_get(self, req):
        want_keys(req, "", ("op", "path_id"))
        p = want_hex(req, "path_id", "", 32)
        if p not in self.relays:
            raise Bad("path_id: no relay %s" % p)
        return {"relay": self._public(self.relays[p])}

    def op_relay_list(self, req):
        want_keys(req, "", ("op", "limit", "cursor"))
        limit = want_int(req, "limit", "", 1, 10000, 100)
        cur = req.get("cursor")
        start = 0
        if cur is not None:
            if not isinstance(cur, str) or not cur.isdigit():
                raise Bad("cursor: expected the cursor of the last reply")
            start = int(cur)
        keys = sorted(self.relays)[start:start + limit]
        nxt = str(start + limit) if start + limit < len(self.relays) else None
        return {"relays": [self._public(self.relays[k]) for k in keys], "cursor": nxt}


def reply_for(dp, line):
    try:
        req = json.loads(line)
    except ValueError as e:
        return {"ok": False, "error": "invalid JSON: %s" % e}
    try:
        data = dp.handle(req)
    except Bad as e:
        return {"ok": False, "error": str(e)}
    out = {"ok": True}
    out.update(data)
    return out


def waiter_done(dp, uri, weight):
    """The apply time when uri has a destination of that weight, else None."""
    if any(d["weight"] == weight for d in dp.services.get(uri, ())):
        return dp.set_time[uri]
    return None


def answer_waiters(dp, waiters):
    for w in list(waiters):
        c, uri, weight = w
        if uri is None:  # wait_services: weight is the count
            t = dp.last_set if len(dp.services) >= weight else None
        else:
            t = waiter_done(dp, uri, weight)
        if t is not None:
            waiters.remove(w)
            try:
                c.sendall((json.dumps({"ok": True, "t": t}) + "\n").encode())
            except OSError:
                pass


def serve(path, dp):
    sel = selectors.DefaultSelector()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    lis = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lis.bind(path)
    lis.listen(16)
    lis.setblocking(False)
    sel.register(lis, selectors.EVENT_READ, None)
    bufs = {}
    waiters = []  # (conn, uri, weight) of pending wait_applied calls
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    print("fake_dataplane: serving on %s" % path, flush=True)
    while not stop:
        for key, _ in sel.select(timeout=0.2):
            if key.data is None:
                c, _ = lis.accept()
                c.setblocking(True)
                sel.register(c, selectors.EVENT_READ, "c")
                bufs[c] = b""
                continue
            c = key.fileobj
            try:
                data = c.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                waiters[:] = [w for w in waiters if w[0] is not c]
                sel.unregister(c)
                c.close()
                del bufs[c]
                continue
            bufs[c] += data
            while b"\n" in bufs[c]:
                line, bufs[c] = bufs[c].split(b"\n", 1)
                if len(line) > MAX_LINE:
                    break
                req = None
                if b"\"wait_" in line:
                    try:
                        req = json.loads(line)
                    except ValueError:
                        pass
                if isinstance(req, dict) and req.get("op") == "wait_applied":
                    waiters.append((c, req.get("service"), req.get("weight")))
                elif isinstance(req, dict) and req.get("op") == "wait_services":
                    waiters.append((c, None, req.get("count")))
                else:
                    try:
                        c.sendall((json.dumps(reply_for(dp, line), separators=(",", ":")) + "\n").encode())
                    except OSError:  # the client left: its later lines are dropped below
                        bufs[c] = b""
                        break
                answer_waiters(dp, waiters)
            if len(bufs[c]) > MAX_LINE:
                sel.unregister(c)
                c.close()
                del bufs[c]
    os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--no-asrs", action="store_true")
    ap.add_argument("--no-trs", action="store_true")
    ap.add_argument("--no-gateway", action="store_true")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--refuse", metavar="PREFIX")
    ap.add_argument("--vip", action="append", default=[], metavar="ADDR", help="listed by vip.list")
    ap.add_argument("--port", action="append", default=[], metavar="NAME", help="listed by stats (link up)")
    a = ap.parse_args()
    dp = FakeDataplane(asrs=not a.no_asrs, trs=not a.no_trs, validate=not a.no_validate,
                       refuse=a.refuse, gateway=not a.no_gateway)
    dp.vips = a.vip
    dp.ports = {n: True for n in a.port}
    serve(a.socket, dp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
