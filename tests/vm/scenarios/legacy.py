from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import DUMP_SCRIPT, drive, hubport

# Legacy-only devices (disable-modern=on: I/O BAR, no virtio capabilities).
# QEMU refuses them behind a PCIe root port, so all sit on pcie.0.  The
# keyboard asks for disable-modern=on too, but QEMU forces virtio-input to
# modern: it must come out modern.
SCENARIO = Scenario(
    name="legacy",
    description="legacy-only (disable-modern=on) devices, unbound: dump vs QMP",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,disable-modern=on", 0x02,
               backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0,disable-modern=on", 0x03,
               backend=drive("d0", "d0")),
        Device("rng0", "virtio-rng-pci,disable-modern=on", 0x04),
        Device("ser0", "virtio-serial-pci,disable-modern=on,max_ports=4", 0x05),
        Device("bal0", "virtio-balloon-pci,disable-modern=on,deflate-on-oom=on", 0x06),
        Device("scsi0", "virtio-scsi-pci,disable-modern=on,num_queues=2", 0x07),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share,disable-modern=on", 0x08,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        # packed=on on a legacy device: bit 34 is out of the 32-bit legacy
        # feature register's reach
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=,disable-modern=on,packed=on,"
               "event_idx=off", 0x09, backend=hubport("hn1")),
        Device("kbd0", "virtio-keyboard-pci,disable-modern=on", 0x0a),
    ],
    disks=[Disk("d0")],
    dirs=["9p"],
    script=DUMP_SCRIPT,
    checks=[checks.list_matches(driver=None), checks.dumps_match("dumped")],
)
