"""QEMU feature names (x-query-virtio-status) -> virtio feature bit numbers.

QEMU reports a feature set as a list of "NAME: description" strings for the
bits it has a name for, plus "unknown-dev-features" (an integer) for the
others.  QEMU decodes the transport table first and then the device type's
table, each bit once, so one name per bit per device type is enough -- but
names are matched by bit, never trusted as text: QEMU's strings have typos
(VIRTIO_MEM_F_PERSISTENT_SUSPND, VIRTIO_I2C_F_ZERO_LEGNTH_REQUEST) and one
name is printed for two bits (newer QEMUs print VIRTIO_NET_F_GUEST_USO4 for
USO6 too), which is why a name maps to a list of bits, taken in order.

Bit numbers are the virtio 1.2 spec's (section 6 "Reserved Feature Bits" and
each device's "Feature bits"), plus the QEMU/vhost internal bits QEMU puts in
its host features: 26 VHOST_F_LOG_ALL, 27 VHOST_NET_F_VIRTIO_NET_HDR (same
bit as ANY_LAYOUT, which QEMU's transport table claims first), 30
VHOST_USER_F_PROTOCOL_FEATURES (QEMU's internal "bad feature" bit, set on
every device's host features).
"""

from . import HarnessError

TRANSPORT = {
    "VIRTIO_F_NOTIFY_ON_EMPTY": [24],       # legacy only
    "VIRTIO_F_ANY_LAYOUT": [27],            # legacy only
    "VIRTIO_RING_F_INDIRECT_DESC": [28],
    "VIRTIO_F_INDIRECT_DESC": [28],
    "VIRTIO_RING_F_EVENT_IDX": [29],
    "VIRTIO_F_EVENT_IDX": [29],
    "VIRTIO_F_VERSION_1": [32],
    "VIRTIO_F_IOMMU_PLATFORM": [33],        # spec: VIRTIO_F_ACCESS_PLATFORM
    "VIRTIO_F_ACCESS_PLATFORM": [33],
    "VIRTIO_F_RING_PACKED": [34],
    "VIRTIO_F_IN_ORDER": [35],
    "VIRTIO_F_ORDER_PLATFORM": [36],
    "VIRTIO_F_SR_IOV": [37],
    "VIRTIO_F_NOTIFICATION_DATA": [38],
    "VIRTIO_F_NOTIF_CONFIG_DATA": [39],
    "VIRTIO_F_RING_RESET": [40],
    "VIRTIO_F_ADMIN_VQ": [41],
}

# In every device table QEMU has (not for crypto's bit 30: QEMU's crypto
# table lacks it, so bit 30 shows up in unknown-dev-features there).
QEMU_INTERNAL = {
    "VHOST_F_LOG_ALL": [26],
    "VHOST_USER_F_PROTOCOL_FEATURES": [30],
}

