/* The VFIO backend: a function bound to vfio-pci, driven through its VFIO
 * device file. Config space and BARs go through the device's regions (BARs
 * mmap'd where the region allows it, else pread/pwrite), DMA mappings
 * through the container (dma_vfio.c), and MSI-X vectors can signal
 * eventfds.
 *
 * Opening takes the function's IOMMU group (/dev/vfio/N, or
 * /dev/vfio/noiommu-N in VFIO's no-IOMMU mode), a container of its own with
 * the type1 IOMMU (v2 when offered) or the no-IOMMU driver, and the device
 * file. A group can be open in one place at a time: a second function of
 * the same group cannot be opened alongside, and a group a VM holds gives
 * EBUSY.
 *
 * vfio-pci resets the function when its device file is opened and again
 * when it is closed (where the function supports a reset), and clears bus
 * mastering on close; what a dump shows is therefore the state after that
 * reset. */
#ifndef VIRTIOCTL_PCI_VFIO_H
#define VIRTIOCTL_PCI_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/addr.h"
#include "pci/device.h"
#include "util/err.h"

/* True when the function's driver link (under sysfs_root) names vfio-pci. */
bool vfio_is_bound(const char *sysfs_root, const struct pci_addr *a);
/* Opens the function through VFIO. Every failure is one line naming the
 * cause: no IOMMU group, /dev/vfio/N missing or not permitted, the group
 * busy or not viable (naming the devices in it bound to other drivers), no
 * usable IOMMU type (interrupt remapping missing, ...). */
int vfio_pdev_open(const char *sysfs_root, const struct pci_addr *a, struct pdev **out,
		   struct verr *e);

bool vfio_pdev_is(const struct pdev *d);
/* Opened through VFIO's no-IOMMU mode: no DMA mappings, physical
 * addresses (the sysfs DMA backend) instead. */
bool vfio_pdev_noiommu(const struct pdev *d);
/* "type1v2", "type1" or "noiommu". */
const char *vfio_pdev_iommu_name(const struct pdev *d);

/* DMA mappings in the device's container (type1 only): the kernel pins
 * the pages. iova and len are multiples of the page size. */
int vfio_dma_map(struct pdev *d, void *va, uint64_t iova, uint64_t len, struct verr *e);
int vfio_dma_unmap(struct pdev *d, uint64_t iova, uint64_t len, struct verr *e);
/* The usable IOVA window that contains [start, start + 1) or, when start is
 * in none, the first one above it: [*lo, *hi). False when the kernel
 * reports no window there. Without the kernel's IOVA range capability the
 * whole 64-bit space is taken as usable. */
bool vfio_iova_window(const struct pdev *d, uint64_t start, uint64_t *lo, uint64_t *hi);

/* Function-level reset through VFIO (FLR, or whatever reset vfio-pci has
 * for the function): a last resort when a virtio reset is not confirmed.
 * VX_UNAVAILABLE when VFIO offers no reset for this function. */
int vfio_device_reset(struct pdev *d, struct verr *e);

/* MSI-X vectors for `poll --irq`. */
unsigned vfio_msix_count(const struct pdev *d); /* vectors the device has; 0: none */
/* Enables vectors [0, n), each signalling its own eventfd (non-blocking: a
 * read returns the number of interrupts since the last read). Enabling
 * again with another n replaces the set. */
int vfio_msix_enable(struct pdev *d, unsigned n, struct verr *e);
/* The eventfd of an enabled vector, or -1. Owned by the pdev. */
int vfio_msix_eventfd(const struct pdev *d, unsigned vector);
void vfio_msix_disable(struct pdev *d);

#endif
