"""Weight 0 = drained (SPEC §11): a destination of weight 0 stays listed and
keeps its sessions, but no new flow picks it; a service whose destinations all
have weight 0 refuses new flows like one without destinations
(no_destination)."""

from scapy.layers.inet import IP, TCP

from asrs_fixtures import *  # noqa: F401,F403
from golden_common import check
from harness import Dataplane


def _set(dp, dests):
    r = dp.api({"op": "service.set", "service": WEB, "destinations": dests})
    assert r.get("ok"), r


def _syn(sport, src=None):
    if src is None:  # the client with a neighbour entry: a refusal goes back to it
        return built(frame4(tcp_seg(sport=sport, dport=80)))
    return built(frame4(tcp_seg(sport=sport, dport=80), src=src))


def _data(sport, payload, src="10.1.0.10"):
    return built(frame4(tcp_seg(sport=sport, dport=80, flags="A", seq=1001, payload=payload), src=src))


def test_weight_0_no_new_flows_sessions_kept_all_drained_refused():
    svcs = services()
    # drained at the better priority: new flows go to the next group with a weight
    svcs[0] = {"service": WEB, "destinations": [{"addr": HOST2_V4, "port": 8080, "priority": 0, "weight": 0},
                                                {"addr": HOST_V4, "port": 8080, "priority": 10}]}
    c = asrs_config(svcs=svcs, burst=1)
    clients = ["10.1.0.%d" % (10 + i) for i in range(20)]
    with Dataplane(c, live_ports=(0,)) as dp:
        listed = dp.api({"op": "service.list"})
        web = [s for s in listed["services"] if s["service"] == WEB][0]
        assert {(d["addr"], d["weight"]) for d in web["destinations"]} == {(HOST2_V4, 0), (HOST_V4, 100)}
        dp.live[0].send([_syn(46000 + i, src) for i, src in enumerate(clients)], close=False)
        dp.wait_idle(expect_rx=20)
        # HOST_V4 drained, HOST2_V4 takes new flows; the 20 sessions stay on HOST_V4
        _set(dp, [{"addr": HOST_V4, "port": 8080, "weight": 0}, {"addr": HOST2_V4, "port": 8080}])
        dp.live[0].send([_data(46000 + i, b"old", src) for i, src in enumerate(clients)] +
                        [_syn(47000 + i, src) for i, src in enumerate(clients)], close=False)
        dp.wait_idle(expect_rx=60)
        # everything drained: sessions still forwarded, a new flow refused (RST)
        _set(dp, [{"addr": HOST_V4, "port": 8080, "weight": 0}, {"addr": HOST2_V4, "port": 8080, "weight": 0}])
        dp.live[0].send([_data(46000, b"late"), _data(47000, b"late"), _syn(48000)])
        dp.wait_idle(expect_rx=63)
        dp.stop()
    out = [(p[IP].dst, bytes(p[TCP].payload)) for p in dp.result.out[1]]
    assert out[:20] == [(HOST_V4, b"")] * 20, out[:20]           # SYNs: never the drained one
    assert out[20:40] == [(HOST_V4, b"old")] * 20, out[20:40]    # sessions keep the drained one
    assert out[40:60] == [(HOST2_V4, b"")] * 20, out[40:60]      # new flows: the one with a weight
    assert out[60:] == [(HOST_V4, b"late"), (HOST2_V4, b"late")], out[60:]
    rst = dp.result.out[0]
    assert len(rst) == 1 and rst[0][TCP].flags.R and rst[0][TCP].dport == 48000
    check(dp.result, rx=63, tx=63, sessions_created=40, no_destination_refused=1)


def test_weight_0_inside_the_group_gets_no_share():
    svcs = services()
    svcs[0] = {"service": WEB, "destinations": [{"addr": HOST_V4, "port": 8080, "weight": 100},
                                                {"addr": HOST2_V4, "port": 8080, "weight": 0},
                                                {"addr": HOST_V4, "port": 9090, "weight": 100}]}
    c = asrs_config(svcs=svcs)
    pkts = [_syn(30000 + i, "10.1.0.%d" % (10 + i % 200)) for i in range(200)]
    with Dataplane(c, inputs={0: pkts}) as dp:
        dp.wait_idle(expect_rx=200)
        dp.stop()
    to = {}
    for p in dp.result.out[1]:
        to[(p[IP].dst, p[TCP].dport)] = to.get((p[IP].dst, p[TCP].dport), 0) + 1
    assert set(to) == {(HOST_V4, 8080), (HOST_V4, 9090)}, to
    assert sum(to.values()) == 200
    check(dp.result, rx=200, tx=200, sessions_created=200)
