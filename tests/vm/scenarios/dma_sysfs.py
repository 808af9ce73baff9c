"""The sysfs DMA backend in a guest without an IOMMU: unbound virtio-rng
devices opened through sysfs, DMA memory pinned with bus addresses from
pagemap, bus mastering switched on for the run and restored after, and the
device itself writing random bytes into that memory through a one-buffer
ring (tests/unit/dma_probe.c): small pages, hugetlb pages, the legacy
interface's physically contiguous ring, and without THP or hugepages."""

import json

from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _dma
from scenarios._common import drive

CMD = "od -An -tx2 -j4 -N2 /sys/bus/pci/devices/%s/config"

SCRIPT = _dma.FETCH + r'''
rng=$(vm_addr rng0); rngt=$(vm_addr rng1); blk=$(vm_addr blk0)
vm_run cmd-rng0-before sh -c "''' + CMD % "$rng" + r'''"
vm_run probe-small dma_probe --dma sysfs --rng $rng
vm_run cmd-rng0-after sh -c "''' + CMD % "$rng" + r'''"
vm_checkpoint after-small
vm_run probe-legacy dma_probe --rng --legacy $rngt
vm_run probe-transitional dma_probe --rng $rngt
vm_run probe-blk dma_probe $blk
echo 8 > /proc/sys/vm/nr_hugepages
vm_run hugepages cat /proc/sys/vm/nr_hugepages
vm_run probe-huge dma_probe --rng $rng
vm_run probe-huge-legacy dma_probe --rng --legacy $rngt
echo 0 > /proc/sys/vm/nr_hugepages
vm_run thp cat /sys/kernel/mm/transparent_hugepage/enabled
echo never > /sys/kernel/mm/transparent_hugepage/enabled
vm_run probe-nothp-legacy dma_probe --rng --legacy $rngt
vm_run probe-user su nobody -c "dma_probe --rng $rng"
vm_run cmd-rng0-end sh -c "''' + CMD % "$rng" + r'''"
# figures for the report, not checks (sysfs DMA, small pages)
vm_run bench-sysfs-blk0 virtioctl --json bench $blk --duration 1000
vm_run bench-sysfs-rng0 virtioctl --json bench $rng --duration 1000
# memory decoding off (as after a kernel driver's disable): switched on for
# the run, and off again after
printf '\000\001' | dd of=/sys/bus/pci/devices/$rng/config bs=2 seek=2 count=1 conv=notrunc 2>/dev/null
vm_run probe-nodecode dma_probe --rng $rng
vm_run cmd-rng0-nodecode sh -c "''' + CMD % "$rng" + r'''"
vm_checkpoint done
'''


