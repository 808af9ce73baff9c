from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive, hubport

# The guest's own virtio drivers bound to the devices (virtio_pci + each
# device driver): `list` must name the driver, `dump` must work without
# writing anything (no selector registers), and with --select (which saves
# and restores the selectors) agree with QEMU again.  virtio-iommu has no
# virtio driver in Debian's kernel: virtio-pci still binds the PCI function
# and leaves the device at ACKNOWLEDGE.
BOUND = ["net0", "blk0", "rng0", "ser0", "bal0", "scsi0", "gpu0", "kbd0", "crypto0",
         "fs0", "net1", "blk1", "rng1"]

SCRIPT = r'''
# virtio_crypto last: once it is bound, the kernel's module signature check
# picks its RSA (QEMU's builtin backend: "RSA with raw padding is not
# supported") and every later insmod fails with "Key was rejected by service"
vm_modprobe virtio_pci virtio_net virtio_blk virtio_rng virtio_console virtio_balloon \
	virtio_scsi virtio_gpu virtio_input 9pnet_virtio virtio_crypto
vm_wait_bound 20 %s || vm_log "not every device got bound"
vm_sh drivers 'while read id addr; do echo "$id $(basename "$(readlink /sys/bus/pci/devices/$addr/driver)")"; done < /etc/vm/devices'
vm_dump_all
vm_checkpoint dumped
vm_dump_all --prefix sel- --select
vm_checkpoint selected
''' % " ".join(BOUND)

SCENARIO = Scenario(
    name="bound",
    description="devices bound to the guest's virtio drivers: list names the driver, dump works",
    modules=["virtio_pci", "virtio_net", "virtio_blk", "virtio_rng", "virtio_console",
             "virtio_balloon", "virtio_scsi", "virtio_gpu", "virtio_input",
             "virtio_crypto", "9pnet_virtio"],
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x02, port=True,
               backend=hubport("hn0")),
        Device("blk0", "virtio-blk-pci,drive=d0,num-queues=2", 0x03, port=True,
               backend=drive("d0", "d0")),
        Device("rng0", "virtio-rng-pci", 0x04, port=True),
        Device("ser0", "virtio-serial-pci,max_ports=2", 0x05),
        Device("bal0", "virtio-balloon-pci", 0x06),
        Device("scsi0", "virtio-scsi-pci", 0x07, port=True),
        Device("gpu0", "virtio-gpu-pci", 0x08, port=True),
        Device("kbd0", "virtio-keyboard-pci", 0x09, port=True),
        Device("crypto0", "virtio-crypto-pci,cryptodev=cr0", 0x0a, port=True,
               backend=["-object", "cryptodev-backend-builtin,id=cr0"]),
        Device("fs0", "virtio-9p-pci,fsdev=fsd0,mount_tag=share", 0x0b,
               backend=["-fsdev", "local,id=fsd0,path={tmp}/9p,security_model=none"]),
        Device("iommu0", "virtio-iommu-pci", 0x0c),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=,disable-modern=on", 0x0d,
               backend=hubport("hn1")),
        Device("blk1", "virtio-blk-pci,drive=d1,disable-modern=on", 0x0e,
               backend=drive("d1", "d1")),
        Device("rng1", "virtio-rng-pci,packed=on", 0x0f, port=True),
    ],
    disks=[Disk("d0"), Disk("d1")],
    dirs=["9p"],
    script=SCRIPT,
    checks=[
        checks.list_matches(driver="virtio-pci"),
        checks.qmp_status("dumped", 0x07, devices=set(BOUND)),
        checks.qmp_status("dumped", 0x01, devices={"iommu0"}, exact=True),
        checks.dumps_match("dumped", required=checks.REQUIRED_BOUND),
        checks.list_matches(driver="virtio-pci", command="sel-list"),
        checks.dumps_match("selected", required=checks.REQUIRED_BOUND,
                           prefix="sel-dump-"),
    ],
)
