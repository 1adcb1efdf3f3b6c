"""The ASRS data path on af_xdp ports (the other driver the end-to-end
harness supports; the other test_asrs*.py modules use af_packet): a listener,
the UDP shim and an IPv6 service address, each with real clients and
servers, then conservation and a clean stop.
"""
import re

import pytest

from asrs_env import (ECHO, SNAT4, SNAT6, SVC_PREFIX6, VIP, WEB6, asrs_config, asrs_network,
                      assert_conserved, curl, service_addr6, shim_ping, who)
from test_basic import af_xdp_unavailable


def test_asrs_on_af_xdp(request, e2e_env):
    reason = af_xdp_unavailable()
    if reason:
        pytest.skip(reason)
    try:
        net = asrs_network(request, asrs_config(), driver="af_xdp")
    except AssertionError as e:
        # as test_basic.test_af_xdp: the PMD itself could not attach (XDP
        # program, XSK socket, UMEM) is a kernel / environment limit
        pmd = [l for l in str(e).splitlines()
               if re.search(r"af_xdp|xsk|libbpf|libxdp|umem", l, re.I)
               and re.search(r"fail|error|cannot|unable|not supported", l, re.I)]
        if pmd:
            pytest.skip("net_af_xdp cannot attach here: " + " | ".join(pmd[:3]))
        raise
    rc, body, info = curl(net.a, f"http://{VIP}/")
    assert rc == 0, info
    assert who(body)[:2] == ("web1", SNAT4), body
    for mode in ("sid", "uri"):
        results = shim_ping(net.a, VIP, f"{mode}:{ECHO}", [1, 1000])
        assert [r["result"] for r in results] == ["ok", "ok"], (mode, results)
    rc, body, info = curl(net.a, f"http://[{service_addr6(SVC_PREFIX6, WEB6)}]/", "-6")
    assert rc == 0, info
    assert who(body)[:2] == ("web1", SNAT6), body
    assert_conserved(net.dp)
