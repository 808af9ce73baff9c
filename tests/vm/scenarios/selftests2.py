"""Known-answer self-tests of 9p, virtio-fs, console with MULTIPORT, net with
its control queue and an ARP exchange, and vsock, against QEMU 7.2's
devices (issue 12, item 3).

9p (`-fsdev local`) and fs (virtiofsd, vhost-user) read a file the host
wrote into the export: data_sha256 is the file's, the mount tags are the
ones QEMU was given; a path that names a directory, or a name that is
missing, fails the self-test.  console: the control-queue handshake reports
port 0 as the console and port 1 by its name, and the bytes written through
each port reach its host chardev file; a bus with no port fails.  Console
and net are also driven through the legacy header of transitional devices.  net: promiscuous on/off and
MAC_TABLE_SET acknowledged OK, and QEMU's user network (restrict=on) answers
the ARP request for 10.0.2.2 from its gateway address 52:55:0a:00:02:02 to
our MAC; an address nobody answers fails.  vsock needs /dev/vhost-vsock on
the host: without it the device is left out and a note says so.  Every
device reads status 0 after its self-test.
"""

import hashlib
import json
import os

from vmharness import features
from vmharness.daemons import Daemon
from vmharness.scenario import Device, Scenario
from scenarios import _drive

P9_TAG = "vctl9p"
FS_TAG = "vctlfs"
FILE = "dir/data.bin"
PORT1_NAME = "org.virtioctl.port1"
PORT2_NAME = "org.virtioctl.legacy"  # names are unique across all buses
MAC = "52:54:00:12:34:56"
MAC1 = "52:54:00:12:34:57"
SLIRP_GW_MAC = "52:55:0a:00:02:02"  # slirp's address for 10.0.2.2
HAVE_VSOCK = os.path.exists("/dev/vhost-vsock")
VSOCK_CID = 42

# 20000 bytes: three 9p reads at msize 8192, two FUSE reads of 16 KiB.
DATA = b"".join(hashlib.sha256(b"virtioctl %d" % i).digest() for i in range(625))

DEVICES = ["p9a", "fs0", "ser0", "ser1", "net0", "ser2", "net1"] + (["vs0"] if HAVE_VSOCK else [])

SCRIPT = r'''
for id in %(devices)s; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_checkpoint files
vm_run st-p9a virtioctl --json selftest --path %(file)s $(vm_addr p9a)
vm_run st-p9a-text virtioctl selftest --path %(file)s $(vm_addr p9a)
vm_run st-p9a-dir virtioctl --json selftest --path dir $(vm_addr p9a)
vm_run st-p9a-missing virtioctl --json selftest --path dir/missing $(vm_addr p9a)
vm_run st-fs0 virtioctl --json selftest --path %(file)s $(vm_addr fs0)
vm_run st-fs0-dir virtioctl --json selftest --path dir $(vm_addr fs0)
vm_run st-fs0-missing virtioctl --json selftest --path dir/missing $(vm_addr fs0)
vm_run st-ser0 virtioctl --json selftest $(vm_addr ser0)
vm_run st-ser1-noports virtioctl --json selftest $(vm_addr ser1)
vm_run st-net0 virtioctl --json selftest --arp 10.0.2.2 $(vm_addr net0)
# The same through the legacy I/O header of transitional devices.
vm_run st-ser2-legacy virtioctl --json --transport legacy selftest $(vm_addr ser2)
vm_run st-net1-legacy virtioctl --json --transport legacy selftest --arp 10.0.2.2 $(vm_addr net1)
vm_run st-net0-noreply virtioctl --json selftest --arp 10.0.2.99 --timeout 1000 $(vm_addr net0)
%(vsock)s
vm_checkpoint selftests
''' % {"devices": " ".join(DEVICES), "file": FILE,
       "vsock": "vm_run st-vs0 virtioctl --json selftest $(vm_addr vs0)" if HAVE_VSOCK else ""}


def write_files(ctx):
    """The export's content, written while the guest waits (both 9p and
    virtiofsd see files created after they started)."""
    d = os.path.join(ctx.tmpdir, "share", "dir")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(ctx.tmpdir, "share", FILE), "wb") as f:
        f.write(DATA)


def _doc(ctx, name, want_rc):
    r = ctx.result(name)
    if r is None:
        ctx.fail("guest command %s did not run" % name)
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


