#!/usr/bin/python3
"""--simulate: the simulator as a device source, end to end.

Every command runs on simulated devices only (0000:00:NN.0 of the
simulator, never this machine's functions of the same address): listing,
every read-only view, the driving commands and self-tests, the safety
rules on a simulated bound device, the misbehaviour knobs as a user sees
them, and the usage errors of bad specs."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import DEVICE, NODEV, PERM, TIMEOUT, TOP, USAGE, VIRTIOCTL, run, schema_validator  # noqa: E402,F401
SELFTEST_TYPES = ["block", "entropy", "console", "net"]


def sim(*specs):
    return [a for s in specs for a in ("--simulate", s)]


def script(specs, text, device, *opts, want=None):
    with tempfile.NamedTemporaryFile("w", suffix=".vctl", delete=False) as f:
        f.write(text)
    try:
        return run(*sim(*specs), *opts, "-f", f.name, device, want=want)
    finally:
        os.unlink(f.name)


class Listing(unittest.TestCase):
    def test_list_two_devices(self):
        p = run(*sim("block", "entropy"), "--json", "list", want=0)
        doc = json.loads(p.stdout)
        schema_validator("list").validate(doc)
        self.assertEqual([d["address"] for d in doc], ["0000:00:01.0", "0000:00:02.0"])
        self.assertEqual([d["virtio_device_id"] for d in doc], [2, 4])
        self.assertEqual([d["transport"] for d in doc], ["modern", "modern"])
        # No Linux side: the host's 0000:00:01.0 is not looked at.
        for d in doc:
            self.assertIsNone(d["driver"])
            self.assertIsNone(d["virtio_bus_device"])

    def test_transports_and_driver(self):
        p = run(*sim("net,transport=legacy", "console,transport=transitional",
                     "block,driver=virtio-pci"), "--json", "list", want=0)
        doc = json.loads(p.stdout)
        self.assertEqual([d["transport"] for d in doc], ["legacy", "transitional", "modern"])
        self.assertEqual([d["pci_id"] for d in doc], ["1af4:1000", "1af4:1003", "1af4:1042"])
        self.assertEqual(doc[2]["driver"], "virtio-pci")

    def test_simulate_list(self):
        p = run("--simulate", "list", want=0)
        for word in ("net", "block", "console", "entropy", "transport=", "queues=",
                     "queue_size=", "driver=", "bug=", "reset-ignored", "no-isr-cap"):
            self.assertIn(word, p.stdout)
        doc = json.loads(run("--json", "--simulate", "list", want=0).stdout)
        self.assertEqual({t["name"]: t["virtio_device_id"] for t in doc["types"]}["entropy"], 4)
        self.assertEqual(len(doc["bugs"]), 9)

    def test_docs_name_every_type_key_and_knob(self):
        doc = json.loads(run("--json", "--simulate", "list", want=0).stdout)
        text = open(os.path.join(TOP, "docs", "simulate.md")).read()
        for t in doc["types"]:
            self.assertRegex(text, r"\| `%s` \|" % re.escape(t["name"]))
        for k in doc["keys"]:
            self.assertIn("`%s`" % k["key"].split("=")[0], text)
        for b in doc["bugs"]:
            # Each knob has a row with its name and its description.
            self.assertIn("| `%s` | %s |" % (b["name"], b["description"]), text)


class Views(unittest.TestCase):
    SPECS = ("block", "net,transport=transitional", "entropy,transport=legacy")

    def test_every_view_command(self):
        for cmd in ("caps", "common", "features", "config", "status", "dump", "irqs", "vendor"):
            for addr in ("00:01.0", "00:02.0", "00:03.0"):
                with self.subTest(cmd=cmd, addr=addr):
                    p = run(*sim(*self.SPECS), "--json", cmd, addr, want=0)
                    doc = json.loads(p.stdout)
                    self.assertEqual(doc["address"], "0000:" + addr)

    def test_dump_schema(self):
        for addr in ("00:01.0", "00:02.0", "00:03.0"):
            doc = json.loads(run(*sim(*self.SPECS), "--json", "dump", addr, want=0).stdout)
            schema_validator("dump").validate(doc)
            # No Linux side, and the report says why.
            self.assertIsNone(doc["linux"])
            self.assertIn("Linux: none, the device is simulated (--simulate)", doc["notes"])

    def test_legacy_header(self):
        p = run(*sim("net,transport=legacy"), "dump", "00:01.0", want=0)
        self.assertIn("Legacy header:", p.stdout)
        self.assertIn("Transport:              legacy", p.stdout)
        doc = json.loads(run(*sim("net,transport=legacy"), "--json", "dump", "00:01.0",
                             want=0).stdout)
        self.assertEqual(doc["legacy_header"]["host_features"] & (1 << 5), 1 << 5)  # MAC

    def test_missing_device(self):
        p = run(*sim("block"), "caps", "00:02.0", want=NODEV)
        self.assertIn("no simulated device at 0000:00:02.0", p.stderr)


class Driving(unittest.TestCase):
    def test_selftest_block_json(self):
        p = run(*sim("block"), "--json", "selftest", "00:01.0", want=0)
        doc = json.loads(p.stdout)
        self.assertIs(doc["passed"], True)
        self.assertEqual(doc["data_length"], 4096)

    def test_selftest_every_type_and_transport(self):
        for t in SELFTEST_TYPES:
            for tr in ("modern", "transitional", "legacy"):
                with self.subTest(type=t, transport=tr):
                    p = run(*sim("%s,transport=%s" % (t, tr)), "--json", "selftest",
                            "00:01.0", want=0)
                    doc = json.loads(p.stdout)
                    self.assertIs(doc["passed"], True)
                    self.assertEqual(doc["interface"], "legacy" if tr == "legacy" else "modern")

    def test_selftest_mem(self):
        """The simulated host raises requested_size by two blocks at each
        DRIVER_OK; the device keeps its state from one self-test to the
        next in a script, and each finds the block unplugged again."""
        p = run(*sim("mem"), "--json", "selftest", "00:01.0", want=0)
        doc = json.loads(p.stdout)
        self.assertIs(doc["passed"], True)
        self.assertEqual(doc["block_size"], 2 << 20)
        self.assertEqual(doc["region_addr"], "0x0000000140000000")
        self.assertEqual(doc["config_after"]["requested_size"], 4 << 20)
        self.assertEqual(doc["block_addr"], "0x0000000140000000")
        checks = {c["check"]: c for c in doc["checks"]}
        self.assertEqual(checks["plugged_size after plug"]["got"], "0x200000")
        p = script(["mem"], "selftest\nselftest\n", "00:01.0", "--json", want=0)
        docs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        self.assertEqual([d["config_after"]["requested_size"] for d in docs],
                         [4 << 20, 8 << 20])

    def test_bench(self):
        p = run(*sim("block"), "--json", "bench", "00:01.0", "--duration", "50", want=0)
        doc = json.loads(p.stdout)
        self.assertTrue(all(r["ops"] > 0 for r in doc["results"]))
        self.assertEqual([r["workload"] for r in doc["results"]], ["read-4k-qd1", "read-4k-qd32"])

    def test_bench_one_workload(self):
        """--workload runs only the one named; another type's is refused
        before the device is touched (no step at all), naming the device's
        own."""
        p = run(*sim("block"), "--json", "bench", "00:01.0", "-d", "50", "-w", "read-4k-qd32",
                want=0)
        doc = json.loads(p.stdout)
        self.assertEqual([r["workload"] for r in doc["results"]], ["read-4k-qd32"])
        self.assertEqual([s["step"] for s in doc["steps"]].count("read-4k-qd1"), 0)
        p = run(*sim("block"), "--json", "bench", "00:01.0", "--workload", "entropy-64",
                want=USAGE)
        self.assertEqual(p.stderr.strip(), "virtioctl: workload entropy-64 is not one of this "
                         "block device's: read-4k-qd1, read-4k-qd32")
        self.assertNotIn("steps", json.loads(p.stdout))

    def test_state_lives_through_a_script(self):
        p = script(["entropy"], """
            status reset
            status ack
            status driver
            features negotiate
            status features-ok
            vring setup 0 8
            expect vring.size == 8
            status driver-ok
            post 0 w:64
            kick 0
            poll 0 --timeout 1000
            expect used.len == 64
            vring show 0
            status
            expect device_status == ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
            """, "00:01.0", want=0)
        self.assertIn("DRIVER_OK", p.stdout)

    def test_queue_options(self):
        p = run(*sim("net,queues=5,queue_size=64"), "--json", "common", "00:01.0", want=0)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["num_queues"], 5)
        self.assertEqual({q["size"] for q in doc["queues"]}, {64})

    def test_selftest_errors_name_the_option(self):
        """The self-tests name no option (tests/layering.py); the CLI adds
        the one that would fix or caused a usage error (issue 9)."""
        p = run(*sim("9p"), "selftest", "00:01.0", want=USAGE)
        self.assertEqual(p.stderr.strip(),
                         "virtioctl: 9p needs the path of a file to read (--path PATH)")
        p = run(*sim("net"), "selftest", "00:01.0", "--arp", "10.0.2", want=USAGE)
        self.assertEqual(p.stderr.strip(), "virtioctl: --arp: '10.0.2' is not an IPv4 address")
        doc = json.loads(run(*sim("net"), "--json", "selftest", "00:01.0", "--arp", "10.0.2",
                             want=USAGE).stdout)
        self.assertEqual([s["detail"] for s in doc["steps"] if not s["ok"]],
                         ["'10.0.2' is not an IPv4 address"])

    def test_dma_kind(self):
        p = run(*sim("entropy"), "--dma", "vfio", "selftest", "00:01.0", want=USAGE)
        self.assertIn("own DMA memory", p.stderr)
        run(*sim("entropy"), "--dma", "auto", "selftest", "00:01.0", want=0)


class Safety(unittest.TestCase):
    """A simulated device bound to a driver gets the live rules."""
    WRITES = [["status", "00:01.0", "reset"], ["status", "00:01.0", "ack"],
              ["features", "00:01.0", "negotiate"], ["selftest", "00:01.0"],
              ["bench", "00:01.0", "--duration", "10"], ["vring", "00:01.0", "setup", "0"]]

    def test_bound_refused(self):
        for cmd in self.WRITES:
            with self.subTest(cmd=cmd):
                p = run(*sim("entropy,driver=virtio_pci"), *cmd, want=PERM)
                self.assertIn("bound to kernel driver virtio_pci", p.stderr)
                # The remedy is no host command: this device is simulated.
                self.assertNotIn("/sys/bus/pci", p.stderr)

    def test_bound_reads_and_force(self):
        p = run(*sim("entropy,driver=virtio_pci"), "--json", "dump", "00:01.0", want=0)
        self.assertEqual(json.loads(p.stdout)["driver"], "virtio_pci")
        run(*sim("entropy,driver=virtio_pci"), "--force", "status", "00:01.0", "reset", want=0)
        run(*sim("entropy,driver=virtio_pci"), "--force", "selftest", "00:01.0", want=0)

    def test_vfio_pci_is_not_bound(self):
        run(*sim("entropy,driver=vfio-pci"), "selftest", "00:01.0", want=0)


class Knobs(unittest.TestCase):
    def test_reset_ignored(self):
        p = script(["block,bug=reset-ignored"], "status ack\nstatus reset\n", "00:01.0",
                   want=TIMEOUT)
        self.assertIn("reset not confirmed", p.stderr)
        run(*sim("block"), "status", "00:01.0", "reset", want=0)

    def test_used_len_overflow(self):
        p = run(*sim("entropy,bug=used-len-overflow"), "selftest", "00:01.0", want=DEVICE)
        self.assertIn("exceeds", p.stdout + p.stderr)

    def test_used_id_bogus(self):
        run(*sim("entropy,bug=used-id-bogus"), "selftest", "00:01.0", want=DEVICE)

    def test_no_isr_cap(self):
        doc = json.loads(run(*sim("block,bug=no-isr-cap"), "--json", "caps", "00:01.0",
                             want=0).stdout)
        self.assertNotIn("isr", [c["type"] for c in doc["capabilities"]])
        doc = json.loads(run(*sim("block"), "--json", "caps", "00:01.0", want=0).stdout)
        self.assertIn("isr", [c["type"] for c in doc["capabilities"]])

    def test_status_reserved_bits(self):
        p = script(["block,bug=status-reserved-bits"], "status ack\nstatus\n", "00:01.0",
                   "--json", want=0)
        last = json.loads(p.stdout.splitlines()[-1])
        self.assertEqual(last["device_status"], 0x21)

    def test_several_knobs(self):
        p = run(*sim("block,bug=queue-size-odd+no-isr-cap,bug=status-reserved-bits"),
                "--json", "common", "00:01.0", want=0)
        self.assertEqual(json.loads(p.stdout)["queues"][0]["size"], 255)


class Errors(unittest.TestCase):
    BAD = {
        "gpu": "gpu: not a simulated device type",
        "block,queues=x": "queues=x: not a queue count",
        "block,queue_size=100": "queue_size=100: not a queue size",
        "block,transport=pci": "transport=pci: not a transport",
        "block,bug=nope": "nope: not a bug knob",
        "block,speed=1": "speed: not a key",
        "block,": "a key=value is empty or has no key",
        "net,transport=legacy,bug=no-isr-cap": "needs the modern interface",
    }

    def test_bad_specs_are_usage_errors(self):
        for spec, msg in self.BAD.items():
            for cmd in (["list"], ["caps", "00:01.0"], []):
                with self.subTest(spec=spec, cmd=cmd):
                    p = run("--simulate", spec, *cmd, want=USAGE)
                    self.assertTrue(p.stderr.startswith("virtioctl: --simulate '%s': " % spec))
                    self.assertIn(msg, p.stderr)
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_with_dump_file(self):
        p = run("--simulate", "block", "-F", os.path.join(TOP, "tests", "fixtures",
                                                          "host-all.txt"), "list", want=USAGE)
        self.assertIn("-F and --simulate", p.stderr)

    def test_too_many(self):
        run(*sim(*["entropy"] * 31), "list", want=0)
        p = run(*sim(*["entropy"] * 32), "list", want=USAGE)
        self.assertIn("at most 31", p.stderr)

    def test_after_the_command(self):
        p = run("--json", "list", "--simulate", "block", want=0)
        self.assertEqual(len(json.loads(p.stdout)), 1)
        run("list", "--simulate", "block,queues=0", want=USAGE)
        p = run("list", "--simulate", "list", want=USAGE)
        self.assertIn("--simulate list comes alone", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
