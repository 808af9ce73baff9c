"""Devices that vanish or stall while virtioctl drives them (issue 11).

Hot-unplug (QMP device_del of a device behind a pcie-root-port) while
`poll` waits on an entropy queue, while `bench` reads a block device and
while `selftest` runs in a loop on another: each ends within a bounded time
with a one-line "device removed" error and exit status 3, never a timeout,
a crash or a reset reported as confirmed. Then QMP stop/cont while
self-tests run in a loop on a remaining device: every run passes or fails
with a documented status and one line, and QEMU's view of the device
afterwards is reset (status 0, no ring).
"""

import time

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive

REMOVED_RC = 3  # VX_NODEV
# After QEMU has released the device the guest must notice within the
# presence check period (250 ms) plus slack for TCG and process exit.
BOUND_S = 5.0
STALL_RUNS = 40

SCRIPT = r'''
for id in rng0 blk0 blk1 rng1; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci
R=$(vm_addr rng0)
B0=$(vm_addr blk0)
B1=$(vm_addr blk1)
R1=$(vm_addr rng1)
up() { cut -d' ' -f1 /proc/uptime; }

# 1. poll waiting on a queue when the device goes.
cat > /tmp/poll.vctl <<VCTL
status $R reset
status $R ack
status $R driver
features $R negotiate
status $R features-ok
vring $R setup 0
status $R driver-ok
poll $R 0 --timeout 60000
VCTL
virtioctl -f /tmp/poll.vctl > /tmp/poll.out 2> /tmp/poll.err &
PID=$!
_t=0
while ! grep -q . /tmp/poll.out 2>/dev/null && [ $_t -lt 100 ]; do sleep 0.1; _t=$((_t + 1)); done
sleep 1
vm_checkpoint unplug-rng0
T0=$(up)
wait $PID
echo "rc=$? t0=$T0 t1=$(up)" > /tmp/poll.rc
vm_run poll-removed sh -c 'cat /tmp/poll.rc /tmp/poll.err'

# 2. bench on a block device when it goes.
virtioctl bench $B0 --duration 60000 > /tmp/bench.out 2> /tmp/bench.err &
PID=$!
sleep 2
vm_checkpoint unplug-blk0
T0=$(up)
wait $PID
echo "rc=$? t0=$T0 t1=$(up)" > /tmp/bench.rc
vm_run bench-removed sh -c 'cat /tmp/bench.rc /tmp/bench.err'

# 3. self-tests in a loop while the device goes (device_del returns at
# once; the guest lets the slot go a few seconds later): the loop ends at
# the first failure, which must say why.
vm_checkpoint unplug-blk1
i=0
rc=0
while [ $i -lt 200 ]; do
	virtioctl selftest $B1 > /tmp/st.out 2> /tmp/st.err || { rc=$?; break; }
	i=$((i + 1))
done
echo "rc=$rc runs=$i" > /tmp/st.rc
vm_run selftest-removed sh -c 'cat /tmp/st.rc /tmp/st.err'

# 4. the VM stopped and continued while self-tests run: every run passes
# or fails with one line and a documented status.
(
	i=0
	while [ $i -lt %(runs)d ]; do
		virtioctl selftest $R1 > /dev/null 2> /tmp/stall.err
		echo "rc=$? lines=$(grep -c . /tmp/stall.err)" >> /tmp/stall.rc
		i=$((i + 1))
	done
) &
PID=$!
sleep 1
vm_checkpoint stall
wait $PID
vm_run stall-runs cat /tmp/stall.rc
vm_checkpoint after
''' % {"runs": STALL_RUNS}


def unplug(dev_id, wait=True):
    """device_del; with wait, the guest goes on only once QEMU has deleted
    the device, otherwise at once, while the unplug is under way."""
    def hook(ctx):
        if not ctx.unplug(dev_id, timeout=20.0 if wait else 0):
            if wait:
                ctx.fail("QEMU did not delete %s within 20 s" % dev_id)
        return []
    return hook


