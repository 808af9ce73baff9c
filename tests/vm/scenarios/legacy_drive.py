"""Driving devices through the legacy interface, checked against QEMU.

Step by step on a legacy-only entropy device (one virtioctl process fed
through a FIFO, a checkpoint after each command, as in drive.py): status
steps without FEATURES_OK (the legacy interface has none), 32-bit feature
negotiation, `vring setup` with the legacy layout (QUEUE_NUM's fixed size,
one 4096-aligned block named by QUEUE_PFN: QEMU's vring-desc/avail/used
must be where the legacy layout puts them), post/kick (QUEUE_NOTIFY)/poll,
and the reset. Then the self-tests of legacy-only entropy, block, console
and net devices and of transitional ones with `--transport legacy`, and a
refusal: a ring size other than QUEUE_NUM.
"""

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive
from scenarios._common import drive

LEGACY = ["rng0", "blk0", "ser0", "net0"]
TRANSITIONAL = ["rng1", "blk1", "net1"]

STEPS = [
    ("s-reset", "status R reset"),
    ("s-ack", "status R ack"),
    ("s-driver", "status R driver"),
    ("s-features", "features R negotiate"),
    ("s-vring", "vring R setup 0"),
    ("s-dok", "status R driver-ok"),
    ("s-post", "post R 0 w:32"),
    ("s-kick", "kick R 0"),
    ("s-poll", "poll R 0 --timeout 10000"),
    ("s-show", "vring R show 0"),
    ("s-reset2", "status R reset"),
]

SCRIPT = r'''
# The DMA plan for legacy rings: a 256-entry legacy ring is 10246
# contiguous bytes, which small pages rarely give; hugepages always do.
echo 8 > /proc/sys/vm/nr_hugepages
R=$(vm_addr rng0)
%(stepper)s
for id in %(legacy)s; do
	vm_run st-$id virtioctl --json selftest $(vm_addr $id)
done
for id in %(transitional)s; do
	vm_run st-$id virtioctl --json --transport legacy selftest $(vm_addr $id)
done
vm_checkpoint selftests
cat > /tmp/bad.vctl <<EOF
status $R reset
status $R ack
status $R driver
features $R negotiate
vring $R setup 0 4
EOF
vm_run bad-size virtioctl -f /tmp/bad.vctl
vm_checkpoint refused
''' % {
    "stepper": _drive.stepper(STEPS),
    "legacy": " ".join(LEGACY),
    "transitional": " ".join(TRANSITIONAL),
}


def check_steps(ctx):
    rng = ctx.scenario.device("rng0")
    # No FEATURES_OK on the legacy interface.
    _drive.check_status_steps(ctx, "rng0", {
        "s-reset": 0, "s-ack": 1, "s-driver": 3, "s-features": 3, "s-vring": 3, "s-dok": 7,
        "s-poll": 7, "s-reset2": 0})
    by_step = _drive.step_results(ctx, STEPS)
    if by_step is None:
        return
    snap = ctx.snapshots.get("s-features")
    if snap:
        guest = features.bits_of(4, snap["rng0"]["guest-features"])
        ours = int(by_step["s-features"]["driver_features"], 16)
        # QEMU applies a legacy driver's write at once; 32 bits only
        if guest != ours or guest >> 32:
            ctx.fail("negotiated features", device=rng, field="guest-features",
                     virtioctl="0x%016x" % ours, qemu="0x%016x" % guest)
    ring = by_step["s-vring"].get("vring", {})
    q0 = _drive.check_ring_matches(ctx, "rng0", "s-vring", ring)
    if q0:
        n = q0.get("vring-num", 0)
        desc = q0.get("vring-desc", 1)
        if (desc % 4096 or q0.get("vring-avail") != desc + 16 * n or
                q0.get("vring-used") != (desc + 16 * n + 6 + 2 * n + 4095) // 4096 * 4096):
            ctx.fail("QEMU's rings are not in the legacy layout", device=rng, qemu=q0)
    if ring.get("layout") != "legacy":
        ctx.fail("vring setup layout", device=rng, virtioctl=ring.get("layout"),
                 qemu="legacy")
    _drive.check_poll(ctx, "rng0", "s-poll", by_step["s-poll"], 32)
    q = ctx.queue_snapshots.get("s-reset2", {}).get("rng0", [])
    if q and q[0].get("vring-desc") != 0:
        ctx.fail("queue 0 still set after the reset", device=rng, qemu=q[0])


def check_selftests(ctx):
    _drive.check_selftests(ctx, entropy=("rng0", "rng1"), block={"blk0": "d0", "blk1": "d1"},
                           console=("ser0",), net={"net0": "net0.pcap", "net1": "net1.pcap"},
                           interface="legacy", reset_at="selftests")


def check_refused(ctx):
    r = ctx.result("bad-size")
    if r and (r.rc != 2 or b"fixed size" not in r.stderr):
        ctx.fail("vring setup with a size other than QUEUE_NUM: rc %s, stderr %r"
                 % (r.rc, r.stderr[-300:]))
    q = ctx.queue_snapshots.get("refused", {}).get("rng0", [{}])
    if q and q[0].get("vring-desc", 0) != 0:
        ctx.fail("refused vring setup still programmed the queue", qemu=q[0])


SCENARIO = Scenario(
    name="legacy_drive",
    description="driving and self-tests through the legacy interface vs QMP",
    devices=[
        Device("rng0", "virtio-rng-pci,disable-modern=on", 0x02),
        Device("blk0", "virtio-blk-pci,drive=d0,disable-modern=on", 0x03,
               backend=drive("d0", "d0")),
        Device("ser0", "virtio-serial-pci,disable-modern=on,max_ports=2", 0x04, **_drive.console_port("ser0")),
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,disable-modern=on", 0x05,
               backend=_drive.lossy_net("hn0", "net0.pcap")),
        Device("rng1", "virtio-rng-pci", 0x06),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x07, backend=drive("d1", "d1")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=", 0x08,
               backend=_drive.lossy_net("hn1", "net1.pcap")),
    ],
    disks=[Disk("d0"), Disk("d1")],
    script=SCRIPT,
    checks=[check_steps, check_selftests, check_refused],
    timeout=300,
)
