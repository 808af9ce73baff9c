/* (f) The packed-ring consumer (vring_packed.c, with vring.c's checks)
 * against a device that writes anything into the descriptor ring and the
 * device event suppression area it shares with us. A model device that
 * offers RING_PACKED is brought up with one packed queue; the input is a
 * program of operations: post chains (directly or through an indirect
 * table), forge used descriptors at any slot with any id, length and
 * flags (right or wrong wrap counter), overwrite ring bytes, let the honest
 * model device process the ring, kick (always, or only when the device
 * asks), poll, describe. vring_poll must hand back only chains that were
 * in flight, with lengths within their writable bytes, or fail with a
 * device error that breaks the ring; it must never crash, leak or spin.
 *
 * The model writes into the buffers the descriptors name, so it runs
 * only while the ring is still as the driver wrote it: after the first
 * forged or overwritten byte the device is the input alone.
 *
 * Input: a setup byte (bits 0-3: queue size 2^(n%9); bit 4: EVENT_IDX;
 * bit 5: INDIRECT_DESC; bit 6: MSI-X vector 1 instead of polling), then
 * operations, one byte each plus their operands. */
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
#define MAX_IDS	     256

enum {
	OP_POST,
	OP_POST_INDIRECT,
	OP_DESC_BYTES,
	OP_FORGE,
	OP_POLL,
	OP_KICK,
	OP_DEVICE_EVENT,
	OP_MODEL,
	OP_DESCRIBE,
	OP_COUNT
};

struct shadow {
	bool busy[MAX_IDS];
	uint32_t writable[MAX_IDS];
	bool broken;
	bool hostile; /* the ring no longer holds only what the driver wrote */
};

struct rig {
	struct pdev *pci;
	struct vdev v;
	struct dma *dma;
	struct vring *r;
	uint16_t size;
	bool indirect;
	uint8_t *desc, *device;
};

static void setup(struct rig *g, unsigned size, bool event_idx, bool indirect, bool vector)
{
	struct model_spec spec;
	struct vstep_result sr;
	struct verr e = {0};
	struct model_queue *mq;
	uint64_t offered, feats;

	memset(g, 0, sizeof(*g));
	model_spec_init(&spec, MODEL_ID_RNG, MODEL_MODERN);
	spec.features |= MODEL_BIT(MODEL_F_RING_PACKED);
	spec.queue_max[0] = 256;
	spec.writable = true;
	spec.addr = (struct pci_addr){0, 0x43, 0, 0};
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
	feats = features_default(&g->v, offered) | UINT64_C(1) << VIRTIO_FB_RING_PACKED;
	if (event_idx)
		feats |= offered & UINT64_C(1) << VIRTIO_FB_EVENT_IDX;
	if (indirect)
		feats |= offered & UINT64_C(1) << VIRTIO_FB_INDIRECT_DESC;
	g->indirect = feats >> VIRTIO_FB_INDIRECT_DESC & 1;
	if (g->v.ops->set_driver_features(&g->v, feats, &e) ||
	    vdev_step(&g->v, VSTEP_FEATURES_OK, false, &sr, &e) ||
	    vring_create(&g->v, g->dma, 0, (uint16_t)size, feats, vector ? 1 : VIRTIO_MSI_NO_VECTOR,
			 &g->r, &e) ||
	    vdev_step(&g->v, VSTEP_DRIVER_OK, false, &sr, &e))
		fuzz_fail("bring-up: %s", e.msg);
	FUZZ_ASSERT(vring_is_packed(g->r));
	g->size = vring_size(g->r);
	FUZZ_ASSERT(g->size == size);
	mq = &model_state(g->pci)->queue[0];
	g->desc = model_dma_ptr(g->pci, mq->desc, 16u * mq->size);
	g->device = model_dma_ptr(g->pci, mq->device, 4);
	FUZZ_ASSERT(g->desc && g->device);
}

static void teardown(struct rig *g)
{
	struct verr e = {0};

	if (vdev_reset(&g->v, 100, &e))
		fuzz_fail("reset: %s", e.msg);
	vring_destroy(g->r);
	dma_close(g->dma);
	pdev_close(g->pci);
}

