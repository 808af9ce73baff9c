"""Scenario description: the data a scenario module in tests/vm/scenarios
defines, and how it becomes a QEMU command line.

A scenario module defines SCENARIO = Scenario(...).  See README.md.
"""

import hashlib
import importlib
import os
import pkgutil

from . import HarnessError

# virtio device IDs (virtio spec 1.2, 5 "Device Types")
VIRTIO_IDS = {
    "net": 1, "blk": 2, "console": 3, "rng": 4, "balloon": 5, "scsi": 8,
    "9p": 9, "gpu": 16, "input": 18, "vsock": 19, "crypto": 20, "iommu": 23,
    "mem": 24, "fs": 26, "pmem": 27,
}

# QEMU device model -> virtio type name
QEMU_MODELS = {
    "virtio-net-pci": "net", "virtio-net-pci-transitional": "net",
    "virtio-net-pci-non-transitional": "net",
    "virtio-blk-pci": "blk", "virtio-blk-pci-transitional": "blk",
    "virtio-blk-pci-non-transitional": "blk",
    "virtio-serial-pci": "console", "virtio-serial-pci-transitional": "console",
    "virtio-serial-pci-non-transitional": "console",
    "virtio-rng-pci": "rng", "virtio-rng-pci-transitional": "rng",
    "virtio-rng-pci-non-transitional": "rng",
    "virtio-balloon-pci": "balloon", "virtio-balloon-pci-transitional": "balloon",
    "virtio-balloon-pci-non-transitional": "balloon",
    "virtio-scsi-pci": "scsi", "virtio-scsi-pci-transitional": "scsi",
    "virtio-scsi-pci-non-transitional": "scsi",
    "virtio-9p-pci": "9p", "virtio-9p-pci-transitional": "9p",
    "virtio-9p-pci-non-transitional": "9p",
    "virtio-gpu-pci": "gpu",
    "virtio-keyboard-pci": "input", "virtio-tablet-pci": "input",
    "virtio-mouse-pci": "input",
    "virtio-crypto-pci": "crypto",
    "virtio-iommu-pci": "iommu",
    "virtio-mem-pci": "mem",
    "virtio-pmem-pci": "pmem",
    "vhost-vsock-pci": "vsock",
    "vhost-user-blk-pci": "blk",
    "vhost-user-fs-pci": "fs",
}

# Always modern (no legacy interface in QEMU)
MODERN_ONLY = {"gpu", "input", "crypto", "iommu", "mem", "pmem", "vsock", "fs"}


class Device:
    """One virtio-pci device.

    id       QEMU id= (also the QOM name /machine/peripheral/ID)
    device   the -device string without id/bus/addr, e.g.
             "virtio-net-pci,netdev=hn0,romfile=,disable-legacy=on"
    slot     slot on pcie.0 (int).  With port=True the harness puts a
             pcie-root-port there and the device behind it (a PCIe endpoint:
             modern-only by default); otherwise the device sits on pcie.0
             itself (conventional PCI: transitional by default).
    backend  extra QEMU arguments the device needs (-netdev, -drive, ...).
             "{tmp}" and "{disk_NAME}" are replaced (see Scenario.disks).
    children QEMU arguments placed after the -device (devices on its bus,
             e.g. a virtconsole on "ID.0"); same replacements.
    expect   overrides of what the checks expect (e.g. {"driver": ...}).
    """

    def __init__(self, id, device, slot, port=False, backend=(), children=(),
                 expect=None):
        self.id = id
        self.device = device
        self.slot = slot
        self.port = port
        self.backend = list(backend)
        self.children = list(children)
        self.expect = dict(expect or {})
        parts = device.split(",")
        self.model = parts[0]
        self.props = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            self.props[k] = v
        if self.model not in QEMU_MODELS:
            raise HarnessError("device %s: unknown virtio model %s (add it to "
                               "QEMU_MODELS)" % (id, self.model))
        self.vtype = QEMU_MODELS[self.model]
        self.virtio_id = VIRTIO_IDS[self.vtype]

    @property
    def qom_path(self):
        return "/machine/peripheral/%s/virtio-backend" % self.id

    @property
    def transport(self):
        """What virtioctl should call this device's transport."""
        on = ("on", "true", "yes")
        if self.vtype in MODERN_ONLY or self.model.endswith("-non-transitional"):
            return "modern"
        if self.model.endswith("-transitional"):
            return "transitional"
        if self.props.get("disable-modern") in on:
            return "legacy"
        if self.props.get("disable-legacy") in on:
            return "modern"
        if self.props.get("disable-legacy") in ("off", "false", "no"):
            return "transitional"
        # disable-legacy=auto: legacy off on a PCIe port
        return "modern" if self.port else "transitional"

    def argv(self, subst):
        a = []
        bus, addr = "pcie.0", "0x%x" % self.slot
        if self.port:
            a += ["-device", "pcie-root-port,id=rp-%s,bus=pcie.0,addr=0x%x,"
                  "chassis=%d,slot=%d" % (self.id, self.slot, self.slot,
                                          self.slot)]
            bus, addr = "rp-%s" % self.id, "0x0"
        for b in self.backend:
            a.append(b.format(**subst))
        a += ["-device", "%s,id=%s,bus=%s,addr=%s" % (
            self.device.format(**subst), self.id, bus, addr)]
        for c in self.children:
            a.append(c.format(**subst))
        return a


