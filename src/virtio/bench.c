#include "virtio/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio/features.h"
#include "virtio/ids.h"
#include "virtio/selftest_impl.h"

#define BENCH_BLOCK	    4096u
#define BENCH_BLOCK_SECTORS (BENCH_BLOCK / 512u)
#define BENCH_SPAN_SECTORS  2048u /* reads cycle through the first 1 MiB */
#define BENCH_ENTROPY	    64u	  /* virtio_rng's buffer: SMP_CACHE_BYTES on x86-64 */
#define BENCH_FRAME	    60u	  /* a minimum Ethernet frame, without FCS */
#define BENCH_NET_HDR_MAX   12u
#define BENCH_NET_TX_Q	    1u
#define BENCH_POLL_MAX	    32u
#define VIRTIO_BLK_S_OK	    0

/* What a workload's requests need to know about the device. */
struct bctx {
	uint64_t span; /* block, SCSI: bytes the reads cycle through */
	struct st_scsi_geom scsi;
	unsigned net_hdr; /* virtio_net_hdr: 12 with VERSION_1, 10 without */
	uint8_t mac[6];
};

/* One request's readable bytes (block header, SCSI request, net header
 * and frame). */
struct reqbuf {
	uint8_t b[ST_SCSI_REQ_FIXED + 256 + BENCH_NET_HDR_MAX + BENCH_FRAME];
};

struct workload {
	const char *name;
	int type; /* device type */
	unsigned depth;
	/* Builds the n-th request into segs (readable bytes in *buf); returns
	 * the segment count. */
	unsigned (*build)(const struct bctx *c, uint64_t n, struct reqbuf *buf, struct vseg *segs);
	/* Checks a completed request whose buffers are seg[] (the device
	 * wrote u->len bytes into the writable ones, in order); *bytes: what
	 * it counts as moved. */
	int (*check)(const struct bctx *c, const struct vused *u, const struct dma_mem *seg,
		     uint64_t *bytes, struct verr *e);
	unsigned descs; /* descriptors per request */
	/* The device, not the driver, is the bottleneck (many requests in
	 * flight, each cheap to post): unless told otherwise, wait with
	 * bench_device_bound_spin, which leaves the CPU to the device. */
	bool device_bound;
};

/* Measured for net-tx-60-qd128 (docs/performance.md): with 128 frames in
 * flight a polling vCPU takes host CPU from QEMU's transmit path. */
static const struct vring_spin bench_device_bound_spin = {20, VRING_BACKOFF_SLEEP, 1};

/* One request's DMA buffers, allocated once and reused by every request
 * that takes the slot (as a kernel driver reuses its buffers): no
 * allocation, copy of device-written data or free per request. */
struct slot {
	struct dma_mem seg[3];
	unsigned nseg;
};

/* The slots of a workload: `depth` of them, a free list, and which slot
 * each chain in flight (by id) uses. */
struct slots {
	struct slot *s;
	unsigned n, nfree;
	uint16_t *free;	 /* slot numbers */
	uint16_t *of_id; /* chain id -> slot */
	uint16_t ring_size;
};

