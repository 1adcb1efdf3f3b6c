"""SPEC §7.4: tunnel keys and the SYN-cookie secret never appear in the data
plane's replies (config.get, relay.get, relay.list, stats) nor its output,
whether they came from the config file or from relay.add."""

import test_asrs_synproxy as SP
import test_trs as T
from golden_common import P1_V4, P1_V6
from harness import Dataplane

KEY_CFG = bytes.fromhex("5e" * 4 + "c2e7" * 14)   # easy to grep for
KEY_API = bytes.fromhex("7a" * 4 + "d15c" * 14)
PID_API = bytes.fromhex("ffeeddccbbaa99887766554433221100")
SECRET = "9b" * 4 + "e0f1" * 6  # 32 hex digits, none a PathID here


def secrets_in(text):
    forms = [KEY_CFG.hex(), KEY_API.hex(), SECRET]
    forms += [f.upper() for f in forms]
    return [f for f in forms if f in text]


def test_no_key_or_secret_in_replies_or_output():
    c = SP.cfg()
    c["asrs"]["synproxy"]["secret"] = SECRET
    c["trs"] = {"port": T.PORT, "addrs": [P1_V4, P1_V6]}
    c["relays"] = [T.relay(key=KEY_CFG, suite=1)]
    replies = []
    with Dataplane(c) as dp:
        dp.wait_idle(expect_rx=0)
        r = dp.api({"op": "relay.add", "path_id": PID_API.hex(), "tunnel_key": KEY_API.hex(), "suite": 2})
        assert r["ok"], r
        cfg = dp.api({"op": "config.get"})
        assert cfg["ok"], cfg
        assert cfg["config"]["relays"][0]["tunnel_key"] == "(hidden)"
        assert cfg["config"]["asrs"]["synproxy"]["secret"] == "(hidden)"
        replies.append(cfg)
        for req in ({"op": "relay.get", "path_id": T.PID.hex()}, {"op": "relay.get", "path_id": PID_API.hex()},
                    {"op": "relay.list"}, {"op": "stats"}):
            got = dp.api(req)
            assert got["ok"], (req, got)
            replies.append(got)
        res = dp.stop()
    assert {r["path_id"] for r in replies[-2]["relays"]} == {T.PID.hex(), PID_API.hex()}
    text = " ".join(str(r) for r in replies) + res.stdout + res.stderr
    assert secrets_in(text) == []
