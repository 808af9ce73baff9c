/* Raw access to the legacy I/O header (legacy_regs.h), for the legacy
 * transport and for the `common` command's header listing. */
#ifndef VIRTIOCTL_VIRTIO_LEGACY_H
#define VIRTIOCTL_VIRTIO_LEGACY_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/vdev.h"

/* The header as it reads, without writing anything (so the queue fields
 * are those of whichever queue is selected) and without the ISR. */
struct legacy_header {
	uint32_t host_features, guest_features, queue_pfn;
	uint16_t queue_num, queue_sel;
	uint8_t status;
	bool msix_enabled;
	uint16_t config_vector, queue_vector; /* only when msix_enabled */
	unsigned config_offset;		      /* 0x14 or 0x18 */
};

/* True when the function has a legacy header: a transitional or legacy
 * device whose BAR 0 is an I/O BAR. Else *why (if given) says why not. */
bool legacy_present(const struct vdev *v, const char **why);
/* MSI-X enable as the control register says now (it moves the device
 * config); the capability walk's value if config space cannot be read. */
bool legacy_msix_enabled(struct vdev *v);
unsigned legacy_config_offset(struct vdev *v);

int legacy_read(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e);
int legacy_write(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e);
int legacy_header_read(struct vdev *v, struct legacy_header *h, struct verr *e);

/* Where the legacy layout puts the avail ring (right after the n
 * descriptors) and the used ring (next 4096 boundary) of a ring at desc. */
void legacy_ring_layout(uint64_t desc, unsigned n, uint64_t *driver, uint64_t *device);
/* Bytes of the whole legacy ring of n entries (what must be contiguous). */
uint64_t legacy_ring_bytes(unsigned n);

#endif
