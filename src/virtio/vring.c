/* The layout-independent part of a virtqueue: creation, the chains in
 * flight and their DMA buffers, used-side validation, waiting, and the
 * common part of the description. The layouts are behind r->ops. */
#include "virtio/vring_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio/features.h"

/* An indirect table is one DMA buffer, and the sysfs backend promises
 * only page-contiguous memory: at most a page of descriptors. */
#define VRING_INDIRECT_MAX (VRING_PAGE / 16)

static int choose_size(struct vdev *v, unsigned q, uint16_t want, uint16_t *size, struct verr *e)
{
	struct vq_regs regs;

	if (v->ops->get_queue(v, q, &regs, e))
		return -1;
	if (regs.size == 0)
		return verr_set(e, VX_DEVICE, "queue %u does not exist (size 0)", q);
	if (regs.enable)
		return verr_set(e, VX_DEVICE,
				"queue %u is already enabled (reset the device first)", q);
	/* A legacy device's queue size is fixed; a modern one accepts any
	 * power of two up to its maximum. */
	if (v->ops->legacy_ring)
		*size = regs.size;
	else
		*size = want ? want
			     : (regs.size < VRING_DEFAULT_SIZE ? regs.size : VRING_DEFAULT_SIZE);
	if (v->ops->legacy_ring && want && want != regs.size)
		return verr_set(e, VX_USAGE, "legacy queue %u has a fixed size of %u", q,
				regs.size);
	return 0;
}

static void init_free_list(struct vring *r)
{
	for (uint16_t i = 0; i < r->size; i++)
		r->free_next[i] = (uint16_t)(i + 1 < r->size ? i + 1 : 0);
	r->free_head = 0;
	r->num_free = r->size;
}

static int pick_layout(struct vring *r, uint64_t features, struct verr *e)
{
	bool packed = features >> VIRTIO_FB_RING_PACKED & 1;

	if (packed && r->v->ops->legacy_ring)
		return verr_set(e, VX_USAGE, "a legacy interface has no packed rings");
	r->ops = packed ? &vring_packed_ops : &vring_split_ops;
	r->event_idx = features >> VIRTIO_FB_EVENT_IDX & 1;
	r->indirect_ok = features >> VIRTIO_FB_INDIRECT_DESC & 1;
	r->notification_data = features >> VIRTIO_FB_NOTIFICATION_DATA & 1;
	return 0;
}

int vring_create(struct vdev *v, struct dma *dma, unsigned q, uint16_t size, uint64_t features,
		 uint16_t msix_vector, struct vring **out, struct verr *e)
{
	struct vring *r = calloc(1, sizeof(*r));
	struct vq_addrs a;

	if (!r)
		return verr_set(e, VX_FAIL, "out of memory");
	*r = (struct vring){
		.v = v,
		.dma = dma,
		.index = q,
		.msix_vector = msix_vector,
		.spin = {VRING_SPINS_DEFAULT, VRING_BACKOFF_SLEEP, VRING_SLEEP_US_DEFAULT}};
	if (pick_layout(r, features, e) || choose_size(v, q, size, &r->size, e) ||
	    r->ops->alloc(r, e))
		goto fail;
	r->chains = calloc(r->size, sizeof(*r->chains));
	r->free_next = calloc(r->size, sizeof(*r->free_next));
	if (!r->chains || !r->free_next) {
		verr_set(e, VX_FAIL, "out of memory");
		goto fail;
	}
	init_free_list(r);
	r->ops->init(r);
	a = (struct vq_addrs){r->size, msix_vector, r->desc_bus, r->driver_bus, r->device_bus};
	if (v->ops->setup_queue(v, q, &a, e) ||
	    v->ops->notify_location(v, q, features, &r->nloc, e))
		goto fail;
	*out = r;
	return 0;
fail:
	vring_destroy(r);
	return -1;
}

/* Frees a chain's buffers and, when `relink`, gives its descriptors (or
 * id and slots) back, from our own record of the chain rather than the
 * shared ring. */
