#!/usr/bin/python3
"""The bash, zsh and fish completions, run in those shells.

The scripts are thin: every candidate comes from `virtioctl __complete`,
which follows the command table. These tests run each script the way its
shell does and check the result against the table (`virtioctl --json
__commands`): the commands offered are exactly the table's, the options
exactly its global options, and per-command arguments (device addresses
from the -F dump, status steps, feature names, literal choices, files)
come through. A shell missing here fails the test: scripts/test installs
bash-completion, zsh and fish."""

import os
import sys
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import BINDIR, COMPLETIONS, TOP, VIRTIOCTL, command_table, fixture  # noqa: E402

FIX = fixture("host-all.txt")
TABLE = command_table()
ONESHOT = sorted(c["name"] for c in TABLE["commands"] if not c["session_only"])
GLOBAL = sorted("--" + o["name"] for o in TABLE["global_options"])
COMMANDS = {c["name"]: c for c in TABLE["commands"]}
# the status steps: the word list of `status`'s action, as the table has it
STEPS = [w for a in COMMANDS["status"]["actions"] for w in a["words"] or []]
DMA = next(o["choices"] for o in TABLE["global_options"] if o["name"] == "dma")
ADDRS = ["0000:00:0%d.0" % i for i in range(1, 6)]


def need(prog):
    path = shutil.which(prog)
    if not path:
        raise AssertionError("%s is not installed (scripts/test installs it)" % prog)
    return path


# (typed line after "virtioctl ", expected candidates as the shell shows them
# in full; bash's own ':' handling is undone by the test)
CASES = [
    ("", ONESHOT),
    ("--", GLOBAL),
    ("-F %s dump 0000:00:0" % FIX, ADDRS),
    ("-F %s dump 00:0" % FIX, [a[5:] for a in ADDRS]),
    ("-F %s status 00:05.0 " % FIX, STEPS),
    ("-F %s vring 00:05.0 " % FIX, ["setup", "show"]),
    ("-F %s vring 00:05.0 setup 0 --ring " % FIX, ["packed", "split"]),
    ("-F %s bench 00:05.0 --ring p" % FIX, ["packed"]),
    ("-F %s features 00:05.0 " % FIX, ["set", "negotiate"]),
    ("--dma ", DMA),
    ("-F %s --transport l" % FIX, ["legacy"]),
    ("-F %s poll 00:05.0 0 --count " % FIX, []),
    ("-F %s features 00:02.0 set VERS" % FIX, ["VERSION_1"]),
    ("-F %s features 00:02.0 set +FLU" % FIX, ["+FLUSH"]),
    # the long names `features` prints complete too
    ("-F %s features 00:02.0 set VIRTIO_BLK_F_FL" % FIX, ["VIRTIO_BLK_F_FLUSH"]),
    ("-F %s features 00:02.0 set +VIRTIO_F_VERS" % FIX, ["+VIRTIO_F_VERSION_1"]),
    ("help ", ONESHOT),
    ("-F %s poll 00:05.0 0 --t" % FIX, ["--timeout", "--transport"]),
    ("frobnicate ", []),
    ("--simulate ", ["9p", "balloon", "block", "console", "entropy", "list", "mem", "net", "scsi"]),
    ("--simulate bl", ["block"]),
    ("--simulate block --simulate net caps 0000:00:0", ["0000:00:01.0", "0000:00:02.0"]),
    ("--simulate entropy status 00:01.0 ", STEPS),
]


