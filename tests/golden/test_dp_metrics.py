"""The data plane's metrics endpoint (`"metrics": {"listen": ...}`, SPEC §11)
and the ASRS per-service / per-destination counters (`service.stats`):
known packets through ASRS on net_pcap, then the counters checked exactly;
the endpoint scraped with curl and parsed twice (the strict parser of
tests/control/test_metrics.py and prometheus_client's); every drop reason
and counter served with the value `stats` gives; every number of the
features' stats sections typed; bad `metrics` configs refused with one
precise line, at start and by --check-config alike."""

import importlib.util
import json
import socket
import subprocess
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6

from asrs_fixtures import *  # noqa: F401,F403
from harness import Dataplane, app_error_lines, binary, run_bad_config

_spec = importlib.util.spec_from_file_location(
    "control_metrics", Path(__file__).resolve().parents[1] / "control" / "test_metrics.py")
_cm = importlib.util.module_from_spec(_spec)
import sys  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))
_spec.loader.exec_module(_cm)
strict_parse, curl, CTYPE = _cm.parse, _cm.curl, _cm.CTYPE

SNAT_MIN = 20000
LOOP_COUNTERS = {"idle_sleeps", "polls_busy", "polls_idle", "cycles_busy", "cycles_idle"}
RELAY_PORT = 7811
GW_PORT = 7813


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cfg(port, trs=True):
    """ASRS; with trs, the relay and the overlay gateway too (every feature on)."""
    c = asrs_config(asrs={"snat_ports": {"min": SNAT_MIN, "max": 20999}})
    c["metrics"] = {"listen": "127.0.0.1:%d" % port}
    if trs:
        c["trs"] = {"port": RELAY_PORT, "addrs": [P1_V4, P1_V6], "max_paths": 1024}
        c["gateway"] = {"port": GW_PORT, "prefixes": ["10.200.0.0/16", "fd00:200::/64"], "max_paths": 1024}
    return c


def ip_len(f):
    return len(f[IP])


def traffic():
    """Two TCP flows to WEB (one answered), one UDP flow to DNS, one SYN to
    the empty service (refused, no session). One lcore: SNAT ports in order."""
    a1 = built(frame4(tcp_seg(sport=40000, dport=80, flags="S", seq=1000)))
    r1 = built(eth(P0_MAC, HOST_MAC) / IP(src=HOST_V4, dst=P1_V4, ttl=64) /
               TCP(sport=8080, dport=SNAT_MIN, flags="SA", seq=5000, ack=1001, window=1000))
    a2 = built(frame4(tcp_seg(sport=40000, dport=80, flags="A", seq=1001, ack=5001, payload=b"GET / HTTP/1.0\r\n\r\n")))
    b1 = built(frame4(tcp_seg(sport=40001, dport=80, flags="S", seq=77)))
    d1 = built(frame4(UDP(sport=5555, dport=53) / b"dns-query-payload"))
    e1 = built(frame4(tcp_seg(sport=40002, dport=81, flags="S", seq=9)))
    return [a1, r1, a2, b1, d1, e1], {
        WEB: {"conns": 2, "active": 2, "in_pkts": 3, "in_bytes": ip_len(a1) + ip_len(a2) + ip_len(b1),
              "out_pkts": 1, "out_bytes": ip_len(r1)},
        DNS: {"conns": 1, "active": 1, "in_pkts": 1, "in_bytes": ip_len(d1), "out_pkts": 0, "out_bytes": 0},
    }


ZERO = {"conns": 0, "active": 0, "in_pkts": 0, "in_bytes": 0, "out_pkts": 0, "out_bytes": 0}
KEYS = tuple(ZERO)


def counters(o):
    return {k: o[k] for k in KEYS}


def scrape(port):
    status, headers, body = curl("http://127.0.0.1:%d/metrics" % port)
    assert status == 200, (status, body[:500])
    assert headers.get("content-type") == CTYPE, headers
    return body


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(fams, fam, suffix="_total", **labels):
    got = [s.value for s in fams[fam].samples if s.name == fam + suffix and s.labels == labels]
    assert len(got) == 1, (fam, labels, [s for s in fams[fam].samples][:5])
    return got[0]


