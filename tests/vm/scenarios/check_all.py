"""`check --all` on real device models (issue 13): read-only, every
function is checked as `check ADDR` checks it and nothing is written to
the bound ones; with --active, the unbound functions are driven and reset
(QEMU shows status 0) while the bound ones are refused, left in the
driver's hands (QEMU shows their status untouched, DRIVER_OK, and their
queues still enabled), and the exit status is the worst (5, refused)."""

import json

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive

UNBOUND = ["rng0", "blk0"]
BOUND = ["rngb", "blkb"]

SCRIPT = r'''
for id in %(unbound)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci virtio_blk virtio_rng
vm_wait_bound 30 %(bound)s || vm_log "bound devices did not get their drivers"
vm_checkpoint before
vm_run ro virtioctl --json check --all
vm_checkpoint read-only
vm_run active virtioctl --json check --all --active
vm_run force virtioctl check --all --active --force
vm_checkpoint active
''' % {"unbound": " ".join(UNBOUND), "bound": " ".join(BOUND)}


def _doc(ctx, name):
    r = ctx.result(name)
    if r is None:
        return None, None
    try:
        return r, json.loads(r.text)
    except ValueError:
        ctx.fail("%s printed no JSON (rc %s): %r" % (name, r.rc, r.stderr[-300:]))
        return r, None


def _status(ctx, ck, dev):
    st = ctx.snapshots.get(ck, {}).get(dev)
    return features.status_of(st["status"]) if st else None


def check_read_only(ctx):
    r, doc = _doc(ctx, "ro")
    if doc is None:
        return
    addrs = {ctx.addresses[d]: d for d in UNBOUND + BOUND}
    got = [d["address"] for d in doc.get("devices", [])]
    if sorted(got) != sorted(addrs) or doc.get("skipped"):
        ctx.fail("check --all checked %s, skipped %s; want %s"
                 % (got, doc.get("skipped"), sorted(addrs)))
    if doc.get("mode") != "read-only" or any(d.get("mode") != "read-only"
                                              for d in doc.get("devices", [])):
        ctx.fail("check --all without --active ran %s" % doc.get("mode"))
    if r.rc != doc.get("exit_status"):
        ctx.fail("exit %s, document says %s" % (r.rc, doc.get("exit_status")))
    for dev in BOUND:
        if _status(ctx, "read-only", dev) != _status(ctx, "before", dev):
            ctx.fail("bound device's status changed by a read-only check --all",
                     device=ctx.scenario.device(dev), field="status",
                     qemu=_status(ctx, "read-only", dev))


def check_active(ctx):
    r, doc = _doc(ctx, "active")
    if doc is None:
        return
    modes = {d["address"]: d.get("mode") for d in doc.get("devices", [])}
    skipped = {s["address"]: s for s in doc.get("skipped", [])}
    for dev in UNBOUND:
        a = ctx.addresses[dev]
        if modes.get(a) != "active":
            ctx.fail("unbound device not checked actively: %s" % modes.get(a),
                     device=ctx.scenario.device(dev))
        if _status(ctx, "active", dev) != 0:
            ctx.fail("unbound device not reset after check --all --active",
                     device=ctx.scenario.device(dev), field="status",
                     qemu=_status(ctx, "active", dev))
    for dev in BOUND:
        a = ctx.addresses[dev]
        s = skipped.get(a)
        if not s or s.get("exit_status") != 5 or "refusing to write" not in s.get("reason", ""):
            ctx.fail("bound device not refused: %s" % s, device=ctx.scenario.device(dev))
        before, after = _status(ctx, "before", dev), _status(ctx, "active", dev)
        if after != before or after != 0x0f:
            ctx.fail("bound device's status changed by check --all --active (before %s)"
                     % before, device=ctx.scenario.device(dev), field="status", qemu=after)
    if r.rc != 5 or doc.get("exit_status") != 5:
        ctx.fail("check --all --active exited %s (document %s), want 5 (refused)"
                 % (r.rc, doc.get("exit_status")))
    f = ctx.result("force")
    if f is not None and f.rc != 2:
        ctx.fail("check --all --active --force exited %s, want 2 (refused)" % f.rc)


SCENARIO = Scenario(
    name="check_all",
    description="check --all: read-only on every function, --active refused on bound ones",
    modules=["virtio_pci", "virtio_blk", "virtio_rng"],
    devices=[
        Device("rng0", "virtio-rng-pci", 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True, backend=drive("d0", "d0")),
        Device("rngb", "virtio-rng-pci", 0x04, port=True),
        Device("blkb", "virtio-blk-pci,drive=d1", 0x05, backend=drive("d1", "d1")),
    ],
    disks=[Disk("d0"), Disk("d1")],
    script=SCRIPT,
    checks=[check_read_only, check_active],
    timeout=300,
)
