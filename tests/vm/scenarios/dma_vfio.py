"""The VFIO backend in a guest with an Intel IOMMU (intremap on, the guest
with intel_iommu=on): modern virtio devices with iommu_platform=on behind
PCIe root ports, two of them bound to vfio-pci. virtioctl opens those through
VFIO (config and BARs through the VFIO regions) and its dump must agree with
QEMU; tests/unit/dma_probe.c maps DMA memory at IOVAs through the container
and has the rng device write into it, once polling the used ring and once
waiting on the queue's MSI-X eventfd; the sysfs backend must refuse the
translated devices; and opening a busy or non-viable group must fail with a
one-line reason."""

import json

from vmharness import checks, features
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _dma
from scenarios._common import drive

IOMMU = "iommu_platform=on,disable-legacy=on"

SCRIPT = _dma.FETCH + r'''
vm_modprobe vfio_pci vfio_iommu_type1
rng=$(vm_addr rng0); blk=$(vm_addr blk0); rng1=$(vm_addr rng1); mf0=$(vm_addr mf0)
rngt=$(vm_addr rngt)
for d in $rng $blk $mf0 $rngt; do
	echo vfio-pci > /sys/bus/pci/devices/$d/driver_override
	echo $d > /sys/bus/pci/drivers_probe
done
# rng1 stays unbound (translated DMA domain); mf1, in mf0's group, gets a
# kernel driver, which makes that group non-viable
echo none > /sys/bus/pci/devices/$rng1/driver_override
vm_modprobe virtio_pci
vm_sh groups 'for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(basename "$(readlink $d/iommu_group)") $(cat $d/iommu_group/type) $(basename "$(readlink $d/driver)")"; done; ls /dev/vfio'
vm_run dump-vfio-rng0 virtioctl --json dump $rng
vm_run dump-vfio-blk0 virtioctl --json dump $blk
vm_checkpoint vfio-dumped
vm_run probe-irq dma_probe --dma vfio --rng --irq $rng
vm_checkpoint after-irq
vm_run probe-poll dma_probe --rng $rng
vm_run probe-flr dma_probe --rng --flr $rng
vm_run probe-blk dma_probe $blk
vm_run refuse-sysfs dma_probe --dma sysfs $rng1
vm_run refuse-sysfs-vfio dma_probe --dma sysfs $rng
vm_run refuse-vfio dma_probe --dma vfio $rng1
vm_sh busy "dma_probe --hold 4 $rng > /tmp/hold.out 2>&1 & sleep 2; virtioctl --json dump $rng; rc=\$?; wait; cat /tmp/hold.out >&2; exit \$rc"
vm_run not-viable virtioctl --json dump $mf0
vm_run legacy-regs dma_probe --legacy-regs $rngt
# virtioctl's own self-tests with its DMA through VFIO (auto picks it)
vm_run st-vfio-rng0 virtioctl --json selftest $rng
vm_run st-vfio-blk0 virtioctl --json selftest $blk
vm_run st-sysfs-rng1 virtioctl --json --dma sysfs selftest $rng1
# The CLI's interrupt path: a queue with an MSI-X vector, poll --irq
cat > /tmp/irq.vctl <<EOF
status $rng reset
status $rng ack
status $rng driver
features $rng negotiate
status $rng features-ok
vring $rng setup 0 --irq
status $rng driver-ok
post $rng 0 w:32
kick $rng 0
poll $rng 0 --irq --timeout 5000
EOF
vm_run cli-irq virtioctl --json -f /tmp/irq.vctl
vm_checkpoint selftests
# figures for the report, not checks: DMA through the IOMMU vs physical
vm_run bench-vfio-blk0 virtioctl --json bench $blk --duration 1000
vm_run bench-vfio-rng0 virtioctl --json bench $rng --duration 1000
vm_sh dmesg 'dmesg | grep -i -e dmar -e vfio -e iommu | tail -30'
vm_checkpoint done
'''


def check_cli_irq(ctx):
    """vring setup --irq gives queue 0 vector 1; poll --irq gets the buffer."""
    r = ctx.result("cli-irq")
    if r is None:
        return
    if r.rc != 0:
        ctx.fail("cli-irq: exit %s: %s" % (r.rc, r.stderr.decode()[-400:]))
        return
    docs = [json.loads(l) for l in r.text.splitlines() if l.strip()]
    ring = docs[5].get("vring", {}) if len(docs) > 5 else {}
    if ring.get("msix_vector") != 1:
        ctx.fail("vring setup --irq: msix_vector %r, want 1" % ring.get("msix_vector"))
    poll = docs[-1] if docs else {}
    if poll.get("count") != 1 or poll.get("used", {}).get("len") != 32:
        ctx.fail("poll --irq: %r" % poll)
    st = ctx.snapshots.get("selftests", {}).get("rng0")
    if st and features.status_of(st["status"]) != 0:
        ctx.fail("rng0 not reset after the --irq script",
                 qemu=features.status_of(st["status"]))


