/* The test device model's side of split virtqueues: it reads the rings
 * the driver set up, hands each available descriptor chain to a handler,
 * and returns it through the used ring, as a device would.
 *
 * Guest memory is reached through model_spec.dma_identity (bus address =
 * pointer in this process), model_spec.dma_translate, or the model's own
 * bounded memory; an address outside it is a device error. */
#include "sim/model_impl.h"

#include <stdlib.h>
#include <string.h>

#define DESC_F_NEXT	     1
#define DESC_F_WRITE	     2
#define DESC_F_INDIRECT	     4
#define AVAIL_F_NO_INTERRUPT 1

struct ring {
	uint8_t *desc, *avail, *used;
	unsigned size;
};

struct segbuf {
	struct model_seg *v;
	unsigned n, cap;
};

void model_legacy_ring(struct model *m, unsigned q)
{
	struct model_queue *vq = &m->st.queue[q];
	uint64_t n = vq->size;

	/* Legacy layout: one contiguous area, used ring on the next 4 KiB. */
	vq->desc = (uint64_t)vq->pfn << 12;
	vq->driver = vq->desc + 16 * n;
	vq->device = (vq->driver + 6 + 2 * n + 4095) & ~4095ull;
}

/* [addr, addr+len) inside the model's own memory, or NULL: a driver's
 * address is never trusted. Memory not yet handed out is unreachable. */
static void *own_mem(struct model *m, uint64_t addr, uint64_t len)
{
	uint64_t base = m->spec.dma_base, size = m->spec.dma_size;

	if (!m->mem || addr < base || len > size || addr - base > size - len)
		return NULL;
	return m->mem + (addr - base);
}

static void *gmem(struct model *m, uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		return NULL;
	if (m->spec.dma_identity)
		return addr && addr <= UINTPTR_MAX - len ? (void *)(uintptr_t)addr : NULL;
	if (m->spec.dma_translate)
		return m->spec.dma_translate(m->spec.dma_ctx, addr, (size_t)len);
	return own_mem(m, addr, len);
}

void *model_dma_ptr(struct pdev *d, uint64_t bus, size_t len)
{
	return gmem(model_of(d), bus, len);
}

static const char *last_err(const struct model *m)
{
	return m->nerr ? m->err[m->nerr - 1] : "device error";
}

/* A malformed ring makes QEMU mark the device broken: NEEDS_RESET. */
static int device_error(struct model *m, struct verr *e)
{
	model_set_needs_reset(m->pdev);
	return verr_set(e, VX_DEVICE, "model: %s", last_err(m));
}

static int ring_map(struct model *m, unsigned qidx, struct ring *r)
{
	const struct model_queue *q = &m->st.queue[qidx];
	uint64_t n = q->size;

	r->size = q->size;
	r->desc = gmem(m, q->desc, 16 * n);
	r->avail = gmem(m, q->driver, 6 + 2 * n);
	r->used = gmem(m, q->device, 6 + 8 * n);
	if (r->desc && r->avail && r->used && n)
		return 0;
	return model_err(m, "queue %u: rings at 0x%llx/0x%llx/0x%llx are not reachable%s", qidx,
			 (unsigned long long)q->desc, (unsigned long long)q->driver,
			 (unsigned long long)q->device,
			 m->spec.dma_identity || m->spec.dma_translate || m->mem
				 ? ""
				 : " (the device's DMA memory was never handed out)");
}

