#!/usr/bin/python3
"""Tests of the harness itself, without QEMU (meson test vm-harness-selftest):
the cross-checks must fail on every wrong field and pass on right ones, the
feature table must decode QEMU's names, and the guest protocol parser must
carry bytes intact and notice damage."""

import base64
import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vmharness import HarnessError, checks, features          # noqa: E402
from vmharness.context import Context                          # noqa: E402
from vmharness.qemu import Machine, Result                    # noqa: E402
from vmharness.scenario import Device, Scenario               # noqa: E402

NET_HOST = {
    "transports": [
        "VIRTIO_RING_F_EVENT_IDX: Used & avail. event fields enabled",
        "VIRTIO_RING_F_INDIRECT_DESC: Indirect descriptors supported",
        "VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)",
        "VIRTIO_F_ANY_LAYOUT: Device accepts arbitrary desc. layouts",
        "VIRTIO_F_NOTIFY_ON_EMPTY: Notify when device runs out of avail. descs. on VQ"],
    "dev-features": [
        "VHOST_USER_F_PROTOCOL_FEATURES: Vhost-user protocol features negotiation",
        "VIRTIO_NET_F_GSO: Handling GSO-type packets supported",
        "VIRTIO_NET_F_CTRL_MAC_ADDR: MAC address set through control channel",
        "VIRTIO_NET_F_STATUS: Configuration status field available",
        "VIRTIO_NET_F_MAC: Device has given MAC address"],
    "unknown-dev-features": 1 << 40,
}
NET_HOST_BITS = ((1 << 29) | (1 << 28) | (1 << 32) | (1 << 27) | (1 << 24) |
                 (1 << 30) | (1 << 6) | (1 << 23) | (1 << 16) | (1 << 5) |
                 (1 << 40))
BLK_HOST = {
    "transports": ["VIRTIO_F_NOTIFY_ON_EMPTY: x", "VIRTIO_RING_F_EVENT_IDX: x"],
    "dev-features": ["VHOST_USER_F_PROTOCOL_FEATURES: x", "VIRTIO_BLK_F_SCSI: x",
                     "VIRTIO_BLK_F_SEG_MAX: x"],
}
BLK_HOST_BITS = (1 << 24) | (1 << 29) | (1 << 30) | (1 << 7) | (1 << 2)
BLK_GUEST = {"transports": ["VIRTIO_RING_F_EVENT_IDX: x"],
             "dev-features": ["VIRTIO_BLK_F_SEG_MAX: x"]}
EMPTY = {"transports": [], "dev-features": []}
STATUS_OK = {"statuses": ["VIRTIO_CONFIG_S_ACKNOWLEDGE: a", "VIRTIO_CONFIG_S_DRIVER: b",
                          "VIRTIO_CONFIG_S_DRIVER_OK: c"]}


def qstatus(vid, host, guest, status, nvq):
    return {"device-id": vid, "host-features": host, "guest-features": guest,
            "status": status, "num-vqs": nvq}


def queue(num, desc=0):
    return {"vring-num": num, "vring-desc": desc, "vring-avail": desc and desc + 4096,
            "vring-used": desc and desc + 8192}


class FakeMachine:
    def __init__(self):
        self.results = {}


