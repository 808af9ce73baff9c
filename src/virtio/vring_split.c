/* The split layout (virtio 1.3, 2.7): a descriptor table, the avail ring
 * (driver area) and the used ring (device area). */
#include "virtio/vring_impl.h"

#include <string.h>

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct vring_desc *descs(const struct vring *r)
{
	return (struct vring_desc *)(void *)r->desc;
}

static uint8_t *avail_ring(const struct vring *r, uint16_t slot)
{
	return r->driver + 4 + 2 * (size_t)slot;
}

static uint8_t *used_event(const struct vring *r)
{
	return r->driver + 4 + 2 * (size_t)r->size;
}

static uint16_t used_flags(const struct vring *r)
{
	return vr_load16(r->device);
}

static uint16_t used_idx(const struct vring *r)
{
	return vr_load16(r->device + 2);
}

static const uint8_t *used_elem(const struct vring *r, uint16_t slot)
{
	return r->device + 4 + 8 * (size_t)slot;
}

static uint16_t avail_event(const struct vring *r)
{
	return vr_load16(r->device + 4 + 8 * (size_t)r->size);
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

static void set_areas(struct vring *r, uint8_t *desc, uint8_t *avail, uint8_t *used,
		      uint64_t desc_bus, uint64_t avail_bus, uint64_t used_bus)
{
	r->desc = desc;
	r->driver = avail;
	r->device = used;
	r->desc_bus = desc_bus;
	r->driver_bus = avail_bus;
	r->device_bus = used_bus;
}

/* The legacy layout: one block, used ring at the next 4096 boundary. */
static int alloc_legacy(struct vring *r, struct verr *e)
{
	size_t used_off = align_up(16 * (size_t)r->size + avail_bytes(r->size), VRING_PAGE);
	uint8_t *va;

	if (dma_alloc(r->dma, used_off + used_bytes(r->size), VRING_PAGE, &r->mem[0], e))
		return -1;
	r->nmem = 1;
	va = r->mem[0].va;
	set_areas(r, va, va + 16 * (size_t)r->size, va + used_off, r->mem[0].bus,
		  r->mem[0].bus + 16 * (size_t)r->size, r->mem[0].bus + used_off);
	return 0;
}

/* The 1.x layout: three parts with their own alignment (16, 2, 4). */
static int split_alloc(struct vring *r, struct verr *e)
{
	const size_t len[3] = {16 * (size_t)r->size, avail_bytes(r->size), used_bytes(r->size)};
	const size_t align[3] = {16, 8, 8};

	if (r->v->ops->legacy_ring)
		return alloc_legacy(r, e);
	for (unsigned i = 0; i < 3; i++) {
		if (dma_alloc(r->dma, len[i], align[i], &r->mem[i], e))
			return -1;
		r->nmem = i + 1;
	}
	set_areas(r, r->mem[0].va, r->mem[1].va, r->mem[2].va, r->mem[0].bus, r->mem[1].bus,
		  r->mem[2].bus);
	return 0;
}

/* Polled: ask for no interrupts (with EVENT_IDX, used_event trails).
 * With a vector: one interrupt per used buffer. */
static void split_init(struct vring *r)
{
	if (r->msix_vector == VIRTIO_MSI_NO_VECTOR) {
		vr_store16(r->driver, VRING_AVAIL_F_NO_INTERRUPT);
		vr_store16(used_event(r), 0xffff);
	}
}

static void put_desc(struct vring_desc *d, const struct piece *p, uint16_t flags, uint16_t next)
{
	d->addr = htole64(p->m.bus);
	d->len = htole32(p->len);
	d->flags = htole16((uint16_t)(flags | (p->writable ? VRING_DESC_F_WRITE : 0)));
	d->next = htole16(next);
}

/* The table links entry i to i + 1 (2.7.5.3). */
static void split_fill_table(struct vring *r, struct chain *c)
{
	struct vring_desc *t = c->table.va;

	(void)r;
	for (uint16_t i = 0; i < c->npieces; i++)
		put_desc(&t[i], &c->pieces[i], i + 1 < c->npieces ? VRING_DESC_F_NEXT : 0,
			 i + 1 < c->npieces ? (uint16_t)(i + 1) : 0);
}

/* Descriptors come off the private free list in order; the chain's
 * record keeps which ones, so release never reads the shared table. */
static void split_publish(struct vring *r, uint16_t id, struct chain *c)
{
	uint16_t d = id;

	if (c->indirect) {
		struct piece table = {c->table, 16 * (uint32_t)c->npieces, false, false};

		put_desc(&descs(r)[d], &table, VRING_DESC_F_INDIRECT, 0);
		c->descs[0] = d;
		d = r->free_next[d];
	} else {
		for (uint16_t i = 0; i < c->npieces; i++) {
			uint16_t next = r->free_next[d];
			bool more = i + 1 < c->npieces;

			c->descs[i] = d;
			put_desc(&descs(r)[d], &c->pieces[i], more ? VRING_DESC_F_NEXT : 0,
				 more ? next : 0);
			d = next;
		}
	}
	r->free_head = d;
	r->num_free = (uint16_t)(r->num_free - c->nslots);
	vr_store16(avail_ring(r, r->avail_idx % r->size), id);
	r->avail_idx++;
	/* The device must see the ring entry before the index (release). */
	vr_store16(r->driver + 2, r->avail_idx);
}

static void split_release(struct vring *r, uint16_t id, const struct chain *c)
{
	for (unsigned i = 0; i < c->nslots; i++)
		r->free_next[c->descs[i]] = i + 1 < c->nslots ? c->descs[i + 1] : r->free_head;
	r->free_head = id;
	r->num_free = (uint16_t)(r->num_free + c->nslots);
}

static bool split_want_kick(const struct vring *r)
{
	if (r->event_idx)
		return vr_need_event(avail_event(r), r->avail_idx, r->kicked);
	return !(used_flags(r) & VRING_USED_F_NO_NOTIFY);
}

static uint32_t split_notify_data(const struct vring *r)
{
	return r->avail_idx;
}

static void split_kicked(struct vring *r)
{
	r->kicked = r->avail_idx;
}

static bool split_used_pending(const struct vring *r)
{
	return used_idx(r) != r->last_used;
}

static int split_peek_used(struct vring *r, uint32_t *id, uint32_t *len, struct verr *e)
{
	uint16_t idx = used_idx(r), pending = (uint16_t)(idx - r->last_used);
	const uint8_t *el;

	if (pending > r->size)
		return verr_set(e, VX_DEVICE,
				"device error: used index jumped from %u to %u, more than the "
				"%u-entry ring",
				r->last_used, idx, r->size);
	if (pending == 0)
		return 0;
	/* used_idx() was an acquire load: the element is there. */
	el = used_elem(r, r->last_used % r->size);
	memcpy(id, el, 4);
	memcpy(len, el + 4, 4);
	*id = le32toh(*id);
	*len = le32toh(*len);
	return 1;
}

static void split_advance(struct vring *r, const struct chain *c)
{
	(void)c;
	r->last_used++;
}

/* Polled: keep used_event behind us so the device has no reason to
 * interrupt; with a vector: ask for the next one. */
static void split_after_poll(struct vring *r)
{
	vr_store16(used_event(r),
		   (uint16_t)(r->last_used - (r->msix_vector == VIRTIO_MSI_NO_VECTOR)));
}

static void describe_desc(struct rnode *t, uint16_t head, uint16_t d, const struct vring_desc *dp,
			  bool in_table)
{
	struct rnode *row = r_obj(t, NULL, NULL);
	uint16_t flags = le16toh(dp->flags);

	r_uint(row, "head", "head", head, NULL);
	r_uint(row, "index", "desc", d, NULL);
	r_bool(row, "in_indirect_table", "ind", in_table);
	r_uint(row, "addr", "addr", le64toh(dp->addr), "0x%llx");
	r_uint(row, "len", "len", le32toh(dp->len), NULL);
	r_annot(r_uint(row, "flags", "flags", flags, "0x%x"), "%s%s%s",
		flags & VRING_DESC_F_WRITE ? "W" : "R", flags & VRING_DESC_F_NEXT ? " NEXT" : "",
		flags & VRING_DESC_F_INDIRECT ? " INDIRECT" : "");
	r_uint(row, "next", "next", le16toh(dp->next), NULL);
}

static void describe_chain(const struct vring *r, struct rnode *t, uint16_t h)
{
	const struct chain *c = &r->chains[h];

	for (unsigned i = 0; i < c->nslots; i++)
		describe_desc(t, h, c->descs[i], &descs(r)[c->descs[i]], false);
	/* Our own table (we wrote it; the device only reads it). */
	for (uint16_t i = 0; c->indirect && i < c->npieces; i++)
		describe_desc(t, h, i, (const struct vring_desc *)c->table.va + i, true);
}

static void split_describe(const struct vring *r, struct rnode *o)
{
	struct rnode *a, *u, *t;

	a = r_obj(o, "avail", "Avail ring");
	r_uint(a, "flags", "flags", vr_load16(r->driver), "0x%x");
	r_uint(a, "idx", "idx", vr_load16(r->driver + 2), NULL);
	r_uint(a, "used_event", "used_event", vr_load16(used_event(r)), NULL);
	u = r_obj(o, "used", "Used ring");
	r_uint(u, "flags", "flags", used_flags(r), "0x%x");
	r_uint(u, "idx", "idx", used_idx(r), NULL);
	r_uint(u, "avail_event", "avail_event", avail_event(r), NULL);
	r_uint(o, "last_used", "Last used seen", r->last_used, NULL);
	r_uint(o, "free_descriptors", "Free descriptors", r->num_free, NULL);
	r_uint(o, "in_flight", "Chains in flight", vring_in_flight(r), NULL);
	t = r_arr(o, "descriptors", "Descriptors in flight", RF_TABLE);
	for (uint16_t h = 0; h < r->size; h++)
		if (r->chains[h].busy)
			describe_chain(r, t, h);
}

const struct vring_ops vring_split_ops = {
	.name = "split",
	.alloc = split_alloc,
	.init = split_init,
	.fill_table = split_fill_table,
	.publish = split_publish,
	.release = split_release,
	.want_kick = split_want_kick,
	.notify_data = split_notify_data,
	.kicked = split_kicked,
	.used_pending = split_used_pending,
	.peek_used = split_peek_used,
	.advance = split_advance,
	.after_poll = split_after_poll,
	.describe = split_describe,
};
