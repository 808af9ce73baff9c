"""What scenario checks and checkpoint hooks get: the run's state."""

import json


class Context:
    """What checks and hooks see: the scenario, QMP, guest results,
    QMP snapshots taken at checkpoints, and a failure list."""

    def __init__(self, sc, machine, disks, tmpdir, virtioctl):
        self.scenario = sc
        self.machine = machine
        self.disks = {d.name: d for d in disks}
        self.tmpdir = tmpdir
        self.virtioctl = virtioctl
        self.addresses = {}     # device id -> guest PCI address
        self.pci = None         # query-pci at boot
        self.snapshots = {}     # checkpoint -> {device id: x-query-virtio-status}
        self.queue_snapshots = {}  # checkpoint -> {device id: [queue status]}
        self.failures = []
        self.notes = []
        self.checkpoints = []
        self.removed = set()    # ids of devices a hook unplugged (device_del)

    @property
    def qmp(self):
        return self.machine.qmp

    @property
    def results(self):
        return self.machine.results

    def result(self, name):
        r = self.machine.results.get(name)
        if r is None:
            self.fail("guest command %s: no result (not run?)" % name)
        return r

    def fail(self, msg, device=None, field=None, virtioctl=None, qemu=None):
        parts = []
        if device is not None:
            parts.append("device %s (%s, %s)" % (
                device.id, self.addresses.get(device.id, "?"), device.model))
        if field is not None:
            parts.append("field %s" % field)
        head = ": ".join(parts + [msg]) if parts else msg
        if virtioctl is not None or qemu is not None:
            head += "\n      virtioctl said: %s\n      QEMU said:      %s" % (
                _fmt(virtioctl), _fmt(qemu))
        self.failures.append(head)

    def unplug(self, dev_id, timeout=20.0):
        """QMP device_del of a device behind a pcie-root-port, waiting for
        QEMU's DEVICE_DELETED (the guest must have released it): surprise
        removal as a hot-unplug. Later snapshots leave the device out."""
        import time
        self.qmp.command("device_del", id=dev_id)
        self.removed.add(dev_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ids = {d.get("qdev_id") for d in self._pci_devices()}
            if dev_id not in ids:
                return True
            time.sleep(0.2)
        return False

    def _pci_devices(self):
        out = []
        for bus in self.qmp.command("query-pci"):
            stack = list(bus.get("devices", []))
            while stack:
                d = stack.pop()
                out.append(d)
                stack.extend(d.get("pci_bridge", {}).get("devices", []))
        return out

    def note(self, msg):
        """Something the report should show without failing the test."""
        self.notes.append(msg)

    def snapshot(self, name, queues=True):
        st, qs = {}, {}
        for d in self.scenario.devices:
            if d.id in self.removed:
                continue
            st[d.id] = self.qmp.command("x-query-virtio-status", path=d.qom_path)
            if queues:
                qs[d.id] = [self.qmp.command("x-query-virtio-queue-status",
                                             path=d.qom_path, queue=i)
                            for i in range(st[d.id]["num-vqs"])]
        self.snapshots[name] = st
        self.queue_snapshots[name] = qs
        return st


def _fmt(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return "%d (0x%x)" % (v, v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return repr(v)