struct tally {
	unsigned depth; /* requests kept in flight */
	uint64_t ops, bytes;
	uint64_t kicks, kicks_suppressed; /* notifications sent, and not needed */
	struct vring_wait_stats waits;
	struct vring_spin spin; /* the budget the workload ran with */
	double seconds;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- entropy: BENCH_ENTROPY-byte device-writable buffers ---- */

static unsigned entropy_build(const struct bctx *c, uint64_t n, struct reqbuf *buf,
			      struct vseg *segs)
{
	(void)c, (void)n, (void)buf;
	segs[0] = (struct vseg){true, NULL, BENCH_ENTROPY};
	return 1;
}

/* The device may return fewer bytes than asked (5.4.6.1), but some. */
static int entropy_check(const struct bctx *c, const struct vused *u, const struct dma_mem *seg,
			 uint64_t *bytes, struct verr *e)
{
	(void)seg;
	(void)c;
	if (u->len == 0)
		return verr_set(e, VX_DEVICE, "entropy request: used len 0");
	*bytes = u->len;
	return 0;
}

/* ---- block: 4 KiB reads, header + data + status ---- */

/* The n-th read: sector n * 8 modulo the span (a multiple of 8). */
static unsigned block_build(const struct bctx *c, uint64_t n, struct reqbuf *buf, struct vseg *segs)
{
	uint64_t sector = n * BENCH_BLOCK_SECTORS % (c->span / 512);

	memset(buf->b, 0, 16);
	st_put_le(buf->b + 8, 8, sector);
	segs[0] = (struct vseg){false, buf->b, 16};
	segs[1] = (struct vseg){true, NULL, BENCH_BLOCK};
	segs[2] = (struct vseg){true, NULL, 1};
	return 3;
}

/* A block read counts only when the device says it succeeded: all 4096
 * data bytes and the status byte written, status VIRTIO_BLK_S_OK. */
static int block_check(const struct bctx *c, const struct vused *u, const struct dma_mem *seg,
		       uint64_t *bytes, struct verr *e)
{
	const volatile uint8_t *status = seg[2].va;

	(void)c;
	if (u->len != BENCH_BLOCK + 1)
		return verr_set(e, VX_DEVICE,
				"block read: used len %u, expected %u data bytes + "
				"status",
				u->len, BENCH_BLOCK);
	if (*status != VIRTIO_BLK_S_OK)
		return verr_set(e, VX_DEVICE,
				"block read: request status %u (0 is VIRTIO_BLK_S_OK)", *status);
	*bytes = BENCH_BLOCK;
	return 0;
}

/* ---- SCSI: READ(10) of 4 KiB, request + response + data ---- */

static unsigned scsi_build(const struct bctx *c, uint64_t n, struct reqbuf *buf, struct vseg *segs)
{
	uint64_t off = n * BENCH_BLOCK % c->span;

	st_scsi_read10(&c->scsi, c->scsi.tag + 1 + n, (uint32_t)(off / c->scsi.block),
		       (uint16_t)(BENCH_BLOCK / c->scsi.block), buf->b);
	segs[0] = (struct vseg){false, buf->b, ST_SCSI_REQ_FIXED + c->scsi.cdb_size};
	segs[1] = (struct vseg){true, NULL, ST_SCSI_RESP_FIXED + c->scsi.sense_size};
	segs[2] = (struct vseg){true, NULL, BENCH_BLOCK};
	return 3;
}

/* Counts only a READ(10) that came back VIRTIO_SCSI_S_OK, GOOD, with all
 * 4096 bytes (no residual) and the used len to match. */
static int scsi_check(const struct bctx *c, const struct vused *u, const struct dma_mem *seg,
		      uint64_t *bytes, struct verr *e)
{
	uint32_t want = ST_SCSI_RESP_FIXED + c->scsi.sense_size + BENCH_BLOCK;
	struct vused resp = {u->id, u->len, seg[1].va}; /* the response, then the data */

	if (st_scsi_check(&c->scsi, &resp, BENCH_BLOCK, e))
		return -1;
	if (u->len != want)
		return verr_set(e, VX_DEVICE, "READ(10): used len %u, expected %u", u->len, want);
	*bytes = BENCH_BLOCK;
	return 0;
}

/* ---- net: transmitted frames, virtio_net_hdr + frame in one buffer ---- */

/* A broadcast frame from a locally administered MAC, EtherType 0x88b5 (local
 * experimental), the frame number in its payload; no offloads in the
 * header. One descriptor: VERSION_1 implies ANY_LAYOUT. */
static unsigned net_build(const struct bctx *c, uint64_t n, struct reqbuf *buf, struct vseg *segs)
{
	uint8_t *f = buf->b + c->net_hdr;

	memset(buf->b, 0, c->net_hdr + BENCH_FRAME);
	memset(f, 0xff, 6);
	memcpy(f + 6, c->mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, "virtioctl bench", 15);
	st_put_le(f + 32, 8, n);
	segs[0] = (struct vseg){false, buf->b, c->net_hdr + BENCH_FRAME};
	return 1;
}

/* A transmit chain has no writable bytes: the ring already refused a
 * used len beyond 0. */
static int net_check(const struct bctx *c, const struct vused *u, const struct dma_mem *seg,
		     uint64_t *bytes, struct verr *e)
{
	(void)seg;
	(void)c, (void)u, (void)e;
	*bytes = BENCH_FRAME;
	return 0;
}

static const struct workload loads[] = {
	{"entropy-64", VIRTIO_DEV_ENTROPY, 1, entropy_build, entropy_check, 1, false},
	{"entropy-64-qd32", VIRTIO_DEV_ENTROPY, 32, entropy_build, entropy_check, 1, false},
	{"read-4k-qd1", VIRTIO_DEV_BLOCK, 1, block_build, block_check, 3, false},
	{"read-4k-qd32", VIRTIO_DEV_BLOCK, 32, block_build, block_check, 3, false},
	{"scsi-read-4k-qd1", VIRTIO_DEV_SCSI, 1, scsi_build, scsi_check, 3, false},
	{"scsi-read-4k-qd32", VIRTIO_DEV_SCSI, 32, scsi_build, scsi_check, 3, false},
	{"net-tx-60-qd128", VIRTIO_DEV_NET, 128, net_build, net_check, 1, true},
};

_Static_assert(sizeof(loads) / sizeof(loads[0]) == BENCH_WORKLOADS, "BENCH_WORKLOADS");

const char *bench_workload_name(unsigned i)
{
	return i < BENCH_WORKLOADS ? loads[i].name : NULL;
}

/* --workload names one of another type's workloads: say which are the
 * device's own. */
static int foreign_workload(int type, unsigned i, struct verr *e)
{
	char names[160] = "";
	size_t len = 0;

	for (unsigned j = 0; j < BENCH_WORKLOADS && len < sizeof(names); j++)
		if (loads[j].type == type)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						len ? ", " : "", loads[j].name);
	return verr_set(e, VX_USAGE, "workload %s is not one of this %s device's: %s",
			loads[i].name, virtio_type_name((unsigned)type), names);
}

