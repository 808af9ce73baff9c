"""Driving packed virtqueues (virtio 1.3, 2.8) on QEMU devices with
`packed=on`, checked against QEMU's own view of the queue.

rng0 is brought up by hand in one virtioctl process (a checkpoint after
each command): features with RING_PACKED, INDIRECT_DESC and EVENT_IDX, an
8-slot packed ring, a direct chain, an indirect one, then more round trips
than the ring has slots (both wrap counters flip). At every checkpoint QMP's
`x-query-virtio-queue-status` must agree: the ring addresses after setup
(descriptor ring, driver and device event suppression areas) and, after
each poll, QEMU's next slot to read (`last-avail-idx`) and to write
(`used-idx`) equal virtioctl's `next_avail` and `last_used`. Then one-shot
self-tests with `--ring packed` (entropy; block, whose data must be the disk
image's first 4 KiB) and `bench --ring packed` on the block device; and a
device without `packed=on` refuses `--ring packed` with a usage error.
"""

import json

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive
from scenarios._common import drive

SIZE = 8
ROUNDS = 12  # round trips after the first two: more than SIZE slots
UNBOUND = ["rng0", "blk0", "rng1"]


def _steps():
    a = "$A_rng0"
    s = [("reset", "status %s reset"), ("ack", "status %s ack"),
         ("driver", "status %s driver"),
         ("features", "features %s set VERSION_1 RING_PACKED INDIRECT_DESC EVENT_IDX"),
         ("fok", "status %s features-ok"),
         ("vring", "vring %s setup 0 " + str(SIZE) + " --ring packed"),
         ("dok", "status %s driver-ok"),
         ("post", "post %s 0 w:32"), ("kick", "kick %s 0"),
         ("poll", "poll %s 0 --timeout 10000"), ("show", "vring %s show 0"),
         ("post-ind", "post %s 0 --indirect w:16 w:16"), ("kick-ind", "kick %s 0"),
         ("poll-ind", "poll %s 0 --timeout 10000"), ("show-ind", "vring %s show 0")]
    for i in range(ROUNDS):
        # chains of 1 and 2 slots: some straddle the end of the ring
        s += [("post-%d" % i, "post %s 0 w:8" + (" w:8" if i % 2 else "")),
              ("kick-%d" % i, "kick %s 0"), ("poll-%d" % i, "poll %s 0 --timeout 10000"),
              ("show-%d" % i, "vring %s show 0")]
    s += [("reset2", "status %s reset")]
    return [("rng0-" + ck, cmd % a) for ck, cmd in s]


STEPS = _steps()

SCRIPT = r'''
for id in %(unbound)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci
for id in %(unbound)s; do eval "A_$id=$(vm_addr $id)"; done
%(stepper)s
vm_run st-rng0 virtioctl --json selftest --ring packed $A_rng0
vm_run st-blk0 virtioctl --json selftest --ring packed $A_blk0
vm_run bench-blk0 virtioctl --json bench --ring packed --duration 1000 $A_blk0
vm_run bench-blk0-split virtioctl --json bench --duration 1000 $A_blk0
vm_run refuse-st virtioctl selftest --ring packed $A_rng1
vm_run refuse-bench virtioctl bench --ring bogus $A_blk0
vm_checkpoint selftests
''' % {"unbound": " ".join(UNBOUND), "stepper": _drive.stepper(STEPS)}


def _queue(ctx, ck, dev="rng0"):
    q = ctx.queue_snapshots.get(ck, {}).get(dev, [])
    if not q:
        ctx.fail("no QMP status of %s queue 0 at %s" % (dev, ck))
        return None
    return q[0]


def check_steps(ctx):
    d = ctx.scenario.device("rng0")
    by = _drive.step_results(ctx, STEPS)
    _drive.check_status_steps(ctx, "rng0", {
        "rng0-reset": 0, "rng0-ack": 1, "rng0-driver": 3, "rng0-features": 3,
        "rng0-fok": 0x0b, "rng0-vring": 0x0b, "rng0-dok": 0x0f, "rng0-poll": 0x0f,
        "rng0-reset2": 0})
    if by is None:
        return
    snap = ctx.snapshots.get("rng0-fok")
    want = 1 << 32 | 1 << 34 | 1 << 28 | 1 << 29
    if snap:
        guest = features.bits_of(4, snap["rng0"]["guest-features"])
        if guest != want:
            ctx.fail("negotiated features", device=d, field="guest-features",
                     virtioctl="0x%016x" % want, qemu="0x%016x" % guest)
    ring = by["rng0-vring"].get("vring", {})
    if ring.get("layout") != "packed":
        ctx.fail("vring setup --ring packed: layout %r" % ring.get("layout"), device=d)
    _drive.check_ring_matches(ctx, "rng0", "rng0-vring", ring)
    polls = [("rng0-poll", "rng0-show", 32), ("rng0-poll-ind", "rng0-show-ind", 32)]
    polls += [("rng0-poll-%d" % i, "rng0-show-%d" % i, 16 if i % 2 else 8)
              for i in range(ROUNDS)]
    wraps = set()
    for poll_ck, show_ck, length in polls:
        poll = by[poll_ck]
        if poll.get("count") != 1 or poll.get("used", {}).get("len") != length:
            ctx.fail("%s: %r" % (poll_ck, poll.get("used")), device=d, field="used.len",
                     qemu="one element of %d bytes expected" % length)
        show = by[show_ck].get("vring", {})
        q = _queue(ctx, show_ck)
        if q is None:
            continue
        for ours, theirs in (("next_avail", "last-avail-idx"), ("last_used", "used-idx")):
            if show.get(ours) != q.get(theirs):
                ctx.fail("packed ring index at %s" % show_ck, device=d, field=ours,
                         virtioctl=show.get(ours), qemu=q.get(theirs))
        if show.get("in_flight") != 0 or show.get("broken") is not False:
            ctx.fail("%s: in_flight %r broken %r" % (show_ck, show.get("in_flight"),
                                                     show.get("broken")), device=d)
        wraps.add(show.get("used_wrap_counter"))
    if wraps != {0, 1}:
        ctx.fail("the used wrap counter never flipped (%r)" % sorted(wraps, key=str), device=d)
    ind = by["rng0-show-ind"].get("vring", {})
    post_ind = by["rng0-post-ind"]
    if post_ind.get("indirect") is not True:
        ctx.fail("post --indirect: %r" % post_ind, device=d)
    # The indirect chain took one slot: from 1 to 2.
    if ind.get("next_avail") != 2:
        ctx.fail("indirect chain took %r slots" % ((ind.get("next_avail") or 0) - 1), device=d)
    q = _queue(ctx, "rng0-reset2")
    if q and q.get("vring-desc", 0) != 0:
        ctx.fail("queue 0 still has a ring after reset", device=d, qemu=q.get("vring-desc"))


