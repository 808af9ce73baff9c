/* Layout of struct virtio_pci_common_cfg (virtio 1.3, 4.1.4.3) as data:
 * the transport reads registers through this table, and the `common`
 * command lists every field the capability's length covers. */
#ifndef VIRTIOCTL_VIRTIO_COMMON_CFG_H
#define VIRTIOCTL_VIRTIO_COMMON_CFG_H

#include <stddef.h>
#include <stdint.h>

enum common_off {
	CC_DEVICE_FEATURE_SELECT = 0x00,
	CC_DEVICE_FEATURE = 0x04,
	CC_DRIVER_FEATURE_SELECT = 0x08,
	CC_DRIVER_FEATURE = 0x0c,
	CC_CONFIG_MSIX_VECTOR = 0x10,
	CC_NUM_QUEUES = 0x12,
	CC_DEVICE_STATUS = 0x14,
	CC_CONFIG_GENERATION = 0x15,
	CC_QUEUE_SELECT = 0x16,
	CC_QUEUE_SIZE = 0x18,
	CC_QUEUE_MSIX_VECTOR = 0x1a,
	CC_QUEUE_ENABLE = 0x1c,
	CC_QUEUE_NOTIFY_OFF = 0x1e,
	CC_QUEUE_DESC = 0x20,
	CC_QUEUE_DRIVER = 0x28,
	CC_QUEUE_DEVICE = 0x30,
	CC_QUEUE_NOTIFY_DATA = 0x38, /* queue_notif_config_data: VIRTIO_F_NOTIF_CONFIG_DATA */
	CC_QUEUE_RESET = 0x3a,	     /* VIRTIO_F_RING_RESET */
	CC_ADMIN_QUEUE_INDEX = 0x3c, /* VIRTIO_F_ADMIN_VQ */
	CC_ADMIN_QUEUE_NUM = 0x3e,
	CC_SIZE_V1 = 0x38, /* the virtio 1.0 structure */
	CC_SIZE_MAX = 0x40,
};

enum common_scope {
	CC_GLOBAL,	 /* one value for the device */
	CC_FEATURE_WORD, /* a 32-bit window selected by a *_select register */
	CC_QUEUE,	 /* selected by queue_select */
};

struct common_field {
	const char *key; /* the spec's field name */
	uint8_t off;
	uint8_t width; /* 1, 2, 4 or 8 (8 is accessed as two 32-bit halves) */
	enum common_scope scope;
	const char *fmt; /* text format */
	/* The feature bit the field exists with (virtio 1.3 4.1.4.3: fields
	 * from 0x38 on); 0 when it always exists. */
	unsigned feature;
};

extern const struct common_field common_fields[];
extern const size_t common_fields_count;

#endif