def check(ctx):
    P = {}
    for n in ("probe-small", "probe-legacy", "probe-transitional", "probe-blk", "probe-huge",
              "probe-huge-legacy", "probe-nothp-legacy", "probe-user"):
        P[n] = _dma.parse(ctx, n)
    for n, what in (("probe-small", "4 KiB pages, modern"),
                    ("probe-legacy", "legacy interface, contiguous ring"),
                    ("probe-transitional", "modern interface of a transitional device"),
                    ("probe-blk", "firmware-left bus mastering"),
                    ("probe-huge", "hugetlb pages"),
                    ("probe-huge-legacy", "hugetlb pages, legacy ring")):
        p = P[n]
        if not _dma.expect_pass(ctx, n, p, what):
            continue
        if p.get("backend") != "sysfs" or p.get("dma") != "sysfs":
            ctx.fail("%s: backend %s, dma %s; want sysfs" % (n, p.get("backend"), p.get("dma")))
        _dma.expect_master_cycle(ctx, n, p)
        if n != "probe-blk":
            _dma.expect_rng(ctx, n, p)
    # independent of virtioctl: the config file before and after
    r0, r1 = ctx.result("cmd-rng0-before"), ctx.result("cmd-rng0-after")
    p = P["probe-small"]
    if r0 and r1 and p:
        b, a = int(r0.text.split()[0], 16), int(r1.text.split()[0], 16)
        if b != a or b != _dma.hexint(p, "cmd_before"):
            ctx.fail("command register per od: 0x%04x before, 0x%04x after; probe saw 0x%s"
                     % (b, a, p.get("cmd_before")))
        if b & 0x4:
            ctx.note("rng0 had bus mastering on before the probe: the cycle proved less")
    # SeaBIOS leaves virtio-blk mastering: nothing to switch on or restore
    p = P["probe-blk"]
    if p and _dma.hexint(p, "cmd_before") is not None and \
            _dma.hexint(p, "cmd_before") & 0x4 == 0:
        ctx.note("blk0 was not left mastering by the firmware (cmd 0x%s)" % p["cmd_before"])
    for n in ("probe-huge", "probe-huge-legacy"):
        p = P[n]
        if p and _dma.hexint(p, "hugepages_free") not in (None, 7, 6):
            ctx.fail("%s: HugePages_Free %s while DMA memory was held: hugetlb not used"
                     % (n, p.get("hugepages_free")))
    p = P["probe-nothp-legacy"]
    if p and p.get("result") == "pass":
        ctx.note("without THP and hugepages the allocator still found a contiguous run")
    elif p and any("no physically contiguous" in f for f in p["fails"]):
        ctx.note("without THP and hugepages: %s" % "; ".join(p["fails"]))
    else:
        _dma.expect_pass(ctx, "probe-nothp-legacy", p, "no THP, no hugepages")
    p = P["probe-user"]
    want = "pagemap gives no physical addresses (run as root)"
    if p and (want not in p.get("dma_error", "") or "cmd_open" in p):
        ctx.fail("probe as nobody: want the refusal %r before any write, got %r" % (want, p))
    p = P["probe-nodecode"] = _dma.parse(ctx, "probe-nodecode")
    if _dma.expect_pass(ctx, "probe-nodecode", p, "memory decoding off before"):
        _dma.expect_master_cycle(ctx, "probe-nodecode", p)
        _dma.expect_rng(ctx, "probe-nodecode", p)
        if _dma.hexint(p, "cmd_before") != 0x0100:
            ctx.fail("probe-nodecode: command register 0x%s before, want 0x0100 (the test's "
                     "own config write failed?)" % p.get("cmd_before"))
    r = ctx.result("cmd-rng0-nodecode")
    if r and r.text.split() != ["0100"]:
        ctx.fail("after probe-nodecode od reads %r, want 0100" % r.text)
    for n in ("bench-sysfs-blk0", "bench-sysfs-rng0"):
        r = ctx.results.get(n)
        if r:
            try:
                doc = json.loads(r.text)
                doc = {k: v for k, v in doc.items() if k not in ("steps", "address")}
            except ValueError:
                doc = r.stderr.decode()[-300:]
            ctx.note("%s (rc %s): %s" % (n, r.rc, doc))
    for n, p in P.items():
        if p and n != "probe-user":
            for k in ("dma_open_us", "used_wait_us"):
                if k in p:
                    ctx.note("%s %s %s" % (n, k, p[k]))


SCENARIO = Scenario(
    name="dma_sysfs",
    description="sysfs DMA backend: pagemap addresses proven by the device, bus mastering "
                "switched and restored, hugepages and the legacy contiguous ring",
    devices=[
        Device("rng0", "virtio-rng-pci,disable-legacy=on", 0x02, port=True),
        Device("rng1", "virtio-rng-pci", 0x03),  # transitional on pcie.0
        Device("blk0", "virtio-blk-pci,drive=d0", 0x04, backend=drive("d0", "d0")),
    ],
    disks=[Disk("d0")],
    script=SCRIPT,
    hooks={"probe": _dma.send_probe},
    checks=[
        check,
        checks.qmp_status("after-small", 0, devices={"rng0"}, exact=True),
        checks.qmp_status("done", 0, devices={"rng0", "rng1"}, exact=True),
    ],
)