def test_service_stats_exact_then_destination_removed():
    port = free_port()
    pkts, want = traffic()
    with Dataplane(cfg(port, trs=False), {0: pkts}) as dp:
        dp.wait_idle(expect_rx=len(pkts))
        r = dp.api({"op": "service.stats"})
        assert r["ok"], r
        by = {s["service"]: s for s in r["services"]}
        assert set(by) == {WEB, WEB6, DNS, EMPTY}
        for uri in (WEB, DNS):
            assert counters(by[uri]) == want[uri], (uri, by[uri])
            assert len(by[uri]["destinations"]) == 1
            d = by[uri]["destinations"][0]
            assert (d["addr"], d["port"]) == (HOST_V4, 8080 if uri == WEB else 5353)
            assert counters(d) == want[uri] and "removed" not in d
        assert by[WEB]["sid"] == "%016x" % sid(WEB)
        assert counters(by[WEB6]) == ZERO and counters(by[EMPTY]) == ZERO
        assert by[EMPTY]["destinations"] == []
        assert counters(r["other"]) == ZERO
        assert dp.stats()["asrs"]["sessions"] == 3
        one = dp.api({"op": "service.stats", "service": DNS})
        assert [s["service"] for s in one["services"]] == [DNS]

        # WEB moves to HOST2: the old destination keeps its counters and its
        # live sessions (removed: true) until they end.
        assert dp.api({"op": "service.set", "service": WEB,
                       "destinations": [{"addr": HOST2_V4, "port": 8080}]})["ok"]
        web = [s for s in dp.api({"op": "service.stats", "service": WEB})["services"]][0]
        dests = {(d["addr"], d["port"]): d for d in web["destinations"]}
        assert counters(dests[(HOST2_V4, 8080)]) == ZERO and "removed" not in dests[(HOST2_V4, 8080)]
        assert counters(dests[(HOST_V4, 8080)]) == want[WEB] and dests[(HOST_V4, 8080)]["removed"] is True
        assert counters(web) == want[WEB]

        fams = families(scrape(port))
        assert sample(fams, "anyway_dp_asrs_service_in_packets", service=WEB) == 3
        assert sample(fams, "anyway_dp_asrs_service_active_sessions", "", service=DNS) == 1
        assert sample(fams, "anyway_dp_asrs_destination_in_bytes", service=WEB,
                      destination="%s:8080" % HOST_V4) == want[WEB]["in_bytes"]
        assert sample(fams, "anyway_dp_asrs_destination_sessions", service=WEB,
                      destination="%s:8080" % HOST2_V4) == 0
        assert sample(fams, "anyway_dp_asrs_service_sessions", service="(other)") == 0
        dp.stop()


def test_removed_destination_leaves_when_its_sessions_end_service_totals_kept():
    """Sessions expire (1 s timeouts): the removed destination's counters
    leave the listing, the service's totals keep them (a counter never goes
    down); a deleted service's counters go with it."""
    import time
    port = free_port()
    pkts, want = traffic()
    c = cfg(port, trs=False)
    c["asrs"]["timeouts"] = {"tcp_syn": 1, "tcp_established": 1, "tcp_closing": 1, "udp": 1}
    with Dataplane(c, {0: pkts}) as dp:
        dp.wait_idle(expect_rx=len(pkts))
        assert dp.api({"op": "service.set", "service": WEB,
                       "destinations": [{"addr": HOST2_V4, "port": 8080}]})["ok"]
        assert dp.api({"op": "service.del", "service": DNS})["existed"] is True
        deadline = time.monotonic() + 30
        while True:  # bounded wait for the sessions to expire (behaviour, not timing)
            web = dp.api({"op": "service.stats", "service": WEB})["services"][0]
            if web["active"] == 0 and len(web["destinations"]) == 1 and dp.stats()["asrs"]["sessions"] == 0:
                break
            assert time.monotonic() < deadline, web
            time.sleep(0.2)
        assert dp.stats()["asrs"]["sessions"] == 0
        assert [(d["addr"], d["port"]) for d in web["destinations"]] == [(HOST2_V4, 8080)]
        assert counters(web) == dict(want[WEB], active=0), web
        fams = families(scrape(port))
        assert sample(fams, "anyway_dp_asrs_service_in_packets", service=WEB) == want[WEB]["in_pkts"]
        assert sample(fams, "anyway_dp_asrs_service_in_bytes", service=WEB) == want[WEB]["in_bytes"]
        dests = {s.labels["destination"] for s in fams["anyway_dp_asrs_destination_in_packets"].samples}
        assert "%s:8080" % HOST_V4 not in dests and "%s:8080" % HOST2_V4 in dests
        # DNS comes back, its sessions all ended (the reads above freed its pair): from zero
        assert dp.api({"op": "service.set", "service": DNS,
                       "destinations": [{"addr": HOST_V4, "port": 5353}]})["ok"]
        dns = dp.api({"op": "service.stats", "service": DNS})["services"][0]
        assert counters(dns) == ZERO and [counters(d) for d in dns["destinations"]] == [ZERO], dns
        dp.stop()


