"""`check` on real device models (issue 10): every QEMU 7.2 device type this
machine can start, modern, transitional and legacy, split and packed,
multi-queue, on the root bus and behind root ports, plus two backends that
live outside QEMU (vhost-user-blk from qemu-storage-daemon, vhost-user-fs
from virtiofsd). Unbound devices get `check --active`, bound ones the
read-only check. A failed check is either a virtioctl bug (fixed) or a
real deviation of QEMU, listed in KNOWN below and in docs/checks.md with
the spec section and where QEMU does it; anything else fails the test.
After the active checks QEMU shows every unbound device reset."""

import json

from vmharness import features
from vmharness.daemons import Daemon
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive
from scenarios._common import drive

# (check id, QEMU model or None for any) -> why it is QEMU's and not ours.
# Each entry is also in docs/checks.md ("Known deviations of QEMU 7.2").
KNOWN = {
    ("active.features_ok.unoffered", None):
        "QEMU masks driver features with the offered ones and keeps FEATURES_OK "
        "(hw/virtio/virtio.c virtio_set_features_nocheck: val &= host_features; "
        "virtio_validate_features runs only device hooks); virtio 1.3 2.2.2",
}

UNBOUND = {
    "net0": "virtio-net-pci,netdev=hn0,romfile=,mq=on",
    "blk0": "virtio-blk-pci,drive=d0,num-queues=4",
    "rng0": "virtio-rng-pci",
    "ser0": "virtio-serial-pci,max_ports=2",
    "bal0": "virtio-balloon-pci",
    "scsi0": "virtio-scsi-pci,num_queues=2",
    "gpu0": "virtio-gpu-pci",
    "kbd0": "virtio-keyboard-pci",
    "crypto0": "virtio-crypto-pci,cryptodev=cr0",
    "p9": "virtio-9p-pci,fsdev=fsd0,mount_tag=share",
    "pmem0": "virtio-pmem-pci,memdev=pm0",
    "mem0": "virtio-mem-pci,memdev=vm0,requested-size=2M",
    "blkp": "virtio-blk-pci,drive=d1,packed=on",
    "vufs0": "vhost-user-fs-pci,chardev=vufs0c,tag=vctlfs",
}
# On pcie.0: transitional by default, legacy with disable-modern=on.
ROOT_BUS = {
    "iommu0": "virtio-iommu-pci",
    "rngt": "virtio-rng-pci",
    "blkt": "virtio-blk-pci,drive=d2",
    "netl": "virtio-net-pci,netdev=hn1,romfile=,disable-modern=on",
    "blkl": "virtio-blk-pci,drive=d3,disable-modern=on",
    "vub0": "vhost-user-blk-pci,chardev=vub0c,num-queues=1",
}
BOUND = {"blkb": "virtio-blk-pci,drive=d4", "rngb": "virtio-rng-pci"}

BACKENDS = {
    "net0": _drive.lossy_net("hn0", "net0.pcap"),
    "netl": _drive.lossy_net("hn1", "netl.pcap"),
    "blk0": drive("d0", "d0"), "blkp": drive("d1", "d1"), "blkt": drive("d2", "d2"),
    "blkl": drive("d3", "d3"), "blkb": drive("d4", "d4"),
    "crypto0": ["-object", "cryptodev-backend-builtin,id=cr0"],
    "p9": ["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"],
    "pmem0": ["-object", "memory-backend-file,id=pm0,mem-path={tmp}/pmem.img,size=4M,share=on"],
    "mem0": ["-object", "memory-backend-ram,id=vm0,size=128M"],
    "vub0": ["-chardev", "socket,id=vub0c,path={tmp}/vub0.sock"],
    "vufs0": ["-chardev", "socket,id=vufs0c,path={tmp}/vufs0.sock"],
}


def _devices():
    out, slot = [], 2
    for group, port in ((UNBOUND, True), (ROOT_BUS, False), (BOUND, True)):
        for dev_id, model in group.items():
            kw = dict(backend=BACKENDS.get(dev_id, ()))
            if dev_id == "ser0":
                kw.update(_drive.console_port("ser0"))
            out.append(Device(dev_id, model, slot, port=port, **kw))
            slot += 1
    return out


ACTIVE = list(UNBOUND) + list(ROOT_BUS)

