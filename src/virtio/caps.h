/* The PCI capability chain of a function, with every virtio vendor
 * capability decoded and checked against its BAR. Config-space reads only. */
#ifndef VIRTIOCTL_VIRTIO_CAPS_H
#define VIRTIOCTL_VIRTIO_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/caps.h"
#include "pci/device.h"

enum virtio_cfg_type {
	VIRTIO_PCI_CAP_COMMON_CFG = 1,
	VIRTIO_PCI_CAP_NOTIFY_CFG = 2,
	VIRTIO_PCI_CAP_ISR_CFG = 3,
	VIRTIO_PCI_CAP_DEVICE_CFG = 4,
	VIRTIO_PCI_CAP_PCI_CFG = 5,
	VIRTIO_PCI_CAP_SHARED_MEMORY_CFG = 8,
	VIRTIO_PCI_CAP_VENDOR_CFG = 9,
};

/* Field offsets inside struct virtio_pci_cap and its extensions. */
enum {
	VCAP_LEN = 2,
	VCAP_CFG_TYPE = 3,
	VCAP_BAR = 4,
	VCAP_ID = 5,
	VCAP_OFFSET = 8,
	VCAP_LENGTH = 12,
	VCAP_NOTIFY_MULT = 16, /* notify cap */
	VCAP_OFFSET_HI = 16,   /* shared memory cap (64-bit) */
	VCAP_LENGTH_HI = 20,
	VCAP_PCI_CFG_DATA = 16, /* pci cfg access cap */
	VCAP_VENDOR_ID = 4,	/* vendor data cap: u16 PCI vendor ID */
	VCAP_MIN_LEN = 16,
};

#define VCAPS_MAX_VIRTIO 24

/* One problem found with a capability; empty when it is usable. */
#define VCAP_PROBLEM_LEN 160

struct vcap {
	uint8_t offset; /* position in config space */
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint64_t bar_offset;
	uint64_t length;
	uint32_t notify_off_multiplier; /* notify cap only */
	uint16_t vendor_id;		/* vendor data cap only */
	bool usable;			/* passed every check below */
	char problem[VCAP_PROBLEM_LEN];
};

struct vcaps {
	struct pci_caps pci; /* the chains the virtio capabilities come from */
	struct vcap v[VCAPS_MAX_VIRTIO];
	unsigned nv;
	/* Index into v[] of the structure the driver uses for each type (the
	 * first usable one, as the spec asks), or -1. */
	int common, notify, isr, device, pci_cfg;
};

/* Walks the standard and (if config space is 4 KiB) extended chains. Never
 * fails on bad device data: problems are recorded in the result. Returns -1
 * only when config space cannot be read at all. */
int vcaps_walk(struct pdev *d, struct vcaps *out, struct verr *e);

const char *vcap_cfg_type_name(unsigned cfg_type); /* "common", ..., or NULL */
/* True when the device exposes the virtio 1.x (modern) interface. */
bool vcaps_is_modern(const struct vcaps *c);

#endif