DEVICE = {
    1: {  # net
        "VIRTIO_NET_F_CSUM": [0],
        "VIRTIO_NET_F_GUEST_CSUM": [1],
        "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS": [2],
        "VIRTIO_NET_F_MTU": [3],
        "VIRTIO_NET_F_MAC": [5],
        "VIRTIO_NET_F_GSO": [6],             # legacy only
        "VIRTIO_NET_F_GUEST_TSO4": [7],
        "VIRTIO_NET_F_GUEST_TSO6": [8],
        "VIRTIO_NET_F_GUEST_ECN": [9],
        "VIRTIO_NET_F_GUEST_UFO": [10],
        "VIRTIO_NET_F_HOST_TSO4": [11],
        "VIRTIO_NET_F_HOST_TSO6": [12],
        "VIRTIO_NET_F_HOST_ECN": [13],
        "VIRTIO_NET_F_HOST_UFO": [14],
        "VIRTIO_NET_F_MRG_RXBUF": [15],
        "VIRTIO_NET_F_STATUS": [16],
        "VIRTIO_NET_F_CTRL_VQ": [17],
        "VIRTIO_NET_F_CTRL_RX": [18],
        "VIRTIO_NET_F_CTRL_VLAN": [19],
        "VIRTIO_NET_F_CTRL_RX_EXTRA": [20],
        "VIRTIO_NET_F_GUEST_ANNOUNCE": [21],
        "VIRTIO_NET_F_MQ": [22],
        "VIRTIO_NET_F_CTRL_MAC_ADDR": [23],
        "VHOST_NET_F_VIRTIO_NET_HDR": [27],
        "VIRTIO_NET_F_GUEST_RSC4": [41],     # legacy, dropped from the spec
        "VIRTIO_NET_F_GUEST_RSC6": [42],
        "VIRTIO_NET_F_DEVICE_STATS": [50],
        "VIRTIO_NET_F_VQ_NOTF_COAL": [52],
        "VIRTIO_NET_F_NOTF_COAL": [53],
        # QEMU >= 8.2 prints "VIRTIO_NET_F_GUEST_USO4" for bit 55 as well
        "VIRTIO_NET_F_GUEST_USO4": [54, 55],
        "VIRTIO_NET_F_GUEST_USO6": [55],
        "VIRTIO_NET_F_HOST_USO": [56],
        "VIRTIO_NET_F_HASH_REPORT": [57],
        "VIRTIO_NET_F_GUEST_HDRLEN": [59],
        "VIRTIO_NET_F_RSS": [60],
        "VIRTIO_NET_F_RSC_EXT": [61],
        "VIRTIO_NET_F_STANDBY": [62],
        "VIRTIO_NET_F_SPEED_DUPLEX": [63],
    },
    2: {  # block
        "VIRTIO_BLK_F_BARRIER": [0],         # legacy
        "VIRTIO_BLK_F_SIZE_MAX": [1],
        "VIRTIO_BLK_F_SEG_MAX": [2],
        "VIRTIO_BLK_F_GEOMETRY": [4],
        "VIRTIO_BLK_F_RO": [5],
        "VIRTIO_BLK_F_BLK_SIZE": [6],
        "VIRTIO_BLK_F_SCSI": [7],            # legacy
        "VIRTIO_BLK_F_FLUSH": [9],
        "VIRTIO_BLK_F_TOPOLOGY": [10],
        "VIRTIO_BLK_F_CONFIG_WCE": [11],
        "VIRTIO_BLK_F_MQ": [12],
        "VIRTIO_BLK_F_DISCARD": [13],
        "VIRTIO_BLK_F_WRITE_ZEROES": [14],
        "VIRTIO_BLK_F_LIFETIME": [15],
        "VIRTIO_BLK_F_SECURE_ERASE": [16],
        "VIRTIO_BLK_F_ZONED": [17],
    },
    3: {  # console
        "VIRTIO_CONSOLE_F_SIZE": [0],
        "VIRTIO_CONSOLE_F_MULTIPORT": [1],
        "VIRTIO_CONSOLE_F_EMERG_WRITE": [2],
    },
    4: {},  # entropy: no device bits
    5: {  # balloon
        "VIRTIO_BALLOON_F_MUST_TELL_HOST": [0],
        "VIRTIO_BALLOON_F_STATS_VQ": [1],
        "VIRTIO_BALLOON_F_DEFLATE_ON_OOM": [2],
        "VIRTIO_BALLOON_F_FREE_PAGE_HINT": [3],
        "VIRTIO_BALLOON_F_PAGE_POISON": [4],
        "VIRTIO_BALLOON_F_REPORTING": [5],
    },
    8: {  # scsi
        "VIRTIO_SCSI_F_INOUT": [0],
        "VIRTIO_SCSI_F_HOTPLUG": [1],
        "VIRTIO_SCSI_F_CHANGE": [2],
        "VIRTIO_SCSI_F_T10_PI": [3],
    },
    9: {  # 9p (QEMU has no table: bit 0 shows as unknown)
        "VIRTIO_9P_MOUNT_TAG": [0],
    },
    16: {  # gpu
        "VIRTIO_GPU_F_VIRGL": [0],
        "VIRTIO_GPU_F_EDID": [1],
        "VIRTIO_GPU_F_RESOURCE_UUID": [2],
        "VIRTIO_GPU_F_RESOURCE_BLOB": [3],
        "VIRTIO_GPU_F_CONTEXT_INIT": [4],
    },
    18: {},  # input
    19: {  # vsock
        "VIRTIO_VSOCK_F_STREAM": [0],
        "VIRTIO_VSOCK_F_SEQPACKET": [1],
    },
    20: {  # crypto (QEMU names none; spec names for completeness)
        "VIRTIO_CRYPTO_F_REVISION_1": [0],
        "VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE": [1],
        "VIRTIO_CRYPTO_F_HASH_STATELESS_MODE": [2],
        "VIRTIO_CRYPTO_F_MAC_STATELESS_MODE": [3],
        "VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE": [4],
        "VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE": [5],
    },
    23: {  # iommu
        "VIRTIO_IOMMU_F_INPUT_RANGE": [0],
        "VIRTIO_IOMMU_F_DOMAIN_RANGE": [1],
        "VIRTIO_IOMMU_F_MAP_UNMAP": [2],
        "VIRTIO_IOMMU_F_BYPASS": [3],
        "VIRTIO_IOMMU_F_PROBE": [4],
        "VIRTIO_IOMMU_F_MMIO": [5],
        "VIRTIO_IOMMU_F_BYPASS_CONFIG": [6],
    },
    24: {  # mem
        "VIRTIO_MEM_F_ACPI_PXM": [0],
        "VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE": [1],
        "VIRTIO_MEM_F_PERSISTENT_SUSPEND": [2],
        "VIRTIO_MEM_F_PERSISTENT_SUSPND": [2],   # QEMU's spelling
    },
    26: {},  # fs
    27: {},  # pmem
    34: {  # i2c
        "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST": [0],
        "VIRTIO_I2C_F_ZERO_LEGNTH_REQUEST": [0],  # QEMU's spelling
    },
    41: {"VIRTIO_GPIO_F_IRQ": [0]},
}

