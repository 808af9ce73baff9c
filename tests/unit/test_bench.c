/* `bench` against the device model: what it counts, not how fast. Each
 * workload runs for a few milliseconds; the checks are on the report's
 * consistency (bytes = ops x 4096 for block), on block reads staying inside
 * the disk, and on a failed read failing the benchmark instead of being
 * counted. Speed is measured by bench/, never here. */
#include "check.h"
#include "model_fixture.h"
#include "dma/dma.h"
#include "sim/model.h"
#include "virtio/bench.h"
#include "virtio/driver.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

#include <stdio.h>
#include <string.h>

#define DURATION_MS 5

static uint64_t u64_at(const struct rnode *root, const char *path)
{
	const struct rnode *n = r_path(root, path);

	return n && n->kind == R_UINT ? n->v.u : 0;
}

/* Runs bench; returns its status, the report in *out (caller frees). */
/* Runs bench with a spin budget (NULL: none given); returns its status,
 * the report in *out (caller frees). */
static int run_bench_spin(struct fixture *f, const struct vring_spin *spin, struct rnode **out,
			  struct verr *e)
{
	struct vring *rings[8] = {0};
	struct selftest_opts o = {.timeout_ms = 1000, .spin = spin, .spin_given = spin != NULL};
	uint8_t status = 0xee;
	int rc;

	*out = r_new_root();
	rc = bench_run(&f->v, f->dma, rings, 8, &o, DURATION_MS, *out, e);
	CHECK(f->v.ops->get_status(&f->v, &status, e) == 0);
	CHECK_EQ(status, 0); /* reset at the end, whatever happened */
	for (unsigned q = 0; q < 8; q++)
		CHECK(rings[q] == NULL);
	return rc;
}

static int run_bench(struct fixture *f, struct rnode **out, struct verr *e)
{
	return run_bench_spin(f, NULL, out, e);
}

static const char *str_at(const struct rnode *root, const char *path)
{
	const struct rnode *n = r_path(root, path);

	return n && n->kind == R_STR ? n->v.s : "";
}

static void set_capacity(struct fixture *f, uint64_t sectors)
{
	uint8_t le[8];
	struct verr e = {0};

	for (unsigned i = 0; i < 8; i++)
		le[i] = (uint8_t)(sectors >> (8 * i));
	CHECK(model_set_device_cfg(f->pci, 0, le, 8, &e) == 0);
}

/* A 1 MiB disk: both block workloads, every read counted as 4096 bytes. */
static void test_block(void)
{
	static uint8_t disk[1 << 20];
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(model_blk_set_disk(f.pci, disk, sizeof(disk), &e) == 0);
	CHECK(run_bench(&f, &out, &e) == 0);
	if (e.msg[0])
		printf("# %s\n", e.msg);
	CHECK_EQ(r_count(r_path(out, "results")), 2);
	for (unsigned i = 0; i < 2; i++) {
		char p[64];
		uint64_t ops;

		snprintf(p, sizeof(p), "results.%u.ops", i);
		ops = u64_at(out, p);
		CHECK(ops > 0);
		snprintf(p, sizeof(p), "results.%u.bytes", i);
		CHECK_EQ(u64_at(out, p), ops * 4096);
	}
	CHECK_EQ(u64_at(out, "results.0.queue_depth"), 1);
	CHECK_EQ(u64_at(out, "results.1.queue_depth"), 32);
	CHECK_EQ(model_error_count(f.pci), 0);
	r_free(out);
	fixture_close(&f);
}

/* A disk smaller than the 1 MiB span: reads stay inside it. */
static void test_small_disk(void)
{
	static uint8_t disk[64 << 10];
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;
	const struct rnode *n;
	bool said = false;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	set_capacity(&f, sizeof(disk) / 512);
	CHECK(model_blk_set_disk(f.pci, disk, sizeof(disk), &e) == 0);
	CHECK(run_bench(&f, &out, &e) == 0);
	if (e.msg[0])
		printf("# %s\n", e.msg);
	CHECK(u64_at(out, "results.0.ops") > 0);
	n = r_path(out, "steps");
	for (unsigned i = 0; n && i < r_count(n); i++) {
		char p[64];
		const struct rnode *d;

		snprintf(p, sizeof(p), "steps.%u.detail", i);
		d = r_path(out, p);
		if (d && d->kind == R_STR && strstr(d->v.s, "first 64 KiB"))
			said = true;
	}
	CHECK(said);
	r_free(out);
	fixture_close(&f);
}

/* The device fails reads (its disk is shorter than its capacity says):
 * the benchmark fails with the status, it does not count them. */
