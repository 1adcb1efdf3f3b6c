"""TRS relay with several processing lcores (pipeline workers sharing paths)
and its telemetry command /anyway/relays."""

import json
import socket
import time

from test_trs import A4, B6, KEY, PID, check_ack, check_out, cfg, msg, pkt, relay
from golden_common import assert_conserved, assert_drops
from harness import Dataplane, run
import trs_ref as T


def test_pipeline_workers_share_paths():
    """Signalling of one path from both sides spread over two workers: every
    message is verified and ACKed once, replays are caught across workers,
    the relay's ACK seq never repeats."""
    k = T.Key(KEY, 2)
    ins, sent = [], []
    for s in range(1, 41):
        a, b = msg(k, T.KEEP_ALIVE, s, txid=s), msg(k, T.KEEP_ALIVE, s, flag=1, txid=1000 + s)
        ins += [pkt(A4, a), pkt(B6, b, sport=50000)]
        sent += [a, b]
    ins += [pkt(A4, sent[10]), pkt(B6, sent[11], sport=50000)]  # replays of seq 6
    c = cfg([relay(suite=2)], verify_burst=256)
    # lcores share CPUs here: a long gap wait, so a descheduled worker's packets
    # are waited for rather than skipped (reorder_late), as in test_pipeline.py
    c.update(mode="pipeline", pipeline={"rx_lcores": [1], "worker_lcores": [2, 3], "tx_lcores": [4],
                                        "gap_timeout_us": 500000})
    res = run(c, {1: ins}, lcores="0@0,1@1,2@0,3@1,4@0", timeout=60)
    out = res.out[1]
    assert len(out) == 80, res.drops()
    seqs = set()
    for i, o in enumerate(out):  # the pipeline keeps the order
        v6 = i % 2 == 1
        raw = check_out(o, B6 if v6 else A4, 50000 if v6 else 40000, v6)
        seqs.add(check_ack(k, raw, sent[i], i % 2))
    assert len(seqs) == 80
    assert_conserved(res.stats)
    assert_drops(res.stats, {"relay_replay": 2})
    assert res.stats["counters"]["relay_binds"] == 2
    assert res.stats["counters"]["relay_rebinds"] == 0


def telemetry(prefix, cmd, timeout=10):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                s.settimeout(timeout)
                s.connect(path)
                json.loads(s.recv(65536).decode())  # the greeting
                s.send(cmd.encode())
                return json.loads(s.recv(1 << 20).decode())
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_telemetry_relays():
    with Dataplane(cfg([relay(), relay(pid=bytes(16), suite=2)])) as dp:
        r = telemetry(dp.prefix, "/anyway/relays")
        dp.api({"op": "relay.del", "path_id": PID.hex()})
        r2 = telemetry(dp.prefix, "/anyway/relays")
    body = r["/anyway/relays"]
    assert body["paths"] == 2 and body["max_paths"] == 1048576
    assert sorted(body["first_paths"]) == sorted([PID.hex(), bytes(16).hex()])
    assert r2["/anyway/relays"]["paths"] == 1
