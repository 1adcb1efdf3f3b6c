"""anyway-ctl's command table as the binary shows it: --help names every
command, a command word alone runs its list form, an unknown second word
lists the ones that exist. The table itself (every entry complete, no two
entries claiming a command line, argument counts) is unit tested in
tests/unit/ctl/test_ctl_cmds.c.

Every subprocess has a timeout; the fake peers are closed by the fixture.
"""
import re

import pytest

from test_ctl import ctl, fake  # noqa: F401  (fake is a fixture)


def help_commands():
    """The command lines of --help: (section, words, help)."""
    p = ctl("--help")
    assert p.returncode == 0, p.stderr
    out, section = [], None
    for line in p.stdout.splitlines():
        if re.match(r"^(Data plane|Map server|Agent) \(", line):
            section = line.split(" (")[0]
        elif section and line.startswith("  ") and not line.startswith("   "):
            out.append((section, line.split()[0], line))
    return p.stdout, out


def test_help_lists_every_command_once_per_daemon():
    text, cmds = help_commands()
    words = {(s, w) for s, w, _ in cmds}
    for w in ("ping", "stats", "config", "vips", "vip", "listeners", "listener", "services",
              "service", "sessions", "relays", "relay"):
        assert ("Data plane", w) in words, w
    for w in ("services", "service", "subscribers", "limits", "relays", "relay", "register",
              "deregister"):
        assert ("Map server", w) in words, w
    assert ("Agent", "status") in words
    # the commands --mapd moves are marked, and the option says so
    assert "[--mapd]" in text and "the commands marked [--mapd]" in text
    assert text.endswith("Exit codes: 0 ok, 1 connection or API error, 2 usage error.\n")


@pytest.mark.parametrize("word, op", [("vip", "vip.list"), ("listener", "listener.list"),
                                      ("service", "service.list"), ("relay", "relay.list")])
def test_word_alone_is_the_list(fake, word, op):
    f = fake(b'{"ok":true,"vips":[],"listeners":[],"services":[],"relays":[],"cursor":null}\n')
    p = ctl("--socket", f.path, word)
    assert p.returncode == 0, p.stderr
    want = {"op": op, "limit": 1000} if word == "relay" else {"op": op}
    assert f.requests == [want]


@pytest.mark.parametrize("args, message", [
    (["service", "frob"], "service: unknown subcommand 'frob' (list, set, del, get)"),
    (["relay", "frob"], "relay: unknown subcommand 'frob' (list, get, add, del)"),
    (["listener", "list", "x"], "listener list takes no arguments"),
    (["relays", "add", "00", "11"], "usage: relays [limit N]"),
    (["--mapd", "127.0.0.1:1", "service", "set", "asrs://a/b"],
     "service set: not a map server command (the map server has services, service get, "
     "subscribers, limits, relays, relay get, relay add, relay del, gateways, gateway get, "
     "gateway add, gateway del, members, register, deregister)"),
    (["--mapd", "127.0.0.1:1", "relay", "frob"],
     "relay frob: not a map server command (the map server has services"),
])
def test_table_usage_errors(args, message):
    p = ctl(*args)
    assert p.returncode == 2, (args, p.stderr)
    assert p.stderr.startswith("anyway-ctl: " + message), p.stderr
    assert p.stdout == ""