static void test_failed_reads(void)
{
	static uint8_t disk[16 << 10];
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(model_blk_set_disk(f.pci, disk, sizeof(disk), &e) == 0);
	set_capacity(&f, 2048);
	CHECK(run_bench(&f, &out, &e) == -1);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(strstr(e.msg, "request status 1") != NULL);
	CHECK_EQ(r_count(r_path(out, "results")), 0);
	r_free(out);
	fixture_close(&f);
}

/* A device that says it wrote data and status (used len 4097) but wrote
 * nothing: the status byte is not this request's answer, and no read
 * counts (bench reuses its buffers, so a stale or zeroed status byte must
 * not pass for VIRTIO_BLK_S_OK). */
static int silent_blk(struct pdev *d, unsigned qidx, const struct model_chain *c,
		      uint32_t *used_len, void *ctx)
{
	(void)d, (void)qidx, (void)c, (void)ctx;
	*used_len = 4097;
	return 0;
}

static void test_unwritten_status(void)
{
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	model_set_handler(f.pci, 0, silent_blk, NULL);
	CHECK(run_bench(&f, &out, &e) == -1);
	CHECK(strstr(e.msg, "request status 255") != NULL);
	CHECK_EQ(r_count(r_path(out, "results")), 0);
	r_free(out);
	fixture_close(&f);
}

/* Less than one 4 KiB read of capacity: refused before any request. */
static void test_tiny_disk(void)
{
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	set_capacity(&f, 4);
	CHECK(run_bench(&f, &out, &e) == -1);
	CHECK(strstr(e.msg, "less than one 4096-byte read") != NULL);
	r_free(out);
	fixture_close(&f);
}

/* A 64-entry ring holds 21 three-descriptor reads: queue depth 32 runs
 * at 21 and says so, instead of failing for want of descriptors. */
