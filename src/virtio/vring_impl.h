/* Internals of struct vring shared by the layout-independent code
 * (vring.c: chain bookkeeping, DMA buffers, used-side validation, waits)
 * and the two layouts behind struct vring_ops: split (vring_split.c,
 * virtio 1.3 2.7) and packed (vring_packed.c, 2.8). Nothing here lives in
 * memory the device can write: the shared rings are only written through
 * the ops, and read back only where the spec says the device answers. */
#ifndef VIRTIOCTL_VIRTIO_VRING_IMPL_H
#define VIRTIOCTL_VIRTIO_VRING_IMPL_H

#include <endian.h>

#include "virtio/vring.h"

/* One descriptor's buffer. Kept on our side: the descriptor table is
 * shared memory, and what we trust must not be readable back from it. */
struct piece {
	struct dma_mem m;
	uint32_t len;
	bool writable;
	bool borrowed; /* the caller's memory (vseg.mem): not ours to free */
};

/* A chain in flight, indexed by its id (split: the head descriptor;
 * packed: the buffer id). */
struct chain {
	bool busy;
	bool indirect;		/* the pieces are in `table`, one ring slot */
	uint16_t npieces;	/* buffers, in chain order */
	uint16_t nslots;	/* ring descriptors it occupies */
	uint32_t writable;	/* device-writable bytes in the chain */
	bool borrowed_writable; /* a writable piece is the caller's: no copy out */
	struct piece *pieces;	/* one per buffer */
	uint16_t *descs;	/* split, direct: the descriptor of each piece */
	struct dma_mem table;	/* the indirect descriptor table */
};

struct vring;

/* What differs between the layouts. Return conventions: 0 / -1 with e. */
struct vring_ops {
	const char *name;
	/* Ring memory into r->mem[], r->desc/driver/device and their bus
	 * addresses; then the initial suppression flags. */
	int (*alloc)(struct vring *r, struct verr *e);
	void (*init)(struct vring *r);
	/* Writes c's pieces into its indirect table (c->table, allocated). */
	void (*fill_table)(struct vring *r, struct chain *c);
	/* Writes the ring descriptors of chain `id` (taking them from the
	 * private free state) and makes it available to the device. */
	void (*publish)(struct vring *r, uint16_t id, struct chain *c);
	/* Gives the free state back when a chain completes. */
	void (*release)(struct vring *r, uint16_t id, const struct chain *c);
	/* Device asked to be notified of what was published since the last
	 * kick (event index or flags). */
	bool (*want_kick)(const struct vring *r);
	/* The NOTIFICATION_DATA payload (bits 16-31 of the notify value);
	 * then the kick position recorded. */
	uint32_t (*notify_data)(const struct vring *r);
	void (*kicked)(struct vring *r);
	/* Cheap: something may be on the used side (no validation). */
	bool (*used_pending)(const struct vring *r);
	/* The next used element: 1 with *id and *len, 0 when none, -1 on a
	 * device error (the caller marks the ring broken). */
	int (*peek_used)(struct vring *r, uint32_t *id, uint32_t *len, struct verr *e);
	/* Steps past the used element of chain c (just validated). */
	void (*advance)(struct vring *r, const struct chain *c);
	/* Interrupt suppression after a poll: none when polled, the next
	 * one with a vector. */
	void (*after_poll)(struct vring *r);
	/* Layout-specific part of vring_describe(). */
	void (*describe)(const struct vring *r, struct rnode *o);
};

extern const struct vring_ops vring_split_ops;
extern const struct vring_ops vring_packed_ops;

struct vring {
	struct vdev *v;
	struct dma *dma;
	const struct vring_ops *ops;
	unsigned index;
	uint16_t size;
	bool event_idx, indirect_ok, notification_data;
	bool broken;		/* the device broke the protocol: no more posts */
	enum vring_fault fault; /* how */
	uint16_t msix_vector;
	struct dma_mem mem[3];
	unsigned nmem;
	uint8_t *desc;	 /* descriptor table or ring */
	uint8_t *driver; /* split: avail ring; packed: driver event suppression */
	uint8_t *device; /* split: used ring; packed: device event suppression */
	uint64_t desc_bus, driver_bus, device_bus;
	/* Free state, private (the device can write the rings, and our
	 * bookkeeping must not trust them). split: a list of descriptors,
	 * num_free of them; packed: a list of buffer ids, and num_free ring
	 * slots. */
	uint16_t *free_next;
	uint16_t free_head, num_free;
	struct chain *chains;
	struct vq_notify_loc nloc;
	/* split: avail_idx, kicked (avail idx at the last kick), last_used
	 * are free-running indices. packed: next_avail and last_used are
	 * slots with their wrap counters; kicked is the slot of the last kick
	 * with its wrap counter in bit 15. */
	uint16_t avail_idx, kicked, last_used;
	bool avail_wrap, used_wrap;
	struct vring_spin spin; /* how waits spin and back off */
	struct vring_wait_stats wstats;
};

/* Little-endian shared fields, read with acquire and written with
 * release: the device runs concurrently. */
static inline uint16_t vr_load16(const uint8_t *p)
{
	uint16_t v;

	v = __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
	return le16toh(v);
}

static inline void vr_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

/* vring_need_event() of the spec (2.7.10): true when `event` is among
 * the entries from old (inclusive) to new (exclusive). */
static inline bool vr_need_event(uint16_t event, uint16_t now, uint16_t old)
{
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

#endif
