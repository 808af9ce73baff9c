"""Transitional devices read through their legacy interface
(`--transport legacy`), unbound, cross-checked with QMP like any dump: the
legacy header's 32 host feature bits unfiltered (QEMU's legacy-only bits 24,
27, 30 and net's 6 included), guest features, status, the queue count
found by probing QUEUE_NUM, each queue's size and ring addresses from its
PFN.  Modern-only devices refuse the option (usage error), and legacy-only
devices ignore `--transport modern` (they have one interface)."""

import json

from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive, hubport

TRANSITIONAL = ["net0", "blk0", "rng0", "ser0", "bal0", "scsi0", "fs0", "blk1", "net1"]
MODERN = ["net2", "blk2"]
LEGACY = ["rng3"]

SCRIPT = r'''
vm_dump_all --prefix leg- --transport legacy
vm_run mod-dump-rng3 virtioctl --json --transport modern dump $(vm_addr rng3)
vm_run leg-common-blk0 virtioctl --json --transport legacy common $(vm_addr blk0)
vm_run leg-config-net0 virtioctl --json --transport legacy config $(vm_addr net0)
vm_run mod-config-net0 virtioctl --json config $(vm_addr net0)
vm_run bad-transport virtioctl --transport pci dump $(vm_addr blk0)
vm_checkpoint dumped
'''


def check_refusals(ctx):
    for dev in MODERN:
        r = ctx.result("leg-dump-" + dev)
        if r and (r.rc != 2 or b"modern-only" not in r.stderr):
            ctx.fail("--transport legacy on a modern-only device: rc %s, stderr %r"
                     % (r.rc, r.stderr[-300:]), device=ctx.scenario.device(dev))
    r = ctx.result("bad-transport")
    if r and (r.rc != 2 or b"expected modern or legacy" not in r.stderr):
        ctx.fail("--transport pci: rc %s, stderr %r" % (r.rc, r.stderr[-300:]))
    doc = checks.parse_json(ctx, "mod-dump-rng3")
    if doc is not None and doc.get("interface") != "legacy":
        ctx.fail("--transport modern on a legacy-only device", field="interface",
                 device=ctx.scenario.device("rng3"), virtioctl=doc.get("interface"),
                 qemu="legacy (its only interface)")


def check_interface_and_header(ctx):
    snap = ctx.snapshots.get("dumped", {})
    for dev in TRANSITIONAL + LEGACY:
        d = ctx.scenario.device(dev)
        doc = checks.parse_json(ctx, "leg-dump-" + dev, device=d)
        if doc is None:
            continue
        if doc.get("interface") != "legacy":
            ctx.fail("interface", device=d, field="interface",
                     virtioctl=doc.get("interface"), qemu="legacy")
        h = doc.get("legacy_header")
        if not isinstance(h, dict):
            ctx.fail("no legacy_header", device=d, virtioctl=h)
            continue
        st = snap.get(dev, {})
        if "queue-sel" in st and h.get("queue_sel") != st["queue-sel"]:
            ctx.fail("legacy header", device=d, field="queue_sel",
                     virtioctl=h.get("queue_sel"), qemu=st["queue-sel"])
        # QEMU's legacy config offset follows MSI-X *enable*: these
        # unbound devices have it off (SeaBIOS does not use MSI-X)
        if h.get("msix_enabled") or h.get("device_config_offset") != 0x14:
            ctx.fail("legacy header MSI-X/config offset", device=d,
                     virtioctl=(h.get("msix_enabled"), h.get("device_config_offset")),
                     qemu="MSI-X disabled: device config at 0x14")
        if h.get("isr") is not None:
            ctx.fail("the legacy header listing read the ISR", device=d)
    # the same config decoded through both interfaces
    leg = checks.parse_json(ctx, "leg-config-net0")
    mod = checks.parse_json(ctx, "mod-config-net0")
    if leg and mod and leg.get("config", {}).get("mac") != mod.get("config", {}).get("mac"):
        ctx.fail("net config through the legacy header differs from the modern one",
                 field="config.mac", virtioctl=json.dumps(leg.get("config")),
                 qemu=json.dumps(mod.get("config")))


SCENARIO = Scenario(
    name="legacy_iface",
    description="transitional devices read through --transport legacy, unbound: dump vs QMP",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,mq=on", 0x02, backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0,num-queues=2", 0x03, backend=drive("d0", "d0")),
        Device("rng0", "virtio-rng-pci", 0x04),
        Device("ser0", "virtio-serial-pci,max_ports=2", 0x05),
        Device("bal0", "virtio-balloon-pci", 0x06),
        Device("scsi0", "virtio-scsi-pci,num_queues=2", 0x07),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share", 0x08,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        Device("blk1", "virtio-blk-pci,drive=d1,disable-legacy=off", 0x09, port=True,
               backend=drive("d1", "d1")),
        Device("net1", "virtio-net-pci-transitional,netdev=hn1,romfile=", 0x0a,
               port=True, backend=hubport("hn1")),
        Device("net2", "virtio-net-pci-non-transitional,netdev=hn2,romfile=", 0x0b,
               backend=hubport("hn2")),
        Device("blk2", "virtio-blk-pci,drive=d2", 0x0c, port=True, backend=drive("d2", "d2")),
        Device("rng3", "virtio-rng-pci,disable-modern=on", 0x0d),
    ],
    disks=[Disk("d0"), Disk("d1"), Disk("d2")],
    dirs=["9p"],
    script=SCRIPT,
    checks=[
        checks.list_matches(driver=None, command="leg-list"),
        checks.dumps_match("dumped", prefix="leg-dump-", devices=set(TRANSITIONAL + LEGACY)),
        check_refusals,
        check_interface_and_header,
    ],
)