static void slots_free(struct dma *dma, struct slots *sl)
{
	for (unsigned i = 0; sl->s && i < sl->n; i++)
		for (unsigned j = 0; j < sl->s[i].nseg; j++)
			dma_free(dma, &sl->s[i].seg[j]);
	free(sl->s);
	free(sl->free);
	free(sl->of_id);
	*sl = (struct slots){0};
}

static int slots_new(struct slots *sl, unsigned depth, uint16_t ring_size, struct verr *e)
{
	*sl = (struct slots){.n = depth, .nfree = depth, .ring_size = ring_size};
	sl->s = calloc(depth, sizeof(*sl->s));
	sl->free = calloc(depth, sizeof(*sl->free));
	sl->of_id = calloc(ring_size, sizeof(*sl->of_id));
	if (!sl->s || !sl->free || !sl->of_id)
		return verr_set(e, VX_FAIL, "out of memory");
	for (unsigned i = 0; i < depth; i++)
		sl->free[i] = (uint16_t)(depth - 1 - i);
	return 0;
}

/* The slot's buffers, the first time it is used: a workload's segments
 * have the same lengths in every request. */
static int slot_fill(struct dma *dma, struct slot *sl, const struct vseg *segs, unsigned n,
		     struct verr *e)
{
	for (; sl->nseg < n; sl->nseg++) {
		uint32_t len = segs[sl->nseg].len;

		if (dma_alloc(dma, len, len == VRING_PAGE ? VRING_PAGE : 8, &sl->seg[sl->nseg], e))
			return -1;
	}
	return 0;
}

