/* (d) The split-ring consumer against a device that writes anything into
 * the ring memory it shares with us. A model device is brought up with one
 * queue; the input is a program of operations: post chains, write bytes
 * into the used ring (or, as a device must not but a broken one could,
 * into the descriptor table and the avail ring), forge used elements,
 * kick, poll, describe. vring_poll must hand back only chains that were in
 * flight, with lengths within their writable bytes, or fail with a device
 * error; it must never crash, leak or spin.
 *
 * Input: a setup byte (bits 0-3: queue size 2^(n%9); bit 4: EVENT_IDX;
 * bit 5: MSI-X vector 1 instead of polling; bit 6: legacy device, one
 * block in the legacy layout),
 * then operations, one byte each plus their operands. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma/dma.h"
#include "sim/model.h"
#include "virtio/driver.h"
#include "virtio/features.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

#define MAX_DESCRIBE 3 /* OP_DESCRIBEs run per input; one more at the end */
#define MAX_OPS	     256
#define MAX_SEG_LEN  9000 /* crosses pages: one segment, several descriptors */
#define MAX_POLL     8

enum { OP_POST, OP_POST2, OP_USED_BYTES, OP_FORGE, OP_POLL, OP_KICK, OP_DRIVER_AREAS, OP_DESCRIBE };

struct shadow {
	bool busy[VRING_MAX_SEGS * 4 + 256];
	uint32_t writable[VRING_MAX_SEGS * 4 + 256];
	bool broken;
};

struct rig {
	struct pdev *pci;
	struct vdev v;
	struct dma *dma;
	struct vring *r;
	uint16_t size;
	uint8_t *desc, *avail, *used;
	size_t desc_len, avail_len, used_len;
};

/* False when a legacy ring cannot be had here (the model's DMA memory is
 * above what a 32-bit page frame number reaches). */
static bool setup(struct rig *g, unsigned size, bool event_idx, bool vector, bool legacy)
{
	struct model_spec spec;
	struct vstep_result sr;
	struct verr e = {0};
	struct model_queue *mq;
	uint64_t offered, feats;

	memset(g, 0, sizeof(*g));
	model_spec_init(&spec, MODEL_ID_RNG, legacy ? MODEL_LEGACY : MODEL_MODERN);
	/* A legacy queue's size is the device's: make it the one asked for. */
	spec.queue_max[0] = (uint16_t)(legacy ? size : 256);
	spec.writable = true;
	spec.addr = (struct pci_addr){0, 0x42, 0, 0};
	g->pci = model_pdev_new(&spec, &e);
	if (!g->pci || vdev_open(g->pci, &g->v, &e))
		fuzz_fail("model: %s", e.msg);
	vdev_allow_select(&g->v, true, NULL);
	if (dma_open_backend(g->pci, &model_dma_backend, &g->dma, &e) ||
	    vdev_step(&g->v, VSTEP_RESET, false, &sr, &e) ||
	    vdev_step(&g->v, VSTEP_ACK, false, &sr, &e) ||
	    vdev_step(&g->v, VSTEP_DRIVER, false, &sr, &e) ||
	    g->v.ops->get_device_features(&g->v, &offered, &e))
		fuzz_fail("bring-up: %s", e.msg);
	feats = features_default(&g->v, offered);
	if (!event_idx)
		feats &= ~(UINT64_C(1) << VIRTIO_FB_EVENT_IDX);
	if (g->v.ops->set_driver_features(&g->v, feats, &e) ||
	    (!legacy && vdev_step(&g->v, VSTEP_FEATURES_OK, false, &sr, &e)))
		fuzz_fail("bring-up: %s", e.msg);
	/* No MSI-X vector on legacy: it has MSI-X off. */
	if (vring_create(&g->v, g->dma, 0, (uint16_t)size, feats,
			 vector && !legacy ? 1 : VIRTIO_MSI_NO_VECTOR, &g->r, &e)) {
		if (!legacy)
			fuzz_fail("vring_create: %s", e.msg);
		dma_close(g->dma);
		pdev_close(g->pci);
		return false;
	}
	if (vdev_step(&g->v, VSTEP_DRIVER_OK, false, &sr, &e))
		fuzz_fail("bring-up: %s", e.msg);
	g->size = vring_size(g->r);
	FUZZ_ASSERT(g->size == size);
	mq = &model_state(g->pci)->queue[0];
	g->desc = model_dma_ptr(g->pci, mq->desc, 16u * mq->size);
	g->avail = model_dma_ptr(g->pci, mq->driver, 6 + 2u * mq->size);
	g->used = model_dma_ptr(g->pci, mq->device, 6 + 8u * mq->size);
	FUZZ_ASSERT(g->desc && g->avail && g->used);
	g->desc_len = 16 * (size_t)size;
	g->avail_len = 6 + 2 * (size_t)size;
	g->used_len = 6 + 8 * (size_t)size;
	return true;
}

static void teardown(struct rig *g)
{
	struct verr e = {0};

	/* The contract: reset (and see it) before the ring memory goes. */
	if (vdev_reset(&g->v, 100, &e))
		fuzz_fail("reset: %s", e.msg);
	vring_destroy(g->r);
	dma_close(g->dma);
	pdev_close(g->pci);
}