def make_ctx():
    sc = Scenario(
        name="t", description="t", script="",
        devices=[
            Device("net0", "virtio-net-pci,netdev=n,disable-legacy=on", 2, port=True),
            Device("blk0", "virtio-blk-pci,drive=d,disable-modern=on", 3),
        ])
    m = FakeMachine()
    ctx = Context(sc, m, [], "/nonexistent", None)
    ctx.addresses = {"net0": "0000:01:00.0", "blk0": "0000:00:03.0"}
    snap = {"net0": qstatus(1, NET_HOST, EMPTY, {"statuses": []}, 3),
            "blk0": qstatus(2, BLK_HOST, BLK_GUEST, STATUS_OK, 1)}
    ctx.snapshots = {"boot": snap, "dumped": snap}
    ctx.queue_snapshots = {"dumped": {"net0": [queue(256)] * 2 + [queue(64)],
                                      "blk0": [queue(128, 0x10000)]}}
    visible_net = NET_HOST_BITS & ~((1 << 24) | (1 << 27) | (1 << 30) | (1 << 6))
    dumps = {
        "net0": {"address": "0000:01:00.0", "virtio_device_id": 1,
                 "transport": "modern", "capabilities": [], "device_status": 0,
                 "num_queues": 3, "device_features": "0x%016x" % visible_net,
                 "driver_features": "0x%016x" % 0,
                 "queues": [{"index": 0, "size": 256}, {"index": 1, "size": 256},
                            {"index": 2, "size": 64}]},
        "blk0": {"address": "0000:00:03.0", "virtio_device_id": 2,
                 "transport": "legacy", "capabilities": [], "device_status": 7,
                 "num_queues": 1, "device_features": "0x%016x" % BLK_HOST_BITS,
                 "driver_features": "0x%016x" % ((1 << 29) | (1 << 2)),
                 "queues": [{"index": 0, "size": 128, "desc": 0x10000,
                             "driver": 0x11000, "device": 0x12000}]},
    }
    lst = [{"address": "0000:01:00.0", "virtio_device_id": 1, "transport": "modern",
            "driver": None},
           {"address": "0000:00:03.0", "virtio_device_id": 2, "transport": "legacy",
            "driver": None}]
    return ctx, dumps, lst


def put(ctx, name, obj, rc=0):
    r = Result(name)
    r.rc = rc
    r.stdout = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    ctx.machine.results[name] = r


def run_checks(mutate=None):
    ctx, dumps, lst = make_ctx()
    if mutate:
        mutate(dumps, lst)
    put(ctx, "list", lst)
    for k, v in dumps.items():
        put(ctx, "dump-" + k, v)
    checks.list_matches()(ctx)
    checks.dumps_match("dumped")(ctx)
    return ctx.failures


class CrossChecks(unittest.TestCase):
    def test_right_values_pass(self):
        self.assertEqual(run_checks(), [])

    def assertFails(self, mutate, *words):
        f = run_checks(mutate)
        self.assertEqual(len(f), 1, f)
        for w in words:
            self.assertIn(w, f[0])

    def test_device_features(self):
        def m(d, _):
            d["net0"]["device_features"] = "0x%016x" % (
                int(d["net0"]["device_features"], 16) & ~(1 << 5))
        self.assertFails(m, "net0", "device_features", "only QEMU: 5:VIRTIO_NET_F_MAC",
                         "virtioctl said", "QEMU said")

    def test_hidden_bit_shown_is_wrong(self):
        def m(d, _):
            d["net0"]["device_features"] = "0x%016x" % (
                int(d["net0"]["device_features"], 16) | (1 << 30))
        self.assertFails(m, "only virtioctl: 30:VHOST_USER_F_PROTOCOL_FEATURES")

    def test_legacy_view_is_low_32_unfiltered(self):
        def m(d, _):
            d["blk0"]["device_features"] = "0x%016x" % (BLK_HOST_BITS & ~(1 << 30))
        self.assertFails(m, "blk0", "device_features")

    def test_num_queues(self):
        self.assertFails(lambda d, _: d["net0"].update(num_queues=2),
                         "net0", "num_queues", "2 (0x2)", "3 (0x3)")

    def test_device_id(self):
        self.assertFails(lambda d, _: d["blk0"].update(virtio_device_id=1),
                         "blk0", "virtio_device_id")

    def test_transport(self):
        self.assertFails(lambda d, _: d["blk0"].update(transport="transitional"),
                         "blk0", "transport")

    def test_status(self):
        self.assertFails(lambda d, _: d["blk0"].update(device_status=15),
                         "blk0", "device_status")

    def test_driver_features(self):
        self.assertFails(lambda d, _: d["blk0"].update(driver_features="0x0"),
                         "blk0", "driver_features")

    def test_queue_size_and_address(self):
        self.assertFails(lambda d, _: d["net0"]["queues"][2].update(size=256),
                         "net0", "queues[2].size")
        self.assertFails(lambda d, _: d["blk0"]["queues"][0].update(device=0x13000),
                         "blk0", "queues[0].device")

    def test_missing_field(self):
        self.assertFails(lambda d, _: d["net0"].pop("device_features"),
                         "net0", "device_features", "missing")

    def test_list_extra_missing_driver(self):
        self.assertFails(lambda _, lst: lst.append(
            {"address": "0000:00:09.0", "virtio_device_id": 4,
             "transport": "modern", "driver": None}), "not given")
        self.assertFails(lambda _, lst: lst.pop(0), "net0", "missing")
        self.assertFails(lambda _, lst: lst[1].update(driver="virtio-pci"),
                         "blk0", "driver", "virtio-pci")

    def test_failed_command_and_bad_json(self):
        ctx, dumps, lst = make_ctx()
        put(ctx, "list", lst)
        put(ctx, "dump-net0", b"{not json")
        put(ctx, "dump-blk0", dumps["blk0"], rc=6)
        checks.dumps_match("dumped")(ctx)
        self.assertEqual(len(ctx.failures), 2, ctx.failures)
        self.assertIn("no valid JSON", ctx.failures[0])
        self.assertIn("exited with status 6", ctx.failures[1])

    def test_driver_features_latch_before_features_ok(self):
        # a modern device without FEATURES_OK: register latch vs QEMU's
        # accepted set may differ and is not compared
        def m(d, _):
            d["net0"]["driver_features"] = "0x%016x" % (1 << 32)
        self.assertEqual(run_checks(m), [])


