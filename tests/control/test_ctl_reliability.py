"""anyway-ctl shows what issue 10 added to the daemons: the map server's relays
with the refusals the agents reported (`--mapd … relays`, `relay get`), the
map server's limit counters (`subscribers`, `limits`), and the agent's view of
a map server restart (instance, restart grace) in `--agent … status`. Real
anyway-mapd, anyway-agent and anyway-registrar on loopback, the data plane
test double (tests/control/fake_dataplane.py) behind the agent; every wait is
bounded and every process is stopped by the procs fixture."""

import json
import socket

from ctlharness import LineClient, admin, agent_status, wait_until
from test_ctl import ctl, kv, section, table

KEY = "ab" * 32
BAD = "ff" + "0" * 30    # the fake data plane refuses path_ids starting "ff"
GOOD = "0a" + "0" * 30
URI = "asrs://grace.example/web"


def mapd_arg(port):
    return ("--mapd", "127.0.0.1:%d" % port)


def refused_recorded(port, pid):
    a = admin(port)
    try:
        r = a.call({"op": "relay.get", "path_id": pid})
    finally:
        a.close()
    return r["ok"] and "refused" in r["relay"]


def test_relays_show_the_refusals(procs):
    m = procs.mapd()
    dp = procs.fake_dp(args=["--refuse", "ff"])
    procs.agent([m.port], dp.sock, args=["--name", "agent-x"])
    p = ctl(*mapd_arg(m.port), "relays")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "0 relays, 0 refused\n"
    for pid in (GOOD, BAD):
        p = ctl(*mapd_arg(m.port), "relay", "add", pid, KEY, "idle", "600")
        assert p.returncode == 0, p.stderr
    wait_until(lambda: refused_recorded(m.port, BAD), what="the refusal recorded")

    p = ctl(*mapd_arg(m.port), "relays")
    assert p.returncode == 0, p.stderr
    assert KEY not in p.stdout
    lines = p.stdout.strip().splitlines()
    assert lines[-1] == "2 relays, 1 refused", p.stdout
    rows = table("\n".join(lines[:-1]))
    assert [r["PATH_ID"] for r in rows] == [BAD, GOOD]  # refused ones first
    assert rows[0]["REFUSED_BY"] == "agent-x" and int(rows[0]["REFUSALS"]) >= 1, rows
    assert rows[0]["AGE_MS"].isdigit() and "table full" in rows[0]["ERROR"], rows
    assert rows[0]["IDLE_S"] == "600" and rows[0]["SUITE"] == "1", rows
    assert rows[1]["REFUSED_BY"] == "-" and rows[1]["ERROR"] == "-", rows
    p = ctl(*mapd_arg(m.port), "relay")  # the bare word lists too
    assert p.returncode == 0 and p.stdout.strip().endswith("2 relays, 1 refused"), p

    p = ctl(*mapd_arg(m.port), "relay", "get", BAD)
    assert p.returncode == 0, p.stderr
    got = kv(p.stdout)
    assert got["path_id"] == BAD and got["refused.by"] == "agent-x", got
    assert "table full" in got["refused.error"] and int(got["refused.count"]) >= 1, got
    assert not any("tunnel_key" in k for k in got) and KEY not in p.stdout
    p = ctl(*mapd_arg(m.port), "relay", "get", GOOD)
    assert p.returncode == 0, p.stderr
    assert not any(k.startswith("refused") for k in kv(p.stdout)), p.stdout

    p = ctl(*mapd_arg(m.port), "--json", "relays")
    reply = json.loads(p.stdout)
    assert reply["ok"] and reply["total"] == 2 and reply["left_out"] == 0, reply
    assert reply["relays"][0]["refused"]["by"] == "agent-x"
    p = ctl(*mapd_arg(m.port), "--json", "relay", "get", BAD)
    assert json.loads(p.stdout)["relay"]["path_id"] == BAD

    # a relay the map does not have is the map server's error
    p = ctl(*mapd_arg(m.port), "relay", "get", "ee" * 16)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("anyway-ctl: map server: relay.get: "), p.stderr
    # a malformed path_id is caught before anything is sent
    p = ctl(*mapd_arg(m.port), "relay", "get", "zz")
    assert p.returncode == 2 and "relay.get: path_id:" in p.stderr, p.stderr


