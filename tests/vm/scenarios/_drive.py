"""Shared by the driving scenarios (drive.py, legacy_drive.py): the guest
side that feeds one virtioctl process through a FIFO with a checkpoint after
each command, device back ends that make transmits observable, and the
host-side checks of step results and self-tests."""

import json
import os

from vmharness import features

NET_TEXT = b"virtioctl net self-test"
CONSOLE_TEXT = b"virtioctl console self-test\n"

# Guest side: `step CHECKPOINT COMMAND...` sends COMMAND (with " R " replaced
# by $R, the device under test) to the virtioctl process reading the FIFO,
# waits until it printed a JSON line or an error line, then stops at the
# checkpoint so the host can ask QEMU.  STEPPER_END collects the outputs.
STEPPER_START = r'''
mkfifo /tmp/cmds
virtioctl --json -f - < /tmp/cmds > /tmp/drive.jsonl 2> /tmp/drive.err &
VPID=$!
exec 4> /tmp/cmds
echo "set errexit off" >&4
step() {
	_ck=$1; shift
	_n=$(wc -l < /tmp/drive.jsonl)
	_e=$(wc -l < /tmp/drive.err)
	echo "$*" | sed "s/ R / $R /; s/ R$/ $R/" >&4
	_t=0
	while [ "$(wc -l < /tmp/drive.jsonl)" -le "$_n" ] &&
	      [ "$(wc -l < /tmp/drive.err)" -le "$_e" ] && [ $_t -lt 300 ]; do
		sleep 0.1; _t=$((_t + 1))
	done
	vm_checkpoint "$_ck"
}
'''
STEPPER_END = r'''
echo quit >&4
exec 4>&-
wait $VPID
echo "exit $?" >> /tmp/drive.err
vm_run drive-jsonl cat /tmp/drive.jsonl
vm_run drive-err cat /tmp/drive.err
'''


def stepper(steps):
    """The guest script part that runs STEPS [(checkpoint, command)];
    commands may use shell variables ("$A_rng0"), expanded by the guest."""
    return (STEPPER_START + "\n".join('step %s "%s"' % s for s in steps) + "\n" +
            STEPPER_END)


def device_steps(dev, queue, size, post):
    """The bring-up of device `dev` ($A_dev in the guest) step by step, one
    chain posted on `queue`, then the reset; checkpoints are "DEV-STEP"."""
    a = "$A_" + dev
    return [(dev + "-" + ck, cmd % {"a": a, "q": queue}) for ck, cmd in (
        ("reset", "status %(a)s reset"),
        ("ack", "status %(a)s ack"),
        ("driver", "status %(a)s driver"),
        ("features", "features %(a)s negotiate"),
        ("fok", "status %(a)s features-ok"),
        ("vring", "vring %(a)s setup %(q)d " + size),
        ("dok", "status %(a)s driver-ok"),
        ("post", "post %(a)s %(q)d " + post),
        ("kick", "kick %(a)s %(q)d"),
        ("poll", "poll %(a)s %(q)d --timeout 10000"),
        ("show", "vring %(a)s show %(q)d"),
        ("reset2", "status %(a)s reset"))]


def lossy_net(netdev, pcap):
    """A netdev whose transmits complete and go nowhere, recorded in pcap: a
    unix datagram socket sending to a path nobody binds (QEMU drops the
    frame after filter-dump saw it).  Not a lone hubport(): its hub has
    nobody to deliver to, so QEMU keeps the frame queued and the transmit
    never completes."""
    return ["-netdev", "dgram,id=%s,local.type=unix,local.path={tmp}/%s.sock,"
            "remote.type=unix,remote.path={tmp}/nobody.sock" % (netdev, netdev),
            "-object", "filter-dump,id=fd-%s,netdev=%s,file={tmp}/%s" % (netdev, netdev, pcap)]


def console_port(serial_id):
    """Device arguments for a virtio-serial device whose port 0 is a
    console writing to {tmp}/SERIAL_ID.out (console_file())."""
    return dict(backend=["-chardev", "file,id=vcon-%s,path={tmp}/%s" % (
                    serial_id, console_file(serial_id))],
                children=["-device", "virtconsole,chardev=vcon-%s,bus=%s.0,nr=0" % (
                    serial_id, serial_id)])


def console_file(serial_id):
    return "%s.out" % serial_id


def status_at(ctx, ck, dev):
    snap = ctx.snapshots.get(ck)
    if snap is None:
        ctx.fail("no QMP snapshot at %s" % ck)
        return None
    return features.status_of(snap[dev]["status"])


