/* A virtio-pci function opened for introspection or driving: its PCI
 * access, its capabilities, and the transport (modern or legacy interface)
 * used to talk to it. */
#ifndef VIRTIOCTL_VIRTIO_VDEV_H
#define VIRTIOCTL_VIRTIO_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/caps.h"
#include "pci/device.h"

/* What the function exposes. */
enum vdev_kind {
	VDEV_MODERN,	   /* virtio 1.x only (PCI device 0x1040+) */
	VDEV_TRANSITIONAL, /* legacy I/O header and virtio 1.x capabilities */
	VDEV_LEGACY,	   /* legacy (0.9.5) I/O header only */
	/* transitional or legacy (PCI device 0x1000-0x103f) whose capabilities
	 * could not be read: only they tell the two apart */
	VDEV_KIND_UNKNOWN,
};

/* Device status bits (virtio 1.3, 2.1). */
enum {
	VIRTIO_STATUS_ACKNOWLEDGE = 1,
	VIRTIO_STATUS_DRIVER = 2,
	VIRTIO_STATUS_DRIVER_OK = 4,
	VIRTIO_STATUS_FEATURES_OK = 8,
	VIRTIO_STATUS_DEVICE_NEEDS_RESET = 0x40,
	VIRTIO_STATUS_FAILED = 0x80,
};

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VDEV_WHY_LEN	     224
#define VDEV_CONFIG_MAX	     4096 /* bytes of device config read at most */
/* Queues read at most: num_queues comes from the device, and a
 * surprise-removed one reads 0xffff. */
#define VDEV_MAX_QUEUES		1024
#define VDEV_CONFIG_UNKNOWN_MAX 256 /* ... for a device type without a layout */

struct vdev;

/* Per-queue registers as the device reports them. */
struct vq_regs {
	uint16_t size;
	uint16_t msix_vector;
	uint16_t enable;
	uint16_t notify_off;
	uint64_t desc, driver, device;
	bool have_notify_data, have_reset;
	uint16_t notify_data;
	uint16_t reset;
};

/* What a driver programs into a queue. For a transport with legacy_ring
 * set, desc is the start of one contiguous block holding the whole ring in
 * the legacy layout (4096-aligned, addressed by page frame number) and
 * driver/device must lie where that layout puts them. */
struct vq_addrs {
	uint16_t size;
	uint16_t msix_vector; /* VIRTIO_MSI_NO_VECTOR when polling */
	uint64_t desc, driver, device;
};

/* Where a queue's notifications go: a register in a BAR and its width. */
struct vq_notify_loc {
	unsigned bar;
	uint64_t off;
	unsigned width; /* 2, or 4 with VIRTIO_F_NOTIFICATION_DATA */
	/* The 16-bit identifier written (or put in the low half of the
	 * notification data): the queue index, or queue_notif_config_data with
	 * VIRTIO_F_NOTIF_CONFIG_DATA. */
	uint16_t id;
};

/* One interface over the modern common_cfg and the legacy I/O header, so
 * everything above is written once. Functions that need a selector write
 * (feature words, per-queue registers) fail with VX_PERM when the device
 * may not be written; they restore the selector they changed. */
struct vtransport_ops {
	const char *name;
	int (*get_status)(struct vdev *v, uint8_t *status, struct verr *e);
	int (*set_status)(struct vdev *v, uint8_t status, struct verr *e);
	int (*get_device_features)(struct vdev *v, uint64_t *f, struct verr *e);
	int (*get_driver_features)(struct vdev *v, uint64_t *f, struct verr *e);
	int (*set_driver_features)(struct vdev *v, uint64_t f, struct verr *e);
	int (*get_num_queues)(struct vdev *v, unsigned *n, struct verr *e);
	int (*get_queue)(struct vdev *v, unsigned q, struct vq_regs *r, struct verr *e);
	/* Device config: bytes available, generation counter, one field.
	 * get_config_generation is NULL when the interface has no counter
	 * (legacy): vdev_read_config() then reads until two snapshots agree. */
	unsigned (*config_len)(struct vdev *v);
	int (*get_config_generation)(struct vdev *v, uint32_t *gen, struct verr *e);
	int (*read_config)(struct vdev *v, unsigned off, unsigned width, uint64_t *val,
			   struct verr *e);
	/* One device-config field written (balloon actual, input select):
	 * only for a device being driven. */
	int (*write_config)(struct vdev *v, unsigned off, unsigned width, uint64_t val,
			    struct verr *e);

