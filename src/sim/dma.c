/* DMA memory for the simulated device: plain process memory, given to the
 * model by its own address (model_spec.dma_identity). */
#include "dma/backend.h"
#include "sim/model.h"

#include <sys/mman.h>

#define MODEL_ARENA (16 * DMA_PAGE)

static int model_open(struct dma *d, struct verr *e)
{
	if (!model_is(d->pci))
		return verr_set(e, VX_USAGE, "simulator DMA memory is for simulated devices only");
	return 0;
}

static int model_arena_new(struct dma *d, size_t len, size_t align, bool contiguous,
			   struct dma_arena **out, struct verr *e)
{
	/* Page-aligned mappings: alignments beyond a page need room to slide. */
	size_t size = (len + (align > DMA_PAGE ? align : 0) + DMA_PAGE - 1) / DMA_PAGE * DMA_PAGE;
	struct dma_arena *a;
	void *va;

	(void)d;
	(void)contiguous;
	if (size < MODEL_ARENA)
		size = MODEL_ARENA;
	/* Below 2 GiB, so a legacy queue's 32-bit page frame number (44-bit
	 * address) can reach it as it reaches guest memory on real devices. */
	va = dma_map_anon(size, MAP_32BIT, e);
	if (!va)
		return -1;
	a = dma_arena_new(va, size, true);
	if (!a) {
		munmap(va, size);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	for (size_t i = 0; i < size / DMA_PAGE; i++)
		a->bus_page[i] = (uint64_t)(uintptr_t)va + i * DMA_PAGE;
	*out = a;
	return 0;
}

static void model_arena_drop(struct dma *d, struct dma_arena *a)
{
	(void)d;
	munmap(a->va, a->len);
	dma_arena_free(a);
}

const struct dma_backend model_dma_backend = {
	.name = "model",
	.open = model_open,
	.arena_new = model_arena_new,
	.arena_drop = model_arena_drop,
};