def _doc(ctx, name):
    r = ctx.result(name)
    if r is None:
        return None
    try:
        return json.loads(r.text)
    except ValueError:
        ctx.fail("%s: not JSON (rc %s): %r %r" % (name, r.rc, r.text[:200], r.stderr[-300:]))
        return None


def _packed_negotiated(ctx, name, doc):
    for s in doc.get("steps", []):
        if s.get("step") == "write-features":
            if not int(s.get("detail", "0"), 16) >> 34 & 1:
                ctx.fail("%s negotiated %s: no RING_PACKED" % (name, s.get("detail")))
            return
    ctx.fail("%s: no write-features step" % name)


def check_selftests(ctx):
    doc = _drive.selftest_doc(ctx, "rng0")
    if doc and doc.get("data_length") != 64:
        ctx.fail("entropy selftest returned %r bytes, asked 64" % doc.get("data_length"))
    doc = _drive.selftest_doc(ctx, "blk0")
    if doc and doc.get("data_sha256") != ctx.disks["d0"].sha256_4k:
        ctx.fail("block selftest data", device=ctx.scenario.device("blk0"),
                 field="data_sha256", virtioctl=doc.get("data_sha256"),
                 qemu="%s (the disk image's first 4096 bytes)" % ctx.disks["d0"].sha256_4k)
    for dev in ("rng0", "blk0"):
        st = ctx.snapshots.get("selftests", {}).get(dev)
        if st and features.status_of(st["status"]) != 0:
            ctx.fail("device not reset after its selftest", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st["status"]))
    for name in ("st-rng0", "st-blk0", "bench-blk0"):
        doc = _doc(ctx, name)
        if doc is None:
            continue
        if doc.get("ring") != "packed":
            ctx.fail("%s ran on a %r ring" % (name, doc.get("ring")))
        _packed_negotiated(ctx, name, doc)
    for name in ("bench-blk0", "bench-blk0-split"):
        r, doc = ctx.result(name), _doc(ctx, name)
        if r is None or doc is None:
            continue
        if r.rc != 0:
            ctx.fail("%s failed (rc %s): %s" % (name, r.rc, r.stderr[-300:]))
        rows = doc.get("results", [])
        if len(rows) != 2 or any(row.get("ops", 0) <= 0 for row in rows):
            ctx.fail("%s results: %r" % (name, rows))
        for row in rows:
            if row.get("notifications", 0) + row.get("notifications_suppressed", 0) <= 0:
                ctx.fail("%s: no notification accounted for: %r" % (name, row))
            ctx.note("%s %s: %s ops/s, %s kicks, %s suppressed" % (
                name, row.get("workload"), row.get("ops_per_second"),
                row.get("notifications"), row.get("notifications_suppressed")))
    for name, words in (("refuse-st", ("RING_PACKED",)), ("refuse-bench", ("--ring", "bogus"))):
        r = ctx.result(name)
        if r is None:
            continue
        err = r.stderr.decode("utf-8", "replace").strip()
        if r.rc != 2 or len(err.splitlines()) != 1 or not all(w in err for w in words):
            ctx.fail("%s: rc %s (want 2), stderr %r" % (name, r.rc, err[-300:]))


SCENARIO = Scenario(
    name="packed_drive",
    description="packed rings driven: setup, post (direct, indirect), wrap-around, "
                "selftest/bench --ring packed vs QMP",
    modules=["virtio_pci"],
    devices=[
        Device("rng0", "virtio-rng-pci,packed=on", 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0,packed=on", 0x03, port=True,
               backend=drive("d0", "d0")),
        Device("rng1", "virtio-rng-pci", 0x04, port=True),
    ],
    disks=[Disk("d0")],
    script=SCRIPT,
    checks=[check_steps, check_selftests],
    timeout=300,
)