def stall(ctx):
    ctx.qmp.command("stop")
    time.sleep(3)
    ctx.qmp.command("cont")
    return []


def _fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def _split(r):
    lines = r.text.splitlines()
    return _fields(lines[0] if lines else ""), [l for l in lines[1:] if l.strip()]


def check_removed(ctx, name, what):
    r = ctx.result(name)
    if not r:
        return
    f, errs = _split(r)
    rc = int(f.get("rc", "-1"))
    if rc != REMOVED_RC:
        ctx.fail("%s: exit status %d, want %d (device removed): %r"
                 % (what, rc, REMOVED_RC, r.text[-400:]))
    took = float(f.get("t1", 0)) - float(f.get("t0", 0))
    if took > BOUND_S:
        ctx.fail("%s: took %.1f s after the removal (bound %.0f s)" % (what, took, BOUND_S))
    if len(errs) != 1 or "device removed" not in errs[0]:
        ctx.fail("%s: want one 'device removed' error line, got %r" % (what, errs))
    if any("no used buffer within" in l for l in errs):
        ctx.fail("%s: reported as a timeout: %r" % (what, errs))
    if any("reset" in l and "not confirmed" not in l and "confirmed" in l for l in errs):
        ctx.fail("%s: a reset reported as confirmed on a removed device: %r" % (what, errs))


def check_selftest_loop(ctx):
    r = ctx.result("selftest-removed")
    if not r:
        return
    f, errs = _split(r)
    rc = int(f.get("rc", "-1"))
    ctx.note("selftest loop: %s runs passed before the removal was seen" % f.get("runs"))
    # The device may be gone before a run opens it (no such device) or in
    # the middle of one (device removed): both exit 3, with one line.
    if rc != REMOVED_RC or len(errs) != 1 or not (
            "device removed" in errs[0] or "no PCI function" in errs[0]):
        ctx.fail("selftest loop during removal ended with rc %d after %s runs: %r"
                 % (rc, f.get("runs"), errs))


def check_stall(ctx):
    r = ctx.result("stall-runs")
    if not r:
        return
    runs = [_fields(l) for l in r.text.splitlines() if l.startswith("rc=")]
    if len(runs) != STALL_RUNS:
        ctx.fail("stall: %d self-test runs recorded, want %d" % (len(runs), STALL_RUNS))
    for i, f in enumerate(runs):
        rc, lines = int(f["rc"]), int(f["lines"])
        # 0 passed; 6 the device failed the request, 8 a timeout: each with
        # one line saying so.
        if rc not in (0, 6, 8) or (rc != 0 and lines != 1):
            ctx.fail("stall: run %d exited %d with %d error lines" % (i, rc, lines))
    rng1 = ctx.scenario.device("rng1")
    st = ctx.snapshots.get("after", {}).get("rng1")
    if st and features.status_of(st["status"]) != 0:
        ctx.fail("stall: rng1 not reset afterwards", device=rng1, field="status",
                 qemu=features.status_of(st["status"]))
    q = ctx.queue_snapshots.get("after", {}).get("rng1", [{}])
    if q and q[0].get("vring-desc", 0):
        ctx.fail("stall: rng1 queue 0 still has a ring", device=rng1)


SCENARIO = Scenario(
    name="removal",
    description="hot-unplug during poll, bench and selftest; stop/cont during selftests",
    modules=["virtio_pci"],
    devices=[
        Device("rng0", "virtio-rng-pci", 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True, backend=drive("d0", "d0")),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x04, port=True, backend=drive("d1", "d1")),
        Device("rng1", "virtio-rng-pci", 0x05, port=True),
    ],
    disks=[Disk("d0"), Disk("d1")],
    script=SCRIPT,
    hooks={"unplug-rng0": unplug("rng0"), "unplug-blk0": unplug("blk0"),
           "unplug-blk1": unplug("blk1", wait=False), "stall": stall},
    checks=[lambda ctx: check_removed(ctx, "poll-removed", "poll"),
            lambda ctx: check_removed(ctx, "bench-removed", "bench"),
            check_selftest_loop, check_stall],
    timeout=300,
)
