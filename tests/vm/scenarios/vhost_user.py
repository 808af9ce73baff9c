"""virtio devices whose backends live outside QEMU (vhost-user): a block
device served by qemu-storage-daemon and a file system served by
virtiofsd, both from Debian's qemu-system-common, with the guest RAM a
shared memfd. virtioctl lists and dumps them like QEMU's own devices
(QMP cross-checks), and the block self-test reads the image the daemon
exports (data_sha256 equal to its first 4 KiB)."""

from vmharness import checks
from vmharness.daemons import Daemon
from vmharness.scenario import Device, Disk, Scenario
from scenarios import _drive

FS_TAG = "vctlfs"

SCRIPT = r'''
for id in vub0 vufs0; do
	echo none > /sys/bus/pci/devices/$(vm_addr $id)/driver_override
done
vm_modprobe virtio_pci
vm_dump_all
vm_checkpoint dumped
vm_run st-vub0 virtioctl --json selftest $(vm_addr vub0)
vm_checkpoint selftests
'''


def check_fs_tag(ctx):
    doc = checks.parse_json(ctx, "dump-vufs0")
    tag = (doc or {}).get("config", {}).get("tag")
    if doc is not None and tag != FS_TAG:
        ctx.fail("vhost-user-fs tag", device=ctx.scenario.device("vufs0"), field="config.tag",
                 virtioctl=tag, qemu=FS_TAG)


SCENARIO = Scenario(
    name="vhost_user",
    description="vhost-user-blk (qemu-storage-daemon) and vhost-user-fs (virtiofsd)",
    modules=["virtio_pci"],
    devices=[
        Device("vub0", "vhost-user-blk-pci,chardev=vub0c,num-queues=1", 0x03,
               backend=["-chardev", "socket,id=vub0c,path={tmp}/vub0.sock"]),
        Device("vufs0", "vhost-user-fs-pci,chardev=vufs0c,tag=" + FS_TAG, 0x04, port=True,
               backend=["-chardev", "socket,id=vufs0c,path={tmp}/vufs0.sock"]),
    ],
    disks=[Disk("d0")],
    dirs=["share"],
    daemons=[
        Daemon("qemu-storage-daemon", [
            "qemu-storage-daemon",
            "--blockdev", "driver=file,node-name=f0,filename={disk_d0}",
            "--blockdev", "driver=raw,node-name=d0,file=f0",
            "--export", "type=vhost-user-blk,id=e0,addr.type=unix,"
                        "addr.path={tmp}/vub0.sock,node-name=d0,writable=off"],
               "{tmp}/vub0.sock"),
        Daemon("virtiofsd", [
            "/usr/lib/qemu/virtiofsd", "--socket-path={tmp}/vufs0.sock",
            "-o", "source={tmp}/share", "-o", "cache=none"],
               "{tmp}/vufs0.sock"),
    ],
    script=SCRIPT,
    checks=[checks.list_matches(), checks.dumps_match(),
            lambda ctx: _drive.check_selftests(ctx, block={"vub0": "d0"},
                                               reset_at="selftests"),
            check_fs_tag],
    timeout=300,
)
