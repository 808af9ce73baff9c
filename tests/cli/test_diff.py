#!/usr/bin/python3
"""`virtioctl diff A B` and `dump --all` on saved dumps and, read-only, this machine's
bound devices: exit 0 when equal, 1 naming every differing field by its
JSON path, 2 and up for errors; JSON against docs/schema/diff.schema.json."""

import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(TOP, "tests", "fixtures")
VIRTIOCTL = os.environ.get("VIRTIOCTL") or os.path.join(TOP, "build", "virtioctl")


def run(*args, check=0):
    p = subprocess.run([VIRTIOCTL, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if check is not None and p.returncode != check:
        raise AssertionError("virtioctl %s: exit %d, want %d\nstdout:%s\nstderr:%s" % (
            " ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p


def validator():
    return schema_validator("diff")


def bound_virtio_functions():
    base = "/sys/bus/pci/devices"
    out = []
    for addr in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        try:
            with open(os.path.join(base, addr, "vendor")) as f:
                if int(f.read(), 16) != 0x1AF4:
                    continue
        except OSError:
            continue
        if os.path.exists(os.path.join(base, addr, "driver")):
            out.append(addr)
    return out


class Diff(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="virtioctl-diff-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        fx = os.path.join(FIX, "guest-transitional-net.txt")
        self.doc = json.loads(run("--json", "-F", fx, "dump", "00:04.0").stdout)
        self.a = self.save("a.json", self.doc)

    def save(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def diff(self, *args, check):
        p = run("--json", "diff", *args, check=check)
        doc = json.loads(p.stdout)
        validator().validate(doc)
        return doc

    def test_itself_is_equal(self):
        doc = self.diff(self.a, self.a, check=0)
        self.assertEqual((doc["equal"], doc["differences"]), (True, []))
        self.assertIn("Equal: yes", run("diff", self.a, self.a).stdout)

    def test_edited_copy_names_the_fields(self):
        e = copy.deepcopy(self.doc)
        e["pci"]["revision"] += 1
        caps = e["capabilities"]
        caps[1]["length"] += 4
        e["transport"] = "modern"
        b = self.save("b.json", e)
        doc = self.diff(self.a, b, check=1)
        self.assertEqual(doc["equal"], False)
        got = {d["path"]: (d["a"], d["b"]) for d in doc["differences"]}
        off = caps[1]["offset"]
        self.assertEqual(got, {
            "pci.revision": (str(self.doc["pci"]["revision"]), str(e["pci"]["revision"])),
            "capabilities[offset=%d].length" % off: (str(caps[1]["length"] - 4), str(caps[1]["length"])),
            "transport": ('"transitional"', '"modern"'),
        })
        p = run("diff", self.a, b, check=1)
        self.assertIn("pci.revision", p.stdout)
        self.assertIn("differ in 3 fields", p.stderr)

    def test_rows_matched_by_key_and_fields_only_on_one_side(self):
        e = copy.deepcopy(self.doc)
        removed = e["pci_capabilities"].pop(0)
        del e["interface"]
        e["extra"] = {"x": 1}
        doc = self.diff(self.a, self.save("b.json", e), check=1)
        got = {d["path"]: (d["a"], d["b"]) for d in doc["differences"]}
        self.assertEqual(set(got), {"pci_capabilities[offset=%d]" % removed["offset"],
                                    "interface", "extra"})
        self.assertIsNone(got["extra"][0])
        self.assertEqual(json.loads(got["extra"][1]), {"x": 1})
        self.assertIsNone(got["interface"][1])
        # the rows after the removed one are not reported as shifted
        self.assertEqual(len(doc["differences"]), 3)

    def test_notes_and_ignore(self):
        e = copy.deepcopy(self.doc)
        e["notes"] = ["something else"]
        e["address"] = "0000:07:00.0"
        b = self.save("b.json", e)
        doc = self.diff(self.a, b, check=1)
        self.assertEqual([d["path"] for d in doc["differences"]], ["address"])
        self.diff("--ignore", "address", self.a, b, check=1)  # notes count now
        self.diff("--ignore", "address,notes", self.a, b, check=0)

    def test_errors(self):
        run("diff", self.a, os.path.join(self.dir, "missing.json"), check=3)
        bad = os.path.join(self.dir, "bad.json")
        with open(bad, "w") as f:
            f.write("{not json")
        p = run("diff", self.a, bad, check=9)
        self.assertIn("not JSON", p.stderr)
        with open(bad, "w") as f:
            f.write("[1, 2]")
        run("diff", self.a, bad, check=9)
        run("diff", self.a, check=2)

    def test_live_device_against_its_dump(self):
        devs = bound_virtio_functions()
        if not devs:
            self.skipTest("no driver-bound virtio function here")
        dev = devs[0]
        saved = self.save("live.json", json.loads(run("--json", "dump", dev).stdout))
        doc = self.diff(saved, dev, check=0)
        self.assertTrue(doc["equal"])
        if len(devs) > 1:
            doc = self.diff(dev, devs[1], check=1)
            self.assertIn("address", [d["path"] for d in doc["differences"]])




def schema_validator(name):
    """A validator with every schema of docs/schema in its store ($ref)."""
    store = {}
    d = os.path.join(TOP, "docs", "schema")
    for f in os.listdir(d):
        with open(os.path.join(d, f)) as fh:
            s = json.load(fh)
        store[s["$id"]] = s
    s = store["https://virtioctl.invalid/schema/%s.schema.json" % name]
    resolver = jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store)
    return jsonschema.Draft7Validator(s, resolver=resolver)


class DumpAll(unittest.TestCase):
    def test_fixture_every_function_as_dump_gives_it(self):
        fx = os.path.join(FIX, "guest-mixed.txt")
        doc = json.loads(run("--json", "-F", fx, "dump", "--all").stdout)
        schema_validator("dump-all").validate(doc)
        listed = [d["address"] for d in json.loads(run("--json", "-F", fx, "list").stdout)]
        self.assertEqual([d["address"] for d in doc["devices"]], listed)
        self.assertEqual(doc["skipped"], [])
        for d in doc["devices"]:
            one = json.loads(run("--json", "-F", fx, "dump", d["address"]).stdout)
            self.assertEqual(d, one)

    def test_host(self):
        doc = json.loads(run("--json", "dump", "--all").stdout)
        schema_validator("dump-all").validate(doc)
        got = sorted([d["address"] for d in doc["devices"]] + [s["address"] for s in doc["skipped"]])
        listed = sorted(d["address"] for d in json.loads(run("--json", "list").stdout))
        self.assertEqual(got, listed)

    def test_simulated(self):
        """--simulate: every simulated function, none skipped (a simulated
        vfio-pci binding opens no VFIO), and each as `dump` gives it."""
        sim = ["--simulate", "block", "--simulate", "net,driver=vfio-pci",
               "--simulate", "entropy,transport=transitional"]
        doc = json.loads(run("--json", *sim, "dump", "--all").stdout)
        schema_validator("dump-all").validate(doc)
        self.assertEqual([d["address"] for d in doc["devices"]],
                         ["0000:00:01.0", "0000:00:02.0", "0000:00:03.0"])
        self.assertEqual(doc["skipped"], [])
        self.assertEqual(doc["devices"][2],
                         json.loads(run("--json", *sim, "dump", "00:03.0").stdout))

    def test_usage(self):
        run("dump", "--all", "00:02.0", check=2)
        run("dump", check=2)

    def test_diff_of_two_all_documents(self):
        fx = os.path.join(FIX, "guest-mixed.txt")
        doc = json.loads(run("--json", "-F", fx, "dump", "--all").stdout)
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "a.json")
            with open(a, "w") as f:
                json.dump(doc, f)
            self.assertTrue(json.loads(run("--json", "diff", a, a).stdout)["equal"])
            addr = doc["devices"][1]["address"]
            doc["devices"][1]["pci"]["revision"] += 1
            del doc["devices"][0]
            b = os.path.join(d, "b.json")
            with open(b, "w") as f:
                json.dump(doc, f)
            p = run("--json", "diff", a, b, check=1)
            paths = [x["path"] for x in json.loads(p.stdout)["differences"]]
        self.assertEqual(len(paths), 2)
        self.assertIn("devices[address=%s].pci.revision" % addr, paths)


if __name__ == "__main__":
    unittest.main(verbosity=2)