def check_files(ctx):
    sha = hashlib.sha256(DATA).hexdigest()
    for dev, tag_key, tag in (("p9a", "mount_tag", P9_TAG), ("fs0", "fs_tag", FS_TAG)):
        name = "st-" + dev
        doc = _doc(ctx, name, 0)
        if doc is None:
            continue
        _want(ctx, name, dev, "passed", True, doc.get("passed"))
        _want(ctx, name, dev, "data_sha256", sha, doc.get("data_sha256"))
        _want(ctx, name, dev, "data_length", len(DATA), doc.get("data_length"))
        _want(ctx, name, dev, tag_key, tag, doc.get(tag_key))
        got = _checks(doc).get("bytes read", {})
        _want(ctx, name, dev, "checks[bytes read]", [str(len(DATA))] * 2 + [True],
              [got.get("expected"), got.get("got"), got.get("ok")])
        # A directory, or a name that is not there: the self-test fails.
        for bad, check in (("dir", "file qid type" if dev == "p9a" else "file type"),
                           ("missing", "walk qids" if dev == "p9a" else None)):
            doc = _doc(ctx, "%s-%s" % (name, bad), 6)  # VX_DEVICE
            if doc is None:
                continue
            _want(ctx, name + "-" + bad, dev, "passed", False, doc.get("passed"))
            _want(ctx, name + "-" + bad, dev, "data_sha256", None, doc.get("data_sha256"))
            if check:
                _want(ctx, name + "-" + bad, dev, "checks[%s].ok" % check, False,
                      _checks(doc).get(check, {}).get("ok"))
    text = ctx.result("st-p9a-text")
    if text and (sha not in text.text or "expected" not in text.text):
        ctx.fail("9p self-test text output: %r" % text.text[-600:])


def check_console(ctx):
    doc = _doc(ctx, "st-ser0", 0)
    if doc is None:
        return
    _want(ctx, "st-ser0", "ser0", "passed", True, doc.get("passed"))
    ports = {p["id"]: p for p in doc.get("ports", [])}
    _want(ctx, "st-ser0", "ser0", "ports[0]", {"id": 0, "name": None, "console": True,
                                               "host_open": True}, ports.get(0))
    _want(ctx, "st-ser0", "ser0", "ports[1]", {"id": 1, "name": PORT1_NAME, "console": False,
                                               "host_open": True}, ports.get(1))
    steps = [s["step"] for s in doc.get("steps", []) if s.get("ok")]
    for step in ("device-ready", "port-ready-0", "port-ready-1", "port-open-0",
                 "port-open-1", "transmit-0", "transmit-1"):
        if step not in steps:
            ctx.fail("st-ser0: step %s missing or failed: %r" % (step, steps))
    # No port on the bus: the handshake adds none, and the self-test fails.
    doc = _doc(ctx, "st-ser1-noports", 6)  # VX_DEVICE
    got = _checks(doc).get("ports added", {})
    _want(ctx, "st-ser1-noports", "ser1", "checks[ports added]", ["0", False],
          [got.get("got"), got.get("ok")])
    doc = _doc(ctx, "st-ser2-legacy", 0)
    if doc is not None:
        _want(ctx, "st-ser2-legacy", "ser2", "passed", True, doc.get("passed"))
        _want(ctx, "st-ser2-legacy", "ser2", "ports", [
            {"id": 1, "name": PORT2_NAME, "console": False, "host_open": True}],
            doc.get("ports"))
    for f in ("ser0.out", "ser0-port1.out", "ser2-port1.out"):
        if _drive.CONSOLE_TEXT not in _drive.host_file(ctx, f):
            ctx.fail("console bytes did not reach the host file %s" % f,
                     device=ctx.scenario.device("ser0"))


