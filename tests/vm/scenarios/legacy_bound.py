"""Legacy, transitional and modern devices with the guest's virtio drivers
loaded: the Linux driver-model view and the interrupts.

- `list` and `dump` name the virtio bus device (virtioN), its driver and
  what the driver created (eth0, vda, vport2p1, host0 with sda, the 9p tag,
  virtio_rng.K), as the guest's own sysfs lists them;
- a bound legacy device's registers are read through the legacy I/O header
  (no selector needed for features and status) and QMP agrees; so do those
  of bound transitional devices read with `--transport legacy`; the kernel's
  negotiated features and status match the registers (linux.features_match);
- `irqs` maps every MSI-X vector to the Linux IRQ whose /proc/interrupts
  line (parsed here independently) has the name the virtio driver gave it:
  virtioN-config for the config vector, virtioN-req.0, -input.0, -output.0,
  -input... for each queue's vector (read with --select);
- a device without MSI-X (vectors=0) shows its INTx line and IRQ, and an
  unbound one without MSI-X has its ISR read -- and QEMU's ISR is 0 after
  (read-to-clear), while bound devices' ISRs are never read.
"""

import re

from vmharness import checks, features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive, hubport

LEGACY = ["rng0", "blk0", "net0", "ser0", "scsi0", "fs0", "rng2"]
TRANSITIONAL = ["rng1", "blk1", "net1"]
MODERN = ["blk2"]
BOUND = LEGACY + TRANSITIONAL + MODERN
ALL = BOUND + ["blk3"]

DRIVERS = {"rng": "virtio_rng", "blk": "virtio_blk", "net": "virtio_net",
           "console": "virtio_console", "scsi": "virtio_scsi", "9p": "9pnet_virtio"}

SCRIPT = r'''
echo none > /sys/bus/pci/devices/$(vm_addr blk3)/driver_override
vm_modprobe virtio_pci virtio_net virtio_blk virtio_rng virtio_console virtio_scsi sd_mod \
	9pnet_virtio
vm_wait_bound 20 %(bound)s || vm_log "not every device got bound"
# the SCSI scan and the disks' partition scans run after probe
_t=0
while [ ! -e /sys/block/sda ] && [ $_t -lt 100 ]; do usleep 100000; _t=$((_t + 1)); done
vm_dump_all
vm_dump_all --prefix leg- --transport legacy
vm_dump_all --prefix sel- --select
for id in %(all)s; do
	vm_run irqs-$id virtioctl --json irqs $(vm_addr $id)
	vm_run sirqs-$id virtioctl --json --select irqs $(vm_addr $id)
done
for id in %(transitional)s; do
	vm_run lirqs-$id virtioctl --json --transport legacy irqs $(vm_addr $id)
done
vm_run irqs-text virtioctl irqs $(vm_addr blk0)
vm_sh interrupts 'cat /proc/interrupts'
vm_sh sysfs 'for id in %(all)s; do
	a=$(vm_addr $id); d=$(ls -d /sys/bus/pci/devices/$a/virtio* 2>/dev/null | head -n 1)
	if [ -z "$d" ]; then echo "$id - -"; continue; fi
	r=""
	for n in $(ls $d/net 2>/dev/null); do r="$r net:$n"; done
	for n in $(ls $d/block 2>/dev/null); do r="$r block:$n"; done
	for n in $(ls $d/virtio-ports 2>/dev/null); do r="$r console_port:$n"; done
	for h in $(ls -d $d/host* 2>/dev/null); do r="$r scsi_host:$(basename $h)"; done
	[ -f $d/mount_tag ] && r="$r 9p_mount_tag:$(tr -d "\000\n" < $d/mount_tag)"
	echo "$id $(basename $d) $(basename "$(readlink $d/driver)") $(cat /sys/bus/pci/devices/$a/irq)$r"
done
echo "rng $(cat /sys/class/misc/hw_random/rng_available)"'
vm_checkpoint dumped
''' % {"bound": " ".join(BOUND), "all": " ".join(ALL),
       "transitional": " ".join(TRANSITIONAL)}