/* Copies up to `k` input bytes into mem[off...], within len. */
static void overwrite(struct fuzz_in *in, uint8_t *mem, size_t len)
{
	size_t off = fin_u16(in) % len, k = fin_u8(in) % 17;

	for (size_t i = 0; i < k && off + i < len; i++)
		mem[off + i] = fin_u8(in);
}

static void post(struct rig *g, struct shadow *sh, struct fuzz_in *in)
{
	static uint8_t payload[MAX_SEG_LEN];
	struct vseg segs[4];
	unsigned n = 1 + fin_u8(in) % 4;
	uint32_t writable = 0;
	struct verr e = {0};
	uint16_t head;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = fin_u8(in);

		segs[i].writable = b & 1;
		segs[i].data = b & 2 ? NULL : payload;
		segs[i].len = b & 4 ? fin_u16(in) % MAX_SEG_LEN : fin_u8(in);
		if (segs[i].writable)
			writable += segs[i].len;
	}
	if (vring_post(g->r, segs, n, &head, &e)) {
		FUZZ_ASSERT(e.code == VX_FAIL || (e.code == VX_DEVICE && sh->broken));
		return;
	}
	FUZZ_ASSERT(!sh->broken);
	FUZZ_ASSERT(head < g->size && !sh->busy[head]);
	sh->busy[head] = true;
	sh->writable[head] = writable;
}

/* A used element at the next slot(s) a driver reads, as a device writes
 * it: often right, sometimes not. */
static void forge(struct rig *g, struct fuzz_in *in)
{
	uint16_t idx, step = fin_u8(in) % 4;
	uint8_t kind = fin_u8(in);
	uint32_t id = kind & 1 ? fin_u32(in) : fin_u8(in) % g->size;
	uint32_t len = kind & 2 ? fin_u32(in) : fin_u8(in);
	size_t slot;

	memcpy(&idx, g->used + 2, 2);
	slot = 4 + 8 * (size_t)(idx % g->size);
	memcpy(g->used + slot, &id, 4);
	memcpy(g->used + slot + 4, &len, 4);
	idx = (uint16_t)(idx + step);
	__atomic_store_n((uint16_t *)(void *)(g->used + 2), idx, __ATOMIC_RELEASE);
}

static void poll(struct rig *g, struct shadow *sh, struct fuzz_in *in)
{
	struct vused u[MAX_POLL];
	unsigned max = 1 + fin_u8(in) % MAX_POLL, n = 0;
	struct verr e = {0};
	int rc = vring_poll(g->r, u, max, &n, 0, NULL, &e);

	FUZZ_ASSERT(n <= max);
	for (unsigned i = 0; i < n; i++) {
		FUZZ_ASSERT(u[i].id < g->size && sh->busy[u[i].id]);
		FUZZ_ASSERT(u[i].len <= sh->writable[u[i].id]);
		FUZZ_ASSERT(u[i].data != NULL);
		sh->busy[u[i].id] = false;
	}
	vused_free(u, n);
	if (rc == 0) {
		FUZZ_ASSERT(!sh->broken);
		return;
	}
	FUZZ_ASSERT(e.code == VX_TIMEOUT || e.code == VX_DEVICE);
	FUZZ_ASSERT(!sh->broken || e.code == VX_DEVICE);
	if (e.code == VX_DEVICE)
		sh->broken = true;
}

static void describe(struct rig *g)
{
	struct rnode *root = r_new_root();

	vring_describe(g->r, root);
	fuzz_render(root);
	r_free(root);
}

int fuzz_vring(const uint8_t *data, size_t size)
{
	unsigned ndescribe = 0;
	struct fuzz_in in = {data, size, 0};
	uint8_t setup_byte = fin_u8(&in);
	struct shadow *sh = calloc(1, sizeof(*sh));
	struct verr e = {0};
	struct rig g;
	unsigned busy = 0;
	bool suppressed;

	if (!sh)
		fuzz_fail("out of memory");
	if (!setup(&g, 1u << ((setup_byte & 15) % 9), setup_byte & 16, setup_byte & 32,
		   setup_byte & 64)) {
		free(sh);
		return 0;
	}
	for (unsigned op = 0; op < MAX_OPS && fin_left(&in); op++) {
		switch (fin_u8(&in) % 8) {
		case OP_POST:
		case OP_POST2:
			post(&g, sh, &in);
			break;
		case OP_USED_BYTES:
			overwrite(&in, g.used, g.used_len);
			break;
		case OP_FORGE:
			forge(&g, &in);
			break;
		case OP_POLL:
			poll(&g, sh, &in);
			break;
		case OP_KICK:
			if (vring_kick(g.r, &suppressed, &e))
				fuzz_fail("kick: %s", e.msg);
			break;
		case OP_DRIVER_AREAS:
			if (fin_u8(&in) & 1)
				overwrite(&in, g.desc, g.desc_len);
			else
				overwrite(&in, g.avail, g.avail_len);
			break;
		case OP_DESCRIBE:
			/* A few are enough to see the ring mid-program: each
			 * renders the whole ring, and a program of describes
			 * was most of a run's cost. */
			if (ndescribe++ < MAX_DESCRIBE)
				describe(&g);
			break;
		}
	}
	for (unsigned i = 0; i < g.size; i++)
		busy += sh->busy[i];
	FUZZ_ASSERT(vring_in_flight(g.r) == busy);
	describe(&g);
	teardown(&g);
	free(sh);
	return 0;
}
