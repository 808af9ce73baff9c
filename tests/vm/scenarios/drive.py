"""Driving devices by hand (the device-driving issue), checked against QEMU.

One virtioctl process reads commands from a FIFO (a script on standard
input, JSON Lines out), so the guest can stop at a checkpoint after each
command while the host asks QEMU over QMP. For modern and transitional
entropy, block, console and net devices in turn: the status bits after every
step, the negotiated features, the queue's size and ring addresses after
`vring setup`, the used element and QEMU's used index after `poll` (the
sector read by hand is the disk image's, the console bytes reach the host
file, the frame the host pcap), and the status after the final reset.  Then the self-tests (one-shot): entropy returns the bytes asked
for, block's data_sha256 is the disk image's first 4 KiB, console bytes
arrive in the host's chardev file, the net frame in a host pcap; the same
through transitional devices; a device bound to virtio_blk is refused and
left as it was; SIGINT and SIGTERM during `poll` leave the device reset.
"""

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive
from scenarios._common import drive

UNBOUND = ["rng0", "blk0", "ser0", "net0", "rng1", "blk1", "ser1", "net1"]

CONSOLE_STEP = b"virtioctl console stepper\n"
NET_STEP = b"virtioctl net stepper"
BLK_READ = "r:" + "00" * 16 + " w:512 w:1"  # VIRTIO_BLK_T_IN of sector 0
FRAME = (b"\xff" * 6 + b"\x02\x00\x00\x76\x69\x6f\x88\xb5" + NET_STEP).ljust(60, b"\0")

# Per device type: queue used, vring size argument, the chain posted, and
# the used length the device must report (transmits report 0).
TYPES = {
    "rng": (0, "4", "w:32", 32),
    "blk": (0, "", BLK_READ, 513),
    "ser": (1, "", "r:" + CONSOLE_STEP.hex(), 0),
    "net": (1, "", "r:" + "00" * 12 + " r:" + FRAME.hex(), 0),
}
STEPPED = ["rng0", "blk0", "ser0", "net0", "rng1", "blk1", "ser1", "net1"]
STEPS = [s for dev in STEPPED for s in _drive.device_steps(dev, *TYPES[dev[:3]][:3])]

SCRIPT = r'''
for id in %(unbound)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci virtio_blk
vm_wait_bound 20 blk2 || vm_log "blk2 did not get bound"
R=$(vm_addr rng0)
for id in %(unbound)s; do eval "A_$id=$(vm_addr $id)"; done

# One process, one command per checkpoint.
%(stepper)s
for id in %(unbound)s; do
	vm_run st-$id virtioctl --json selftest $(vm_addr $id)
done
vm_run st-blk0-text virtioctl selftest $(vm_addr blk0)
vm_checkpoint selftests

# A device its driver owns: refused, untouched.
B2=$(vm_addr blk2)
vm_run refuse-reset virtioctl status $B2 reset
vm_run refuse-selftest virtioctl --json selftest $B2
vm_run refuse-vring virtioctl vring $B2 setup 0
vm_checkpoint refused

# SIGINT and SIGTERM while poll waits: the device is reset on the way out.
for sig in INT TERM; do
	cat > /tmp/sig.vctl <<EOF
status $R reset
status $R ack
status $R driver
features $R negotiate
status $R features-ok
vring $R setup 0
status $R driver-ok
poll $R 0 --timeout 60000
EOF
	virtioctl -f /tmp/sig.vctl > /tmp/sig.out 2> /tmp/sig.err &
	SPID=$!
	# Wait until the queue is enabled, then a little more for poll to start.
	_t=0
	while ! grep -q . /tmp/sig.out 2>/dev/null && [ $_t -lt 100 ]; do sleep 0.1; _t=$((_t + 1)); done
	sleep 2
	vm_checkpoint before-$sig
	kill -$sig $SPID
	wait $SPID
	echo "exit $?" >> /tmp/sig.err
	vm_run sig-$sig cat /tmp/sig.err
	vm_checkpoint after-$sig
done
''' % {
    "unbound": " ".join(UNBOUND),
    "stepper": _drive.stepper(STEPS),
}