/* The n-th request, in a free slot's buffers (readable bytes copied in). */
static int post_one(struct st *t, struct vring *r, const struct workload *w, const struct bctx *c,
		    struct slots *sl, uint64_t n, struct verr *e)
{
	struct reqbuf buf;
	struct vseg segs[3];
	const struct dma_mem *mems[3];
	unsigned nseg = w->build(c, n, &buf, segs), k;
	struct slot *slot;
	uint16_t head;

	if (sl->nfree == 0)
		return verr_set(e, VX_FAIL, "internal: no free request slot");
	k = sl->free[sl->nfree - 1];
	slot = &sl->s[k];
	if (slot_fill(t->dma, slot, segs, nseg, e))
		return -1;
	for (unsigned i = 0; i < nseg; i++) {
		if (!segs[i].writable && segs[i].data)
			memcpy(slot->seg[i].va, segs[i].data, segs[i].len);
		/* What the checks read (block status, SCSI response) must be
		 * this request's: the last one's answer is overwritten with a
		 * value no success has. */
		else if (segs[i].writable && segs[i].len < BENCH_BLOCK)
			memset(slot->seg[i].va, 0xff, segs[i].len);
		mems[i] = &slot->seg[i];
	}
	if (vring_post_mem(r, segs, mems, nseg, &head, e))
		return -1;
	if (head >= sl->ring_size)
		return verr_set(e, VX_FAIL, "internal: chain id %u past the ring", head);
	sl->nfree--;
	sl->of_id[head] = (uint16_t)k;
	return 0;
}

/* Notifies only when the device asked for it (EVENT_IDX or flags): the
 * benchmark should not pay for notifications a busy device ignores. */
static int kick(struct vring *r, struct tally *t, struct verr *e)
{
	bool notified;

	if (vring_kick_needed(r, &notified, e))
		return -1;
	*(notified ? &t->kicks : &t->kicks_suppressed) += 1;
	return 0;
}

/* Takes what completed, checks and counts it; refills up to the depth
 * while the time lasts (one notification for the batch). */
static int reap(struct st *t, struct vring *r, const struct workload *w, const struct bctx *c,
		struct slots *sl, struct tally *tl, struct verr *e)
{
	struct vused u[BENCH_POLL_MAX];
	unsigned n;
	int rc = 0;

	if (vring_poll(r, u, BENCH_POLL_MAX, &n, t->o->timeout_ms, t->o->cancel, e))
		return -1;
	for (unsigned i = 0; rc == 0 && i < n; i++) {
		uint64_t bytes = 0;
		uint16_t k = sl->of_id[u[i].id]; /* the ring validated the id */

		rc = w->check(c, &u[i], sl->s[k].seg, &bytes, e);
		tl->bytes += bytes;
		sl->free[sl->nfree++] = k;
	}
	vused_free(u, n);
	tl->ops += rc ? 0 : n;
	return rc;
}

/* Keeps the depth in flight until the time is up, then drains. A ring
 * too small for the workload's depth runs at the depth it holds, and the
 * report says so. */
static int run_workload(struct st *t, struct vring *r, const struct workload *w,
			const struct bctx *c, unsigned duration_ms, struct slots *sl,
			struct tally *tl, struct verr *e)
{
	double t0, end;
	unsigned fits = vring_size(r) / w->descs;
	uint64_t posted = 0;

	memset(tl, 0, sizeof(*tl));
	tl->depth = w->depth < fits ? w->depth : fits;
	if (tl->depth == 0)
		return verr_set(e, VX_DEVICE, "a %u-entry ring cannot hold one request",
				vring_size(r));
	if (slots_new(sl, tl->depth, vring_size(r), e))
		return -1;
	vring_clear_wait_stats(r);
	t0 = now_s();
	end = t0 + duration_ms / 1000.0;
	while (posted < tl->depth)
		if (post_one(t, r, w, c, sl, posted++, e))
			return -1;
	if (kick(r, tl, e))
		return -1;
	while (tl->ops < posted) {
		if (reap(t, r, w, c, sl, tl, e))
			return -1;
		while (posted - tl->ops < tl->depth && now_s() < end)
			if (post_one(t, r, w, c, sl, posted++, e))
				return -1;
		if (posted > tl->ops && kick(r, tl, e))
			return -1;
	}
	tl->seconds = now_s() - t0;
	vring_get_wait_stats(r, &tl->waits);
	return 0;
}