def step_results(ctx, steps):
    """{checkpoint: JSON result} of the stepper, or None (failure recorded)."""
    r = ctx.result("drive-jsonl")
    docs = []
    for line in (r.text.splitlines() if r else []):
        try:
            docs.append(json.loads(line))
        except ValueError:
            ctx.fail("drive: a line that is not JSON: %r" % line[:200])
    if len(docs) != len(steps):
        err = ctx.result("drive-err")
        ctx.fail("drive: %d JSON lines for %d commands; stderr: %s" % (
            len(docs), len(steps), err.text if err else "?"))
        return None
    return dict(zip((ck for ck, _ in steps), docs))


def check_status_steps(ctx, dev, want):
    """QEMU's status at each checkpoint in want {checkpoint: status}."""
    d = ctx.scenario.device(dev)
    for ck, bits in want.items():
        got = status_at(ctx, ck, dev)
        if got is not None and got != bits:
            ctx.fail("status after %s" % ck, device=d, field="status",
                     virtioctl="0x%02x expected" % bits, qemu="0x%02x" % got)


def check_ring_matches(ctx, dev, ck, ring, queue=0):
    """The queue virtioctl set up (vring JSON) is the one QEMU has; returns
    QEMU's status of that queue."""
    q = ctx.queue_snapshots.get(ck, {}).get(dev, [])
    if len(q) <= queue:
        ctx.fail("no QMP status of queue %d at %s" % (queue, ck))
        return None
    for ours, theirs in (("size", "vring-num"), ("desc_addr", "vring-desc"),
                         ("driver_addr", "vring-avail"), ("device_addr", "vring-used")):
        if ring.get(ours) != q[queue].get(theirs):
            ctx.fail("queue %d after vring setup" % queue, device=ctx.scenario.device(dev),
                     field=ours, virtioctl=ring.get(ours), qemu=q[queue].get(theirs))
    return q[queue]


def check_poll(ctx, dev, ck, poll, length, queue=0):
    """One used element of `length` bytes, and QEMU's used index is 1."""
    d = ctx.scenario.device(dev)
    used = poll.get("used", {})
    if poll.get("count") != 1 or used.get("len") != length:
        ctx.fail("poll on queue %d" % queue, device=d, field="used.len",
                 virtioctl="count %r, len %r" % (poll.get("count"), used.get("len")),
                 qemu="one element of %d bytes expected" % length)
    q = ctx.queue_snapshots.get(ck, {}).get(dev, [])
    if len(q) > queue and q[queue].get("used-idx") != 1:
        ctx.fail("used index after poll", device=d, field="used-idx", virtioctl=1,
                 qemu=q[queue].get("used-idx"))


def selftest_doc(ctx, dev, interface=None):
    """The passed self-test's JSON, or None (failure recorded)."""
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
        ctx.fail("selftest %s failed (rc %s): %s %s" % (
            dev, r.rc, json.dumps(doc.get("steps")), r.stderr[-300:]))
        return None
    if interface and doc.get("interface") != interface:
        ctx.fail("selftest %s ran through %s, not %s" % (dev, doc.get("interface"), interface))
    return doc


def host_file(ctx, name):
    path = os.path.join(ctx.tmpdir, name)
    return open(path, "rb").read() if os.path.exists(path) else b""


def check_selftests(ctx, entropy=(), block=None, console=(), net=None, interface=None,
                    reset_at=None):
    """entropy: device ids (64 bytes each); block: {device: disk}, data is
    the image's first 4 KiB; console: serial device ids made with
    console_port() (bytes in the host's chardev file); net: {device: pcap
    file}; reset_at: checkpoint where every one of them must read status 0."""
    for dev in entropy:
        doc = selftest_doc(ctx, dev, interface)
        if doc and doc.get("data_length") != 64:
            ctx.fail("entropy selftest returned %r bytes, asked 64" % doc.get("data_length"))
    for dev, disk in (block or {}).items():
        doc = selftest_doc(ctx, dev, interface)
        want = ctx.disks[disk].sha256_4k
        if doc and doc.get("data_sha256") != want:
            ctx.fail("block selftest data", device=ctx.scenario.device(dev),
                     field="data_sha256", virtioctl=doc.get("data_sha256"),
                     qemu="%s (the disk image's first 4096 bytes)" % want)
    for dev in console:
        if selftest_doc(ctx, dev, interface):
            got = host_file(ctx, console_file(dev))
            if CONSOLE_TEXT not in got:
                ctx.fail("console selftest %s: host chardev file has %r" % (dev, got[:200]))
    for dev, pcap in (net or {}).items():
        if selftest_doc(ctx, dev, interface):
            got = host_file(ctx, pcap)
            if NET_TEXT not in got or b"\x88\xb5" not in got:
                ctx.fail("net selftest %s: frame not in the host pcap (%d bytes)"
                         % (dev, len(got)))
    devices = list(entropy) + list(block or {}) + list(net or {}) + list(console)
    st = ctx.snapshots.get(reset_at, {}) if reset_at else {}
    for dev in devices:
        if dev in st and features.status_of(st[dev]["status"]) != 0:
            ctx.fail("device not reset after its selftest", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st[dev]["status"]))
