/* Vendor extensions: registers some virtio-pci devices have beside the
 * standard structures, decoded by PCI identity. Each extension is one row
 * of the table in vendor.c (IDs to match, a JSON key, a decoder) and one
 * file with its decoder; `dump` and `vendor` show every extension that
 * matches the device. docs/vendor-extensions.md says how to add one.
 *
 * Decoders only read (BAR registers, config space, the transport's
 * read-only operations): `dump` runs them on devices bound to drivers. */
#ifndef VIRTIOCTL_VIRTIO_VENDOR_H
#define VIRTIOCTL_VIRTIO_VENDOR_H

#include <stddef.h>
#include <stdint.h>

#include "format/report.h"
#include "virtio/vdev.h"

#define VENDOR_ANY 0xffffffffu /* matches any value of an ID */

struct vendor_ext {
	const char *key;  /* JSON key of its section under "vendor", e.g. "intel_ifcvf" */
	const char *name; /* for people: "Intel IFC VF" */
	uint32_t vendor, device, subsys_vendor, subsys_device;
	/* Adds the decoded fields to `out` (an object it owns). Returns 0, or
	 * -1 with e set when nothing could be read (the caller notes why). */
	int (*decode)(struct vdev *v, struct rnode *out, struct verr *e);
};

/* The whole table, and the extensions matching p (in table order, at
 * most max); returns how many matched. */
const struct vendor_ext *vendor_exts(size_t *count);
size_t vendor_match(const struct pdev *p, const struct vendor_ext **out, size_t max);

/* The decoders (vendor_*.c). */
int vendor_ifcvf_decode(struct vdev *v, struct rnode *out, struct verr *e);

#endif
