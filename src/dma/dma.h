/* DMA-able memory for driving a device: buffers the device can read and
 * write, with the bus address the device must be given for each.
 *
 * Backends:
 *  - sysfs: the device is not bound to a driver and no IOMMU translates for
 *    it; memory is pinned (mlock; hugepages when available) and bus
 *    addresses come from /proc/self/pagemap (root only). Refused (VX_PERM,
 *    clear message) when the device's iommu_group type is a translated
 *    domain. Also used for a device on vfio-pci in VFIO no-IOMMU mode.
 *  - vfio: the device is bound to vfio-pci and was opened through the VFIO
 *    backend (vfio.h); memory is mapped into the container at IOVAs of our
 *    choosing, from 4 GiB up, and the kernel pins it.
 *  - provided: a backend the caller brings (dma_open_backend), such as the
 *    simulator's bounded memory (src/sim).
 *
 * Contiguity. A buffer of at most 4096 bytes never crosses a 4 KiB page
 * boundary on small pages: small requests are packed into shared pages
 * (64-byte granules). A larger buffer, or one aligned beyond 4096 (the
 * legacy interface's ring: one block of a few pages, 4096-aligned, given
 * to the device as a page frame number), must be physically contiguous.
 * The sysfs backend gets that, in this order, from:
 *  1. a 2 MiB hugetlb page (MAP_HUGETLB), when /proc/sys/vm/nr_hugepages
 *     is above 0 and one is free: contiguous by construction;
 *  2. a 2 MiB-aligned anonymous region with MADV_HUGEPAGE (then 8 MiB):
 *     a transparent huge page when THP is enabled, else whatever runs of
 *     consecutive frames the page allocator gave; pagemap is read, the
 *     frames sorted, and the pages of a long enough run moved (mremap
 *     keeps each page's frame) into a mapping of their own in frame order,
 *     the rest given back;
 *  3. otherwise VX_UNAVAILABLE, naming the nr_hugepages remedy.
 * VFIO and provided memory is contiguous on the bus by construction.
 *
 * Caveat of the sysfs backend: mlock keeps pages resident but compaction
 * may still migrate them to other frames (hugetlb pages and memory mapped
 * through VFIO stay put; vm.compact_unevictable_allowed=0 stops it for
 * mlocked pages). dma_verify() re-reads pagemap and reports a moved page;
 * call it before handing addresses to the device in long sessions.
 *
 * Bus mastering: dma_open() switches it on in the command register (and
 * memory or I/O decoding when it is off for an assigned BAR of that kind:
 * the device cannot be driven otherwise), remembering the old 16-bit
 * value; dma_close() writes that value back. The device must be open for
 * writing (pdev_allow_writes). The caller must have reset the device (and
 * seen the reset complete) before dma_close() or dma_free(): the device
 * may otherwise still write into freed memory. When the reset cannot be
 * confirmed, call dma_abandon() instead: it keeps every buffer allocated
 * (and mapped for the device) for the life of the process and does not
 * restore the old command register; it does switch bus mastering off,
 * because the pages go back to the kernel when the process exits and a
 * device still mastering could then write into someone else's memory.
 * Close the dma before the pdev it was opened on. */
#ifndef VIRTIOCTL_PCI_DMA_H
#define VIRTIOCTL_PCI_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/device.h"
#include "util/err.h"

enum dma_kind {
	DMA_AUTO, /* vfio when the device is opened through VFIO (IOMMU mode),
		   * else pagemap */
	DMA_PAGEMAP,
	DMA_VFIO,
	DMA_PROVIDED, /* a backend given by the caller (dma_open_backend) */
};

struct dma_mem {
	void *va;     /* where this process sees it */
	uint64_t bus; /* what the device is given */
	size_t len;
	void *priv; /* backend bookkeeping */
};

struct dma;

/* Errors: VX_USAGE for a kind that does not fit the device (vfio on a
 * device not opened through VFIO), VX_PERM for a refusal (translated
 * IOMMU domain, pagemap without frame numbers, device not writable),
 * VX_UNAVAILABLE when the system lacks what the backend needs. */
int dma_open(struct pdev *pci, enum dma_kind kind, struct dma **out, struct verr *e);
/* The same, with the sysfs root the device was found under (for its
 * iommu_group); dma_open() uses "/sys". */
int dma_open_at(struct pdev *pci, enum dma_kind kind, const char *sysfs_root, struct dma **out,
		struct verr *e);
/* The same with a backend of the caller's (struct dma_backend in
 * dma/backend.h): for device sources outside this layer, like the
 * simulator. Bus mastering is handled as for the others. */
struct dma_backend;
/* True when the IOMMU translates DMA for the function (its iommu_group
 * type is not identity): physical addresses from pagemap would fault,
 * VFIO's IOVAs work. */
bool dma_iommu_translates(const char *sysfs_root, const struct pci_addr *a);
int dma_open_backend(struct pdev *pci, const struct dma_backend *be, struct dma **out,
		     struct verr *e);
/* The same with a context for the backend (struct dma's ctx): what the
 * memory belongs to when pci alone does not say (a wrapped pdev). */
int dma_open_backend_ctx(struct pdev *pci, const struct dma_backend *be, void *ctx,
			 struct dma **out, struct verr *e);
/* len bytes, zeroed, with a bus address aligned to `align` (a power of
 * two), physically contiguous for the device: never crossing a page
 * boundary unless the backend can guarantee contiguity (hugepage, IOVA). */
int dma_alloc(struct dma *d, size_t len, size_t align, struct dma_mem *out, struct verr *e);
/* Gives the buffer back (m is cleared); an arena no buffer uses any more is
 * unmapped (for VFIO: from the IOMMU too). NULL or cleared m: no-op. */
void dma_free(struct dma *d, struct dma_mem *m);
/* VX_DEVICE when a page of any buffer is no longer where its bus address
 * says (sysfs backend: the kernel migrated it); 0 otherwise. */
int dma_verify(struct dma *d, struct verr *e);
void dma_close(struct dma *d);
void dma_abandon(struct dma *d);
const char *
dma_name(const struct dma *d); /* "sysfs" (pagemap), "vfio", or the provided backend's */
enum dma_kind dma_kind_of(const struct dma *d); /* never DMA_AUTO */
/* The word for a kind a user may choose: "auto", "sysfs", "vfio"; NULL for
 * DMA_PROVIDED and beyond. The one list (the CLI's --dma takes it). */
const char *dma_kind_word(unsigned k);
/* Parses a word of dma_kind_word(); false on anything else. */
bool dma_kind_parse(const char *s, enum dma_kind *out);

#endif
