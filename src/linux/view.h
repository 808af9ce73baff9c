/* The Linux driver-model view of a PCI function, read from sysfs: the
 * bound PCI driver, the virtio device that virtio-pci created for it, what
 * that device's driver negotiated, and the function's MSI/MSI-X interrupts.
 * Read-only; every part has its own presence flag because any of them can
 * be missing (unbound device, another driver, older kernel). */
#ifndef VIRTIOCTL_PCI_LINUX_VIEW_H
#define VIRTIOCTL_PCI_LINUX_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/addr.h"

#define LINUX_VIEW_NAME_LEN 64
#define LINUX_VIEW_MAX_IRQS 256

struct linux_view {
	bool has_pci_driver;
	char pci_driver[LINUX_VIEW_NAME_LEN]; /* "virtio-pci", "vfio-pci", ... */

	bool has_virtio_dev;		      /* a virtioN child of the PCI device exists */
	char virtio_dev[LINUX_VIEW_NAME_LEN]; /* "virtio3" */

	/* bus/virtio/devices/virtioN/features: the features the kernel
	 * accepted (driver features once negotiated), one '0'/'1' per bit,
	 * bit 0 first. Newer kernels print 128 bits. */
	bool has_features;
	uint64_t features;	 /* bits 0-63 */
	uint64_t features_hi;	 /* bits 64-127 */
	bool features_above_63;	 /* a bit above 63 is set */
	bool features_above_127; /* a bit above 127 is set (not kept) */
	unsigned features_nbits; /* bits the kernel printed */

	bool has_status;
	uint32_t status; /* the device status register; the kernel reads it live */

	bool has_virtio_device_id;
	uint32_t virtio_device_id; /* virtio device type (1 net, 2 block, ...) */
	bool has_virtio_vendor_id;
	uint32_t virtio_vendor_id; /* the PCI subsystem vendor, normally 0x1af4 */

	bool has_virtio_driver;
	char virtio_driver[LINUX_VIEW_NAME_LEN]; /* "virtio_net", "virtio_blk", ... */

	/* msi_irqs/: the Linux IRQ numbers of the enabled vectors, ascending.
	 * The kernel allocates them in vector order, so index i is normally
	 * vector i; sysfs does not state the mapping. */
	bool has_msi_irqs;
	bool msix;	     /* MSI-X rather than MSI */
	unsigned n_msi_irqs; /* all of them, even beyond the array */
	unsigned msi_irqs[LINUX_VIEW_MAX_IRQS];

	/* The "irq" file: the Linux IRQ of the INTx pin (0: none). Read it
	 * only with MSI and MSI-X off: some kernels show an MSI IRQ there.
	 * Not read (has_irq false) while msi_irqs lists MSI-X vectors. */
	bool has_irq;
	uint32_t irq;

	/* Borrowed from the hint (linux_view_hint), -1 without one: the PCI
	 * function's directory, where virtioN is a child, for
	 * linux_resources_read. Valid while the caller's pdev is open. */
	int pci_dirfd;
};

/* Fills *out from <sysfs_root>/bus/pci/devices/ADDR and, for a virtio
 * device, <sysfs_root>/bus/virtio/devices/virtioN. Returns 0 when the PCI
 * device directory exists (parts may still be absent: see the flags), -1
 * when it does not or sysfs_root is NULL (a dump file). */
int linux_view_read(const char *sysfs_root, const struct pci_addr *a, struct linux_view *out);
/* Only the names: the virtio bus device (virtioN) and its driver, what
 * `list` shows and what the resources are found by; the rest of *out is
 * left unread (has_* false). A dozen syscalls fewer a function. */
int linux_view_read_names(const char *sysfs_root, const struct pci_addr *a, struct linux_view *out);

/* Which PCI function each virtio bus device belongs to, from one listing
 * of <sysfs_root>/bus/virtio/devices and the link of each entry. Finding a
 * function's virtioN otherwise takes a listing of the function's own
 * directory (thirty-odd entries): in an emulated guest the costliest
 * syscall a function needs. For commands that look at many functions. */
struct linux_virtio_index {
	size_t n;
	struct linux_virtio_entry {
		struct pci_addr addr;
		char name[LINUX_VIEW_NAME_LEN];
	} * e;
};

/* 0, or -1 when bus/virtio/devices cannot be listed (then read as without
 * an index). Entries whose parent is not a PCI function (virtio-mmio,
 * vDPA) are left out, as the listing of a function would not see them. */
int linux_virtio_index_read(const char *sysfs_root, struct linux_virtio_index *ix);
void linux_virtio_index_free(struct linux_virtio_index *ix);
/* What the caller already has of the function, to spare path lookups
 * (each costly in an emulated guest). pci_driver: from the function's
 * uevent (pdev driver_known), "" for none; NULL: read the driver link.
 * With it given the function's directory is taken as there (its uevent was
 * just read). pci_dirfd: an O_PATH descriptor of that directory
 * (pdev_sysfs_dirfd), its files then read relative to it; -1: by path. */
struct linux_view_hint {
	const char *pci_driver;
	int pci_dirfd;
};

/* An O_PATH descriptor of v's virtio device directory (vdir its path), the
 * caller closes it, or -1: relative to the PCI function's directory when
 * the view has it (one path component, no walk through the bus link). */
int linux_view_virtio_dir(const struct linux_view *v, const char *vdir);

/* linux_view_read and linux_view_read_names with an index (NULL: list the
 * function's directory) and a hint (NULL: none). */
int linux_view_read_in(const char *sysfs_root, const struct pci_addr *a,
		       const struct linux_virtio_index *ix, const struct linux_view_hint *h,
		       struct linux_view *out);
int linux_view_read_names_in(const char *sysfs_root, const struct pci_addr *a,
			     const struct linux_virtio_index *ix, const struct linux_view_hint *h,
			     struct linux_view *out);

#endif
