/* The sysfs DMA backend: pinned memory of this process, with bus addresses
 * taken from /proc/self/pagemap (bus address = physical address: no IOMMU
 * translates for the device). Arenas: a 2 MiB hugetlb page when the system
 * has hugepages; else 64 KiB of small pages for small buffers, and for
 * larger ones a run of consecutive frames gathered from a THP-advised
 * region (see dma.h). */
#include "dma/backend.h"

#include "pci/backend/backend.h"
#include "pci/backend/vfio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26) /* MAP_HUGE_SHIFT = 26 */
#endif

#define SMALL_ARENA (16 * DMA_PAGE)

/* ---- checks ---- */

/* The iommu_group type when it is not identity (the IOMMU translates). */
static bool translated(const char *sysfs_root, const struct pci_addr *a, char *type, size_t len)
{
	char path[PATH_MAX];

	return pci_sysfs_path(path, sizeof(path), sysfs_root, a, "iommu_group/type") &&
	       sysattr_read(path, type, len) && strcmp(type, "identity") != 0;
}

bool dma_iommu_translates(const char *sysfs_root, const struct pci_addr *a)
{
	char type[64];

	return translated(sysfs_root, a, type, sizeof(type));
}

int dma_pagemap_check_iommu(const char *sysfs_root, const struct pci_addr *a, struct verr *e)
{
	char path[PATH_MAX], type[64], name[PCI_ADDR_STRLEN];

	if (!pci_sysfs_path(path, sizeof(path), sysfs_root, a, "iommu_group/type"))
		return verr_set(e, VX_FAIL, "sysfs path too long");
	if (!translated(sysfs_root, a, type, sizeof(type)))
		return 0;
	pci_addr_format(a, name);
	return verr_set(e, VX_PERM,
			"the IOMMU translates DMA for %s (iommu_group type %s): physical addresses "
			"would fault; DMA through VFIO would work (bind the device to vfio-pci)",
			name, type);
}

unsigned long dma_pagemap_nr_hugepages(const char *proc_root)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "%s/sys/vm/nr_hugepages", proc_root);
	if (!sysattr_read(path, buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 10);
}

/* ---- pagemap ---- */

static int pagemap_error(enum pagemap_state st, const void *va, struct verr *e)
{
	switch (st) {
	case PAGEMAP_NO_PFN:
		return verr_set(e, VX_PERM, "pagemap gives no physical addresses (run as root)");
	case PAGEMAP_SWAPPED:
		return verr_set(e, VX_FAIL, "DMA page at %p was swapped out despite mlock", va);
	default:
		return verr_set(e, VX_FAIL, "DMA page at %p is not present after mlock", va);
	}
}

/* Physical address of each 4 KiB page of [va, va+len). */
static int lookup(int fd, const uint8_t *va, size_t len, uint64_t *bus, struct verr *e)
{
	size_t n = len / DMA_PAGE;
	uint64_t *ent = calloc(n, sizeof(*ent));
	off_t at = (off_t)((uintptr_t)va / DMA_PAGE * sizeof(*ent));
	ssize_t got;

	if (!ent)
		return verr_set(e, VX_FAIL, "out of memory");
	got = pread(fd, ent, n * sizeof(*ent), at);
	if (got != (ssize_t)(n * sizeof(*ent))) {
		free(ent);
		return verr_set(e, VX_FAIL, "reading /proc/self/pagemap: %s",
				got < 0 ? strerror(errno) : "short read");
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn;
		enum pagemap_state st = dma_pagemap_decode(ent[i], &pfn);

		if (st != PAGEMAP_PFN) {
			free(ent);
			return pagemap_error(st, va + i * DMA_PAGE, e);
		}
		bus[i] = pfn * DMA_PAGE;
	}
	free(ent);
	return 0;
}

static int open_pagemap(struct dma *d, struct verr *e)
{
	int err;

	d->sysfs.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (d->sysfs.pagemap_fd >= 0)
		return 0;
	err = errno;
	return verr_set(e, err == EACCES || err == EPERM ? VX_PERM : VX_UNAVAILABLE,
			"cannot open /proc/self/pagemap: %s%s", strerror(err),
			err == EACCES ? " (run as root; a process that changed its uid must "
					"set PR_SET_DUMPABLE)"
				      : "");
}

