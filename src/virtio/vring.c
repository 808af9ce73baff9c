#include "virtio/vring.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio/features.h"

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One descriptor's buffer. Kept on our side: the descriptor table is
 * shared memory, and what we trust must not be readable back from it. */
struct piece {
	struct dma_mem m;
	uint32_t len;
	bool writable;
};

/* A chain in flight, indexed by its head descriptor. */
struct chain {
	bool busy;
	uint16_t ndesc;
	uint32_t writable;    /* device-writable bytes in the chain */
	struct piece *pieces; /* one per descriptor, in chain order */
	uint16_t *descs;      /* descriptor indices, in chain order */
};

struct vring {
	struct vdev *v;
	struct dma *dma;
	unsigned index;
	uint16_t size;
	bool event_idx;
	bool broken; /* the device broke the protocol: no more posts */
	uint16_t msix_vector;
	struct dma_mem mem[3];
	unsigned nmem;
	struct vring_desc *desc;
	uint8_t *avail; /* flags, idx, ring[size], used_event */
	uint8_t *used;	/* flags, idx, ring[size], avail_event */
	uint64_t desc_bus, avail_bus, used_bus;
	/* The free list lives here, not in the shared descriptor table: the
	 * device can write that table, and our bookkeeping must not trust it. */
	uint16_t *free_next;
	uint16_t free_head, num_free;
	uint16_t avail_idx, kicked_idx, last_used;
	struct chain *chains;
	struct vq_notify_loc nloc;
	bool notification_data;
};

/* Ring fields are little-endian and shared with the device: every access
 * goes through these, with the fences the x86 measurements needed. */
static uint16_t *avail_flags(struct vring *r)
{
	return (uint16_t *)r->avail;
}

static uint16_t *avail_idx_p(struct vring *r)
{
	return (uint16_t *)(r->avail + 2);
}

static uint16_t *avail_ring(struct vring *r)
{
	return (uint16_t *)(r->avail + 4);
}

static uint16_t *used_event(struct vring *r)
{
	return (uint16_t *)(r->avail + 4 + 2 * r->size);
}

static uint16_t used_flags(const struct vring *r)
{
	return le16toh(__atomic_load_n((const uint16_t *)r->used, __ATOMIC_ACQUIRE));
}

static uint16_t used_idx(const struct vring *r)
{
	return le16toh(__atomic_load_n((const uint16_t *)(r->used + 2), __ATOMIC_ACQUIRE));
}

static const struct vring_used_elem *used_ring(const struct vring *r)
{
	return (const struct vring_used_elem *)(r->used + 4);
}

static uint16_t avail_event(const struct vring *r)
{
	return le16toh(
		__atomic_load_n((const uint16_t *)(r->used + 4 + 8 * r->size), __ATOMIC_ACQUIRE));
}

static size_t avail_bytes(uint16_t n)
{
	return 6 + 2 * (size_t)n;
}

