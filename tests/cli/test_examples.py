#!/usr/bin/python3
"""Every example of README.md, docs/simulate.md and of the man page's
EXAMPLES section runs,
against simulated devices, with no hardware and no VM.

The examples name addresses of real machines; each address is given a
simulated device of a fitting type (DEVICES) and the example runs with
`virtioctl` standing for `virtioctl --simulate ...` in that order, so the
address becomes 0000:00:NN.0 of the simulator. An example that cannot run
without hardware is listed in EXCEPTIONS with the reason; a test fails when
an exception no longer matches an example (stale), so the list stays
honest. Examples that give --simulate themselves run as written. The text blocks of README.md (a shell transcript, a script
fragment) run too, as scripts."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import TOP, VIRTIOCTL  # noqa: E402

# Address in the examples -> spec of the simulated device standing in for it.
DEVICES = [
    ("0000:00:02.0", "net"),                            # config, dump, -F
    ("0000:00:03.0", "net,transport=transitional"),     # features; --transport legacy
    ("0000:00:04.0", "block,transport=transitional"),   # caps, common, irqs
    ("0000:00:05.0", "entropy"),                        # man page: shell, -f selftest
    ("0000:01:00.0", "entropy"),                        # README bring-up: post w:64
    ("0000:02:00.0", "block"),                          # selftest, bench
    ("0000:3b:00.2", "net"),                            # vendor (no IFC VF: none decoded)
]

# Example lines (exact, after stripping) that need what a simulator is not.
EXCEPTIONS = {
    "scripts/run dump 0000:00:04.0   # install build deps if missing, build build/, run build/virtioctl":
        "installs packages, builds the tree and reads this machine's device",
    "scripts/test                    # install test deps, build, run the whole test suite (meson test)":
        "runs the whole test suite, this test included",
    "lspci -xxxx > d.txt; virtioctl -F d.txt dump 00:02.0   # from a config-space dump":
        "-F reads an lspci dump of real hardware; -F and --simulate exclude each other",
    "lspci -xxxx > d.txt; virtioctl -F d.txt dump 00:02.0":
        "-F reads an lspci dump of real hardware; -F and --simulate exclude each other",
    "virtioctl shell 00:05.0":
        "interactive: needs a terminal (the shell runs in test_shell.py)",
    "virtioctl watch 00:02.0             # a snapshot, then every change (interrupt counts...)":
        "runs until Ctrl-C (watch with --count runs in test_watch.py)",
    "virtioctl metrics --textfile /var/lib/prometheus/node-exporter/virtioctl.prom":
        "writes this machine's node_exporter directory (--textfile runs in test_metrics.py)",
}

ADDR = re.compile(r"\b((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\b")


def full(addr):
    return addr.lower() if addr.count(":") == 2 else "0000:" + addr.lower()


SLOT = {a: "0000:00:%02x.0" % (i + 1) for i, (a, _) in enumerate(DEVICES)}


def simulated(text):
    """The example with every address replaced by its simulated one."""
    def sub(m):
        a = full(m.group(1))
        if a not in SLOT:
            raise AssertionError("example address %s has no simulated device" % a)
        return SLOT[a]
    return ADDR.sub(sub, text)


def blocks(path, lang):
    text = open(path).read()
    return re.findall(r"^```%s\n(.*?)^```" % lang, text, re.M | re.S)


def man_examples():
    text = open(os.path.join(TOP, "man", "virtioctl.1")).read()
    m = re.search(r"^\.SH EXAMPLES\n\.EX\n(.*?)^\.EE", text, re.M | re.S)
    return [line.replace("\\-", "-") for line in m.group(1).splitlines()] if m else []


class Examples(unittest.TestCase):
    used = set()

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        # `virtioctl` in an example is the binary with the simulated devices
        # (in sim/), or as it is for examples that bring their own (plain/).
        # plain/ refuses a line without --simulate: it would reach this
        # machine's own devices.
        args = " ".join("--simulate '%s'" % s for _, s in DEVICES)
        wrappers = {
            "sim": 'exec "%s" %s "$@"\n' % (VIRTIOCTL, args),
            "plain": 'case " $* " in *" --simulate "*) exec "%s" "$@";; esac\n'
                     'echo "example without --simulate: $*" >&2\nexit 99\n' % VIRTIOCTL,
        }
        for sub, body in wrappers.items():
            os.mkdir(os.path.join(self.dir.name, sub))
            path = os.path.join(self.dir.name, sub, "virtioctl")
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(path, 0o755)

    def tearDown(self):
        self.dir.cleanup()

    def keep(self, lines):
        out = []
        for line in lines:
            if line.strip() in EXCEPTIONS:
                Examples.used.add(line.strip())
                continue
            out.append(line)
        return out

    def sh(self, script, cwd=None):
        """Runs an example; one that gives --simulate itself runs as written."""
        own = "--simulate" in script
        bindir = os.path.join(self.dir.name, "plain" if own else "sim")
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
        p = subprocess.run(["sh", "-e", "-c", script if own else simulated(script)],
                           cwd=cwd or self.dir.name,
                           env=env, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, "example:\n%s\nstdout:%s\nstderr:%s" % (
            script, p.stdout[-2000:], p.stderr[-2000:]))
        return p

    def test_simulate_doc_sh_blocks(self):
        bl = blocks(os.path.join(TOP, "docs", "simulate.md"), "sh")
        self.assertGreaterEqual(len(bl), 1)
        for b in bl:
            with self.subTest(block=b.splitlines()[0]):
                self.sh(b)

    def test_readme_sh_blocks(self):
        bl = blocks(os.path.join(TOP, "README.md"), "sh")
        self.assertGreaterEqual(len(bl), 4)
        for b in bl:
            lines = self.keep(b.splitlines())
            with self.subTest(block=b.splitlines()[0]):
                if any(line.strip() and not line.startswith("#") for line in lines):
                    self.sh("\n".join(lines) + "\n")

    def test_readme_shell_transcript(self):
        """```text blocks that start with `$ virtioctl shell DEVICE`: the
        prompt lines run as a script on that device."""
        ran = 0
        for b in blocks(os.path.join(TOP, "README.md"), "text"):
            lines = b.splitlines()
            m = re.match(r"\$ virtioctl shell (\S+)$", lines[0])
            if not m:
                continue
            cmds = [re.sub(r"^virtioctl \S+ \[[^\]]*\]> ", "", l) for l in lines[1:]]
            # The transcript starts after the device was brought to DRIVER.
            script = "status reset\nstatus ack\nstatus driver\n" + "\n".join(cmds) + "\n"
            self.sh("virtioctl -f - %s <<'EOF'\n%sEOF\n" % (m.group(1), script))
            ran += 1
        self.assertGreaterEqual(ran, 1)

    def test_readme_script_fragment(self):
        """The `expect` fragment runs once the queue it polls exists."""
        ran = 0
        for b in blocks(os.path.join(TOP, "README.md"), "text"):
            if not b.startswith("status features-ok\nexpect"):
                continue
            setup = ("status reset\nstatus ack\nstatus driver\nfeatures negotiate\n")
            lines = b.splitlines()
            # Between FEATURES_OK and the poll: a queue, DRIVER_OK, a buffer.
            body = "\n".join(lines[:2]) + ("\nvring setup 0\nstatus driver-ok\npost 0 w:64\n"
                                           "kick 0\n") + "\n".join(lines[2:]) + "\n"
            self.sh("virtioctl -f - 0000:01:00.0 <<'EOF'\n%s%sEOF\n" % (setup, body))
            ran += 1
        self.assertEqual(ran, 1)

    def test_man_examples(self):
        lines = self.keep(man_examples())
        self.assertGreaterEqual(len(lines), 4)
        for line in lines:
            with self.subTest(line=line):
                # The self-test scripts the man page names live in tests/vm/scripts.
                self.sh(line, cwd=os.path.join(TOP, "tests", "vm", "scripts"))

    @classmethod
    def tearDownClass(cls):
        stale = set(EXCEPTIONS) - cls.used
        if stale:
            raise AssertionError("exceptions matching no example: %s" % sorted(stale))


if __name__ == "__main__":
    unittest.main(verbosity=2)
