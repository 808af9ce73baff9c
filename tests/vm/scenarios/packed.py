from vmharness import checks
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import DUMP_SCRIPT, drive, hubport

# packed=on (VIRTIO_F_RING_PACKED, bit 34), multi-queue block and SCSI, and
# feature switches that change what QEMU offers: the cross-check must follow.
SCENARIO = Scenario(
    name="packed",
    description="packed rings, multi-queue blk/scsi/net, feature switches, unbound: dump vs QMP",
    devices=[
        Device("blk0", "virtio-blk-pci,drive=d0,packed=on,num-queues=4,queue-size=64",
               0x02, port=True, backend=drive("d0", "d0")),
        Device("blk1", "virtio-blk-pci,drive=d1,num-queues=2,discard=off,write-zeroes=off,"
               "config-wce=off,queue_reset=off", 0x03, backend=drive("d1", "d1", ",readonly=on")),
        # -netdev hubport has no queues=: mq=on offers VIRTIO_NET_F_MQ with
        # one queue pair (3 queues)
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=,packed=on,mq=on,vectors=6",
               0x04, port=True, backend=hubport("hn0")),
        Device("net1", "virtio-net-pci,netdev=hn1,romfile=,mrg_rxbuf=off,ctrl_vq=off,"
               "event_idx=off,indirect_desc=off,host_mtu=1400,speed=1000,duplex=full",
               0x05, port=True, backend=hubport("hn1")),
        Device("scsi0", "virtio-scsi-pci,num_queues=4,packed=on,virtqueue_size=128", 0x06,
               port=True),
        Device("rng0", "virtio-rng-pci,packed=on", 0x07),
        Device("ser0", "virtio-serial-pci,packed=on,max_ports=2", 0x08, port=True),
        Device("bal0", "virtio-balloon-pci,packed=on,deflate-on-oom=on,"
               "free-page-reporting=on,free-page-hint=on,iothread=io0", 0x09, port=True),
        Device("gpu0", "virtio-gpu-pci,packed=on,edid=off", 0x0a, port=True),
    ],
    qemu_args=["-object", "iothread,id=io0"],
    disks=[Disk("d0"), Disk("d1", size=2 << 20)],
    script=DUMP_SCRIPT,
    checks=[checks.list_matches(driver=None), checks.dumps_match("dumped")],
)