static int seg_push(struct model *m, struct segbuf *b, uint64_t addr, uint32_t len, bool write)
{
	uint8_t *p = len ? gmem(m, addr, len) : NULL;

	if (len && !p)
		return model_err(m, "descriptor buffer at 0x%llx (+%u) is not reachable",
				 (unsigned long long)addr, len);
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

static int enter_indirect(struct model *m, uint16_t head, uint64_t addr, uint32_t len,
			  uint16_t flags, const uint8_t **table, unsigned *tsize)
{
	if (!model_negotiated(m, MODEL_F_INDIRECT_DESC))
		return model_err(m, "chain %u: INDIRECT without VIRTIO_F_INDIRECT_DESC", head);
	if (*table != NULL)
		return model_err(m, "chain %u: nested indirect table", head);
	if (flags & DESC_F_NEXT)
		return model_err(m, "chain %u: descriptor has both INDIRECT and NEXT", head);
	if (!len || len % 16)
		return model_err(m, "chain %u: indirect table of %u bytes", head, len);
	*table = gmem(m, addr, len);
	*tsize = len / 16;
	if (!*table)
		return model_err(m, "chain %u: indirect table at 0x%llx is not reachable", head,
				 (unsigned long long)addr);
	return 0;
}

static int walk_chain(struct model *m, const struct ring *r, uint16_t head, struct segbuf *b)
{
	const uint8_t *table = r->desc, *ind = NULL;
	unsigned tsize = r->size, idx = head, steps = 0;
	bool saw_write = false;

	b->n = 0;
	if (head >= r->size)
		return model_err(m, "available ring names descriptor %u of %u", head, r->size);
	for (;;) {
		const uint8_t *d = table + 16u * idx;
		uint16_t flags = model_le16(d + 12);

		/* A chain cannot be longer than its table without looping. */
		if (++steps > tsize)
			return model_err(m, "chain %u: descriptors loop", head);
		if (flags & DESC_F_INDIRECT) {
			if (enter_indirect(m, head, model_le64(d), model_le32(d + 8), flags, &ind,
					   &tsize))
				return -1;
			table = ind;
			idx = steps = 0;
			continue;
		}
		if (flags & DESC_F_WRITE)
			saw_write = true;
		else if (saw_write)
			return model_err(m, "chain %u: readable descriptor after a writable one",
					 head);
		if (seg_push(m, b, model_le64(d), model_le32(d + 8), flags & DESC_F_WRITE))
			return -1;
		if (!(flags & DESC_F_NEXT))
			return 0;
		idx = model_le16(d + 14);
		if (idx >= tsize)
			return model_err(m, "chain %u: next %u is past the table (%u)", head, idx,
					 tsize);
	}
}

static void chain_from(struct model_chain *c, uint16_t head, const struct segbuf *b)
{
	*c = (struct model_chain){head, b->n, b->v, 0, 0};
	for (unsigned i = 0; i < b->n; i++) {
		if (b->v[i].write)
			c->writable += b->v[i].len;
		else
			c->readable += b->v[i].len;
	}
}

static void put_used(struct ring *r, struct model_queue *q, uint16_t head, uint32_t len)
{
	uint8_t *el = r->used + 4 + 8u * (q->used_idx % r->size);

	model_put(el, 4, head);
	model_put(el + 4, 4, len);
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	model_put(r->used + 2, 2, q->used_idx);
}

static void used_irq(struct model *m, struct model_queue *q, const struct ring *r, uint16_t old)
{
	uint16_t now = q->used_idx;

	if (model_negotiated(m, MODEL_F_EVENT_IDX)) {
		uint16_t ev = model_le16(r->avail + 4 + 2u * r->size);

		if ((uint16_t)(now - ev - 1) >= (uint16_t)(now - old))
			return;
	} else if (model_le16(r->avail) & AVAIL_F_NO_INTERRUPT) {
		return;
	}
	model_irq(m, q->msix_vector, 1);
}

static int check_live(struct model *m, unsigned qidx, struct verr *e)
{
	const struct model_queue *q = &m->st.queue[qidx];

	if (qidx >= m->st.num_queues || !q->max_size)
		return verr_set(e, VX_USAGE, "model: no queue %u", qidx);
	if (!q->enabled)
		return verr_set(e, VX_DEVICE, "model: queue %u is not enabled", qidx);
	if (!(m->st.status & MODEL_S_DRIVER_OK))
		return verr_set(e, VX_DEVICE, "model: DRIVER_OK is not set");
	if (m->st.status & MODEL_S_NEEDS_RESET)
		return verr_set(e, VX_DEVICE, "model: the device needs a reset");
	return 0;
}

/* What the device reports as used: the handler's length, at most the
 * chain's writable bytes, or (bugs) something a driver must not trust. */
static uint32_t used_len_of(const struct model *m, const struct model_chain *c, uint32_t len)
{
	if (model_bug(m, MODEL_BUG_USED_LEN_OVERFLOW))
		return (uint32_t)c->writable + 1;
	return len < c->writable ? len : (uint32_t)c->writable;
}

static uint16_t used_id(const struct model *m, const struct ring *r, uint16_t head)
{
	if (model_bug(m, MODEL_BUG_USED_ID_BOGUS))
		return (uint16_t)(head + r->size);
	return head;
}

/* Takes chains until the ring is empty or the handler holds one; returns
 * how many completed, or -1 after a device error. */
static int take_chains(struct model *m, unsigned qidx, struct ring *r, model_handler_fn *fn,
		       void *ctx)
{
	struct model_queue *q = &m->st.queue[qidx];
	struct segbuf b = {NULL, 0, 0};
	uint16_t avail_idx = model_le16(r->avail + 2);
	int done = 0, rc = 0;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if ((uint16_t)(avail_idx - q->last_avail) > r->size)
		return model_err(m, "queue %u: avail idx %u is more than %u ahead of %u", qidx,
				 avail_idx, r->size, q->last_avail);
	while (q->last_avail != avail_idx) {
		uint16_t head = model_le16(r->avail + 4 + 2u * (q->last_avail % r->size));
		struct model_chain c;
		uint32_t used_len = 0;

		if ((rc = walk_chain(m, r, head, &b)) != 0)
			break;
		chain_from(&c, head, &b);
		rc = fn(m->pdev, qidx, &c, &used_len, ctx);
		if (rc == MODEL_HOLD || rc < 0) {
			if (rc < 0)
				model_err(m, "queue %u: the handler failed chain %u", qidx, head);
			break;
		}
		put_used(r, q, used_id(m, r, head), used_len_of(m, &c, used_len));
		q->last_avail++;
		q->completed++;
		done++;
	}
	free(b.v);
	return rc < 0 ? -1 : done;
}

static int run_queue(struct model *m, unsigned qidx, model_handler_fn *fn, void *ctx,
		     struct verr *e)
{
	struct model_queue *q = &m->st.queue[qidx];
	uint16_t old_used = q->used_idx;
	struct ring r;
	int done;

	if (check_live(m, qidx, e))
		return -1;
	if (!(model_get(m->cfg + 4, 2) & 0x0004)) {
		/* Measured: without bus mastering a device just never answers. */
		m->st.dma_blocked++;
		return 0;
	}
	if (model_negotiated(m, MODEL_F_RING_PACKED))
		return model_packed_run(m, qidx, fn, ctx, e);
	if (ring_map(m, qidx, &r))
		return device_error(m, e);
	done = take_chains(m, qidx, &r, fn, ctx);
	if (model_negotiated(m, MODEL_F_EVENT_IDX)) /* "notify me at the next one" */
		model_put(r.used + 4 + 8u * r.size, 2, q->last_avail);
	if (q->used_idx != old_used)
		used_irq(m, q, &r, old_used);
	return done < 0 ? device_error(m, e) : done;
}

int model_process_queue(struct pdev *d, unsigned qidx, model_handler_fn *fn, void *ctx,
			struct verr *e)
{
	struct model *m = model_of(d);

	if (qidx >= MODEL_MAX_QUEUES)
		return verr_set(e, VX_USAGE, "model: no queue %u", qidx);
	return run_queue(m, qidx, fn, ctx, e);
}

void model_set_handler(struct pdev *d, unsigned qidx, model_handler_fn *fn, void *ctx)
{
	struct model *m = model_of(d);

	if (qidx < MODEL_MAX_QUEUES) {
		m->handler[qidx].fn = fn;
		m->handler[qidx].ctx = ctx;
	}
}

void model_notify(struct model *m, unsigned q)
{
	struct verr e = {VX_OK, ""};
	size_t errs = m->nerr;

	m->st.queue[q].notifies++;
	if (!(m->st.status & MODEL_S_DRIVER_OK)) {
		model_err(m, "queue %u notified before DRIVER_OK", q);
		return;
	}
	if (!m->st.queue[q].enabled) {
		model_err(m, "queue %u notified while not enabled", q);
		return;
	}
	if (!m->handler[q].fn || m->in_handler)
		return;
	m->in_handler = true;
	if (run_queue(m, q, m->handler[q].fn, m->handler[q].ctx, &e) < 0 && m->nerr == errs)
		model_err(m, "notify of queue %u: %s", q, e.msg);
	m->in_handler = false;
}

static size_t chain_copy(const struct model_chain *c, bool writable, size_t off, uint8_t *flat,
			 size_t len, bool to_chain)
{
	size_t done = 0;

	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct model_seg *s = &c->seg[i];
		size_t k;

		if (s->write != writable)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		k = s->len - off < len - done ? s->len - off : len - done;
		if (to_chain)
			memcpy(s->ptr + off, flat + done, k);
		else
			memcpy(flat + done, s->ptr + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t model_chain_read(const struct model_chain *c, size_t off, void *dst, size_t len)
{
	return chain_copy(c, false, off, dst, len, false);
}

size_t model_chain_write(const struct model_chain *c, size_t off, const void *src, size_t len)
{
	/* chain_copy only reads `flat` in this direction. */
	return chain_copy(c, true, off, (uint8_t *)(uintptr_t)src, len, true);
}

/* For model_packed.c: the same view of guest memory. */
void *model_gmem(struct model *m, uint64_t addr, uint64_t len)
{
	return gmem(m, addr, len);
}
