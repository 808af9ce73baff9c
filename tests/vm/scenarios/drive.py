"""Driving devices by hand (the device-driving issue), checked against QEMU.

One virtioctl process reads commands from a FIFO (a script on standard
input, JSON Lines out), so the guest can stop at a checkpoint after each
command while the host asks QEMU over QMP: the status bits after every
step, the negotiated features, the queue's size and ring addresses after
`vring setup`, the used index after `poll`, and the status after the final
reset.  Then the self-tests (one-shot): entropy returns the bytes asked
for, block's data_sha256 is the disk image's first 4 KiB, console bytes
arrive in the host's chardev file, the net frame in a host pcap; the same
through transitional devices; a device bound to virtio_blk is refused and
left as it was; SIGINT and SIGTERM during `poll` leave the device reset.
"""

import hashlib
import json
import os

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive

UNBOUND = ["rng0", "blk0", "ser0", "net0", "rng1", "blk1"]
NET_TEXT = b"virtioctl net self-test"
CONSOLE_TEXT = b"virtioctl console self-test\n"

# Each step: checkpoint name, command (R = rng0's address).
STEPS = [
    ("s-reset", "status R reset"),
    ("s-ack", "status R ack"),
    ("s-driver", "status R driver"),
    ("s-features", "features R negotiate"),
    ("s-fok", "status R features-ok"),
    ("s-vring", "vring R setup 0 4"),
    ("s-dok", "status R driver-ok"),
    ("s-post", "post R 0 w:32"),
    ("s-kick", "kick R 0"),
    ("s-poll", "poll R 0 --timeout 10000"),
    ("s-show", "vring R show 0"),
    ("s-reset2", "status R reset"),
]