class FeatureTable(unittest.TestCase):
    def test_bits(self):
        self.assertEqual(features.bits_of(1, NET_HOST), NET_HOST_BITS)
        self.assertEqual(features.bits_of(2, BLK_HOST), BLK_HOST_BITS)

    def test_typos_and_duplicates(self):
        f = {"dev-features": ["VIRTIO_NET_F_GUEST_USO4: a", "VIRTIO_NET_F_GUEST_USO4: b"]}
        self.assertEqual(features.bits_of(1, f), (1 << 54) | (1 << 55))
        f = {"dev-features": ["VIRTIO_MEM_F_PERSISTENT_SUSPND: x"]}
        self.assertEqual(features.bits_of(24, f), 1 << 2)

    def test_unknown_name_fails(self):
        with self.assertRaises(HarnessError):
            features.bits_of(1, {"dev-features": ["VIRTIO_NET_F_BOGUS: x"]})
        with self.assertRaises(HarnessError):
            features.bits_of(4, {"dev-features": ["VIRTIO_NET_F_MAC: x"]})

    def test_visible(self):
        self.assertEqual(features.guest_visible(1, (1 << 6) | (1 << 30) | (1 << 32),
                                                "modern"), 1 << 32)
        self.assertEqual(features.guest_visible(2, (1 << 6) | (1 << 30) | (1 << 32),
                                                "transitional"), (1 << 6) | (1 << 32))
        self.assertEqual(features.guest_visible(1, (1 << 6) | (1 << 30) | (1 << 32),
                                                "legacy"), (1 << 6) | (1 << 30))


class FakeProc:
    returncode = None

    def poll(self):
        return None


