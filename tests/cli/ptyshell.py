"""A small driver for a program on a pseudo-terminal (stdlib only): start
it, send keys, wait for output matching a pattern, collect the exit status.
Used by the shell tests; terminal escapes are stripped before matching."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|[\r\x07]")


class Timeout(AssertionError):
    pass


class PtyProgram:
    def __init__(self, argv, env=None, cols=200, rows=50):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.raw = b""
        self.pos = 0  # how much of the cleaned text expect() has consumed
        self.status = None

    @property
    def text(self):
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            raise EOFError
        self.raw += data
        return True

    def expect(self, pattern, timeout=5):
        """Waits until the output after the last match matches pattern;
        returns the text up to and including the match."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                out = self.text[self.pos:m.end()]
                self.pos = m.end()
                return out
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout("no %r in time; output after the last match:\n%s" %
                              (pattern, self.text[self.pos:]))
            try:
                self._read(min(left, 0.2))
            except EOFError:
                raise Timeout("program ended before %r; output:\n%s" %
                              (pattern, self.text[self.pos:])) from None

    def send(self, keys):
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def quiet(self, seconds):
        """Reads whatever comes in `seconds`."""
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                self._read(max(0, end - time.monotonic()))
        except EOFError:
            pass

    def wait(self, timeout=10):
        """The exit status (or -signal) once the program ends."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self._read(0.1)
            except EOFError:
                pass
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        raise Timeout("program still running; output:\n%s" % self.text[self.pos:])

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)
