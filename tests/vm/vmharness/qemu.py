"""Run one QEMU guest: process control, QMP client, handshake channel.

The harness listens on two unix sockets before QEMU starts and QEMU connects
to them as a client (so nothing the guest says can be lost to a race):
  chan.sock  the guest's /dev/ttyS1: "@@VM ..." protocol lines (lib.sh)
  qmp.sock   QMP
QEMU runs in its own process group, dies with the harness (PR_SET_PDEATHSIG),
and is killed (SIGKILL to its group) on every exit path.
"""

import base64
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import time

from . import HarnessError

PR_SET_PDEATHSIG = 1


def _child_setup():
    # Runs in the child between fork and exec.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class GuestFailure(Exception):
    """The guest did not get to the end of its script."""


class Result:
    """One command run in the guest with vm_run."""

    def __init__(self, name):
        self.name = name
        self.rc = None
        self.stdout = b""
        self.stderr = b""

    @property
    def text(self):
        return self.stdout.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.stdout.decode("utf-8"))

    def __repr__(self):
        return "Result(%s rc=%s out=%dB err=%dB)" % (
            self.name, self.rc, len(self.stdout), len(self.stderr))


class QMP:
    def __init__(self, sock, timeout=30):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.events = []
        self.greeting = self._read_msg()
        self.command("qmp_capabilities")

    def _read_msg(self):
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError("QMP: no answer in %ds" % self.timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                try:
                    data = self.sock.recv(65536)
                except OSError as e:
                    raise HarnessError("QMP: %s" % e)
                if not data:
                    raise HarnessError("QMP: connection closed")
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            raise HarnessError("QMP: %s" % e)
        while True:
            reply = self._read_msg()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise QMPError(name, args, reply["error"])
            return reply.get("return")


class QMPError(HarnessError):
    def __init__(self, name, args, err):
        self.name, self.args, self.err = name, args, err
        super().__init__("QMP %s %s: %s: %s" % (
            name, json.dumps(args), err.get("class"), err.get("desc")))


class Machine:
    """One QEMU process.

    handler(machine, kind, payload) is called for guest protocol events:
      ("hello", kernel_release), ("checkpoint", name) -> list of reply lines,
      ("result", Result), ("log", text), ("done", rc).
    """

    def __init__(self, qemu_argv, tmpdir, timeout, interactive=False,
                 console_log=None, verbose=False):
        self.qemu_argv = list(qemu_argv)
        self.tmpdir = tmpdir
        self.timeout = timeout
        self.interactive = interactive
        self.console_log = console_log or os.path.join(tmpdir, "console.log")
        self.verbose = verbose
        self.proc = None
        self.qmp = None
        self.chan = None
        self.listeners = []
        self.done_rc = None
        self.results = {}
        self.t_start = None
        self.t_hello = None
        self.next_console_look = 0.0
        self.t_done = None

    # -- process ---------------------------------------------------------
    def argv(self):
        chan = os.path.join(self.tmpdir, "chan.sock")
        qmp = os.path.join(self.tmpdir, "qmp.sock")
        a = list(self.qemu_argv)
        if self.interactive:
            a += ["-chardev", "stdio,id=con0,mux=on,signal=off,logfile=%s"
                  % self.console_log,
                  "-serial", "chardev:con0", "-mon", "chardev=con0,mode=readline",
                  "-qmp", "unix:%s,server=on,wait=off"
                  % os.path.join(self.tmpdir, "qmp-user.sock")]
        else:
            a += ["-chardev", "file,id=con0,path=%s" % self.console_log,
                  "-serial", "chardev:con0"]
        a += ["-chardev", "socket,id=chan0,path=%s" % chan,
              "-serial", "chardev:chan0",
              "-chardev", "socket,id=qmp0,path=%s" % qmp,
              "-mon", "chardev=qmp0,mode=control"]
        return a, chan, qmp

    def _listen(self, path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1)
        self.listeners.append(s)
        return s

    def start(self):
        argv, chan_path, qmp_path = self.argv()
        lchan = self._listen(chan_path)
        lqmp = self._listen(qmp_path)
        if self.verbose:
            print("[vm] " + " ".join(_shquote(x) for x in argv), flush=True)
        self.stderr_path = os.path.join(self.tmpdir, "qemu.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.t_start = time.monotonic()
        self.deadline = self.t_start + self.timeout
        self.proc = subprocess.Popen(
            argv, stdin=None if self.interactive else subprocess.DEVNULL,
            stdout=None if self.interactive else self._stderr,
            stderr=self._stderr, preexec_fn=_child_setup,
            start_new_session=not self.interactive)
        pending = {lchan: "chan", lqmp: "qmp"}
        socks = {}
        while pending:
            r, _, _ = select.select(list(pending), [], [], 0.2)
            for l in r:
                conn, _ = l.accept()
                socks[pending.pop(l)] = conn
            if self.proc.poll() is not None:
                raise HarnessError("QEMU exited with status %d at start "
                                   "(its stderr below)" % self.proc.returncode)
            if time.monotonic() > self.t_start + 60:
                raise HarnessError("QEMU did not connect its sockets in 60s")
        for l in self.listeners:
            l.close()
        self.listeners = []
        self.chan = socks["chan"]
        try:
            self.qmp = QMP(socks["qmp"])
        except HarnessError as e:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            raise HarnessError("%s (QEMU exit status %s, its stderr below)"
                               % (e, self.proc.returncode))

    def qemu_stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def console_text(self):
        try:
            with open(self.console_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def hung_task(self):
        """The guest kernel's first "task ... blocked for more than" line
        on the console, or None: a task stuck where no timeout can kill it
        (a request its driver never gets back) would otherwise hold the
        run until the scenario's timeout."""
        for line in self.console_text().splitlines():
            if "INFO: task " in line and "blocked for more than" in line:
                return line.strip()
        return None

    def kill(self):
        for l in self.listeners:
            l.close()
        self.listeners = []
        if self.proc is not None and self.proc.poll() is None:
            if self.qmp is not None:
                try:
                    self.qmp.sock.settimeout(2)
                    self.qmp.sock.sendall(b'{"execute":"quit"}\n')
                    self.proc.wait(timeout=3)
                except Exception:
                    pass
            if self.proc.poll() is None:
                try:
                    if self.interactive:
                        self.proc.kill()
                    else:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        for s in (self.chan, self.qmp.sock if self.qmp else None):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if getattr(self, "_stderr", None):
            self._stderr.close()
            self._stderr = None

    # -- channel ---------------------------------------------------------
    def send_line(self, line):
        self.chan.sendall(line.encode() + b"\n")

    def run(self, handler):
        """Serve the guest until its script is done (or, interactive, until
        QEMU exits).  Raises GuestFailure on timeout or early exit."""
        buf = b""
        cur = None          # Result being received
        section = None      # "out" / "err"
        chunks = []
        expect_len = 0
        while True:
            now = time.monotonic()
            if not self.interactive and now > self.deadline:
                last = list(self.results)[-1] if self.results else None
                raise GuestFailure("timeout: the guest did not finish in %ds (%s)"
                                   % (self.timeout, "last result: %s" % last if last
                                      else "no result yet"))
            if not self.interactive and now > self.next_console_look:
                self.next_console_look = now + 5
                hung = self.hung_task()
                if hung:
                    raise GuestFailure("the guest kernel reports a hung task: %s" % hung)
            if self.proc.poll() is not None:
                if self.interactive and self.done_rc is not None:
                    return
                raise GuestFailure("QEMU exited (status %s) before the guest "
                                   "script finished" % self.proc.returncode)
            r, _, _ = select.select([self.chan], [], [], 0.5)
            if not r:
                continue
            try:
                data = self.chan.recv(65536)
            except OSError as e:
                raise GuestFailure("guest channel: %s" % e)
            if not data:
                # QEMU closed the channel: it is exiting
                if self.interactive and self.done_rc is not None:
                    self.proc.wait()
                    return
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                raise GuestFailure("QEMU closed the guest channel (exit "
                                   "status %s) before the guest script "
                                   "finished" % self.proc.returncode)
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("ascii", "replace").rstrip("\r")
                if cur is not None and not line.startswith("@@VM "):
                    chunks.append(line)
                    continue
                if not line.startswith("@@VM "):
                    if line.strip():
                        print("[vm] guest channel noise: %r" % line, flush=True)
                    continue
                words = line[5:].split(" ", 1)
                kind = words[0]
                arg = words[1] if len(words) > 1 else ""
                if cur is not None:
                    if section is not None:
                        self._finish_section(cur, section, chunks, expect_len)
                        section, chunks = None, []
                    if kind == "RC":
                        cur.rc = int(arg)
                    elif kind in ("STDOUT", "STDERR"):
                        section = kind
                        expect_len = int(arg)
                    elif kind == "END":
                        if arg != cur.name:
                            raise HarnessError("protocol: END %s inside %s"
                                               % (arg, cur.name))
                        self.results[cur.name] = cur
                        handler(self, "result", cur)
                        cur = None
                    else:
                        raise HarnessError("protocol: %s inside result %s"
                                           % (kind, cur.name))
                    continue
                if kind == "BEGIN":
                    cur = Result(arg)
                elif kind == "HELLO":
                    self.t_hello = time.monotonic()
                    handler(self, "hello", arg)
                elif kind == "CHECKPOINT":
                    try:
                        reply = handler(self, "checkpoint", arg) or []
                    except BaseException:
                        try:
                            self.send_line("@@VM ABORT %s" % arg)
                        except OSError:
                            pass
                        raise
                    for l in reply:
                        self.send_line(l)
                    self.send_line("@@VM CONTINUE %s" % arg)
                elif kind == "LOG":
                    handler(self, "log", arg)
                elif kind == "DONE":
                    self.done_rc = int(arg)
                    self.t_done = time.monotonic()
                    handler(self, "done", self.done_rc)
                    if not self.interactive:
                        return
                else:
                    raise HarnessError("protocol: unknown line %r" % line)

    @staticmethod
    def _finish_section(cur, section, chunks, expect_len):
        data = base64.b64decode("".join(chunks))
        if len(data) != expect_len:
            raise HarnessError("result %s: %s has %d bytes, guest said %d"
                               % (cur.name, section, len(data), expect_len))
        if section == "STDOUT":
            cur.stdout = data
        else:
            cur.stderr = data


def _shquote(s):
    if s and all(c.isalnum() or c in "-_=,./:@+%" for c in s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"
