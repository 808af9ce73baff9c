/* Packed virtqueues, indirect descriptors and the event index, driven by
 * vring.c against the device model (model_packed.c for packed rings,
 * model_ring.c for split ones): round trips, wrap-around after more than
 * a ring's worth of requests (chains straddling the wrap), indirect
 * tables in both layouts, notification suppression, and hostile used
 * descriptors (bad id, length overflow, wrong wrap counter), each of
 * which must be a device error that breaks the ring, never a crash. */
#include "check.h"
#include "dma/dma.h"
#include "sim/model.h"
#include "virtio/bench.h"
#include "virtio/driver.h"
#include "virtio/features.h"
#include "virtio/selftest.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(bit)	 (UINT64_C(1) << (bit))
#define PACKED	 F(VIRTIO_FB_RING_PACKED)
#define INDIRECT F(VIRTIO_FB_INDIRECT_DESC)
#define EVIDX	 F(VIRTIO_FB_EVENT_IDX)

struct rig {
	struct pdev *pci;
	struct vdev v;
	struct dma *dma;
	struct vring *r;
	uint64_t features;
};

/* A model of `type` that offers RING_PACKED when `offer_packed`, brought
 * up to DRIVER_OK with queue 0 of `size` and the default features plus
 * `extra`. */
static bool rig_open_bugs(struct rig *g, unsigned type, bool offer_packed, uint64_t extra,
			  uint16_t size, unsigned bugs)
{
	struct model_spec spec;
	struct vstep_result sr;
	struct verr e = {0};
	uint64_t offered;

	memset(g, 0, sizeof(*g));
	model_spec_init(&spec, type, MODEL_MODERN);
	if (offer_packed)
		spec.features |= MODEL_BIT(MODEL_F_RING_PACKED);
	spec.bugs = bugs;
	spec.writable = true;
	g->pci = model_pdev_new(&spec, &e);
	CHECK(g->pci != NULL);
	if (!g->pci || vdev_open(g->pci, &g->v, &e))
		return false;
	vdev_allow_select(&g->v, true, NULL);
	model_use_builtin_handlers(g->pci);
	CHECK(dma_open_backend(g->pci, &model_dma_backend, &g->dma, &e) == 0);
	CHECK(vdev_step(&g->v, VSTEP_RESET, false, &sr, &e) == 0);
	CHECK(vdev_step(&g->v, VSTEP_ACK, false, &sr, &e) == 0);
	CHECK(vdev_step(&g->v, VSTEP_DRIVER, false, &sr, &e) == 0);
	CHECK(g->v.ops->get_device_features(&g->v, &offered, &e) == 0);
	g->features = features_default(&g->v, offered) | (extra & offered);
	CHECK(g->v.ops->set_driver_features(&g->v, g->features, &e) == 0);
	CHECK(vdev_step(&g->v, VSTEP_FEATURES_OK, false, &sr, &e) == 0);
	CHECK(vring_create(&g->v, g->dma, 0, size, g->features, VIRTIO_MSI_NO_VECTOR, &g->r, &e) ==
	      0);
	CHECK(vdev_step(&g->v, VSTEP_DRIVER_OK, false, &sr, &e) == 0);
	if (e.code)
		printf("rig_open: %s\n", e.msg);
	return g->r != NULL && e.code == VX_OK;
}

static bool rig_open(struct rig *g, unsigned type, bool offer_packed, uint64_t extra, uint16_t size)
{
	return rig_open_bugs(g, type, offer_packed, extra, size, 0);
}

static void rig_close(struct rig *g)
{
	struct verr e = {0};

	CHECK(vdev_reset(&g->v, 100, &e) == 0);
	vring_destroy(g->r);
	if (g->dma)
		dma_close(g->dma);
	pdev_close(g->pci);
}

static struct model_queue *mq(struct rig *g)
{
	return &model_state(g->pci)->queue[0];
}

/* The rings as the device sees them, in the model's memory. */
static uint8_t *ring_desc(struct rig *g)
{
	return model_dma_ptr(g->pci, mq(g)->desc, 16u * mq(g)->size);
}