static void release_chain(struct vring *r, uint16_t id, bool relink)
{
	struct chain *c = &r->chains[id];

	for (unsigned i = 0; i < c->npieces; i++)
		if (!c->pieces[i].borrowed)
			dma_free(r->dma, &c->pieces[i].m);
	if (c->indirect)
		dma_free(r->dma, &c->table);
	if (relink && c->nslots)
		r->ops->release(r, id, c);
	free(c->pieces);
	free(c->descs);
	*c = (struct chain){0};
}

void vring_destroy(struct vring *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->chains && i < r->size; i++)
		if (r->chains[i].busy)
			release_chain(r, (uint16_t)i, true);
	for (unsigned i = 0; i < r->nmem; i++)
		dma_free(r->dma, &r->mem[i]);
	free(r->chains);
	free(r->free_next);
	free(r);
}

uint16_t vring_msix_vector(const struct vring *r)
{
	return r->msix_vector;
}

unsigned vring_index(const struct vring *r)
{
	return r->index;
}

uint16_t vring_size(const struct vring *r)
{
	return r->size;
}

const char *vring_layout_word(unsigned layout)
{
	static const char *const words[VRING_LAYOUT_COUNT] = {"split", "packed"};

	return layout < VRING_LAYOUT_COUNT ? words[layout] : NULL;
}

bool vring_is_packed(const struct vring *r)
{
	return r->ops == &vring_packed_ops;
}

unsigned vring_in_flight(const struct vring *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->size; i++)
		n += r->chains[i].busy;
	return n;
}

/* Segments are split so that no descriptor's buffer crosses a page: the
 * sysfs backend can only promise page-contiguous memory. */
static unsigned count_pieces(const struct vseg *segs, const struct dma_mem *const *mems, unsigned n)
{
	unsigned pieces = 0;

	for (unsigned i = 0; i < n; i++)
		pieces += (mems && mems[i]) || !segs[i].len
				  ? 1
				  : (segs[i].len + VRING_PAGE - 1) / VRING_PAGE;
	return pieces;
}

static int fill_piece(struct vring *r, struct chain *c, const struct vseg *s, uint32_t off,
		      uint32_t len, struct verr *e)
{
	struct piece *p = &c->pieces[c->npieces];

	if (dma_alloc(r->dma, len ? len : 1, len == VRING_PAGE ? VRING_PAGE : 8, &p->m, e))
		return -1;
	p->len = len;
	p->writable = s->writable;
	if (!s->writable && s->data)
		memcpy(p->m.va, s->data + off, len);
	if (s->writable)
		c->writable += len;
	c->npieces++;
	return 0;
}

/* The caller's DMA buffer as one piece: a DMA buffer beyond a page is
 * contiguous on the bus (dma.h). */
static int borrow_piece(struct chain *c, const struct vseg *s, const struct dma_mem *m,
			struct verr *e)
{
	struct piece *p = &c->pieces[c->npieces];

	if (!s->len || s->len > m->len || !m->va)
		return verr_set(e, VX_USAGE, "a caller's buffer of %zu bytes for a %u-byte segment",
				m->len, s->len);
	*p = (struct piece){.m = *m, .len = s->len, .writable = s->writable, .borrowed = true};
	if (s->writable) {
		c->writable += s->len;
		c->borrowed_writable = true;
	}
	c->npieces++;
	return 0;
}

/* The chain's buffers, page by page, on our side only (or the caller's). */
static int fill_pieces(struct vring *r, struct chain *c, const struct vseg *segs,
		       const struct dma_mem *const *mems, unsigned n, struct verr *e)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = 0;

		if (mems && mems[i]) {
			if (borrow_piece(c, &segs[i], mems[i], e))
				return -1;
			continue;
		}
		do {
			uint32_t len =
				segs[i].len - off > VRING_PAGE ? VRING_PAGE : segs[i].len - off;

			if (fill_piece(r, c, &segs[i], off, len, e))
				return -1;
			off += len;
		} while (off < segs[i].len);
	}
	return 0;
}

