#!/usr/bin/python3
"""`virtioctl metrics` end to end, read-only on this machine's devices:

- `promtool check metrics` (Debian `prometheus`) finds nothing in the
  output for this host and for the -F fixtures;
- the JSON model validates against docs/schema/metrics.schema.json and
  the text is its exact rendering;
- the values agree with sysfs (status, negotiated features) and with
  /proc/interrupts (a doctored copy through VIRTIOCTL_PROC);
- --textfile replaces the file atomically and leaves it readable;
- node_exporter (Debian `prometheus-node-exporter`) serves the file through
  its textfile collector on localhost;
- the example alert rules pass `promtool check rules` and their unit tests.

No device is written: `metrics` opens functions for reading only."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest
import urllib.request

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(TOP, "tests", "fixtures")
RULES = os.path.join(TOP, "contrib", "prometheus")
VIRTIOCTL = os.environ.get("VIRTIOCTL") or os.path.join(TOP, "build", "virtioctl")
PROMTOOL = shutil.which("promtool")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
FIXTURES = ["host-all.txt", "guest-mixed.txt", "guest-legacy-blk.txt",
            "guest-transitional-net.txt", "pcie-virtio-blk-4k.txt", "host-mixed-v.txt"]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def run(*args, check=0, env=None):
    p = subprocess.run([VIRTIOCTL, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=env)
    if check is not None and p.returncode != check:
        raise AssertionError("virtioctl %s: exit %d, want %d\nstdout:%s\nstderr:%s" % (
            " ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p


def parse(text):
    """{(name, frozenset(labels)): value} of an exposition; fails on a
    repeated series or a sample of a family without HELP and TYPE."""
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        assert m.group(1) in typed, "no TYPE before %r" % line
        labels = frozenset((k, json.loads('"%s"' % v)) for k, v in LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in out, "repeated series %r" % line
        out[key] = float(m.group(3))
    return out


def series(parsed, metric, **labels):
    """Values of the series of `metric` whose labels include `labels`."""
    want = set(labels.items())
    return [v for (n, ls), v in parsed.items() if n == metric and want <= set(ls)]


def promtool_check(test, text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    test.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))


def schema():
    """metrics.schema.json, its references resolved from docs/schema."""
    store = {}
    d = os.path.join(TOP, "docs", "schema")
    for f in os.listdir(d):
        s = json.loads(read(os.path.join(d, f)))
        store[s["$id"]] = s
    s = store["https://virtioctl.invalid/schema/metrics.schema.json"]
    resolver = jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store)
    return jsonschema.Draft7Validator(s, resolver=resolver)


def virtio_sysfs():
    """{address: virtioN} of the bound virtio-pci functions here."""
    found = {}
    base = "/sys/bus/pci/devices"
    for addr in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        d = os.path.join(base, addr)
        try:
            if int(read(os.path.join(d, "vendor")), 16) != 0x1AF4:
                continue
        except OSError:
            continue
        kids = [k for k in os.listdir(d) if re.fullmatch(r"virtio\d+", k)]
        found[addr] = kids[0] if kids else None
    return found


@unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus)")
class Exposition(unittest.TestCase):
    def test_host(self):
        text = run("metrics").stdout
        promtool_check(self, text)
        m = parse(text)
        devs = virtio_sysfs()
        self.assertEqual(sorted(dict(ls)["address"] for (n, ls) in m if n == "virtioctl_device_info"),
                         sorted(devs))
        self.assertEqual(len(series(m, "virtioctl_collection_duration_seconds")), 1)
        for addr, vdev in devs.items():
            if not vdev:
                continue
            base = "/sys/bus/virtio/devices/%s/" % vdev
            status = int(read(base + "status"), 16)
            self.assertEqual(series(m, "virtioctl_device_status", address=addr), [status])
            self.assertEqual(series(m, "virtioctl_device_status_bit", address=addr,
                                    bit="DRIVER_OK"), [status >> 2 & 1])
            bits = read(base + "features").strip()
            for i, c in enumerate(bits[:64]):
                got = series(m, "virtioctl_feature_negotiated", address=addr, bit=str(i))
                # every set bit has a series; clear ones where the bit has a name
                if c == "1" or got:
                    self.assertEqual(got, [int(c)], "%s bit %d" % (addr, i))
            info = series(m, "virtioctl_device_info", address=addr, virtio_device=vdev,
                          pci_driver="virtio-pci")
            self.assertEqual(info, [1])

    def test_unreadable_is_an_error_not_zero(self):
        m = parse(run("-F", os.path.join(FIX, "host-all.txt"), "metrics").stdout)
        for addr in ("0000:00:0%d.0" % i for i in range(1, 6)):
            for item in ("status", "negotiated_features", "offered_features", "queues"):
                self.assertEqual(series(m, "virtioctl_collection_errors", address=addr,
                                        item=item, reason="dump_file"), [1], (addr, item))
            self.assertEqual(series(m, "virtioctl_device_status", address=addr), [])
            self.assertEqual(series(m, "virtioctl_feature_offered", address=addr), [])
            self.assertEqual(series(m, "virtioctl_queues", address=addr), [])

    def test_fixtures_and_json_model(self):
        v = schema()
        for fx in FIXTURES:
            with self.subTest(fixture=fx):
                f = os.path.join(FIX, fx)
                text = run("-F", f, "metrics").stdout
                promtool_check(self, text)
                doc = json.loads(run("--json", "-F", f, "metrics").stdout)
                v.validate(doc)
                want = {}
                for fam in doc["families"]:
                    for s in fam["samples"]:
                        want[(fam["name"], frozenset(s["labels"].items()))] = float(s["value"])
                got = parse(text)
                # the duration differs between the two runs; all else is equal
                dur = [k for k in got if k[0] == "virtioctl_collection_duration_seconds"]
                self.assertEqual(len(dur), 1)
                for k in dur:
                    got.pop(k)
                    want.pop(k)
                self.assertEqual(got, want)

    def test_interrupt_counters_from_proc(self):
        """A copy of /proc/interrupts with one count changed: the counter of
        that vector follows it, and its queue label is the name after
        virtioN-."""
        m = parse(run("metrics").stdout)
        vec = series(m, "virtioctl_interrupts_total")
        if not vec:
            self.skipTest("no virtio MSI-X vectors here")
        (name, labels), _ = next((k, v) for k, v in m.items() if k[0] == "virtioctl_interrupts_total")
        labels = dict(labels)
        with tempfile.TemporaryDirectory() as d:
            lines = read("/proc/interrupts").splitlines(True)
            out = []
            for line in lines:
                f = line.split()
                if f and f[0] == labels["irq"] + ":":
                    ncpu = len(lines[0].split())
                    parts = re.match(r"(\s*\S+)((?:\s+\d+){%d})(.*)" % ncpu, line, re.S)
                    counts = " ".join("%10d" % (1000 + i) for i in range(ncpu))
                    line = parts.group(1) + " " + counts + parts.group(3)
                    want = sum(1000 + i for i in range(ncpu))
                    self.assertIn(labels["queue"], parts.group(3))
                out.append(line)
            write(os.path.join(d, "interrupts"), "".join(out))
            env = dict(os.environ, VIRTIOCTL_PROC=d)
            m2 = parse(run("metrics", labels["address"], env=env).stdout)
        self.assertEqual(series(m2, "virtioctl_interrupts_total", irq=labels["irq"],
                                address=labels["address"]), [want])

    def test_devices_given(self):
        f = os.path.join(FIX, "host-all.txt")
        m = parse(run("-F", f, "metrics", "00:03.0", "0000:00:01.0", "00:03.0").stdout)
        self.assertEqual([dict(ls)["address"] for (n, ls) in m if n == "virtioctl_device_info"],
                         ["0000:00:03.0", "0000:00:01.0"])
        p = run("-F", f, "metrics", "00:01.0", "00:09.0", check=3)
        self.assertEqual(p.stdout, "")
        self.assertIn("00:09.0", p.stderr)
        run("-F", f, "metrics", "nonsense", check=2)


@unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus)")
class Simulated(unittest.TestCase):
    SPECS = ["--simulate", "block", "--simulate", "net,transport=legacy",
             "--simulate", "entropy,driver=virtio-pci"]

    def test_simulated_devices(self):
        text = run(*self.SPECS, "metrics").stdout
        promtool_check(self, text)
        m = parse(text)
        info = {dict(ls)["address"]: dict(ls) for (n, ls) in m if n == "virtioctl_device_info"}
        self.assertEqual(sorted(info), ["0000:00:01.0", "0000:00:02.0", "0000:00:03.0"])
        self.assertEqual([info[a]["transport"] for a in sorted(info)],
                         ["modern", "legacy", "modern"])
        self.assertEqual(info["0000:00:03.0"]["pci_driver"], "virtio-pci")
        # nothing of this machine: no virtio bus device, no /proc/interrupts
        self.assertEqual({i["virtio_device"] for i in info.values()}, {""})
        self.assertEqual(series(m, "virtioctl_interrupts_total"), [])
        # the registers where no selector is needed: status, queues (modern)
        self.assertEqual(series(m, "virtioctl_device_status", address="0000:00:01.0"), [0])
        self.assertEqual(series(m, "virtioctl_queues", address="0000:00:01.0"), [1])
        # the legacy header has the feature words without a selector
        self.assertEqual(series(m, "virtioctl_feature_offered", address="0000:00:02.0",
                                name="VIRTIO_NET_F_MAC"), [1])
        self.assertEqual(series(m, "virtioctl_feature_offered", address="0000:00:01.0"), [])
        self.assertEqual(series(m, "virtioctl_collection_errors", address="0000:00:01.0",
                                item="offered_features", reason="selector_write_needed"), [1])
        # bound: its BARs belong to the driver, and metrics writes no window
        self.assertEqual(series(m, "virtioctl_collection_errors", address="0000:00:03.0",
                                item="status", reason="registers_unreachable"), [1])
        self.assertEqual(series(m, "virtioctl_device_status", address="0000:00:03.0"), [])

    def test_check_failures(self):
        """The read-only checks of `check`, by level: a device without its
        ISR capability fails one MUST check; the correct ones none (0, not
        left out); a bound one as `check` judges it read-only. The same
        counts as `check --all`."""
        specs = self.SPECS + ["--simulate", "entropy,bug=no-isr-cap"]
        text = run(*specs, "metrics").stdout
        promtool_check(self, text)
        m = parse(text)
        doc = json.loads(run("--json", *specs, "check", "--all", check=11).stdout)
        self.assertEqual(len(doc["devices"]), 4)
        for d in doc["devices"]:
            for level in ("must", "should"):
                self.assertEqual(series(m, "virtioctl_check_failures", address=d["address"],
                                        level=level),
                                 [d["counts"][level + "_failed"]], (d["address"], level))
        self.assertEqual(series(m, "virtioctl_check_failures", address="0000:00:04.0",
                                level="must"), [1])
        self.assertEqual(series(m, "virtioctl_check_failures", address="0000:00:01.0",
                                level="must"), [0])

    def test_state_a_script_gave_the_device(self):
        """In a script the simulated device keeps its state: metrics sees the
        status the script set (the writes are the script's, not metrics')."""
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, "s.vctl")
            write(script, "status 00:01.0 ack\nstatus 00:01.0 driver\nmetrics 00:01.0\n")
            p = run("--simulate", "block", "-f", script)
        m = parse(p.stdout[p.stdout.index("# HELP"):])
        self.assertEqual(series(m, "virtioctl_device_status", address="0000:00:01.0"), [3])
        self.assertEqual(series(m, "virtioctl_device_status_bit", address="0000:00:01.0",
                                bit="DRIVER"), [1])


class Textfile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="virtioctl-textfile-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_written_whole_and_readable(self):
        path = os.path.join(self.dir, "virtioctl.prom")
        write(path, "old\n")
        p = run("-F", os.path.join(FIX, "host-all.txt"), "metrics", "--textfile", path)
        self.assertEqual(p.stdout, "")
        self.assertEqual(os.listdir(self.dir), ["virtioctl.prom"])
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        text = read(path)
        self.assertIn('virtioctl_device_info{address="0000:00:02.0"', text)
        if PROMTOOL:
            promtool_check(self, text)

    def test_failure_keeps_the_old_file(self):
        path = os.path.join(self.dir, "virtioctl.prom")
        write(path, "old\n")
        # a device that is not there: nothing is written
        run("-F", os.path.join(FIX, "host-all.txt"), "metrics", "--textfile", path, "00:09.0",
            check=3)
        self.assertEqual(read(path), "old\n")
        p = run("metrics", "--textfile", os.path.join(self.dir, "no", "such", "x.prom"), check=1)
        self.assertIn("temporary file", p.stderr)
        self.assertEqual(os.listdir(self.dir), ["virtioctl.prom"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(NODE_EXPORTER, "node_exporter not installed (prometheus-node-exporter)")
class NodeExporter(unittest.TestCase):
    def start(self, textdir):
        """node_exporter with only the textfile collector, on a free port of
        127.0.0.1; killed when the test ends, however it ends."""
        for _ in range(5):
            port = free_port()
            p = subprocess.Popen([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port,
                                  "--collector.disable-defaults", "--collector.textfile",
                                  "--collector.textfile.directory=" + textdir],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 start_new_session=True)
            self.addCleanup(self.stop, p)
            for _ in range(100):
                if p.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        return port
                except OSError:
                    time.sleep(0.05)
        self.fail("node_exporter did not start: %s" % p.stderr.read().decode(errors="replace"))

    @staticmethod
    def stop(p):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
        p.stderr.close()

    def test_scraped_over_http(self):
        with tempfile.TemporaryDirectory() as d:
            run("metrics", "--textfile", os.path.join(d, "virtioctl.prom"))
            port = self.start(d)
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
                body = r.read().decode()
        self.assertRegex(body, r'(?m)^node_textfile_scrape_error 0$')
        got = [l for l in body.splitlines() if l.startswith("virtioctl_device_info{")]
        self.assertEqual(len(got), len(virtio_sysfs()), body[:2000])
        self.assertIn("# TYPE virtioctl_interrupts_total counter", body)


@unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus)")
class Rules(unittest.TestCase):
    def test_check_rules(self):
        p = subprocess.run([PROMTOOL, "check", "rules", "virtioctl.rules.yml"], cwd=RULES,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS: 5 rules found", p.stdout)

    def test_alerts_fire_when_they_should(self):
        p = subprocess.run([PROMTOOL, "test", "rules", "virtioctl.rules.test.yml"], cwd=RULES,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