class Bash(unittest.TestCase):
    def complete(self, typed, framework=False):
        line = VIRTIOCTL + " " + typed
        script = """
            %s
            source %s
            COMP_LINE=%s
            COMP_POINT=${#COMP_LINE}
            # bash splits at COMP_WORDBREAKS; the script must not rely on it
            COMP_WORDS=(${COMP_LINE//:/ : })
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            [[ $COMP_LINE == *' ' ]] && COMP_CWORD=${#COMP_WORDS[@]}
            _virtioctl
            printf '%%s\\n' "${COMPREPLY[@]}"
        """ % ("source /usr/share/bash-completion/bash_completion" if framework else "",
               os.path.join(COMPLETIONS, "virtioctl"), shlex.quote(line))
        p = subprocess.run([need("bash"), "--norc", "-c", script], capture_output=True,
                           text=True, timeout=60, cwd=TOP)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = [l for l in p.stdout.splitlines() if l]
        # bash replaces only the part after the word's last ':'.
        cur = "" if typed.endswith(" ") or not typed else typed.split()[-1]
        pre = cur[:cur.rfind(":") + 1]
        return sorted(pre + g for g in got)

    def test_syntax(self):
        p = subprocess.run([need("bash"), "-n", os.path.join(COMPLETIONS, "virtioctl")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_cases(self):
        for typed, want in CASES:
            with self.subTest(typed=typed):
                self.assertEqual(self.complete(typed), sorted(want))

    def test_with_bash_completion_loaded(self):
        self.assertTrue(os.path.exists("/usr/share/bash-completion/bash_completion"),
                        "bash-completion is not installed (scripts/test installs it)")
        self.assertEqual(self.complete("", framework=True), ONESHOT)
        self.assertEqual(self.complete("-F %s dump 0000:00:0" % FIX, framework=True), ADDRS)

    def test_files(self):
        got = self.complete("-f tests/fixtures/host-a")
        self.assertEqual(got, ["tests/fixtures/host-all.txt"])


class Zsh(unittest.TestCase):
    """zsh's compsys needs a terminal; here _describe and _files are
    replaced by functions that print what they were given, and the real
    thing runs in tmux below."""

    def complete(self, typed):
        words = [VIRTIOCTL] + typed.split()
        if not typed or typed.endswith(" "):
            words.append("")
        script = """
            _describe() { print -rl -- "${(@P)${@[-1]}}" }
            _files() { print -r -- '<files>' }
            fpath=(%s $fpath)
            autoload -U _virtioctl
            words=(%s)
            CURRENT=${#words}
            PREFIX=${words[CURRENT]}
            _virtioctl
        """ % (shlex.quote(COMPLETIONS), " ".join(shlex.quote(w) for w in words))
        p = subprocess.run([need("zsh"), "-f", "-c", script], capture_output=True, text=True,
                           timeout=60, cwd=TOP)
        self.assertEqual(p.returncode, 0, p.stderr)
        # _describe's specs: "word:description", ':' in the word escaped.
        return sorted(l.replace("\\:", "\0").split(":")[0].replace("\0", ":")
                      for l in p.stdout.splitlines() if l)

    def test_syntax(self):
        p = subprocess.run([need("zsh"), "-n", os.path.join(COMPLETIONS, "_virtioctl")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_cases(self):
        for typed, want in CASES:
            with self.subTest(typed=typed):
                self.assertEqual(self.complete(typed), sorted(want))

    def test_files(self):
        self.assertEqual(self.complete("-f tests/fix"), ["<files>"])

    def test_in_compsys_on_a_terminal(self):
        tmux = need("tmux")
        zsh = need("zsh")
        name = "virtioctl-zsh-%d" % os.getpid()
        home = tempfile.mkdtemp(prefix="virtioctl-zsh-")
        env = "env -i HOME=%s TERM=xterm PATH=%s:/usr/bin:/bin %s -f" % (
            shlex.quote(home), shlex.quote(BINDIR), zsh)
        subprocess.run([tmux, "new-session", "-d", "-s", name, "-x", "200", "-y", "50", env],
                       check=True)
        try:
            keys = ["cd %s; fpath=(%s $fpath); autoload -U compinit; compinit -u; PS1='%%%% '"
                    % (shlex.quote(TOP), shlex.quote(COMPLETIONS)), "Enter"]
            subprocess.run([tmux, "send-keys", "-t", name] + keys, check=True)
            self.wait_for(tmux, name, "% ")
            subprocess.run([tmux, "send-keys", "-t", name, "clear", "Enter"], check=True)
            time.sleep(0.3)
            subprocess.run([tmux, "send-keys", "-t", name,
                            "virtioctl -F %s dump 0000:00:0" % FIX, "Tab"], check=True)
            screen = self.wait_for(tmux, name, "0000:00:05.0")
            for a in ADDRS:
                self.assertIn(a, screen)
            self.assertIn("-- entropy", screen)
            subprocess.run([tmux, "send-keys", "-t", name, "3", "Tab"], check=True)
            self.wait_for(tmux, name, "dump 0000:00:03.0")  # tmux drops the trailing blank
        finally:
            subprocess.run([tmux, "kill-session", "-t", name], capture_output=True)
            shutil.rmtree(home, ignore_errors=True)

    def wait_for(self, tmux, name, text, timeout=10):
        end = time.monotonic() + timeout
        while True:
            screen = subprocess.run([tmux, "capture-pane", "-p", "-t", name],
                                    capture_output=True, text=True).stdout
            if text in screen:
                return screen
            if time.monotonic() > end:
                self.fail("no %r on the zsh screen:\n%s" % (text, screen))
            time.sleep(0.1)


class Fish(unittest.TestCase):
    def complete(self, typed):
        script = "source %s; complete -C %s" % (
            shlex.quote(os.path.join(COMPLETIONS, "virtioctl.fish")),
            shlex.quote("virtioctl " + typed))
        env = dict(os.environ, PATH=BINDIR + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        p = subprocess.run([need("fish"), "--no-config", "-c", script], capture_output=True,
                           text=True, timeout=60, cwd=TOP, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return sorted(l.split("\t")[0] for l in p.stdout.splitlines() if l)

    def test_syntax(self):
        p = subprocess.run([need("fish"), "-n", os.path.join(COMPLETIONS, "virtioctl.fish")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_cases(self):
        for typed, want in CASES:
            with self.subTest(typed=typed):
                self.assertEqual(self.complete(typed), sorted(want))

    def test_files(self):
        self.assertEqual(self.complete("-f tests/fixtures/host-a"),
                         ["tests/fixtures/host-all.txt"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
