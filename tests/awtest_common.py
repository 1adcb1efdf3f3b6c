"""Helpers shared by the golden-packet and end-to-end suites (no pytest here)."""


def hugepages_free():
    """Free 2 MiB hugepages now (0 when unknown): decides --no-huge."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
