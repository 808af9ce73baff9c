"""The virtio-mem self-test against QEMU 7.2's virtio-mem-pci (issue 12,
item 3).

mem0 starts with nothing requested; once its self-test has set DRIVER_OK
the host changes requested-size over QMP (qom-set), and the self-test must
see that change as a config change (config_generation moved, the new
requested_size), then plug one block and unplug it, with plugged_size
following.  The host side checks everything against QEMU: block size,
address and region size against query-memory-devices, the requested size
against what was set, QEMU's plugged size through its
MEMORY_DEVICE_SIZE_CHANGE events (one block, then 0) and qom-get of `size`
(0 at the end).  mem1 has unplugged-inaccessible=on, so
UNPLUGGED_INACCESSIBLE must be accepted for FEATURES_OK.  It must be able
to fail: mem1 starts with 4 MiB requested
and the host drops it to 0, so QEMU NACKs the plug and the self-test
fails on that known answer, leaving QEMU's size at 0; and a second run on
mem0 with nobody changing requested-size fails with a timeout.  Every
device reads status 0 afterwards.
"""

import json
import time

from vmharness import features
from vmharness.scenario import Device, Scenario

MIB = 1 << 20
BLOCK = 2 * MIB
REGION = 128 * MIB
MEM0_SET = 8 * MIB   # what the host asks mem0 for
MEM1_START = 4 * MIB  # mem1's requested-size at boot; the host drops it to 0

DEVICES = ["mem0", "mem1"]

SCRIPT = r'''
for id in %(devices)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
# The self-test waits for the host's requested-size change; the host makes
# it once the device is live (hook change-ID).
for id in %(devices)s; do
	virtioctl --json selftest --timeout 30000 $(vm_addr $id) > /tmp/$id.out 2> /tmp/$id.err &
	KPID=$!
	vm_checkpoint change-$id
	wait $KPID
	echo $? > /tmp/$id.rc
	vm_run st-$id sh -c "cat /tmp/$id.out; cat /tmp/$id.err >&2; exit \$(cat /tmp/$id.rc)"
done
vm_run st-mem0-text virtioctl selftest --timeout 1000 $(vm_addr mem0)
vm_run st-mem0-nochange virtioctl --json selftest --timeout 1000 $(vm_addr mem0)
vm_checkpoint selftests
''' % {"devices": " ".join(DEVICES)}


def _doc(ctx, name, want_rc):
    r = ctx.result(name)
    if r is None:
        return None
    if r.rc != want_rc:
        ctx.fail("%s: exit status %s, expected %s; stderr %r" % (
            name, r.rc, want_rc, r.stderr.decode("utf-8", "replace")[-400:]))
    try:
        return json.loads(r.stdout.decode("utf-8"))
    except ValueError:
        ctx.fail("%s: no JSON: %r" % (name, r.stdout[:300]))
        return None


def _checks(doc):
    return {c["check"]: c for c in (doc or {}).get("checks", [])}


def _want(ctx, name, dev, key, want, got):
    if got != want:
        ctx.fail("%s: %s" % (name, key), device=ctx.scenario.device(dev), field=key,
                 virtioctl=got, qemu=want)


def _size_events(ctx, dev):
    """QEMU's plugged size of DEV after each change, from its events."""
    path = "/machine/peripheral/%s" % dev
    return [e["data"]["size"] for e in ctx.qmp.events
            if e.get("event") == "MEMORY_DEVICE_SIZE_CHANGE"
            and (e["data"].get("id") == dev or e["data"].get("qom-path", "").startswith(path))]


def _qemu_mem(ctx, dev):
    for m in getattr(ctx, "memory_devices", []):
        if m.get("type") == "virtio-mem" and m.get("data", {}).get("id") == dev:
            return m["data"]
    ctx.fail("QMP query-memory-devices has no virtio-mem %s" % dev,
             device=ctx.scenario.device(dev))
    return None


