/* The packed layout (virtio 1.3, 2.8): one descriptor ring that both
 * sides write, with wrap counters in the AVAIL (bit 7) and USED (bit 15)
 * flags, buffer ids, and two event suppression structures: the driver's
 * (driver area, read by the device) and the device's (device area).
 *
 * Slots from last_used to avail_idx hold what we made available in the
 * current lap of each slot: AVAIL = the wrap counter of that lap, USED =
 * its inverse. The device may change such a descriptor in one way only,
 * into a used one (AVAIL = USED = the wrap counter). Anything else at the
 * next slot we read is a device error, as are an id not in flight and a
 * length beyond the chain's writable bytes (checked in vring.c). */
#include "virtio/vring_impl.h"

#include <string.h>

#define PACKED_WRAP_BIT 15

struct pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

static struct pdesc *pdesc(const struct vring *r, uint16_t slot)
{
	return (struct pdesc *)(void *)(r->desc + 16 * (size_t)slot);
}

static uint16_t desc_flags(const struct vring *r, uint16_t slot)
{
	return vr_load16(r->desc + 16 * (size_t)slot + 14);
}

static uint16_t wrap_flags(bool wrap)
{
	return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

static int packed_alloc(struct vring *r, struct verr *e)
{
	const size_t len[3] = {16 * (size_t)r->size, 4, 4};
	const size_t align[3] = {16, 8, 8};

	for (unsigned i = 0; i < 3; i++) {
		if (dma_alloc(r->dma, len[i], align[i], &r->mem[i], e))
			return -1;
		r->nmem = i + 1;
	}
	r->desc = r->mem[0].va;
	r->driver = r->mem[1].va;
	r->device = r->mem[2].va;
	r->desc_bus = r->mem[0].bus;
	r->driver_bus = r->mem[1].bus;
	r->device_bus = r->mem[2].bus;
	return 0;
}

/* Both wrap counters start at 1 (2.8.1). Polled: interrupts disabled;
 * with a vector: every used buffer, or with EVENT_IDX the next slot. */
static void packed_init(struct vring *r)
{
	uint16_t flags = VRING_PACKED_EVENT_F_ENABLE;

	r->avail_wrap = r->used_wrap = true;
	r->kicked = 1u << PACKED_WRAP_BIT;
	if (r->msix_vector == VIRTIO_MSI_NO_VECTOR)
		flags = VRING_PACKED_EVENT_F_DISABLE;
	else if (r->event_idx)
		flags = VRING_PACKED_EVENT_F_DESC;
	vr_store16(r->driver, 1u << PACKED_WRAP_BIT);
	vr_store16(r->driver + 2, flags);
}

static void put_pdesc(struct pdesc *d, uint64_t addr, uint32_t len, uint16_t id)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(id);
}

/* Indirect entries are in order, without NEXT, their ids unused (2.8.19). */
static void packed_fill_table(struct vring *r, struct chain *c)
{
	struct pdesc *t = c->table.va;

	(void)r;
	for (uint16_t i = 0; i < c->npieces; i++) {
		put_pdesc(&t[i], c->pieces[i].m.bus, c->pieces[i].len, 0);
		t[i].flags = htole16(c->pieces[i].writable ? VRING_DESC_F_WRITE : 0);
	}
}

/* Writes the chain's slots; the head's flags go last, after a release
 * fence, so the device never sees a half-written chain (2.8.21). */
static void packed_publish(struct vring *r, uint16_t id, struct chain *c)
{
	uint16_t slot = r->avail_idx, head = slot, head_flags = 0;
	bool wrap = r->avail_wrap;

	for (uint16_t i = 0; i < c->nslots; i++) {
		uint16_t flags = wrap_flags(wrap);

		if (c->indirect) {
			put_pdesc(pdesc(r, slot), c->table.bus, 16 * (uint32_t)c->npieces, id);
			flags |= VRING_DESC_F_INDIRECT;
		} else {
			put_pdesc(pdesc(r, slot), c->pieces[i].m.bus, c->pieces[i].len, id);
			flags |= c->pieces[i].writable ? VRING_DESC_F_WRITE : 0;
			flags |= i + 1 < c->nslots ? VRING_DESC_F_NEXT : 0;
		}
		c->descs[i] = slot;
		if (i == 0)
			head_flags = flags;
		else
			pdesc(r, slot)->flags = htole16(flags);
		if (++slot == r->size) {
			slot = 0;
			wrap = !wrap;
		}
	}
	r->free_head = r->free_next[id];
	r->num_free = (uint16_t)(r->num_free - c->nslots);
	r->avail_idx = slot;
	r->avail_wrap = wrap;
	vr_store16(r->desc + 16 * (size_t)head + 14, head_flags);
}