static int check_post(struct vring *r, unsigned n, unsigned pieces, unsigned flags, struct verr *e)
{
	bool indirect = flags & VRING_POST_INDIRECT;
	unsigned slots = indirect ? 1 : pieces;

	if (r->broken)
		return verr_set(e, VX_DEVICE, "queue %u is broken after a device error: reset it",
				r->index);
	if (n == 0 || n > VRING_MAX_SEGS)
		return verr_set(e, VX_USAGE, "a chain needs 1 to %d buffers", VRING_MAX_SEGS);
	if (indirect && !r->indirect_ok)
		return verr_set(e, VX_USAGE,
				"queue %u: indirect descriptors need VIRTIO_F_INDIRECT_DESC "
				"negotiated",
				r->index);
	/* The spec bounds a chain by the queue size, indirect or not. */
	if (indirect && (pieces > VRING_INDIRECT_MAX || pieces > r->size))
		return verr_set(e, VX_FAIL,
				"queue %u: chain needs %u descriptors, an indirect table holds "
				"%u",
				r->index, pieces,
				r->size < VRING_INDIRECT_MAX ? r->size : VRING_INDIRECT_MAX);
	if (slots > r->num_free)
		return verr_set(e, VX_FAIL, "queue %u: chain needs %u descriptors, %u free",
				r->index, slots, r->num_free);
	return 0;
}

int vring_post(struct vring *r, const struct vseg *segs, unsigned n, uint16_t *head, struct verr *e)
{
	return vring_post_flags(r, segs, n, 0, head, e);
}