def check_config(ctx):
    """Block size, address and region size as QEMU has them; the
    requested size before and after as QEMU was given it."""
    for dev, before, after in (("mem0", 0, MEM0_SET), ("mem1", MEM1_START, 0)):
        name = "st-" + dev
        doc = _doc(ctx, name, 0 if dev == "mem0" else 6)
        mem = _qemu_mem(ctx, dev)
        if doc is None or mem is None:
            continue
        _want(ctx, name, dev, "block_size", mem["block-size"], doc.get("block_size"))
        _want(ctx, name, dev, "block_size (given)", BLOCK, doc.get("block_size"))
        _want(ctx, name, dev, "region_addr", "0x%016x" % mem["memaddr"], doc.get("region_addr"))
        _want(ctx, name, dev, "region_size", mem["max-size"], doc.get("region_size"))
        _want(ctx, name, dev, "node_id", mem["node"], doc.get("node_id"))
        # mem1 offers UNPLUGGED_INACCESSIBLE (QEMU then refuses FEATURES_OK
        # without it): it was accepted; mem0 (anonymous RAM) does not.
        wrote = [s for s in doc.get("steps", []) if s.get("step") == "write-features"]
        bit1 = bool(wrote and int(wrote[0]["detail"], 16) & 2)
        _want(ctx, name, dev, "UNPLUGGED_INACCESSIBLE accepted", dev == "mem1", bit1)
        _want(ctx, name, dev, "features-ok", True,
              any(s.get("step") == "features-ok" and s.get("ok") for s in doc.get("steps", [])))
        cb, ca = doc.get("config_before") or {}, doc.get("config_after") or {}
        _want(ctx, name, dev, "config_before.requested_size", before, cb.get("requested_size"))
        _want(ctx, name, dev, "config_after.requested_size", after, ca.get("requested_size"))
        _want(ctx, name, dev, "requested-size (qom-get)", after,
              getattr(ctx, "mem_qom", {}).get(dev, {}).get("requested-size"))
        gb, ga = cb.get("config_generation"), ca.get("config_generation")
        if not isinstance(gb, int) or not isinstance(ga, int) or ga == gb:
            ctx.fail("%s: config_generation did not move" % name, device=ctx.scenario.device(dev),
                     field="config_generation", virtioctl=[gb, ga], qemu="bumped by the qom-set")
        for c in ("config", "config_generation", "config after the change", "fixed fields"):
            _want(ctx, name, dev, "checks[%s].ok" % c, True, _checks(doc).get(c, {}).get("ok"))


def check_plug(ctx):
    """mem0: one block plugged and unplugged; QEMU's size went to one block
    and back to 0, and the guest saw the same in plugged_size."""
    doc = _doc(ctx, "st-mem0", 0)
    events = _size_events(ctx, "mem0")
    if events != [BLOCK, 0]:
        ctx.fail("QEMU's plugged size did not follow one block plugged and unplugged",
                 device=ctx.scenario.device("mem0"), field="MEMORY_DEVICE_SIZE_CHANGE sizes",
                 virtioctl="plugged and unplugged one block of 0x%x" % BLOCK, qemu=events)
    _want(ctx, "st-mem0", "mem0", "size (qom-get) at the end", 0,
          getattr(ctx, "mem_qom", {}).get("mem0", {}).get("size"))
    if doc is None:
        return
    _want(ctx, "st-mem0", "mem0", "passed", True, doc.get("passed"))
    c = _checks(doc)
    for name, want in (("plug", "ACK (0)"), ("unplug", "ACK (0)"),
                       ("plugged_size after plug", "0x%x" % BLOCK),
                       ("plugged_size after unplug", "0x0"),
                       ("state after plug", "ACK, PLUGGED (0)"),
                       ("state after unplug", "ACK, UNPLUGGED (1)")):
        _want(ctx, "st-mem0", "mem0", "checks[%s]" % name, [want, True],
              [c.get(name, {}).get("got"), c.get(name, {}).get("ok")])
    # The guest's plugged_size after the plug is QEMU's size after it.
    if events:
        _want(ctx, "st-mem0", "mem0", "plugged_size after plug vs QEMU's size",
              "0x%x" % events[0], c.get("plugged_size after plug", {}).get("got"))
    addr = doc.get("block_addr")
    mem = _qemu_mem(ctx, "mem0")
    if mem and (addr is None or not mem["memaddr"] <= int(addr, 16) < mem["memaddr"] + REGION
                or (int(addr, 16) - mem["memaddr"]) % BLOCK):
        ctx.fail("block plugged outside the region", device=ctx.scenario.device("mem0"),
                 field="block_addr", virtioctl=addr, qemu="0x%x + n * 0x%x" % (mem["memaddr"], BLOCK))
    text = ctx.result("st-mem0-text")
    if text is not None and ("Known answers" not in text.text or "expected" not in text.text):
        ctx.fail("mem self-test text output: %r" % text.text[-600:])