static void packed_release(struct vring *r, uint16_t id, const struct chain *c)
{
	r->free_next[id] = r->free_head;
	r->free_head = id;
	r->num_free = (uint16_t)(r->num_free + c->nslots);
}

/* A slot with its wrap counter as one position on a line two laps long,
 * relative to the current avail lap, for vr_need_event(). */
static uint16_t linear(const struct vring *r, uint16_t off_wrap)
{
	uint16_t off = off_wrap & 0x7fff;
	bool wrap = off_wrap >> PACKED_WRAP_BIT;

	return wrap == r->avail_wrap ? off : (uint16_t)(off - r->size);
}

static bool packed_want_kick(const struct vring *r)
{
	uint16_t flags = vr_load16(r->device + 2), off_wrap = vr_load16(r->device);
	uint16_t now = r->avail_idx;

	if (flags == VRING_PACKED_EVENT_F_DISABLE)
		return false;
	/* DESC without EVENT_IDX, or a reserved value: notify (safe). */
	if (flags != VRING_PACKED_EVENT_F_DESC || !r->event_idx)
		return true;
	return vr_need_event(linear(r, off_wrap), now, linear(r, r->kicked));
}

static uint32_t packed_notify_data(const struct vring *r)
{
	return (uint32_t)r->avail_idx | (uint32_t)r->avail_wrap << PACKED_WRAP_BIT;
}

static void packed_kicked(struct vring *r)
{
	r->kicked = (uint16_t)(r->avail_idx | r->avail_wrap << PACKED_WRAP_BIT);
}

/* Something we made available is at last_used; it changed state. */
static bool packed_used_pending(const struct vring *r)
{
	uint16_t f = desc_flags(r, r->last_used), avail = wrap_flags(r->used_wrap);

	if (r->num_free == r->size)
		return false; /* stale slots of an earlier lap */
	return (f & (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED)) != avail;
}

static int packed_peek_used(struct vring *r, uint32_t *id, uint32_t *len, struct verr *e)
{
	const struct pdesc *d = pdesc(r, r->last_used);
	uint16_t f;
	bool a, u;

	/* The flags are read after the pending check, not before: the device
	 * may write the slot in between, and a value read before would judge
	 * a used descriptor by its available flags (found by bench/run on
	 * QEMU). Once pending, the slot stays as it is until we publish it
	 * again. */
	if (!packed_used_pending(r))
		return 0;
	f = desc_flags(r, r->last_used);
	a = f & VRING_PACKED_DESC_F_AVAIL;
	u = f & VRING_PACKED_DESC_F_USED;
	if (a != r->used_wrap || u != r->used_wrap)
		return verr_set(e, VX_DEVICE,
				"device error: descriptor %u has flags 0x%04x (AVAIL %d, USED "
				"%d), expected a used descriptor with wrap counter %d",
				r->last_used, f, a, u, r->used_wrap);
	/* desc_flags() was an acquire load: id and len are there. */
	*id = le16toh(__atomic_load_n(&d->id, __ATOMIC_RELAXED));
	*len = le32toh(__atomic_load_n(&d->len, __ATOMIC_RELAXED));
	return 1;
}

/* The device skips the chain's slots: its next used descriptor is past
 * all of them (2.8.7). */
static void packed_advance(struct vring *r, const struct chain *c)
{
	unsigned next = r->last_used + c->nslots;

	if (next >= r->size) {
		next -= r->size;
		r->used_wrap = !r->used_wrap;
	}
	r->last_used = (uint16_t)next;
}

static void packed_after_poll(struct vring *r)
{
	if (r->msix_vector != VIRTIO_MSI_NO_VECTOR && r->event_idx)
		vr_store16(r->driver, (uint16_t)(r->last_used | r->used_wrap << PACKED_WRAP_BIT));
}

static const char *event_flags_name(uint16_t f)
{
	switch (f) {
	case VRING_PACKED_EVENT_F_ENABLE:
		return "enable";
	case VRING_PACKED_EVENT_F_DISABLE:
		return "disable";
	case VRING_PACKED_EVENT_F_DESC:
		return "desc";
	default:
		return "reserved";
	}
}

/* struct pvirtq_event_suppress: off_wrap, then flags. */
static void describe_event(struct rnode *o, const char *key, const char *label, const uint8_t *p)
{
	struct rnode *ev = r_obj(o, key, label);
	uint16_t off_wrap = vr_load16(p), flags = vr_load16(p + 2);

	r_annot_str(r_uint(ev, "flags", "flags", flags, NULL), event_flags_name(flags));
	r_uint(ev, "off", "off", off_wrap & 0x7fff, NULL);
	r_uint(ev, "wrap", "wrap", off_wrap >> PACKED_WRAP_BIT, NULL);
}