def check_steps(ctx):
    """For each device: status after each step, negotiated features, the
    queue's size and addresses after setup, the used element and QEMU's used
    index after poll, and what reached the host."""
    by_step = _drive.step_results(ctx, STEPS)
    for dev in STEPPED:
        d = ctx.scenario.device(dev)
        queue, _, _, used_len = TYPES[dev[:3]]
        _drive.check_status_steps(ctx, dev, {
            dev + "-reset": 0, dev + "-ack": 1, dev + "-driver": 3, dev + "-features": 3,
            dev + "-fok": 0x0b, dev + "-vring": 0x0b, dev + "-dok": 0x0f,
            dev + "-poll": 0x0f, dev + "-reset2": 0})
        if by_step is None:
            continue
        snap = ctx.snapshots.get(dev + "-features")
        if snap:
            vid = {"rng": 4, "blk": 2, "ser": 3, "net": 1}[dev[:3]]
            guest = features.bits_of(vid, snap[dev]["guest-features"])
            ours = int(by_step[dev + "-features"]["driver_features"], 16)
            if guest != ours or not guest & (1 << 32):
                ctx.fail("negotiated features", device=d, field="guest-features",
                         virtioctl="0x%016x" % ours, qemu="0x%016x" % guest)
        _drive.check_ring_matches(ctx, dev, dev + "-vring",
                                  by_step[dev + "-vring"].get("vring", {}), queue)
        poll = by_step[dev + "-poll"]
        _drive.check_poll(ctx, dev, dev + "-poll", poll, used_len, queue)
        show = by_step[dev + "-show"].get("vring", {})
        if show.get("used", {}).get("idx") != 1 or show.get("in_flight") != 0:
            ctx.fail("vring show after poll: %r" % show, device=d)
        if dev.startswith("blk"):
            disk = ctx.disks["d" + dev[-1]].content()[:512] + b"\0"
            if poll.get("used", {}).get("data") != disk.hex():
                ctx.fail("sector 0 read by hand differs from the disk image", device=d)
    for dev, text in (("ser0", CONSOLE_STEP), ("ser1", CONSOLE_STEP)):
        if text not in _drive.host_file(ctx, _drive.console_file(dev)):
            ctx.fail("console bytes posted by hand did not reach the host file",
                     device=ctx.scenario.device(dev))
    for dev in ("net0", "net1"):
        if NET_STEP not in _drive.host_file(ctx, dev + ".pcap"):
            ctx.fail("frame posted by hand is not in the host pcap",
                     device=ctx.scenario.device(dev))


def check_selftests(ctx):
    # 0 are modern-only, 1 transitional (driven through the modern interface)
    _drive.check_selftests(ctx, entropy=("rng0", "rng1"), block={"blk0": "d0", "blk1": "d1"},
                           console=("ser0", "ser1"),
                           net={"net0": "net0.pcap", "net1": "net1.pcap"}, interface="modern",
                           reset_at="selftests")
    text = ctx.result("st-blk0-text")
    if text and ("Passed" not in text.text or ctx.disks["d0"].sha256_4k not in text.text):
        ctx.fail("selftest text output: %r" % text.text[-500:])


def check_refused(ctx):
    blk2 = ctx.scenario.device("blk2")
    for name in ("refuse-reset", "refuse-selftest", "refuse-vring"):
        r = ctx.result(name)
        if r and (r.rc != 5 or "virtio_blk" not in r.stderr.decode() and
                  "virtio-pci" not in r.stderr.decode()):
            ctx.fail("%s: rc %s (want 5), stderr %r" % (name, r.rc, r.stderr[-300:]),
                     device=blk2)
    before = ctx.snapshots.get("selftests", {}).get("blk2")
    after = ctx.snapshots.get("refused", {}).get("blk2")
    if before and after:
        if features.status_of(after["status"]) != 0x0f:
            ctx.fail("bound device status changed", device=blk2, field="status",
                     qemu=features.status_of(after["status"]))
        if before["guest-features"] != after["guest-features"]:
            ctx.fail("bound device features changed", device=blk2)
    q0 = ctx.queue_snapshots.get("refused", {}).get("blk2", [{}])[0]
    q1 = ctx.queue_snapshots.get("selftests", {}).get("blk2", [{}])[0]
    if q0.get("vring-desc") != q1.get("vring-desc"):
        ctx.fail("bound device queue 0 moved", device=blk2)


def check_signals(ctx):
    rng = ctx.scenario.device("rng0")
    for sig in ("INT", "TERM"):
        if _drive.status_at(ctx, "before-" + sig, "rng0") != 0x0f:
            ctx.fail("SIG%s test: device not live before the signal" % sig, device=rng,
                     qemu=_drive.status_at(ctx, "before-" + sig, "rng0"))
        got = _drive.status_at(ctx, "after-" + sig, "rng0")
        if got != 0:
            ctx.fail("SIG%s during poll: device not reset" % sig, device=rng,
                     field="status", qemu=got)
        q = ctx.queue_snapshots.get("after-" + sig, {}).get("rng0", [{}])
        if q and q[0].get("vring-desc", 0) != 0:
            ctx.fail("SIG%s: queue 0 still has a ring" % sig, device=rng,
                     qemu=q[0].get("vring-desc"))
        r = ctx.result("sig-" + sig)
        if r and "exit 0" in r.text:
            ctx.fail("SIG%s: virtioctl exited 0 when interrupted: %r" % (sig, r.text))


SCENARIO = Scenario(
    name="drive",
    description="status steps, features, vring, post/kick/poll and self-tests vs QMP",
    modules=["virtio_pci", "virtio_blk"],
    devices=[
        Device("rng0", "virtio-rng-pci", 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True,
               backend=drive("d0", "d0")),
        Device("ser0", "virtio-serial-pci,max_ports=2", 0x04, port=True,
               **_drive.console_port("ser0")),
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x05, port=True,
               backend=_drive.lossy_net("hn0", "net0.pcap")),
        Device("rng1", "virtio-rng-pci", 0x06),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x07, backend=drive("d1", "d1")),
        Device("ser1", "virtio-serial-pci,max_ports=2", 0x09, **_drive.console_port("ser1")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=", 0x0a,
               backend=_drive.lossy_net("hn1", "net1.pcap")),
        Device("blk2", "virtio-blk-pci,drive=d2", 0x08, port=True,
               backend=drive("d2", "d2")),
    ],
    disks=[Disk("d0"), Disk("d1"), Disk("d2")],
    script=SCRIPT,
    checks=[check_steps, check_selftests, check_refused, check_signals],
    timeout=300,
)