def check_fails(ctx):
    """mem1: QEMU NACKs a plug beyond the requested size (0): the self-test
    fails on the plug's known answer and QEMU's size never moved.  mem0
    with no change from the host: a timeout, no request sent."""
    doc = _doc(ctx, "st-mem1", 6)  # VX_DEVICE
    if doc is not None:
        _want(ctx, "st-mem1", "mem1", "passed", False, doc.get("passed"))
        c = _checks(doc).get("plug", {})
        _want(ctx, "st-mem1", "mem1", "checks[plug]", ["ACK (0)", "NACK (1)", False],
              [c.get("expected"), c.get("got"), c.get("ok")])
    r = ctx.result("st-mem1")
    if r is not None and "plug: expected ACK (0), got NACK (1)" not in r.stderr.decode():
        ctx.fail("st-mem1: stderr %r" % r.stderr[-300:], device=ctx.scenario.device("mem1"))
    if _size_events(ctx, "mem1"):
        ctx.fail("QEMU's plugged size moved after a NACK", device=ctx.scenario.device("mem1"),
                 field="MEMORY_DEVICE_SIZE_CHANGE sizes", qemu=_size_events(ctx, "mem1"))
    _want(ctx, "st-mem1", "mem1", "size (qom-get)", 0, getattr(ctx, "mem_qom", {}).get("mem1", {}).get("size"))
    doc = _doc(ctx, "st-mem0-nochange", 8)  # VX_TIMEOUT
    if doc is not None:
        failed = [s["step"] for s in doc.get("steps", []) if not s.get("ok")]
        _want(ctx, "st-mem0-nochange", "mem0", "failed steps", ["config-change"], failed)


def check_reset(ctx):
    snap = ctx.snapshots.get("selftests", {})
    for dev in DEVICES:
        if dev in snap and features.status_of(snap[dev]["status"]) != 0:
            ctx.fail("status after the self-tests", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(snap[dev]["status"]))


def changer(dev, value):
    """A hook: once DEV is DRIVER_OK, qom-set its requested-size (QEMU
    bumps config_generation only while DRIVER_OK is set)."""
    def hook(ctx):
        path = "/machine/peripheral/%s/virtio-backend" % dev
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st = ctx.qmp.command("x-query-virtio-status", path=path)
            if features.status_of(st["status"]) & 4:
                break
            time.sleep(0.2)
        else:
            ctx.fail("%s never reached DRIVER_OK: requested-size not changed" % dev,
                     device=ctx.scenario.device(dev))
            return
        ctx.qmp.command("qom-set", path="/machine/peripheral/" + dev,
                        property="requested-size", value=value)
    return hook


def after_selftests(ctx):
    """QEMU's view at the end; MEMORY_DEVICE_SIZE_CHANGE is rate-limited to
    one a second per device, so the last one may still be on its way."""
    time.sleep(1.5)
    ctx.memory_devices = ctx.qmp.command("query-memory-devices")
    ctx.mem_qom = {dev: {p: ctx.qmp.command("qom-get", path="/machine/peripheral/" + dev,
                                            property=p) for p in ("size", "requested-size")}
                   for dev in DEVICES}


def _mem(dev, slot, requested, extra=""):
    return Device(dev, "virtio-mem-pci,memdev=vm%s,requested-size=%d,block-size=%d%s"
                  % (dev, requested, BLOCK, extra), slot, port=True,
                  backend=["-object", "memory-backend-ram,id=vm%s,size=%d" % (dev, REGION)])


SCENARIO = Scenario(
    name="selftest_mem",
    description="virtio-mem self-test: QMP requested-size change, plug and unplug with QEMU's size following",
    devices=[_mem("mem0", 0x02, 0),
             _mem("mem1", 0x03, MEM1_START, ",unplugged-inaccessible=on")],
    memory="512M,slots=4,maxmem=2G",
    script=SCRIPT,
    hooks={"change-mem0": changer("mem0", MEM0_SET), "change-mem1": changer("mem1", 0),
           "selftests": after_selftests},
    checks=[check_config, check_plug, check_fails, check_reset],
    timeout=300,
)
