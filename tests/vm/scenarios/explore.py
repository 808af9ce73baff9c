from vmharness.scenario import Device, Disk, Scenario
hp = lambda n: ["-netdev", "hubport,id=%s,hubid=0" % n]
SCENARIO = Scenario(
    name="explore", description="tmp",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x02, port=True, backend=hp("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True,
               backend=["-drive", "file={disk_d0},format=raw,if=none,id=d0"]),
        Device("rng0", "virtio-rng-pci", 0x04, port=True),
        Device("ser0", "virtio-serial-pci", 0x05, port=True),
        Device("bal0", "virtio-balloon-pci", 0x06, port=True),
        Device("scsi0", "virtio-scsi-pci", 0x07, port=True),
        Device("gpu0", "virtio-gpu-pci", 0x08, port=True),
        Device("kbd0", "virtio-keyboard-pci", 0x09, port=True),
        Device("crypto0", "virtio-crypto-pci,cryptodev=cr0", 0x0a, port=True, backend=["-object", "cryptodev-backend-builtin,id=cr0"]),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share", 0x0b, port=True, backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        Device("iommu0", "virtio-iommu-pci", 0x0c),
        Device("pmem0", "virtio-pmem-pci,memdev=pm0", 0x0d, port=True, backend=["-object", "memory-backend-file,id=pm0,mem-path={tmp}/pmem.img,size=4M,share=on"]),
        Device("mem0", "virtio-mem-pci,memdev=vm0,requested-size=0", 0x0e, port=True, backend=["-object", "memory-backend-ram,id=vm0,size=128M"]),
        Device("netl", "virtio-net-pci,netdev=hn1,romfile=,disable-modern=on", 0x10, backend=hp("hn1")),
        Device("blkl", "virtio-blk-pci,drive=d1,disable-modern=on", 0x11, backend=["-drive", "file={disk_d1},format=raw,if=none,id=d1"]),
        Device("nett", "virtio-net-pci,netdev=hn2,romfile=", 0x12, backend=hp("hn2")),
    ],
    disks=[Disk("d0"), Disk("d1")], dirs=["9p"], memory="512M,slots=4,maxmem=2G",
    script='vm_run ls sh -c "ls /sys/bus/pci/devices"\n',
    needs_virtioctl=False,
)