static void post(struct rig *g, struct shadow *sh, struct fuzz_in *in, bool indirect)
{
	static uint8_t payload[MAX_SEG_LEN];
	struct vseg segs[4];
	unsigned n = 1 + fin_u8(in) % 4;
	uint32_t writable = 0;
	struct verr e = {0};
	uint16_t head;
	bool out_of_order = false;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = fin_u8(in);

		segs[i].writable = b & 1;
		out_of_order |= i > 0 && segs[i - 1].writable && !segs[i].writable;
		segs[i].data = b & 2 ? NULL : payload;
		segs[i].len = b & 4 ? fin_u16(in) % MAX_SEG_LEN : fin_u8(in);
		if (segs[i].writable)
			writable += segs[i].len;
	}
	if (vring_post_flags(g->r, segs, n, indirect ? VRING_POST_INDIRECT : 0, &head, &e)) {
		FUZZ_ASSERT(e.code == VX_FAIL || (e.code == VX_DEVICE && sh->broken) ||
			    (e.code == VX_USAGE && indirect && !g->indirect));
		return;
	}
	FUZZ_ASSERT(!sh->broken);
	FUZZ_ASSERT(!indirect || g->indirect);
	/* virtioctl posts what the user asks; a device refuses a readable
	 * buffer after a writable one (2.7.4.2), so the model stops here. */
	sh->hostile |= out_of_order;
	FUZZ_ASSERT(head < g->size && !sh->busy[head]);
	sh->busy[head] = true;
	sh->writable[head] = writable;
}

/* A used descriptor at some slot, as a device writes one: often at the
 * right place with the right wrap counter, sometimes not. */
static void forge(struct rig *g, struct fuzz_in *in)
{
	static const uint16_t flag_choices[] = {0x8080, 0x0000, 0x0080, 0x8000};
	uint8_t *d = g->desc + 16 * (size_t)(fin_u8(in) % g->size);
	uint8_t kind = fin_u8(in);
	uint16_t id = kind & 1 ? fin_u16(in) : (uint16_t)(fin_u8(in) % g->size);
	uint32_t len = kind & 2 ? fin_u32(in) : fin_u8(in);
	uint16_t flags = kind & 4 ? fin_u16(in) : flag_choices[(kind >> 3) & 3];

	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &id, 2);
	__atomic_store_n((uint16_t *)(void *)(d + 14), flags, __ATOMIC_RELEASE);
}

static void overwrite(struct fuzz_in *in, uint8_t *mem, size_t len)
{
	size_t off = fin_u16(in) % len, k = fin_u8(in) % 17;

	for (size_t i = 0; i < k && off + i < len; i++)
		mem[off + i] = fin_u8(in);
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

static void kick(struct rig *g, struct fuzz_in *in)
{
	struct verr e = {0};
	bool flag;

	if ((fin_u8(in) & 1 ? vring_kick_needed(g->r, &flag, &e) : vring_kick(g->r, &flag, &e)))
		fuzz_fail("kick: %s", e.msg);
}

/* The honest device, while the ring is still honest. Its errors (a chain
 * the driver made that it refuses) would be findings. */
static void run_model(struct rig *g, struct shadow *sh)
{
	struct verr e = {0};

	if (sh->hostile)
		return;
	if (model_process_queue(g->pci, 0, model_entropy_handler, NULL, &e) < 0)
		fuzz_fail("model refused what the driver posted: %s", e.msg);
}

static void describe(struct rig *g)
{
	struct rnode *root = r_new_root();

	vring_describe(g->r, root);
	fuzz_render(root);
	r_free(root);
}

int fuzz_vpacked(const uint8_t *data, size_t size)
{
	unsigned ndescribe = 0;
	struct fuzz_in in = {data, size, 0};
	uint8_t s = fin_u8(&in);
	struct shadow *sh = calloc(1, sizeof(*sh));
	struct rig g;
	unsigned busy = 0;

	if (!sh)
		fuzz_fail("out of memory");
	setup(&g, 1u << ((s & 15) % 9), s & 16, s & 32, s & 64);
	for (unsigned op = 0; op < MAX_OPS && fin_left(&in); op++) {
		switch (fin_u8(&in) % OP_COUNT) {
		case OP_POST:
		case OP_POST_INDIRECT:
			post(&g, sh, &in, in.p[in.pos - 1] % OP_COUNT == OP_POST_INDIRECT);
			break;
		case OP_DESC_BYTES:
			sh->hostile = true;
			overwrite(&in, g.desc, 16 * (size_t)g.size);
			break;
		case OP_FORGE:
			sh->hostile = true;
			forge(&g, &in);
			break;
		case OP_POLL:
			poll(&g, sh, &in);
			break;
		case OP_KICK:
			kick(&g, &in);
			break;
		case OP_DEVICE_EVENT:
			overwrite(&in, g.device, 4);
			break;
		case OP_MODEL:
			run_model(&g, sh);
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