SCRIPT = r'''
for id in %(unbound)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci virtio_blk
vm_wait_bound 20 blk2 || vm_log "blk2 did not get bound"
R=$(vm_addr rng0)

# One process, one command per checkpoint.
mkfifo /tmp/cmds
virtioctl --json -f - < /tmp/cmds > /tmp/drive.jsonl 2> /tmp/drive.err &
VPID=$!
exec 4> /tmp/cmds
echo "set errexit off" >&4
step() {
	_ck=$1; shift
	_n=$(wc -l < /tmp/drive.jsonl)
	echo "$*" | sed "s/ R / $R /; s/ R$/ $R/" >&4
	_e=$(wc -l < /tmp/drive.err)
	_t=0
	# A command prints a JSON line, or an error line on stderr.
	while [ "$(wc -l < /tmp/drive.jsonl)" -le "$_n" ] &&
	      [ "$(wc -l < /tmp/drive.err)" -le "$_e" ] && [ $_t -lt 300 ]; do
		sleep 0.1; _t=$((_t + 1))
	done
	vm_checkpoint "$_ck"
}
%(steps)s
echo quit >&4
exec 4>&-
wait $VPID
echo "exit $?" >> /tmp/drive.err
vm_run drive-jsonl cat /tmp/drive.jsonl
vm_run drive-err cat /tmp/drive.err

for id in rng0 blk0 ser0 net0 rng1 blk1; do
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
    "steps": "\n".join("step %s %s" % (ck, cmd) for ck, cmd in STEPS),
}


def _jsonl(ctx):
    r = ctx.result("drive-jsonl")
    if r is None:
        return []
    docs = []
    for line in r.text.splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError:
            ctx.fail("drive: a line that is not JSON: %r" % line[:200])
    return docs


def _status(ctx, ck, dev):
    snap = ctx.snapshots.get(ck)
    if snap is None:
        ctx.fail("no QMP snapshot at %s" % ck)
        return None
    return features.status_of(snap[dev]["status"])


def check_steps(ctx):
    """Status after each step, features, queue registers, used index."""
    rng = ctx.scenario.device("rng0")
    want_status = {"s-reset": 0, "s-ack": 1, "s-driver": 3, "s-features": 3,
                   "s-fok": 0x0b, "s-vring": 0x0b, "s-dok": 0x0f, "s-poll": 0x0f,
                   "s-reset2": 0}
    for ck, want in want_status.items():
        got = _status(ctx, ck, "rng0")
        if got is not None and got != want:
            ctx.fail("status after %s" % ck, device=rng, field="status",
                     virtioctl="0x%02x expected" % want, qemu="0x%02x" % got)
    docs = _jsonl(ctx)
    if len(docs) != len(STEPS):
        err = ctx.result("drive-err")
        ctx.fail("drive: %d JSON lines for %d commands; stderr: %s" % (
            len(docs), len(STEPS), err.text if err else "?"))
        return
    by_step = dict(zip((ck for ck, _ in STEPS), docs))
    snap = ctx.snapshots.get("s-features")
    if snap:
        guest = features.bits_of(4, snap["rng0"]["guest-features"])
        ours = int(by_step["s-features"]["driver_features"], 16)
        if guest != ours or not guest & (1 << 32):
            ctx.fail("negotiated features", device=rng, field="guest-features",
                     virtioctl="0x%016x" % ours, qemu="0x%016x" % guest)
    q = ctx.queue_snapshots.get("s-vring", {}).get("rng0", [])
    ring = by_step["s-vring"].get("vring", {})
    if not q:
        ctx.fail("no QMP queue status at s-vring")
    else:
        for ours, theirs in (("size", "vring-num"), ("desc_addr", "vring-desc"),
                             ("driver_addr", "vring-avail"), ("device_addr", "vring-used")):
            if ring.get(ours) != q[0].get(theirs):
                ctx.fail("queue 0 after vring setup", device=rng, field=ours,
                         virtioctl=ring.get(ours), qemu=q[0].get(theirs))
    poll = by_step["s-poll"]
    if poll.get("count") != 1 or poll.get("used", {}).get("len") != 32:
        ctx.fail("poll: %r" % poll, device=rng)
    q = ctx.queue_snapshots.get("s-poll", {}).get("rng0", [])
    if q and q[0].get("used-idx") != 1:
        ctx.fail("used index after poll", device=rng, field="used-idx",
                 virtioctl=1, qemu=q[0].get("used-idx"))
    show = by_step["s-show"].get("vring", {})
    if show.get("used", {}).get("idx") != 1 or show.get("in_flight") != 0:
        ctx.fail("vring show after poll: %r" % show, device=rng)


def _selftest(ctx, dev):
    r = ctx.result("st-" + dev)
    if r is None:
        return None
    try:
        doc = json.loads(r.text)
    except ValueError:
        ctx.fail("selftest %s: not JSON (rc %s): %r %r" % (dev, r.rc, r.text[:200],
                                                          r.stderr[-300:]))
        return None
    if r.rc != 0 or doc.get("passed") is not True:
        ctx.fail("selftest %s failed (rc %s): %s" % (dev, r.rc, json.dumps(doc.get("steps"))))
        return None
    return doc


def check_selftests(ctx):
    for dev in ("rng0", "rng1"):
        doc = _selftest(ctx, dev)
        if doc and doc.get("data_length") != 64:
            ctx.fail("entropy selftest returned %r bytes, asked 64" % doc.get("data_length"))
    for dev, disk in (("blk0", "d0"), ("blk1", "d1")):
        doc = _selftest(ctx, dev)
        want = ctx.disks[disk].sha256_4k
        if doc and doc.get("data_sha256") != want:
            ctx.fail("block selftest data", device=ctx.scenario.device(dev),
                     field="data_sha256", virtioctl=doc.get("data_sha256"),
                     qemu="%s (the disk image's first 4096 bytes)" % want)
    if _selftest(ctx, "ser0"):
        path = os.path.join(ctx.tmpdir, "console.out")
        got = open(path, "rb").read() if os.path.exists(path) else b""
        if CONSOLE_TEXT not in got:
            ctx.fail("console selftest: host chardev file has %r" % got[:200])
    if _selftest(ctx, "net0"):
        path = os.path.join(ctx.tmpdir, "net.pcap")
        got = open(path, "rb").read() if os.path.exists(path) else b""
        if NET_TEXT not in got or b"\x88\xb5" not in got:
            ctx.fail("net selftest: frame not in the host pcap (%d bytes)" % len(got))
    text = ctx.result("st-blk0-text")
    if text and ("Passed" not in text.text or ctx.disks["d0"].sha256_4k not in text.text):
        ctx.fail("selftest text output: %r" % text.text[-500:])
    st = ctx.snapshots.get("selftests", {})
    for dev in ("rng0", "blk0", "ser0", "net0", "rng1", "blk1"):
        if dev in st and features.status_of(st[dev]["status"]) != 0:
            ctx.fail("device not reset after its selftest", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st[dev]["status"]))


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
        if _status(ctx, "before-" + sig, "rng0") != 0x0f:
            ctx.fail("SIG%s test: device not live before the signal" % sig, device=rng,
                     qemu=_status(ctx, "before-" + sig, "rng0"))
        got = _status(ctx, "after-" + sig, "rng0")
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
               backend=["-chardev", "file,id=vcon0,path={tmp}/console.out"],
               children=["-device", "virtconsole,chardev=vcon0,bus=ser0.0,nr=0"]),
        # A lone hubport never completes a transmit (its hub has nobody to
        # deliver to, so QEMU queues the frame forever); a unix datagram
        # socket to a path nobody binds drops it after filter-dump saw it.
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x05, port=True,
               backend=["-netdev", "dgram,id=hn0,local.type=unix,local.path={tmp}/net0.sock,"
                        "remote.type=unix,remote.path={tmp}/nobody.sock",
                        "-object", "filter-dump,id=fd0,netdev=hn0,file={tmp}/net.pcap"]),
        Device("rng1", "virtio-rng-pci", 0x06),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x07, backend=drive("d1", "d1")),
        Device("blk2", "virtio-blk-pci,drive=d2", 0x08, port=True,
               backend=drive("d2", "d2")),
    ],
    disks=[Disk("d0"), Disk("d1"), Disk("d2")],
    script=SCRIPT,
    checks=[check_steps, check_selftests, check_refused, check_signals],
    timeout=300,
)