static uint8_t *ring_device(struct rig *g)
{
	/* packed: the 4-byte device event suppression; split: the used ring */
	return model_dma_ptr(g->pci, mq(g)->device,
			     vring_is_packed(g->r) ? 4 : 6 + 8u * mq(g)->size);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static bool entropy_ok(const struct vused *u, uint64_t pos)
{
	for (uint32_t i = 0; i < u->len; i++)
		if (u->data[i] != model_entropy_byte(pos + i))
			return false;
	return true;
}

static const char *layout_of(struct vring *r)
{
	static char buf[16];
	struct rnode *root = r_new_root();
	const struct rnode *n;

	vring_describe(r, root);
	n = r_find(root, "layout");
	snprintf(buf, sizeof(buf), "%s", n && n->v.s ? n->v.s : "?");
	r_free(root);
	return buf;
}

/* vring_describe's view of the slot the driver reads next. */
static const char *next_used_state(struct vring *r)
{
	static char buf[32];
	struct rnode *root = r_new_root();
	const struct rnode *n;

	vring_describe(r, root);
	n = r_path(root, "next_used.state");
	snprintf(buf, sizeof(buf), "%s", n && n->v.s ? n->v.s : "?");
	r_free(root);
	return buf;
}

static void test_roundtrip(void)
{
	struct rig g;
	struct verr e = {0};
	struct vseg seg = {true, NULL, 100};
	struct vused u;
	unsigned n;
	uint16_t head;
	bool supp;

	if (!rig_open(&g, MODEL_ID_RNG, true, PACKED, 8))
		return rig_close(&g);
	CHECK(vring_is_packed(g.r));
	CHECK_STR(layout_of(g.r), "packed");
	CHECK(g.features & PACKED);
	CHECK(vring_post(g.r, &seg, 1, &head, &e) == 0);
	/* The head descriptor as the spec lays it out: AVAIL set, USED clear
	 * (wrap counter 1), WRITE, the buffer id, the length. */
	CHECK_EQ(get16(ring_desc(&g) + 14), 0x0080 | 2);
	CHECK_EQ(get16(ring_desc(&g) + 12), head);
	CHECK_EQ(get16(ring_desc(&g) + 8), 100);
	CHECK(vring_kick(g.r, &supp, &e) == 0);
	CHECK_EQ(get16(ring_desc(&g) + 14), 0x8080); /* used, wrap 1 */
	CHECK(vring_poll(g.r, &u, 1, &n, 1000, NULL, &e) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(u.id, head);
	CHECK_EQ(u.len, 100);
	CHECK(entropy_ok(&u, 0));
	vused_free(&u, n);
	CHECK_EQ(vring_in_flight(g.r), 0);
	CHECK(vring_poll(g.r, &u, 1, &n, 5, NULL, &e) == -1);
	CHECK_EQ(e.code, VX_TIMEOUT);
	CHECK_EQ(model_error_count(g.pci), 0);
	rig_close(&g);
}

/* Chains of 1 and 2 slots, up to 3 in flight, over more than three laps
 * of an 8-slot ring: some chains straddle the wrap, and the wrap
 * counters flip on both sides. */
static void test_wraparound(void)
{
	struct rig g;
	struct verr e = {0};
	uint64_t pos = 0;
	unsigned done = 0, flips = 0;
	bool supp, last_wrap = true;

	if (!rig_open(&g, MODEL_ID_RNG, true, PACKED, 8))
		return rig_close(&g);
	while (done < 30) {
		struct vused u[3];
		uint16_t heads[3];
		unsigned k = 1 + done % 3, n = 0;

		for (unsigned i = 0; i < k; i++) {
			struct vseg segs[2] = {{true, NULL, 10 + i}, {true, NULL, 7}};

			CHECK(vring_post(g.r, segs, 1 + (done + i) % 2, &heads[i], &e) == 0);
		}
		CHECK(vring_kick(g.r, &supp, &e) == 0);
		CHECK(vring_poll(g.r, u, 3, &n, 1000, NULL, &e) == 0);
		CHECK_EQ(n, k);
		for (unsigned i = 0; i < n; i++) {
			CHECK_EQ(u[i].id, heads[i]);
			CHECK_EQ(u[i].len, 10 + i + ((done + i) % 2 ? 7 : 0));
			CHECK(entropy_ok(&u[i], pos));
			pos += u[i].len;
		}
		vused_free(u, n);
		done += k;
		if (mq(&g)->used_wrap != last_wrap) {
			flips++;
			last_wrap = mq(&g)->used_wrap;
		}
		if (e.code) {
			printf("wraparound: %s\n", e.msg);
			break;
		}
	}
	CHECK(flips >= 3);
	CHECK_EQ(mq(&g)->completed, 30);
	CHECK_EQ(vring_in_flight(g.r), 0);
	CHECK_EQ(model_error_count(g.pci), 0);
	rig_close(&g);
}

/* A block read through an indirect table: one ring slot for three
 * buffers; the data matches the disk, the used length is validated. */
static void indirect_read(bool packed)
{
	struct rig g;
	struct verr e = {0};
	uint8_t disk[8192], hdr[16] = {0};
	struct vseg segs[3] = {{false, hdr, 16}, {true, NULL, 4096}, {true, NULL, 1}};
	struct vused u;
	unsigned n, posted = 0;
	uint16_t head;
	bool supp;

	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + 3);
	if (!rig_open(&g, MODEL_ID_BLOCK, packed, INDIRECT | (packed ? PACKED : 0), 8))
		return rig_close(&g);
	CHECK(model_blk_set_disk(g.pci, disk, sizeof(disk), &e) == 0);
	CHECK_EQ(vring_is_packed(g.r), packed);
	CHECK(vring_post_flags(g.r, segs, 3, VRING_POST_INDIRECT, &head, &e) == 0);
	/* In the ring: one descriptor, INDIRECT, 3 x 16 bytes of table. */
	if (packed) {
		CHECK(get16(ring_desc(&g) + 14) & VRING_DESC_F_INDIRECT);
		CHECK_EQ(get16(ring_desc(&g) + 8), 48);
	} else {
		CHECK(get16(ring_desc(&g) + 16 * head + 12) & VRING_DESC_F_INDIRECT);
		CHECK_EQ(get16(ring_desc(&g) + 16 * head + 8), 48);
	}
	CHECK(vring_kick(g.r, &supp, &e) == 0);
	CHECK(vring_poll(g.r, &u, 1, &n, 1000, NULL, &e) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(u.id, head);
	CHECK_EQ(u.len, 4097);
	CHECK(n == 1 && memcmp(u.data, disk, 4096) == 0);
	CHECK(n == 1 && u.data[4096] == 0);
	vused_free(&u, n);
	/* Eight 3-buffer chains fit an 8-entry ring only indirectly. */
	while (vring_post_flags(g.r, segs, 3, VRING_POST_INDIRECT, &head, &e) == 0)
		posted++;
	CHECK_EQ(posted, 8);
	CHECK(vring_post(g.r, segs, 3, &head, &e) == -1);
	CHECK_EQ(e.code, VX_FAIL);
	verr_clear(&e);
	CHECK(vring_kick(g.r, &supp, &e) == 0);
	CHECK(vring_poll(g.r, &u, 1, &n, 1000, NULL, &e) == 0);
	vused_free(&u, n);
	CHECK_EQ(model_error_count(g.pci), 0);
	rig_close(&g);

	/* Not negotiated: refused before anything reaches the ring. */
	if (!rig_open(&g, MODEL_ID_BLOCK, packed, packed ? PACKED : 0, 8))
		return rig_close(&g);
	CHECK(vring_post_flags(g.r, segs, 3, VRING_POST_INDIRECT, &head, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK(strstr(e.msg, "INDIRECT_DESC") != NULL);
	CHECK_EQ(vring_in_flight(g.r), 0);
	rig_close(&g);
}

static void test_indirect(void)
{
	indirect_read(true);
	indirect_read(false);
}

/* Posts one 8-byte entropy request and kicks if the device wants it. */
static bool post_kick(struct rig *g)
{
	struct vseg seg = {true, NULL, 8};
	struct verr e = {0};
	uint16_t head;
	bool notified = false;

	CHECK(vring_post(g->r, &seg, 1, &head, &e) == 0);
	CHECK(vring_kick_needed(g->r, &notified, &e) == 0);
	return notified;
}

static void drain(struct rig *g, unsigned want)
{
	struct vused u[8];
	struct verr e = {0};
	unsigned n = 0;

	CHECK(vring_poll(g->r, u, 8, &n, 1000, NULL, &e) == 0);
	CHECK_EQ(n, want);
	vused_free(u, n);
}

/* The model honours the driver's event suppression (the driver area):
 * ENABLE interrupts on every used buffer, DESC at the slot named, DISABLE
 * (what a polled ring asks for) never. */
static void packed_interrupts(struct rig *g)
{
	uint8_t *drv = model_dma_ptr(g->pci, mq(g)->driver, 4);
	unsigned irqs = model_state(g->pci)->irqs;
	unsigned next = mq(g)->packed_used + 1u;
	bool wrap = mq(g)->used_wrap;

	CHECK_EQ(get16(drv + 2), 1); /* polled: DISABLE */
	put16(drv + 2, 0);	     /* ENABLE */
	CHECK(post_kick(g));
	drain(g, 1);
	CHECK_EQ(model_state(g->pci)->irqs, irqs + 1);
	/* DESC: only when the slot after this one is used. */
	next = mq(g)->packed_used + 1u;
	wrap = mq(g)->used_wrap;
	if (next >= 8) {
		next -= 8;
		wrap = !wrap;
	}
	put16(drv, (uint16_t)(next | (unsigned)wrap << 15));
	put16(drv + 2, 2);
	CHECK(post_kick(g));
	drain(g, 1);
	CHECK_EQ(model_state(g->pci)->irqs, irqs + 1);
	CHECK(post_kick(g));
	drain(g, 1);
	CHECK_EQ(model_state(g->pci)->irqs, irqs + 2);
	put16(drv + 2, 1); /* back to DISABLE */
	CHECK(post_kick(g));
	drain(g, 1);
	CHECK_EQ(model_state(g->pci)->irqs, irqs + 2);
}

/* The device's event index (avail_event, or the packed device event
 * suppression) decides whether vring_kick_needed notifies; vring_kick
 * always does. */
static void event_idx(bool packed)
{
	struct rig g;
	uint8_t *ev;
	bool supp;
	struct verr e = {0};

	if (!rig_open(&g, MODEL_ID_RNG, packed, EVIDX | (packed ? PACKED : 0), 8))
		return rig_close(&g);
	ev = packed ? ring_device(&g) : ring_device(&g) + 4 + 8 * 8;
	CHECK(post_kick(&g)); /* the first one is wanted */
	CHECK_EQ(mq(&g)->notifies, 1);
	drain(&g, 1);
	/* The model asks for the next slot: slot 1, wrap 1 (packed). */
	CHECK_EQ(get16(ev), packed ? (1 | 0x8000) : 1);
	/* Now the device wants to hear only when entry 3 is made available. */
	put16(ev, packed ? (3 | 0x8000) : 3);
	CHECK(!post_kick(&g)); /* entry 1 */
	CHECK(!post_kick(&g)); /* entry 2 */
	CHECK_EQ(mq(&g)->notifies, 1);
	CHECK(post_kick(&g)); /* entry 3 */
	CHECK_EQ(mq(&g)->notifies, 2);
	drain(&g, 3);
	/* A user's kick goes out even when suppressed, and says so. */
	put16(ev, packed ? (7 | 0x8000) : 7);
	CHECK(!post_kick(&g));
	CHECK(vring_kick(g.r, &supp, &e) == 0);
	CHECK(supp);
	CHECK_EQ(mq(&g)->notifies, 3);
	drain(&g, 1);
	if (packed) {
		/* Flags DISABLE: no notification whatever the offset. */
		put16(ring_device(&g) + 2, 1);
		put16(ev, 5 | 0x8000);
		CHECK(!post_kick(&g));
		CHECK_EQ(mq(&g)->notifies, 3);
		put16(ring_device(&g) + 2, 0); /* ENABLE */
		CHECK(post_kick(&g));
		drain(&g, 2);
		CHECK_EQ(model_state(g.pci)->irqs, 0); /* polled: none */
		packed_interrupts(&g);
	}
	/* Polled ring: the driver asked for no interrupts; the two came while
	 * the test asked for them in its place. */
	CHECK_EQ(model_state(g.pci)->irqs, packed ? 2 : 0);
	CHECK_EQ(model_error_count(g.pci), 0);
	rig_close(&g);
}

static void test_event_idx(void)
{
	event_idx(true);
	event_idx(false);
}

enum hostile { H_GOOD, H_BAD_ID, H_LEN_OVERFLOW, H_WRONG_WRAP, H_AVAIL_ONLY_FLIP };

/* No handler: the test plays the device and writes the used descriptor
 * at slot 0 itself. */
static void hostile(enum hostile h)
{
	struct rig g;
	struct verr e = {0};
	struct vseg seg = {true, NULL, 100};
	struct vused u;
	unsigned n = 0;
	uint16_t head;
	uint8_t *d;

	if (!rig_open(&g, MODEL_ID_RNG, true, PACKED, 8))
		return rig_close(&g);
	model_set_handler(g.pci, 0, NULL, NULL);
	CHECK(vring_post(g.r, &seg, 1, &head, &e) == 0);
	CHECK_STR(next_used_state(g.r), "available (not used yet)");
	d = ring_desc(&g);
	put32(d + 8, h == H_LEN_OVERFLOW ? 101 : 100);
	put16(d + 12, h == H_BAD_ID ? (uint16_t)(head + 3) : head);
	put16(d + 14, h == H_WRONG_WRAP ? 0 : h == H_AVAIL_ONLY_FLIP ? 0x8000 : 0x8080);
	if (h == H_GOOD) {
		CHECK_STR(next_used_state(g.r), "used");
		CHECK(vring_poll(g.r, &u, 1, &n, 100, NULL, &e) == 0);
		CHECK_EQ(n, 1);
		CHECK_EQ(u.len, 100);
		vused_free(&u, n);
		CHECK(vring_post(g.r, &seg, 1, &head, &e) == 0);
		return rig_close(&g);
	}
	if (h == H_WRONG_WRAP)
		CHECK_STR(next_used_state(g.r), "wrong wrap counter");
	CHECK(vring_poll(g.r, &u, 1, &n, 100, NULL, &e) == -1);
	CHECK_EQ(n, 0);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(strstr(e.msg, h == H_BAD_ID	  ? "not in flight"
			    : h == H_LEN_OVERFLOW ? "exceeds"
						  : "wrap counter") != NULL);
	printf("# %s\n", e.msg);
	verr_clear(&e);
	/* Broken: no more posts or polls until a reset. */
	CHECK(vring_post(g.r, &seg, 1, &head, &e) == -1);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(strstr(e.msg, "broken") != NULL);
	rig_close(&g);
}

static void test_hostile(void)
{
	hostile(H_GOOD);
	hostile(H_BAD_ID);
	hostile(H_LEN_OVERFLOW);
	hostile(H_WRONG_WRAP);
	hostile(H_AVAIL_ONLY_FLIP);
}

/* The simulator's misbehaviour knobs act on packed rings too, and the
 * driver refuses what they produce. */
static void test_bug_knobs(void)
{
	static const struct {
		unsigned bug;
		const char *msg;
	} knobs[] = {{MODEL_BUG_USED_ID_BOGUS, "not in flight"},
		     {MODEL_BUG_USED_LEN_OVERFLOW, "exceeds"},
		     {0, NULL}};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		struct rig g;
		struct verr e = {0};
		struct vseg seg = {true, NULL, 16};
		struct vused u;
		unsigned n = 0;
		uint16_t head;
		bool supp;

		if (!rig_open_bugs(&g, MODEL_ID_RNG, true, PACKED, 8, knobs[i].bug)) {
			rig_close(&g);
			continue;
		}
		CHECK(vring_post(g.r, &seg, 1, &head, &e) == 0);
		CHECK(vring_kick(g.r, &supp, &e) == 0);
		if (knobs[i].msg) {
			CHECK(vring_poll(g.r, &u, 1, &n, 100, NULL, &e) == -1);
			CHECK_EQ(e.code, VX_DEVICE);
			CHECK(strstr(e.msg, knobs[i].msg) != NULL);
		} else {
			CHECK(vring_poll(g.r, &u, 1, &n, 100, NULL, &e) == 0);
			CHECK_EQ(u.len, 16);
			vused_free(&u, n);
		}
		rig_close(&g);
	}
}

/* A device that does not offer RING_PACKED negotiates split rings and
 * the model refuses nothing; with it, vring_create makes a packed ring
 * only when the bit was negotiated. */
static void test_layout_choice(void)
{
	struct rig g;

	if (rig_open(&g, MODEL_ID_RNG, true, 0, 8)) {
		CHECK(!vring_is_packed(g.r));
		CHECK_STR(layout_of(g.r), "split");
	}
	rig_close(&g);
	if (rig_open(&g, MODEL_ID_RNG, false, PACKED, 8)) {
		CHECK(!(g.features & PACKED));
		CHECK(!vring_is_packed(g.r));
	}
	rig_close(&g);
}

/* The handler sees the features in force while the device works. */
static int spy_handler(struct pdev *d, unsigned q, const struct model_chain *c, uint32_t *len,
		       void *ctx)
{
	*(uint64_t *)ctx |= model_state(d)->driver_features;
	return (model_spec(d)->device_id == MODEL_ID_RNG ? model_entropy_handler
							 : model_blk_handler)(d, q, c, len, NULL);
}

/* A model of `type`, opened but not brought up (selftest/bench do it). */
static bool open_only(struct rig *g, unsigned type, bool offer_packed)
{
	struct model_spec spec;
	struct verr e = {0};

	memset(g, 0, sizeof(*g));
	model_spec_init(&spec, type, MODEL_MODERN);
	if (offer_packed)
		spec.features |= MODEL_BIT(MODEL_F_RING_PACKED);
	spec.writable = true;
	g->pci = model_pdev_new(&spec, &e);
	CHECK(g->pci != NULL);
	if (!g->pci || vdev_open(g->pci, &g->v, &e))
		return false;
	vdev_allow_select(&g->v, true, NULL);
	model_use_builtin_handlers(g->pci);
	CHECK(dma_open_backend(g->pci, &model_dma_backend, &g->dma, &e) == 0);
	return g->dma != NULL;
}

static void close_only(struct rig *g)
{
	if (g->dma)
		dma_close(g->dma);
	pdev_close(g->pci);
}

/* selftest --ring packed: negotiates RING_PACKED and passes on a device
 * that offers it; refused with a usage error on one that does not. */
static void test_selftest_packed(void)
{
	for (int offer = 1; offer >= 0; offer--) {
		struct rig g;
		struct vring *rings[4] = {0};
		struct selftest_opts o = {.timeout_ms = 1000, .packed = true};
		struct rnode *root = r_new_root();
		struct verr e = {0};
		uint64_t seen = 0;
		int rc;

		if (!open_only(&g, MODEL_ID_RNG, offer)) {
			r_free(root);
			close_only(&g);
			continue;
		}
		model_set_handler(g.pci, 0, spy_handler, &seen);
		rc = selftest_run(&g.v, g.dma, rings, 4, &o, root, &e);
		if (offer) {
			CHECK_EQ(rc, 0);
			CHECK(seen & PACKED);
			CHECK_STR(r_path(root, "ring")->v.s, "packed");
		} else {
			CHECK_EQ(rc, -1);
			CHECK_EQ(e.code, VX_USAGE);
			CHECK(strstr(e.msg, "RING_PACKED") != NULL);
			CHECK_EQ(seen, 0);
		}
		CHECK_EQ(model_error_count(g.pci), 0);
		r_free(root);
		close_only(&g);
	}
}

/* The features a self-test wrote, from its write-features step. */
static uint64_t written_features(const struct rnode *root)
{
	const struct rnode *steps = r_path(root, "steps");

	for (const struct rnode *s = steps ? steps->child : NULL; s; s = s->next) {
		const struct rnode *name = r_find(s, "step"), *detail = r_find(s, "detail");

		if (name && detail && strcmp(name->v.s, "write-features") == 0)
			return strtoull(detail->v.s, NULL, 16);
	}
	return 0;
}

/* Every built-in self-test over packed rings, their data checked by the
 * tests themselves (console and net: more than one queue). */
static void test_selftests_all_types(void)
{
	static const unsigned types[] = {MODEL_ID_RNG, MODEL_ID_BLOCK, MODEL_ID_CONSOLE,
					 MODEL_ID_NET};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct rig g;
		struct vring *rings[8] = {0};
		struct selftest_opts o = {.timeout_ms = 1000, .packed = true};
		struct rnode *root = r_new_root();
		struct verr e = {0};
		const struct rnode *passed;

		if (open_only(&g, types[i], true)) {
			CHECK_EQ(selftest_run(&g.v, g.dma, rings, 8, &o, root, &e), 0);
			if (e.code)
				printf("# type %u: %s\n", types[i], e.msg);
			passed = r_path(root, "passed");
			CHECK(passed && passed->v.b);
			CHECK(written_features(root) >> VIRTIO_FB_RING_PACKED & 1);
			CHECK(model_state(g.pci)
				      ->queue[types[i] == MODEL_ID_RNG || types[i] == MODEL_ID_BLOCK
						      ? 0
						      : 1]
				      .completed > 0);
			CHECK_EQ(model_error_count(g.pci), 0);
		}
		r_free(root);
		close_only(&g);
	}
}

/* bench --ring packed on a block device, with EVENT_IDX negotiated: the
 * reads are counted and every round trip's notification accounted for. */
static void test_bench_packed(void)
{
	static uint8_t disk[1 << 20];
	struct rig g;
	struct vring *rings[4] = {0};
	struct selftest_opts o = {.timeout_ms = 1000, .packed = true};
	struct rnode *root = r_new_root();
	struct verr e = {0};
	uint64_t seen = 0;
	const struct rnode *n;

	if (!open_only(&g, MODEL_ID_BLOCK, true)) {
		r_free(root);
		return close_only(&g);
	}
	CHECK(model_blk_set_disk(g.pci, disk, sizeof(disk), &e) == 0);
	model_set_handler(g.pci, 0, spy_handler, &seen);
	CHECK_EQ(bench_run(&g.v, g.dma, rings, 4, &o, 5, root, &e), 0);
	if (e.code)
		printf("# %s\n", e.msg);
	CHECK((seen & (PACKED | EVIDX)) == (PACKED | EVIDX));
	n = r_path(root, "results.1.ops");
	CHECK(n && n->v.u > 0);
	n = r_path(root, "results.1.notifications");
	CHECK(n && n->v.u > 0);
	CHECK(r_path(root, "results.1.notifications_suppressed") != NULL);
	CHECK_EQ(model_error_count(g.pci), 0);
	r_free(root);
	close_only(&g);
}

int main(void)
{
	test_roundtrip();
	test_wraparound();
	test_indirect();
	test_event_idx();
	test_hostile();
	test_layout_choice();
	test_bug_knobs();
	test_selftest_packed();
	test_bench_packed();
	test_selftests_all_types();
	return check_done();
}