def test_service_stats_errors():
    port = free_port()
    with Dataplane(cfg(port, trs=False)) as dp:
        dp.wait_idle(expect_rx=0)
        r = dp.api({"op": "service.stats", "service": "asrs://nowhere/x"})
        assert r == {"ok": False, "error": "service asrs://nowhere/x: no such service"}, r
        r = dp.api({"op": "service.stats", "bogus": 1})
        assert r["ok"] is False and "unknown key 'bogus'" in r["error"], r
        dp.stop()


def numbers(section, prefix=""):
    """{key: value} of every number of a stats section, one level of objects."""
    out = {}
    for k, v in section.items():
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[prefix + k] = v
        elif isinstance(v, dict) and not prefix:
            for k2, v2 in numbers(v, k + "/").items():
                out[k2] = v2
    return out


def test_metrics_endpoint_every_counter_typed_and_equal_to_stats():
    port = free_port()
    pkts, _ = traffic()
    with Dataplane(cfg(port), {0: pkts}) as dp:
        dp.wait_idle(expect_rx=len(pkts))
        text = scrape(port)
        stats = dp.stats()
        strict = strict_parse(text)  # names unique and valid, HELP/TYPE, # EOF
        fams = families(text)
        assert fams["anyway_dp_drops"].type == "counter"
        assert fams["anyway_dp_in_flight_packets"].type == "gauge"
        drops = {s.labels["reason"]: s.value for s in fams["anyway_dp_drops"].samples if s.name.endswith("_total")}
        assert drops == {k: float(v) for k, v in stats["drops"].items()}, "every drop reason, same value"
        for k, v in stats["counters"].items():
            assert fams["anyway_dp_" + k].type == "counter", k
            if k in LOOP_COUNTERS:  # the loop runs on between the scrape and `stats`
                assert sample(fams, "anyway_dp_" + k) <= v, k
            else:
                assert sample(fams, "anyway_dp_" + k) == v, k
        assert sample(fams, "anyway_dp_rx_packets") == stats["rx"] == len(pkts)
        assert sample(fams, "anyway_dp_tx_packets") == stats["tx"]
        assert sample(fams, "anyway_dp_rx_bytes") == stats["rx_bytes"]
        ports = {s.labels["port"] for s in fams["anyway_dp_port_rx_packets"].samples}
        assert ports == {p["name"] for p in stats["ports"]}
        for p in stats["ports"]:
            assert sample(fams, "anyway_dp_port_rx_packets", port=p["name"]) == p["hw"]["ipackets"]
            assert sample(fams, "anyway_dp_port_tx_errors", port=p["name"]) == p["hw"]["oerrors"]
        for p in stats["ports"]:  # per queue: the port's packets, spread
            q = [s.value for s in fams["anyway_dp_port_rx_queue_packets"].samples
                 if s.name.endswith("_total") and s.labels["port"] == p["name"]]
            assert len(q) == p["rx_queues"] and sum(q) == p["hw"]["ipackets"], (p, q)
        for s in fams.get("anyway_dp_port_xstat_losses", type("F", (), {"samples": []})).samples:
            assert any(w in s.labels["name"] for w in ("error", "drop", "discard", "miss", "fail")), s
        lc = {s.labels["lcore"] for s in fams["anyway_dp_lcore_rx_packets"].samples}
        assert lc == {str(x["lcore"]) for x in stats["lcores"]}
        for fam in ("anyway_dp_lcore_polls_busy", "anyway_dp_lcore_polls_idle",
                    "anyway_dp_lcore_cycles_busy", "anyway_dp_lcore_cycles_idle"):
            assert {s.labels["lcore"] for s in fams[fam].samples} == lc, fam
        # counters only grow: the scrape came before the `stats` read
        for x in stats["lcores"]:
            for k in ("polls_busy", "polls_idle", "cycles_busy", "cycles_idle"):
                assert x[k] >= sample(fams, "anyway_dp_lcore_" + k, lcore=str(x["lcore"])) > 0, (x, k)
        # Each feature's stats section (every object of `stats` but the core's):
        # every number served, typed. A new feature's section needs its table.
        feats = [k for k, v in stats.items() if isinstance(v, dict) and k not in ("drops", "counters", "api")]
        assert {"asrs", "relay", "gateway"} <= set(feats), feats
        for feat in feats:
            for key, v in numbers(stats[feat]).items():
                base, _, member = key.partition("/")
                fam = "anyway_dp_%s_%s" % (feat, base)
                assert fam in fams, "%s.%s has no metric (add it to the feature's metrics table)" % (feat, key)
                t = fams[fam].type
                assert t in ("counter", "gauge")
                got = [s.value for s in fams[fam].samples
                       if s.name == fam + ("_total" if t == "counter" else "") and
                       (not member or member in s.labels.values())]
                assert len(got) == 1 and got[0] == v, (feat, key, got, v)
        assert fams["anyway_dp_asrs_sessions_expired"].type == "counter"
        assert fams["anyway_dp_asrs_sessions"].type == "gauge"
        assert fams["anyway_dp_metrics_scrapes"].type == "counter"
        assert len(strict) == sum(len([s for s in f.samples if not s.name.endswith("_created")])
                                  for f in fams.values())
        status, _, _ = curl("http://127.0.0.1:%d/other" % port)
        assert status == 404
        dp.stop()


