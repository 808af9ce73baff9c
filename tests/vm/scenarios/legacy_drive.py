"""Driving devices through the legacy interface, checked against QEMU.

Step by step on a legacy-only entropy device (one virtioctl process fed
through a FIFO, a checkpoint after each command, as in drive.py): status
steps without FEATURES_OK (the legacy interface has none), 32-bit feature
negotiation, `vring setup` with the legacy layout (QUEUE_NUM's fixed size,
one 4096-aligned block named by QUEUE_PFN: QEMU's vring-desc/avail/used
must be where the legacy layout puts them), post/kick (QUEUE_NOTIFY)/poll,
and the reset. Then the self-tests of legacy-only entropy, block, console
and net devices and of transitional ones with `--transport legacy`, and a
refusal: a ring size other than QUEUE_NUM.
"""

import json
import os
import zlib

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive

LEGACY = ["rng0", "blk0", "ser0", "net0"]
TRANSITIONAL = ["rng1", "blk1", "net1"]
NET_TEXT = b"virtioctl net self-test"
CONSOLE_TEXT = b"virtioctl console self-test\n"

STEPS = [
    ("s-reset", "status R reset"),
    ("s-ack", "status R ack"),
    ("s-driver", "status R driver"),
    ("s-features", "features R negotiate"),
    ("s-vring", "vring R setup 0"),
    ("s-dok", "status R driver-ok"),
    ("s-post", "post R 0 w:32"),
    ("s-kick", "kick R 0"),
    ("s-poll", "poll R 0 --timeout 10000"),
    ("s-show", "vring R show 0"),
    ("s-reset2", "status R reset"),
]

SCRIPT = r'''
# The DMA plan for legacy rings: a 256-entry legacy ring is 10246
# contiguous bytes, which small pages rarely give; hugepages always do.
echo 8 > /proc/sys/vm/nr_hugepages
R=$(vm_addr rng0)
mkfifo /tmp/cmds
virtioctl --json -f - < /tmp/cmds > /tmp/drive.jsonl 2> /tmp/drive.err &
VPID=$!
exec 4> /tmp/cmds
echo "set errexit off" >&4
step() {
	_ck=$1; shift
	_n=$(wc -l < /tmp/drive.jsonl)
	echo "$*" | sed "s/ R / $R /; s/ R$/ $R/" >&4
	_t=0
	while [ "$(wc -l < /tmp/drive.jsonl)" -le "$_n" ] && [ $_t -lt 300 ]; do
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

for id in %(legacy)s; do
	vm_run st-$id virtioctl --json selftest $(vm_addr $id)
done
for id in %(transitional)s; do
	vm_run st-$id virtioctl --json --transport legacy selftest $(vm_addr $id)
done
vm_checkpoint selftests
cat > /tmp/bad.vctl <<EOF
status $R reset
status $R ack
status $R driver
features $R negotiate
vring $R setup 0 4
EOF
vm_run bad-size virtioctl -f /tmp/bad.vctl
vm_checkpoint refused
''' % {
    "steps": "\n".join("step %s %s" % (ck, cmd) for ck, cmd in STEPS),
    "legacy": " ".join(LEGACY),
    "transitional": " ".join(TRANSITIONAL),
}


def _status(ctx, ck, dev):
    snap = ctx.snapshots.get(ck)
    if snap is None:
        ctx.fail("no QMP snapshot at %s" % ck)
        return None
    return features.status_of(snap[dev]["status"])


def _jsonl(ctx):
    r = ctx.result("drive-jsonl")
    docs = []
    for line in (r.text.splitlines() if r else []):
        try:
            docs.append(json.loads(line))
        except ValueError:
            ctx.fail("drive: a line that is not JSON: %r" % line[:200])
    return docs


