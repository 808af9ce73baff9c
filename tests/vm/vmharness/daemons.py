"""Host-side backends a scenario's devices need (vhost-user daemons such as
qemu-storage-daemon and virtiofsd): started before QEMU, each in its own
process group that dies with the harness, stopped after it."""

import os
import signal
import subprocess
import time

from . import HarnessError
from .qemu import _child_setup


class Daemon:
    """name     for messages and the log file
    argv      the command; "{tmp}" and "{disk_NAME}" are replaced
    socket    path (same replacements) that exists once the daemon serves
    """

    def __init__(self, name, argv, socket):
        self.name = name
        self.argv = list(argv)
        self.socket = socket


class Running:
    def __init__(self, daemons, subst, tmpdir, timeout=20.0):
        self.procs = []
        self.logs = {}
        try:
            for d in daemons:
                self._start(d, subst, tmpdir, timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, d, subst, tmpdir, timeout):
        argv = [a.format(**subst) for a in d.argv]
        sock = d.socket.format(**subst)
        log = os.path.join(tmpdir, "%s.log" % d.name)
        self.logs[d.name] = log
        with open(log, "wb") as out:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 preexec_fn=_child_setup)
        self.procs.append((d.name, p))
        deadline = time.monotonic() + timeout
        while not os.path.exists(sock):
            if p.poll() is not None:
                raise HarnessError("%s exited with status %d before serving %s: %s"
                                   % (d.name, p.returncode, sock, self.tail(d.name)))
            if time.monotonic() > deadline:
                raise HarnessError("%s did not create %s in %.0fs: %s"
                                   % (d.name, sock, timeout, self.tail(d.name)))
            time.sleep(0.05)

    def tail(self, name, n=600):
        try:
            with open(self.logs[name], "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.wait()
        self.procs = []
