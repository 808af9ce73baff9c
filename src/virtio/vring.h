/* A virtqueue driven by virtioctl, split (virtio 1.3, 2.7) or packed
 * (2.8) as negotiated: ring memory in DMA-able buffers, chains posted from
 * user-given segments (directly or through an indirect table), used
 * elements polled and validated. Nothing the device writes is trusted: a
 * used id not in flight, a length beyond the chain's writable bytes, an
 * index that jumps further than the ring or a packed descriptor with the
 * wrong wrap counter is a device error, and the ring is then broken. */
#ifndef VIRTIOCTL_VIRTIO_VRING_H
#define VIRTIOCTL_VIRTIO_VRING_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "format/report.h"
#include "dma/dma.h"
#include "virtio/vdev.h"

enum {
	VRING_DESC_F_NEXT = 1,
	VRING_DESC_F_WRITE = 2,
	VRING_DESC_F_INDIRECT = 4,
	VRING_AVAIL_F_NO_INTERRUPT = 1,
	VRING_USED_F_NO_NOTIFY = 1,
	/* Packed descriptor flags (2.8.1) and event suppression (2.8.10). */
	VRING_PACKED_DESC_F_AVAIL = 1 << 7,
	VRING_PACKED_DESC_F_USED = 1 << 15,
	VRING_PACKED_EVENT_F_ENABLE = 0,
	VRING_PACKED_EVENT_F_DISABLE = 1,
	VRING_PACKED_EVENT_F_DESC = 2,
};

/* vring_post_flags(): put the chain in an indirect descriptor table
 * (needs VIRTIO_F_INDIRECT_DESC negotiated). */
#define VRING_POST_INDIRECT 1u

#define VRING_DEFAULT_SIZE 256 /* a 256-entry descriptor table is one 4 KiB page */
#define VRING_MAX_SEGS	   64
#define VRING_PAGE	   4096u

/* One buffer of a chain: device-readable bytes, or `len` device-writable
 * bytes (data ignored). */
struct vseg {
	bool writable;
	const uint8_t *data;
	uint32_t len;
};

/* A completed chain as the device returned it. */
struct vused {
	uint16_t id;
	uint32_t len;
	/* The first len bytes of the writable buffers (malloc'd); NULL when a
	 * writable buffer was the caller's (vseg.mem): the caller reads its
	 * own memory, len bytes in chain order. */
	uint8_t *data;
};

struct vring;

/* Why a ring stopped taking work after a device error (vring_fault). */
enum vring_fault {
	VRING_FAULT_NONE,
	VRING_FAULT_USED_ID,  /* a used id that is not a chain in flight */
	VRING_FAULT_USED_LEN, /* a used len beyond the chain's writable bytes */
	VRING_FAULT_USED_IDX, /* used idx ran ahead of the ring (packed: a bad used descriptor) */
};

/* Ring layouts, for choosing one (the CLI's --ring): the word of each. */
enum vring_layout { VRING_SPLIT, VRING_PACKED, VRING_LAYOUT_COUNT };
const char *vring_layout_word(unsigned layout); /* NULL past the end */

/* Allocates the ring, programs the queue and enables it. size 0 means
 * min(device maximum, VRING_DEFAULT_SIZE). `features` are the negotiated
 * ones: the layout is packed when they hold VIRTIO_F_RING_PACKED, split
 * otherwise; INDIRECT_DESC, EVENT_IDX and NOTIFICATION_DATA are used when
 * present. With msix_vector
 * VIRTIO_MSI_NO_VECTOR the ring asks for no interrupts and is polled;
 * with a vector it asks for one per used buffer. */
int vring_create(struct vdev *v, struct dma *dma, unsigned q, uint16_t size, uint64_t features,
		 uint16_t msix_vector, struct vring **out, struct verr *e);
uint16_t vring_msix_vector(const struct vring *r);

/* How vring_poll() waits when nothing is used yet, one mechanism for
 * `poll`, `selftest` and `bench`: `spins` empty looks at the used side,
 * then a back-off before every further look:
 *  - sleep: nanosleep(sleep_us): the CPU (in a guest: the vCPU, halted)
 *    is left to others, such as the thread emulating the device; the
 *    completion is seen when the sleep ends;
 *  - yield: sched_yield(): the CPU goes to another runnable thread of
 *    this system, if any; none: straight back to looking;
 *  - pause: the CPU's spin-wait hint (x86 PAUSE) between looks;
 *  - none: keep looking (pure busy polling).
 * A waiter (vring_wait_fn) replaces the back-off: it blocks on an
 * interrupt. */
