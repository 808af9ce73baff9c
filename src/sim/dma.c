/* DMA memory for the simulated device: the model's own bounded memory
 * (model_spec.dma_base/dma_size), handed out as one arena whose bus
 * addresses are the model's, not pointers of this process. The model
 * checks every address the driver gives it against that memory. */
#include "dma/backend.h"
#include "sim/model.h"

/* The model whose memory this is: the context when one was given (the
 * device's pdev may have been wrapped since it was opened), else the pdev. */
static struct pdev *model_dev(const struct dma *d)
{
	return d->ctx ? d->ctx : d->pci;
}

static int model_open(struct dma *d, struct verr *e)
{
	if (!model_is(model_dev(d)))
		return verr_set(e, VX_USAGE, "simulator DMA memory is for simulated devices only");
	return 0;
}

static int model_arena_new(struct dma *d, size_t len, size_t align, bool contiguous,
			   struct dma_arena **out, struct verr *e)
{
	struct dma_arena *a;
	uint8_t *va;
	uint64_t bus;
	size_t size;

	(void)contiguous;
	if (model_dma_take(model_dev(d), &va, &bus, &size, e))
		return -1;
	if (len > size || align > size) {
		model_dma_put(model_dev(d));
		return verr_set(e, VX_UNAVAILABLE,
				"%zu bytes (aligned to %zu) do not fit in the simulated device's "
				"%zu KiB of DMA memory",
				len, align, size / 1024);
	}
	a = dma_arena_new(va, size, true);
	if (!a) {
		model_dma_put(model_dev(d));
		return verr_set(e, VX_FAIL, "out of memory");
	}
	for (size_t i = 0; i < size / DMA_PAGE; i++)
		a->bus_page[i] = bus + i * DMA_PAGE;
	*out = a;
	return 0;
}

static void model_arena_drop(struct dma *d, struct dma_arena *a)
{
	model_dma_put(model_dev(d));
	dma_arena_free(a);
}

const struct dma_backend model_dma_backend = {
	.name = "model",
	.open = model_open,
	.arena_new = model_arena_new,
	.arena_drop = model_arena_drop,
};