static void test_small_ring(void)
{
	struct model_spec spec;
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;
	const struct rnode *n;

	fixture_spec(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.queue_max[0] = 64;
	if (!fixture_open_spec(&f, &spec, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench(&f, &out, &e) == 0);
	if (e.msg[0])
		printf("# %s\n", e.msg);
	CHECK_EQ(u64_at(out, "results.1.queue_depth"), 21);
	CHECK(u64_at(out, "results.1.ops") > 0);
	n = r_path(out, "steps");
	CHECK(n != NULL);
	for (unsigned i = 0; n && i < r_count(n); i++) {
		char p[64];
		const struct rnode *d, *name;

		snprintf(p, sizeof(p), "steps.%u.step", i);
		name = r_path(out, p);
		snprintf(p, sizeof(p), "steps.%u.detail", i);
		d = r_path(out, p);
		if (name && name->kind == R_STR && strcmp(name->v.s, "read-4k-qd32") == 0)
			CHECK(d && d->kind == R_STR && strstr(d->v.s, "queue depth 21") != NULL);
	}
	r_free(out);
	fixture_close(&f);
}

/* Entropy: 64-byte requests (virtio_rng's size), one in flight and 32;
 * bytes are what the device returned, at most 64 a request. */
static void test_entropy(void)
{
	struct model_spec spec;
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	fixture_spec(&spec, MODEL_ID_RNG, MODEL_MODERN);
	spec.queue_max[0] = 64;
	if (!fixture_open_spec(&f, &spec, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench(&f, &out, &e) == 0);
	CHECK_EQ(r_count(r_path(out, "results")), 2);
	for (unsigned i = 0; i < 2; i++) {
		char p[64];
		uint64_t ops, bytes;

		snprintf(p, sizeof(p), "results.%u.ops", i);
		ops = u64_at(out, p);
		snprintf(p, sizeof(p), "results.%u.bytes", i);
		bytes = u64_at(out, p);
		CHECK(ops > 0);
		CHECK(bytes > 0 && bytes <= ops * 64);
	}
	CHECK_EQ(u64_at(out, "results.0.queue_depth"), 1);
	CHECK_EQ(u64_at(out, "results.1.queue_depth"), 32);
	CHECK_EQ(model_error_count(f.pci), 0);
	r_free(out);
	fixture_close(&f);
}

/* SCSI: READ(10) of 4 KiB at depth 1 and 32, each counted as 4096 bytes;
 * the model's unit attention after the reset is retried, not counted. */
static void test_scsi(void)
{
	struct model_spec spec;
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	fixture_spec(&spec, MODEL_ID_SCSI, MODEL_MODERN);
	spec.queue_max[2] = 128; /* room for 32 three-descriptor reads */
	if (!fixture_open_spec(&f, &spec, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench(&f, &out, &e) == 0);
	if (e.msg[0])
		printf("# %s\n", e.msg);
	CHECK_EQ(r_count(r_path(out, "results")), 2);
	for (unsigned i = 0; i < 2; i++) {
		char p[64];
		uint64_t ops;

		snprintf(p, sizeof(p), "results.%u.ops", i);
		ops = u64_at(out, p);
		CHECK(ops > 0);
		snprintf(p, sizeof(p), "results.%u.bytes", i);
		CHECK_EQ(u64_at(out, p), ops * 4096);
	}
	CHECK_EQ(u64_at(out, "results.1.queue_depth"), 32);
	CHECK_EQ(model_error_count(f.pci), 0);
	r_free(out);
	fixture_close(&f);
}

/* Net: every frame the benchmark counted reached the device's transmit
 * queue as a 60-byte frame (the model records them). */
static void test_net(void)
{
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;
	uint64_t ops;
	size_t len = 0;
	const uint8_t *frame;

	if (!fixture_open(&f, MODEL_ID_NET, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench(&f, &out, &e) == 0);
	if (e.msg[0])
		printf("# %s\n", e.msg);
	CHECK_EQ(r_count(r_path(out, "results")), 1);
	ops = u64_at(out, "results.0.ops");
	CHECK(ops > 0);
	CHECK_EQ(u64_at(out, "results.0.bytes"), ops * 60);
	CHECK_EQ(model_net_frame_count(f.pci), ops);
	frame = model_net_frame(f.pci, 0, &len);
	CHECK_EQ(len, 60);
	CHECK(frame && frame[12] == 0x88 && frame[13] == 0xb5);
	CHECK_EQ(model_error_count(f.pci), 0);
	/* device-bound: 20 looks, then sleeps, unless a budget is given */
	CHECK(strcmp(str_at(out, "results.0.backoff"), "sleep") == 0);
	CHECK_EQ(u64_at(out, "results.0.spin"), 20);
	r_free(out);
	fixture_close(&f);
}

/* A budget given by the user holds for every workload, the device-bound
 * one included; the block workloads report theirs. */
static void test_given_budget(void)
{
	static const struct vring_spin none = {0, VRING_BACKOFF_NONE, 1};
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;

	if (!fixture_open(&f, MODEL_ID_NET, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench_spin(&f, &none, &out, &e) == 0);
	CHECK(strcmp(str_at(out, "results.0.backoff"), "none") == 0);
	CHECK_EQ(u64_at(out, "results.0.spin"), 0);
	r_free(out);
	fixture_close(&f);
	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench_spin(&f, &none, &out, &e) == 0);
	CHECK(strcmp(str_at(out, "results.0.backoff"), "none") == 0);
	CHECK(strcmp(str_at(out, "results.1.backoff"), "none") == 0);
	r_free(out);
	fixture_close(&f);
}

/* The spin budget: looks within the budget, then the back-off chosen. */
static void test_spin_step(void)
{
	struct vring_spin s = {3, VRING_BACKOFF_SLEEP, 20};

	CHECK_EQ(vring_spin_step(&s, 0), VRING_STEP_LOOK);
	CHECK_EQ(vring_spin_step(&s, 2), VRING_STEP_LOOK);
	CHECK_EQ(vring_spin_step(&s, 3), VRING_STEP_SLEEP);
	CHECK_EQ(vring_spin_step(&s, 1000), VRING_STEP_SLEEP);
	s.backoff = VRING_BACKOFF_YIELD;
	CHECK_EQ(vring_spin_step(&s, 3), VRING_STEP_YIELD);
	s.backoff = VRING_BACKOFF_PAUSE;
	CHECK_EQ(vring_spin_step(&s, 3), VRING_STEP_PAUSE);
	s.backoff = VRING_BACKOFF_NONE;
	CHECK_EQ(vring_spin_step(&s, 3), VRING_STEP_LOOK);
	s = (struct vring_spin){0, VRING_BACKOFF_SLEEP, 1};
	CHECK_EQ(vring_spin_step(&s, 0), VRING_STEP_SLEEP);
	CHECK(vring_backoff_word(VRING_BACKOFF_COUNT) == NULL);
	CHECK(strcmp(vring_backoff_word(VRING_BACKOFF_YIELD), "yield") == 0);
}

/* A wait that times out on an empty ring: every look past the budget but
 * the last (which finds the time up) backs off, in the way chosen. */
static void wait_counts(const struct vring_spin *s, struct vring_wait_stats *ws)
{
	struct fixture f;
	struct verr e = {0};
	struct vring *r = NULL;
	struct vstep_result st;
	struct vused u;
	unsigned n = 9;

	memset(ws, 0, sizeof(*ws));
	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &st, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_ACK, false, &st, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER, false, &st, &e) == 0);
	CHECK(f.v.ops->set_driver_features(&f.v, UINT64_C(1) << 32, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_FEATURES_OK, false, &st, &e) == 0);
	CHECK(vring_create(&f.v, f.dma, 0, 0, UINT64_C(1) << 32, VIRTIO_MSI_NO_VECTOR, &r, &e) ==
	      0);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER_OK, false, &st, &e) == 0);
	if (r) {
		vring_set_spin(r, s);
		CHECK_EQ(vring_poll(r, &u, 1, &n, 3, NULL, &e), -1);
		CHECK_EQ(e.code, VX_TIMEOUT);
		CHECK_EQ(n, 0);
		vring_get_wait_stats(r, ws);
	}
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &st, &e) == 0);
	vring_destroy(r);
	fixture_close(&f);
}