static size_t used_bytes(uint16_t n)
{
	return 6 + 8 * (size_t)n;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The legacy layout: one block, used ring at the next 4096 boundary. */
static int alloc_legacy(struct vring *r, struct verr *e)
{
	size_t used_off = align_up(16 * (size_t)r->size + avail_bytes(r->size), VRING_PAGE);

	if (dma_alloc(r->dma, used_off + used_bytes(r->size), VRING_PAGE, &r->mem[0], e))
		return -1;
	r->nmem = 1;
	r->desc = r->mem[0].va;
	r->avail = (uint8_t *)r->mem[0].va + 16 * (size_t)r->size;
	r->used = (uint8_t *)r->mem[0].va + used_off;
	r->desc_bus = r->mem[0].bus;
	r->avail_bus = r->desc_bus + 16 * (size_t)r->size;
	r->used_bus = r->desc_bus + used_off;
	return 0;
}

/* The 1.x layout: three parts with their own alignment (16, 2, 4). */
static int alloc_split(struct vring *r, struct verr *e)
{
	const size_t len[3] = {16 * (size_t)r->size, avail_bytes(r->size), used_bytes(r->size)};
	const size_t align[3] = {16, 8, 8};

	for (unsigned i = 0; i < 3; i++) {
		if (dma_alloc(r->dma, len[i], align[i], &r->mem[i], e))
			return -1;
		r->nmem = i + 1;
	}
	r->desc = r->mem[0].va;
	r->avail = r->mem[1].va;
	r->used = r->mem[2].va;
	r->desc_bus = r->mem[0].bus;
	r->avail_bus = r->mem[1].bus;
	r->used_bus = r->mem[2].bus;
	return 0;
}

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

int vring_create(struct vdev *v, struct dma *dma, unsigned q, uint16_t size, uint64_t features,
		 uint16_t msix_vector, struct vring **out, struct verr *e)
{
	struct vring *r = calloc(1, sizeof(*r));
	struct vq_addrs a;

	if (!r)
		return verr_set(e, VX_FAIL, "out of memory");
	*r = (struct vring){.v = v, .dma = dma, .index = q, .msix_vector = msix_vector};
	r->event_idx = features >> VIRTIO_FB_EVENT_IDX & 1;
	r->notification_data = features >> VIRTIO_FB_NOTIFICATION_DATA & 1;
	if (choose_size(v, q, size, &r->size, e) ||
	    (v->ops->legacy_ring ? alloc_legacy(r, e) : alloc_split(r, e)))
		goto fail;
	r->chains = calloc(r->size, sizeof(*r->chains));
	r->free_next = calloc(r->size, sizeof(*r->free_next));
	if (!r->chains || !r->free_next) {
		verr_set(e, VX_FAIL, "out of memory");
		goto fail;
	}
	init_free_list(r);
	/* Polled: ask for no interrupts (with EVENT_IDX, used_event trails).
	 * With a vector: one interrupt per used buffer. */
	if (msix_vector == VIRTIO_MSI_NO_VECTOR) {
		*avail_flags(r) = htole16(VRING_AVAIL_F_NO_INTERRUPT);
		*used_event(r) = htole16(0xffff);
	}
	a = (struct vq_addrs){r->size, msix_vector, r->desc_bus, r->avail_bus, r->used_bus};
	if (v->ops->setup_queue(v, q, &a, e) ||
	    v->ops->notify_location(v, q, features, &r->nloc, e))
		goto fail;
	*out = r;
	return 0;
fail:
	vring_destroy(r);
	return -1;
}

/* Frees a chain's buffers and, when `relink`, returns its descriptors to
 * the free list, relinking them from our own record of the chain rather
 * than the shared table. */
static void release_chain(struct vring *r, uint16_t head, bool relink)
{
	struct chain *c = &r->chains[head];

	for (unsigned i = 0; i < c->ndesc; i++) {
		dma_free(r->dma, &c->pieces[i].m);
		if (relink)
			r->free_next[c->descs[i]] =
				i + 1 < c->ndesc ? c->descs[i + 1] : r->free_head;
	}
	if (relink && c->ndesc) {
		r->free_head = head;
		r->num_free = (uint16_t)(r->num_free + c->ndesc);
	}
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

unsigned vring_in_flight(const struct vring *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->size; i++)
		n += r->chains[i].busy;
	return n;
}

/* Segments are split so that no descriptor's buffer crosses a page: the
 * sysfs backend can only promise page-contiguous memory. */
static unsigned count_pieces(const struct vseg *segs, unsigned n)
{
	unsigned pieces = 0;

	for (unsigned i = 0; i < n; i++)
		pieces += segs[i].len ? (segs[i].len + VRING_PAGE - 1) / VRING_PAGE : 1;
	return pieces;
}

static int fill_piece(struct vring *r, struct chain *c, uint16_t d, const struct vseg *s,
		      uint32_t off, uint32_t len, struct verr *e)
{
	struct piece *p = &c->pieces[c->ndesc];
	struct dma_mem *m = &p->m;

	if (dma_alloc(r->dma, len ? len : 1, len == VRING_PAGE ? VRING_PAGE : 8, m, e))
		return -1;
	p->len = len;
	p->writable = s->writable;
	c->descs[c->ndesc] = d;
	if (!s->writable && s->data)
		memcpy(m->va, s->data + off, len);
	r->desc[d].addr = htole64(m->bus);
	r->desc[d].len = htole32(len);
	r->desc[d].flags = htole16(s->writable ? VRING_DESC_F_WRITE : 0);
	if (s->writable)
		c->writable += len;
	c->ndesc++;
	return 0;
}

static int fill_chain(struct vring *r, struct chain *c, uint16_t head, const struct vseg *segs,
		      unsigned n, struct verr *e)
{
	uint16_t d = head, prev = head;

	for (unsigned i = 0; i < n; i++) {
		uint32_t off = 0;

		do {
			uint32_t len =
				segs[i].len - off > VRING_PAGE ? VRING_PAGE : segs[i].len - off;

			if (c->ndesc) {
				r->desc[prev].flags |= htole16(VRING_DESC_F_NEXT);
				d = r->free_next[prev];
				r->desc[prev].next = htole16(d);
			}
			if (fill_piece(r, c, d, &segs[i], off, len, e))
				return -1;
			prev = d;
			off += len;
		} while (off < segs[i].len);
	}
	r->free_head = r->free_next[prev];
	return 0;
}

int vring_post(struct vring *r, const struct vseg *segs, unsigned n, uint16_t *head, struct verr *e)
{
	unsigned pieces = count_pieces(segs, n);
	struct chain *c;
	uint16_t h = r->free_head;

	if (r->broken)
		return verr_set(e, VX_DEVICE, "queue %u is broken after a device error: reset it",
				r->index);
	if (n == 0 || n > VRING_MAX_SEGS)
		return verr_set(e, VX_USAGE, "a chain needs 1 to %d buffers", VRING_MAX_SEGS);
	if (pieces > r->num_free)
		return verr_set(e, VX_FAIL, "queue %u: chain needs %u descriptors, %u free",
				r->index, pieces, r->num_free);
	c = &r->chains[h];
	c->pieces = calloc(pieces, sizeof(*c->pieces));
	c->descs = calloc(pieces, sizeof(*c->descs));
	if (!c->pieces || !c->descs) {
		release_chain(r, h, false);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	c->busy = true;
	/* On failure the free list is intact: filling only read its links. */
	if (fill_chain(r, c, h, segs, n, e)) {
		release_chain(r, h, false);
		return -1;
	}
	r->num_free = (uint16_t)(r->num_free - pieces);
	avail_ring(r)[r->avail_idx % r->size] = htole16(h);
	r->avail_idx++;
	/* The device must see the ring entry before the index. */
	__atomic_store_n(avail_idx_p(r), htole16(r->avail_idx), __ATOMIC_RELEASE);
	*head = h;
	return 0;
}

int vring_kick(struct vring *r, bool *suppressed, struct verr *e)
{
	uint16_t old = r->kicked_idx, now = r->avail_idx;
	uint32_t value = r->nloc.id;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (r->event_idx)
		*suppressed = (uint16_t)(now - avail_event(r) - 1) >= (uint16_t)(now - old);
	else
		*suppressed = used_flags(r) & VRING_USED_F_NO_NOTIFY;
	if (r->nloc.width == 4)
		value |= (uint32_t)now << 16;
	r->kicked_idx = now;
	return r->v->ops->notify(r->v, &r->nloc, value, e);
}

static int take_used(struct vring *r, struct vused *u, struct verr *e)
{
	const struct vring_used_elem *el = &used_ring(r)[r->last_used % r->size];
	uint32_t id = le32toh(el->id), len = le32toh(el->len), copied = 0;
	struct chain *c;

	if (id >= r->size || !r->chains[id].busy) {
		r->broken = true;
		return verr_set(e, VX_DEVICE, "device error: used id %u is not in flight", id);
	}
	c = &r->chains[id];
	if (len > c->writable) {
		r->broken = true;
		return verr_set(e, VX_DEVICE,
				"device error: used len %u exceeds the chain's %u writable bytes",
				len, c->writable);
	}
	u->id = (uint16_t)id;
	u->len = len;
	u->data = malloc(len ? len : 1);
	if (!u->data)
		return verr_set(e, VX_FAIL, "out of memory");
	/* The device fills writable buffers in chain order (virtio 1.3 2.7.4). */
	for (unsigned i = 0; i < c->ndesc && copied < len; i++) {
		const struct piece *p = &c->pieces[i];
		uint32_t n = p->len < len - copied ? p->len : len - copied;

		if (!p->writable)
			continue;
		memcpy(u->data + copied, p->m.va, n);
		copied += n;
	}
	release_chain(r, (uint16_t)id, true);
	r->last_used++;
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

/* Spins briefly (a TCG round trip is tens of microseconds), then sleeps
 * in short steps so a long wait does not burn a core. */
static int wait_used(struct vring *r, int timeout_ms, const volatile sig_atomic_t *cancel,
		     vring_wait_fn *wait, void *ctx, struct verr *e)
{
	long deadline = now_us() + (long)timeout_ms * 1000;
	long next_check = now_us() + PRESENCE_CHECK_US;
	unsigned spins = 0;

	while (used_idx(r) == r->last_used) {
		long left = deadline - now_us();

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
		} else if (++spins > 2000) {
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
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
	uint16_t idx, pending;

	*n = 0;
	if (r->broken)
		return verr_set(e, VX_DEVICE, "queue %u is broken after a device error: reset it",
				r->index);
	if (wait_used(r, timeout_ms, cancel, wait, ctx, e))
		return -1;
	idx = used_idx(r);
	pending = (uint16_t)(idx - r->last_used);
	if (pending > r->size) {
		r->broken = true;
		return verr_set(
			e, VX_DEVICE,
			"device error: used index jumped from %u to %u, more than the %u-entry "
			"ring",
			r->last_used, idx, r->size);
	}
	while (*n < max && r->last_used != idx) {
		if (take_used(r, &out[*n], e))
			return -1;
		(*n)++;
	}
	/* Polled: keep used_event behind us so the device has no reason to
	 * interrupt; with a vector: ask for the next one. */
	*used_event(r) =
		htole16((uint16_t)(r->last_used - (r->msix_vector == VIRTIO_MSI_NO_VECTOR)));
	return 0;
}

void vused_free(struct vused *u, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(u[i].data);
		u[i].data = NULL;
	}
}

static void describe_desc(const struct vring *r, struct rnode *t, uint16_t head, uint16_t d)
{
	struct rnode *row = r_obj(t, NULL, NULL);
	uint16_t flags = le16toh(r->desc[d].flags);

	r_uint(row, "head", "head", head, NULL);
	r_uint(row, "index", "desc", d, NULL);
	r_uint(row, "addr", "addr", le64toh(r->desc[d].addr), "0x%llx");
	r_uint(row, "len", "len", le32toh(r->desc[d].len), NULL);
	r_annot(r_uint(row, "flags", "flags", flags, "0x%x"), "%s%s%s",
		flags & VRING_DESC_F_WRITE ? "W" : "R", flags & VRING_DESC_F_NEXT ? " NEXT" : "",
		flags & VRING_DESC_F_INDIRECT ? " INDIRECT" : "");
	r_uint(row, "next", "next", le16toh(r->desc[d].next), NULL);
}

void vring_describe(const struct vring *r, struct rnode *o)
{
	struct rnode *a, *u, *t;

	r_uint(o, "queue", "Queue", r->index, NULL);
	r_uint(o, "size", "Size", r->size, NULL);
	r_str(o, "layout", "Layout", r->v->ops->legacy_ring ? "legacy" : "split");
	r_uint(o, "desc_addr", "Descriptor table", r->desc_bus, "0x%llx");
	r_uint(o, "driver_addr", "Driver area", r->avail_bus, "0x%llx");
	r_uint(o, "device_addr", "Device area", r->used_bus, "0x%llx");
	r_bool(o, "event_idx", "Event index", r->event_idx);
	r_uint(o, "msix_vector", "MSI-X vector", r->msix_vector, "0x%04x");
	r_bool(o, "broken", "Broken", r->broken);
	a = r_obj(o, "avail", "Avail ring");
	r_uint(a, "flags", "flags", le16toh(*(const uint16_t *)r->avail), "0x%x");
	r_uint(a, "idx", "idx", le16toh(*(const uint16_t *)(r->avail + 2)), NULL);
	r_uint(a, "used_event", "used_event",
	       le16toh(*(const uint16_t *)(r->avail + 4 + 2 * r->size)), NULL);
	u = r_obj(o, "used", "Used ring");
	r_uint(u, "flags", "flags", used_flags(r), "0x%x");
	r_uint(u, "idx", "idx", used_idx(r), NULL);
	r_uint(u, "avail_event", "avail_event", avail_event(r), NULL);
	r_uint(o, "last_used", "Last used seen", r->last_used, NULL);
	r_uint(o, "free_descriptors", "Free descriptors", r->num_free, NULL);
	r_uint(o, "in_flight", "Chains in flight", vring_in_flight(r), NULL);
	t = r_arr(o, "descriptors", "Descriptors in flight", RF_TABLE);
	for (uint16_t h = 0; h < r->size; h++)
		for (unsigned i = 0; r->chains[h].busy && i < r->chains[h].ndesc; i++)
			describe_desc(r, t, h, r->chains[h].descs[i]);
}
