#!/usr/bin/python3
"""The interactive shell, driven through a pseudo-terminal.

Devices come from the -F dump of this machine's five virtio functions
(tests/fixtures/host-all.txt), so addresses are stable and nothing is
written anywhere. Ctrl-C during a long-running command (`poll`) needs a
device that answers: that part runs in the QEMU guest (tests/vm,
scenario `shell`); here Ctrl-C is tested at the prompt and while a
script waits for input."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyshell import PtyProgram  # noqa: E402

from vctl import VIRTIOCTL, fixture  # noqa: E402

FIX = fixture("host-all.txt")

PROMPT = r"virtioctl> "
VERSION = r"virtioctl \d+\.\d+"  # the text of `version` (and of --version)


class ShellCase(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="virtioctl-shell-")
        self.shells = []

    def tearDown(self):
        for sh in self.shells:
            sh.close()
        shutil.rmtree(self.state, ignore_errors=True)

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm",
               "HOME": self.state, "XDG_STATE_HOME": os.path.join(self.state, "xdg"),
               "INPUTRC": "/dev/null", "LC_ALL": "C"}
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def shell(self, *args, env=None):
        sh = PtyProgram([VIRTIOCTL, "-F", FIX, *args], env=env or self.env())
        self.shells.append(sh)
        return sh

    def quit(self, sh):
        sh.send("quit\r")
        self.assertEqual(sh.wait(), 0, sh.text)


def bound_without_resource_files():
    """A function of this machine bound to a driver whose BARs have no
    resourceN files: its registers cannot be reached, sysfs has its status."""
    base = "/sys/bus/pci/devices"
    for addr in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        d = os.path.join(base, addr)
        if (os.path.exists(os.path.join(d, "driver")) and
                any(x.startswith("virtio") for x in os.listdir(d)) and
                not any(x.startswith("resource") and x != "resource" for x in os.listdir(d))):
            return addr
    return None


class Prompt(ShellCase):
    @unittest.skipUnless(bound_without_resource_files(), "no bound function without resource files")
    def test_prompt_status_from_sysfs_without_registers(self):
        """Read-only on this machine: opening a device and drawing the prompt
        write nothing; the status comes from sysfs and says so."""
        addr = bound_without_resource_files()
        sh = PtyProgram([VIRTIOCTL, "shell", addr], env=self.env())
        self.shells.append(sh)
        sh.expect(r"virtioctl %s \[[A-Z_|]+ \(sysfs\)\]> " % re.escape(addr))
        self.quit(sh)

    def test_prompt_appears_and_quit_leaves(self):
        sh = self.shell()
        sh.expect(PROMPT)
        self.quit(sh)

    def test_no_command_on_a_terminal_is_the_shell(self):
        sh = PtyProgram([VIRTIOCTL, "-F", FIX], env=self.env())
        self.shells.append(sh)
        sh.expect(PROMPT)
        sh.send("version\r")
        sh.expect(VERSION)
        sh.expect(PROMPT)
        self.quit(sh)

    def test_ctrl_d_leaves(self):
        sh = self.shell("shell")
        sh.expect(PROMPT)
        sh.send("\x04")
        self.assertEqual(sh.wait(), 0, sh.text)

    def test_open_shows_the_device_and_commands_omit_it(self):
        sh = self.shell("shell", "00:02.0")
        # A dump file has no registers: the prompt shows no status.
        sh.expect(r"virtioctl 0000:00:02\.0> ")
        sh.send("caps\r")
        sh.expect(r"0x70 +2 +notify")
        sh.expect(r"virtioctl 0000:00:02\.0> ")
        sh.send("open 00:05.0\r")
        sh.expect(r"virtioctl 0000:00:05\.0> ")
        # `status ack` names no device: the open one is used (and a dump
        # file refuses the write), rather than 'ack' taken for an address.
        sh.send("status ack\r")
        out = sh.expect(r"virtioctl 0000:00:05\.0> ")
        self.assertNotIn("not a PCI address", out)
        self.assertRegex(out, r"virtioctl: .*(dump|config space only)")
        sh.send("close\r")
        sh.expect(PROMPT)
        self.quit(sh)


class Completion(ShellCase):
    def test_tab_completes_a_command(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("vers\t")
        sh.expect(r"version ")
        sh.send("\r")
        sh.expect(VERSION)
        sh.expect(PROMPT)
        self.quit(sh)

    def test_shell_is_not_offered_inside_the_shell(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("she\t\r")
        sh.expect(r"unknown command 'she'")
        sh.expect(PROMPT)
        self.quit(sh)

    def test_tab_completes_a_device_address(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("dump 0000:00:0\t\t")
        # Two Tabs list the candidates: the dump's five functions.
        listing = sh.expect(r"0000:00:05\.0")
        for slot in range(1, 6):
            self.assertIn("0000:00:0%d.0" % slot, listing)
        sh.expect(PROMPT + r"dump 0000:00:0")
        sh.send("2\t")
        sh.expect(r"2\.0 ")  # readline writes only what Tab added
        sh.send("\r")
        sh.expect(r"Type:\s+block|virtio_device_type|block")
        sh.expect(PROMPT)
        self.quit(sh)

    def test_tab_completes_steps_for_the_open_device(self):
        sh = self.shell("shell", "00:05.0")
        sh.expect(r"0000:00:05\.0> ")
        sh.send("status features-\t")
        sh.expect(r"status features-ok ")
        sh.send("\x03")
        sh.expect(r"0000:00:05\.0> ")
        self.quit(sh)

    def test_tab_completes_set_values_from_their_list(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("set out\t")
        sh.expect(r"set output ")
        sh.send("pr\t")
        sh.expect(r"pretty ")
        sh.send("\x03")
        sh.expect(PROMPT)
        sh.send("set errexit o\t\t")
        sh.expect(r"off\s+on")  # both words of the list, readline's order
        sh.expect(PROMPT + r"set errexit o")  # the line again, after the listing
        sh.send("\x03")
        sh.expect(PROMPT)
        self.quit(sh)


class Errors(ShellCase):
    def test_unknown_command_prints_an_error_and_goes_on(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("frobnicate now\r")
        sh.expect(r"virtioctl: unknown command 'frobnicate'")
        sh.expect(PROMPT)
        sh.send("dump 00:09.0\r")
        sh.expect(r"virtioctl: .*0000:00:09\.0")
        sh.expect(PROMPT)
        sh.send("version\r")
        sh.expect(VERSION)
        sh.expect(PROMPT)
        self.quit(sh)

    def test_ctrl_c_at_the_prompt_clears_the_line(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("dump 00:0")
        sh.expect(r"dump 00:0")
        sh.send("\x03")
        sh.expect(r"\^C\n" + PROMPT)
        # The old text is gone: this runs `version`, not `dump 00:0version`.
        sh.send("version\r")
        sh.expect(VERSION)
        sh.expect(PROMPT)
        for _ in range(2):
            sh.send("\x03")
            sh.expect(r"\^C\n" + PROMPT)
        self.quit(sh)

    def test_sigterm_ends_the_shell_with_128_plus_15(self):
        sh = self.shell()
        sh.expect(PROMPT)
        os.kill(sh.pid, signal.SIGTERM)
        self.assertEqual(sh.wait(), 128 + signal.SIGTERM)


class Settings(ShellCase):
    def test_output_setting_and_per_command_options(self):
        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("version --json\r")
        sh.expect(r'\{"schema_version":1,"version":"\d')
        sh.expect(PROMPT)
        # --json held for that command only.
        sh.send("version\r")
        sh.expect(VERSION)
        sh.expect(PROMPT)
        sh.send("set output json\r")
        sh.expect(PROMPT)
        sh.send("version\r")
        sh.expect(r'\{"schema_version":1,"version":"\d')
        sh.expect(PROMPT)
        sh.send("set output yaml\r")
        sh.expect(r"set output 'yaml': expected text, json or pretty")
        sh.expect(PROMPT)
        self.quit(sh)


class History(ShellCase):
    def test_history_survives_a_restart(self):
        hist = os.path.join(self.state, "xdg", "virtioctl", "history")
        self.assertFalse(os.path.exists(os.path.dirname(hist)))
        sh = self.shell()
        sh.expect(PROMPT)
        for line in ("version", "caps 00:03.0"):
            sh.send(line + "\r")
            sh.expect(PROMPT)
        self.quit(sh)
        with open(hist) as f:
            self.assertEqual([l for l in f.read().splitlines() if not l.startswith("#")],
                             ["version", "caps 00:03.0", "quit"])
        self.assertEqual(os.stat(hist).st_mode & 0o777, 0o600)

        sh = self.shell()
        sh.expect(PROMPT)
        sh.send("\x1b[A\x1b[A")  # Up, Up: the line before `quit`
        sh.expect(r"caps 00:03\.0")
        sh.send("\r")
        sh.expect(r"0x70 +2 +notify")
        sh.expect(PROMPT)
        self.quit(sh)

    def test_home_fallback(self):
        env = self.env(XDG_STATE_HOME=None)
        sh = self.shell(env=env)
        sh.expect(PROMPT)
        self.quit(sh)
        self.assertTrue(os.path.isfile(
            os.path.join(self.state, ".local", "state", "virtioctl", "history")))

    def test_unsavable_history_is_a_warning(self):
        blocker = os.path.join(self.state, "file")
        open(blocker, "w").close()
        sh = self.shell(env=self.env(XDG_STATE_HOME=blocker))
        sh.expect(r"virtioctl: warning: history not kept in %s/virtioctl/history" %
                  re.escape(blocker))
        sh.expect(PROMPT)
        sh.send("version\r")
        sh.expect(VERSION)
        self.quit(sh)


class Interrupts(unittest.TestCase):
    def test_ctrl_c_stops_a_script_waiting_for_input(self):
        """SIGINT cancels what runs and virtioctl leaves through its
        cleanup; here the script reader is what waits."""
        r, w = os.pipe()
        p = subprocess.Popen([VIRTIOCTL, "-F", FIX], stdin=r, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        os.close(r)
        os.write(w, b"version\n")
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        os.close(w)
        self.assertIn("virtioctl", out)
        self.assertIn("stdin:1: interrupted", err)
        self.assertEqual(p.returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