enum vring_backoff {
	VRING_BACKOFF_SLEEP,
	VRING_BACKOFF_YIELD,
	VRING_BACKOFF_PAUSE,
	VRING_BACKOFF_NONE,
	VRING_BACKOFF_COUNT
};
const char *vring_backoff_word(unsigned backoff); /* NULL past the end */

struct vring_spin {
	uint32_t spins; /* empty looks before backing off */
	enum vring_backoff backoff;
	uint32_t sleep_us; /* VRING_BACKOFF_SLEEP: each sleep */
};

/* What `poll` and `selftest` do unless told: 2000 looks (a TCG round trip
 * outlasts them), then 20 us sleeps, so that a wait of minutes does not
 * burn a CPU. */
#define VRING_SPINS_DEFAULT    2000u
#define VRING_SLEEP_US_DEFAULT 20u

/* What the wait does before the next look, after `empty` empty looks in
 * this wait. */
enum vring_wait_step { VRING_STEP_LOOK, VRING_STEP_PAUSE, VRING_STEP_YIELD, VRING_STEP_SLEEP };
enum vring_wait_step vring_spin_step(const struct vring_spin *s, uint64_t empty);

/* What the waits of a ring did since it was created (or the counters were
 * cleared): empty looks, back-offs of each kind, and waits (polls that
 * found nothing used at first). */
struct vring_wait_stats {
	uint64_t waits, empty_looks, pauses, yields, sleeps;
};

/* A waiter blocks on an interrupt (e.g. an MSI-X eventfd) and returns when
 * one came or timeout_ms passed. */
typedef int vring_wait_fn(void *ctx, int timeout_ms);
/* Frees everything. Only after the device was reset and the reset seen. */
void vring_destroy(struct vring *r);

unsigned vring_index(const struct vring *r);
enum vring_fault vring_fault(const struct vring *r);
uint16_t vring_size(const struct vring *r);
bool vring_is_packed(const struct vring *r);
unsigned vring_in_flight(const struct vring *r);
/* The ring's spin budget and back-off (VRING_SPINS_DEFAULT and sleep until
 * set). */
void vring_set_spin(struct vring *r, const struct vring_spin *s);
void vring_get_wait_stats(const struct vring *r, struct vring_wait_stats *out);
void vring_clear_wait_stats(struct vring *r);

/* Adds one chain and publishes it in the avail ring (no notification). */
int vring_post(struct vring *r, const struct vseg *segs, unsigned n, uint16_t *head,
	       struct verr *e);
/* The same with VRING_POST_* flags. */
int vring_post_flags(struct vring *r, const struct vseg *segs, unsigned n, unsigned flags,
		     uint16_t *head, struct verr *e);
/* The same with the caller's DMA buffers: segment i is the first
 * segs[i].len bytes of mems[i] (len <= mems[i]->len; data ignored), given
 * to the device as it is: nothing copied in or out, never freed by the
 * ring. The caller keeps the memory, changed by no one but the device,
 * until the chain is used or the device reset: what a driver that reuses
 * its buffers does (bench). The used element's data is then NULL. */
int vring_post_mem(struct vring *r, const struct vseg *segs, const struct dma_mem *const *mems,
		   unsigned n, uint16_t *head, struct verr *e);
/* Notifies the device. *suppressed says the device had asked not to be
 * notified (we notify anyway: the user asked). */
int vring_kick(struct vring *r, bool *suppressed, struct verr *e);
/* Notifies the device only when it asked to be (the used ring's flags,
 * avail_event with EVENT_IDX, or the packed device event suppression);
 * *notified says whether it was. */
int vring_kick_needed(struct vring *r, bool *notified, struct verr *e);
/* Waits up to timeout_ms for up to `max` used elements; VX_TIMEOUT when
 * none came, VX_FAIL "interrupted" when *cancel became set. */
int vring_poll(struct vring *r, struct vused *out, unsigned max, unsigned *n, int timeout_ms,
	       const volatile sig_atomic_t *cancel, struct verr *e);
/* The same, waiting with `wait` (NULL: the ring's spin budget and
 * back-off). */
int vring_poll_wait(struct vring *r, struct vused *out, unsigned max, unsigned *n, int timeout_ms,
		    const volatile sig_atomic_t *cancel, vring_wait_fn *wait, void *ctx,
		    struct verr *e);
void vused_free(struct vused *u, unsigned n);

/* Decodes the ring into a report: indices, flags, event fields,
 * descriptor chains, what is in flight. */
void vring_describe(const struct vring *r, struct rnode *out);

#endif