BAD = [
    ({"listen": "127.0.0.1"}, "metrics.listen"),
    ({"listen": "127.0.0.1:99999"}, "metrics.listen"),
    ({"listen": 7810}, "metrics.listen: expected string"),
    ({}, "metrics.listen: required key missing"),
    ({"listen": "127.0.0.1:9", "path": "/m"}, "unknown key 'path'"),
    ("127.0.0.1:9", "metrics: expected object"),
]


@pytest.mark.parametrize("m,msg", BAD, ids=range(len(BAD)))
def test_bad_metrics_config_refused_at_start_and_by_check_config(m, msg, tmp_path):
    c = asrs_config()
    c["metrics"] = m
    rc, err, path = run_bad_config(c)
    lines = app_error_lines(err)
    assert rc == 2 and len(lines) == 1 and msg in lines[0], (rc, err[-2000:])
    f = tmp_path / "cfg.json"
    f.write_text(json.dumps(c))
    p = subprocess.run([binary(), "--check-config", str(f)], capture_output=True, timeout=20,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and msg in p.stderr.decode(), (p.returncode, p.stderr)


def test_metrics_port_in_use_refused_at_start():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        rc, err, _ = run_bad_config(cfg(port, trs=False))
    lines = [ln for ln in err.splitlines() if "metrics.listen" in ln]
    assert rc != 0 and lines and ("127.0.0.1:%d" % port) in lines[0], (rc, err[-2000:])


# -- anyway-ctl services --stats / stats -i -------------------------------------------
def ctl_bin():
    return str(Path(binary()).resolve().parents[1] / "control" / "ctl" / "anyway-ctl")


def ctl(*args, timeout=30):
    p = subprocess.run([ctl_bin(), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    assert not any(m in p.stderr for m in ("runtime error:", "AddressSanitizer", "LeakSanitizer")), p.stderr
    return p


def rows(text):
    """An aligned table (header first) as dicts, cells cut at the headers' columns."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    names = lines[0].split()
    starts, pos = [], 0
    for n in names:
        pos = lines[0].index(n, pos)
        starts.append(pos)
        pos += len(n)
    out = []
    for ln in lines[1:]:
        cells = [ln[s:(starts[i + 1] if i + 1 < len(starts) else len(ln))].strip() for i, s in enumerate(starts)]
        out.append(dict(zip(names, cells)))
    return out


def test_ctl_services_stats_like_ipvsadm():
    port = free_port()
    pkts, want = traffic()
    with Dataplane(cfg(port, trs=False), {0: pkts}) as dp:
        dp.wait_idle(expect_rx=len(pkts))
        p = ctl("--socket", dp.sock, "services", "--stats")
        assert p.returncode == 0 and p.stderr == "", p
        t = rows(p.stdout)
        assert list(t[0]) == ["SERVICE", "DESTINATION", "CONNS", "ACTIVE", "INPKTS", "OUTPKTS", "INBYTES", "OUTBYTES"]
        i = [r["SERVICE"] for r in t].index(WEB)
        w = want[WEB]
        cells = lambda r: [int(r[k]) for k in ("CONNS", "ACTIVE", "INPKTS", "OUTPKTS", "INBYTES", "OUTBYTES")]  # noqa: E731
        expect = [w["conns"], w["active"], w["in_pkts"], w["out_pkts"], w["in_bytes"], w["out_bytes"]]
        assert t[i]["DESTINATION"] == "(all)" and cells(t[i]) == expect
        assert t[i + 1]["SERVICE"] == "" and t[i + 1]["DESTINATION"] == "%s:8080" % HOST_V4
        assert cells(t[i + 1]) == expect
        # --json: the service.stats reply itself
        j = json.loads(ctl("--socket", dp.sock, "--json", "service", "list", "--stats").stdout)
        assert j["ok"] and {s["service"] for s in j["services"]} == {WEB, WEB6, DNS, EMPTY}
        p = ctl("--socket", dp.sock, "vips", "--stats")
        assert p.returncode == 2 and "vips: no --stats option" in p.stderr, p
        p = ctl("--socket", dp.sock, "services", "-c", "2")
        assert p.returncode == 2 and "-c needs -i SECONDS" in p.stderr, p
        p = ctl("--socket", dp.sock, "-i", "1", "vips")
        assert p.returncode == 2 and "vips: no -i option" in p.stderr, p
        # stats -i 1 -c 2 on the idle data plane: a header and two lines of zero rates
        p = ctl("--socket", dp.sock, "stats", "-i", "1", "-c", "2")
        assert p.returncode == 0, p
        t = rows(p.stdout)
        assert len(t) == 2 and list(t[0]) == ["RX_PPS", "TX_PPS", "RX_BPS", "TX_BPS", "DROPS_PS", "DROPS_PS_BY_REASON"]
        assert all(r["RX_PPS"] == "0" and r["DROPS_PS"] == "0" and r["DROPS_PS_BY_REASON"] == "-" for r in t), t
        dp.stop()


class StatsFake:
    """A data plane double for `stats -i`: the n-th stats reply (0-based) has
    n * 1000 packets each way, n * 1000 * 100 bytes, n * 6 no_route and n * 2
    tx_full drops, and time_ms n * 2000: 500 pps, 400000 bps, 3 + 1 drops/s."""

    def __init__(self, path):
        import threading
        self.path, self.n = path, 0
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(20)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.settimeout(10)
                buf = b""
                while b"\n" not in buf:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                if b"\n" not in buf:
                    continue
                assert json.loads(buf.split(b"\n")[0]) == {"op": "stats"}
                n = self.n
                self.n += 1
                r = {"ok": True, "rx": n * 1000, "tx": n * 1000, "rx_bytes": n * 100000, "tx_bytes": n * 100000,
                     "drops_total": n * 8, "drops": {"no_route": n * 6, "tx_full": n * 2, "ttl_exceeded": 0},
                     "time_ms": 10000 + n * 2000}
                c.sendall(json.dumps(r).encode() + b"\n")

    def close(self):
        self.sock.close()


def test_ctl_stats_interval_rates_over_the_data_planes_clock(tmp_path):
    f = StatsFake(str(tmp_path / "s.sock"))
    try:
        p = ctl("--socket", f.path, "stats", "-i", "1", "-c", "2")
        assert p.returncode == 0, p
        t = rows(p.stdout)
        assert len(t) == 2, p.stdout
        for r in t:
            assert (r["RX_PPS"], r["TX_PPS"], r["RX_BPS"], r["TX_BPS"]) == ("500", "500", "400000", "400000"), r
            assert r["DROPS_PS"] == "4" and r["DROPS_PS_BY_REASON"] == "no_route 3, tx_full 1", r
        p = ctl("--socket", f.path, "--json", "stats", "-i", "1", "-c", "1")
        j = json.loads(p.stdout)
        assert j == {"interval_s": 2.0, "rx_pps": 500.0, "tx_pps": 500.0, "rx_bps": 400000.0, "tx_bps": 400000.0,
                     "drops_ps": 4.0, "drops_ps_by_reason": {"no_route": 3.0, "tx_full": 1.0}}, j
    finally:
        f.close()


def test_pipeline_workers_counters_summed_over_lcores():
    """Three pipeline workers fed round-robin with bursts of 2: 12 flows of 3
    segments each to WEB reach several workers; the per-lcore rows summed
    give every packet, byte and session exactly once."""
    from test_pipeline import lcore_map
    port = free_port()
    c = cfg(port, trs=False)
    c.update(mode="pipeline", burst=2, idle_sleep_us=50, mbufs=8191,
             pipeline={"rx_lcores": [1], "worker_lcores": [2, 3, 4], "tx_lcores": [5],
                       "gap_timeout_us": 500000})
    pkts = []
    for cl in range(12):
        pkts.append(built(frame4(tcp_seg(sport=42000 + cl, flags="S", seq=1))))
        pkts.append(built(frame4(tcp_seg(sport=42000 + cl, flags="A", seq=2, ack=1))))
        pkts.append(built(frame4(tcp_seg(sport=42000 + cl, flags="PA", seq=2, ack=1, payload=b"x" * cl))))
    with Dataplane(c, {0: pkts}, lcores=lcore_map(6, 2)) as dp:
        dp.wait_idle(expect_rx=len(pkts), timeout=60)
        web = dp.api({"op": "service.stats", "service": WEB})["services"][0]
        want = {"conns": 12, "active": 12, "in_pkts": 36, "in_bytes": sum(ip_len(p) for p in pkts),
                "out_pkts": 0, "out_bytes": 0}
        assert counters(web) == want, web
        assert counters(web["destinations"][0]) == want
        assert dp.stats()["asrs"]["sessions"] == 12
        fams = families(scrape(port))
        assert sample(fams, "anyway_dp_asrs_service_sessions", service=WEB) == 12
        assert len(fams["anyway_dp_lcore_rx_packets"].samples) == 5
        dp.stop()


def test_pairs_beyond_the_bound_count_in_other():
    """8,200 services of one destination each, from the config: the pairs
    beyond AW_SVCSTATS_MAX - 1 (8191, three taken by the fixtures) count in
    `other`; the others apart."""
    port = free_port()
    bulk = ["asrs://bulk.example/%d" % i for i in range(8200)]
    c = cfg(port, trs=False)
    c["services"] = services() + [{"service": u, "destinations": [{"addr": HOST_V6, "port": 80}]} for u in bulk]
    first = built(frame6(tcp_seg(sport=40010, dport=4444), dst=prefix_addr(bulk[0])))
    last = built(frame6(tcp_seg(sport=40011, dport=4444), dst=prefix_addr(bulk[-1])))
    with Dataplane(c, {0: [first, last]}) as dp:
        dp.wait_idle(expect_rx=2)
        assert dp.stats()["asrs"]["sessions"] == 2
        one = {"conns": 1, "active": 1, "in_pkts": 1, "in_bytes": len(first[IPv6]), "out_pkts": 0, "out_bytes": 0}
        r = dp.api({"op": "service.stats", "service": bulk[0]})["services"][0]
        assert counters(r) == one and counters(r["destinations"][0]) == one, r
        r = dp.api({"op": "service.stats", "service": bulk[-1]})
        assert counters(r["services"][0]) == ZERO and r["services"][0]["destinations"] == [], r
        assert counters(r["other"]) == one, r
        fams = families(scrape(port))
        assert sample(fams, "anyway_dp_asrs_service_sessions", service="(other)") == 1
        n_dest = len({s.labels["destination"] + s.labels["service"]
                      for s in fams["anyway_dp_asrs_destination_sessions"].samples})
        assert n_dest == 8191, n_dest
        dp.stop()
