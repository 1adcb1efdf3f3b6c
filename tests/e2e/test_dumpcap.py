"""dpdk-dumpcap against a running data plane (SPEC §11): the data plane calls
rte_pdump_init, so dumpcap (a DPDK secondary process on the data plane's
--file-prefix) captures a port while traffic flows, and the data plane keeps
answering. Secondary processes map the primary's hugepages: the data plane
runs here on plain hugepages (no --in-memory, no --no-huge, which leave no
shared memory to attach to); without free hugepages the test is skipped."""
import os
import shutil
import subprocess

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.utils import rdpcap

from netns import V4, TwoPorts, hugepages_free, hugetlbfs_mounted, wait_until

DUMPCAP = shutil.which("dpdk-dumpcap")


def test_dumpcap_captures_a_port_while_traffic_flows(topology):
    if DUMPCAP is None:
        pytest.skip("dpdk-dumpcap not installed (Debian package dpdk)")
    if os.environ.get("AW_E2E_NO_HUGE") == "1" or hugepages_free() < 300 or not hugetlbfs_mounted():
        pytest.skip("dpdk-dumpcap needs the data plane on hugepages shared with secondary processes "
                    "(--in-memory / --no-huge have none): fewer than 300 free 2 MiB hugepages, "
                    "no hugetlbfs mount, or AW_E2E_NO_HUGE=1")
    t = TwoPorts(topology, start=False)
    dp = t.dp
    argv = dp.argv
    dp.argv = lambda: [a for a in argv() if a != "--in-memory"]
    dp.start()
    assert "packet capture (dpdk-dumpcap) unavailable" not in dp.log(), dp.log()
    # steady traffic: 0.1 s apart, bounded (the topology kills it at close)
    t.a.spawn("ping", "-n", "-i", "0.1", "-c", "600", "-w", "60", V4["dp0"])
    out = topology.tmp / "cap.pcapng"
    r = subprocess.run([DUMPCAP, "--file-prefix=" + dp.file_prefix, "-i", "0", "-c", "12", "-q",
                        "-w", str(out)], capture_output=True, timeout=60, cwd=topology.tmp)
    assert r.returncode == 0, (r.returncode, r.stdout.decode(), r.stderr.decode(), dp.log()[-3000:])
    pkts = rdpcap(str(out))
    assert len(pkts) >= 12, len(pkts)
    echo = [p for p in pkts if IP in p and ICMP in p]
    requests = [p for p in echo if p[ICMP].type == 8 and p[IP].src == V4["a"] and p[IP].dst == V4["dp0"]]
    replies = [p for p in echo if p[ICMP].type == 0 and p[IP].src == V4["dp0"] and p[IP].dst == V4["a"]]
    # dumpcap taps both RX and TX of port 0: the requests in, the data plane's replies out
    assert requests and replies, [p.summary() for p in pkts]
    # after the capture ends (callbacks removed), the data plane still answers
    rc, outp = t.a.ping(V4["dp0"], count=3)
    assert rc == 0 and "3 received" in outp, outp
    assert dp.running()
    dp.stop_checked()
