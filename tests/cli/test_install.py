#!/usr/bin/python3
"""`meson install --destdir` puts the binary, the man page and the bash,
zsh and fish completions where they belong, and the installed copies work:
the binary runs, the man page renders, bash finds the completion by the
command's name."""

import filecmp
import os
import sys
import shutil
import subprocess
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import COMPLETIONS, MAN  # noqa: E402
ENV = os.environ


def installed(destdir, path):
    return os.path.join(destdir, path.lstrip("/"))


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.destdir = tempfile.mkdtemp(prefix="virtioctl-install-")
        meson = ENV.get("MESON") or shutil.which("meson")
        p = subprocess.run([meson, "install", "-C", ENV["BUILD_ROOT"], "--no-rebuild",
                            "--destdir", cls.destdir], capture_output=True, text=True,
                           timeout=300)
        if p.returncode:
            raise AssertionError("meson install failed:\n" + p.stdout + p.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.destdir, ignore_errors=True)

    def path(self, var, *rest):
        return installed(self.destdir, os.path.join(ENV[var], *rest))

    def test_binary(self):
        exe = self.path("BINDIR", "virtioctl")
        self.assertTrue(os.access(exe, os.X_OK), exe)
        p = subprocess.run([exe, "--version"], capture_output=True, text=True)
        self.assertRegex(p.stdout, r"^virtioctl \d")

    def test_man_page(self):
        page = self.path("MANDIR", "man1", "virtioctl.1")
        self.assertTrue(filecmp.cmp(page, MAN, shallow=False))
        p = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_completions(self):
        for var, name, src, suffix in (
                ("BASH_DIR", "virtioctl", "virtioctl", "share/bash-completion/completions"),
                ("ZSH_DIR", "_virtioctl", "_virtioctl", "share/zsh/site-functions"),
                ("FISH_DIR", "virtioctl.fish", "virtioctl.fish", "share/fish/vendor_completions.d")):
            with self.subTest(shell=var):
                f = self.path(var, name)
                self.assertTrue(filecmp.cmp(f, os.path.join(COMPLETIONS, src),
                                            shallow=False), f)
                if not ENV.get(var + "_OPTION"):
                    # The defaults: the standard places under the prefix.
                    self.assertEqual(ENV[var], os.path.join(ENV["PREFIX"], suffix))

    def test_systemd_units(self):
        """The service runs the installed binary on the configured file; the
        units parse cleanly (systemd-analyze verify, with the binary path
        pointed at the staged copy: it is not installed for real)."""
        unit_dir = self.path("UNIT_DIR")
        if not ENV.get("UNIT_DIR_OPTION"):
            self.assertEqual(ENV["UNIT_DIR"], os.path.join(ENV["PREFIX"], "lib/systemd/system"))
        service = open(os.path.join(unit_dir, "virtioctl-metrics.service")).read()
        textfile = ENV["METRICS_TEXTFILE"]
        exe = os.path.join(ENV["BINDIR"], "virtioctl")
        self.assertIn("\nExecStart=%s metrics --textfile %s\n" % (exe, textfile), service)
        self.assertIn("\nReadWritePaths=%s\n" % os.path.dirname(textfile), service)
        timer = open(os.path.join(unit_dir, "virtioctl-metrics.timer")).read()
        self.assertIn("\nOnUnitActiveSec=", timer)
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze not installed")
        with tempfile.TemporaryDirectory() as d:
            staged = self.path("BINDIR", "virtioctl")
            with open(os.path.join(d, "virtioctl-metrics.service"), "w") as f:
                f.write(service.replace(exe + " ", staged + " "))
            with open(os.path.join(d, "virtioctl-metrics.timer"), "w") as f:
                f.write(timer)
            p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                os.path.join(d, "virtioctl-metrics.service"),
                                os.path.join(d, "virtioctl-metrics.timer")],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))

    def test_bash_loads_it_by_name(self):
        """bash-completion's loader looks for a file named after the command."""
        d = self.path("BASH_DIR")
        script = ("source /usr/share/bash-completion/bash_completion; "
                  "BASH_COMPLETION_USER_DIR=/nonexistent; XDG_DATA_DIRS=%s; "
                  "__load_completion virtioctl && complete -p virtioctl"
                  % os.path.dirname(os.path.dirname(d)))
        p = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True)
        self.assertIn("complete -F _virtioctl virtioctl", p.stdout, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
