/* The VFIO DMA backend: anonymous memory mapped into the device's
 * container at IOVAs handed out upwards from 4 GiB (clear of the x86 MSI
 * window and of anything a 32-bit device might assume). The type1 IOMMU
 * pins the pages while they are mapped. */
#include "dma/backend.h"

#include "pci/backend/vfio.h"

#include <stdlib.h>
#include <sys/mman.h>

#define IOVA_START 0x100000000ull
#define VFIO_ARENA (16 * DMA_PAGE)

static int vfio_open(struct dma *d, struct verr *e)
{
	uint64_t lo, hi;

	if (!vfio_iova_window(d->pci, IOVA_START, &lo, &hi))
		return verr_set(e, VX_UNAVAILABLE,
				"the IOMMU offers no IOVA range at or above 0x%llx for DMA",
				(unsigned long long)IOVA_START);
	d->vfio.next_iova = lo > IOVA_START ? lo : IOVA_START;
	d->vfio.iova_end = hi;
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) & ~(to - 1);
}

static int take_iova(struct dma *d, size_t len, size_t align, uint64_t *iova, struct verr *e)
{
	uint64_t at = align_up(d->vfio.next_iova, align > DMA_PAGE ? align : DMA_PAGE);

	if (at < d->vfio.next_iova || at > d->vfio.iova_end || d->vfio.iova_end - at < len)
		return verr_set(e, VX_UNAVAILABLE, "IOVA space for DMA is used up at 0x%llx",
				(unsigned long long)d->vfio.next_iova);
	*iova = at;
	d->vfio.next_iova = at + len;
	return 0;
}

static int vfio_arena_new(struct dma *d, size_t len, size_t align, bool contiguous,
			  struct dma_arena **out, struct verr *e)
{
	size_t size = len > VFIO_ARENA ? (len + DMA_PAGE - 1) / DMA_PAGE * DMA_PAGE : VFIO_ARENA;
	struct dma_arena *a;
	uint64_t iova = 0;
	void *va;

	(void)contiguous; /* IOVAs are contiguous by construction */
	if (take_iova(d, size, align, &iova, e))
		return -1;
	va = dma_map_anon(size, 0, e);
	if (!va)
		return -1;
	a = dma_arena_new(va, size, true);
	if (!a) {
		munmap(va, size);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	for (size_t i = 0; i < size / DMA_PAGE; i++)
		a->bus_page[i] = iova + i * DMA_PAGE;
	if (vfio_dma_map(d->pci, va, iova, size, e)) {
		munmap(va, size);
		dma_arena_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* Out of the IOMMU first: the device must not reach pages the process no
 * longer owns. Should the unmap fail, the memory is kept. */
static void vfio_arena_drop(struct dma *d, struct dma_arena *a)
{
	if (vfio_dma_unmap(d->pci, a->bus_page[0], a->len, NULL) == 0)
		munmap(a->va, a->len);
	dma_arena_free(a);
}

const struct dma_backend dma_vfio_backend = {
	.name = "vfio",
	.open = vfio_open,
	.arena_new = vfio_arena_new,
	.arena_drop = vfio_arena_drop,
};
