/* The legacy virtio-pci header at the start of I/O BAR 0 (virtio 1.3,
 * 4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout"; the 0.9.5
 * draft's layout). All fields are in the guest's native byte order, which
 * is little-endian on every host this tool runs on. */
#ifndef VIRTIOCTL_VIRTIO_LEGACY_REGS_H
#define VIRTIOCTL_VIRTIO_LEGACY_REGS_H

#include "virtio/vdev.h"

enum legacy_off {
	LEG_HOST_FEATURES = 0x00,  /* 32 bits, RO: the device's feature bits 0-31 */
	LEG_GUEST_FEATURES = 0x04, /* 32 bits, RW: what the driver accepted */
	LEG_QUEUE_PFN = 0x08,	   /* 32 bits, RW: ring address >> 12; 0 resets (QEMU) */
	LEG_QUEUE_NUM = 0x0c,	   /* 16 bits, RO: the selected queue's fixed size */
	LEG_QUEUE_SEL = 0x0e,	   /* 16 bits, RW */
	LEG_QUEUE_NOTIFY = 0x10,   /* 16 bits, WO: a queue index */
	LEG_STATUS = 0x12,	   /* 8 bits, RW */
	LEG_ISR = 0x13,		   /* 8 bits, RO, read-to-clear */
	/* Only while MSI-X is enabled: */
	LEG_CONFIG_VECTOR = 0x14, /* 16 bits, RW */
	LEG_QUEUE_VECTOR = 0x16,  /* 16 bits, RW: the selected queue's vector */
};

/* Device-specific configuration follows the header; where depends on
 * whether MSI-X is enabled *now* (not whether the capability exists). */
#define LEG_CONFIG_OFF_MSIX    0x18
#define LEG_CONFIG_OFF_NO_MSIX 0x14

#define LEG_BAR 0
/* The legacy ring layout's alignment (VIRTIO_PCI_VRING_ALIGN) and the
 * page size QUEUE_PFN counts in. */
#define LEG_VRING_ALIGN 4096u
#define LEG_PFN_SHIFT	12
/* QEMU ignores QUEUE_SEL writes of VIRTIO_QUEUE_MAX or more, so probing
 * for the queue count must stop there. */
#define LEG_QUEUE_MAX VDEV_MAX_QUEUES

#endif