class Protocol(unittest.TestCase):
    def feed(self, data):
        a, b = socket.socketpair()
        m = Machine([], "/nonexistent", timeout=5)
        m.proc = FakeProc()
        m.chan = a
        m.deadline = float("inf")
        events = []
        b.sendall(data)
        b.shutdown(socket.SHUT_WR)

        def handler(mach, kind, arg):
            events.append((kind, arg))
            return ["reply-line"] if kind == "checkpoint" else None
        try:
            m.run(handler)
            return m, events, b.recv(1000)
        finally:
            a.close()
            b.close()

    @staticmethod
    def result_lines(name, rc, out, err, outlen=None):
        lines = ["@@VM BEGIN " + name, "@@VM RC %d" % rc,
                 "@@VM STDOUT %d" % (len(out) if outlen is None else outlen)]
        enc = base64.b64encode(out).decode()
        lines += [enc[i:i + 76] for i in range(0, len(enc), 76)]
        lines += ["@@VM STDERR %d" % len(err)]
        if err:
            lines.append(base64.b64encode(err).decode())
        lines.append("@@VM END " + name)
        return lines

    def test_roundtrip(self):
        out = bytes(range(256)) * 3 + b"\n@@VM END x\n"
        lines = (["@@VM HELLO 6.1", "@@VM CHECKPOINT boot"] +
                 self.result_lines("x", 3, out, b"err\n") +
                 self.result_lines("e", 0, b"", b"") + ["@@VM DONE 0"])
        m, events, replies = self.feed(("\n".join(lines) + "\n").encode())
        self.assertEqual(m.results["x"].stdout, out)
        self.assertEqual(m.results["x"].stderr, b"err\n")
        self.assertEqual(m.results["x"].rc, 3)
        self.assertEqual(m.results["e"].stdout, b"")
        self.assertEqual(m.done_rc, 0)
        self.assertEqual([e[0] for e in events],
                         ["hello", "checkpoint", "result", "result", "done"])
        self.assertEqual(replies, b"reply-line\n@@VM CONTINUE boot\n")

    def test_hung_task_ends_the_run(self):
        """A guest task the kernel reports as hung (a request never
        completed) fails the run at once, naming it, instead of holding it
        until the scenario's timeout; other console lines do not."""
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "console.log")
            m = Machine([], d, timeout=5, console_log=log)
            with open(log, "w") as f:
                f.write("[    2.3] SCSI subsystem initialized\n")
            self.assertIsNone(m.hung_task())
            with open(log, "a") as f:
                f.write("[  154.86] INFO: task kread:656 blocked for more than 30 seconds.\n"
                        "[  154.87]       Not tainted 6.1.0-57-amd64 #1 Debian\n")
            self.assertEqual(m.hung_task(),
                             "[  154.86] INFO: task kread:656 blocked for more than 30 seconds.")
            a, b = socket.socketpair()
            # without the look at the console: a timeout, another message
            m.proc, m.chan, m.deadline = FakeProc(), a, time.monotonic() + 2
            try:
                with self.assertRaisesRegex(Exception, "hung task: .*kread:656"):
                    m.run(lambda *x: None)
            finally:
                a.close()
                b.close()

    def test_truncated_output_detected(self):
        lines = self.result_lines("x", 0, b"abcdef", b"", outlen=7) + ["@@VM DONE 0"]
        with self.assertRaises(HarnessError):
            self.feed(("\n".join(lines) + "\n").encode())


STATUS_NAMES = {1: "VIRTIO_CONFIG_S_ACKNOWLEDGE", 2: "VIRTIO_CONFIG_S_DRIVER",
                4: "VIRTIO_CONFIG_S_DRIVER_OK", 8: "VIRTIO_CONFIG_S_FEATURES_OK"}


def qstatus_bits(bits):
    return {"statuses": ["%s: x" % n for b, n in STATUS_NAMES.items() if bits & b]}


