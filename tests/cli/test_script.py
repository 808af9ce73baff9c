#!/usr/bin/python3
"""Scripts (`virtioctl -f FILE`, `-f -`, commands on standard input) on the
-F dump of this machine's virtio functions: syntax, `expect`, stopping at
the first failure with its line number, `-` lines, `set errexit off`, exit
statuses, and JSON Lines output parsed back."""

import json
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import EXPECT, INPUT, NODEV, OK, USAGE, VIRTIOCTL, fixture, run  # noqa: E402,F401

FIX = fixture("host-all.txt")


def error_validator():
    """error.schema.json, its references resolved from docs/schema only."""
    import jsonschema
    schemas = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "docs", "schema")
    store = {}
    for f in os.listdir(schemas):
        with open(os.path.join(schemas, f)) as fh:
            s = json.load(fh)
        store[s["$id"]] = s
    s = store["https://virtioctl.invalid/schema/error.schema.json"]
    return jsonschema.Draft7Validator(
        s, resolver=jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store))


class ScriptCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="virtioctl-script-")

    def tearDown(self):
        self.dir.cleanup()

    def script(self, text, name="t.vctl"):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path

    def run_script(self, text, *opts, stdin=False, want=None):
        path = self.script(text)
        if stdin:
            with open(path) as f:
                p = run("-F", FIX, *opts, input=f.read())
        else:
            p = run("-F", FIX, *opts, "-f", path)
        if want is not None:
            self.assertEqual(p.returncode, want, "stdout:\n%s\nstderr:\n%s" % (p.stdout, p.stderr))
        return p, path


GOOD = """
    # Identity of the block device in the dump, then its capabilities.

    dump 00:02.0
    expect virtio_device_id == 2
    expect virtio_device_type == block
    expect transport == "modern"
    expect capabilities.0.cfg_type == 1
    expect capabilities.3.notify_off_multiplier >= 4
    expect capabilities.3.cfg_type & 2
    expect capabilities.3.cfg_type !& 1
    expect device_features == null
    expect address
       # an indented comment
    -dump 00:09.0
    open 00:05.0
    caps
    expect virtio_device_id==4
    expect capabilities.1.bar_offset == 0x2000
    list
    expect 3.virtio_device_type == vsock
    """


class Syntax(ScriptCase):
    def test_good_script_passes(self):
        p, _ = self.run_script(GOOD, want=OK)
        # The ignored line's failure is still reported, with its line.
        self.assertRegex(p.stderr, r"t\.vctl:14: .*0000:00:09\.0")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_standard_input_is_a_script(self):
        p, _ = self.run_script(GOOD, stdin=True, want=OK)
        self.assertRegex(p.stderr, r"^virtioctl: stdin:14: ")
        p = run("-F", FIX, "-f", "-", input="version\n")
        self.assertEqual(p.returncode, OK, p.stderr)
        self.assertIn("0.1", p.stdout)

    def test_quotes_and_escapes(self):
        self.run_script(r"""
            dump '00:02.0'
            expect "virtio_device_type" == "block"
            expect virtio_device_type != 'bl ock'
            expect virtio_device_type == bl\ock
            """, want=OK)

    def test_unterminated_quote_is_a_usage_error(self):
        p, _ = self.run_script("""
            list
            dump "00:02.0
            list
            """, want=USAGE)
        self.assertIn("t.vctl:2: unterminated quote", p.stderr)

    def test_unknown_command_stops_with_its_line(self):
        p, _ = self.run_script("""
            list
            frobnicate
            list
            """, want=USAGE)
        self.assertIn("t.vctl:2: unknown command 'frobnicate'", p.stderr)
        self.assertEqual(p.stdout.count("0000:00:01.0"), 1)

    def test_shell_only_and_startup_options(self):
        p, _ = self.run_script("shell\n", want=USAGE)
        self.assertIn("already running commands from a script", p.stderr)
        p, _ = self.run_script("list -F /dev/null\n", want=USAGE)
        self.assertIn("-F, --simulate and -f are given when virtioctl starts", p.stderr)
        p, _ = self.run_script("list --simulate block\n", want=USAGE)
        self.assertIn("-F, --simulate and -f are given when virtioctl starts", p.stderr)

    def test_missing_script_file(self):
        p = run("-f", os.path.join(self.dir.name, "nope.vctl"))
        self.assertEqual(p.returncode, INPUT)
        self.assertIn("nope.vctl: No such file", p.stderr)

    def test_device_after_the_script_is_opened_first(self):
        path = self.script("""
            caps
            expect virtio_device_id == 4
            """)
        p = run("-F", FIX, "-f", path, "00:05.0")
        self.assertEqual(p.returncode, OK, p.stderr)
        p = run("-F", FIX, "-f", path, "list")
        self.assertEqual(p.returncode, USAGE, p.stderr)
        p = run("-F", FIX, "-f", path, "00:09.0")
        self.assertEqual(p.returncode, NODEV, p.stderr)

    def test_quit_ends_the_script(self):
        p, _ = self.run_script("""
            version
            quit
            frobnicate
            """, want=OK)
        self.assertEqual(p.stderr, "")


