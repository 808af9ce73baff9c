/* Virtio device types and how virtio-pci encodes them in PCI IDs.
 *
 * Source: virtio 1.3, "Device Types" (the device ID table) and "Virtio Over
 * PCI Bus / PCI Device Discovery". IDs 46-49 come from virtio 1.4 so that a
 * newer device is named rather than shown as unknown. */
#ifndef VIRTIOCTL_VIRTIO_IDS_H
#define VIRTIOCTL_VIRTIO_IDS_H

#include <stddef.h>
#include <stdint.h>

/* The types the decoder tables refer to (ids.c lists them all). Named
 * VIRTIO_DEV_ rather than VIRTIO_ID_ so that a file which also includes
 * <linux/virtio_ids.h> still compiles. */
enum virtio_device_id {
	VIRTIO_DEV_NET = 1,
	VIRTIO_DEV_BLOCK = 2,
	VIRTIO_DEV_CONSOLE = 3,
	VIRTIO_DEV_ENTROPY = 4,
	VIRTIO_DEV_BALLOON = 5,
	VIRTIO_DEV_SCSI = 8,
	VIRTIO_DEV_9P = 9,
	VIRTIO_DEV_GPU = 16,
	VIRTIO_DEV_CLOCK = 17,
	VIRTIO_DEV_INPUT = 18,
	VIRTIO_DEV_VSOCK = 19,
	VIRTIO_DEV_CRYPTO = 20,
	VIRTIO_DEV_IOMMU = 23,
	VIRTIO_DEV_MEM = 24,
	VIRTIO_DEV_SOUND = 25,
	VIRTIO_DEV_FS = 26,
	VIRTIO_DEV_PMEM = 27,
	VIRTIO_DEV_RPMB = 28,
	VIRTIO_DEV_SCMI = 32,
	VIRTIO_DEV_I2C = 34,
	VIRTIO_DEV_CAN = 36,
	VIRTIO_DEV_BLUETOOTH = 40,
	VIRTIO_DEV_GPIO = 41,
	VIRTIO_DEV_SPI = 45,
	VIRTIO_DEV_MEDIA = 48,
};

struct virtio_type {
	unsigned id;
	const char *name;  /* short, for commands and JSON: "net", "block", "9p" */
	const char *title; /* for people: "Network device" */
};

/* NULL when the ID is not in the table (0 is "reserved (invalid)"). */
const struct virtio_type *virtio_type_by_id(unsigned id);
/* The short name, or "unknown". */
const char *virtio_type_name(unsigned id);
/* Case-insensitive lookup of a short name; NULL when unknown. */
const struct virtio_type *virtio_type_by_name(const char *name);
/* The whole table, ordered by ID. */
const struct virtio_type *virtio_types(size_t *count);

#define VIRTIO_PCI_VENDOR_ID	      0x1af4
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000
#define VIRTIO_PCI_TRANSITIONAL_LAST  0x103f
#define VIRTIO_PCI_MODERN_FIRST	      0x1040
#define VIRTIO_PCI_MODERN_LAST	      0x107f

enum virtio_pci_id_kind {
	VPCI_ID_NOT_VIRTIO,
	VPCI_ID_TRANSITIONAL, /* 0x1000-0x103f: legacy or transitional device */
	VPCI_ID_MODERN,	      /* 0x1040-0x107f: 0x1040 + virtio device ID */
};

enum virtio_pci_id_kind virtio_pci_classify(uint16_t vendor, uint16_t device);
/* The virtio device ID a virtio PCI device ID stands for, or -1. A
 * transitional device carries it in the subsystem device ID; when that is
 * not a plausible ID the spec's transitional table decides. Callers check
 * the vendor with virtio_pci_classify() first. */
int virtio_pci_device_type(uint16_t device, uint16_t subsys_device);
/* The virtio device type the spec's Transitional PCI Device ID table gives
 * a PCI device ID (virtio 1.3, 4.1.2.1), or -1 when the table has no such
 * ID. */
int virtio_pci_transitional_type(uint16_t device);

#endif