def check_steps(ctx):
    rng = ctx.scenario.device("rng0")
    want_status = {"s-reset": 0, "s-ack": 1, "s-driver": 3, "s-features": 3,
                   "s-vring": 3, "s-dok": 7, "s-poll": 7, "s-reset2": 0}
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
        # QEMU applies a legacy driver's write at once; 32 bits only
        if guest != ours or guest >> 32:
            ctx.fail("negotiated features", device=rng, field="guest-features",
                     virtioctl="0x%016x" % ours, qemu="0x%016x" % guest)
    q = ctx.queue_snapshots.get("s-vring", {}).get("rng0", [])
    ring = by_step["s-vring"].get("vring", {})
    if not q:
        ctx.fail("no QMP queue status at s-vring")
    else:
        q0 = q[0]
        for ours, theirs in (("size", "vring-num"), ("desc_addr", "vring-desc"),
                             ("driver_addr", "vring-avail"), ("device_addr", "vring-used")):
            if ring.get(ours) != q0.get(theirs):
                ctx.fail("queue 0 after vring setup", device=rng, field=ours,
                         virtioctl=ring.get(ours), qemu=q0.get(theirs))
        n = q0.get("vring-num", 0)
        desc = q0.get("vring-desc", 1)
        if (desc % 4096 or q0.get("vring-avail") != desc + 16 * n or
                q0.get("vring-used") != (desc + 16 * n + 6 + 2 * n + 4095) // 4096 * 4096):
            ctx.fail("QEMU's rings are not in the legacy layout", device=rng, qemu=q0)
        if ring.get("layout") != "legacy":
            ctx.fail("vring setup layout", device=rng, virtioctl=ring.get("layout"),
                     qemu="legacy")
    poll = by_step["s-poll"]
    if poll.get("count") != 1 or poll.get("used", {}).get("len") != 32:
        ctx.fail("poll: %r" % poll, device=rng)
    q = ctx.queue_snapshots.get("s-poll", {}).get("rng0", [])
    if q and q[0].get("used-idx") != 1:
        ctx.fail("used index after poll", device=rng, field="used-idx",
                 virtioctl=1, qemu=q[0].get("used-idx"))
    q = ctx.queue_snapshots.get("s-reset2", {}).get("rng0", [])
    if q and q[0].get("vring-desc") != 0:
        ctx.fail("queue 0 still set after the reset", device=rng, qemu=q[0])


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
        ctx.fail("selftest %s failed (rc %s): %s %s" % (
            dev, r.rc, json.dumps(doc.get("steps")), r.stderr[-300:]))
        return None
    if doc.get("interface", "legacy") != "legacy":
        ctx.fail("selftest %s ran through %s" % (dev, doc.get("interface")))
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
    for dev, pcap in (("net0", "net0.pcap"), ("net1", "net1.pcap")):
        if _selftest(ctx, dev):
            path = os.path.join(ctx.tmpdir, pcap)
            got = open(path, "rb").read() if os.path.exists(path) else b""
            if NET_TEXT not in got:
                ctx.fail("net selftest %s: frame not in the host pcap (%d bytes)"
                         % (dev, len(got)))
    st = ctx.snapshots.get("selftests", {})
    for dev in LEGACY + TRANSITIONAL:
        if dev in st and features.status_of(st[dev]["status"]) != 0:
            ctx.fail("device not reset after its selftest", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(st[dev]["status"]))
        # the guest features QEMU saw are 32-bit: the legacy interface
        # cannot even express VERSION_1


def check_refused(ctx):
    r = ctx.result("bad-size")
    if r and (r.rc != 2 or b"fixed size" not in r.stderr):
        ctx.fail("vring setup with a size other than QUEUE_NUM: rc %s, stderr %r"
                 % (r.rc, r.stderr[-300:]))
    q = ctx.queue_snapshots.get("refused", {}).get("rng0", [{}])
    if q and q[0].get("vring-desc", 0) != 0:
        ctx.fail("refused vring setup still programmed the queue", qemu=q[0])


def udp(netdev):
    """A socket netdev sending to a loopback port nobody listens on: frames
    leave (and filter-dump records them), nothing comes back. Not
    hubport(): with two lone hubports in one QEMU 7.2, a transmitted frame
    is never completed (the element stays in flight), whichever interface
    drives the device."""
    base = 30000 + (os.getpid() + zlib.crc32(netdev.encode())) % 15000 * 2
    return ["-netdev", "socket,id=%s,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d"
            % (netdev, base, base + 1)]


def _console():
    return dict(backend=["-chardev", "file,id=vcon0,path={tmp}/console.out"],
                children=["-device", "virtconsole,chardev=vcon0,bus=ser0.0,nr=0"])


SCENARIO = Scenario(
    name="legacy_drive",
    description="driving and self-tests through the legacy interface vs QMP",
    devices=[
        Device("rng0", "virtio-rng-pci,disable-modern=on", 0x02),
        Device("blk0", "virtio-blk-pci,drive=d0,disable-modern=on", 0x03,
               backend=drive("d0", "d0")),
        Device("ser0", "virtio-serial-pci,disable-modern=on,max_ports=2", 0x04, **_console()),
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,disable-modern=on", 0x05,
               backend=udp("hn0") + ["-object",
                                     "filter-dump,id=fd0,netdev=hn0,file={tmp}/net0.pcap"]),
        Device("rng1", "virtio-rng-pci", 0x06),
        Device("blk1", "virtio-blk-pci,drive=d1", 0x07, backend=drive("d1", "d1")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=", 0x08,
               backend=udp("hn1") + ["-object",
                                     "filter-dump,id=fd1,netdev=hn1,file={tmp}/net1.pcap"]),
    ],
    disks=[Disk("d0"), Disk("d1")],
    script=SCRIPT,
    checks=[check_steps, check_selftests, check_refused],
    timeout=300,
)
