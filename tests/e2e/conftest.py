"""pytest glue for the end-to-end suite: makes netns.py importable and
exposes its fixtures (e2e_env, topology, two_ports)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from netns import e2e_env, topology, two_ports  # noqa: E402,F401
