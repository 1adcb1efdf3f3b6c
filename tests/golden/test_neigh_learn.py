"""Neighbours learned from ARP requests / NS aimed at our addresses (RFC 826,
RFC 4861 §7.2.3), and the reserve that keeps a flood of unknown senders from
filling the neighbour cache."""
import struct

from golden_common import *  # noqa: F401,F403
from harness import run

NEW_V4, NEW_V6, NEW_MAC = "10.1.0.7", "2001:db8:1::7", "02:00:00:00:00:77"


def test_arp_request_then_echo_answered_at_once():
    req = echo4(src=NEW_V4)
    res = run(config(), {0: [arp_request(P0_V4, sip=NEW_V4, smac=NEW_MAC), req]})
    assert len(res.out[0]) == 2, [p.summary() for p in res.out[0]]
    check_arp_reply(res.out[0][0], P0_V4, P0_MAC, NEW_MAC)
    check_echo4_reply(res.out[0][1], req, P0_V4, dst_mac=NEW_MAC)
    check(res, rx=2, tx=2, arp_replies=1, echo_replies=1, arp_requests=0,
          neigh_learned_request=1, neigh_learn_refused=0)


def test_ns_with_sllao_then_echo_answered_at_once():
    req = echo6(src=NEW_V6)
    res = run(config(), {0: [ns(P0_V6, src=NEW_V6, smac=NEW_MAC), req]})
    assert len(res.out[0]) == 2, [p.summary() for p in res.out[0]]
    check_na(res.out[0][0], P0_V6, P0_MAC, NEW_V6, NEW_MAC)
    check_echo6_reply(res.out[0][1], req, P0_V6, dst_mac=NEW_MAC)
    check(res, rx=2, tx=2, nd_adverts=1, echo_replies=1, nd_solicits=0, neigh_learned_request=1)


def test_ns_without_sllao_learns_nothing():
    req = echo6(src=NEW_V6)
    probe = ns(P0_V6, src=NEW_V6, smac=NEW_MAC, sll=False, dst=P0_V6)
    res = run(config(), {0: [probe, req]})
    # The NA, then solicitations for the sender: nothing was learned.
    out = res.out[0]
    assert len(out) >= 2, [p.summary() for p in out]
    assert ICMPv6ND_NA in out[0]
    assert all(ICMPv6ND_NS in p and p[ICMPv6ND_NS].tgt == NEW_V6 for p in out[1:]), [p.summary() for p in out]
    assert res.stats["counters"]["neigh_learned_request"] == 0
    assert res.stats["counters"]["nd_solicits"] >= 1


def test_off_link_and_bogus_senders_learn_nothing():
    reqs = [arp_request(P0_V4, sip=s, smac=NEW_MAC)
            for s in ("10.9.0.5", "0.0.0.0", "224.0.0.5", "255.255.255.255", P1_V4)]
    # Sender on port 1's prefix, asking on port 0: not on port 0's link.
    reqs.append(arp_request(P0_V4, sip="10.2.0.9", smac=NEW_MAC))
    echo = echo4(src="10.1.0.9")
    res = run(config(), {0: reqs + [echo]})
    c = res.stats["counters"]
    assert c["neigh_learned_request"] == 0 and c["neigh_learn_refused"] == 0
    # The echo from an unknown on-link host still needs an ARP first.
    assert any(ARP in p and p[ARP].op == 1 and p[ARP].pdst == "10.1.0.9" for p in res.out[0])


def _arp_req_bytes(sip_int, smac):
    eth = b"\xff" * 6 + smac + b"\x08\x06"
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, smac, struct.pack("!I", sip_int),
                      b"\0" * 6, bytes(map(int, P0_V4.split("."))))
    return eth + arp


def test_flood_of_unknown_senders_keeps_existing_neighbours():
    n = 100_000
    cfg = config(neighbor_cache={"max_entries": 1024})
    cfg["ports"][0]["addrs"] = [P0_V4 + "/12", P0_V6 + "/64"]  # 10.0.0.0/12: room for 100k
    learned = "10.1.0.3"
    first = [echo4(src=learned), arp_reply(learned, "02:00:00:00:00:a3", P0_V4, P0_MAC)]
    base = 0x0A040000  # 10.4.0.0 onwards
    flood = [Ether(_arp_req_bytes(base + i, bytes([2, 0xee, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])))
             for i in range(n)]
    # A host resolved after the flood still finds room (the reserve).
    late = "10.1.0.4"
    after = [echo4(src=learned, seq=100), echo4(src=CLIENT_V4, seq=101), echo4(src=late, seq=102),
             arp_reply(late, "02:00:00:00:00:a4", P0_V4, P0_MAC)]
    res = run(cfg, {0: first + flood + after})
    c = res.stats["counters"]
    assert c["neigh_learn_refused"] > 0
    assert c["neigh_learned_request"] <= 1024
    replies = {p[ICMP].seq: p for p in res.out[0] if ICMP in p and p[ICMP].type == 0}
    assert 100 in replies and replies[100][Ether].dst == "02:00:00:00:00:a3"
    assert 101 in replies and replies[101][Ether].dst == CLIENT_MAC
    assert 102 in replies and replies[102][Ether].dst == "02:00:00:00:00:a4"
    # The learned-by-reply neighbour was never asked for again; the late one was.
    assert c["arp_requests"] == 2
    assert res.drops().get("neigh_table_full", 0) == 0