/* One touched page tells early whether frame numbers are visible. */
static int probe_pagemap(struct dma *d, struct verr *e)
{
	void *p = dma_map_anon(DMA_PAGE, 0, e);
	uint64_t bus;
	int rc;

	if (!p)
		return -1;
	rc = lookup(d->sysfs.pagemap_fd, p, DMA_PAGE, &bus, e);
	munmap(p, DMA_PAGE);
	return rc;
}

static int sysfs_open(struct dma *d, struct verr *e)
{
	d->sysfs.noiommu = vfio_pdev_noiommu(d->pci);
	if (!d->sysfs.noiommu && dma_pagemap_check_iommu(d->sysfs_root, &d->pci->addr, e))
		return -1;
	if (open_pagemap(d, e) || probe_pagemap(d, e))
		return -1;
	d->sysfs.try_hugetlb = dma_pagemap_nr_hugepages("/proc") > 0;
	return 0;
}

static void sysfs_close(struct dma *d)
{
	if (d->sysfs.pagemap_fd >= 0)
		close(d->sysfs.pagemap_fd);
	d->sysfs.pagemap_fd = -1;
}

/* ---- arenas ---- */

static void unmap(struct dma_arena *a)
{
	munmap(a->va, a->len);
	dma_arena_free(a);
}

static int lock_and_look_up(struct dma *d, struct dma_arena *a, struct verr *e)
{
	if (mlock(a->va, a->len) != 0)
		return verr_set(e, errno == EPERM || errno == ENOMEM ? VX_PERM : VX_FAIL,
				"mlock of %zu bytes of DMA memory: %s (locked-memory limit? see "
				"ulimit -l)",
				a->len, strerror(errno));
	return lookup(d->sysfs.pagemap_fd, a->va, a->len, a->bus_page, e);
}

static int finish(struct dma *d, void *va, size_t len, bool spans, struct dma_arena **out,
		  struct verr *e)
{
	struct dma_arena *a = dma_arena_new(va, len, spans);

