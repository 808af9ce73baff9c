"""Known-answer self-tests of the device types beyond entropy, block,
console and net, against QEMU 7.2's devices (issue 12, item 3).

SCSI: INQUIRY names QEMU's scsi-hd, READ CAPACITY(10) the image's size, and
data_sha256 of READ(10) of LBA 0-7 is the disk image's first 4 KiB; a second
scsi-hd with vendor=ACME makes the self-test fail (the known answer is
checked, not just printed).  balloon: one page inflated and deflated, with
QEMU's BALLOON_CHANGE events and query-balloon following, statistics
handed back at QEMU's polling interval.  input: the keyboard's and the
tablet's config selects, and what QMP input-send-event sends (a key, an
absolute X position) arrives with its type, code and value.  crypto
(cryptodev-backend-builtin): an AES-128-CBC session, the NIST SP 800-38A
F.2.1 vector encrypted to the published ciphertext, the session destroyed.
GPU: GET_DISPLAY_INFO gives the xres/yres QEMU was given, GET_EDID a valid
base block whose preferred mode is that size, a 2D resource is created,
backed, transferred, flushed and unreferenced.  pmem: start and size are what QMP
query-memory-devices says, FLUSH ret 0.  IOMMU: PROBE, ATTACH, MAP, UNMAP
and DETACH of an endpoint behind it (an unbound rng created after the
IOMMU) all OK; an endpoint that does not exist fails with NOENT.  Every
device reads status 0 after its self-test.  The driven devices come before
the IOMMU on the command line, so their DMA is not translated by it.
"""

import json

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive
from scenarios._common import drive

DEVICES = ["scsi0", "scsi1", "pmem0", "bal0", "kbd0", "tab0", "crypto0", "gpu0", "iommu0", "ep0"]

SCRIPT = r'''
for id in %(devices)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_run st-scsi0 virtioctl --json selftest $(vm_addr scsi0)
vm_run st-scsi0-text virtioctl selftest $(vm_addr scsi0)
vm_run st-scsi1 virtioctl --json selftest $(vm_addr scsi1)
vm_run st-pmem0 virtioctl --json selftest $(vm_addr pmem0)
vm_checkpoint balloon-ready
vm_run st-bal0 virtioctl --json selftest --timeout 5000 $(vm_addr bal0)
# The input self-tests wait for an event; the host injects it once the
# device is live (hooks of inject-ID).
for id in kbd0 tab0; do
	virtioctl --json selftest --timeout 30000 $(vm_addr $id) > /tmp/$id.out 2> /tmp/$id.err &
	KPID=$!
	sleep 1
	vm_checkpoint inject-$id
	wait $KPID
	echo $? > /tmp/$id.rc
	vm_run st-$id sh -c "cat /tmp/$id.out; cat /tmp/$id.err >&2; exit \$(cat /tmp/$id.rc)"
done
vm_run st-crypto0 virtioctl --json selftest $(vm_addr crypto0)
vm_run st-gpu0 virtioctl --json selftest $(vm_addr gpu0)
vm_run st-iommu0 virtioctl --json selftest --endpoint $(vm_addr ep0) $(vm_addr iommu0)
vm_run st-iommu0-noent virtioctl --json selftest --endpoint 0xfff8 $(vm_addr iommu0)
vm_checkpoint selftests
''' % {"devices": " ".join(DEVICES)}


def _doc(ctx, name):
    r = ctx.result(name)
    if r is None:
        return None, None
    try:
        return r, json.loads(r.text)
    except ValueError:
        ctx.fail("%s: not JSON (rc %s): %r %r" % (name, r.rc, r.text[:200], r.stderr[-300:]))
        return r, None


def _check(doc, name):
    for c in doc.get("checks", []):
        if c.get("check") == name:
            return c
    return {}


