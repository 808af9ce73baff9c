/* The test device model's side of packed virtqueues (virtio 1.3, 2.8):
 * it reads the descriptor ring the driver fills, hands each available
 * chain (direct, or through an indirect table) to the handler, writes a
 * used descriptor with the buffer id, the length and the wrap counter,
 * and honours both event suppression structures: it sends a used-buffer
 * interrupt only when the driver's allows one, and with EVENT_IDX it asks
 * (in its own) to be notified at the next slot it will read.
 *
 * Kept apart from model_ring.c (split rings), which dispatches here when
 * VIRTIO_F_RING_PACKED was negotiated. The model offers RING_PACKED only
 * when a test puts it in model_spec.features. */
#include "sim/model_impl.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#define PDESC_F_NEXT	 1
#define PDESC_F_WRITE	 2
#define PDESC_F_INDIRECT 4
#define PDESC_F_AVAIL	 (1u << 7)
#define PDESC_F_USED	 (1u << 15)
#define EVENT_ENABLE	 0
#define EVENT_DISABLE	 1
#define EVENT_DESC	 2
#define WRAP_BIT	 15

struct pring {
	uint8_t *desc, *driver, *device;
	unsigned size;
};

struct segs {
	struct model_seg *v;
	unsigned n, cap;
	bool saw_write;
};

/* Where a chain ends and what it is called. */
struct walk {
	uint16_t id;
	unsigned nslots;
};

static int pring_map(struct model *m, unsigned qidx, struct pring *r)
{
	const struct model_queue *q = &m->st.queue[qidx];

	r->size = q->size;
	r->desc = model_gmem(m, q->desc, 16 * (uint64_t)q->size);
	r->driver = model_gmem(m, q->driver, 4);
	r->device = model_gmem(m, q->device, 4);
	if (r->desc && r->driver && r->device && r->size)
		return 0;
	return model_err(m, "queue %u: packed ring at 0x%llx/0x%llx/0x%llx is not reachable", qidx,
			 (unsigned long long)q->desc, (unsigned long long)q->driver,
			 (unsigned long long)q->device);
}

static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE));
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

/* Available to the device: AVAIL matches the wrap counter, USED not. */
static bool is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PDESC_F_AVAIL) == wrap && !!(flags & PDESC_F_USED) != wrap;
}

