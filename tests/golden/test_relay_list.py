"""relay.list cursors (dataplane/API.md) across PathID index rebuilds. In
each round, STAY paths are added after FILL others that are then deleted, so
that many of their index entries sit past their home positions, where an
index rebuild moves them back. The table is listed LIMIT paths per page;
after page `split`, other paths are added and deleted (more tombstones than
the index holds: it is rebuilt). Every path installed during the whole
listing must come exactly once. (This checks the guarantee through the API;
tests/unit/dataplane/test_relay_table.c's test_iterate_across_rebuild is the
one shown to catch a listing in index order.)"""

from golden_common import P1_V4, P1_V6, config
from harness import Dataplane

MAX, FILL, STAY, LIMIT, CHURN = 3000, 2000, 1000, 100, 1000


def entry(i):
    return {"path_id": (i + 0x10000).to_bytes(4, "big").hex() * 4, "tunnel_key": "5a" * 32,
            "suite": 1 + i % 2}


def one_round(dp, base, split):
    """Lists the table once; returns (stay path_ids, listed path_ids, churn replies ok)."""
    fill = [entry(base + STAY + i) for i in range(FILL)]
    stay = [entry(base + i) for i in range(STAY)]
    assert dp.api({"op": "relay.add", "relays": fill})["ok"]
    assert dp.api({"op": "relay.add", "relays": stay})["ok"]
    assert dp.api({"op": "relay.del", "path_ids": [e["path_id"] for e in fill]})["removed"] == FILL
    listed, ok, cursor, n = [], [], None, base + STAY + FILL
    for page in range(STAY // LIMIT + 5):
        req = {"op": "relay.list", "limit": LIMIT}
        if cursor is not None:
            req["cursor"] = cursor
        r = dp.api(req)
        assert r["ok"], r
        listed += [x["path_id"] for x in r["relays"]]
        cursor = r["cursor"]
        if cursor is None:
            break
        for _ in range(4 if page == split else 0):
            churn = [entry(n + i) for i in range(CHURN)]
            n += CHURN
            a = dp.api({"op": "relay.add", "relays": churn})
            d = dp.api({"op": "relay.del", "path_ids": [e["path_id"] for e in churn]})
            ok.append(a["ok"] and d.get("removed") == CHURN)
    assert cursor is None
    assert dp.api({"op": "relay.del", "path_ids": [e["path_id"] for e in stay]})["removed"] == STAY
    return {e["path_id"] for e in stay}, listed, ok


def test_list_cursor_across_index_rebuilds():
    cfg = config(trs={"port": 7811, "addrs": [P1_V4, P1_V6], "max_paths": MAX}, relays=[])
    rounds = []
    with Dataplane(cfg) as dp:
        for k, split in enumerate((2, 4, 6)):
            rounds.append(one_round(dp, 100000 * (k + 1), split))
        stats = dp.stats()
    for want, listed, ok in rounds:
        assert len(ok) == 4 and all(ok)
        assert sorted(p for p in listed if p in want) == sorted(want)  # each exactly once
    assert stats["relay"]["paths"] == 0
