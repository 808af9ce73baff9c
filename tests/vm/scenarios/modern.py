from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import DUMP_SCRIPT, drive, hubport

# Every device type QEMU 7.2 starts here, each a modern-only PCIe endpoint
# behind its own pcie-root-port (virtio-iommu must sit on the root bus).
SCENARIO = Scenario(
    name="modern",
    description="modern-only (disable-legacy=on) devices of every type, unbound: dump vs QMP",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,disable-legacy=on", 0x02,
               port=True, backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0,disable-legacy=on", 0x03, port=True,
               backend=drive("d0", "d0")),
        Device("rng0", "virtio-rng-pci,disable-legacy=on", 0x04, port=True),
        Device("ser0", "virtio-serial-pci,disable-legacy=on", 0x05, port=True,
               backend=["-chardev", "file,id=vc0,path={tmp}/ser0-port0.out"],
               children=["-device", "virtconsole,chardev=vc0,bus=ser0.0,nr=0"]),
        Device("bal0", "virtio-balloon-pci,disable-legacy=on", 0x06, port=True),
        Device("scsi0", "virtio-scsi-pci,disable-legacy=on", 0x07, port=True),
        Device("gpu0", "virtio-gpu-pci", 0x08, port=True),
        Device("kbd0", "virtio-keyboard-pci", 0x09, port=True),
        Device("tab0", "virtio-tablet-pci", 0x0a, port=True),
        Device("mouse0", "virtio-mouse-pci", 0x0b, port=True),
        Device("crypto0", "virtio-crypto-pci,cryptodev=cr0", 0x0c, port=True,
               backend=["-object", "cryptodev-backend-builtin,id=cr0"]),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share,disable-legacy=on",
               0x0d, port=True,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        Device("iommu0", "virtio-iommu-pci", 0x0e),
        Device("pmem0", "virtio-pmem-pci,memdev=pm0", 0x0f, port=True,
               backend=["-object", "memory-backend-file,id=pm0,mem-path={tmp}/pmem.img,"
                        "size=4M,share=on"]),
        Device("mem0", "virtio-mem-pci,memdev=vm0,requested-size=0", 0x10, port=True,
               backend=["-object", "memory-backend-ram,id=vm0,size=128M"]),
    ],
    disks=[Disk("d0")],
    dirs=["9p"],
    memory="512M,slots=4,maxmem=2G",
    script=DUMP_SCRIPT,
    checks=[checks.list_matches(driver=None), checks.dumps_match("dumped")],
)