	/* Driving. setup_queue programs size, vector and addresses and enables
	 * the queue (modern: queue_enable = 1; legacy: QUEUE_PFN). */
	int (*setup_queue)(struct vdev *v, unsigned q, const struct vq_addrs *a, struct verr *e);
	/* Where and what to notify for queue q given the negotiated features;
	 * validated against the notify structure. */
	int (*notify_location)(struct vdev *v, unsigned q, uint64_t features,
			       struct vq_notify_loc *loc, struct verr *e);
	int (*notify)(struct vdev *v, const struct vq_notify_loc *loc, uint32_t value,
		      struct verr *e);
	/* Reading the ISR clears it: never on a device a driver owns. */
	int (*read_isr)(struct vdev *v, uint8_t *isr, struct verr *e);
	int (*set_config_vector)(struct vdev *v, uint16_t vector, struct verr *e);
	/* The configuration-change vector; VX_UNAVAILABLE when the interface
	 * has no such register right now (legacy with MSI-X disabled). */
	int (*get_config_vector)(struct vdev *v, uint16_t *vector, struct verr *e);
	/* The legacy interface: 32-bit features, whole ring in one block. */
	bool legacy_ring;
};

struct vdev {
	struct pdev *pci;
	struct vcaps caps;
	enum vdev_kind kind;
	int device_id; /* virtio device type; -1 when unknown */
	const struct vtransport_ops *ops;
	/* Why registers cannot be read at all ("" when they can). */
	char regs_why[VDEV_WHY_LEN];
	/* Selector writes allowed (unbound device, or --select/--force); when
	 * not, select_why says why and which flag allows them. */
	bool can_select;
	char select_why[VDEV_WHY_LEN];
};

/* Identifies the function and walks its capabilities. VX_NOTVIRTIO for a
 * non-virtio function (nothing beyond the ID registers is read then). */
int vdev_open(struct pdev *pci, struct vdev *v, struct verr *e);
/* Allows selector writes: pci must already be writable. */
void vdev_allow_select(struct vdev *v, bool allow, const char *why);
bool vdev_regs_readable(const struct vdev *v);
/* Re-evaluates whether registers can be reached, after something changed
 * (e.g. decoding switched on in the command register). */
void vdev_recheck_access(struct vdev *v);
/* When the BARs cannot be mapped (a bound driver owns them) but the device
 * has the PCI configuration access capability, reads registers through it
 * instead. Needs config writes: only for a device opened writable. */
void vdev_use_window(struct vdev *v);

const char *vdev_kind_name(enum vdev_kind k);
/* What a function exposes, from its PCI IDs and its walked capabilities;
 * VDEV_KIND_UNKNOWN when the capabilities that would tell were not read. */
enum vdev_kind vdev_kind_of(const struct pdev *pci, const struct vcaps *caps);
/* Decoded status bits, e.g. "ACKNOWLEDGE DRIVER FEATURES_OK", into buf. */
const char *virtio_status_str(uint8_t status, char *buf, unsigned len);

/* Reads the device config region into buf with the config_generation retry
 * loop (virtio 1.3, 4.1.4.3.1), or, on the legacy interface which has no
 * counter, until two reads agree; using each field's own access width where
 * a layout is known. Returns bytes read. */
int vdev_read_config(struct vdev *v, uint8_t *buf, unsigned len, unsigned *got, struct verr *e);

/* One read of the device config region with each field's own access
 * width (as vdev_read_config), without the generation loop: for checks
 * that compare snapshots themselves. len is capped like vdev_read_config. */
int vdev_config_snapshot(struct vdev *v, uint8_t *buf, unsigned len, unsigned *got, struct verr *e);

/* The device-offered features (bits 0-63, which is all config fields depend
 * on), when known: with them the two reads above leave out the fields of a
 * known layout whose feature is not offered (virtio 1.3, 2.5.2: "the
 * driver MUST check that the corresponding feature is offered before
 * accessing that part of the configuration space"); their bytes are 0 in
 * buf. Without them (NULL, or not known) every field is read. */
struct vdev_offer {
	bool known;
	uint64_t features;
};
int vdev_read_config_offered(struct vdev *v, const struct vdev_offer *o, uint8_t *buf, unsigned len,
			     unsigned *got, struct verr *e);
int vdev_config_snapshot_offered(struct vdev *v, const struct vdev_offer *o, uint8_t *buf,
				 unsigned len, unsigned *got, struct verr *e);

extern const struct vtransport_ops virtio_modern_ops;
extern const struct vtransport_ops virtio_legacy_ops;

/* Every feature word of the device (driver false) or the driver side:
 * the modern interface's words beyond the first two where the device has
 * them (virtio/modern.h), the legacy header's one 32-bit word. */
struct vfeatures;
int vdev_feature_words(struct vdev *v, bool driver, struct vfeatures *out, struct verr *e);

/* Which interface of a transitional device to use (--transport). A
 * legacy-only device always uses the legacy one; asking a modern-only
 * device for legacy is an error (VX_USAGE). */
enum vdev_iface { VDEV_IFACE_DEFAULT, VDEV_IFACE_MODERN, VDEV_IFACE_LEGACY };
int vdev_use_interface(struct vdev *v, enum vdev_iface want, struct verr *e);
/* The word for an interface one may ask for: "modern", "legacy"; NULL for
 * VDEV_IFACE_DEFAULT and beyond (VDEV_IFACE_COUNT). The one list. */
#define VDEV_IFACE_COUNT 3
const char *vdev_iface_word(unsigned i);

#endif
