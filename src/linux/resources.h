/* What a Linux virtio driver created for its device, read from sysfs:
 * network interfaces, disks, console ports, SCSI hosts and their disks, 9p
 * mount tags, input devices, DRM cards, the hwrng, vsock. Read-only; an
 * empty list is normal (unbound device, or a driver that creates nothing
 * visible, such as virtio_balloon).
 *
 * Where each comes from (virtioN is the virtio bus device under the PCI
 * function):
 *   virtioN/net/IFACE              net (detail: MAC address)
 *   virtioN/block/DISK             block (detail: size in 512-byte sectors)
 *   virtioN/virtio-ports/vportNpM  console_port (detail: the port's name)
 *   virtioN/hostN                  scsi_host (detail: its disks, sdX)
 *   virtioN/mount_tag              9p_mount_tag
 *   virtioN/input/inputN           input (detail: the device's name)
 *   virtioN/drm/cardN, renderDN    drm
 *   class/misc/hw_random           hwrng: names "virtio_rng.K", where K is
 *       an index the driver allocated in probe order, not N; sysfs links
 *       the name to no device, so it is matched by rank among the devices
 *       virtio_rng drives, and said so in the detail when that was needed
 *   class/misc/vsock               vsock (for the vsock driver) */
#ifndef VIRTIOCTL_PCI_LINUX_RESOURCES_H
#define VIRTIOCTL_PCI_LINUX_RESOURCES_H

#include <stdbool.h>

#include "pci/addr.h"
#include "linux/view.h"

#define LINUX_RES_MAX 32

struct linux_resource {
	const char *kind; /* "net", "block", "console_port", ... (static) */
	char name[64];	  /* "eth0", "vda", "vport1p0", "host0", "share", ... */
	char detail[128]; /* "" when there is nothing to add */
};

struct linux_resources {
	unsigned n;
	bool truncated; /* more than LINUX_RES_MAX */
	struct linux_resource r[LINUX_RES_MAX];
};

/* Fills *out for the virtio device lv describes (lv from linux_view_read
 * of the same function). Returns the number found; 0 with no virtio
 * device, no driver, or no sysfs (sysfs_root NULL). details: also each
 * resource's detail (a netdev's address, a disk's size...), a file read
 * each; without, the names alone, all linux_resources_summary() shows. */
unsigned linux_resources_read(const char *sysfs_root, const struct pci_addr *a,
			      const struct linux_view *lv, bool details,
			      struct linux_resources *out);

/* "eth0", "vda, vdb", "virtio_rng.0 (current)": the names only, comma
 * separated, for one-line summaries; "" when there are none. */
const char *linux_resources_summary(const struct linux_resources *r, char *buf, unsigned len);

#endif
