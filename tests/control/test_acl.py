"""anyway-mapd --acl / --audit-log (SPEC §7.4, control/ACL.md) with real
daemons on loopback: hello roles checked against the ACL, registrations held
to service patterns and destination prefixes, ownership of destinations,
admin-only ops, per-identity limits, refusals counted and logged, the audit
trail, malformed ACL files refused at start and on SIGHUP (the old ACL then
stays in force), and tunnel keys absent from replies, metrics and logs.

Identities here are the clients' certificate CNs (the harness issues one per
name); with AW_CONTROL_TLS=0 the connections are plain TCP and the hello name
is the identity, so the same tests hold."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from ctlharness import LineClient, dp_dump, dests, free_port, prog, reg, tls_args, wait_until

PID = "00112233445566778899aabbccddeeff"
KEY = "5e" * 4 + "c2e7" * 14  # 64 hex digits, easy to grep for

ACL = """# test ACL
admin      ops-*
subscriber agent-*
registrar  web-1 service asrs://shop.example/* prefix 10.1.0.0/16 prefix 2001:db8::/48
registrar  web-2 service asrs://shop.example/* prefix 10.1.0.0/16   # a peer of web-1
registrar  lim   service asrs://lim.example/* prefix 10.3.0.0/24 rate 1/s burst 3 max 2
"""


def write(procs, text, name="acl.txt"):
    path = procs.dir / name
    path.write_text(text)
    return str(path)


def mapd_acl(procs, text=ACL, extra=()):
    path = write(procs, text)
    m = procs.mapd(args=["--acl", path] + list(extra))
    m.acl = path
    return m


def hello(port, role, name):
    c = LineClient(("127.0.0.1", port), tls=name)  # the identity: its certificate's CN
    r = c.call({"op": "hello", "role": role, "name": name})
    return c, r


def ok_hello(port, role, name):
    c, r = hello(port, role, name)
    assert r["ok"], r
    return c


def subscriber(port, name="agent-1"):
    """A subscribed client, past its snapshot."""
    c = ok_hello(port, "subscriber", name)
    while True:
        m = c.recv()
        assert m["op"] == "snapshot", m
        if not m.get("more"):
            return c


def next_push(c):
    while True:
        m = c.recv()
        if m is None or m.get("op") != "ping":
            return m


def acl_stats(port):
    a = ok_hello(port, "admin", "ops-stats")
    try:
        return a.call({"op": "subscriber.list"})["acl"]
    finally:
        a.close()


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def test_no_acl_warns_and_allows_every_role(procs):
    m = procs.mapd()
    for role in ("admin", "registrar", "subscriber"):
        c = ok_hello(m.port, role, "anyone")
        c.close()
    wait_until(lambda: "no --acl" in procs.log(m), what="warning about no ACL")


def test_hello_role_checked_against_the_acl(procs):
    m = mapd_acl(procs)
    for role, name in (("admin", "ops-1"), ("subscriber", "agent-7"), ("registrar", "web-1"),
                       ("subscriber", "ops-1"), ("registrar", "ops-2")):
        ok_hello(m.port, role, name).close()
    for role, name, rule in (("admin", "web-1", "no admin entry matches"),
                             ("admin", "mallory", "no admin entry matches"),
                             ("subscriber", "web-1", "no admin or subscriber entry matches"),
                             ("registrar", "agent-1", "no admin or registrar entry matches"),
                             ("registrar", "web-10", "no admin or registrar entry matches")):
        c, r = hello(m.port, role, name)
        assert r == {"ok": False, "error": "identity '%s' is not allowed role '%s' (acl %s: %s)"
                     % (name, role, m.acl, rule)}
        # refused: still no hello, nothing else is allowed
        assert "expected hello first" in c.call({"op": "service.list"})["error"]
        c.close()
    assert acl_stats(m.port)["refusals"]["role"] == 5
    wait_until(lambda: "refused (role)" in procs.log(m) and "mallory" in procs.log(m),
               what="refusals logged")


def test_registrations_held_to_patterns_and_prefixes(procs):
    m = mapd_acl(procs)
    s = subscriber(m.port)
    subs = ok_hello(m.port, "admin", "ops-1").call({"op": "subscriber.list"})["subscribers"]
    assert [(x["name"], x["identity"]) for x in subs] == [("agent-1", "agent-1")]
    w = ok_hello(m.port, "registrar", "web-1")
    r = w.call(reg("asrs://shop.example/web", "10.1.0.5", 443))
    assert r["ok"] and r["changed"], r
    p = next_push(s)
    assert (p["service"], [d["addr"] for d in p["destinations"]]) == ("asrs://shop.example/web", ["10.1.0.5"])
    assert w.call(reg("asrs://shop.example/api", "2001:db8:0:1::5", 443))["ok"]
    assert next_push(s)["service"] == "asrs://shop.example/api"

    r = w.call(reg("asrs://bank.example/web", "10.1.0.5", 443))
    assert r["ok"] is False
    assert r["error"] == ("identity 'web-1' may not register service 'asrs://bank.example/web' (acl %s: "
                          "no service pattern of its registrar entries matches)" % m.acl)
    r = w.call(reg("asrs://shop.example/web", "192.0.2.66", 443))
    assert r["ok"] is False
    assert r["error"] == ("identity 'web-1' may not register destination 192.0.2.66 for service "
                          "'asrs://shop.example/web' (acl %s line 4: registrar 'web-1': no prefix holds "
                          "192.0.2.66)" % m.acl)
    r = w.call(reg("asrs://shop.example/web", "2001:db9::1", 443))
    assert r["ok"] is False and "no prefix holds 2001:db9::1" in r["error"]
    # deregistering outside the patterns is refused the same way
    r = w.call({"op": "deregister", "service": "asrs://bank.example/web", "addr": "10.1.0.5", "port": 443})
    assert r["ok"] is False and "may not register service" in r["error"]
    # nothing refused reached the subscriber: the next push is the next allowed change
    assert w.call(reg("asrs://shop.example/web", "10.1.0.6", 443))["ok"]
    p = next_push(s)
    assert sorted(d["addr"] for d in p["destinations"]) == ["10.1.0.5", "10.1.0.6"]
    st = acl_stats(m.port)["refusals"]
    assert (st["service"], st["prefix"]) == (2, 2)


def test_destinations_belong_to_their_registrant(procs):
    m = mapd_acl(procs)
    s = subscriber(m.port)
    w1 = ok_hello(m.port, "registrar", "web-1")
    w2 = ok_hello(m.port, "registrar", "web-2")
    assert w1.call(reg("asrs://shop.example/web", "10.1.0.5", 443, weight=100))["ok"]
    assert next_push(s)["destinations"][0]["weight"] == 100
    dereg = {"op": "deregister", "service": "asrs://shop.example/web", "addr": "10.1.0.5", "port": 443}
    r = w2.call(dereg)
    assert r["ok"] is False
    assert r["error"] == ("identity 'web-2' may not deregister destination 10.1.0.5 port 443 of service "
                          "'asrs://shop.example/web': it is held by identity 'web-1' (acl %s: only its "
                          "registrant or an admin may change it)" % m.acl)
    r = w2.call(reg("asrs://shop.example/web", "10.1.0.5", 443, weight=0))  # drain it
    assert r["ok"] is False and "held by identity 'web-1'" in r["error"]
    # web-2 may hold its own destination of the same service
    assert w2.call(reg("asrs://shop.example/web", "10.1.0.7", 443))["ok"]
    assert len(next_push(s)["destinations"]) == 2
    # the owner may, and so may an admin (after a reconnect too: ownership is the identity's)
    w1.close()
    w1 = ok_hello(m.port, "registrar", "web-1")
    assert w1.call(reg("asrs://shop.example/web", "10.1.0.5", 443, weight=5))["ok"]
    assert [d["weight"] for d in next_push(s)["destinations"]] == [5, 100]
    a = ok_hello(m.port, "admin", "ops-1")
    r = a.call(dereg)
    assert r["ok"] and r["changed"], r
    assert [d["addr"] for d in next_push(s)["destinations"]] == ["10.1.0.7"]
    st = acl_stats(m.port)
    assert st["refusals"]["owner"] == 2
    # agent-1, web-1, web-2, ops-1 and acl_stats' own ops-stats are connected
    assert st["identities"] == 5
    for c in (s, w1, w2, a):
        c.close()
    # web-2 still holds 10.1.0.7: its identity stays (ownership, limits); the others go
    wait_until(lambda: acl_stats(m.port)["identities"] == 2, what="identities released")


def test_admin_ops_need_an_admin_identity(procs):
    m = mapd_acl(procs)
    relay = {"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 1}
    # claiming the admin role is refused at hello ...
    c, r = hello(m.port, "admin", "web-1")
    assert r["ok"] is False and "is not allowed role 'admin'" in r["error"]
    assert "expected hello first" in c.call(relay)["error"]
    # ... and a registrar's connection may not send relay ops
    w = ok_hello(m.port, "registrar", "web-1")
    assert "not allowed for role registrar" in w.call(relay)["error"]
    assert "not allowed for role registrar" in w.call({"op": "relay.del", "path_id": PID})["error"]
    s = subscriber(m.port)
    a = ok_hello(m.port, "admin", "ops-1")
    assert a.call(relay)["changed"] is True
    p = next_push(s)
    assert (p["op"], p["path_id"]) == ("relay.add", PID)
    assert a.call({"op": "relay.del", "path_id": PID})["existed"] is True
    assert next_push(s)["op"] == "relay.del"


def test_per_identity_limits(procs):
    mport = free_port()
    m = mapd_acl(procs, extra=["--metrics", "127.0.0.1:%d" % mport])
    w = ok_hello(m.port, "registrar", "lim")
    # max 2 destinations held
    assert w.call(reg("asrs://lim.example/a", "10.3.0.1", 80))["ok"]
    assert w.call(reg("asrs://lim.example/a", "10.3.0.2", 80))["ok"]
    r = w.call(reg("asrs://lim.example/a", "10.3.0.3", 80))
    assert r["ok"] is False
    assert r["error"] == ("identity 'lim' already holds 2 destinations, its limit (acl %s line 6: max 2)" % m.acl)
    # a deregister frees one
    r = w.call({"op": "deregister", "service": "asrs://lim.example/a", "addr": "10.3.0.2", "port": 80})
    assert r["ok"] is True, r
    # rate 1/s, burst 3: a quick run of renewals runs out
    refused = []
    for _ in range(20):
        r = w.call(reg("asrs://lim.example/a", "10.3.0.1", 80))
        if not r["ok"]:
            refused.append(r["error"])
    assert refused, "20 registrations at once all passed a 1/s, burst 3 limit"
    assert refused[0] == ("identity 'lim' sends more than 1 registrations per second (acl %s line 6: "
                          "rate 1/s burst 3); the map server is not overloaded, retry later" % m.acl)
    # the others are not affected
    assert ok_hello(m.port, "registrar", "web-1").call(reg("asrs://shop.example/x", "10.1.0.9", 80))["ok"]
    st = acl_stats(m.port)["refusals"]
    assert st["max_dests"] == 1 and st["rate"] == len(refused)
    text = scrape(mport)
    assert 'anyway_mapd_acl_refusals_total{reason="rate"} %d' % len(refused) in text
    assert 'anyway_mapd_acl_refusals_total{reason="max_dests"} 1' in text
    # a flood of refusals is condensed in the log: far fewer lines than refusals
    log = procs.log(m)
    assert log.count("refused (rate)") < len(refused) or len(refused) == 1


def test_audit_log_lines_and_reopen(procs):
    audit = procs.dir / "audit.log"
    m = mapd_acl(procs, extra=["--audit-log", str(audit)])
    w = ok_hello(m.port, "registrar", "web-1")
    a = ok_hello(m.port, "admin", "ops-1")
    assert w.call(reg("asrs://shop.example/web", "10.1.0.5", 443, priority=1, weight=7))["ok"]
    assert w.call(reg("asrs://shop.example/web", "2001:db8::5", 443, ttl=1))["ok"]
    assert w.call({"op": "deregister", "service": "asrs://shop.example/web", "addr": "10.1.0.5",
                   "port": 443})["ok"]
    assert a.call({"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 2})["ok"]
    assert a.call({"op": "relay.del", "path_id": PID})["ok"]
    w.call(reg("asrs://bank.example/web", "10.1.0.5", 443))  # refused: no audit line
    wait_until(lambda: "op=expire" in audit.read_text(), what="the expiry audited")
    lines = audit.read_text().splitlines()
    ts = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z version=(\d+) "
    want = [
        "identity=web-1 op=register service=asrs://shop.example/web dest=10.1.0.5:443 priority=1 weight=7",
        "identity=web-1 op=register service=asrs://shop.example/web dest=[2001:db8::5]:443 priority=0 weight=100",
        "identity=web-1 op=deregister service=asrs://shop.example/web dest=10.1.0.5:443 priority=1 weight=7",
        "identity=ops-1 op=relay.add path_id=%s suite=2" % PID,
        "identity=ops-1 op=relay.del path_id=%s" % PID,
        "identity=web-1 op=expire service=asrs://shop.example/web dest=[2001:db8::5]:443 priority=0 weight=100",
    ]
    assert len(lines) == len(want), lines
    versions = []
    for line, w_ in zip(lines, want):
        mt = re.match(ts + "(.*)$", line)
        assert mt and mt.group(2) == w_, (line, w_)
        versions.append(int(mt.group(1)))
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert KEY not in audit.read_text()
    # logrotate: move the file away, SIGHUP, the next change goes to a new file
    audit.rename(procs.dir / "audit.log.1")
    m.send_signal(signal.SIGHUP)
    wait_until(lambda: "audit log %s reopened" % audit in procs.log(m), what="audit log reopened")
    assert w.call(reg("asrs://shop.example/web", "10.1.0.8", 443))["ok"]
    wait_until(lambda: audit.exists() and "dest=10.1.0.8:443" in audit.read_text(), what="new audit file")


def test_audit_to_the_log_without_audit_file(procs):
    m = procs.mapd()
    w = ok_hello(m.port, "registrar", "plain")
    assert w.call(reg("asrs://a.example/x", "10.9.0.1", 80))["ok"]
    wait_until(lambda: re.search(r"anyway-mapd: audit: \S+Z version=1 identity=plain op=register "
                                 r"service=asrs://a.example/x dest=10.9.0.1:80", procs.log(m)),
               what="audit line in the log")


BAD = [
    ("admin ops\nfrobnicate x\n", 2, "unknown keyword 'frobnicate' (expected admin, subscriber or registrar)"),
    ("registrar w service asrs://a/* prefix 10.1.0.1/16\n", 1,
     "prefix '10.1.0.1/16': '10.1.0.1/16' has host bits set"),
    ("registrar w service asrs://a/* prefix 10.1.0.0/33\n", 1, "prefix '10.1.0.0/33'"),
    ("registrar w service shop.example/* prefix 10.1.0.0/16\n", 1,
     "service pattern 'shop.example/*': expected SCHEME://..."),
    ("\n# c\nsubscriber agent-*\nsubscriber agent-*\n", 4, "duplicate entry: subscriber 'agent-*' is already at line 3"),
    ("admin\n", 1, "admin: identity missing"),
    ("admin a*b\n", 1, "'*' is allowed only at the end"),
    ("registrar w service asrs://a/*\n", 1, "needs at least one 'service PATTERN' and one 'prefix NET'"),
    ("registrar w service asrs://a/* prefix 10.0.0.0/8 rate 5\n", 1, "rate: expected 1..1000000/s, got '5'"),
    ("subscriber s prefix 10.0.0.0/8\n", 1, "'prefix' is for registrar entries, not subscriber"),
]


@pytest.mark.parametrize("text,line,msg", BAD, ids=[b[2][:30] for b in BAD])
def test_malformed_acl_refused_at_start(procs, text, line, msg):
    path = write(procs, text)
    r = subprocess.run([prog("anyway-mapd"), "--listen", "127.0.0.1:%d" % free_port(), "--acl", path] + tls_args("mapd"),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, r
    assert "%s:%d: " % (path, line) in r.stderr and msg in r.stderr, r.stderr


def test_missing_acl_file_refused_at_start(procs):
    r = subprocess.run([prog("anyway-mapd"), "--listen", "127.0.0.1:%d" % free_port(),
                        "--acl", str(procs.dir / "nope")] + tls_args("mapd"), capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "No such file" in r.stderr, r


def test_sighup_reload_keeps_the_old_acl_on_error(procs):
    m = mapd_acl(procs)
    w = ok_hello(m.port, "registrar", "web-1")
    assert w.call(reg("asrs://shop.example/web", "10.1.0.5", 443))["ok"]
    # a bad file: refused, logged with file:line, the old ACL stays in force
    write(procs, ACL.replace("prefix 10.1.0.0/16 prefix", "prefix 10.1.0.0/99 prefix"))
    m.send_signal(signal.SIGHUP)
    wait_until(lambda: "acl not reloaded" in procs.log(m), what="reload refused")
    assert "%s:4: prefix '10.1.0.0/99'" % m.acl in procs.log(m)
    assert w.call(reg("asrs://shop.example/web", "10.1.0.6", 443))["ok"]
    assert "may not register service" in w.call(reg("asrs://other.example/x", "10.1.0.6", 1))["error"]
    assert acl_stats(m.port)["reload_failures"] == 1
    # a good file that widens web-1 and drops agent-*: takes effect; agent-1's connection closes
    s = subscriber(m.port)
    write(procs, "admin ops-*\nregistrar web-1 service asrs://* prefix 10.0.0.0/8\n")
    m.send_signal(signal.SIGHUP)
    wait_until(lambda: "acl %s reloaded: 2 entries" % m.acl in procs.log(m), what="reload")
    assert w.call(reg("asrs://other.example/x", "10.200.0.1", 1))["ok"]
    while True:  # the subscriber is dropped (pushes may come first)
        if s.recv() is None:
            break
    c, r = hello(m.port, "subscriber", "agent-1")
    assert r["ok"] is False
    a = ok_hello(m.port, "admin", "ops-1")
    assert a.call({"op": "subscriber.list"})["subscribers"] == []
    st = acl_stats(m.port)
    assert (st["reloads"], st["reload_failures"], st["entries"]) == (1, 1, 2)


def test_real_registrar_and_agent_under_an_acl(procs):
    """The daemons as deployed: a registrar whose service is allowed reaches the
    agent's data plane; one registering outside its patterns does not."""
    m = mapd_acl(procs)
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--name", "agent-1"] + tls_args("agent-1"))
    procs.registrar([m.port], [{"service": "asrs://shop.example/web", "addr": "10.1.0.5", "port": 8080,
                                "check": "none"}], args=["--name", "web-1"] + tls_args("web-1"))
    procs.registrar([m.port], [{"service": "asrs://bank.example/web", "addr": "10.1.0.6", "port": 8080,
                                "check": "none"}], args=["--name", "web-2"] + tls_args("web-2"))
    wait_until(lambda: dests(dp_dump(dp.sock), "asrs://shop.example/web") == {("10.1.0.5", 8080): (0, 100)}
               or None, what="allowed service in the data plane")
    wait_until(lambda: "identity 'web-2' may not register service 'asrs://bank.example/web'" in procs.log(m),
               what="refusal logged")
    assert dests(dp_dump(dp.sock), "asrs://bank.example/web") is None
    assert ag.poll() is None