def check_scsi(ctx):
    dev = ctx.scenario.device("scsi0")
    doc = _drive.selftest_doc(ctx, "scsi0", "modern")
    if doc:
        want = ctx.disks["d0"].sha256_4k
        if doc.get("data_sha256") != want:
            ctx.fail("READ(10) of LBA 0-7", device=dev, field="data_sha256",
                     virtioctl=doc.get("data_sha256"),
                     qemu="%s (the disk image's first 4096 bytes)" % want)
        for name, value in (("vendor", "QEMU"), ("product", "QEMU HARDDISK")):
            c = _check(doc, name)
            if c.get("got") != value or c.get("expected") != value or c.get("ok") is not True:
                ctx.fail("INQUIRY %s" % name, device=dev, field="checks." + name,
                         virtioctl=c, qemu=value)
        cap = [s for s in doc.get("steps", []) if s.get("step") == "read-capacity"]
        blocks = ctx.disks["d0"].size // 512
        want_cap = "last LBA %d, 512-byte blocks" % (blocks - 1)
        if not cap or cap[0].get("detail") != want_cap:
            ctx.fail("READ CAPACITY(10)", device=dev, field="steps.read-capacity",
                     virtioctl=cap, qemu=want_cap + " (the image's size)")
    text = ctx.result("st-scsi0-text")
    if text and ("QEMU HARDDISK" not in text.text or ctx.disks["d0"].sha256_4k not in text.text):
        ctx.fail("selftest text output: %r" % text.text[-600:])
    # The vendor QEMU was given is not the known answer: the test must fail.
    r, bad = _doc(ctx, "st-scsi1")
    if r is not None and (r.rc == 0 or "vendor: expected QEMU, got ACME" not in r.stderr.decode()
                          or (bad or {}).get("passed") is not False):
        ctx.fail("scsi-hd with vendor=ACME: rc %s, stderr %r, passed %r" % (
            r.rc, r.stderr[-300:], (bad or {}).get("passed")), device=ctx.scenario.device("scsi1"))


def check_pmem(ctx):
    dev = ctx.scenario.device("pmem0")
    doc = _drive.selftest_doc(ctx, "pmem0", "modern")
    mem = [m["data"] for m in getattr(ctx, "memory_devices", [])
           if m.get("type") == "virtio-pmem" and m.get("data", {}).get("id") == "pmem0"]
    if not mem:
        ctx.fail("QMP query-memory-devices has no virtio-pmem pmem0", device=dev)
        return
    if doc:
        start = doc.get("pmem_start")
        if start is None or int(start, 16) != mem[0]["memaddr"]:
            ctx.fail("pmem region start", device=dev, field="pmem_start", virtioctl=start,
                     qemu="0x%x" % mem[0]["memaddr"])
        if doc.get("pmem_size") != mem[0]["size"]:
            ctx.fail("pmem region size", device=dev, field="pmem_size",
                     virtioctl=doc.get("pmem_size"), qemu=mem[0]["size"])
        c = _check(doc, "flush ret")
        if c.get("got") != "0" or c.get("ok") is not True:
            ctx.fail("FLUSH", device=dev, field="checks.flush ret", virtioctl=c, qemu="0")


def check_iommu(ctx):
    dev = ctx.scenario.device("iommu0")
    doc = _drive.selftest_doc(ctx, "iommu0", "modern")
    if doc:
        for req in ("probe", "attach", "map", "unmap", "detach"):
            c = _check(doc, req)
            if c.get("got") != "OK (0)" or c.get("ok") is not True:
                ctx.fail("%s request" % req.upper(), device=dev, field="checks." + req,
                         virtioctl=c, qemu="VIRTIO_IOMMU_S_OK")
    r, bad = _doc(ctx, "st-iommu0-noent")
    if r is not None and (r.rc == 0 or "NOENT" not in r.stderr.decode()):
        ctx.fail("an endpoint that does not exist: rc %s, stderr %r" % (r.rc, r.stderr[-300:]),
                 device=dev)


def check_balloon(ctx):
    """Inflate then deflate: QEMU announces each `actual` the driver wrote
    (BALLOON_CHANGE, in bytes of guest RAM left), query-balloon ends where
    it began, and the statistics buffer reached QEMU and was handed back
    at its 1 s polling interval."""
    dev = ctx.scenario.device("bal0")
    doc = _drive.selftest_doc(ctx, "bal0", "modern")
    base = getattr(ctx, "balloon_before", None)
    after = getattr(ctx, "balloon_after", None)
    if base is None or after is None:
        ctx.fail("no query-balloon before and after the balloon selftest", device=dev)
        return
    changes = [e["data"]["actual"] for e in ctx.qmp.events if e.get("event") == "BALLOON_CHANGE"]
    want = [base - 4096, base]
    if changes != want:
        ctx.fail("BALLOON_CHANGE events", device=dev, field="actual",
                 virtioctl="inflate one page, deflate it", qemu="%r (want %r)" % (changes, want))
    if after != base:
        ctx.fail("query-balloon after the selftest", device=dev, field="actual",
                 virtioctl=base, qemu=after)
    if doc:
        for name, value in (("actual after inflate", "1"), ("actual after deflate", "0")):
            c = _check(doc, name)
            if c.get("got") != value or c.get("ok") is not True:
                ctx.fail(name, device=dev, field="checks." + name, virtioctl=c, qemu=value)
        if doc.get("stats_answered") is not True:
            ctx.fail("statistics buffer not handed back", device=dev, field="stats_answered",
                     virtioctl=doc.get("stats_answered"), qemu="polling every 1 s")
    stats = getattr(ctx, "balloon_stats", {})
    if not stats.get("last-update"):
        ctx.fail("QEMU got no statistics", device=dev, field="guest-stats", qemu=stats)


