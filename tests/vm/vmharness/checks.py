"""Host-side cross-checks: virtioctl's view (guest command results) against
QEMU's own (QMP snapshots taken at checkpoints).

Each factory returns check(ctx); a check reports every mismatch with
ctx.fail(msg, device=, field=, virtioctl=, qemu=) and goes on, so one run
shows all of them.  They are data-driven: a field virtioctl does not print
is only a failure where the scenario says it is required.
"""

import json

from . import features

# dump fields compared with QEMU when present
DUMP_FIELDS = ("virtio_device_id", "transport", "num_queues", "device_features",
               "driver_features", "device_status", "queues")

# the fields every unbound device's dump must have (the foundation issue's
# "where readable": on an unbound device everything is readable)
REQUIRED_UNBOUND = ("address", "virtio_device_id", "transport", "capabilities",
                    "device_status", "num_queues", "device_features",
                    "driver_features", "queues")
REQUIRED_BOUND = ("address", "virtio_device_id", "transport")
# Legacy devices are read through the legacy I/O header: everything is
# required of them too (this name stays for scenarios that used it).
REQUIRED_LEGACY = REQUIRED_UNBOUND

QUEUE_ADDR_KEYS = {
    "vring-desc": ("desc", "desc_addr", "descriptor_area", "queue_desc"),
    "vring-avail": ("avail", "avail_addr", "driver_area", "queue_driver",
                    "driver"),
    "vring-used": ("used", "used_addr", "device_area", "queue_device",
                   "device"),
}


def to_int(v):
    if isinstance(v, bool):
        raise ValueError("boolean")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return int(v, 0)
    raise ValueError("not a number: %r" % (v,))


