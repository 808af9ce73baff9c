"""The harness checking itself, without virtioctl: boot, handshake, QMP at a
checkpoint, host -> guest replies, and the result channel carrying raw bytes,
exit statuses and a 64 KiB blob intact; kernel modules load and the disk
image has the content the host recorded."""

import hashlib

from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive, hubport

SCRIPT = r'''
vm_run bytes sh -c 'printf "\000\001\377binary\r\n@@VM END bytes\n"; echo to-stderr >&2; exit 3'
vm_run empty true
dd if=/dev/urandom of=/tmp/blob bs=4096 count=16 2>/dev/null
vm_run blob cat /tmp/blob
vm_run blob-sha sha256sum /tmp/blob
vm_checkpoint middle
vm_run reply cat /tmp/vm/reply.middle
vm_run devices cat /etc/vm/devices
vm_modprobe virtio_pci virtio_blk
vm_wait_bound 10 blk0
vm_run disk-sha sh -c 'for b in /sys/block/vd*; do sha256sum /dev/${b##*/}; done'
'''


def middle(ctx):
    if set(ctx.snapshots["middle"]) != {"net0", "blk0"}:
        ctx.fail("QMP snapshot at middle: %s" % sorted(ctx.snapshots["middle"]))
    return ["hello from the host", "second line"]


def check_results(ctx):
    r = ctx.result("bytes")
    if r and (r.rc, r.stdout, r.stderr) != (3, b"\0\x01\xffbinary\r\n@@VM END bytes\n",
                                           b"to-stderr\n"):
        ctx.fail("bytes: got rc=%r out=%r err=%r" % (r.rc, r.stdout, r.stderr))
    r = ctx.result("empty")
    if r and (r.rc, r.stdout, r.stderr) != (0, b"", b""):
        ctx.fail("empty: %r" % r)
    blob, sha = ctx.result("blob"), ctx.result("blob-sha")
    if blob and sha:
        if len(blob.stdout) != 64 * 1024 or \
                hashlib.sha256(blob.stdout).hexdigest() != sha.text.split()[0]:
            ctx.fail("blob: %d bytes, sha256 %s, guest said %s" % (
                len(blob.stdout), hashlib.sha256(blob.stdout).hexdigest(), sha.text))
    r = ctx.result("reply")
    if r and r.stdout != b"hello from the host\nsecond line\n":
        ctx.fail("reply at checkpoint: %r" % r.stdout)
    r = ctx.result("devices")
    want = "".join("%s %s\n" % (d.id, ctx.addresses[d.id]) for d in ctx.scenario.devices)
    if r and r.text != want:
        ctx.fail("device map in the guest: %r, host: %r" % (r.text, want))
    r = ctx.result("disk-sha")
    if r and (r.rc != 0 or r.text.split()[:1] != [ctx.disks["d0"].sha256]):
        ctx.fail("disk image read by virtio_blk: %r %r, host wrote sha256 %s"
                 % (r.text, r.stderr, ctx.disks["d0"].sha256))
    if ctx.checkpoints != ["boot", "middle"]:
        ctx.fail("checkpoints: %s" % ctx.checkpoints)


SCENARIO = Scenario(
    name="smoke",
    description="harness self-check: boot, handshake, QMP, result channel, modules, disk",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x04, backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x05, port=True, backend=drive("d0", "d0")),
    ],
    disks=[Disk("d0")],
    modules=["virtio_pci", "virtio_blk"],
    script=SCRIPT,
    hooks={"middle": middle},
    checks=[check_results],
    needs_virtioctl=False,
)