# The virtqueue names each driver gives (Linux 6.1): the IRQ of queue q's
# vector is called "virtioN-<name>", or "virtioN-virtqueues" when all
# queues share one vector.
VQ_NAMES = {
    "blk": lambda q, n: "req.%d" % q,
    "net": lambda q, n: "control" if q == n - 1 and n % 2 else
    ("input.%d" if q % 2 == 0 else "output.%d") % (q // 2),
    "rng": lambda q, n: "input",
    "console": lambda q, n: ["input", "output", "control-i", "control-o"][q]
    if q < 4 else ("input" if q % 2 == 0 else "output"),
    "scsi": lambda q, n: ["control", "event", "request"][min(q, 2)],
    "9p": lambda q, n: "requests",
}

PROC_LINE = re.compile(r"^\s*(\d+):((?:\s+\d+)+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$")


def proc_interrupts(ctx):
    """{irq: (chip, hwirq-handler, name, total)} from the guest's file."""
    r = ctx.result("interrupts")
    out = {}
    if r is None:
        return out
    for line in r.text.splitlines()[1:]:
        m = PROC_LINE.match(line)
        if m:
            out[int(m.group(1))] = (m.group(3), m.group(4), m.group(5),
                                    sum(int(x) for x in m.group(2).split()))
    return out


def guest_sysfs(ctx):
    """{id: (virtioN, driver, intx irq, [(kind, name)])} and the rng names."""
    r = ctx.result("sysfs")
    devs, rng = {}, []
    if r is None:
        return devs, rng
    for line in r.text.splitlines():
        parts = line.split()
        if parts and parts[0] == "rng":
            rng = [p for p in parts[1:] if p.startswith("virtio_rng.")]
        elif len(parts) >= 3:
            res = [tuple(p.split(":", 1)) for p in parts[4:]]
            devs[parts[0]] = (parts[1], parts[2], parts[3] if len(parts) > 3 else None, res)
    return devs, rng


def expected_hwrng(devs):
    """virtio_rng.K goes to the K-th device virtio_rng probed, in virtio
    index order (the order the driver core walks the bus)."""
    rngs = sorted((d for d, v in devs.items() if v[1] == "virtio_rng"),
                  key=lambda d: int(devs[d][0][6:]))
    return {d: "virtio_rng.%d" % i for i, d in enumerate(rngs)}


def check_linux_view(ctx):
    devs, rng_names = guest_sysfs(ctx)
    hwrng = expected_hwrng(devs)
    listed = {e.get("address"): e for e in (checks.parse_json(ctx, "list") or [])}
    for dev in BOUND:
        d = ctx.scenario.device(dev)
        doc = checks.parse_json(ctx, "dump-" + dev, device=d)
        if doc is None or dev not in devs:
            ctx.fail("no dump or no guest sysfs entry", device=d)
            continue
        vname, drv, _, res = devs[dev]
        lv = doc.get("linux") or {}
        want_drv = DRIVERS[d.vtype]
        for field, want in (("virtio_device", vname), ("virtio_driver", drv),
                            ("pci_driver", "virtio-pci")):
            if lv.get(field) != want:
                ctx.fail("dump linux", device=d, field="linux." + field,
                         virtioctl=lv.get(field), qemu="%s (guest sysfs)" % want)
        if drv != want_drv:
            ctx.fail("guest bound the wrong driver", device=d, qemu=drv)
        want_res = list(res)
        if d.vtype == "rng":
            want_res.append(("hwrng", hwrng.get(dev)))
            if hwrng.get(dev) not in rng_names:
                ctx.fail("guest rng_available lacks %s: %r" % (hwrng.get(dev), rng_names))
        got = [(r.get("kind"), r.get("name")) for r in lv.get("resources") or []]
        if got != want_res:
            ctx.fail("dump linux.resources", device=d, field="linux.resources",
                     virtioctl=got, qemu="%r (guest sysfs)" % want_res)
        entry = listed.get(ctx.addresses[dev], {})
        # list gives the same objects as dump's linux.resources ([] for none)
        got_list = [(r.get("kind"), r.get("name")) for r in entry.get("resources") or []]
        if not isinstance(entry.get("resources"), list) or got_list != want_res:
            ctx.fail("list resources", device=d, field="resources",
                     virtioctl=entry.get("resources"), qemu="%r (guest sysfs)" % want_res)
        if entry.get("resources") != lv.get("resources"):
            ctx.fail("list resources differ from dump's linux.resources", device=d,
                     field="resources", virtioctl=entry.get("resources"),
                     qemu=lv.get("resources"))
        if entry.get("virtio_bus_device") != vname:
            ctx.fail("list", device=d, field="virtio_bus_device",
                     virtioctl=entry.get("virtio_bus_device"), qemu=vname)
        # legacy registers are readable on a bound device: compare
        if dev in LEGACY:
            for f in ("features_match", "status_match"):
                if lv.get(f) is not True:
                    ctx.fail("dump linux", device=d, field="linux." + f,
                             virtioctl=lv.get(f), qemu="true (registers readable)")
    for dev in ("scsi0",):
        d = ctx.scenario.device(dev)
        doc = checks.parse_json(ctx, "dump-" + dev, device=d) or {}
        hosts = [r for r in (doc.get("linux") or {}).get("resources") or []
                 if r.get("kind") == "scsi_host"]
        if not hosts or "sd" not in (hosts[0].get("detail") or ""):
            ctx.fail("scsi host without its disk", device=d, virtioctl=hosts)


def check_legacy_dumps_of_bound(ctx):
    """Through the legacy header, a bound device's features, guest features
    and status match QEMU's (no selector writes needed)."""
    snap = ctx.snapshots.get("dumped", {})
    for dev in LEGACY + TRANSITIONAL:
        d = ctx.scenario.device(dev)
        prefix = "dump-" if dev in LEGACY else "leg-dump-"
        doc = checks.parse_json(ctx, prefix + dev, device=d)
        if doc is None:
            continue
        if doc.get("interface") != "legacy":
            ctx.fail("interface", device=d, virtioctl=doc.get("interface"), qemu="legacy")
        for f in ("device_features", "driver_features", "device_status"):
            if doc.get(f) is None:
                ctx.fail("bound device, legacy header: %s missing" % f, device=d,
                         virtioctl=doc.get("notes"))
        st = snap.get(dev)
        if st and features.status_of(st["status"]) != 0x0f and dev not in LEGACY:
            ctx.fail("QEMU status", device=d, qemu=features.status_of(st["status"]))


def _rows(doc, key):
    v = doc.get(key)
    return v if isinstance(v, list) else []


def check_irqs(ctx):
    procs = proc_interrupts(ctx)
    devs, _ = guest_sysfs(ctx)
    for dev in BOUND:
        d = ctx.scenario.device(dev)
        doc = checks.parse_json(ctx, "irqs-" + dev, device=d)
        sel = checks.parse_json(ctx, "sirqs-" + dev, device=d)
        if doc is None or sel is None or dev not in devs:
            continue
        vname = devs[dev][0]
        if dev == "rng2":
            check_intx(ctx, d, doc, devs[dev], procs)
            continue
        if not (doc.get("msix") or {}).get("enabled"):
            ctx.fail("irqs: MSI-X not enabled on a bound device", device=d,
                     virtioctl=doc.get("msix"))
            continue
        if not str(doc.get("irq_mapping", "")).startswith("exact"):
            ctx.fail("irqs: mapping", device=d, field="irq_mapping",
                     virtioctl=doc.get("irq_mapping"), qemu="exact (6.1: PCI-MSI hwirq)")
        vec_names = {}
        for row in _rows(sel, "vectors"):
            irq = row.get("linux_irq")
            if irq is None:
                continue
            want = procs.get(irq, (None, None, None, None))[2]
            if row.get("linux_name") != want:
                ctx.fail("irqs: vector %s -> IRQ %s name" % (row.get("vector"), irq),
                         device=d, field="linux_name", virtioctl=row.get("linux_name"),
                         qemu="%r (guest /proc/interrupts)" % want)
            vec_names[row.get("vector")] = row.get("linux_name")
        cv = sel.get("config_vector")
        if cv is None or vec_names.get(cv) != vname + "-config":
            ctx.fail("irqs: config vector", device=d, field="config_vector",
                     virtioctl="%r -> %r" % (cv, vec_names.get(cv)),
                     qemu="%s-config" % vname)
        queues = _rows(sel, "queues")
        if not queues:
            ctx.fail("irqs --select: no queue vectors", device=d, virtioctl=sel.get("notes"))
        n = len(queues)
        for q in queues:
            vec = q.get("msix_vector")
            if vec == 0xffff:
                continue
            want = "%s-%s" % (vname, VQ_NAMES[d.vtype](q.get("index"), n))
            if q.get("linux_name") not in (want, vname + "-virtqueues"):
                ctx.fail("irqs: queue %s vector %s" % (q.get("index"), vec), device=d,
                         field="linux_name", virtioctl=q.get("linux_name"),
                         qemu="%s (the driver's name for the queue)" % want)
        if doc.get("queues") is not None and dev not in LEGACY + TRANSITIONAL:
            ctx.fail("irqs without --select read queue vectors of a bound modern device",
                     device=d)
        for row in _rows(doc, "linux_irqs"):
            if row.get("total") != procs.get(row.get("irq"), (0, 0, 0, None))[3] and \
                    row.get("total", 0) > procs.get(row.get("irq"), (0, 0, 0, 0))[3]:
                ctx.fail("irqs: count went down", device=d, virtioctl=row)
        if (doc.get("intx") is not None):
            ctx.fail("irqs: INTx section with MSI-X enabled", device=d)
    for dev in TRANSITIONAL:
        d = ctx.scenario.device(dev)
        doc = checks.parse_json(ctx, "lirqs-" + dev, device=d)
        if doc is None:
            continue
        cv = doc.get("config_vector")
        rows = {r.get("vector"): r for r in _rows(doc, "vectors")}
        name = (rows.get(cv) or {}).get("linux_name")
        if cv is None or name != devs.get(dev, ("?",))[0] + "-config":
            ctx.fail("irqs --transport legacy: config vector from the legacy header",
                     device=d, virtioctl="%r -> %r" % (cv, name))


def check_intx(ctx, d, doc, dev_sysfs, procs):
    vname, _, irq, _ = dev_sysfs
    if doc.get("msix") is not None:
        ctx.fail("irqs: vectors=0 device has an MSI-X capability", device=d,
                 virtioctl=doc.get("msix"))
    intx = doc.get("intx") or {}
    if str(intx.get("linux_irq")) != str(irq):
        ctx.fail("irqs: INTx IRQ", device=d, field="intx.linux_irq",
                 virtioctl=intx.get("linux_irq"), qemu="%s (sysfs irq)" % irq)
    lines = intx.get("interrupts") or []
    name = lines[0].get("name") if lines else None
    if not name or vname not in name.split(", "):
        ctx.fail("irqs: INTx line name", device=d, virtioctl=name,
                 qemu="%r (guest /proc/interrupts)" % (procs.get(int(irq or 0)),))
    if intx.get("isr") is not None:
        ctx.fail("irqs read the ISR of a bound device", device=d)


def resize_blk3(ctx):
    """At boot: grow blk3's disk. SeaBIOS left the legacy device at
    DRIVER_OK, so QEMU raises a configuration change: ISR bit 1 (0x2)."""
    ctx.qmp.command("block_resize", device="d3", size=2 << 20)
    st = ctx.qmp.command("x-query-virtio-status",
                         path=ctx.scenario.device("blk3").qom_path)
    ctx.isr_before = st.get("isr")
    return []


def check_isr(ctx):
    """blk3 (unbound, no MSI-X): the ISR is read -- the config change the
    resize raised -- and QEMU's ISR is 0 after (read-to-clear); the config
    shows the new capacity."""
    d = ctx.scenario.device("blk3")
    doc = checks.parse_json(ctx, "irqs-blk3", device=d)
    before = getattr(ctx, "isr_before", None)
    after = ctx.snapshots.get("dumped", {}).get("blk3", {}).get("isr")
    if not isinstance(before, int) or not before & 2:
        ctx.fail("the resize did not raise a config interrupt", device=d, field="isr",
                 qemu=before)
    dump = checks.parse_json(ctx, "dump-blk3", device=d) or {}
    cap = (dump.get("config") or {}).get("capacity")
    if cap != 4096:
        ctx.fail("capacity after the resize", device=d, field="config.capacity",
                 virtioctl=cap, qemu=4096)
    if doc is None:
        return
    isr = (doc.get("intx") or {}).get("isr")
    if isr is None:
        ctx.fail("irqs: unbound INTx device's ISR not read", device=d,
                 virtioctl=doc.get("notes"))
    elif isr != before:
        ctx.fail("irqs: ISR", device=d, field="isr", virtioctl=isr,
                 qemu="%s (after the resize)" % before)
    if (doc.get("intx") or {}).get("asserted") is not True:
        ctx.fail("irqs: INTx not shown asserted (PCI status) with ISR set", device=d,
                 virtioctl=doc.get("intx"))
    if after != 0:
        ctx.fail("ISR not cleared by the read", device=d, field="isr", qemu=after)


def check_text(ctx):
    r = ctx.result("irqs-text")
    if r and ("Vectors:" not in r.text or "-config" not in r.text):
        ctx.fail("irqs text output: %r" % r.text[-600:])


SCENARIO = Scenario(
    name="legacy_bound",
    description="legacy/transitional/modern devices with drivers: Linux view, irqs vs /proc",
    modules=["virtio_pci", "virtio_net", "virtio_blk", "virtio_rng", "virtio_console",
             "virtio_scsi", "sd_mod", "9pnet_virtio"],
    devices=[
        Device("rng0", "virtio-rng-pci,disable-modern=on", 0x02),
        Device("blk0", "virtio-blk-pci,drive=d0,disable-modern=on", 0x03,
               backend=drive("d0", "d0")),
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,disable-modern=on", 0x04,
               backend=hubport("hn0")),
        Device("ser0", "virtio-serial-pci,disable-modern=on,max_ports=2", 0x05,
               backend=["-chardev", "null,id=cn0"],
               children=["-device", "virtserialport,bus=ser0.0,nr=1,chardev=cn0,"
                         "name=org.virtioctl.test"]),
        Device("scsi0", "virtio-scsi-pci,disable-modern=on", 0x06,
               backend=drive("sd0", "d4"),
               children=["-device", "scsi-hd,drive=sd0,bus=scsi0.0"]),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share,disable-modern=on", 0x07,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        Device("rng2", "virtio-rng-pci,disable-modern=on,vectors=0", 0x08),
        Device("rng1", "virtio-rng-pci", 0x09),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x0a, backend=drive("d1", "d1")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=", 0x0b, backend=hubport("hn1")),
        Device("blk2", "virtio-blk-pci,drive=d2,num-queues=2", 0x0c, port=True,
               backend=drive("d2", "d2")),
        Device("blk3", "virtio-blk-pci,drive=d3,disable-modern=on,vectors=0", 0x0d,
               backend=drive("d3", "d3")),
    ],
    disks=[Disk("d0"), Disk("d1"), Disk("d2"), Disk("d3"), Disk("d4")],
    dirs=["9p"],
    script=SCRIPT,
    hooks={"boot": resize_blk3},
    checks=[
        checks.list_matches(driver="virtio-pci", drivers={"blk3": None}),
        checks.qmp_status("dumped", 0x07, devices=set(BOUND)),
        checks.dumps_match("dumped", required=checks.REQUIRED_BOUND),
        checks.dumps_match("dumped", required=checks.REQUIRED_BOUND, prefix="leg-dump-",
                           devices=set(LEGACY + TRANSITIONAL + ["blk3"])),
        # with --select, a bound legacy device shows its queues too: the
        # rings the guest's driver set up, where QEMU has them
        checks.dumps_match("dumped", required=checks.REQUIRED_UNBOUND, prefix="sel-dump-",
                           devices=set(LEGACY + ["blk3"])),
        check_linux_view,
        check_legacy_dumps_of_bound,
        check_irqs,
        check_isr,
        check_text,
    ],
    timeout=240,
)