def parse_json(ctx, name, device=None):
    r = ctx.results.get(name)
    if r is None:
        ctx.fail("guest command %s did not run" % name, device=device)
        return None
    if r.rc != 0:
        ctx.fail("guest command %s exited with status %s: %s" % (
            name, r.rc, r.stderr.decode("utf-8", "replace").strip()[-500:]),
            device=device)
        return None
    try:
        return json.loads(r.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        ctx.fail("guest command %s printed no valid JSON (%s): %r"
                 % (name, e, r.stdout[:300]), device=device)
        return None


def _feature_diff(vid, ours, theirs):
    only_v = ours & ~theirs
    only_q = theirs & ~ours
    parts = []
    if only_v:
        parts.append("only virtioctl: " + features.describe(vid, only_v))
    if only_q:
        parts.append("only QEMU: " + features.describe(vid, only_q))
    return "; ".join(parts)


def list_matches(driver=None, command="list", drivers=None):
    """`virtioctl --json list` lists exactly the scenario's devices, each
    with the right address, device ID, transport and driver.  driver: what
    every device's driver should be (None = unbound); drivers {id: driver}
    and then a device's expect["driver"] override it."""

    def check_list(ctx):
        data = parse_json(ctx, command)
        if data is None:
            return
        if not isinstance(data, list):
            ctx.fail("list: expected a JSON array", virtioctl=data)
            return
        by_addr = {}
        for e in data:
            if not isinstance(e, dict) or "address" not in e:
                ctx.fail("list: entry without address", virtioctl=e)
                continue
            if e["address"] in by_addr:
                ctx.fail("list: address listed twice", virtioctl=e["address"])
            by_addr[e["address"]] = e
        want = {ctx.addresses[d.id]: d for d in ctx.scenario.devices}
        for addr, e in sorted(by_addr.items()):
            if addr not in want:
                ctx.fail("list: virtioctl lists a device QEMU was not given",
                         field="address", virtioctl=e, qemu=sorted(want))
        snap = ctx.snapshots.get("boot", {})
        for addr, d in sorted(want.items()):
            e = by_addr.get(addr)
            if e is None:
                ctx.fail("list: device missing from virtioctl's list",
                         device=d, field="address", virtioctl=None, qemu=addr)
                continue
            qid = snap.get(d.id, {}).get("device-id", d.virtio_id)
            if e.get("virtio_device_id") != qid:
                ctx.fail("list", device=d, field="virtio_device_id",
                         virtioctl=e.get("virtio_device_id"), qemu=qid)
            if e.get("transport") != d.transport:
                ctx.fail("list", device=d, field="transport",
                         virtioctl=e.get("transport"),
                         qemu="%s (%s)" % (d.transport, d.device))
            want_drv = (drivers or {}).get(d.id, d.expect.get("driver", driver))
            if "driver" not in e:
                ctx.fail("list: no driver field", device=d, field="driver",
                         virtioctl=e)
            elif e["driver"] != want_drv:
                ctx.fail("list", device=d, field="driver",
                         virtioctl=e["driver"], qemu=want_drv)
    check_list.__name__ = "list_matches(%s)" % command
    return check_list


def dumps_match(checkpoint="dumped", required=REQUIRED_UNBOUND,
                prefix="dump-", devices=None, status=True):
    """`virtioctl --json dump` of each device agrees with QEMU's
    x-query-virtio-status (and queue status) taken at checkpoint: device ID,
    transport, number of queues, device features (as the guest sees them),
    driver features, status, and each queue's size (and ring addresses when
    virtioctl prints them).  status=False skips device_status (for devices
    whose driver may change it between dump and checkpoint)."""

    def check_dumps(ctx):
        snap = ctx.snapshots.get(checkpoint)
        qsnap = ctx.queue_snapshots.get(checkpoint, {})
        if snap is None:
            ctx.fail("no QMP snapshot at checkpoint %r (the guest script "
                     "must call vm_checkpoint %s after the dumps)"
                     % (checkpoint, checkpoint))
            return
        for d in ctx.scenario.devices:
            if devices is not None and d.id not in devices:
                continue
            dump = parse_json(ctx, prefix + d.id, device=d)
            if dump is None:
                continue
            if not isinstance(dump, dict):
                ctx.fail("dump: expected a JSON object", device=d,
                         virtioctl=dump)
                continue
            need = tuple(required) + tuple(d.expect.get("required", ()))
            for f in need:
                if f in d.expect.get("absent", ()):
                    continue
                if f not in dump or dump[f] is None:
                    ctx.fail("dump: field missing", device=d, field=f,
                             virtioctl=None,
                             qemu="(required for this device)")
            skipped = [f for f in DUMP_FIELDS
                       if dump.get(f) is None and f not in need]
            if skipped:
                why = ""
                if dump.get("notes"):
                    why = " (virtioctl: %s%s)" % (
                        str(dump["notes"][0])[:160],
                        "; +%d more notes" % (len(dump["notes"]) - 1)
                        if len(dump["notes"]) > 1 else "")
                ctx.note("%s%s (%s): virtioctl printed no %s; not compared%s"
                         % (prefix, d.id, d.transport, ", ".join(skipped), why))
            compare_dump(ctx, d, dump, snap[d.id], qsnap.get(d.id), status)
    check_dumps.__name__ = "dumps_match"
    return check_dumps


def compare_dump(ctx, d, dump, st, queues, status=True):
    vid = st["device-id"]
    addr = ctx.addresses[d.id]
    if "address" in dump and dump["address"] != addr:
        ctx.fail("dump", device=d, field="address", virtioctl=dump["address"],
                 qemu=addr)
    if "virtio_device_id" in dump and dump["virtio_device_id"] != vid:
        ctx.fail("dump", device=d, field="virtio_device_id",
                 virtioctl=dump["virtio_device_id"], qemu=vid)
    transport = d.transport
    if "transport" in dump and dump["transport"] != transport:
        ctx.fail("dump", device=d, field="transport",
                 virtioctl=dump["transport"], qemu="%s (%s)" % (transport,
                                                               d.device))
    if dump.get("num_queues") is not None:
        if dump["num_queues"] != st["num-vqs"]:
            ctx.fail("dump", device=d, field="num_queues",
                     virtioctl=dump["num_queues"], qemu=st["num-vqs"])
    host = features.bits_of(vid, st["host-features"])
    guest = features.bits_of(vid, st["guest-features"])
    # which interface the registers were read through: a transitional
    # device's legacy header (--transport legacy) shows what a legacy one's does
    view = "legacy" if dump.get("interface") == "legacy" else transport
    if dump.get("device_features") is not None:
        want = features.guest_visible(vid, host, view)
        got = _int_field(ctx, d, dump, "device_features")
        if got is not None and got != want:
            ctx.fail("dump: %s" % _feature_diff(vid, got, want), device=d,
                     field="device_features", virtioctl="0x%016x" % got,
                     qemu="0x%016x (host features 0x%016x as the %s interface "
                     "shows them)" % (want, host, view))
    qstatus = features.status_of(st["status"])
    # QEMU's guest-features is the set the device accepted: a legacy
    # driver's write lands there at once, a modern driver's only when it
    # sets FEATURES_OK (before that the driver_feature register shows
    # virtio-pci's latch, which QMP does not report; e.g. SeaBIOS leaves
    # VERSION_1 latched in a virtio-scsi it negotiated with and then reset).
    if dump.get("driver_features") is not None and (
            view == "legacy" or qstatus & features.STATUS[
                "VIRTIO_CONFIG_S_FEATURES_OK"]):
        want = guest & 0xFFFFFFFF if view == "legacy" else guest
        got = _int_field(ctx, d, dump, "driver_features")
        if got is not None and got != want:
            ctx.fail("dump: %s" % _feature_diff(vid, got, want), device=d,
                     field="driver_features", virtioctl="0x%016x" % got,
                     qemu="0x%016x (guest features)" % want)
    if status and dump.get("device_status") is not None:
        want = qstatus
        got = _int_field(ctx, d, dump, "device_status")
        if got is not None and got != want:
            ctx.fail("dump", device=d, field="device_status",
                     virtioctl=got, qemu=want)
    qs = dump.get("queues")
    if qs is not None and queues is not None:
        if not isinstance(qs, list):
            ctx.fail("dump: queues is not an array", device=d, field="queues",
                     virtioctl=qs)
            return
        seen = set()
        for q in qs:
            try:
                i = to_int(q.get("index"))
            except (ValueError, AttributeError):
                ctx.fail("dump: queue without index", device=d,
                         field="queues", virtioctl=q)
                continue
            seen.add(i)
            if i >= len(queues):
                if to_int(q.get("size", 0) or 0) != 0:
                    ctx.fail("dump: queue %d beyond QEMU's %d queues"
                             % (i, len(queues)), device=d,
                             field="queues[%d].size" % i,
                             virtioctl=q.get("size"), qemu=None)
                continue
            qq = queues[i]
            if "size" in q and to_int(q["size"]) != qq["vring-num"]:
                ctx.fail("dump", device=d, field="queues[%d].size" % i,
                         virtioctl=q["size"], qemu=qq["vring-num"])
            for qkey, keys in QUEUE_ADDR_KEYS.items():
                for k in keys:
                    if k in q and q[k] is not None:
                        try:
                            v = to_int(q[k])
                        except ValueError:
                            continue
                        if v != qq[qkey]:
                            ctx.fail("dump", device=d,
                                     field="queues[%d].%s" % (i, k),
                                     virtioctl=v, qemu="%d (%s)"
                                     % (qq[qkey], qkey))
                        break
        missing = sorted(set(range(len(queues))) - seen)
        if missing:
            ctx.fail("dump: queues missing from the array", device=d,
                     field="queues", virtioctl=sorted(seen),
                     qemu="%d queues" % len(queues))


def _int_field(ctx, d, dump, field):
    try:
        return to_int(dump[field])
    except ValueError as e:
        ctx.fail("dump: %s" % e, device=d, field=field, virtioctl=dump[field])
        return None


def commands_ok(*names):
    """Guest commands (all if none named) exited 0."""

    def check_commands(ctx):
        for n in names or sorted(ctx.results):
            r = ctx.results.get(n)
            if r is None:
                ctx.fail("guest command %s did not run" % n)
            elif r.rc != 0:
                ctx.fail("guest command %s exited with status %s: %s" % (
                    n, r.rc, r.stderr.decode("utf-8", "replace")
                    .strip()[-500:]))
    check_commands.__name__ = "commands_ok"
    return check_commands


def qmp_status(checkpoint, want_bits, devices=None, exact=False):
    """QEMU's status byte of devices at checkpoint has want_bits (all of them;
    exact=True: nothing else)."""

    def check_status(ctx):
        snap = ctx.snapshots.get(checkpoint)
        if snap is None:
            ctx.fail("no QMP snapshot at checkpoint %r" % checkpoint)
            return
        for d in ctx.scenario.devices:
            if devices is not None and d.id not in devices:
                continue
            got = features.status_of(snap[d.id]["status"])
            if (got != want_bits) if exact else (got & want_bits) != want_bits:
                ctx.fail("QEMU status at %s" % checkpoint, device=d,
                         field="status", virtioctl=None,
                         qemu="0x%02x, expected %s0x%02x" % (
                             got, "" if exact else "bits ", want_bits))
    check_status.__name__ = "qmp_status"
    return check_status