static void describe_desc(struct rnode *t, uint16_t id, uint16_t slot, const struct pdesc *d,
			  bool in_table)
{
	struct rnode *row = r_obj(t, NULL, NULL);
	uint16_t f = le16toh(d->flags);

	r_uint(row, "id", "id", id, NULL);
	r_uint(row, "index", "desc", slot, NULL);
	r_bool(row, "in_indirect_table", "ind", in_table);
	r_uint(row, "addr", "addr", le64toh(d->addr), "0x%llx");
	r_uint(row, "len", "len", le32toh(d->len), NULL);
	r_annot(r_uint(row, "flags", "flags", f, "0x%x"), "%s%s%s%s%s",
		f & VRING_DESC_F_WRITE ? "W" : "R", f & VRING_DESC_F_NEXT ? " NEXT" : "",
		f & VRING_DESC_F_INDIRECT ? " INDIRECT" : "",
		f & VRING_PACKED_DESC_F_AVAIL ? " AVAIL" : "",
		f & VRING_PACKED_DESC_F_USED ? " USED" : "");
	r_uint(row, "buffer_id", "buf id", le16toh(d->id), NULL);
}

/* The slot the driver reads next, as the device left it: a stuck queue
 * shows here whether the device answered, and how. */
static const char *slot_state(const struct vring *r, uint16_t f)
{
	bool a = f & VRING_PACKED_DESC_F_AVAIL, u = f & VRING_PACKED_DESC_F_USED;

	if (r->num_free == r->size)
		return "nothing in flight";
	if (a == r->used_wrap && u != r->used_wrap)
		return "available (not used yet)";
	if (a == r->used_wrap && u == r->used_wrap)
		return "used";
	return "wrong wrap counter";
}

static void describe_next_used(const struct vring *r, struct rnode *o)
{
	struct rnode *n = r_obj(o, "next_used", "Descriptor at the next used slot");
	const struct pdesc *d = pdesc(r, r->last_used);
	uint16_t f = desc_flags(r, r->last_used);

	r_uint(n, "index", "slot", r->last_used, NULL);
	r_annot(r_uint(n, "flags", "flags", f, "0x%x"), "%s%s",
		f & VRING_PACKED_DESC_F_AVAIL ? "AVAIL" : "",
		f & VRING_PACKED_DESC_F_USED ? " USED" : "");
	r_uint(n, "buffer_id", "buffer id", le16toh(d->id), NULL);
	r_uint(n, "len", "len", le32toh(d->len), NULL);
	r_str(n, "state", "state", slot_state(r, f));
}

static void describe_chain(const struct vring *r, struct rnode *t, uint16_t id)
{
	const struct chain *c = &r->chains[id];

	for (unsigned i = 0; i < c->nslots; i++)
		describe_desc(t, id, c->descs[i], pdesc(r, c->descs[i]), false);
	for (uint16_t i = 0; c->indirect && i < c->npieces; i++)
		describe_desc(t, id, i, (const struct pdesc *)c->table.va + i, true);
}

static void packed_describe(const struct vring *r, struct rnode *o)
{
	struct rnode *t;

	describe_event(o, "driver_event", "Driver event suppression", r->driver);
	describe_event(o, "device_event", "Device event suppression", r->device);
	r_uint(o, "next_avail", "Next available slot", r->avail_idx, NULL);
	r_uint(o, "avail_wrap_counter", "Avail wrap counter", r->avail_wrap, NULL);
	r_uint(o, "last_used", "Next used slot", r->last_used, NULL);
	r_uint(o, "used_wrap_counter", "Used wrap counter", r->used_wrap, NULL);
	r_uint(o, "free_descriptors", "Free descriptors", r->num_free, NULL);
	r_uint(o, "in_flight", "Chains in flight", vring_in_flight(r), NULL);
	describe_next_used(r, o);
	t = r_arr(o, "descriptors", "Descriptors in flight", RF_TABLE);
	for (uint16_t id = 0; id < r->size; id++)
		if (r->chains[id].busy)
			describe_chain(r, t, id);
}

const struct vring_ops vring_packed_ops = {
	.name = "packed",
	.alloc = packed_alloc,
	.init = packed_init,
	.fill_table = packed_fill_table,
	.publish = packed_publish,
	.release = packed_release,
	.want_kick = packed_want_kick,
	.notify_data = packed_notify_data,
	.kicked = packed_kicked,
	.used_pending = packed_used_pending,
	.peek_used = packed_peek_used,
	.advance = packed_advance,
	.after_poll = packed_after_poll,
	.describe = packed_describe,
};
