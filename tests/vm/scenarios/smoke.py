from vmharness.scenario import Device, Disk, Scenario

SCENARIO = Scenario(
    name="smoke",
    description="harness self-check: boot, handshake, QMP, result channel (busybox only)",
    devices=[
        Device("net0", "virtio-net-pci,netdev=hn0,romfile=", 0x04,
               backend=["-netdev", "hubport,id=hn0,hubid=0"]),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x05, port=True,
               backend=["-drive", "file={disk_d0},format=raw,if=none,id=d0"]),
    ],
    disks=[Disk("d0")],
    script=r'''
vm_run ls-pci sh -c 'for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(cat $d/vendor) $(cat $d/device)"; done'
vm_run bytes sh -c 'printf "\000\001\377binary\r\n"; echo to-stderr >&2; exit 3'
vm_checkpoint middle
vm_run devices cat /etc/vm/devices
true
''',
    needs_virtioctl=False,
)