SCRIPT = r'''
for id in %(active)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci virtio_blk virtio_rng
vm_wait_bound 30 blkb rngb || vm_log "bound devices did not get their drivers"
for id in %(active)s; do
	vm_run check-$id virtioctl --json check $(vm_addr $id) --active
done
for id in %(bound)s; do
	vm_run check-$id virtioctl --json check $(vm_addr $id)
done
vm_run check-text virtioctl check $(vm_addr rng0) --active
vm_checkpoint checked
''' % {"active": " ".join(ACTIVE), "bound": " ".join(BOUND)}


def _results(doc):
    for area in doc.get("areas", []):
        for r in area.get("results", []):
            yield r


def check_results(ctx):
    for dev in ACTIVE + list(BOUND):
        d = ctx.scenario.device(dev)
        r = ctx.result("check-" + dev)
        if r is None:
            continue
        try:
            doc = json.loads(r.text)
        except ValueError:
            ctx.fail("check printed no JSON (rc %s): %r" % (r.rc, r.stderr[-300:]), device=d)
            continue
        want_mode = "active" if dev in ACTIVE else "read-only"
        if doc.get("mode") != want_mode:
            ctx.fail("check ran %s, want %s" % (doc.get("mode"), want_mode), device=d)
        must = doc.get("counts", {}).get("must_failed", -1)
        if r.rc != (11 if must else 0):
            ctx.fail("exit status %s with %s MUST failures" % (r.rc, must), device=d)
        for res in _results(doc):
            if res.get("result") != "fail":
                continue
            known = KNOWN.get((res["id"], d.model)) or KNOWN.get((res["id"], None))
            if known:
                ctx.note("%s %s: known QEMU deviation: %s" % (dev, res["id"], known))
            else:
                ctx.fail("check %s failed: seen %r, required %r" % (
                    res["id"], res.get("seen"), res.get("required")), device=d)
        if dev in ACTIVE and any(res.get("skip_kind") == "needs_active" for res in _results(doc)):
            ctx.fail("an active check was skipped as needing --active", device=d)
        # virtio-mem's request is a STATE of its usable region, so mem0 is
        # started with a nonzero requested size: the request must then run.
        if dev == "mem0":
            req = [res.get("result") for res in _results(doc) if res["id"] == "active.request"]
            if req != ["pass"]:
                ctx.fail("active.request on virtio-mem: %r, expected a pass" % req, device=d)
    text = ctx.result("check-text")
    if text and "Verdict" not in text.text:
        ctx.fail("check text output has no verdict line: %r" % text.text[-300:])


def check_reset(ctx):
    st = ctx.snapshots.get("checked", {})
    for dev in ACTIVE:
        if dev in st and features.status_of(st[dev]["status"]) != 0:
            ctx.fail("device not reset after check --active", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st[dev]["status"]))
    for dev in BOUND:
        if dev in st and features.status_of(st[dev]["status"]) != 0x0f:
            ctx.fail("bound device disturbed by a read-only check",
                     device=ctx.scenario.device(dev), field="status",
                     qemu=features.status_of(st[dev]["status"]))


SCENARIO = Scenario(
    name="check",
    description="check --active on unbound and read-only on bound devices of every type",
    modules=["virtio_pci", "virtio_blk", "virtio_rng"],
    devices=_devices(),
    disks=[Disk("d0"), Disk("d1"), Disk("d2"), Disk("d3"), Disk("d4"), Disk("d5")],
    dirs=["9p", "share"],
    memory="512M,slots=4,maxmem=2G",
    daemons=[
        Daemon("qemu-storage-daemon", [
            "qemu-storage-daemon",
            "--blockdev", "driver=file,node-name=f0,filename={disk_d5}",
            "--blockdev", "driver=raw,node-name=n0,file=f0",
            "--export", "type=vhost-user-blk,id=e0,addr.type=unix,"
                        "addr.path={tmp}/vub0.sock,node-name=n0,writable=off"],
               "{tmp}/vub0.sock"),
        Daemon("virtiofsd", [
            "/usr/lib/qemu/virtiofsd", "--socket-path={tmp}/vufs0.sock",
            "-o", "source={tmp}/share", "-o", "cache=none"], "{tmp}/vufs0.sock"),
    ],
    script=SCRIPT,
    checks=[check_results, check_reset],
    timeout=600,
)