def check_net(ctx):
    doc = _doc(ctx, "st-net0", 0)
    if doc is not None:
        _want(ctx, "st-net0", "net0", "passed", True, doc.get("passed"))
        _want(ctx, "st-net0", "net0", "mac", MAC, doc.get("mac"))
        _want(ctx, "st-net0", "net0", "arp_reply_mac", SLIRP_GW_MAC, doc.get("arp_reply_mac"))
        checks = _checks(doc)
        for c in ("ctrl-rx-promisc-on", "ctrl-rx-promisc-off", "ctrl-mac-table-set",
                  "arp reply sender ip", "arp reply target mac"):
            _want(ctx, "st-net0", "net0", "checks[%s].ok" % c, True, checks.get(c, {}).get("ok"))
        _want(ctx, "st-net0", "net0", "checks[arp reply target mac].got", MAC,
              checks.get("arp reply target mac", {}).get("got"))
    doc = _doc(ctx, "st-net1-legacy", 0)
    if doc is not None:
        _want(ctx, "st-net1-legacy", "net1", "passed", True, doc.get("passed"))
        _want(ctx, "st-net1-legacy", "net1", "interface", "legacy", doc.get("interface"))
        _want(ctx, "st-net1-legacy", "net1", "arp_reply_mac", SLIRP_GW_MAC,
              doc.get("arp_reply_mac"))
        _want(ctx, "st-net1-legacy", "net1", "checks[arp reply target mac].got", MAC1,
              _checks(doc).get("arp reply target mac", {}).get("got"))
    doc = _doc(ctx, "st-net0-noreply", 8)  # VX_TIMEOUT
    if doc is not None:
        _want(ctx, "st-net0-noreply", "net0", "passed", False, doc.get("passed"))
        failed = [s["step"] for s in doc.get("steps", []) if not s.get("ok")]
        _want(ctx, "st-net0-noreply", "net0", "failed steps", ["arp-reply"], failed)


def check_vsock(ctx):
    if not HAVE_VSOCK:
        ctx.note("vsock: not tested: this host has no /dev/vhost-vsock, so QEMU cannot "
                 "start vhost-vsock-pci")
        return
    doc = _doc(ctx, "st-vs0", 0)
    if doc is not None:
        _want(ctx, "st-vs0", "vs0", "guest_cid", VSOCK_CID, doc.get("guest_cid"))
        _want(ctx, "st-vs0", "vs0", "passed", True, doc.get("passed"))


def check_reset(ctx):
    snap = ctx.snapshots.get("selftests", {})
    for dev in DEVICES:
        if dev in snap and features.status_of(snap[dev]["status"]) != 0:
            ctx.fail("status after the self-tests", device=ctx.scenario.device(dev),
                     field="status", qemu=features.status_of(snap[dev]["status"]))


_devices = [
    Device("p9a", "virtio-9p-pci,fsdev=fs9,mount_tag=" + P9_TAG, 0x02, port=True,
           backend=["-fsdev", "local,id=fs9,path={tmp}/share,security_model=none"]),
    Device("fs0", "vhost-user-fs-pci,chardev=fs0c,tag=" + FS_TAG, 0x03, port=True,
           backend=["-chardev", "socket,id=fs0c,path={tmp}/fs0.sock"]),
    Device("ser0", "virtio-serial-pci,max_ports=4", 0x04, port=True,
           backend=["-chardev", "file,id=vcon-ser0,path={tmp}/ser0.out",
                    "-chardev", "file,id=cp1,path={tmp}/ser0-port1.out"],
           children=["-device", "virtconsole,chardev=vcon-ser0,bus=ser0.0,nr=0",
                     "-device", "virtserialport,chardev=cp1,bus=ser0.0,nr=1,name=" + PORT1_NAME]),
    Device("ser1", "virtio-serial-pci,max_ports=4", 0x07, port=True),
    Device("net0", "virtio-net-pci,netdev=hn0,romfile=,mac=" + MAC, 0x05, port=True,
           backend=["-netdev", "user,id=hn0,restrict=on"]),
    # Transitional (on pcie.0), driven through the legacy header.
    Device("ser2", "virtio-serial-pci,max_ports=2", 0x08,
           backend=["-chardev", "file,id=cp2,path={tmp}/ser2-port1.out"],
           children=["-device", "virtserialport,chardev=cp2,bus=ser2.0,nr=1,name=" + PORT2_NAME]),
    Device("net1", "virtio-net-pci,netdev=hn1,romfile=,mac=" + MAC1, 0x09,
           backend=["-netdev", "user,id=hn1,restrict=on"]),
]
if HAVE_VSOCK:
    _devices.append(Device("vs0", "vhost-vsock-pci,guest-cid=%d" % VSOCK_CID, 0x06, port=True))

SCENARIO = Scenario(
    name="selftests2",
    description="9p, fs, console MULTIPORT, net control queue and ARP, vsock self-tests",
    devices=_devices,
    dirs=["share"],
    daemons=[
        Daemon("virtiofsd", [
            "/usr/lib/qemu/virtiofsd", "--socket-path={tmp}/fs0.sock",
            "-o", "source={tmp}/share", "-o", "cache=none"],
               "{tmp}/fs0.sock"),
    ],
    script=SCRIPT,
    hooks={"files": write_files},
    checks=[check_files, check_console, check_net, check_vsock, check_reset],
    timeout=300,
)