static void report(struct rnode *arr, const struct workload *w, const struct tally *r)
{
	struct rnode *row = r_obj(arr, NULL, NULL);

	r_str(row, "workload", "workload", w->name);
	r_uint(row, "queue_depth", "depth", r->depth, NULL);
	r_uint(row, "ops", "ops", r->ops, NULL);
	r_uint(row, "bytes", "bytes", r->bytes, NULL);
	r_uint(row, "microseconds", "us", (uint64_t)(r->seconds * 1e6), NULL);
	r_uint(row, "ops_per_second", "ops/s", (uint64_t)(r->ops / r->seconds), NULL);
	r_uint(row, "bytes_per_second", "bytes/s", (uint64_t)(r->bytes / r->seconds), NULL);
	r_uint(row, "notifications", "kicks", r->kicks, NULL);
	r_uint(row, "notifications_suppressed", "suppressed", r->kicks_suppressed, NULL);
	r_uint(row, "waits", "waits", r->waits.waits, NULL);
	r_uint(row, "empty_polls", "empty polls", r->waits.empty_looks, NULL);
	r_uint(row, "backoffs", "back-offs", r->waits.sleeps + r->waits.yields + r->waits.pauses,
	       NULL);
	r_uint(row, "spin", "spin", r->spin.spins, NULL);
	r_str(row, "backoff", "back-off", vring_backoff_word(r->spin.backoff));
}

bool bench_exists(int device_id)
{
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		if (loads[i].type == device_id)
			return true;
	return false;
}

/* The reads' span: the first MiB, or less on a smaller disk (reads past
 * the capacity would fail), whole 4 KiB blocks; refused below 4 KiB. */
static int set_span(struct st *t, uint64_t capacity_bytes, struct bctx *c, struct verr *e)
{
	char detail[96];

	c->span = capacity_bytes < BENCH_SPAN_SECTORS * 512ull ? capacity_bytes
							       : BENCH_SPAN_SECTORS * 512ull;
	c->span -= c->span % BENCH_BLOCK;
	if (c->span == 0)
		return st_step(t, "span",
			       verr_set(e, VX_DEVICE,
					"capacity %llu bytes: less than one %u-byte read",
					(unsigned long long)capacity_bytes, BENCH_BLOCK),
			       e, NULL);
	snprintf(detail, sizeof(detail), "%llu bytes; reads cycle through the first %llu KiB",
		 (unsigned long long)capacity_bytes, (unsigned long long)(c->span / 1024));
	return st_step(t, "span", 0, e, detail);
}

static int block_capacity(struct st *t, uint64_t *bytes, struct verr *e)
{
	uint8_t cfg[8] = {0};
	unsigned got = 0;
	char detail[64];

	if (vdev_read_config(t->v, cfg, sizeof(cfg), &got, e))
		return st_step(t, "read-capacity", -1, e, NULL);
	if (got < sizeof(cfg))
		return st_step(
			t, "read-capacity",
			verr_set(e, VX_DEVICE, "device config has %u bytes, no capacity", got), e,
			NULL);
	*bytes = st_get_le(cfg, 8) * 512;
	snprintf(detail, sizeof(detail), "%llu sectors", (unsigned long long)(*bytes / 512));
	return st_step(t, "read-capacity", 0, e, detail);
}

