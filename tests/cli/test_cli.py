#!/usr/bin/python3
"""End-to-end tests of the virtioctl binary on config-space fixtures and,
read-only, on this machine's own devices.

- JSON output validates against docs/schema/*.schema.json;
- text and JSON are renderings of the same report: every scalar of the JSON
  appears in the text next to its label;
- exit statuses of the documented error cases;
- `list` on the live system finds exactly the virtio functions sysfs has.

Nothing here writes to a device: fixtures are dump files, and the live
system is only listed and dumped without --select or --force."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import EXIT, FIXTURES as FIX, PERM, SCHEMA, SCHEMA_OF, TOP, VIRTIOCTL, command_table, run, run_json, scalars, schema_validator  # noqa: E402,F401

NULL_WORDS = ("n/a", "none", "unknown")  # the text words for null (docs/json.md)


def sysfs_virtio_functions():
    base = "/sys/bus/pci/devices"
    found = {}
    if not os.path.isdir(base):
        return found
    for addr in sorted(os.listdir(base)):
        rd = lambda f: open(os.path.join(base, addr, f)).read().strip()
        try:
            vendor, device = int(rd("vendor"), 16), int(rd("device"), 16)
        except OSError:
            continue
        if vendor == 0x1AF4 and 0x1000 <= device <= 0x107F:
            found[addr] = device
    return found


class Fixtures(unittest.TestCase):
    def test_list_dump_file(self):
        p = run("--json", "-F", os.path.join(FIX, "host-all.txt"), "list", want=0)
        doc = json.loads(p.stdout)
        schema_validator("list").validate(doc)
        self.assertEqual([d["address"] for d in doc],
                         ["0000:00:0%d.0" % i for i in range(1, 6)])
        self.assertEqual([d["virtio_device_id"] for d in doc], [5, 2, 1, 19, 4])
        self.assertEqual({d["transport"] for d in doc}, {"modern"})
        self.assertTrue(all(d["driver"] is None for d in doc))

    def test_dump_schema_and_values(self):
        want = {"01": 5, "02": 2, "03": 1, "04": 19, "05": 4}
        v = schema_validator("dump")
        for slot, dev_id in want.items():
            f = os.path.join(FIX, "host-00-%s.0.txt" % slot)
            doc = run_json("-F", f, "dump", "00:%s.0" % slot)
            v.validate(doc)
            self.assertEqual(doc["virtio_device_id"], dev_id)
            self.assertEqual(doc["transport"], "modern")
            caps = [(c["offset"], c["cfg_type"], c["bar"], c["bar_offset"]) for c in doc["capabilities"]]
            self.assertEqual(caps, [(0x40, 1, 0, 0), (0x50, 3, 0, 0x2000), (0x60, 4, 0, 0x4000),
                                    (0x70, 2, 0, 0x6000), (0x84, 5, 0, 0)])
            self.assertEqual(doc["capabilities"][3]["notify_off_multiplier"], 4)
            self.assertIsNone(doc["device_features"])
            self.assertIsNone(doc["config"])
            self.assertIn("registers not read: config space only (-F dump file)", doc["notes"])

    def test_text_agrees_with_json(self):
        f = os.path.join(FIX, "host-00-03.0.txt")
        for cmd in ("caps", "dump", "status"):
            doc = run_json("-F", f, cmd, "00:03.0")
            text = run("-F", f, cmd, "00:03.0", want=0).stdout
            for path, key, value in scalars(doc):
                shown = {True: "yes", False: "no"}.get(value, str(value))
                if value is None:
                    ok = any(w in text for w in NULL_WORDS)
                elif isinstance(value, int) and not isinstance(value, bool):
                    # Text may print numbers in hex; accept either spelling.
                    ok = any(s in text for s in (str(value), "%x" % value))
                else:
                    ok = shown in text
                self.assertTrue(ok, "%s: %s%s=%r not in text output" % (cmd, path, "." + key if key else "", value))

    def test_command_and_status_registers(self):
        f = os.path.join(FIX, "host-00-03.0.txt")
        row0 = open(f).read().splitlines()[1].split()[1:]
        cmd, st = int(row0[5] + row0[4], 16), int(row0[7] + row0[6], 16)
        for c in ("caps", "dump"):
            doc = json.loads(run("--json", "-F", f, c, "00:03.0", want=0).stdout)
            self.assertEqual(doc["pci_command"]["value"], cmd)
            self.assertEqual(doc["pci_command"]["memory_decode"], bool(cmd & 2))
            self.assertEqual(doc["pci_command"]["bus_master"], bool(cmd & 4))
            self.assertEqual(doc["pci_command"]["intx_disable"], bool(cmd & 0x400))
            self.assertEqual(doc["pci_status"]["value"], st)
            self.assertEqual(doc["pci_status"]["capabilities_list"], bool(st & 0x10))
        text = run("-F", f, "caps", "00:03.0", want=0).stdout
        self.assertRegex(text, r"Bus master: +(yes|no)")

    def test_looping_chain_is_reported_not_fatal(self):
        p = run("--json", "-F", os.path.join(FIX, "caps-loop.txt"), "caps", "00:02.0", want=0)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["capability_chain_problem"], "chain looped at 0x40")
        self.assertEqual(len(doc["pci_capabilities"]), 6)
        t = run("-F", os.path.join(FIX, "caps-loop.txt"), "caps", "00:02.0", want=0).stdout
        self.assertIn("chain looped at 0x40", t)

    def test_bad_capability_is_flagged(self):
        doc = json.loads(run("--json", "-F", os.path.join(FIX, "caps-bar7.txt"), "caps", "00:02.0",
                             want=0).stdout)
        self.assertEqual(doc["capabilities"][0]["check"], "BAR index 7 is above 5")
        self.assertTrue(any("BAR index 7" in n for n in doc["notes"]))


class Schemas(unittest.TestCase):
    """Every device command's JSON against its schema (docs/schema/),
    resolved offline: references go through the local store only."""

    COMMANDS = ("caps", "status", "features", "common", "config", "dump", "irqs", "vendor")

    def check(self, fixture, addr):
        for cmd in self.COMMANDS:
            p = run("--json", "-F", fixture, cmd, addr)
            if p.returncode == EXIT["unavailable"]:
                self.assertEqual(p.stdout, "")
                continue
            self.assertEqual(p.returncode, 0, (cmd, p.stderr))
            doc = json.loads(p.stdout)
            self.assertEqual(doc["schema_version"], 1)
            schema_validator(cmd).validate(doc)

    def test_fixtures(self):
        for f, addr in (("host-00-03.0.txt", "00:03.0"), ("guest-mixed.txt", "00:03.0"),
                        ("guest-mixed.txt", "00:04.0"), ("host-00-04.0-x.txt", "00:04.0"),
                        ("pcie-virtio-blk-4k.txt", None)):
            path = os.path.join(FIX, f)
            if addr is None:
                addr = json.loads(run("--json", "-F", path, "list", want=0).stdout)[0]["address"]
            self.check(path, addr)

    def test_every_command_has_a_schema(self):
        """From the command table: every command but the shell and the
        session commands prints a document (test_json.py validates them)."""
        for c in command_table()["commands"]:
            if c["session_only"] or c["name"] == "shell":
                continue
            self.assertTrue(os.path.exists(
                os.path.join(SCHEMA, SCHEMA_OF.get(c["name"], c["name"]) + ".schema.json")),
                c["name"])

    def test_one_pci_id_format(self):
        f = os.path.join(FIX, "host-all.txt")
        listed = {d["address"]: d["pci_id"] for d in json.loads(run("--json", "-F", f, "list", want=0).stdout)}
        for addr, pci_id in listed.items():
            for cmd in ("caps", "dump", "irqs"):
                doc = json.loads(run("--json", "-F", f, cmd, addr, want=0).stdout)
                self.assertEqual(doc["pci_id"], pci_id)
                self.assertEqual(pci_id, "%04x:%04x" % (doc["pci"]["vendor_id"], doc["pci"]["device_id"]))

    @unittest.skipUnless(sysfs_virtio_functions(), "no virtio-pci functions on this machine")
    def test_live_read_only(self):
        # bound devices only: nothing is written to them without --select
        for addr in sysfs_virtio_functions():
            if not os.path.exists("/sys/bus/pci/devices/%s/driver" % addr):
                continue
            for cmd in self.COMMANDS:
                p = run("--json", cmd, addr)
                if p.returncode == EXIT["unavailable"]:
                    continue
                self.assertEqual(p.returncode, 0, (cmd, p.stderr))
                schema_validator(cmd).validate(json.loads(p.stdout))


class Unavailable(unittest.TestCase):
    """What could not be read is null with a reason, never a value that
    looks real; a command whose whole answer is missing fails with 10."""

    F = os.path.join(FIX, "host-00-03.0.txt")

    def test_whole_answer_missing_exits_10(self):
        for cmd in ("config", "common", "features"):
            for fmt in ([], ["--json"]):
                p = run(*fmt, "-F", self.F, cmd, "00:03.0", want=EXIT["unavailable"])
                self.assertEqual(p.stdout, "")
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertIn("not readable: ", p.stderr)
                self.assertIn("-F dump file", p.stderr)

    def test_dump_marks_each_missing_section(self):
        doc = json.loads(run("--json", "-F", self.F, "dump", "00:03.0", want=0).stdout)
        schema_validator("dump").validate(doc)
        self.assertEqual(doc["register_access"], "none")
        for k in ("device_status", "device_features", "driver_features", "feature_bits",
                  "common_cfg", "queues", "config"):
            self.assertIsNone(doc[k], k)
            self.assertIn("-F dump file", doc["unavailable"][k], k)
        # every null listed in unavailable is a null in the document
        for path in doc["unavailable"]:
            node = doc
            for part in path.split("."):
                node = node[int(part)] if isinstance(node, list) else node[part]
            self.assertIsNone(node, path)
        text = run("-F", self.F, "dump", "00:03.0", want=0).stdout
        self.assertRegex(text, r"Feature bits: +unknown \(")
        self.assertNotIn("(none)", text)
        self.assertRegex(text, r"Register access: +none \(")


class ShortConfigSpace(unittest.TestCase):
    """`lspci -x` dumps hold 64 bytes of config space: the capability
    pointer leads into bytes never read. Nothing may be parsed from them."""

    MODERN = os.path.join(FIX, "host-00-04.0-x.txt")
    TRANSITIONAL = os.path.join(FIX, "guest-transitional-net-x.txt")

    def test_caps_not_readable(self):
        doc = json.loads(run("--json", "-F", self.MODERN, "dump", "00:04.0", want=0).stdout)
        schema_validator("dump").validate(doc)
        doc = json.loads(run("--json", "-F", self.MODERN, "caps", "00:04.0", want=0).stdout)
        for k in ("pci_capabilities", "capabilities", "msix"):
            self.assertIsNone(doc[k], k)
            self.assertIn("first 64 bytes", doc["unavailable"][k])
        self.assertNotIn("capability_chain_problem", doc)
        self.assertEqual(doc["transport"], "modern")  # device ID 0x1053
        text = run("-F", self.MODERN, "caps", "00:04.0", want=0).stdout
        self.assertNotRegex(text, r"0xff +no")
        self.assertNotIn("looped", text)
        self.assertRegex(text, r"PCI capabilities: +unknown \(the dump holds only the first 64")

    def test_transitional_is_unknown_not_legacy(self):
        for cmd in ("list", "dump"):
            args = ("list",) if cmd == "list" else ("dump", "00:04.0")
            doc = json.loads(run("--json", "-F", self.TRANSITIONAL, *args, want=0).stdout)
            schema_validator(cmd).validate(doc)
            d = doc[0] if cmd == "list" else doc
            self.assertIsNone(d["transport"], cmd)
            self.assertIn("first 64 bytes", d["unavailable"]["transport"])
        text = run("-F", self.TRANSITIONAL, "list", want=0).stdout
        self.assertIn("unknown", text)
        self.assertNotIn("legacy", text)
        # with the whole dump, the same device is transitional
        doc = json.loads(run("--json", "-F", os.path.join(FIX, "guest-transitional-net.txt"),
                             "list", want=0).stdout)
        self.assertEqual(doc[0]["transport"], "transitional")

    def test_registers_reason_names_the_capabilities(self):
        p = run("-F", self.MODERN, "irqs", "00:04.0", want=0)
        self.assertIn("MSI-X:", p.stdout)
        self.assertNotIn("no usable virtio 1.x", p.stdout)


class LegacyIrqsVendor(unittest.TestCase):
    """Legacy and transitional config spaces captured in a QEMU guest
    (guest-*.txt: od of sysfs config, in lspci -xxx form), `irqs` and
    `vendor` on dump files (config space only: no registers, no /proc)."""

    MIXED = os.path.join(FIX, "guest-mixed.txt")

    def test_list_transports(self):
        doc = run_json("-F", self.MIXED, "list")
        schema_validator("list").validate(doc)
        self.assertEqual([(d["address"], d["transport"], d["resources"]) for d in doc],
                         [("0000:00:03.0", "legacy", None), ("0000:00:04.0", "transitional", None),
                          ("0000:01:00.0", "modern", None)])

    def test_interface_choice(self):
        v = schema_validator("dump")
        for opts, addr, iface in (([], "00:03.0", "legacy"),
                                  (["--transport", "modern"], "00:03.0", "legacy"),
                                  ([], "00:04.0", "modern"),
                                  (["--transport", "legacy"], "00:04.0", "legacy"),
                                  (["--transport", "modern"], "01:00.0", "modern")):
            doc = run_json("-F", self.MIXED, *opts, "dump", addr)
            v.validate(doc)
            self.assertEqual(doc["interface"], iface, (opts, addr))
            # a device with a legacy interface has the key, null here (no registers)
            self.assertEqual("legacy_header" in doc, addr != "01:00.0")
            self.assertIsNone(doc.get("legacy_header"))
        p = run("-F", self.MIXED, "--transport", "legacy", "dump", "01:00.0", want=EXIT["usage"])
        self.assertIn("modern-only", p.stderr)
        p = run("-F", self.MIXED, "--transport", "pci", "dump", "00:04.0", want=EXIT["usage"])
        self.assertIn("expected modern or legacy", p.stderr)

    def test_irqs_from_config_space(self):
        v = schema_validator("irqs")
        doc = run_json("-F", self.MIXED, "irqs", "00:04.0")
        v.validate(doc)
        self.assertEqual(doc["msix"]["table_size"], 4)
        self.assertFalse(doc["msix"]["enabled"])
        # the table's place as integers, as in `caps`
        caps = json.loads(run("--json", "-F", self.MIXED, "caps", "00:04.0", want=0).stdout)
        for k in ("table_bar", "table_offset", "pba_bar", "pba_offset"):
            self.assertEqual(doc["msix"][k], caps["msix"][k], k)
        self.assertEqual([r["vector"] for r in doc["vectors"]], [0, 1, 2, 3])
        self.assertTrue(all(r["address"] is None and r["linux_irq"] is None for r in doc["vectors"]))
        self.assertEqual(doc["intx"]["pin"], 1)
        self.assertIsNone(doc["intx"]["isr"])
        self.assertIsNone(doc["linux_irqs"])
        # the legacy blk: MSI-X (2 vectors) not enabled by anyone yet
        doc = run_json("-F", self.MIXED, "irqs", "00:03.0")
        v.validate(doc)
        self.assertEqual((doc["msix"]["table_size"], doc["msix"]["enabled"]), (2, False))
        self.assertEqual(doc["intx"]["line"], 11)

    def test_vendor_none(self):
        doc = run_json("-F", self.MIXED, "vendor", "00:04.0")
        self.assertEqual(doc["vendor"], {})
        self.assertTrue(any("no vendor extension" in n for n in doc["notes"]))
        dump = run_json("-F", self.MIXED, "dump", "00:04.0")
        self.assertNotIn("vendor", dump)

    def test_text_agrees_with_json(self):
        for cmd, addr in (("irqs", "00:04.0"), ("irqs", "00:03.0"), ("dump", "00:03.0"),
                          ("vendor", "00:04.0")):
            doc = run_json("-F", self.MIXED, cmd, addr)
            text = run("-F", self.MIXED, cmd, addr, want=0).stdout
            for path, key, value in scalars(doc):
                shown = {True: "yes", False: "no"}.get(value, str(value))
                if value is None:
                    ok = any(w in text for w in NULL_WORDS)
                elif isinstance(value, int) and not isinstance(value, bool):
                    ok = any(s in text for s in (str(value), "%x" % value))
                else:
                    ok = shown in text
                self.assertTrue(ok, "%s: %s%s=%r not in text" % (cmd, path, "." + key if key else "", value))


class Errors(unittest.TestCase):
    def test_bad_address(self):
        for a in ("00:04", "0000:00:20.0", "zz:00.0", "0000:00:04.0x"):
            p = run("dump", a, want=EXIT["usage"])
            self.assertIn("not a PCI address", p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_missing_device(self):
        p = run("-F", os.path.join(FIX, "host-all.txt"), "dump", "00:09.0", want=EXIT["nodev"])
        self.assertIn("0000:00:09.0", p.stderr)

    def test_non_virtio(self):
        p = run("-F", os.path.join(FIX, "host-all.txt"), "caps", "00:00.0", want=EXIT["notvirtio"])
        self.assertIn("not a virtio-pci device", p.stderr)

    def test_malformed_dumps(self):
        bad = sorted(f for f in os.listdir(FIX) if f.startswith("bad-"))
        self.assertGreater(len(bad), 5)
        for f in bad:
            p = run("-F", os.path.join(FIX, f), "list")
            self.assertEqual(p.returncode, EXIT["input"], f + ": " + p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, f + ": " + p.stderr)
            self.assertIn(f, p.stderr)

    def test_lost_output_is_an_error(self):
        f = os.path.join(FIX, "host-all.txt")
        if os.path.exists("/dev/full"):
            for args in (["-F", f, "list"], ["--version"], ["-F", f, "--json", "dump", "00:03.0"]):
                with open("/dev/full", "w") as full:
                    p = subprocess.run([VIRTIOCTL, *args], stdout=full, stderr=subprocess.PIPE,
                                       text=True, stdin=subprocess.DEVNULL, timeout=60)
                self.assertEqual(p.returncode, 1, args)
                self.assertIn("writing standard output", p.stderr)
        # a pipe closed by its reader: EPIPE, reported, not a silent SIGPIPE
        r, w = os.pipe()
        os.close(r)
        p = subprocess.run([VIRTIOCTL, "-F", f, "list"], stdout=w, stderr=subprocess.PIPE,
                           text=True, stdin=subprocess.DEVNULL, timeout=60)
        os.close(w)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Broken pipe", p.stderr)

    def test_binary_script_is_malformed_input(self):
        with tempfile.NamedTemporaryFile(suffix=".vctl") as t:
            t.write(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\n\x00\x00list\n")
            t.flush()
            p = run("-f", t.name, want=EXIT["input"])
            self.assertIn("binary", p.stderr)

    def test_sigint_ends_one_command_with_130(self):
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "dump")
            os.mkfifo(fifo)
            # opening a FIFO with no writer blocks: the command is running
            p = subprocess.Popen([VIRTIOCTL, "-F", fifo, "list"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 130, err)
            self.assertEqual(out, "")

    def test_sigint_ends_a_driving_command_with_130(self):
        """bench on a simulated disk that always has used buffers ready:
        Ctrl-C still ends it promptly (the device is reset on the way
        out), with 130 and no partial report."""
        for fmt in ([], ["--json"]):
            p = subprocess.Popen([VIRTIOCTL, "--simulate", "block", *fmt, "bench", "00:01.0",
                                  "--duration", "600000"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 130, err)
            self.assertEqual(out, "")
            self.assertEqual(err, "virtioctl: interrupted\n")

    def test_control_bytes_are_escaped_in_errors(self):
        """Arguments, file names and script lines reach the terminal
        escaped: an escape sequence is shown, not obeyed."""
        esc = "\x1b]0;owned\x07\x1b[2J"
        shown = "\\x1b]0;owned\\x07\\x1b[2J"
        p = run("frob" + esc, want=EXIT["usage"])
        self.assertIn("frob" + shown, p.stderr)
        with tempfile.TemporaryDirectory() as d:
            name = os.path.join(d, "dump" + esc + ".txt")
            with open(os.path.join(FIX, "host-all.txt")) as src, open(name, "w") as dst:
                dst.write(src.read())
            p = run("-F", name, "dump", "00:09.0", want=EXIT["nodev"])
            self.assertIn("dump" + shown + ".txt", p.stderr)
            script = os.path.join(d, "s" + esc)
            with open(script, "w") as f:
                f.write("list " + esc + "\n")
            p = run("-F", name, "-f", script, want=EXIT["usage"])
            self.assertIn("s" + shown + ":1", p.stderr)
        p = subprocess.run([VIRTIOCTL, "-F", os.path.join(FIX, "host-all.txt")],
                           input="lis" + esc + "\n", capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, EXIT["usage"])
        self.assertIn(shown, p.stderr)
        for out in (p.stderr,):
            self.assertFalse(any(ord(c) < 0x20 and c != "\n" for c in out), out)

    def test_help_wrapped_and_version_agrees(self):
        table = json.loads(run("--json", "__commands", want=0).stdout)
        texts = [run("--help", want=0).stdout]
        texts += [run(c["name"], "--help", want=0).stdout for c in table["commands"]]
        for t in texts:
            for line in t.splitlines():
                self.assertLessEqual(len(line), 79, line)
        self.assertEqual(run("version", want=0).stdout, run("--version", want=0).stdout)
        self.assertEqual(run("--json", "version", want=0).stdout,
                         run("--json", "--version", want=0).stdout)

    def test_usage(self):
        run(want=EXIT["ok"])  # no command, stdin not a terminal: an empty script
        run("frobnicate", want=EXIT["usage"])
        run("-f", "-", "list", want=EXIT["usage"])
        run("open", "00:01.0", want=EXIT["usage"])  # only in the shell or a script
        run("caps", "00:01.0", "extra", want=EXIT["usage"])
        run("--no-such-option", "list", want=EXIT["usage"])
        self.assertIn("Usage: virtioctl", run("--help", want=0).stdout)
        self.assertIn("caps <device>", run("caps", "--help", want=0).stdout)
        self.assertRegex(run("--version", want=0).stdout, r"^virtioctl \d+\.\d+")


class Table(unittest.TestCase):
    """What the command table declares, seen from the command line: values
    checked while parsing (usage error, one line naming the option and what
    it takes), and the safety rules of writing commands on a -F dump."""

    FIX = os.path.join(FIX, "host-all.txt")

    def usage(self, *args, says):
        p = run(*args, want=EXIT["usage"])
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(says, p.stderr)

    def test_bad_values(self):
        self.usage("--dma", "iommu", "list", says="--dma 'iommu': expected auto, sysfs or vfio")
        self.usage("--transport", "pci", "list", says="--transport 'pci': expected modern or legacy")
        self.usage("-F", self.FIX, "poll", "00:05.0", "0", "--count", "0",
                   says="--count '0': expected a number from 1 to 4096")
        self.usage("-F", self.FIX, "poll", "00:05.0", "0", "-t", "-5",
                   says="--timeout '-5': expected a number")
        self.usage("-F", self.FIX, "bench", "00:05.0", "--duration=600001",
                   says="--duration '600001': expected a number from 1 to 600000")
        self.usage("-F", self.FIX, "status", "00:05.0", "go",
                   says="status 'go': expected reset, ack, driver, features-ok, driver-ok, "
                        "failed or next")
        self.usage("-F", self.FIX, "vring", "00:05.0", "list", "0",
                   says="vring 'list': expected setup or show")
        self.usage("-F", self.FIX, "vring", "00:05.0",
                   says="usage: vring <device> <setup|show> <queue> [size]")
        self.usage("-F", self.FIX, "features", "00:05.0", "negotiate", "VERSION_1",
                   says="usage: features <device> negotiate")

    def test_dump_file_refuses_every_write(self):
        table = command_table()["commands"]
        lines = []
        for c in table:
            for a in c["actions"]:
                if a["writes"]:
                    word = (a["words"] or [a["name"]])[0]
                    lines.append([c["name"], "00:05.0", word] + {
                        "set": ["VERSION_1"], "setup": ["0"]}.get(a["name"], []))
            if c["writes"]:
                lines.append([c["name"], "00:05.0"] + {
                    "post": ["0", "w:8"], "kick": ["0"], "poll": ["0"]}.get(c["name"], []))
        self.assertGreaterEqual(len(lines), 8)
        for line in lines:
            p = run("-F", self.FIX, *line, want=PERM)
            self.assertEqual(p.stderr.strip(),
                             "virtioctl: 0000:00:05.0: a -F dump file has no device to write to")
        # read-only ones are not refused (features has nothing to show from a
        # dump: unavailable, 10, not refused, 5)
        for line, status in ((["features", "00:05.0"], EXIT["unavailable"]),
                             (["status", "00:05.0"], 0), (["caps", "00:05.0"], 0)):
            run("-F", self.FIX, *line, want=status)


def check_json(*args, code):
    """`virtioctl --json [-F FILE] check ...`, validated against the schema."""
    p = run("--json", *args, want=code)
    doc = json.loads(p.stdout)
    schema_validator("check").validate(doc)
    return doc, p


def results(doc, result=None):
    return {r["id"]: r for a in doc["areas"] for r in a["results"]
            if result is None or r["result"] == result}


class CheckCommand(unittest.TestCase):
    """`check` on fixtures: the failures of issue 10, exit statuses, --only,
    --strict, --list, text against JSON, scripts."""

    def test_list(self):
        doc, _ = check_json("check", "--list", code=EXIT["ok"])
        ids = [c["id"] for c in doc["checks"]]
        self.assertGreaterEqual(len(ids), 40)
        self.assertEqual(len(ids), len(set(ids)))
        text = run("check", "--list", want=EXIT["ok"]).stdout
        for c in doc["checks"]:
            self.assertIn(c["id"], text)

    def test_issue_example_caps(self):
        """The dump `caps` shows as all "ok" fails exactly the four rules
        it breaks, and exits with 11."""
        doc, p = check_json("-F", os.path.join(FIX, "check-issue-caps.txt"), "check",
                            "00:02.0", code=EXIT["check"])
        self.assertEqual(sorted(results(doc, "fail")),
                         ["cap.isr.present", "cap.pci_cfg.present", "cap.shm.unique_id",
                          "cap.vendor.length"])
        for r in results(doc, "fail").values():
            self.assertTrue(r["seen"] and r["required"])
        self.assertEqual(doc["verdict"], "fail")
        self.assertEqual(doc["counts"]["must_failed"], 4)
        self.assertIn("4 MUST checks failed", p.stderr)
        # Failures come first: the first area holds a failure, and within
        # it the failures lead.
        self.assertEqual(doc["areas"][0]["results"][0]["result"], "fail")
        # A dump has no registers: those checks are skipped, with a reason.
        r = results(doc)["regs.queue_size"]
        self.assertEqual((r["result"], r["skip_kind"]), ("skip", "unreachable"))
        self.assertEqual(results(doc)["active.reset"]["skip_kind"], "needs_active")

    def test_issue_example_transitional(self):
        doc, _ = check_json("-F", os.path.join(FIX, "check-transitional-subsys.txt"), "check",
                            "00:03.0", code=EXIT["check"])
        self.assertEqual(list(results(doc, "fail")), ["pci.transitional.subsystem"])
        self.assertEqual(results(doc)["pci.class"]["result"], "pass")

    def test_fixtures_fail_their_rule(self):
        """Each malformed capability fixture fails its own rule, no other."""
        want = {"caps-bar-unimpl.txt": "cap.bar.implemented", "caps-loop.txt": "cap.chain",
                "caps-mult3.txt": "cap.notify.multiplier",
                "caps-misaligned.txt": "cap.device.align",
                "caps-short-common.txt": "cap.common.length", "caps-truncated.txt": "cap.len",
                "caps-unknown-type.txt": "cap.pci_cfg.present"}
        for f, rule in want.items():
            doc, _ = check_json("-F", os.path.join(FIX, f), "check", "00:02.0",
                                code=EXIT["check"])
            self.assertEqual(list(results(doc, "fail")), [rule], f)

    def test_correct_dumps_pass(self):
        for f, addr in [("host-00-02.0.txt", "00:02.0"), ("pcie-virtio-blk-4k.txt", "01:00.0"),
                        ("guest-transitional-net.txt", "00:04.0"),
                        ("guest-legacy-blk.txt", "00:03.0")]:
            doc, _ = check_json("-F", os.path.join(FIX, f), "check", addr, code=EXIT["ok"])
            self.assertEqual(results(doc, "fail"), {}, f)
            self.assertEqual(doc["verdict"], "pass")

    def test_strict(self):
        """A SHOULD failure (a reserved BAR index) counts only with --strict."""
        dump = os.path.join(FIX, "caps-bar7.txt")
        doc, _ = check_json("-F", dump, "check", "00:02.0", code=EXIT["ok"])
        self.assertEqual(list(results(doc, "fail")), ["cap.bar.index"])
        self.assertEqual(results(doc)["cap.bar.index"]["level"], "SHOULD")
        doc, _ = check_json("-F", dump, "check", "00:02.0", "--strict", code=EXIT["check"])
        self.assertTrue(doc["strict"])
        self.assertEqual(doc["verdict"], "fail")

    def test_only(self):
        dump = os.path.join(FIX, "check-issue-caps.txt")
        doc, _ = check_json("-F", dump, "check", "00:02.0", "--only", "pci.*,cap.chain",
                            code=EXIT["ok"])
        self.assertEqual(sorted(results(doc)), sorted(
            ["cap.chain", "pci.device_id", "pci.transitional.revision",
             "pci.transitional.subsystem", "pci.modern.revision", "pci.modern.subsystem",
             "pci.class"]))
        doc, _ = check_json("-F", dump, "check", "00:02.0", "--only", "cap.isr.present",
                            code=EXIT["check"])
        self.assertEqual(doc["counts"]["checks"], 1)
        p = run("-F", dump, "check", "00:02.0", "--only", "cap.nope", want=EXIT["usage"])
        self.assertIn("check --list", p.stderr)

    def test_usage_and_refusals(self):
        run("check", want=EXIT["usage"])
        run("check", "--list", "00:02.0", want=EXIT["usage"])
        # --active writes: a dump file has nothing to write to.
        p = run("-F", os.path.join(FIX, "host-00-02.0.txt"), "check", "00:02.0", "--active",
                want=EXIT["perm"])
        self.assertIn("dump file", p.stderr)

    def test_text_agrees_with_json(self):
        args = ["-F", os.path.join(FIX, "check-issue-caps.txt"), "check", "00:02.0"]
        doc = json.loads(run("--json", *args, want=EXIT["check"]).stdout)
        text = run(*args, want=EXIT["check"]).stdout
        for r in results(doc).values():
            self.assertIn(r["id"], text)
            for k in ("seen", "required", "reason"):
                if r[k]:
                    self.assertIn(r[k], text)
        self.assertIn("Verdict:", text.splitlines()[-1])

    def test_script_json_lines(self):
        """In a script with --json each check is one JSON Lines record, and
        a failing one carries its error (exit status 11) in that record; a
        leading '-' keeps it from stopping the script."""
        p = subprocess.run([VIRTIOCTL, "--json", "-F", os.path.join(FIX, "check-issue-caps.txt"),
                            "-f", "-"], input="-check 00:02.0\ncheck --list\n",
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(lines), 2)
        v = schema_validator("check")
        v.validate(lines[0])
        v.validate(lines[1])
        self.assertEqual(lines[0]["verdict"], "fail")
        self.assertEqual((lines[0]["command"], lines[0]["error"]["exit_status"]),
                         ("check", EXIT["check"]))
        self.assertNotIn("error", lines[1])
        self.assertIn("checks", lines[1])


# The checks each misbehaviour knob of the simulator must fail (issue 10):
# those and no other. A knob the simulator lists without an entry fails.
KNOB_CHECKS = {
    "reset-ignored": ["active.reset"],
    "features-ok-always": ["active.features_ok.unoffered"],
    "queue-size-odd": ["regs.queue_size"],
    "used-len-overflow": ["active.used.len"],
    "used-id-bogus": ["active.used.id"],
    "config-generation-stuck": ["regs.config_generation"],
    "notify-off-out-of-range": ["active.notify", "cap.notify.queues"],
    "no-isr-cap": ["cap.isr.present"],
    "status-reserved-bits": ["active.status.reserved"],
}


class CheckSimulated(unittest.TestCase):
    """`check --active` on the simulator: every type passes every check
    without knobs; each knob fails its own checks and no other, with exit
    status 11 when one of them is a MUST (SHOULD ones with --strict)."""

    SIM = json.loads(run("--json", "--simulate", "list", want=0).stdout)

    def test_every_type_passes(self):
        for t in self.SIM["types"]:
            for transport in ("modern", "transitional", "legacy"):
                spec = "%s,transport=%s" % (t["name"], transport)
                p = run("--json", "--simulate", spec, "check", "--active", "00:01.0")
                if transport != "modern" and p.returncode == EXIT["usage"]:
                    continue  # a type without a transitional PCI device ID
                self.assertEqual(p.returncode, EXIT["ok"], (spec, p.stderr))
                doc = json.loads(p.stdout)
                schema_validator("check").validate(doc)
                self.assertEqual(doc["mode"], "active")
                self.assertEqual(results(doc, "fail"), {}, spec)
                # Active checks ran: none was left for want of --active.
                self.assertFalse([r for r in results(doc).values()
                                  if r["skip_kind"] == "needs_active"], spec)

    def test_each_knob_fails_its_checks(self):
        levels = {c["id"]: c["level"] for c in
                  json.loads(run("--json", "check", "--list", want=0).stdout)["checks"]}
        for b in self.SIM["bugs"]:
            self.assertIn(b["name"], KNOB_CHECKS)
            want = sorted(KNOB_CHECKS[b["name"]])
            must = any(levels[c] == "MUST" for c in want)
            spec = "net,bug=" + b["name"]
            doc, _ = check_json("--simulate", spec, "check", "--active", "00:01.0",
                                code=EXIT["check"] if must else EXIT["ok"])
            self.assertEqual(sorted(results(doc, "fail")), want, spec)
            check_json("--simulate", spec, "check", "--active", "--strict", "00:01.0",
                       code=EXIT["check"])

    def test_read_only_bound(self):
        """A simulated device bound to a driver: the read-only check passes
        what it can reach, writes nothing (BARs hidden, no --select), and
        --active is refused like any writing command."""
        doc, _ = check_json("--simulate", "block,driver=virtio_blk", "check", "00:01.0",
                            code=EXIT["ok"])
        self.assertEqual(doc["driver"], "virtio_blk")
        self.assertEqual(results(doc)["regs.queue_size"]["result"], "skip")
        p = run("--simulate", "block,driver=virtio_blk", "check", "--active", "00:01.0",
                want=EXIT["perm"])
        self.assertIn("refusing", p.stderr)


@unittest.skipUnless(sysfs_virtio_functions(), "no virtio-pci functions on this machine")
class LiveReadOnly(unittest.TestCase):
    def test_list_matches_sysfs(self):
        doc = run_json("list")
        schema_validator("list").validate(doc)
        live = sysfs_virtio_functions()
        self.assertEqual([d["address"] for d in doc], sorted(live))
        for d in doc:
            dev = live[d["address"]]
            if dev >= 0x1040:
                self.assertEqual(d["virtio_device_id"], dev - 0x1040)
                self.assertEqual(d["transport"], "modern")

    def test_list_resources_as_dump(self):
        """One format for one kind of value: list's resources are the
        objects of dump's linux.resources (issue 11; [] for none)."""
        for d in run_json("list"):
            dump = run_json("dump", d["address"])
            self.assertIsInstance(d["resources"], list, d["address"])
            self.assertEqual(d["resources"], dump["linux"]["resources"], d["address"])
        names = {d["address"]: ", ".join(r["name"] for r in d["resources"]) or "none"
                 for d in run_json("list")}
        for line in run("list", want=0).stdout.splitlines()[1:]:
            cells = line.split()
            self.assertEqual(line.split(cells[6], 1)[1].strip(), names[cells[0]], line)

    def test_irqs_every_function(self):
        """Read-only on this machine: MSI-X from config space, each vector's
        Linux IRQ from msi_irqs and /proc/interrupts, no selector written
        (bound devices, no --select), no ISR read."""
        v = schema_validator("irqs")
        for addr in sysfs_virtio_functions():
            doc = run_json("irqs", addr)
            v.validate(doc)
            if not doc["driver"] or not (doc["msix"] or {}).get("enabled"):
                continue
            self.assertIsNone(doc["queues"])
            self.assertIsNone((doc["intx"] or {}).get("isr"))
            named = [r for r in doc["vectors"] if r["linux_irq"] is not None]
            self.assertTrue(named, addr)
            for r in named:
                self.assertTrue(r["linux_name"].startswith(doc["virtio_bus_device"] + "-"),
                                (addr, r))
            self.assertEqual(named[0]["linux_name"], doc["virtio_bus_device"] + "-config")

    def test_config_without_resource_files_exits_10(self):
        """A bound device whose BARs have no resource files in sysfs: `config`
        has nothing to show, says why and what would reach it (read-only:
        no --select here)."""
        tried = 0
        for addr in sysfs_virtio_functions():
            base = "/sys/bus/pci/devices/%s" % addr
            if not os.path.exists(base + "/driver") or any(
                    f.startswith("resource") and f != "resource" for f in os.listdir(base)):
                continue
            tried += 1
            p = run("config", addr, want=EXIT["unavailable"])
            self.assertEqual(p.stdout, "")
            self.assertIn("no resource", p.stderr)
            self.assertIn("--select", p.stderr)
            doc = json.loads(run("--json", "caps", addr, want=0).stdout)
            self.assertEqual(doc["register_access"], "none")
        if not tried:
            self.skipTest("every bound function has resource files")

    def test_all_feature_bits_from_sysfs(self):
        """The kernel's features string, of any length, whole: every bit,
        not only the first 64 (read-only: sysfs and config space)."""
        for addr in sysfs_virtio_functions():
            base = "/sys/bus/pci/devices/%s" % addr
            vdevs = [d for d in os.listdir(base) if d.startswith("virtio")]
            if not vdevs or not os.path.exists(os.path.join(base, vdevs[0], "features")):
                continue
            bits = open(os.path.join(base, vdevs[0], "features")).read().strip()
            doc = json.loads(run("--json", "dump", addr, want=0).stdout)
            want = sum(1 << i for i, b in enumerate(bits[:128]) if b == "1")
            self.assertEqual(int(doc["linux"]["features_ex"], 16), want)
            self.assertEqual(len(doc["linux"]["features_ex"]) - 2, 8 * min(4, (len(bits) + 31) // 32))
            self.assertEqual(int(doc["linux"]["features"], 16), want & (2**64 - 1))
            if doc["driver_features_source"] == "sysfs":
                self.assertEqual(doc["driver_features_ex"], doc["linux"]["features_ex"])
                listed = {r["bit"] for r in doc["feature_bits"] if r["driver"]}
                self.assertEqual(listed, {i for i in range(128) if want >> i & 1})

    def test_dump_every_function(self):
        v = schema_validator("dump")
        for addr in sysfs_virtio_functions():
            # This machine's own devices are never written to: `dump` writes
            # selector registers of unbound devices, so those only get `caps`.
            if not os.path.exists("/sys/bus/pci/devices/%s/driver" % addr):
                run("--json", "caps", addr, want=0)
                continue
            p = run("--json", "dump", addr, want=0)
            doc = json.loads(p.stdout)
            v.validate(doc)
            self.assertEqual(doc["address"], addr)
            if doc["driver"]:
                # A bound device: nothing behind a selector was read.
                self.assertIsNone(doc["queues"])

    def test_check_every_function(self):
        """`check` read-only (no --select, no --active) on this machine's
        bound devices completes; what it cannot reach is skipped with a
        reason. Unbound ones are left alone: read-only checks write
        selectors there."""
        for addr in sysfs_virtio_functions():
            if not os.path.exists("/sys/bus/pci/devices/%s/driver" % addr):
                continue
            p = run("--json", "check", addr)
            self.assertIn(p.returncode, (EXIT["ok"], EXIT["check"]), p.stderr)
            doc = json.loads(p.stdout)
            schema_validator("check").validate(doc)
            self.assertEqual(doc["mode"], "read-only")
            for r in results(doc).values():
                if r["result"] == "skip":
                    self.assertTrue(r["reason"], r)
                if r["id"].startswith("active."):
                    self.assertEqual(r["skip_kind"], "needs_active")


def unprivileged(*args):
    """virtioctl as user nobody (setpriv), which Linux lets read only the
    first 64 bytes of config space."""
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        VIRTIOCTL, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, cwd="/")
    return p


@unittest.skipUnless(os.geteuid() == 0 and sysfs_virtio_functions(),
                     "needs root (to drop to another user) and virtio-pci functions")
class LiveUnprivileged(unittest.TestCase):
    """Read-only on this machine's devices, as a user without privileges."""

    def test_caps_access_denied(self):
        for addr in sysfs_virtio_functions():
            p = unprivileged("--json", "caps", addr)
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["pci"]["config_space_size"], 64)
            schema_validator("dump").validate(json.loads(unprivileged("--json", "dump", addr).stdout))
            for k in ("pci_capabilities", "capabilities", "msix"):
                self.assertIsNone(doc[k])
                self.assertIn("not readable without root", doc["unavailable"][k])
            text = unprivileged("caps", addr).stdout
            self.assertNotIn("looped", text)
            self.assertNotIn("0xff  no", text)
            self.assertIn("unknown (not readable without root", text)

    def test_list_transport_known_or_unknown(self):
        p = unprivileged("--json", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        schema_validator("list").validate(doc)
        self.assertEqual([d["address"] for d in doc], sorted(sysfs_virtio_functions()))
        for d in doc:
            dev = sysfs_virtio_functions()[d["address"]]
            if dev >= 0x1040:
                self.assertEqual(d["transport"], "modern")
            else:
                self.assertIsNone(d["transport"])

    def test_every_view_validates(self):
        """What a user without root sees is still the JSON contract: every
        read-only view validates, or the command exits 10 printing nothing."""
        for addr in sysfs_virtio_functions():
            for cmd in ("caps", "common", "features", "config", "status", "dump", "irqs",
                        "vendor", "check"):
                p = unprivileged("--json", cmd, addr)
                if p.returncode == EXIT["unavailable"]:
                    self.assertEqual(p.stdout, "", (cmd, addr))
                    continue
                self.assertIn(p.returncode, (0, EXIT["check"]), (cmd, addr, p.stderr))
                schema_validator(cmd).validate(json.loads(p.stdout))
        for cmd in ("metrics", "list"):
            p = unprivileged("--json", cmd)
            self.assertEqual(p.returncode, 0, p.stderr)
            schema_validator(cmd).validate(json.loads(p.stdout))

    def test_irqs_from_proc_and_sysfs(self):
        for addr in sysfs_virtio_functions():
            if not os.path.isdir("/sys/bus/pci/devices/%s/msi_irqs" % addr):
                continue
            doc = json.loads(unprivileged("--json", "irqs", addr).stdout)
            schema_validator("irqs").validate(doc)
            self.assertIsNone(doc["msix"])
            self.assertIn("msix", doc["unavailable"])
            irqs = sorted(int(i) for i in os.listdir("/sys/bus/pci/devices/%s/msi_irqs" % addr))
            self.assertEqual(sorted(r["irq"] for r in doc["linux_irqs"]), irqs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
