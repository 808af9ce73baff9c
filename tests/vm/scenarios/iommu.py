from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive, hubport

# An Intel IOMMU translating for modern devices that offer
# VIRTIO_F_ACCESS_PLATFORM (iommu_platform=on; QEMU refuses it on a device
# with a legacy interface), the guest kernel with intel_iommu=on, and the
# VFIO modules: the ground the VFIO backend's scenarios build on.  Here:
# dump vs QMP for the unbound devices, then one device bound to vfio-pci,
# which `list` must report.
SCRIPT = r'''
vm_dump_all
vm_checkpoint dumped
vm_run iommu-groups sh -c 'for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(basename $(readlink $d/iommu_group)) $(cat $d/iommu_group/type)"; done'
vm_modprobe vfio_pci vfio_iommu_type1
rng=$(vm_addr rng0)
echo vfio-pci > /sys/bus/pci/devices/$rng/driver_override
echo $rng > /sys/bus/pci/drivers_probe
vm_run vfio-dev sh -c "ls /dev/vfio; readlink /sys/bus/pci/devices/$rng/driver"
vm_run list-vfio virtioctl --json list
vm_run dump-vfio-rng0 virtioctl --json dump $rng
vm_checkpoint vfio
'''


def vfio_bound(ctx):
    r = ctx.result("vfio-dev")
    if r is not None and (r.rc != 0 or "vfio-pci" not in r.text):
        ctx.fail("binding rng0 to vfio-pci failed: %r %r" % (r.text, r.stderr))


SCENARIO = Scenario(
    name="iommu",
    description="intel-iommu + iommu_platform=on devices, VFIO modules, one device on vfio-pci",
    qemu_args=["-device", "intel-iommu"],
    append="intel_iommu=on",
    modules=["vfio_pci", "vfio_iommu_type1"],
    devices=[
        Device("rng0", "virtio-rng-pci,iommu_platform=on,ats=on,disable-legacy=on", 0x02,
               port=True, ),
        Device("blk0", "virtio-blk-pci,drive=d0,iommu_platform=on,ats=on,disable-legacy=on",
               0x03, port=True, backend=drive("d0", "d0")),
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,iommu_platform=on,"
               "disable-legacy=on", 0x04, backend=hubport("hn0")),
        Device("ser0", "virtio-serial-pci,iommu_platform=on,disable-legacy=on,max_ports=1",
               0x05, port=True),
        Device("rng1", "virtio-rng-pci,disable-legacy=on", 0x06, port=True),
    ],
    disks=[Disk("d0")],
    script=SCRIPT,
    checks=[
        checks.list_matches(driver=None),
        checks.dumps_match("dumped"),
        checks.list_matches(driver=None, command="list-vfio",
                            drivers={"rng0": "vfio-pci"}),
        checks.dumps_match("vfio", required=checks.REQUIRED_BOUND,
                           prefix="dump-vfio-", devices={"rng0"}),
        vfio_bound,
    ],
)
