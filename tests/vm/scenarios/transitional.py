from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import DUMP_SCRIPT, drive, hubport

# Transitional devices (legacy I/O BAR + modern capabilities): the default on
# q35's pcie.0 (conventional PCI), and the explicit variants behind PCIe
# root ports; plus modern-only devices on pcie.0 for the other combination.
SCENARIO = Scenario(
    name="transitional",
    description="transitional devices (default on pcie.0, forced behind root ports), unbound: dump vs QMP",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x02, backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, backend=drive("d0", "d0")),
        Device("rng0", "virtio-rng-pci", 0x04),
        Device("ser0", "virtio-serial-pci", 0x05),
        Device("bal0", "virtio-balloon-pci", 0x06),
        Device("scsi0", "virtio-scsi-pci", 0x07),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share", 0x08,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        # transitional PCIe endpoints
        Device("rng1", "virtio-rng-pci-transitional", 0x09, port=True),
        Device("blk1", "virtio-blk-pci,drive=d1,disable-legacy=off", 0x0a, port=True,
               backend=drive("d1", "d1")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=,disable-legacy=off", 0x0b,
               port=True, backend=hubport("hn1")),
        # modern-only on conventional PCI
        Device("net2", "virtio-net-pci-non-transitional,netdev=hn2,romfile=", 0x0c,
               backend=hubport("hn2")),
        Device("scsi1", "virtio-scsi-pci,disable-legacy=on", 0x0d),
    ],
    disks=[Disk("d0"), Disk("d1")],
    dirs=["9p"],
    script=DUMP_SCRIPT,
    checks=[checks.list_matches(driver=None), checks.dumps_match("dumped")],
)
