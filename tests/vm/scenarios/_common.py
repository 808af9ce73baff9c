"""Helpers shared by the scenario modules (not a scenario itself)."""

import zlib


def hubport(netdev):
    """A -netdev that goes nowhere: a hub port alone on its own hub (QEMU
    warns that the hub "is not connected to host network": that is the
    point)."""
    return ["-netdev", "hubport,id=%s,hubid=%d" % (netdev, zlib.crc32(netdev.encode()) % 1000)]


def drive(drive_id, disk, extra=""):
    return ["-drive", "file={disk_%s},format=raw,if=none,id=%s%s"
            % (disk, drive_id, extra)]


# The read-only cross-check every device scenario starts with: list and
# dump every device, then let the host take QEMU's view.
DUMP_SCRIPT = r'''
vm_dump_all
vm_checkpoint dumped
'''
