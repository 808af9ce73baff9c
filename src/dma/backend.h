/* Inside the DMA memory front end (dma.c) and its backends (dma_sysfs.c,
 * vfio.c, and backends outside this layer such as src/sim/dma.c): the arena allocator they share
 * and the pure helpers the unit tests reach. Not for the layers above: they use dma.h.
 *
 * Memory comes in arenas: one mapping with a known bus address for each of
 * its 4 KiB pages, carved into 64-byte granules. A buffer is a run of free
 * granules whose bus address has the requested alignment and whose pages
 * are consecutive on the bus wherever the buffer crosses from one page to
 * the next. Whether that may happen at all is the arena's `spans`:
 *  - sysfs, small pages: never (each page's frame is wherever the kernel
 *    put it, and compaction may move it);
 *  - sysfs, hugetlb page or contiguous run: yes, where pagemap showed the
 *    frames to be consecutive;
 *  - VFIO and provided backends: yes (IOVAs and process addresses are contiguous). */
#ifndef VIRTIOCTL_PCI_DMA_IMPL_H
#define VIRTIOCTL_PCI_DMA_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma/dma.h"

#define DMA_PAGE  4096u
#define DMA_HUGE  (2u << 20)
#define DMA_GRAIN 64u /* smallest piece handed out; also the minimum alignment */

struct dma_arena {
	uint8_t *va;
	size_t len;	    /* a multiple of DMA_PAGE */
	uint64_t *bus_page; /* bus address of each 4 KiB page */
	bool spans;	    /* buffers may cross pages that are consecutive on the bus */
	uint64_t *used;	    /* one bit per granule */
	size_t nused;	    /* granules in use */
	struct dma_arena *next;
};

/* An arena's bookkeeping (bus_page and used arrays) for len bytes at va;
 * bus_page is left zero for the backend to fill. NULL when out of memory. */
struct dma_arena *dma_arena_new(void *va, size_t len, bool spans);
void dma_arena_free(struct dma_arena *a); /* bookkeeping only, not the memory */
uint64_t dma_arena_bus(const struct dma_arena *a, size_t off);
/* First offset where len bytes fit with the bus address aligned to align
 * (a power of two); false when none. */
bool dma_arena_fit(const struct dma_arena *a, size_t len, size_t align, size_t *off);
void dma_arena_take(struct dma_arena *a, size_t off, size_t len);
void dma_arena_release(struct dma_arena *a, size_t off, size_t len);

/* /proc/PID/pagemap entries (Documentation/admin-guide/mm/pagemap.rst). */
enum pagemap_state {
	PAGEMAP_PFN,	     /* present, with its frame number */
	PAGEMAP_NO_PFN,	     /* present, but the frame is hidden (not root) */
	PAGEMAP_NOT_PRESENT, /* never touched, or reclaimed */
	PAGEMAP_SWAPPED,
};
enum pagemap_state dma_pagemap_decode(uint64_t entry, uint64_t *pfn);

/* What a backend does; the front end does the rest (kind selection, bus
 * mastering, sub-allocation). */
struct dma_backend {
	const char *name;
	int (*open)(struct dma *d, struct verr *e);
	/* A new arena for at least len bytes. `contiguous`: the request needs
	 * more than one page, or an alignment beyond a page, so the arena must
	 * have spans set (and consecutive pages to make use of it). */
	int (*arena_new)(struct dma *d, size_t len, size_t align, bool contiguous,
			 struct dma_arena **out, struct verr *e);
	/* Unmaps and frees an arena no buffer uses any more. */
	void (*arena_drop)(struct dma *d, struct dma_arena *a);
	/* Checks that the arena's bus addresses still hold (sysfs: pages can
	 * be migrated under mlock). NULL when they cannot change. */
	int (*arena_verify)(struct dma *d, const struct dma_arena *a, struct verr *e);
	void (*close)(struct dma *d);
};

extern const struct dma_backend dma_pagemap_backend;
extern const struct dma_backend dma_vfio_backend;

struct dma_pagemap_state {
	int pagemap_fd;
	bool try_hugetlb; /* nr_hugepages > 0 and no hugetlb mmap has failed yet */
	bool noiommu;	  /* VFIO no-IOMMU device: no iommu_group type to check */
};

struct dma_vfio_state {
	uint64_t next_iova;
	uint64_t iova_end; /* exclusive; the end of the usable IOVA range */
};

struct dma {
	struct pdev *pci;
	void *ctx; /* a provided backend's context (dma_open_backend_ctx), or NULL */
	enum dma_kind kind;
	const struct dma_backend *be;
	char sysfs_root[PATH_MAX];
	uint16_t saved_cmd;
	bool cmd_written; /* saved_cmd must be written back */
	struct dma_arena *arenas;
	struct dma_pagemap_state sysfs;
	struct dma_vfio_state vfio;
};

/* Anonymous mapping of len bytes (a multiple of the page size), written
 * through so every page is backed. NULL with e set on failure. */
void *dma_map_anon(size_t len, int extra_flags, struct verr *e);

/* The sysfs backend's checks, separate so the unit tests can run them on a
 * fake tree: refuses (VX_PERM) a device whose iommu_group type is a
 * translated domain. */
int dma_pagemap_check_iommu(const char *sysfs_root, const struct pci_addr *a, struct verr *e);
/* Reads nr_hugepages; 0 when unreadable. */
unsigned long dma_pagemap_nr_hugepages(const char *proc_root);

#endif
