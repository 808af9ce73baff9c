#include "virtio/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio/ids.h"
#include "virtio/selftest_impl.h"

#define BENCH_BLOCK	    4096u
#define BENCH_BLOCK_SECTORS (BENCH_BLOCK / 512u)
#define BENCH_SPAN_SECTORS  2048u /* reads cycle through the first 1 MiB */
#define VIRTIO_BLK_S_OK	    0

struct workload {
	const char *name;
	unsigned depth;
	uint32_t bytes;
};

struct tally {
	unsigned depth; /* requests kept in flight */
	uint64_t ops, bytes;
	uint64_t kicks, kicks_suppressed; /* notifications sent, and not needed */
	double seconds;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One request's buffers: an entropy buffer, or the n-th block read, at
 * sector n * 8 modulo the span (span_sectors: a multiple of 8). */
static unsigned request(int type, uint64_t n, uint64_t span_sectors, uint8_t hdr[16],
			struct vseg segs[3])
{
	uint64_t sector = n * BENCH_BLOCK_SECTORS % span_sectors;

	if (type == VIRTIO_DEV_ENTROPY) {
		segs[0] = (struct vseg){true, NULL, BENCH_BLOCK};
		return 1;
	}
	memset(hdr, 0, 16);
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(sector >> (8 * i));
	segs[0] = (struct vseg){false, hdr, 16};
	segs[1] = (struct vseg){true, NULL, BENCH_BLOCK};
	segs[2] = (struct vseg){true, NULL, 1};
	return 3;
}

static int post_one(struct st *t, int type, uint64_t n, uint64_t span, struct verr *e)
{
	uint8_t hdr[16];
	struct vseg segs[3];
	unsigned nseg = request(type, n, span, hdr, segs);
	uint16_t head;

	return vring_post(t->rings[0], segs, nseg, &head, e);
}

/* The waiter of vring_poll_wait() for a benchmark: none. vring_poll()'s
 * own wait spins 2000 times and then sleeps 20 us at a time, right for a
 * `poll` that may wait minutes, but a round trip longer than the spins
 * then costs a timer wake-up (timer slack included), and the benchmark
 * would measure that. Returning at once keeps the loop polling the used
 * index, with the timeout and Ctrl-C still checked on every turn. */
static int spin(void *ctx, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	return 0;
}

/* A block read counts only when the device says it succeeded: all 4096
 * data bytes and the status byte written, status VIRTIO_BLK_S_OK. */
static int check_block(const struct vused *u, struct verr *e)
{
	if (u->len != BENCH_BLOCK + 1)
		return verr_set(e, VX_DEVICE,
				"block read: used len %u, expected %u data bytes + "
				"status",
				u->len, BENCH_BLOCK);
	if (u->data[BENCH_BLOCK] != VIRTIO_BLK_S_OK)
		return verr_set(e, VX_DEVICE,
				"block read: request status %u (0 is VIRTIO_BLK_S_OK)",
				u->data[BENCH_BLOCK]);
	return 0;
}

/* Notifies only when the device asked for it (EVENT_IDX or flags): the
 * benchmark should not pay for notifications a busy device ignores. */
static int kick(struct st *t, struct tally *r, struct verr *e)
{
	bool notified;

	if (vring_kick_needed(t->rings[0], &notified, e))
		return -1;
	*(notified ? &r->kicks : &r->kicks_suppressed) += 1;
	return 0;
}

/* Keeps `depth` requests in flight until the time is up, then drains. A
 * ring too small for the workload's depth (3 descriptors per block read)
 * runs at the depth it holds, and the report says so. */
static int run_workload(struct st *t, int type, const struct workload *w, unsigned duration_ms,
			uint64_t span, struct tally *r, struct verr *e)
{
	double t0 = now_s(), end = t0 + duration_ms / 1000.0;
	unsigned per = type == VIRTIO_DEV_ENTROPY ? 1 : 3, fits = vring_size(t->rings[0]) / per;
	uint64_t posted = 0;

	memset(r, 0, sizeof(*r));
	r->depth = w->depth < fits ? w->depth : fits;
	if (r->depth == 0)
		return verr_set(e, VX_DEVICE, "a %u-entry ring cannot hold one request",
				vring_size(t->rings[0]));
	while (posted < r->depth)
		if (post_one(t, type, posted++, span, e))
			return -1;
	if (kick(t, r, e))
		return -1;
	while (r->ops < posted) {
		struct vused u[32];
		unsigned n;

		if (vring_poll_wait(t->rings[0], u, 32, &n, t->o->timeout_ms, t->o->cancel, spin,
				    NULL, e))
			return -1;
		for (unsigned i = 0; i < n; i++) {
			if (type != VIRTIO_DEV_ENTROPY && check_block(&u[i], e)) {
				vused_free(u, n);
				return -1;
			}
			r->bytes += type == VIRTIO_DEV_ENTROPY ? u[i].len : BENCH_BLOCK;
		}
		vused_free(u, n);
		r->ops += n;
		for (unsigned i = 0; i < n && now_s() < end; i++)
			if (post_one(t, type, posted++, span, e))
				return -1;
		if (posted > r->ops && kick(t, r, e))
			return -1;
	}
	r->seconds = now_s() - t0;
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
}

static const struct workload entropy_loads[] = {{"entropy-4k", 1, BENCH_BLOCK}};
static const struct workload block_loads[] = {{"read-4k-qd1", 1, BENCH_BLOCK},
					      {"read-4k-qd32", 32, BENCH_BLOCK}};

static const struct workload *loads_of(int type, size_t *n)
{
	if (type == VIRTIO_DEV_ENTROPY) {
		*n = 1;
		return entropy_loads;
	}
	if (type == VIRTIO_DEV_BLOCK) {
		*n = 2;
		return block_loads;
	}
	*n = 0;
	return NULL;
}

/* The block reads' span in sectors: the first MiB, or less on a smaller
 * disk (reads past the capacity would fail), whole 4 KiB blocks. */
static int block_span(struct st *t, uint64_t *span, struct verr *e)
{
	uint8_t cfg[8] = {0};
	uint64_t capacity = 0;
	unsigned got = 0;
	char detail[96];

	if (vdev_read_config(t->v, cfg, sizeof(cfg), &got, e))
		return st_step(t, "read-capacity", -1, e, NULL);
	if (got < sizeof(cfg))
		return st_step(
			t, "read-capacity",
			verr_set(e, VX_DEVICE, "device config has %u bytes, no capacity", got), e,
			NULL);
	for (int i = 7; i >= 0; i--)
		capacity = capacity << 8 | cfg[i];
	*span = capacity < BENCH_SPAN_SECTORS ? capacity : BENCH_SPAN_SECTORS;
	*span -= *span % BENCH_BLOCK_SECTORS;
	if (*span == 0)
		return st_step(t, "read-capacity",
			       verr_set(e, VX_DEVICE,
					"capacity %llu sectors: less than one %u-byte read",
					(unsigned long long)capacity, BENCH_BLOCK),
			       e, NULL);
	snprintf(detail, sizeof(detail), "%llu sectors; reads cycle through the first %llu KiB",
		 (unsigned long long)capacity, (unsigned long long)(*span / 2));
	return st_step(t, "read-capacity", 0, e, detail);
}

bool bench_exists(int device_id)
{
	size_t n;

	return loads_of(device_id, &n) != NULL;
}

int bench_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
	      const struct selftest_opts *o, unsigned duration_ms, struct rnode *out,
	      struct verr *e)
{
	struct st t = {
		.v = v, .dma = dma, .rings = rings, .nrings = nrings, .o = o, .event_idx = true};
	size_t nloads;
	const struct workload *loads = loads_of(v->device_id, &nloads);
	struct verr fin = {0};
	struct rnode *arr;
	uint64_t span = BENCH_SPAN_SECTORS;
	int rc;