def test_subscribers_and_limits_show_the_refusals(procs):
    m = procs.mapd(args=["--max-per-source", "1"])
    held = LineClient(("127.0.0.1", m.port))
    extra = socket.create_connection(("127.0.0.1", m.port), timeout=5)  # refused at accept: no TLS
    try:
        extra.settimeout(5)
        while extra.recv(4096):  # accepted and closed at once: one source, one slot
            pass
    finally:
        extra.close()
        held.close()

    def shown():
        p = ctl(*mapd_arg(m.port), "subscribers")
        return p if p.returncode == 0 else None
    p = wait_until(shown, what="anyway-ctl served once the held connection is gone")
    assert p.stdout.startswith("(none)\n"), p.stdout
    lim = kv(section(p.stdout, "limits"))
    assert int(lim["refused_per_source"]) >= 1, lim
    for k in ("refused_max_clients", "closed_idle", "closed_input_budget",
              "dropped_output_budget", "refused_fd_limit", "clients"):
        assert lim[k].isdigit(), (k, lim)

    p = ctl(*mapd_arg(m.port), "limits")
    assert p.returncode == 0, p.stderr
    got = kv(p.stdout)
    assert int(got["refused_per_source"]) >= 1 and got["clients"] == "1", got
    p = ctl(*mapd_arg(m.port), "--json", "limits")
    reply = json.loads(p.stdout)
    assert reply["ok"] and reply["limits"]["refused_per_source"] >= 1, reply


def mapd_row(sock):
    p = ctl("--agent", sock, "status")
    assert p.returncode == 0, p.stderr
    return table(section(p.stdout, "mapds"))[0]


def test_agent_status_shows_the_restart_grace(procs):
    m = procs.mapd()
    port = m.port
    dp = procs.fake_dp()
    procs.registrar([port], [{"service": URI, "addr": "10.9.0.1", "port": 80, "check": "none"}])
    ag = procs.agent([port], dp.sock, args=["--restart-grace-s", "8"])
    wait_until(lambda: agent_status(ag.status)["mapds"][0]["services"] == 1, what="agent synced")
    row = mapd_row(ag.status)
    first = row["INSTANCE"]
    assert len(first) == 16 and int(first, 16) >= 0, row
    assert (row["GRACE"], row["GRACE_LEFT_MS"], row["RESTARTS"]) == ("false", "0", "0"), row

    procs.stop(m)
    m = procs.mapd(port=port)
    s = wait_until(lambda: (lambda x: x if x["grace"] else None)(agent_status(ag.status)["mapds"][0]),
                   what="the grace seen in the status")
    assert s["instance"] != first and s["restarts"] == 1, s
    assert 0 < s["grace_left_ms"] <= 8000, s
    row = mapd_row(ag.status)
    assert row["INSTANCE"] == s["instance"] and row["RESTARTS"] == "1", row
    # (the grace may just have ended between the two requests: then it shows 0)
    assert row["GRACE"] == "false" and row["GRACE_LEFT_MS"] == "0" or \
        (row["GRACE"] == "true" and 0 < int(row["GRACE_LEFT_MS"]) <= 8000), row

    wait_until(lambda: not agent_status(ag.status)["mapds"][0]["grace"], timeout=30,
               what="the grace over")
    row = mapd_row(ag.status)
    assert (row["GRACE"], row["GRACE_LEFT_MS"], row["RESTARTS"]) == ("false", "0", "1"), row
    p = ctl("--agent", ag.status, "--json", "status")
    j = json.loads(p.stdout)["mapds"][0]
    assert j["instance"] == s["instance"] and j["grace"] is False and j["grace_left_ms"] == 0