class Failures(ScriptCase):
    def test_wrong_expect_fails_with_line_number_and_status_7(self):
        p, _ = self.run_script("""
            # the block device is not an entropy device
            dump 00:02.0
            expect virtio_device_id == 2
            expect virtio_device_id == 4
            list
            """, want=EXPECT)
        self.assertEqual(p.stderr.strip(),
                         "virtioctl: %s:4: expect virtio_device_id == 4: "
                         "virtio_device_id is 2 (block)" % os.path.join(self.dir.name, "t.vctl"))
        # It stopped there: `list` did not run.
        self.assertNotIn("0000:00:05.0", p.stdout)

    def test_failing_command_stops_with_its_status(self):
        p, _ = self.run_script("""
            caps 00:09.0
            list
            """, want=NODEV)
        self.assertIn("t.vctl:1: ", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_errexit_off_goes_on_and_keeps_the_first_failure(self):
        p, _ = self.run_script("""
            set errexit off
            dump 00:02.0
            expect virtio_device_id == 4
            caps 00:09.0
            expect virtio_device_id == 2
            list
            """, want=EXPECT)
        self.assertIn("t.vctl:3: expect virtio_device_id == 4", p.stderr)
        self.assertIn("t.vctl:4: ", p.stderr)
        # After a failed command there is nothing to test.
        self.assertIn("t.vctl:5: expect virtio_device_id == 2: no result", p.stderr)
        self.assertIn("0000:00:05.0", p.stdout)

    def test_ignored_expect(self):
        self.run_script("""
            dump 00:02.0
            - expect virtio_device_id == 4
            expect virtio_device_id == 2
            """, want=OK)

    def test_expect_messages(self):
        cases = [
            ("expect nothing.here", EXPECT, "no 'nothing.here' in the result (keys there: address"),
            ("expect capabilities.9.bar == 0", EXPECT, "(indices there: 0..4)"),
            ("expect transport < 3", USAGE, "transport is a string: use == or !="),
            ("expect capabilities.0.cfg_type & NOT_A_BIT", USAGE, "'NOT_A_BIT' is not a number"),
            ("expect capabilities.0 == 1", USAGE, "capabilities.0 is not a single value"),
            ("expect device_features & VERSION_1", EXPECT, "device_features is null"),
            ("expect capabilities.0.cfg_type =~ 1", USAGE, "unknown operator"),
            ("expect capabilities.0.cfg_type >=", USAGE, ">= needs a value"),
            ("expect bad/path == 1", USAGE, "'bad/path' is not a path"),
        ]
        for line, status, msg in cases:
            with self.subTest(line=line):
                p, _ = self.run_script("dump 00:02.0\n" + line + "\n", want=status)
                self.assertIn(msg, p.stderr)

    def test_expect_outside_a_script(self):
        p = run("expect", "a", "==", "1")
        self.assertEqual(p.returncode, USAGE)
        self.assertIn("only in the shell or a script", p.stderr)


class Names(ScriptCase):
    """Status and feature names in operands, against reports that have
    them: `expect` sees the report tree, not the text."""

    def test_status_and_feature_names(self):
        # A dump file has no registers, so no status byte or feature words:
        # names are tried on another number (0x40 is DEVICE_NEEDS_RESET's
        # bit). Feature names are tested in tests/unit/test_expect.c.
        self.run_script("""
            dump 00:02.0
            expect capabilities.0.length & 0x38
            expect capabilities.0.offset == 0x40
            expect capabilities.0.offset & DEVICE_NEEDS_RESET
            expect capabilities.0.offset !& ACKNOWLEDGE|DRIVER_OK|FEATURES_OK|0x30
            expect capabilities.0.offset !& FAILED|DRIVER
            """, want=OK)


class JsonLines(ScriptCase):
    def test_one_document_per_command_per_line(self):
        p, _ = self.run_script("""
            list
            expect 0.virtio_device_id == 5
            dump 00:03.0
            open 00:05.0
            caps
            set errexit off
            caps 00:09.0
            version
            """, "--json", want=NODEV)
        lines = p.stdout.splitlines()
        docs = [json.loads(l) for l in lines]
        self.assertEqual(len(docs), 5, p.stdout)
        self.assertEqual([d["address"] for d in docs[0]], ["0000:00:0%d.0" % i for i in range(1, 6)])
        self.assertEqual(docs[1]["virtio_device_id"], 1)
        self.assertEqual(docs[2]["address"], "0000:00:05.0")
        # A failing command has its record too, and its message on stderr.
        self.assertEqual(docs[3]["command"], "caps")
        self.assertEqual(docs[3]["error"]["exit_status"], NODEV)
        self.assertIn("0000:00:09.0", docs[3]["error"]["message"])
        self.assertTrue(docs[3]["error"]["where"].endswith("t.vctl:7"))
        self.assertEqual(docs[3]["schema_version"], 1)
        self.assertIn("version", docs[4])
        self.assertIn("t.vctl:7: ", p.stderr)

    def test_failing_lines_have_records(self):
        p, _ = self.run_script('''
            list
            -frobnicate
            -list "unterminated
            -expect 0.virtio_device_id == 99
            version
            ''', "--json", want=OK)
        docs = [json.loads(l) for l in p.stdout.splitlines()][1:]
        self.assertEqual([d.get("command") for d in docs[:3]], ["frobnicate", None, "expect"])
        self.assertEqual([d["error"]["exit_status"] for d in docs[:3]], [USAGE, USAGE, EXPECT])
        self.assertIn("version", docs[3])
        validator = error_validator()
        for d in docs[:3]:
            validator.validate(d)

    def test_set_output(self):
        p, _ = self.run_script("""
            version
            set output json
            version
            set output text
            version
            """, want=OK)
        lines = p.stdout.splitlines()
        self.assertEqual(json.loads(lines[1]),
                         {"schema_version": 1, "version": json.loads(lines[1])["version"]})
        self.assertNotIn("{", lines[0] + lines[2])


if __name__ == "__main__":
    unittest.main(verbosity=2)
