"""ASRS session table limits with real clients (SPEC §4.4), on a router
configured with asrs.max_sessions = 3 and short timeouts (SYN 2 s, closing
1 s, UDP 2 s; established keeps the default 900 s):
  - sessions expire by state: an idle UDP session and a closed TCP one go
    away, an idle established one stays and still carries data;
  - a full table drops new connections (their SYNs: the client times out,
    `session_table_full` counts them) while the open ones keep working, and
    a slot freed by a closed connection is usable again.
Every wait is bounded (EXPIRY_WAIT_S, generous against the 1-2 s timeouts).

Topology and servers: asrs_env.py; conservation checked after every test.
"""
import time

import pytest

from asrs_env import (ECHO, MOVE_PORT, VIP, Hold, asrs_config, asrs_network,
                      assert_conserved, counted, curl, shim_ping, wait_counted)
from netns import wait_until

MAX_SESSIONS = 3
EXPIRY_WAIT_S = 20


def limits_config():
    cfg = asrs_config()
    cfg["asrs"]["max_sessions"] = MAX_SESSIONS
    cfg["asrs"]["timeouts"] = {"tcp_syn": 2, "tcp_closing": 1, "udp": 2}
    return cfg


@pytest.fixture(scope="module")
def small_net(request, e2e_env):
    return asrs_network(request, limits_config())


@pytest.fixture(autouse=True)
def conserved(small_net):
    yield
    assert_conserved(small_net.dp)


def sessions(dp):
    return dp.call("session.list", limit=100)["sessions"]


def wait_sessions_at_most(dp, n, what):
    return wait_until(lambda: len(sessions(dp)) <= n, EXPIRY_WAIT_S, interval=0.2,
                      what=f"{what} (sessions now: {sessions(dp)})")


def test_sessions_expire_by_state(small_net):
    dp = small_net.dp
    wait_sessions_at_most(dp, 0, "an empty session table")
    assert [r["result"] for r in shim_ping(small_net.a, VIP, f"sid:{ECHO}", [10])] == ["ok"]
    held = Hold(small_net.a, VIP, MOVE_PORT)
    try:
        assert held.ask("one").startswith("w1 ")
        assert {s["proto"] for s in sessions(dp)} == {"udp", "tcp"}, sessions(dp)
        # the UDP session ages out; the idle established one does not
        wait_sessions_at_most(dp, 1, "the idle UDP session to expire")
        time.sleep(3)  # longer than every short timeout: only state can keep it
        assert [s["proto"] for s in sessions(dp)] == ["tcp"], sessions(dp)
        assert held.ask("two").startswith("w1 ")
    finally:
        held.close()
    # closed (FIN both ways): gone after the closing timeout
    wait_sessions_at_most(dp, 0, "the closed TCP session to expire")


def test_table_full_keeps_existing_sessions(small_net):
    dp = small_net.dp
    wait_sessions_at_most(dp, 0, "an empty session table")
    holds = []
    try:
        for i in range(MAX_SESSIONS):
            holds.append(Hold(small_net.a, VIP, MOVE_PORT))
            assert holds[-1].ask(f"h{i}").startswith("w1 ")
        before = counted(dp.stats(), "session_table_full")
        rc, body, info = curl(small_net.a, f"http://{VIP}/", "--connect-timeout", "2",
                              max_time=3)
        assert rc == 28, f"a connection beyond max_sessions: expected a connect timeout " \
            f"(SYN dropped), got rc {rc}: {info['stderr']} {body!r}"
        wait_counted(dp, "session_table_full", before)
        for i, h in enumerate(holds):
            assert h.ask(f"still-{i}").startswith("w1 "), i
        holds.pop().close()
        wait_sessions_at_most(dp, MAX_SESSIONS - 1, "the closed session's slot to free")
        rc, body, info = curl(small_net.a, f"http://{VIP}/")
        assert rc == 0 and body.startswith("web1 "), (rc, body, info)
    finally:
        for h in holds:
            h.close()