def check(ctx):
    r = ctx.result("groups")
    addr = ctx.addresses
    if r:
        lines = {l.split()[0]: l.split()[1:] for l in r.text.splitlines() if l.strip()}
        for i in ("rng0", "blk0", "mf0", "rngt"):
            if lines.get(addr.get(i), [None] * 3)[2:3] != ["vfio-pci"]:
                ctx.fail("%s not bound to vfio-pci: %r" % (i, lines.get(addr.get(i))))
        t = lines.get(addr.get("rng1"), [None, None])[1]
        if t not in ("DMA", "DMA-FQ"):
            ctx.fail("rng1's IOMMU domain type is %r, want a translated one" % t)
    P = {n: _dma.parse(ctx, n) for n in (
        "probe-irq", "probe-poll", "probe-flr", "probe-blk", "refuse-sysfs", "refuse-sysfs-vfio",
        "refuse-vfio")}
    for n, what in (("probe-irq", "VFIO, MSI-X eventfd"), ("probe-poll", "VFIO, auto"),
                    ("probe-flr", "VFIO, function-level reset at the end"),
                    ("probe-blk", "VFIO, blk")):
        p = P[n]
        if not _dma.expect_pass(ctx, n, p, what):
            continue
        if p.get("backend") != "vfio" or p.get("dma") != "vfio" or \
                p.get("driver") != "vfio-pci":
            ctx.fail("%s: backend %s, dma %s, driver %s; want vfio, vfio, vfio-pci" % (
                n, p.get("backend"), p.get("dma"), p.get("driver")))
        if p.get("vfio_iommu") not in ("type1v2", "type1"):
            ctx.fail("%s: VFIO IOMMU %s" % (n, p.get("vfio_iommu")))
        _dma.expect_master_cycle(ctx, n, p)
        if n != "probe-blk":
            _dma.expect_rng(ctx, n, p)
        for b in p["bufs"]:
            bus = int(b.split()[4], 16)
            if bus < 0x100000000:
                ctx.fail("%s: IOVA 0x%x below 4 GiB" % (n, bus))
    p = P["probe-flr"]
    if p and (p.get("status_before_reset") != "0x0f" or p.get("status_after_flr") != "0x00"):
        ctx.fail("probe-flr: status 0x%s before, 0x%s after VFIO_DEVICE_RESET; want 0x0f, 0x00"
                 % (p.get("status_before_reset"), p.get("status_after_flr")))
    p = P["probe-irq"]
    if p and (_dma.hexint(p, "irq_count") or 0) < 1:
        ctx.fail("probe-irq: no interrupt counted on the queue's eventfd: %r" % p)
    want = {
        "refuse-sysfs": "the IOMMU translates DMA for %s (iommu_group type " % addr.get("rng1"),
        "refuse-sysfs-vfio": "the IOMMU translates DMA for %s" % addr.get("rng0"),
        "refuse-vfio": "DMA through VFIO needs %s bound to vfio-pci" % addr.get("rng1"),
    }
    for n, msg in want.items():
        p = P[n]
        if p and (msg not in p.get("dma_error", "") or "cmd_open" in p):
            ctx.fail("%s: want a refusal %r before any write, got %r" % (n, msg, p))
        elif p and n != "refuse-vfio" and \
                "bind the device to vfio-pci" not in p["dma_error"]:
            ctx.fail("%s: the refusal does not name the remedy: %r" % (n, p["dma_error"]))
    r = ctx.result("busy")
    if r and (r.rc == 0 or "Device or resource busy" not in r.stderr.decode()
              or "open elsewhere" not in r.stderr.decode()):
        ctx.fail("dump of a device whose group another process holds: rc %s, %r" % (
            r.rc, r.stderr.decode()[-400:]))
    r = ctx.result("not-viable")
    if r and (r.rc == 0 or "is not viable" not in r.stderr.decode()):
        ctx.fail("dump of a device in a non-viable group: rc %s, %r" % (
            r.rc, r.stderr.decode()[-400:]))
    check_legacy_regs(ctx)
    check_selftests(ctx)
    for n, p in P.items():
        for k in ("dma_open_us", "used_wait_us", "irq_wait_us"):
            if p and k in p:
                ctx.note("%s %s %s" % (n, k, p[k]))
    for n in ("bench-vfio-blk0", "bench-vfio-rng0"):
        r = ctx.results.get(n)
        if r:
            try:
                doc = json.loads(r.text)
                doc = {k: v for k, v in doc.items() if k not in ("steps", "address")}
            except ValueError:
                doc = r.stderr.decode()[-300:]
            ctx.note("%s (rc %s): %s" % (n, r.rc, doc))
    for n in ("busy", "not-viable"):
        r = ctx.result(n)
        if r:
            said = [l for l in r.stderr.decode().splitlines() if l.startswith("virtioctl:")]
            ctx.note("%s: %s" % (n, said[0] if said else "(nothing)"))


