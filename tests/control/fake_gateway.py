"""TEST DOUBLE: the gateway.* methods of the anyway-dataplane JSON API
(dataplane/API.md, SPEC §6) for fake_dataplane.py — not the data plane.

Validates as the real one does (lib/proto aw_msg_gateway_check: suite 1|2,
idle_timeout_s 1..86400, end_key 64 hex and not all zero, node_addr a unicast
IPv4 or IPv6 address; a batch of at most 10,000 is checked whole, then applied
whole; no path_id nor node_addr twice in one batch, no node_addr of another
path) and never shows the End Key. Not modelled: gateway.prefixes (the real
one refuses a node_addr outside them).
"""

import ipaddress

GATEWAY_KEYS = ("path_id", "end_key", "suite", "node_addr", "idle_timeout_s")


def node_addr(obj, path, Bad):
    v = obj.get("node_addr")
    if v is None:
        raise Bad("%snode_addr: missing required field" % path)
    try:
        a = ipaddress.ip_address(v)
    except (ValueError, TypeError):
        raise Bad("%snode_addr: expected IPv4 or IPv6 address" % path)
    bad = (a.is_unspecified or a.is_loopback or a.is_multicast
           or (a.version == 4 and a == ipaddress.ip_address("255.255.255.255")))
    if bad:
        raise Bad("%snode_addr: expected a unicast IPv4 or IPv6 address, got %s" % (path, a))
    return str(a)


def gateway_entry(obj, path, top, h):
    """h: the fake_dataplane module (its Bad, want_* helpers)."""
    h.want_keys(obj, path, GATEWAY_KEYS + (("op",) if top else ()))
    e = {"path_id": h.want_hex(obj, "path_id", path, 32), "end_key": h.want_hex(obj, "end_key", path, 64),
         "suite": h.want_int(obj, "suite", path, 1, 2), "node_addr": node_addr(obj, path, h.Bad),
         "idle_timeout_s": h.want_int(obj, "idle_timeout_s", path, 1, 86400, 300)}
    if e["end_key"] == "0" * 64:
        raise h.Bad("%send_key: expected a key, got all zero bytes" % path)
    return e


class GatewayMethods:
    """Mixed into FakeDataplane: self.gateways {path_id: entry}, self.refuse,
    self.items; self.h is the fake_dataplane module."""

    def op_gateway_add(self, req):
        h = self.h
        many, items = h.batch(req, "gateway", "gateways", GATEWAY_KEYS)
        if many and not items:
            raise h.Bad("gateways: expected 1..%d entries, got none" % h.MAX_BATCH)
        es = [gateway_entry(it, "gateways[%d]." % i if many else "", not many, h) for i, it in enumerate(items)]
        seen, nodes = {}, {}
        moved = {e["path_id"] for e in es}
        for i, e in enumerate(es):
            pfx = "gateways[%d]." % i if many else ""
            if e["path_id"] in seen:
                raise h.Bad("gateways[%d].path_id: duplicate of gateways[%d]" % (i, seen[e["path_id"]]))
            if e["node_addr"] in nodes:
                raise h.Bad("gateways[%d].node_addr: duplicate of gateways[%d]" % (i, nodes[e["node_addr"]]))
            seen[e["path_id"]], nodes[e["node_addr"]] = i, i
            owner = next((p for p, g in self.gateways.items() if g["node_addr"] == e["node_addr"]), None)
            if owner is not None and owner != e["path_id"] and owner not in moved:
                raise h.Bad("%snode_addr: %s belongs to path %s" % (pfx, e["node_addr"], owner))
            if self.refuse and e["path_id"].startswith(self.refuse):
                raise h.Bad("%spath_id: gateway table full (refused by --refuse)"
                            % ("gateways[%d]." % i if many else ""))
        existed = False
        for e in es:
            existed = e["path_id"] in self.gateways
            self.gateways[e["path_id"]] = e
        self.items += len(es)
        return {"applied": len(es)} if many else {"path_id": es[0]["path_id"], "existed": existed}

    def op_gateway_del(self, req):
        h = self.h
        many, items = h.batch(req, "gateway", "path_ids", ("path_id",))
        if many:
            pids = [h.want_hex({"p": p}, "p", "path_ids[%d]" % i, 32) for i, p in enumerate(items)]
        else:
            pids = [h.want_hex(req, "path_id", "", 32)]
        removed = sum(1 for p in pids if self.gateways.pop(p, None) is not None)
        self.items += len(pids)
        return {"removed": removed} if many else {"path_id": pids[0], "existed": removed == 1}

    def _gw_public(self, e):
        return {"path_id": e["path_id"], "suite": e["suite"], "node_addr": e["node_addr"], "bound": False,
                "idle_s": 0, "idle_timeout_s": e["idle_timeout_s"], "counters": {}}

    def op_gateway_get(self, req):
        h = self.h
        h.want_keys(req, "", ("op", "path_id"))
        p = h.want_hex(req, "path_id", "", 32)
        if p not in self.gateways:
            raise h.Bad("path_id: no gateway %s" % p)
        return {"gateway": self._gw_public(self.gateways[p])}

    def op_gateway_list(self, req):
        h = self.h
        h.want_keys(req, "", ("op", "limit", "cursor"))
        limit = h.want_int(req, "limit", "", 1, 10000, 100)
        cur = req.get("cursor")
        start = 0
        if cur is not None:
            if not isinstance(cur, str) or not cur.isdigit():
                raise h.Bad("cursor: expected the cursor of the last reply")
            start = int(cur)
        keys = sorted(self.gateways)[start:start + limit]
        nxt = str(start + limit) if start + limit < len(self.gateways) else None
        return {"gateways": [self._gw_public(self.gateways[k]) for k in keys], "cursor": nxt}
