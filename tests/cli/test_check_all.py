#!/usr/bin/env python3
"""`virtioctl check --all` (issue 13): every virtio-pci function in one
document, each function's report as `check ADDR` gives it, the exit status
the worst of the functions', read-only by default, and with --active the
rules of writing commands per function (a bound one refused and left
untouched, --force not taken). On --simulate devices and -F fixtures; on
this machine read-only only."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import EXIT, fixture, run, schema_validator  # noqa: E402

# A correct block device, an entropy device without its ISR capability (a
# MUST check fails), a net device a (simulated) driver owns, a transitional
# console.
SIM = ["--simulate", "block", "--simulate", "entropy,bug=no-isr-cap",
       "--simulate", "net,driver=virtio-net", "--simulate", "console,transport=transitional"]
ADDRS = ["0000:00:0%d.0" % i for i in range(1, 5)]


def check_all(*args, want):
    p = run("--json", *args, want=want)
    doc = json.loads(p.stdout)
    schema_validator("check-all").validate(doc)
    return doc, p


class ReadOnly(unittest.TestCase):
    def test_every_function_as_check_gives_it(self):
        doc, p = check_all(*SIM, "check", "--all", want=EXIT["check"])
        self.assertEqual([d["address"] for d in doc["devices"]], ADDRS)
        self.assertEqual(doc["skipped"], [])
        self.assertEqual(doc["mode"], "read-only")
        self.assertEqual(doc["exit_status"], EXIT["check"])
        self.assertEqual(doc["counts"],
                         {"functions": 4, "passed": 3, "failed": 1, "skipped": 0})
        for d in doc["devices"]:
            want = EXIT["check"] if d["address"] == ADDRS[1] else EXIT["ok"]
            one = json.loads(run("--json", *SIM, "check", d["address"], want=want).stdout)
            self.assertEqual(d, one)
        self.assertEqual([d["verdict"] for d in doc["devices"]], ["pass", "fail", "pass", "pass"])
        self.assertIn("1 of 4 functions failed checks", p.stderr)

    def test_all_pass_exits_0(self):
        doc, _ = check_all("--simulate", "block", "--simulate", "net", "check", "--all",
                           want=EXIT["ok"])
        self.assertEqual(doc["exit_status"], 0)
        self.assertEqual(doc["counts"]["passed"], 2)

    def test_text_has_every_function(self):
        p = run(*SIM, "check", "--all", want=EXIT["check"])
        for a in ADDRS:
            self.assertIn(a, p.stdout)
        self.assertIn("cap.isr.present", p.stdout)
        self.assertIn("Exit status: 11", p.stdout)

    def test_only_and_strict_apply_to_every_function(self):
        doc, _ = check_all(*SIM, "check", "--all", "--only", "pci.*", want=EXIT["ok"])
        for d in doc["devices"]:
            self.assertTrue(all(a["area"] == "pci" for a in d["areas"]), d["address"])
            self.assertFalse(d["strict"])
        doc, _ = check_all(*SIM, "check", "--all", "--only", "pci.*", "--strict",
                           want=EXIT["ok"])
        self.assertTrue(doc["strict"] and all(d["strict"] for d in doc["devices"]))

    def test_bound_device_read_only_as_check_does(self):
        doc, _ = check_all(*SIM, "check", "--all", want=EXIT["check"])
        net = doc["devices"][2]
        self.assertEqual(net["driver"], "virtio-net")
        self.assertEqual(net["mode"], "read-only")
        skipped = {r["id"]: r["skip_kind"] for a in net["areas"] for r in a["results"]
                   if r["result"] == "skip"}
        self.assertEqual(skipped["regs.num_queues"], "unreachable")
        self.assertEqual(skipped["active.reset"], "needs_active")

    def test_dump_fixture(self):
        fx = fixture("guest-mixed.txt")
        listed = [d["address"] for d in json.loads(run("--json", "-F", fx, "list").stdout)]
        p = run("--json", "-F", fx, "check", "--all")
        doc = json.loads(p.stdout)
        schema_validator("check-all").validate(doc)
        self.assertEqual([d["address"] for d in doc["devices"]], listed)
        self.assertEqual(p.returncode, doc["exit_status"])
        failed = [d["address"] for d in doc["devices"] if d["verdict"] == "fail"]
        self.assertEqual(p.returncode, EXIT["check"] if failed else EXIT["ok"])

    def test_usage(self):
        run(*SIM, "check", "--all", "00:01.0", want=EXIT["usage"])
        run(*SIM, "check", "--all", "--list", want=EXIT["usage"])
        run(*SIM, "check", "--all", "--only", "nope", want=EXIT["usage"])
        p = run(*SIM, "check", want=EXIT["usage"])
        self.assertIn("--all", p.stderr)

    def test_host_read_only(self):
        """This machine's functions, read-only (no --active here, ever):
        every listed function is checked or skipped with a reason."""
        p = run("--json", "check", "--all")
        doc = json.loads(p.stdout)
        schema_validator("check-all").validate(doc)
        self.assertEqual(doc["mode"], "read-only")
        got = sorted([d["address"] for d in doc["devices"]] +
                     [s["address"] for s in doc["skipped"]])
        listed = sorted(d["address"] for d in json.loads(run("--json", "list").stdout))
        self.assertEqual(got, listed)
        self.assertEqual(p.returncode, doc["exit_status"])


class Active(unittest.TestCase):
    def test_bound_refused_others_driven(self):
        doc, p = check_all(*SIM, "check", "--all", "--active", want=EXIT["perm"])
        self.assertEqual(doc["mode"], "active")
        self.assertEqual([d["address"] for d in doc["devices"]],
                         [ADDRS[0], ADDRS[1], ADDRS[3]])
        self.assertTrue(all(d["mode"] == "active" for d in doc["devices"]))
        self.assertEqual(len(doc["skipped"]), 1)
        s = doc["skipped"][0]
        self.assertEqual((s["address"], s["exit_status"]), (ADDRS[2], EXIT["perm"]))
        self.assertIn("bound to kernel driver virtio-net", s["reason"])
        self.assertIn("refusing to write", s["reason"])
        # a refused function is worse than a failed check: the answer is incomplete
        self.assertEqual(doc["exit_status"], EXIT["perm"])
        self.assertIn(ADDRS[2], p.stderr)
        self.assertEqual(doc["counts"],
                         {"functions": 4, "passed": 2, "failed": 1, "skipped": 1})

    def test_bound_device_not_written(self):
        """ACKNOWLEDGE set on both devices first (--force on the bound one),
        then check --all --active: the unbound one is reset by its active
        checks, the bound one keeps its status: nothing was written to it."""
        script = ("set errexit off\nstatus 00:02.0 --force ack\nstatus 00:01.0 ack\n"
                  "check --all --active\nstatus 00:02.0 --select\nstatus 00:01.0\n")
        p = run("--json", "--simulate", "block", "--simulate", "net,driver=virtio-net",
                "-f", "-", input=script)
        recs = [json.loads(line) for line in p.stdout.splitlines()]
        status = [(r["address"], r["device_status"]) for r in recs if "device_status" in r]
        self.assertEqual(status, [(ADDRS[1], 1), (ADDRS[0], 1), (ADDRS[1], 1), (ADDRS[0], 0)])
        errs = [r["error"]["exit_status"] for r in recs if "error" in r]
        self.assertEqual(errs, [EXIT["perm"]])

    def test_force_refused(self):
        p = run(*SIM, "check", "--all", "--active", "--force", want=EXIT["usage"])
        self.assertIn("--force", p.stderr)
        # the same device named takes --force
        run("--simulate", "net,driver=virtio-net", "check", "00:01.0", "--active", "--force",
            want=EXIT["ok"])

    def test_dump_file_refused_per_function(self):
        fx = fixture("guest-mixed.txt")
        doc, _ = check_all("-F", fx, "check", "--all", "--active", want=EXIT["perm"])
        self.assertEqual(doc["devices"], [])
        self.assertTrue(all(s["exit_status"] == EXIT["perm"] for s in doc["skipped"]))

    def test_script_with_open_device(self):
        """In a script with a device open, --all names none: the open
        device does not stand in (dump --all too)."""
        script = "set errexit off\nopen 00:01.0\ncheck --all\ndump --all\n"
        p = run("--json", *SIM, "-f", "-", input=script)
        recs = [json.loads(line) for line in p.stdout.splitlines()]
        alls = [r for r in recs if "devices" in r]
        self.assertEqual([len(r["devices"]) for r in alls], [4, 4], p.stdout[:2000])
        self.assertEqual(alls[0]["exit_status"], EXIT["check"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
