#!/usr/bin/python3
"""`virtioctl watch`, read-only: on -F fixtures a first snapshot and then
nothing (a dump does not change); on this machine's bound devices with a
copy of /proc/interrupts (VIRTIOCTL_PROC) that the test edits between
polls, exactly one "changed" event for the edited vector; Ctrl-C ends it
with status 0; every JSON line validates against watch.schema.json."""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(TOP, "tests", "fixtures")
VIRTIOCTL = os.environ.get("VIRTIOCTL") or os.path.join(TOP, "build", "virtioctl")


def run(*args, check=0, env=None):
    p = subprocess.run([VIRTIOCTL, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=env)
    if check is not None and p.returncode != check:
        raise AssertionError("virtioctl %s: exit %d, want %d\nstdout:%s\nstderr:%s" % (
            " ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p


def validator():
    store = {}
    d = os.path.join(TOP, "docs", "schema")
    for f in os.listdir(d):
        with open(os.path.join(d, f)) as fh:
            s = json.load(fh)
        store[s["$id"]] = s
    s = store["https://virtioctl.invalid/schema/watch.schema.json"]
    resolver = jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store)
    return jsonschema.Draft7Validator(s, resolver=resolver)


class Watch(unittest.TestCase):
    def test_dump_file_snapshot_then_nothing(self):
        fx = os.path.join(FIX, "guest-mixed.txt")
        p = run("--json", "-F", fx, "watch", "--count", "3", "--interval", "10")
        events = [json.loads(l) for l in p.stdout.splitlines()]
        v = validator()
        for e in events:
            v.validate(e)
        self.assertTrue(events)
        self.assertEqual({e["event"] for e in events}, {"snapshot"})
        self.assertEqual(len({e["time"] for e in events}), 1)
        listed = [d["address"] for d in json.loads(run("--json", "-F", fx, "list").stdout)]
        self.assertEqual(sorted({e["address"] for e in events}), listed)
        drivers = [e for e in events if e["field"] == "pci_driver"]
        self.assertEqual(len(drivers), len(listed))
        # text: one table, for the first poll only
        text = run("-F", fx, "watch", "-n", "2", "--interval", "10").stdout
        self.assertEqual(text.count(" time "), 1)

    def test_simulated_nothing_of_the_host(self):
        p = run("--json", "--simulate", "block", "--simulate", "net,transport=legacy", "watch",
                "-n", "2", "--interval", "10")
        events = [json.loads(l) for l in p.stdout.splitlines()]
        v = validator()
        for e in events:
            v.validate(e)
        self.assertEqual({e["event"] for e in events}, {"snapshot"})
        got = {(e["address"], e["field"]): e["new"] for e in events}
        self.assertEqual(got[("0000:00:01.0", "virtio_device")], "")
        self.assertEqual(got[("0000:00:01.0", "status")], 0)
        self.assertIn(("0000:00:02.0", "offered_features"), got)  # legacy: no selector
        self.assertNotIn(("0000:00:01.0", "offered_features"), got)
        self.assertFalse([k for k in got if k[1].startswith("interrupts.")])

    def test_usage(self):
        run("watch", "--interval", "0", check=2)
        run("watch", "--count", "x", check=2)
        run("watch", "nonsense", check=2)
        run("-F", os.path.join(FIX, "guest-mixed.txt"), "watch", "-n", "1", "00:1f.0", check=3)

    def test_interrupt_count_change_is_one_event(self):
        with open("/proc/interrupts") as f:
            procs = f.read().splitlines(True)
        snap = [json.loads(l) for l in run("--json", "watch", "-n", "1").stdout.splitlines()]
        irq = [e for e in snap if e["field"].startswith("interrupts.")]
        if not irq:
            self.skipTest("no virtio MSI-X vectors here")
        target = irq[-1]
        queue = target["field"][len("interrupts."):]
        vdev = [e["new"] for e in snap if e["address"] == target["address"]
                and e["field"] == "virtio_device"][0]
        d = tempfile.mkdtemp(prefix="virtioctl-watch-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "interrupts")

        def write(bump):
            out = []
            for line in procs:
                m = re.match(r"(\s*\d+:)((?:\s+\d+)+)(.*)", line, re.S)
                if m:
                    counts = [int(c) for c in m.group(2).split()]
                    if m.group(3).rstrip().endswith(" %s-%s" % (vdev, queue)):
                        counts[0] = 1000 + bump
                    line = m.group(1) + "".join(" %10d" % c for c in counts) + m.group(3)
                out.append(line)
            with open(path + ".new", "w") as f:
                f.write("".join(out))
            os.rename(path + ".new", path)

        write(0)
        env = dict(os.environ, VIRTIOCTL_PROC=d)
        p = subprocess.Popen([VIRTIOCTL, "--json", "watch", "--interval", "100", "--count", "50",
                              target["address"]], stdout=subprocess.PIPE, text=True, env=env,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and os.killpg(p.pid, signal.SIGKILL))
        self.addCleanup(p.stdout.close)
        lines = [p.stdout.readline()]
        start = json.loads(lines[0])
        write(5)
        changed = None
        deadline = time.time() + 20
        while changed is None and time.time() < deadline:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if not r:
                continue
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            e = json.loads(line)
            if e["event"] == "changed":
                changed = e
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0)
        events = [json.loads(l) for l in lines + rest.splitlines()]
        v = validator()
        for e in events:
            v.validate(e)
        self.assertEqual(start["event"], "snapshot")
        self.assertIsNotNone(changed, "no change seen")
        self.assertEqual((changed["address"], changed["field"]), (target["address"], target["field"]))
        self.assertEqual(changed["new"] - changed["old"], 5)
        self.assertEqual([e for e in events if e["event"] == "changed"], [changed])

    def test_interrupts_rise_while_the_disk_is_read(self):
        """Issue 13's check on this machine: while the kernel reads the
        virtio disk the root file system is on (a file read with O_DIRECT,
        so it comes from the disk; virtioctl only watches), watch reports
        the request queue's interrupt count rising."""
        lst = json.loads(run("--json", "list").stdout)
        blk = [d for d in lst if d["virtio_device_type"] == "block" and d["driver"]
               and d["resources"]]
        disks = [r["name"] for r in blk[0]["resources"] if r["kind"] == "block"] if blk else []
        disk = "/dev/" + disks[0] if disks else None
        with open("/proc/mounts") as f:
            mounts = [l.split() for l in f]
        mnt = [m[1] for m in mounts if m[0] == disk and m[1] in ("/", "/var", "/var/tmp", "/tmp")]
        if not mnt:
            self.skipTest("no file system on a driver-bound virtio disk here")
        d = tempfile.mkdtemp(prefix="virtioctl-watch-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "data")
        with open(path, "wb") as f:
            f.write(os.urandom(1 << 20))
            f.flush()
            os.fsync(f.fileno())
        p = subprocess.Popen([VIRTIOCTL, "--json", "watch", "--interval", "200", "--count", "15",
                              blk[0]["address"]], stdout=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and os.killpg(p.pid, signal.SIGKILL))
        first = p.stdout.readline()  # the snapshot is out: now read the disk
        dd = subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=4096", "iflag=direct"],
                            capture_output=True, timeout=60)
        self.assertEqual(dd.returncode, 0, dd.stderr)
        out, _ = p.communicate(timeout=30)
        p.stdout.close()
        events = [json.loads(l) for l in [first] + out.splitlines()]
        rises = [e for e in events if e["event"] == "changed" and
                 re.fullmatch(r"interrupts\.req\.\d+", e["field"])]
        self.assertTrue(rises, "no interrupt count change reported")
        self.assertTrue(all(e["new"] > e["old"] for e in rises))
        # 256 direct reads of 4 KiB: well over 100 request interrupts (merging
        # and interrupt suppression could lower the count, not to that)
        self.assertGreaterEqual(sum(e["new"] - e["old"] for e in rises), 100)

    def test_ctrl_c_ends_with_status_0(self):
        p = subprocess.Popen([VIRTIOCTL, "watch", "--interval", "100"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.assertEqual((p.returncode, err), (0, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