# Bits QEMU keeps out of a modern device's device_feature register
# (VirtioDeviceClass.legacy_features): VIRTIO_LEGACY_FEATURES =
# BAD_FEATURE(30) | NOTIFY_ON_EMPTY(24) | ANY_LAYOUT(27), and virtio-net adds
# VIRTIO_NET_F_GSO(6).  The legacy I/O register shows the low 32 host bits
# unfiltered.
LEGACY_ONLY = (1 << 24) | (1 << 27) | (1 << 30)
LEGACY_ONLY_BY_TYPE = {1: 1 << 6}


def feature_name(virtio_id, bit):
    for table in (TRANSPORT, DEVICE.get(virtio_id, {}), QEMU_INTERNAL):
        for name, bits in table.items():
            if bits[0] == bit:
                return name
    return "bit %d" % bit


def bits_of(virtio_id, feats):
    """Integer feature mask from a QMP VirtioDeviceFeatures object."""
    if virtio_id not in DEVICE:
        raise HarnessError("no feature table for virtio device id %d "
                           "(tests/vm/vmharness/features.py)" % virtio_id)
    table = dict(DEVICE[virtio_id])
    for k, v in QEMU_INTERNAL.items():
        table.setdefault(k, v)
    mask = 0
    for key, tab in (("transports", TRANSPORT), ("dev-features", table)):
        for s in feats.get(key, []):
            name = s.split(":", 1)[0].strip()
            if name not in tab:
                raise HarnessError(
                    "QEMU named feature %r (%s, device id %d) that the table in "
                    "tests/vm/vmharness/features.py does not know: add its bit"
                    % (name, key, virtio_id))
            for b in tab[name]:
                if not mask & (1 << b):
                    mask |= 1 << b
                    break
            else:
                raise HarnessError("QEMU named %r more often than it has bits"
                                   % name)
    unknown = feats.get("unknown-dev-features", 0) or 0
    if mask & unknown:
        raise HarnessError("feature bits both named and unknown: 0x%x"
                           % (mask & unknown))
    return mask | unknown


def guest_visible(virtio_id, host_mask, transport):
    """What the device_feature register shows for QEMU's host features."""
    if transport == "legacy":
        return host_mask & 0xFFFFFFFF
    return host_mask & ~(LEGACY_ONLY | LEGACY_ONLY_BY_TYPE.get(virtio_id, 0))


def describe(virtio_id, mask):
    names, b = [], 0
    while mask >> b:
        if mask & (1 << b):
            names.append("%d:%s" % (b, feature_name(virtio_id, b)))
        b += 1
    return ", ".join(names) or "none"


# QMP status names -> status register bits (virtio spec 2.1)
STATUS = {
    "VIRTIO_CONFIG_S_ACKNOWLEDGE": 1,
    "VIRTIO_CONFIG_S_DRIVER": 2,
    "VIRTIO_CONFIG_S_DRIVER_OK": 4,
    "VIRTIO_CONFIG_S_FEATURES_OK": 8,
    "VIRTIO_CONFIG_S_NEEDS_RESET": 0x40,
    "VIRTIO_CONFIG_S_FAILED": 0x80,
}


def status_of(st):
    """Status byte from a QMP VirtioDeviceStatus object."""
    v = 0
    for s in st.get("statuses", []):
        name = s.split(":", 1)[0].strip()
        if name not in STATUS:
            raise HarnessError("QEMU status name %r unknown to features.py"
                               % name)
        v |= STATUS[name]
    return v | (st.get("unknown-statuses", 0) or 0)