class PackedDriveChecks(unittest.TestCase):
    """scenarios/packed_drive.py's checks on a consistent fake run pass, and
    fail when QEMU's packed-ring indices or ring addresses disagree, when the
    wrap counter never flips, and when a refusal is not one usage line."""

    def run_checks(self, mutate=None):
        from scenarios import packed_drive as pd
        sc = pd.SCENARIO
        ctx = Context(sc, FakeMachine(), [], "/nonexistent", None)
        ctx.addresses = {"rng0": "0000:01:00.0", "blk0": "0000:02:00.0",
                         "rng1": "0000:03:00.0"}
        status = {"reset": 0, "ack": 1, "driver": 3, "features": 3, "fok": 0x0b,
                  "vring": 0x0b, "dok": 0x0f, "reset2": 0}
        guest = {"transports": ["VIRTIO_F_VERSION_1: x", "VIRTIO_F_RING_PACKED: x",
                                "VIRTIO_RING_F_INDIRECT_DESC: x",
                                "VIRTIO_RING_F_EVENT_IDX: x"], "dev-features": []}
        ring = {"size": pd.SIZE, "desc_addr": 0x10000, "driver_addr": 0x11000,
                "device_addr": 0x12000, "layout": "packed"}
        docs, slot, wrap = [], 0, 1
        for ck, cmd in pd.STEPS:
            name = ck[len("rng0-"):]
            st = status.get(name, 0x0f)
            ctx.snapshots[ck] = {"rng0": qstatus(4, EMPTY, guest, qstatus_bits(st), 1)}
            q = {"vring-num": pd.SIZE, "vring-desc": 0x10000, "vring-avail": 0x11000,
                 "vring-used": 0x12000}
            doc = {}
            if name == "vring":
                doc = {"vring": dict(ring)}
            elif name.startswith("post"):
                slot += 2 if cmd.count("w:") == 2 and "--indirect" not in cmd else 1
                if slot >= pd.SIZE:
                    slot, wrap = slot - pd.SIZE, 1 - wrap
                doc = {"indirect": "--indirect" in cmd}
            elif name.startswith("poll"):
                doc = {"count": 1, "used": {"len": None}}
            elif name.startswith("show"):
                doc = {"vring": {"next_avail": slot, "last_used": slot, "in_flight": 0,
                                 "broken": False, "used_wrap_counter": wrap}}
                q.update({"last-avail-idx": slot, "used-idx": slot})
            if name == "reset2":
                q["vring-desc"] = 0
            ctx.queue_snapshots[ck] = {"rng0": [q]}
            docs.append(doc)
        # each poll's used length: the writable bytes its post asked for
        lengths = {}
        for (ck, cmd) in pd.STEPS:
            if "-post" in ck:
                lengths[ck.replace("-post", "-poll")] = sum(
                    int(w[2:]) for w in cmd.split() if w.startswith("w:"))
        for i, (ck, _) in enumerate(pd.STEPS):
            if ck in lengths:
                docs[i]["used"]["len"] = lengths[ck]
        if mutate:
            mutate(ctx, dict(zip((ck for ck, _ in pd.STEPS), docs)))
        put(ctx, "drive-jsonl", "\n".join(json.dumps(d) for d in docs).encode())
        put(ctx, "drive-err", b"")
        pd.check_steps(ctx)
        return ctx.failures

    def test_consistent_run_passes(self):
        self.assertEqual(self.run_checks(), [])

    def test_qemu_index_differs(self):
        def m(ctx, docs):
            ctx.queue_snapshots["rng0-show-3"]["rng0"][0]["used-idx"] += 1
        f = self.run_checks(m)
        self.assertTrue(any("last_used" in x for x in f), f)

    def test_ring_address_differs(self):
        def m(ctx, docs):
            ctx.queue_snapshots["rng0-vring"]["rng0"][0]["vring-avail"] = 0x99000
        f = self.run_checks(m)
        self.assertTrue(any("driver_addr" in x for x in f), f)

    def test_wrap_never_flips(self):
        def m(ctx, docs):
            for k, d in docs.items():
                if "vring" in d and "used_wrap_counter" in d["vring"]:
                    d["vring"]["used_wrap_counter"] = 1
        f = self.run_checks(m)
        self.assertTrue(any("wrap counter never flipped" in x for x in f), f)

    def test_indirect_took_more_slots(self):
        def m(ctx, docs):
            docs["rng0-show-ind"]["vring"]["next_avail"] = 3
        f = self.run_checks(m)
        self.assertTrue(any("indirect chain took" in x for x in f), f)


if __name__ == "__main__":
    unittest.main(verbosity=2)
