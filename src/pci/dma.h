/* DMA-able memory for driving a device: buffers the device can read and
 * write, with the bus address the device must be given for each.
 *
 * Backends:
 *  - sysfs: the device is not bound to a driver and no IOMMU translates for
 *    it; memory is pinned (mlock; hugepages when available) and bus
 *    addresses come from /proc/self/pagemap. Refused (VX_PERM, clear
 *    message) when the device's iommu_group type is a translated domain.
 *  - vfio: the device is bound to vfio-pci and was opened through the VFIO
 *    backend; memory is mapped into the container at IOVAs of our choosing.
 *  - model: the test device model; bus address = process address.
 *
 * Bus mastering: dma_open() switches it on in the command register and
 * remembers the old value; dma_close() restores it. The caller must have
 * reset the device (and seen the reset complete) before dma_close() or
 * dma_free(): the device may otherwise still write into freed memory. When
 * the reset cannot be confirmed, call dma_abandon() instead: it keeps every
 * buffer allocated for the life of the process and restores nothing. */
#ifndef VIRTIOCTL_PCI_DMA_H
#define VIRTIOCTL_PCI_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "util/err.h"

enum dma_kind {
	DMA_AUTO, /* vfio when the device is opened through VFIO, else sysfs */
	DMA_SYSFS,
	DMA_VFIO,
	DMA_MODEL,
};

struct dma_mem {
	void *va;     /* where this process sees it */
	uint64_t bus; /* what the device is given */
	size_t len;
	void *priv;   /* backend bookkeeping */
};

struct dma;

int dma_open(struct pdev *pci, enum dma_kind kind, struct dma **out, struct verr *e);
/* len bytes, zeroed, with a bus address aligned to `align` (a power of
 * two), physically contiguous for the device: never crossing a page
 * boundary unless the backend can guarantee contiguity (hugepage, IOVA). */
int dma_alloc(struct dma *d, size_t len, size_t align, struct dma_mem *out, struct verr *e);
void dma_free(struct dma *d, struct dma_mem *m);
void dma_close(struct dma *d);
void dma_abandon(struct dma *d);
const char *dma_name(const struct dma *d);
/* Parses "auto", "sysfs", "vfio" (for --dma); false on anything else. */
bool dma_kind_parse(const char *s, enum dma_kind *out);

#endif
