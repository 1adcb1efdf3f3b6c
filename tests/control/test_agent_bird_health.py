"""anyway-agent's announce rule against a BIRD that hangs or answers slowly, and
the "ports are up" condition (SPEC §8, control/PROTOCOL.md "Announcing the VIPs"):
BIRD is played by FakeBird (a unix-socket server in this file speaking birdc's
line protocol, a TEST DOUBLE), the data plane by fake_dataplane.py (its --port
NAME ports report link_up in stats; set_link changes it). The BIRD exchange runs
on the agent's loop: while BIRD holds a command unanswered the agent keeps
answering its status socket and applying map updates. Needs no bird2."""

import os
import socket
import threading
import time
import urllib.request

from ctlharness import LineClient, admin, agent_status, dests, dp_dump, free_port, reg, wait_until


class FakeBird:
    """birdc's side of BIRD 2: greeting "0001 BIRD fake ready.", then one
    "enable NAME" / "disable NAME" per connection, answered as BIRD does
    (0011/0010 enabled/already enabled, 0009/0008 disabled/already disabled,
    then "0000 "). hold=True: accept and never answer (the connection stays open
    until the agent closes it). delay: seconds before the greeting and before
    the reply. restart(): the protocol is disabled again, as after a restart."""

    def __init__(self, path):
        self.path, self.hold, self.delay = path, False, 0.0
        self.enabled, self.commands = False, []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(16)
        self.srv.settimeout(0.1)
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def restart(self):
        with self.lock:
            self.enabled = False

    def _accept(self):
        while not self.stop.is_set():
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            self.threads.append(t)
            t.start()

    def _wait(self, seconds):
        return not self.stop.wait(seconds) if seconds > 0 else not self.stop.is_set()

    def _serve(self, c):
        c.settimeout(0.1)
        try:
            if self.hold:
                while not self.stop.is_set():  # until the agent gives up and closes
                    try:
                        if c.recv(4096) == b"":
                            return
                    except socket.timeout:
                        continue
                return
            if not self._wait(self.delay):
                return
            c.sendall(b"0001 BIRD fake ready.\n")
            buf, end = b"", time.monotonic() + 10
            while b"\n" not in buf and time.monotonic() < end and not self.stop.is_set():
                try:
                    d = c.recv(4096)
                except socket.timeout:
                    continue
                if not d:
                    return
                buf += d
            cmd = buf.split(b"\n")[0].decode().split()
            if len(cmd) != 2 or not self._wait(self.delay):
                return
            with self.lock:
                self.commands.append(" ".join(cmd))
                want = cmd[0] == "enable"
                code = (11 if want else 9) if want != self.enabled else (10 if want else 8)
                self.enabled = want
            c.sendall(b"%04d-%s: %s\n0000 \n" % (code, cmd[1].encode(), b"ok"))
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.stop.set()
        self.srv.close()
        for t in self.threads:
            t.join(5)
        os.unlink(self.path)


def start(procs, bird, dp_args=(), args=()):
    m = procs.mapd()
    dp = procs.fake_dp(args=list(dp_args))
    mport = free_port()
    ag = procs.agent([m.port], dp.sock, args=["--bird-socket", bird.path, "--bird-protocol", "anyway_vips",
                                              "--metrics", "127.0.0.1:%d" % mport] + list(args))
    return m, dp, ag, mport