	if (!loads)
		return verr_set(e, VX_USAGE, "no benchmark for device type %d (%s)", v->device_id,
				virtio_type_name((unsigned)v->device_id));
	r_str(out, "benchmark", "Benchmark", virtio_type_name((unsigned)v->device_id));
	r_str(out, "ring", "Ring layout", o->packed ? "packed" : "split");
	t.steps = r_arr(out, "steps", "Steps", RF_TABLE);
	arr = r_arr(out, "results", "Results", RF_TABLE);
	rc = st_bring_up(&t, e) || (v->device_id == VIRTIO_DEV_BLOCK && block_span(&t, &span, e)) ||
	     st_setup_queue(&t, 0, e) || st_driver_ok(&t, e);
	for (size_t i = 0; rc == 0 && i < nloads; i++) {
		struct tally r;
		char detail[80] = "";

		rc = run_workload(&t, v->device_id, &loads[i], duration_ms, span, &r, e);
		if (rc == 0 && r.depth < loads[i].depth)
			snprintf(detail, sizeof(detail),
				 "queue depth %u: a %u-entry ring holds no more", r.depth,
				 vring_size(t.rings[0]));
		rc = st_step(&t, loads[i].name, rc, e, detail);
		if (rc == 0)
			report(arr, &loads[i], &r);
	}
	if (st_finish(&t, rc ? &fin : e))
		rc = -1;
	return rc ? -1 : 0;
}