static int push(struct model *m, uint16_t id, struct segs *b, const uint8_t *d)
{
	uint64_t addr = model_le64(d);
	uint32_t len = model_le32(d + 8);
	bool write = model_le16(d + 14) & PDESC_F_WRITE;
	uint8_t *p = len ? model_gmem(m, addr, len) : NULL;

	if (len && !p)
		return model_err(m, "buffer %u: descriptor at 0x%llx (+%u) is not reachable", id,
				 (unsigned long long)addr, len);
	if (!write && b->saw_write)
		return model_err(m, "buffer %u: readable descriptor after a writable one", id);
	b->saw_write |= write;
	if (b->n == b->cap) {
		unsigned cap = b->cap ? 2 * b->cap : 16;
		void *v = realloc(b->v, cap * sizeof(*b->v));

		if (!v)
			return model_err(m, "out of memory walking a chain");
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (struct model_seg){addr, len, write, p};
	return 0;
}

/* An indirect table's entries are in order; NEXT and ids are ignored
 * there, INDIRECT is not allowed (2.8.19). */
static int walk_indirect(struct model *m, uint16_t id, const uint8_t *d, struct segs *b)
{
	uint64_t addr = model_le64(d);
	uint32_t len = model_le32(d + 8);
	const uint8_t *t;

	if (!model_negotiated(m, MODEL_F_INDIRECT_DESC))
		return model_err(m, "buffer %u: INDIRECT without VIRTIO_F_INDIRECT_DESC", id);
	if (model_le16(d + 14) & PDESC_F_NEXT)
		return model_err(m, "buffer %u: descriptor has both INDIRECT and NEXT", id);
	if (!len || len % 16)
		return model_err(m, "buffer %u: indirect table of %u bytes", id, len);
	t = model_gmem(m, addr, len);
	if (!t)
		return model_err(m, "buffer %u: indirect table at 0x%llx is not reachable", id,
				 (unsigned long long)addr);
	for (uint32_t i = 0; i < len / 16; i++) {
		if (model_le16(t + 16 * i + 14) & PDESC_F_INDIRECT)
			return model_err(m, "buffer %u: nested indirect table", id);
		if (push(m, id, b, t + 16 * i))
			return -1;
	}
	return 0;
}

/* Follows NEXT from the device's next slot; every descriptor of the
 * chain must be available in its own slot's lap. The buffer id is the
 * last descriptor's (2.8.6). */
static int walk_chain(struct model *m, const struct pring *r, const struct model_queue *q,
		      struct segs *b, struct walk *w)
{
	unsigned slot = q->packed_avail;
	bool wrap = q->avail_wrap;

	b->n = 0;
	b->saw_write = false;
	w->nslots = 0;
	for (;;) {
		const uint8_t *d = r->desc + 16u * slot;
		uint16_t flags = load16(d + 14);

		if (!is_avail(flags, wrap))
			return model_err(m, "chain at slot %u: descriptor %u is not available",
					 q->packed_avail, slot);
		if (++w->nslots > r->size)
			return model_err(m, "chain at slot %u is longer than the ring",
					 q->packed_avail);
		w->id = model_le16(d + 12);
		if (flags & PDESC_F_INDIRECT ? walk_indirect(m, w->id, d, b) : push(m, w->id, b, d))
			return -1;
		if (++slot == r->size) {
			slot = 0;
			wrap = !wrap;
		}
		if (!(flags & PDESC_F_NEXT) || (flags & PDESC_F_INDIRECT))
			return 0;
	}
}

static void step(uint16_t *slot, bool *wrap, unsigned n, unsigned size)
{
	unsigned next = *slot + n;

	while (next >= size) {
		next -= size;
		*wrap = !*wrap;
	}
	*slot = (uint16_t)next;
}

/* The used descriptor goes where the device's next used slot is; its
 * flags last, AVAIL = USED = the used wrap counter (2.8.7). */
static void put_used(const struct pring *r, struct model_queue *q, const struct walk *w,
		     uint32_t len)
{
	uint8_t *d = r->desc + 16u * q->packed_used;

	model_put(d + 8, 4, len);
	model_put(d + 12, 2, w->id);
	store16(d + 14, q->used_wrap ? (uint16_t)(PDESC_F_AVAIL | PDESC_F_USED) : 0);
	step(&q->packed_used, &q->used_wrap, w->nslots, r->size);
	q->used_idx++;
}

/* A slot with its wrap counter as a position relative to the used lap. */
static uint16_t linear(const struct model_queue *q, unsigned size, uint16_t off_wrap)
{
	uint16_t off = off_wrap & 0x7fff;

	return (off_wrap >> WRAP_BIT) == q->used_wrap ? off : (uint16_t)(off - size);
}

/* The driver's event suppression: enable, disable, or (EVENT_IDX) the
 * slot whose use it wants to hear of. */
static void used_irq(struct model *m, struct model_queue *q, const struct pring *r,
		     uint16_t old_off_wrap)
{
	uint16_t flags = load16(r->driver + 2), ev = load16(r->driver);
	uint16_t now = q->packed_used, old = linear(q, r->size, old_off_wrap);

	if (flags == EVENT_DISABLE)
		return;
	if (flags == EVENT_DESC && model_negotiated(m, MODEL_F_EVENT_IDX) &&
	    (uint16_t)(now - linear(q, r->size, ev) - 1) >= (uint16_t)(now - old))
		return;
	model_irq(m, q->msix_vector, 1);
}

/* What the device reports as used: the handler's length, at most the
 * chain's writable bytes, and the buffer id; or, with the misbehaviour
 * knobs (as for split rings), what a driver must refuse. */
static void used_of(const struct model *m, const struct pring *r, const struct model_chain *c,
		    uint32_t len, struct walk *w, uint32_t *used_len)
{
	*used_len = len < c->writable ? len : (uint32_t)c->writable;
	if (model_bug(m, MODEL_BUG_USED_LEN_OVERFLOW))
		*used_len = (uint32_t)c->writable + 1;
	if (model_bug(m, MODEL_BUG_USED_ID_BOGUS))
		w->id = (uint16_t)(w->id + r->size);
}

static int take_chains(struct model *m, unsigned qidx, const struct pring *r, model_handler_fn *fn,
		       void *ctx)
{
	struct model_queue *q = &m->st.queue[qidx];
	struct segs b = {NULL, 0, 0, false};
	int done = 0, rc = 0;

	while (is_avail(load16(r->desc + 16u * q->packed_avail + 14), q->avail_wrap)) {
		struct model_chain c = {0};
		struct walk w = {0, 0};
		uint32_t used_len = 0;

		if ((rc = walk_chain(m, r, q, &b, &w)) != 0)
			break;
		c = (struct model_chain){w.id, b.n, b.v, 0, 0};
		for (unsigned i = 0; i < b.n; i++)
			*(b.v[i].write ? &c.writable : &c.readable) += b.v[i].len;
		rc = fn(m->pdev, qidx, &c, &used_len, ctx);
		if (rc == MODEL_HOLD || rc < 0) {
			if (rc < 0)
				model_err(m, "queue %u: the handler failed buffer %u", qidx, w.id);
			break;
		}
		used_of(m, r, &c, used_len, &w, &used_len);
		put_used(r, q, &w, used_len);
		step(&q->packed_avail, &q->avail_wrap, w.nslots, r->size);
		q->last_avail++;
		q->completed++;
		done++;
	}
	free(b.v);
	return rc < 0 ? -1 : done;
}

int model_packed_run(struct model *m, unsigned qidx, model_handler_fn *fn, void *ctx,
		     struct verr *e)
{
	struct model_queue *q = &m->st.queue[qidx];
	uint16_t old = (uint16_t)(q->packed_used | q->used_wrap << WRAP_BIT);
	uint16_t old_used = q->used_idx;
	struct pring r;
	int done;

	if (pring_map(m, qidx, &r)) {
		model_set_needs_reset(m->pdev);
		return verr_set(e, VX_DEVICE, "model: %s", m->err[m->nerr - 1]);
	}
	done = take_chains(m, qidx, &r, fn, ctx);
	/* "Notify me when you make the next slot available." */
	if (model_negotiated(m, MODEL_F_EVENT_IDX)) {
		store16(r.device, (uint16_t)(q->packed_avail | q->avail_wrap << WRAP_BIT));
		store16(r.device + 2, EVENT_DESC);
	}
	if (q->used_idx != old_used)
		used_irq(m, q, &r, old);
	if (done < 0) {
		model_set_needs_reset(m->pdev);
		return verr_set(e, VX_DEVICE, "model: %s",
				m->nerr ? m->err[m->nerr - 1] : "device error");
	}
	return done;
}