# Per input device: config QEMU 7.2 gives it (name, bus type, vendor,
# product), EV_BITS types it must announce, the event injected and the
# event the guest must see (type, code, value).
INPUTS = {
    "kbd0": ("QEMU Virtio Keyboard", 1, {1, 0x11},
             {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "a"}}},
             (1, 30, 1)),
    "tab0": ("QEMU Virtio Tablet", 3, {1, 3},
             {"type": "abs", "data": {"axis": "x", "value": 12345}},
             (3, 0, 12345)),
}


def check_input(ctx):
    """The config as QEMU's virtio-keyboard and virtio-tablet have it, and
    the event QMP input-send-event sent: the key 'a' (EV_KEY, KEY_A 30,
    value 1) and the tablet's X axis (EV_ABS, ABS_X 0, 12345)."""
    for dev_id, (name, product, types_want, _, event) in INPUTS.items():
        dev = ctx.scenario.device(dev_id)
        if dev_id not in getattr(ctx, "injected", set()):
            ctx.fail("the device never went live: no event injected", device=dev)
        doc = _drive.selftest_doc(ctx, dev_id, "modern")
        if not doc:
            continue
        inp = doc.get("input", {})
        ids = inp.get("devids") or {}
        want = {"name": name, "bustype": 6, "vendor": 0x0627, "product": product}
        got = {"name": inp.get("name"), "bustype": ids.get("bustype"),
               "vendor": ids.get("vendor"), "product": ids.get("product")}
        if got != want:
            ctx.fail("input config", device=dev, field="input", virtioctl=got, qemu=want)
        types = {t.get("type") for t in inp.get("ev_types", [])}
        if not types_want <= types:
            ctx.fail("EV_BITS types", device=dev, field="input.ev_types",
                     virtioctl=sorted(types), qemu="%s among them" % sorted(types_want))
        if 3 in types_want:
            axes = {a.get("axis"): a for a in inp.get("abs", [])}
            for axis in (0, 1):
                a = axes.get(axis, {})
                if a.get("min") != 0 or a.get("max") != 0x7fff:
                    ctx.fail("ABS_INFO of axis %d" % axis, device=dev, field="input.abs",
                             virtioctl=a, qemu="min 0, max 32767")
        ev = doc.get("event", {})
        if (ev.get("type"), ev.get("code"), ev.get("value")) != event:
            ctx.fail("injected event", device=dev, field="event", virtioctl=ev,
                     qemu="type %d code %d value %d" % event)


# NIST SP 800-38A F.2.1 CBC-AES128.Encrypt ciphertext, written out here on
# its own so a wrong constant in virtioctl cannot make this check pass.
NIST_CBC_AES128 = ("7649abac8119b246cee98e9b12e9197d" "5086cb9b507219ee95db113a917678b2"
                   "73bed6b8e3c1743b7116e69e22229516" "3ff1caa1681fac09120eca307586e1a7")


def check_crypto(ctx):
    """QEMU's builtin cryptodev encrypts the NIST vector to the published
    ciphertext; the session is created and destroyed with status OK."""
    dev = ctx.scenario.device("crypto0")
    doc = _drive.selftest_doc(ctx, "crypto0", "modern")
    if not doc:
        return
    c = _check(doc, "ciphertext (SP 800-38A F.2.1)")
    if c.get("got") != NIST_CBC_AES128 or c.get("ok") is not True:
        ctx.fail("AES-128-CBC ciphertext", device=dev, field="checks.ciphertext",
                 virtioctl=c.get("got"), qemu=NIST_CBC_AES128 + " (the published one)")
    for name in ("create-session", "encrypt", "destroy-session"):
        c = _check(doc, name)
        if c.get("got") != "OK (0)" or c.get("ok") is not True:
            ctx.fail(name, device=dev, field="checks." + name, virtioctl=c,
                     qemu="VIRTIO_CRYPTO_OK")


GPU_XRES, GPU_YRES = 800, 600


def check_gpu(ctx):
    """GET_DISPLAY_INFO gives the scanout size QEMU was given (xres, yres);
    EDID and the 2D resource commands answer with their success types."""
    dev = ctx.scenario.device("gpu0")
    doc = _drive.selftest_doc(ctx, "gpu0", "modern")
    if not doc:
        return
    sc = doc.get("scanout0", {})
    if (sc.get("xres"), sc.get("yres"), sc.get("enabled")) != (GPU_XRES, GPU_YRES, True):
        ctx.fail("GET_DISPLAY_INFO scanout 0", device=dev, field="scanout0", virtioctl=sc,
                 qemu="xres=%d,yres=%d, enabled" % (GPU_XRES, GPU_YRES))
    for name in ("get-display-info", "get-edid", "edid base block", "edid preferred mode",
                 "resource-create-2d", "attach-backing", "transfer-to-host-2d",
                 "resource-flush", "resource-unref"):
        if _check(doc, name).get("ok") is not True:
            ctx.fail(name, device=dev, field="checks." + name, virtioctl=_check(doc, name))