def bird_st(ag):
    return agent_status(ag.status)["bird"]


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def test_hung_bird_stalls_nothing_and_state_follows_once_it_answers(procs):
    bird = FakeBird(str(procs.dir / "fakebird.ctl"))
    try:
        bird.hold = True
        m, dp, ag, _ = start(procs, bird)
        # the command is in flight on a connection BIRD never answers, and the
        # status socket answers meanwhile (the exchange does not block the loop)
        st = wait_until(lambda: (lambda s: s if s["in_flight"] else None)(bird_st(ag)),
                        what="a BIRD command in flight, seen through the status socket")
        assert st["in_flight"] in ("enable anyway_vips", "disable anyway_vips"), st
        assert not st["announced"] and not st["known"], st
        # map updates keep reaching the data plane while BIRD hangs
        a = admin(m.port)
        for i in range(3):
            assert a.call(reg("asrs://hang/%d" % i, "10.0.0.1", 80 + i))["ok"]
        wait_until(lambda: all(dests(dp_dump(dp.sock), "asrs://hang/%d" % i) for i in range(3)),
                   what="services applied while BIRD hangs")
        a.close()
        st = wait_until(lambda: (lambda s: s if s["errors"] >= 1 else None)(bird_st(ag)),
                        what="the hung exchange times out and is counted")
        assert "within 2000 ms" in st["last_error"] and not st["announced"], st
        wait_until(lambda: bird_st(ag)["health"] == "healthy", what="healthy while BIRD hangs")
        # BIRD answers again, slowly (inside the exchange bound): announced
        bird.delay, bird.hold = 0.3, False
        st = wait_until(lambda: (lambda s: s if s["announced"] else None)(bird_st(ag)),
                        what="announced once BIRD answers")
        assert st["known"] and st["reason"] == "healthy" and st["last_error"] == "", st
        assert bird.enabled and "enable anyway_vips" in bird.commands
        log = procs.log(ag)
        assert log.count("no greeting within 2000 ms") == 1, log  # one line per distinct error
        assert "bird: VIPs announced (protocol anyway_vips enabled): healthy" in log, log
    finally:
        bird.close()


def test_bird_restart_gets_the_state_back(procs):
    bird = FakeBird(str(procs.dir / "fakebird.ctl"))
    try:
        m, dp, ag, mport = start(procs, bird)
        wait_until(lambda: bird_st(ag)["announced"] and bird.enabled, what="announced")
        bird.restart()  # BIRD's config has the protocol disabled: a restart withdraws
        wait_until(lambda: bird.enabled, what="enabled again by the agent's periodic set")
        st = wait_until(lambda: (lambda s: s if s["restores"] >= 1 else None)(bird_st(ag)),
                        what="the restore counted")
        assert st["announced"] and st["errors"] == 0, st
        assert "anyway_agent_bird_restores_total 1" in metrics(mport)
        assert "protocol anyway_vips was disabled in BIRD (restarted?): enabled again" in procs.log(ag)
    finally:
        bird.close()


def test_a_port_with_link_down_withdraws(procs):
    bird = FakeBird(str(procs.dir / "fakebird.ctl"))
    try:
        m, dp, ag, mport = start(procs, bird, dp_args=["--port", "p0", "--port", "p1"])
        wait_until(lambda: bird_st(ag)["announced"], what="announced with both ports up")
        text = metrics(mport)
        assert 'anyway_agent_announce_health{reason="healthy"} 1' in text, text
        assert "\nanyway_agent_ports_down 0\n" in text, text
        c = LineClient(dp.sock)
        try:
            assert c.call({"op": "set_link", "port": "p1", "up": False})["ok"]
            st = wait_until(lambda: (lambda s: s if not s["announced"] and s["known"] else None)(bird_st(ag)),
                            what="withdrawn: port p1 down")
            assert st["reason"] == "port p1 link down" and st["health"] == st["reason"], st
            assert st["ports_down"] == 1 and not bird.enabled, st
            text = metrics(mport)
            assert 'anyway_agent_announce_health{reason="port_down"} 1' in text, text
            assert 'anyway_agent_announce_health{reason="healthy"} 0' in text, text
            assert "\nanyway_agent_ports_down 1\n" in text and "\nanyway_agent_vips_announced 0\n" in text, text
            # a port without the field (an older data plane) counts as up
            assert c.call({"op": "set_link", "port": "p1", "up": None})["ok"]
            st = wait_until(lambda: (lambda s: s if s["announced"] else None)(bird_st(ag)),
                            what="announced again: p1 reports no link state")
            assert st["reason"] == "healthy" and st["ports_down"] == 0 and bird.enabled, st
            assert c.call({"op": "set_link", "port": "p0", "up": False})["ok"]
            wait_until(lambda: bird_st(ag)["health"] == "port p0 link down", what="p0 down")
            assert c.call({"op": "set_link", "port": "p0", "up": True})["ok"]
            wait_until(lambda: bird_st(ag)["announced"] and bird_st(ag)["health"] == "healthy",
                       what="announced again: p0 up")
        finally:
            c.close()
        log = procs.log(ag)
        assert "bird: VIPs withdrawn (protocol anyway_vips disabled): port p1 link down" in log, log
    finally:
        bird.close()