	if (!a) {
		munmap(va, len);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	if (lock_and_look_up(d, a, e)) {
		unmap(a);
		return -1;
	}
	*out = a;
	return 0;
}

static int new_hugetlb(struct dma *d, struct dma_arena **out, struct verr *e)
{
	struct verr ignored = {0};
	void *va = dma_map_anon(DMA_HUGE, MAP_HUGETLB | MAP_HUGE_2MB, &ignored);

	if (!va) {
		/* All reserved hugepages taken (or another default size): small
		 * pages from now on. */
		d->sysfs.try_hugetlb = false;
		return 1;
	}
	return finish(d, va, DMA_HUGE, true, out, e);
}

/* A 2 MiB-aligned region of len bytes, THP-advised and touched. */
static uint8_t *map_aligned(size_t len, struct verr *e)
{
	uint8_t *raw = mmap(NULL, len + DMA_HUGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *p;

	if (raw == MAP_FAILED) {
		verr_set(e, VX_FAIL, "mmap for contiguous DMA memory: %s", strerror(errno));
		return NULL;
	}
	p = (uint8_t *)(((uintptr_t)raw + DMA_HUGE - 1) & ~(uintptr_t)(DMA_HUGE - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + len, (size_t)(raw + len + DMA_HUGE - (p + len)));
	madvise(p, len, MADV_HUGEPAGE);
	for (size_t i = 0; i < len; i += DMA_PAGE)
		((volatile uint8_t *)p)[i] = 0;
	return p;
}

struct frame {
	uint64_t bus;
	size_t page;
};

static int frame_cmp(const void *x, const void *y)
{
	const struct frame *a = x, *b = y;

	return a->bus < b->bus ? -1 : a->bus > b->bus;
}

/* Index into f (sorted by bus address) of `need` consecutive frames whose
 * first is aligned to align; -1 when there is none. */
static long find_run(const struct frame *f, size_t n, size_t need, size_t align)
{
	size_t run = 1;

	for (size_t i = 0; i < n; i++) {
		run = i && f[i].bus == f[i - 1].bus + DMA_PAGE ? run + 1 : 1;
		if (run >= need && f[i + 1 - need].bus % align == 0)
			return (long)(i + 1 - need);
	}
	return -1;
}

/* Moves the run's pages, in frame order, into a new mapping: mremap keeps
 * each page's frame. */
static uint8_t *gather(uint8_t *va, const struct frame *run, size_t need, struct verr *e)
{
	uint8_t *to = mmap(NULL, need * DMA_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (to == MAP_FAILED) {
		verr_set(e, VX_FAIL, "mmap for contiguous DMA memory: %s", strerror(errno));
		return NULL;
	}
	for (size_t k = 0; k < need; k++)
		if (mremap(va + run[k].page * DMA_PAGE, DMA_PAGE, DMA_PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, to + k * DMA_PAGE) == MAP_FAILED) {
			verr_set(e, VX_FAIL, "mremap gathering contiguous DMA pages: %s",
				 strerror(errno));
			munmap(to, need * DMA_PAGE);
			return NULL;
		}
	return to;
}

/* Contiguous memory from a region of small pages. With THP the region is
 * often one huge page, contiguous as it stands; otherwise the page
 * allocator tends to hand out runs of consecutive frames, though not
 * always in ascending virtual order: the pages of a suitable run are then
 * gathered into a mapping of their own. 1: no run in this region. */
static int try_region(struct dma *d, size_t size, size_t len, size_t align, struct dma_arena **out,
		      struct verr *e)
{
	size_t n = size / DMA_PAGE, need = (len + DMA_PAGE - 1) / DMA_PAGE;
	struct frame *f = calloc(n, sizeof(*f));
	uint64_t *bus = calloc(n, sizeof(*bus));
	uint8_t *va = map_aligned(size, e), *to = NULL;
	long at = -1;
	int rc = -1;

	if (!f || !bus || !va || lookup(d->sysfs.pagemap_fd, va, size, bus, e))
		goto out;
	for (size_t i = 0; i < n; i++)
		f[i] = (struct frame){bus[i], i};
	qsort(f, n, sizeof(*f), frame_cmp);
	at = find_run(f, n, need, align > DMA_PAGE ? align : DMA_PAGE);
	rc = at < 0 ? 1 : 0;
	if (at >= 0 && !(to = gather(va, f + at, need, e)))
		rc = -1;
out:
	if (!f || !bus)
		verr_set(e, VX_FAIL, "out of memory");
	if (va)
		munmap(va, size); /* what is left of it: the gathered pages moved */
	free(f);
	free(bus);
	if (to)
		return finish(d, to, need * DMA_PAGE, true, out, e);
	return rc;
}

static int new_contiguous(struct dma *d, size_t len, size_t align, struct dma_arena **out,
			  struct verr *e)
{
	static const size_t regions[] = {DMA_HUGE, 4 * DMA_HUGE};

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		int rc = try_region(d, regions[i], len, align, out, e);

		if (rc <= 0)
			return rc;
	}
	return verr_set(e, VX_UNAVAILABLE,
			"no physically contiguous %zu bytes (aligned to %zu) among 10 MiB of small "
			"pages; reserve hugepages (echo 8 > /proc/sys/vm/nr_hugepages)",
			len, align);
}

static int sysfs_arena_new(struct dma *d, size_t len, size_t align, bool contiguous,
			   struct dma_arena **out, struct verr *e)
{
	void *va;

	if (d->sysfs.try_hugetlb) {
		int rc = new_hugetlb(d, out, e);

		if (rc <= 0)
			return rc;
	}
	if (contiguous)
		return new_contiguous(d, len, align, out, e);
	va = dma_map_anon(SMALL_ARENA, 0, e);
	if (!va)
		return -1;
	/* Keep khugepaged from collapsing the pages under us. */
	madvise(va, SMALL_ARENA, MADV_NOHUGEPAGE);
	return finish(d, va, SMALL_ARENA, false, out, e);
}

static void sysfs_arena_drop(struct dma *d, struct dma_arena *a)
{
	(void)d;
	unmap(a);
}

static int sysfs_arena_verify(struct dma *d, const struct dma_arena *a, struct verr *e)
{
	size_t n = a->len / DMA_PAGE;
	uint64_t *now = calloc(n, sizeof(*now));
	int rc;

	if (!now)
		return verr_set(e, VX_FAIL, "out of memory");
	rc = lookup(d->sysfs.pagemap_fd, a->va, a->len, now, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (now[i] != a->bus_page[i])
			rc = verr_set(e, VX_DEVICE,
				      "DMA page at %p moved from 0x%llx to 0x%llx (the kernel "
				      "migrated it; hugepages avoid this)",
				      (void *)(a->va + i * DMA_PAGE),
				      (unsigned long long)a->bus_page[i],
				      (unsigned long long)now[i]);
	free(now);
	return rc;
}

const struct dma_backend dma_pagemap_backend = {
	.name = "sysfs",
	.open = sysfs_open,
	.arena_new = sysfs_arena_new,
	.arena_drop = sysfs_arena_drop,
	.arena_verify = sysfs_arena_verify,
	.close = sysfs_close,
};