static int post(struct vring *r, const struct vseg *segs, const struct dma_mem *const *mems,
		unsigned n, unsigned flags, uint16_t *head, struct verr *e)
{
	unsigned pieces = count_pieces(segs, mems, n);
	uint16_t id = r->free_head;
	struct chain *c;

	if (check_post(r, n, pieces, flags, e))
		return -1;
	c = &r->chains[id];
	c->pieces = calloc(pieces, sizeof(*c->pieces));
	c->descs = calloc(pieces, sizeof(*c->descs));
	if (!c->pieces || !c->descs) {
		release_chain(r, id, false);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	c->indirect = flags & VRING_POST_INDIRECT;
	c->nslots = (uint16_t)(c->indirect ? 1 : pieces);
	if (fill_pieces(r, c, segs, mems, n, e) ||
	    (c->indirect && dma_alloc(r->dma, 16 * (size_t)pieces, 16, &c->table, e))) {
		c->nslots = 0; /* nothing taken from the free state yet */
		if (c->indirect && !c->table.va)
			c->indirect = false;
		release_chain(r, id, false);
		return -1;
	}
	c->busy = true;
	if (c->indirect)
		r->ops->fill_table(r, c);
	r->ops->publish(r, id, c);
	*head = id;
	return 0;
}

int vring_post_flags(struct vring *r, const struct vseg *segs, unsigned n, unsigned flags,
		     uint16_t *head, struct verr *e)
{
	return post(r, segs, NULL, n, flags, head, e);
}

int vring_post_mem(struct vring *r, const struct vseg *segs, const struct dma_mem *const *mems,
		   unsigned n, uint16_t *head, struct verr *e)
{
	return post(r, segs, mems, n, 0, head, e);
}

static int notify(struct vring *r, struct verr *e)
{
	uint32_t value = r->nloc.id;

	if (r->nloc.width == 4)
		value |= r->ops->notify_data(r) << 16;
	r->ops->kicked(r);
	return r->v->ops->notify(r->v, &r->nloc, value, e);
}

int vring_kick(struct vring *r, bool *suppressed, struct verr *e)
{
	/* Our index stores before the device's suppression fields are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*suppressed = !r->ops->want_kick(r);
	return notify(r, e);
}

int vring_kick_needed(struct vring *r, bool *notified, struct verr *e)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*notified = r->ops->want_kick(r);
	if (*notified)
		return notify(r, e);
	r->ops->kicked(r);
	return 0;
}

/* The device broke the protocol (e says how): no more posts or polls
 * until a reset. */
static int mark_broken(struct vring *r, enum vring_fault fault)
{
	r->broken = true;
	r->fault = fault;
	return -1;
}

enum vring_fault vring_fault(const struct vring *r)
{
	return r->fault;
}

static int take_used(struct vring *r, uint32_t id, uint32_t len, struct vused *u, struct verr *e)
{
	uint32_t copied = 0;
	struct chain *c;

	if (id >= r->size || !r->chains[id].busy) {
		verr_set(e, VX_DEVICE, "device error: used id %u is not in flight", id);
		return mark_broken(r, VRING_FAULT_USED_ID);
	}
	c = &r->chains[id];
	if (len > c->writable) {
		verr_set(e, VX_DEVICE,
			 "device error: used len %u exceeds the chain's %u writable bytes", len,
			 c->writable);
		return mark_broken(r, VRING_FAULT_USED_LEN);
	}
	u->id = (uint16_t)id;
	u->len = len;
	u->data = c->borrowed_writable ? NULL : malloc(len ? len : 1);
	if (!u->data && !c->borrowed_writable)
		return verr_set(e, VX_FAIL, "out of memory");
	/* The device fills writable buffers in chain order (virtio 1.3 2.7.4). */
	for (unsigned i = 0; u->data && i < c->npieces && copied < len; i++) {
		const struct piece *p = &c->pieces[i];
		uint32_t n = p->len < len - copied ? p->len : len - copied;

		if (!p->writable)
			continue;
		memcpy(u->data + copied, p->m.va, n);
		copied += n;
	}
	r->ops->advance(r, c);
	release_chain(r, (uint16_t)id, true);
	return 0;
}

static long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

/* A removed device is not a slow one: while waiting, look for it every
 * PRESENCE_CHECK_US and before reporting a timeout (a config read and,
 * on the live backend, a stat of its sysfs entry). */
#define PRESENCE_CHECK_US 250000L

static int check_present(struct vring *r, long *next_check, struct verr *e)
{
	long now = now_us();

	if (now < *next_check)
		return 0;
	*next_check = now + PRESENCE_CHECK_US;
	if (pdev_check_present(r->v->pci, e) == 0)
		return 0;
	r->broken = true;
	verr_prefix(e, "queue %u", r->index);
	return -1;
}

const char *vring_backoff_word(unsigned backoff)
{
	static const char *const words[VRING_BACKOFF_COUNT] = {"sleep", "yield", "pause", "none"};

	return backoff < VRING_BACKOFF_COUNT ? words[backoff] : NULL;
}

void vring_set_spin(struct vring *r, const struct vring_spin *s)
{
	r->spin = *s;
}

void vring_get_wait_stats(const struct vring *r, struct vring_wait_stats *out)
{
	*out = r->wstats;
}

void vring_clear_wait_stats(struct vring *r)
{
	r->wstats = (struct vring_wait_stats){0};
}

enum vring_wait_step vring_spin_step(const struct vring_spin *s, uint64_t empty)
{
	static const enum vring_wait_step after[VRING_BACKOFF_COUNT] = {
		[VRING_BACKOFF_SLEEP] = VRING_STEP_SLEEP,
		[VRING_BACKOFF_YIELD] = VRING_STEP_YIELD,
		[VRING_BACKOFF_PAUSE] = VRING_STEP_PAUSE,
		[VRING_BACKOFF_NONE] = VRING_STEP_LOOK,
	};

	if (empty < s->spins || (unsigned)s->backoff >= VRING_BACKOFF_COUNT)
		return VRING_STEP_LOOK;
	return after[s->backoff];
}

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* One back-off step of the ring's spin budget (counted). */
static void back_off(struct vring *r, uint64_t empty)
{
	struct timespec ts;

	switch (vring_spin_step(&r->spin, empty)) {
	case VRING_STEP_LOOK:
		break;
	case VRING_STEP_PAUSE:
		r->wstats.pauses++;
		cpu_pause();
		break;
	case VRING_STEP_YIELD:
		r->wstats.yields++;
		sched_yield();
		break;
	case VRING_STEP_SLEEP:
		r->wstats.sleeps++;
		ts = (struct timespec){r->spin.sleep_us / 1000000u,
				       (long)(r->spin.sleep_us % 1000000u) * 1000};
		nanosleep(&ts, NULL);
		break;
	}
}

/* Looks at the used side until something is there: the ring's spin
 * budget, then its back-off (or the waiter, which blocks on an
 * interrupt). The timeout, Ctrl-C and the device's presence are checked
 * on every turn. */
static int wait_used(struct vring *r, int timeout_ms, const volatile sig_atomic_t *cancel,
		     vring_wait_fn *wait, void *ctx, struct verr *e)
{
	long deadline, next_check;
	uint64_t empty = 0;

	if (r->ops->used_pending(r))
		return 0;
	r->wstats.waits++;
	deadline = now_us() + (long)timeout_ms * 1000;
	next_check = now_us() + PRESENCE_CHECK_US;
	while (!r->ops->used_pending(r)) {
		long left = deadline - now_us();

		r->wstats.empty_looks++;
		if (cancel && *cancel)
			return verr_set(e, VX_FAIL, "interrupted");
		if (left < 0) {
			next_check = 0;
			if (check_present(r, &next_check, e))
				return -1;
			return verr_set(e, VX_TIMEOUT, "queue %u: no used buffer within %d ms",
					r->index, timeout_ms);
		}
		if (check_present(r, &next_check, e))
			return -1;
		/* Short waits so a cancel is seen within 100 ms. */
		if (wait) {
			if (wait(ctx, left > 100000 ? 100 : (int)(left / 1000) + 1) < 0)
				return verr_set(e, VX_FAIL, "waiting for an interrupt failed");
		} else {
			back_off(r, empty++);
		}
	}
	return 0;
}

int vring_poll(struct vring *r, struct vused *out, unsigned max, unsigned *n, int timeout_ms,
	       const volatile sig_atomic_t *cancel, struct verr *e)
{
	return vring_poll_wait(r, out, max, n, timeout_ms, cancel, NULL, NULL, e);
}

int vring_poll_wait(struct vring *r, struct vused *out, unsigned max, unsigned *n, int timeout_ms,
		    const volatile sig_atomic_t *cancel, vring_wait_fn *wait, void *ctx,
		    struct verr *e)
{
	*n = 0;
	if (r->broken)
		return verr_set(e, VX_DEVICE, "queue %u is broken after a device error: reset it",
				r->index);
	/* A device that always has used buffers ready (the model, a fast
	 * one) never lets wait_used see a cancel: callers loop on this. */
	if (cancel && *cancel)
		return verr_set(e, VX_FAIL, "interrupted");
	if (wait_used(r, timeout_ms, cancel, wait, ctx, e))
		return -1;
	while (*n < max) {
		uint32_t id, len;
		int got = r->ops->peek_used(r, &id, &len, e);

		if (got < 0)
			return mark_broken(r, VRING_FAULT_USED_IDX);
		if (got == 0)
			break;
		if (take_used(r, id, len, &out[*n], e))
			return -1;
		(*n)++;
	}
	r->ops->after_poll(r);
	return 0;
}

void vused_free(struct vused *u, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(u[i].data);
		u[i].data = NULL;
	}
}

void vring_describe(const struct vring *r, struct rnode *o)
{
	r_uint(o, "queue", "Queue", r->index, NULL);
	r_uint(o, "size", "Size", r->size, NULL);
	r_str(o, "layout", "Layout",
	      r->v->ops->legacy_ring ? "legacy" : (vring_is_packed(r) ? "packed" : "split"));
	r_uint(o, "desc_addr", "Descriptor table", r->desc_bus, "0x%llx");
	r_uint(o, "driver_addr", "Driver area", r->driver_bus, "0x%llx");
	r_uint(o, "device_addr", "Device area", r->device_bus, "0x%llx");
	r_bool(o, "event_idx", "Event index", r->event_idx);
	r_bool(o, "indirect_desc", "Indirect descriptors", r->indirect_ok);
	r_uint(o, "msix_vector", "MSI-X vector", r->msix_vector, "0x%04x");
	r_bool(o, "broken", "Broken", r->broken);
	r->ops->describe(r, o);
}