def test_tunnel_keys_never_in_replies_metrics_or_logs(procs):
    audit = procs.dir / "audit.log"
    mport = free_port()
    m = mapd_acl(procs, extra=["--audit-log", str(audit), "--metrics", "127.0.0.1:%d" % mport])
    dp = procs.fake_dp()
    ag = procs.agent([m.port], dp.sock, args=["--name", "agent-1"] + tls_args("agent-1"))
    a = ok_hello(m.port, "admin", "ops-1")
    assert a.call({"op": "relay.add", "path_id": PID, "tunnel_key": KEY, "suite": 1})["ok"]
    wait_until(lambda: PID in str(dp_dump(dp.sock)), what="relay in the data plane")
    replies = [a.call({"op": "relay.list"}), a.call({"op": "relay.get", "path_id": PID}),
               a.call({"op": "subscriber.list"}), a.call({"op": "service.list"})]
    assert all(r["ok"] for r in replies), replies
    assert PID in str(replies[1])
    c = LineClient(ag.status)
    replies.append(c.call({"op": "status"}))
    c.close()
    text = " ".join(str(r) for r in replies) + scrape(mport) + audit.read_text()
    text += procs.log(m) + procs.log(ag)
    for form in (KEY, KEY.upper()):
        assert form not in text


def test_agent_status_socket_mode_and_group(procs):
    """SPEC §7.4: the agent's status socket is mode 0660, group --status-group."""
    m = procs.mapd()
    dp = procs.fake_dp()
    for args, gid in (([], os.getegid()), (["--status-group", "4343"], 4343), (["--status-group", "root"], 0)):
        ag = procs.agent([m.port], dp.sock, args=args)
        st = os.stat(ag.status)
        assert (st.st_mode & 0o777, st.st_gid) == (0o660, gid), (oct(st.st_mode), st.st_gid)
        procs.stop(ag)
    for group, msg in (("no-such-group-awacl", "--status-group: no group 'no-such-group-awacl' on this system"),
                       ("12x", "--status-group: expected a group name or a gid 0..4294967294, got '12x'"),
                       ("4294967295", "--status-group: expected a group name or a gid 0..4294967294")):
        r = subprocess.run([prog("anyway-agent"), "--mapd", "127.0.0.1:%d" % m.port, "--dataplane", dp.sock,
                            "--status", str(procs.dir / "x.sock"), "--status-group", group] + tls_args("agent"),
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and msg in r.stderr, r


def test_a_flood_of_refusals_does_not_flood_the_log(procs):
    m = mapd_acl(procs)
    w = ok_hello(m.port, "registrar", "web-1")
    start = time.monotonic()
    n = 300
    for i in range(n):
        w.send(reg("asrs://bank.example/x%d" % i, "10.1.0.5", 80))
    for _ in range(n):
        assert w.recv()["ok"] is False
    for i in range(40):  # 40 identities, each refused once
        c, r = hello(m.port, "admin", "intruder-%d" % i)
        assert r["ok"] is False
        c.close()
    elapsed = time.monotonic() - start
    st = acl_stats(m.port)
    assert (st["refusals"]["service"], st["refusals"]["role"]) == (n, 40)
    log = procs.log(m)
    windows = 1 + int(elapsed / 10)  # the caps: 1 line per identity and 20 in all per 10 s
    assert log.count("refused (service)") <= windows
    assert log.count("refused (") <= 20 * windows
    assert st["log_lines_dropped"] == n + 40 - log.count("refused (")