/* vring_post_mem: the device writes into the caller's buffer, the used
 * element carries no copy, and the buffer stays the caller's (usable
 * again after the completion); a segment longer than its buffer is
 * refused. */
static void test_post_mem(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vring *r = NULL;
	struct vstep_result st;
	struct dma_mem m = {0};
	struct vseg seg = {true, NULL, 64};
	const struct dma_mem *mems[1] = {&m};
	struct vused u;
	unsigned n = 0;
	uint16_t head;
	bool notified;

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &st, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_ACK, false, &st, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER, false, &st, &e) == 0);
	CHECK(f.v.ops->set_driver_features(&f.v, UINT64_C(1) << 32, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_FEATURES_OK, false, &st, &e) == 0);
	CHECK(vring_create(&f.v, f.dma, 0, 0, UINT64_C(1) << 32, VIRTIO_MSI_NO_VECTOR, &r, &e) ==
	      0);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER_OK, false, &st, &e) == 0);
	CHECK(dma_alloc(f.dma, 64, 8, &m, &e) == 0);
	for (unsigned round = 0; r && m.va && round < 2; round++) {
		memset(m.va, 0xee, 64);
		CHECK(vring_post_mem(r, &seg, mems, 1, &head, &e) == 0);
		CHECK(vring_kick_needed(r, &notified, &e) == 0);
		CHECK(vring_poll(r, &u, 1, &n, 100, NULL, &e) == 0);
		CHECK_EQ(n, 1);
		if (n == 1) {
			CHECK_EQ(u.len, 64);
			CHECK(u.data == NULL);
			/* the model's entropy pattern, in our buffer */
			CHECK(((uint8_t *)m.va)[0] != 0xee || ((uint8_t *)m.va)[1] != 0xee);
			vused_free(&u, 1);
		}
	}
	seg.len = 65;
	CHECK(r && vring_post_mem(r, &seg, mems, 1, &head, &e) == -1);
	CHECK(r && vring_in_flight(r) == 0);
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &st, &e) == 0);
	vring_destroy(r);
	dma_free(f.dma, &m);
	fixture_close(&f);
}

static void test_wait_backoff(void)
{
	struct vring_wait_stats ws;
	struct vring_spin s = {50, VRING_BACKOFF_SLEEP, 100};

	wait_counts(&s, &ws);
	CHECK_EQ(ws.waits, 1);
	CHECK(ws.empty_looks > 50);
	CHECK_EQ(ws.sleeps, ws.empty_looks - 1 - 50);
	CHECK_EQ(ws.yields + ws.pauses, 0);
	s = (struct vring_spin){0, VRING_BACKOFF_YIELD, 1};
	wait_counts(&s, &ws);
	CHECK(ws.yields > 0);
	CHECK_EQ(ws.yields, ws.empty_looks - 1);
	CHECK_EQ(ws.sleeps + ws.pauses, 0);
	s = (struct vring_spin){10, VRING_BACKOFF_PAUSE, 1};
	wait_counts(&s, &ws);
	CHECK_EQ(ws.pauses, ws.empty_looks - 1 - 10);
	s = (struct vring_spin){0, VRING_BACKOFF_NONE, 1};
	wait_counts(&s, &ws);
	CHECK(ws.empty_looks > 1);
	CHECK_EQ(ws.sleeps + ws.yields + ws.pauses, 0);
}

int main(void)
{
	test_block();
	test_small_disk();
	test_failed_reads();
	test_tiny_disk();
	test_unwritten_status();
	test_small_ring();
	test_entropy();
	test_scsi();
	test_net();
	test_given_budget();
	test_spin_step();
	test_wait_backoff();
	test_post_mem();
	return check_done();
}
