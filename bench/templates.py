#!/usr/bin/python3
"""anyway-bench's traffic templates and data plane configs, built from the
golden-packet fixtures (tests/golden/golden_common.py) so that the bench sends
the same packets the tests check.

  templates.py --pcaps DIR [--stamp FILE]
      writes DIR/<scenario>.pcap for every scenario this build can run
  templates.py --dp-config SCENARIO --api SOCKET [--workers N] [--in-process]
               [--mbufs N] [--out FILE]
      prints (or writes) the data plane config the scenario runs against:
      the golden topology (port 0: clients, port 1: hosts), busy polling.

A template is the headers of each frame (payload empty): anyway-bench varies
the L4 ports per flow, pads to --pkt-size and appends its stamp. Scenarios of
features the data plane does not have yet (asrs-*, trs-*, mixed) get no
template: anyway-bench refuses them with a message.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "golden"))
import golden_common as g  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402


def frames(scenario):
    """Template frames of a scenario: routed client -> host UDP (IPv4)."""
    if scenario in ("plain", "pipeline"):
        return [g.udp4(payload=b"")]
    raise SystemExit("templates.py: no template for scenario %r (feature not built)" % scenario)


RUNNABLE = ("plain", "pipeline")


def dp_config(scenario, api, workers, in_process=False, mbufs=32767):
    if scenario not in RUNNABLE:
        raise SystemExit("templates.py: --dp-config: scenario %r cannot run in this build" % scenario)
    c = g.config(idle_sleep_us=0, mbufs=mbufs, api={"unix": api})
    if scenario == "pipeline" and not in_process:
        wl = list(range(2, 2 + workers))
        c["mode"] = "pipeline"
        c["pipeline"] = {"rx_lcores": [1], "worker_lcores": wl, "tx_lcores": [2 + workers]}
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcaps", help="directory to write <scenario>.pcap into")
    ap.add_argument("--stamp", help="file to touch when done (meson)")
    ap.add_argument("--dp-config", metavar="SCENARIO")
    ap.add_argument("--api", default="/tmp/anyway-bench-dp.sock")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--in-process", action="store_true",
                    help="config for anyway-bench --in-process (rtc mode, its reorder stage stands in for the pipeline)")
    ap.add_argument("--mbufs", type=int, default=32767)
    ap.add_argument("--out")
    a = ap.parse_args()
    if not a.pcaps and not a.dp_config:
        ap.error("--pcaps DIR or --dp-config SCENARIO is required")
    if a.workers < 1 or a.workers > 16:
        ap.error("--workers: expected 1..16")
    if a.pcaps:
        d = Path(a.pcaps)
        d.mkdir(parents=True, exist_ok=True)
        for s in RUNNABLE:
            wrpcap(str(d / (s + ".pcap")), frames(s))
    if a.dp_config:
        text = json.dumps(dp_config(a.dp_config, a.api, a.workers, a.in_process, a.mbufs), indent=1) + "\n"
        if a.out:
            Path(a.out).write_text(text)
        else:
            sys.stdout.write(text)
    if a.stamp:
        Path(a.stamp).write_text("ok\n")


if __name__ == "__main__":
    main()
