#!/usr/bin/python3
"""The man page, `--help` and the command table agree, and the man page
renders without warnings.

The table is what the binary says (`virtioctl --json __commands`): its
commands with their argument synopses, actions and options, the global
options and the exit codes. A command, option or exit code added to
the table and not to the man page (or the other way round) fails here;
`ninja -C build man-sync` regenerates the man page's lists. The completion
scripts take every candidate from the binary, and test_completion.py checks
what they offer against the same table."""

import os
import sys
import re
import shutil
import subprocess
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import MAN, TOP, VIRTIOCTL, command_table, run  # noqa: E402,F401

SYNC = os.path.join(TOP, "man", "sync.py")
TABLE = command_table()
COMMANDS = {c["name"]: c for c in TABLE["commands"]}


def section(text, name):
    """The roff source of one .SH section."""
    m = re.search(r'^\.SH "?%s"?\n(.*?)(?=^\.SH )' % re.escape(name), text, re.S | re.M)
    if not m:
        raise AssertionError("man page has no section %s" % name)
    return m.group(1)


def unroff(s):
    return re.sub(r"\\f[BIRP]|\\&", "", s).replace("\\-", "-").replace("\\e", "\\")


def tags(sec):
    """The first line after each .TP: the tagged items of a list."""
    return [unroff(m) for m in re.findall(r"^\.TP\n(?:\.B )?(.*)$", sec, re.M)]


def writes(line):
    """True when an example command line writes to a device: a command or
    action the table marks as writing, check --active, or a script."""
    words = line.split()
    if "virtioctl" not in words:
        return False
    words = words[words.index("virtioctl") + 1:]
    if "-f" in words or "--active" in words:
        return True
    for w in words:
        c = COMMANDS.get(w)
        if not c:
            continue
        if c["writes"]:
            return True
        return any(a["writes"] and (a["name"] in words or set(a["words"] or ()) & set(words))
                   for a in c["actions"])
    return False


class Examples(unittest.TestCase):
    def test_examples_that_write_say_so(self):
        """Issue 11 item 9: an example that writes to a device comes after
        the paragraph saying so; those before it only read."""
        text = section(open(MAN).read(), "EXAMPLES")
        blocks = re.findall(r"(.*?)^\.EX\n(.*?)^\.EE", text, re.S | re.M)
        self.assertTrue(blocks)
        warned = False
        for before, block in blocks:
            warned = warned or "write to the device" in unroff(before).replace("\n", " ")
            for line in unroff(block).splitlines():
                if writes(line) and "--simulate" not in line:
                    self.assertTrue(warned, "example writes without saying so: " + line)
        self.assertTrue(writes("virtioctl --json selftest 00:05.0"))
        self.assertTrue(writes("virtioctl status 00:05.0 reset"))
        self.assertFalse(writes("virtioctl status 00:05.0"))
        self.assertFalse(writes("virtioctl --json caps 00:04.0"))


class Render(unittest.TestCase):
    def test_groff_has_no_warnings(self):
        groff = shutil.which("groff")
        self.assertTrue(groff, "groff is not installed (scripts/test installs groff-base)")
        p = subprocess.run([groff, "-man", "-ww", "-z", MAN], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_no_literal_backticks(self):
        """`code` in the command table's text is set in bold, not printed
        with its backticks."""
        self.assertNotIn("`", open(MAN).read())

    def test_sections(self):
        text = open(MAN).read()
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "SHELL",
                     "SCRIPTS", "JSON OUTPUT", "EXIT STATUS", "SAFETY", "FILES", "EXAMPLES"):
            self.assertRegex(text, r'(?m)^\.SH "?%s"?$' % name)


class Drift(unittest.TestCase):
    def setUp(self):
        self.text = open(MAN).read()

    def test_generated_parts_match_the_table(self):
        p = subprocess.run(["/usr/bin/python3", SYNC, "--check", VIRTIOCTL, MAN],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_every_command_and_nothing_else(self):
        sec = section(self.text, "COMMANDS")
        # Command items are the tags outside the indented blocks (.RS ...
        # .RE) that list a command's actions and options.
        items = tags(re.sub(r"^\.RS\n.*?^\.RE\n", "", sec, flags=re.S | re.M))
        self.assertEqual(sorted(t.split()[0] for t in items), sorted(COMMANDS))
        for t in items:
            name, _, args = t.partition(" ")
            spec = COMMANDS[name]["args"]
            self.assertEqual(args.replace("[", "").replace("]", ""),
                             re.sub(r"[<>\[\]]", "", spec), name)
            for o in COMMANDS[name]["options"]:
                self.assertIn("--" + o["name"], unroff(sec), name)

    def test_actions(self):
        """Every action of the table, with its words (status steps) or the
        words its argument takes (set output ...), in the man page's list
        under its command and in COMMAND --help."""
        sec = unroff(section(self.text, "COMMANDS"))
        acted = [c for c in COMMANDS.values() if c["actions"]]
        self.assertTrue({"features", "status", "vring", "set"} <= {c["name"] for c in acted})
        for c in acted:
            block = sec.split(c["summary"][1:], 1)[1].split("\n.TP\n", 1)[1]
            helptext = run(c["name"], "--help").stdout
            for a in c["actions"]:
                words = (a["words"] or []) + (a["values"] or [])
                for w in [a["name"]] + words:
                    with self.subTest(command=c["name"], action=a["name"], word=w):
                        self.assertIn(w, block)
                        self.assertIn(w, helptext)
                if a["values"]:
                    self.assertIn("%s %s" % (a["name"], "|".join(a["values"])), helptext)

    def test_every_option_and_nothing_else(self):
        got = sorted(re.search(r"--(\S+)", t).group(1) for t in tags(section(self.text, "OPTIONS")))
        self.assertEqual(got, sorted(o["name"] for o in TABLE["global_options"]))

    def test_every_exit_code_and_nothing_else(self):
        got = tags(section(self.text, "EXIT STATUS"))
        want = [str(x["code"]) for x in TABLE["exit_codes"]] + ["128+N"]
        self.assertEqual(got, want)

    def test_help_lists_the_table(self):
        out = run("--help").stdout
        listed = re.findall(r"^  ([a-z][a-z0-9_-]*)(?: |$)", out, re.M)
        self.assertEqual(sorted(listed), sorted(COMMANDS))
        self.assertFalse([n for n in listed if n.startswith("__")])
        longs = re.findall(r"^  (?:-., |    )--([a-z-]+)", out, re.M)
        self.assertEqual(sorted(longs), sorted(o["name"] for o in TABLE["global_options"]))
        codes = re.findall(r"^  (\d+|128\+N) ", out.split("Exit status:")[1], re.M)
        self.assertEqual(codes, [str(x["code"]) for x in TABLE["exit_codes"]] + ["128+N"])

    def test_command_help_shows_its_options(self):
        for name, c in COMMANDS.items():
            with self.subTest(command=name):
                p = run(name, "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("%s %s" % (name, c["args"]), p.stdout)
                for a in c["actions"]:
                    self.assertIn(a["name"], p.stdout)
                for o in c["options"]:
                    self.assertIn("--" + o["name"], p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