def check_reset(ctx):
    st = ctx.snapshots.get("selftests", {})
    for dev in ("scsi0", "scsi1", "pmem0", "bal0", "kbd0", "tab0", "crypto0", "gpu0", "iommu0"):
        if dev in st and features.status_of(st[dev]["status"]) != 0:
            ctx.fail("device not reset after its selftest", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st[dev]["status"]))


def memory_devices(ctx):
    ctx.memory_devices = ctx.qmp.command("query-memory-devices")
    ctx.balloon_after = ctx.qmp.command("query-balloon")["actual"]
    ctx.balloon_stats = ctx.qmp.command("qom-get", path="/machine/peripheral/bal0",
                                        property="guest-stats")


def injector(dev, event):
    """A hook: once DEV is DRIVER_OK and its event buffers offered, send
    EVENT (virtio-input takes host input while it is the last device that
    went live)."""
    def hook(ctx):
        import time
        path = "/machine/peripheral/%s/virtio-backend" % dev
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st = ctx.qmp.command("x-query-virtio-status", path=path)
            if features.status_of(st["status"]) & 4:
                break
            time.sleep(0.2)
        else:
            return
        time.sleep(1)  # the buffers follow DRIVER_OK at once; QMP cannot see them offered
        ctx.qmp.command("input-send-event", events=[event])
        ctx.injected = getattr(ctx, "injected", set()) | {dev}
    return hook


def balloon_ready(ctx):
    """QEMU asks for statistics every second; the baseline of `actual`."""
    ctx.qmp.command("qom-set", path="/machine/peripheral/bal0",
                    property="guest-stats-polling-interval", value=1)
    ctx.balloon_before = ctx.qmp.command("query-balloon")["actual"]
    ctx.qmp.events[:] = [e for e in ctx.qmp.events if e.get("event") != "BALLOON_CHANGE"]


SCENARIO = Scenario(
    name="selftests",
    description="SCSI, pmem, balloon, input, crypto, GPU and IOMMU self-tests: known answers vs the images and QMP",
    devices=[
        Device("scsi0", "virtio-scsi-pci,disable-legacy=on", 0x02, port=True,
               backend=drive("sd0", "d0"),
               children=["-device", "scsi-hd,drive=sd0,bus=scsi0.0,channel=0,scsi-id=0,lun=0"]),
        Device("scsi1", "virtio-scsi-pci,disable-legacy=on", 0x03, port=True,
               backend=drive("sd1", "d1"),
               children=["-device", "scsi-hd,drive=sd1,bus=scsi1.0,channel=0,scsi-id=0,lun=0,"
                         "vendor=ACME"]),
        Device("pmem0", "virtio-pmem-pci,memdev=pm0", 0x04, port=True,
               backend=["-object", "memory-backend-file,id=pm0,mem-path={tmp}/pmem.img,"
                        "size=4M,share=on"]),
        Device("bal0", "virtio-balloon-pci,disable-legacy=on", 0x07, port=True),
        Device("kbd0", "virtio-keyboard-pci", 0x08, port=True),
        Device("tab0", "virtio-tablet-pci", 0x09, port=True),
        Device("crypto0", "virtio-crypto-pci,cryptodev=cr0", 0x0a, port=True,
               backend=["-object", "cryptodev-backend-builtin,id=cr0"]),
        Device("gpu0", "virtio-gpu-pci,xres=%d,yres=%d" % (GPU_XRES, GPU_YRES), 0x0b,
               port=True),
        # virtio-iommu sits on the root bus; devices created after it are its endpoints.
        Device("iommu0", "virtio-iommu-pci", 0x05),
        Device("ep0", "virtio-rng-pci", 0x06),
    ],
    disks=[Disk("d0"), Disk("d1")],
    memory="512M,slots=4,maxmem=2G",
    script=SCRIPT,
    hooks=dict({"balloon-ready": balloon_ready, "selftests": memory_devices},
               **{"inject-" + d: injector(d, v[3]) for d, v in INPUTS.items()}),
    checks=[check_scsi, check_pmem, check_balloon, check_input, check_crypto, check_gpu,
            check_iommu, check_reset],
    timeout=300,
)