class Disk:
    """A raw disk image of known, deterministic content."""

    def __init__(self, name, size=1 << 20, seed=None):
        self.name = name
        self.size = size
        self.seed = seed or name
        self.path = None
        self.sha256 = None
        self.sha256_4k = None

    def content(self):
        out = bytearray()
        sector = 0
        while len(out) < self.size:
            head = ("virtioctl-vm-disk %s sector %08d\n"
                    % (self.seed, sector)).encode()
            fill = hashlib.sha256(head).digest() * 16
            out += (head + fill)[:512]
            sector += 1
        return bytes(out[:self.size])

    def create(self, directory):
        data = self.content()
        self.path = os.path.join(directory, "disk-%s.img" % self.name)
        with open(self.path, "wb") as f:
            f.write(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.sha256_4k = hashlib.sha256(data[:4096]).hexdigest()
        return self.path


class Scenario:
    """name        scenario name (meson test vm-NAME)
    description one line
    devices     list of Device
    script      guest shell script (busybox sh; lib.sh helpers available)
    checks      list of callables check(ctx) (see checks.py); each reports
                failures with ctx.fail(...)
    hooks       {checkpoint name: callable(ctx)} run by the host while the
                guest waits at that checkpoint, after the automatic QMP
                snapshot; the lines it returns (if any) reach the guest in
                /tmp/vm/reply.NAME
    modules     kernel modules to put into the initramfs (deps added)
    disks       list of Disk
    dirs        directories to create in the run's temp dir ("{tmp}/NAME")
    qemu_args   extra QEMU arguments (machine-level: -device intel-iommu...)
    memory      -m argument
    append      extra kernel command line
    timeout     hard limit for the boot in seconds
    files       {guest path: host path} extra files for the initramfs
                (e.g. a helper binary; executables bring their ldd closure)
    daemons     host backends to start before QEMU (daemons.Daemon: vhost-user
                servers); the guest RAM is then a shared memfd, as vhost-user
                needs
    """

    def __init__(self, name, description, devices, script, checks=(),
                 hooks=None, modules=(), disks=(), dirs=(), qemu_args=(),
                 memory="512M", append="", timeout=180, needs_virtioctl=True,
                 files=None, daemons=()):
        self.name = name
        self.description = description
        self.devices = list(devices)
        self.script = script
        self.checks = list(checks)
        self.hooks = dict(hooks or {})
        self.modules = list(modules)
        self.disks = list(disks)
        self.dirs = list(dirs)
        self.qemu_args = list(qemu_args)
        self.memory = memory
        self.append = append
        self.timeout = timeout
        self.needs_virtioctl = needs_virtioctl
        self.files = dict(files or {})
        self.daemons = list(daemons)
        ids = [d.id for d in self.devices]
        if len(set(ids)) != len(ids):
            raise HarnessError("scenario %s: duplicate device ids" % name)
        slots = [d.slot for d in self.devices]
        if len(set(slots)) != len(slots):
            raise HarnessError("scenario %s: duplicate slots" % name)
        for s in slots:
            if s in (0, 0x1f) or not 0 < s < 0x20:
                raise HarnessError("scenario %s: slot 0x%x is not free on "
                                   "q35's pcie.0" % (name, s))

    def device(self, id):
        for d in self.devices:
            if d.id == id:
                return d
        raise KeyError(id)

    def qemu_argv(self, qemu, vmlinux, initrd, subst, append_extra=""):
        append = ("console=ttyS0 quiet panic=-1 rdinit=/init "
                  "cryptomgr.notests=1 " + self.append + " " + append_extra)
        a = [qemu, "-accel", "tcg", "-M", "q35", "-m", self.memory,
             "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
             "-no-reboot", "-kernel", vmlinux, "-initrd", initrd,
             "-append", " ".join(append.split())]
        if self.daemons:
            a += ["-object", "memory-backend-memfd,id=vmmem,size=%s,share=on"
                  % self.memory.split(",")[0],
                  "-numa", "node,memdev=vmmem"]
        a += [x.format(**subst) for x in self.qemu_args]
        for d in self.devices:
            a += d.argv(subst)
        return a


def load(name):
    try:
        mod = importlib.import_module("scenarios." + name)
    except ModuleNotFoundError as e:
        if e.name in ("scenarios." + name, "scenarios"):
            raise HarnessError("no scenario %r (have: %s)"
                               % (name, ", ".join(names())))
        raise
    sc = mod.SCENARIO
    if sc.name != name:
        raise HarnessError("scenarios/%s.py defines scenario %r" % (name, sc.name))
    return sc


def names():
    here = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "scenarios")
    return sorted(m.name for m in pkgutil.iter_modules([here])
                  if not m.name.startswith("_"))