/* Bring-up to DRIVER_OK for the type; the queue the workloads use. */
static int prepare(struct st *t, struct bctx *c, unsigned *queue, struct verr *e)
{
	uint64_t cap = 0;

	*queue = 0;
	if (st_bring_up(t, e))
		return -1;
	switch (t->v->device_id) {
	case VIRTIO_DEV_BLOCK:
		return block_capacity(t, &cap, e) || set_span(t, cap, c, e) ||
		       st_setup_queue(t, 0, e) || st_driver_ok(t, e);
	case VIRTIO_DEV_SCSI:
		if (st_scsi_prepare(t, &c->scsi, e))
			return -1;
		*queue = c->scsi.queue;
		return set_span(t, c->scsi.blocks * c->scsi.block, c, e);
	case VIRTIO_DEV_NET:
		c->net_hdr = t->features >> VIRTIO_FB_VERSION_1 & 1 ? 12 : 10;
		memcpy(c->mac, (const uint8_t[6]){0x02, 0x00, 0x00, 0x76, 0x69, 0x6f}, 6);
		*queue = BENCH_NET_TX_Q;
		return st_setup_queue(t, BENCH_NET_TX_Q, e) || st_driver_ok(t, e);
	default:
		return st_setup_queue(t, 0, e) || st_driver_ok(t, e);
	}
}

int bench_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
	      const struct selftest_opts *o, unsigned duration_ms, struct rnode *out,
	      struct verr *e)
{
	struct st t = {
		.v = v, .dma = dma, .rings = rings, .nrings = nrings, .o = o, .event_idx = true};
	struct bctx c = {0};
	struct verr fin = {0};
	struct slots slots[sizeof(loads) / sizeof(loads[0])] = {0};
	struct rnode *arr;
	unsigned queue;
	int rc;

	if (!bench_exists(v->device_id))
		return verr_set(e, VX_USAGE, "no benchmark for device type %d (%s)", v->device_id,
				virtio_type_name((unsigned)v->device_id));
	if (o->workload &&
	    (o->workload > BENCH_WORKLOADS || loads[o->workload - 1].type != v->device_id))
		return o->workload > BENCH_WORKLOADS
			       ? verr_set(e, VX_USAGE, "no workload %u", o->workload)
			       : foreign_workload(v->device_id, o->workload - 1, e);
	r_str(out, "benchmark", "Benchmark", virtio_type_name((unsigned)v->device_id));
	r_str(out, "ring", "Ring layout", o->packed ? "packed" : "split");
	if (o->spin) {
		r_uint(out, "spin", "Spin budget", o->spin->spins, NULL);
		r_str(out, "backoff", "Back-off", vring_backoff_word(o->spin->backoff));
		r_uint(out, "sleep_us", "Sleep (us)", o->spin->sleep_us, NULL);
	}
	t.steps = r_arr(out, "steps", "Steps", RF_TABLE);
	arr = r_arr(out, "results", "Results", RF_TABLE);
	rc = prepare(&t, &c, &queue, e);
	for (size_t i = 0; rc == 0 && i < sizeof(loads) / sizeof(loads[0]); i++) {
		struct tally r;
		struct vring_spin spin;
		char detail[80] = "";

		if (loads[i].type != v->device_id || (o->workload && o->workload != i + 1))
			continue;
		spin = o->spin && (o->spin_given || !loads[i].device_bound) ? *o->spin
		       : loads[i].device_bound
			       ? bench_device_bound_spin
			       : (struct vring_spin){VRING_SPINS_DEFAULT, VRING_BACKOFF_SLEEP,
						     VRING_SLEEP_US_DEFAULT};
		vring_set_spin(t.rings[queue], &spin);
		rc = run_workload(&t, t.rings[queue], &loads[i], &c, duration_ms, &slots[i], &r, e);
		r.spin = spin;
		if (rc == 0 && r.depth < loads[i].depth)
			snprintf(detail, sizeof(detail),
				 "queue depth %u: a %u-entry ring holds no more", r.depth,
				 vring_size(t.rings[queue]));
		rc = st_step(&t, loads[i].name, rc, e, detail);
		if (rc == 0)
			report(arr, &loads[i], &r);
	}
	/* The requests' buffers go back only once the reset is confirmed:
	 * before that the device may still write into them. */
	if (st_finish(&t, rc ? &fin : e))
		return -1;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		slots_free(dma, &slots[i]);
	return rc ? -1 : 0;
}