def _selftest(ctx, name):
    doc = checks.parse_json(ctx, name)
    if doc is not None and doc.get("passed") is not True:
        ctx.fail("%s: self-test did not pass: %s" % (name, str(doc)[:600]))
        return None
    return doc


def check_selftests(ctx):
    doc = _selftest(ctx, "st-vfio-rng0")
    if doc and doc.get("data_length") != 64:
        ctx.fail("entropy self-test through VFIO returned %r bytes, asked 64"
                 % doc.get("data_length"))
    doc = _selftest(ctx, "st-vfio-blk0")
    want = ctx.disks["d0"].sha256_4k
    if doc and doc.get("data_sha256") != want:
        ctx.fail("block self-test through VFIO", device=ctx.scenario.device("blk0"),
                 field="data_sha256", virtioctl=doc.get("data_sha256"),
                 qemu="%s (the disk image's first 4096 bytes)" % want)
    r = ctx.result("st-sysfs-rng1")
    if r and (r.rc != 5 or "the IOMMU translates DMA" not in r.stderr.decode()):
        ctx.fail("selftest --dma sysfs on a translated device: rc %s (want 5), %r"
                 % (r.rc, r.stderr.decode()[-400:]))


def check_legacy_regs(ctx):
    """The legacy I/O header read through the VFIO I/O BAR region (pread)
    shows QEMU's low 32 host feature bits unfiltered."""
    p = _dma.parse(ctx, "legacy-regs")
    if not p or p["_rc"] != 0 or p.get("backend") != "vfio":
        ctx.fail("legacy-regs: %r" % p)
        return
    st = ctx.snapshots["done"]["rngt"]
    want = features.bits_of(4, st["host-features"]) & 0xffffffff
    got = _dma.hexint(p, "legacy_host_features")
    if got != want:
        ctx.fail("legacy host features through VFIO", field="host_features",
                 device=ctx.scenario.device("rngt"), virtioctl=got, qemu=want)
    if _dma.hexint(p, "legacy_queue_num") != 8:
        ctx.fail("legacy queue size through VFIO: %s, want 8" % p.get("legacy_queue_num"))


SCENARIO = Scenario(
    name="dma_vfio",
    description="VFIO backend under intel-iommu: dump through VFIO regions, DMA at IOVAs "
                "proven by the device, MSI-X eventfd, sysfs refused, busy/non-viable groups",
    qemu_args=["-device", "intel-iommu,intremap=on"],
    append="intel_iommu=on",
    modules=["vfio_pci", "vfio_iommu_type1", "virtio_pci"],
    devices=[
        Device("rng0", "virtio-rng-pci," + IOMMU, 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0," + IOMMU, 0x03, port=True,
               backend=drive("d0", "d0")),
        Device("rng1", "virtio-rng-pci," + IOMMU, 0x04, port=True),
        # two functions of one device: one IOMMU group
        Device("mf0", "virtio-rng-pci,multifunction=on," + IOMMU, 0x05, port=True,
               children=["-device", "virtio-rng-pci,id=mf1,bus=rp-mf0,addr=0x0.1," + IOMMU]),
        # transitional (legacy I/O BAR) on pcie.0, for the region pread path
        Device("rngt", "virtio-rng-pci", 0x06),
    ],
    disks=[Disk("d0")],
    script=SCRIPT,
    hooks={"probe": _dma.send_probe},
    checks=[
        check,
        check_cli_irq,
        checks.dumps_match("vfio-dumped", prefix="dump-vfio-", devices={"rng0", "blk0"}),
        checks.qmp_status("after-irq", 0, devices={"rng0"}, exact=True),
        checks.qmp_status("selftests", 0, devices={"rng0", "blk0", "rng1"}, exact=True),
        checks.qmp_status("done", 0, devices={"rng0", "blk0", "rng1"}, exact=True),
    ],
)
