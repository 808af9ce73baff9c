#!/usr/bin/python3
"""The JSON contract (issue 11, docs/json.md): every document any command
prints validates against its schema in docs/schema/, with the references
resolved from that directory only (no network), by Debian's
python3-jsonschema.

The commands come from the command table (`--json __commands`), not from
a list kept here: each command and each action of the table must be run
below, and a command that prints a document without a schema file fails.
Driving commands run on --simulate devices (split, packed and legacy
rings), in scripts whose JSON Lines hold one record per command: a
report, or for a failing one {"command", "error": {"message",
"exit_status", "where"}}; the commands that only change the session
(open, close, set, expect, quit) print none when they succeed."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vctl import EXIT, FIXTURES, command_table, run, schema_name, schema_path, schema_validator  # noqa: E402

_validators = {}


def validate(testcase, words, doc):
    """DOC, printed by the command line WORDS, against its schema; a
    missing schema file fails."""
    name = schema_name(words)
    testcase.assertTrue(os.path.exists(schema_path(name)),
                        "'%s' printed JSON but docs/schema/%s.schema.json does not exist"
                        % (" ".join(words), name))
    if name not in _validators:
        _validators[name] = schema_validator(name)
    _validators[name].validate(doc)
    if isinstance(doc, list):
        for d in doc:
            testcase.assertEqual(d["schema_version"], 1, words)
    else:
        testcase.assertEqual(doc["schema_version"], 1, words)


def session_only():
    return {c["name"] for c in command_table()["commands"] if c["session_only"]}


def covered_pairs(lines):
    """(command, action) for each script line: action is the action the
    line takes (a step word counts as the action 'step'), or None."""
    table = {c["name"]: c for c in command_table()["commands"]}
    pairs = set()
    for line in lines:
        words = line.split()
        c = table.get(words[0])
        if not c:
            continue
        action = None
        for a in c["actions"]:
            rest = words[1:]
            if a["name"] in rest or set(a["words"] or ()) & set(rest):
                action = a["name"]
        pairs.add((words[0], action))
    return pairs


# The scripts: (line, fails). DEVICE (00:01.0) is opened by -f FILE DEVICE;
# a second simulated device is at 00:02.0. Every line not session-only, and
# every failing line, yields one record.
VIEWS = [
    "list", "caps", "common", "features", "config", "status", "dump", "dump --all", "irqs",
    "vendor", "metrics", "watch --count 1", "check", "check --list", "help", "help caps",
    "version",
]


def driving(features, ring, status_steps=True):
    ring_opt = " --ring packed" if ring == "packed" else ""
    indirect = " --indirect" if ring == "packed" else ""
    return [
        "status reset", "status ack", "status next", "features negotiate",
        "features set " + features] + (["status features-ok"] if status_steps else []) + [
        "vring setup 0 8" + ring_opt, "expect vring.size == 8", "status driver-ok",
        "post 0 w:64", "post 0 w:16 w:16" + indirect, "vring show 0", "kick 0",
        "poll 0 --timeout 1000 --count 2", "vring show 0",
        "selftest" + ring_opt, "bench --duration 20" + ring_opt, "check --active",
    ]


SESSION = ["open 00:02.0", "close", "open 00:01.0", "set output pretty", "set output json",
           "set errexit off"]
# after "set errexit off": each yields an error record
FAILING = ["caps 00:09.0", "frobnicate", "shell", "expect passed == false",
           "status driver-ok", "poll 0 --count 0", "poll 0 --timeout 10"]
# a report, then an error record with the verdict's exit status (diff(1)'s 1)
VERDICT = ["diff 00:01.0 00:02.0"]


class EveryCommand(unittest.TestCase):
    SPLIT = (("entropy", "block"),
             VIEWS + driving("VERSION_1", "split") + SESSION + VERDICT + FAILING)
    PACKED = (("entropy,packed=on", "block,packed=on"),
              driving("VERSION_1 RING_PACKED INDIRECT_DESC", "packed") + ["quit", "version"])
    LEGACY = (("entropy,transport=legacy", "net,transport=transitional"),
              VIEWS + driving("0x0", "legacy", status_steps=False) + ["exit", "version"])

    def records(self, specs, lines, want):
        """Runs LINES as a --json script on simulated devices SPECS; checks
        each record against the line it belongs to. The lines of FAILING
        and VERDICT count as such only after "set errexit off"."""
        failing_from = lines.index("set errexit off") if "set errexit off" in lines else len(lines)
        with tempfile.NamedTemporaryFile("w", suffix=".vctl", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        self.addCleanup(os.unlink, f.name)
        sim = [a for s in specs for a in ("--simulate", s)]
        p = run(*sim, "--json", "-f", f.name, "00:01.0", timeout=300)
        self.assertEqual(p.returncode, want, p.stderr)
        out = p.stdout.splitlines()
        quiet = session_only()
        i = 0
        for n, line in enumerate(lines, 1):
            words = line.split()
            if words[0] in ("quit", "exit"):
                break
            fails = line in FAILING and n > failing_from
            if words[0] in quiet and not fails:
                continue
            if words[0] == "watch":  # one record per event (docs/json.md)
                self.assertLess(i, len(out))
                while i < len(out) and '"event":' in out[i] and '"time":' in out[i]:
                    validate(self, words, json.loads(out[i]))
                    i += 1
                continue
            if line in VERDICT and n > failing_from:
                self.assertLess(i + 1, len(out), "no records for line %d '%s'" % (n, line))
                # one record: the verdict, carrying the error
                doc = json.loads(out[i])
                validate(self, words, doc)
                self.assertEqual((doc["command"], doc["error"]["exit_status"]), (words[0], 1))
                self.assertTrue(doc["error"]["where"].endswith(":%d" % n), doc)
                i += 1
                continue
            self.assertLess(i, len(out), "no record for line %d '%s'\n%s" % (n, line, p.stderr))
            doc = json.loads(out[i])
            i += 1
            with self.subTest(line=line):
                if fails and set(doc) != {"schema_version", "command", "error"}:
                    # a failing command that made a report (a refused step,
                    # a failed self-test's steps) is one record: the report
                    # with the error in it
                    validate(self, words, doc)
                if fails:
                    validate(self, ["error"], {k: doc[k] for k in ("schema_version", "command", "error")})
                    self.assertEqual(doc["command"], words[0])
                    self.assertTrue(doc["error"]["where"].endswith(":%d" % n), doc)
                    self.assertNotEqual(doc["error"]["exit_status"], 0)
                else:
                    self.assertNotIn("error", doc if isinstance(doc, dict) else {}, line)
                    validate(self, words, doc)
        self.assertEqual(i, len(out), "records left over: %s" % out[i:])
        return out

    def test_split(self):
        # with errexit off, a script in which a line failed exits 1
        self.records(*self.SPLIT, want=EXIT["fail"])

    def test_packed(self):
        out = self.records(*self.PACKED, want=0)
        vring = [json.loads(l)["vring"] for l in out if '"vring"' in l]
        self.assertEqual({v["layout"] for v in vring}, {"packed"})
        self.assertTrue(any(d["in_indirect_table"] for v in vring for d in v["descriptors"]))

    def test_legacy(self):
        out = self.records(*self.LEGACY, want=0)
        vring = [json.loads(l)["vring"] for l in out if l.count('"vring":') == 1]
        self.assertEqual({v["layout"] for v in vring}, {"legacy"})

    def test_every_command_and_action_is_run(self):
        """The scripts above run every command and action of the table
        (a new command without a run here fails)."""
        lines = [l for _, ls in (self.SPLIT, self.PACKED, self.LEGACY) for l in ls]
        lines += ["diff a b"]  # test_one_shot
        covered = covered_pairs(lines)
        for c in command_table()["commands"]:
            want = [(c["name"], a["name"]) for a in c["actions"]]
            if c["writes"] is not None:  # runs without an action too
                want.append((c["name"], None))
            for pair in want:
                self.assertIn(pair, covered, "%s is not run by this test" % (pair,))

    def test_one_shot(self):
        """The same documents from one-shot runs, --pretty included, and
        the self-test of every simulated type that has one."""
        for line in VIEWS + VERDICT + ["selftest", "bench --duration 20"]:
            words = line.split()
            for fmt in ("--json", "--pretty"):
                p = run("--simulate", "block", "--simulate", "entropy", fmt, *words[:1],
                        *(["00:01.0"] if words[0] not in ("list", "help", "version", "metrics",
                                                          "diff", "watch")
                          and "--all" not in words and "--list" not in words else []),
                        *words[1:], want=EXIT["fail"] if words[0] == "diff" else 0)
                with self.subTest(line=line, fmt=fmt):
                    if words[0] == "watch" and fmt == "--json":
                        for l in p.stdout.splitlines():
                            validate(self, words, json.loads(l))
                    elif words[0] != "watch":
                        validate(self, words, json.loads(p.stdout))
        # every command with an --all flag, from the table (dump --all,
        # and whatever else gains one): its document has a schema
        for c in command_table()["commands"]:
            if any(o["name"] == "all" and o["type"] == "flag" for o in c["options"]):
                p = run("--simulate", "block", "--simulate", "entropy", "--json", c["name"],
                        "--all")
                self.assertIn(p.returncode, (0, EXIT["check"]), (c["name"], p.stderr))
                with self.subTest(line=c["name"] + " --all"):
                    validate(self, [c["name"], "--all"], json.loads(p.stdout))
        sim = json.loads(run("--json", "--simulate", "list", want=0).stdout)
        validate(self, ["simulate-list"], sim)
        for t in sim["types"]:
            if not t["selftest"]:
                continue
            for spec, ring in ((t["name"], []), (t["name"] + ",packed=on", ["--ring", "packed"]),
                               (t["name"] + ",transport=legacy", [])):
                if run("--simulate", spec, "list").returncode == EXIT["usage"]:
                    continue  # a variant this type does not have (modern-only)
                with self.subTest(spec=spec):
                    p = run("--simulate", spec, "--json", "selftest", "00:01.0", *ring, want=0)
                    validate(self, ["selftest"], json.loads(p.stdout))

    def test_one_format_per_kind_of_value(self):
        """PCI IDs as "vvvv:dddd" next to the numeric ones, locations as
        integers (common_cfg and the legacy header as caps and irqs give
        theirs), list's resources as dump's."""
        sim = ["--simulate", "block", "--simulate", "net,transport=transitional"]
        listed = json.loads(run(*sim, "--json", "list", want=0).stdout)
        for d in listed:
            a = d["address"]
            caps = json.loads(run(*sim, "--json", "caps", a, want=0).stdout)
            common = json.loads(run(*sim, "--json", "common", a, want=0).stdout)
            irqs = json.loads(run(*sim, "--json", "irqs", a, want=0).stdout)
            dump = json.loads(run(*sim, "--json", "dump", a, want=0).stdout)
            for doc in (caps, common, irqs, dump):
                self.assertEqual(doc["pci_id"], d["pci_id"])
                self.assertEqual(d["pci_id"], "%04x:%04x" % (doc["pci"]["vendor_id"],
                                                            doc["pci"]["device_id"]))
            cap = [c for c in caps["capabilities"] if c["cfg_type"] == 1][0]
            self.assertEqual(common["common_cfg"]["location"],
                             {k: cap[k] for k in ("bar", "bar_offset", "length")})
            if "legacy_header" in common:
                loc = common["legacy_header"]["location"]
                self.assertEqual((loc["bar"], loc["bar_offset"], loc["length"]),
                                 (0, 0, common["legacy_header"]["device_config_offset"]))
            for k in ("table_bar", "table_offset", "pba_bar", "pba_offset"):
                self.assertIsInstance(irqs["msix"][k], int)
                self.assertEqual(irqs["msix"][k], caps["msix"][k])
            self.assertEqual(d["resources"], [])  # simulated: no Linux driver made any
            self.assertIsNone(dump["linux"])

    def test_views_of_fixtures(self):
        """Dump files: every view of every function of a few dumps."""
        for f in ("host-all.txt", "guest-mixed.txt", "host-00-04.0-x.txt",
                  "guest-transitional-net-x.txt", "pcie-virtio-blk-4k.txt"):
            path = os.path.join(FIXTURES, f)
            listed = json.loads(run("--json", "-F", path, "list", want=0).stdout)
            validate(self, ["list"], listed)
            for d in listed:
                for cmd in ("caps", "common", "features", "config", "status", "dump", "irqs",
                            "vendor", "check"):
                    p = run("--json", "-F", path, cmd, d["address"])
                    if p.returncode == EXIT["unavailable"]:
                        self.assertEqual(p.stdout, "")
                        continue
                    self.assertIn(p.returncode, (0, EXIT["check"]), (f, cmd, p.stderr))
                    with self.subTest(f=f, cmd=cmd, address=d["address"]):
                        validate(self, [cmd], json.loads(p.stdout))

    def test_schema_refs_resolve_offline(self):
        """Every $ref of every schema resolves from docs/schema alone, and
        every $id is under virtioctl.invalid (nothing to fetch)."""
        import jsonschema
        d = os.path.dirname(schema_path("x"))
        store = {}
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f)) as fh:
                s = json.load(fh)
            self.assertTrue(s["$id"].startswith("https://virtioctl.invalid/schema/"), f)
            self.assertEqual(s["$id"].rsplit("/", 1)[1], f)
            jsonschema.Draft7Validator.check_schema(s)
            store[s["$id"]] = s

        def refs(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "$ref":
                        yield v
                    else:
                        yield from refs(v)
            elif isinstance(node, list):
                for v in node:
                    yield from refs(v)

        for sid, s in store.items():
            resolver = jsonschema.RefResolver(base_uri=sid, referrer=s, store=store)
            for r in refs(s):
                with self.subTest(schema=sid, ref=r):
                    resolver.resolve(r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
