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
static int run_bench(struct fixture *f, struct rnode **out, struct verr *e)
{
	struct vring *rings[8] = {0};
	struct selftest_opts o = {.timeout_ms = 1000};
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

static void test_entropy(void)
{
	struct fixture f;
	struct verr e = {0};
	struct rnode *out;
	uint64_t ops, bytes;

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(run_bench(&f, &out, &e) == 0);
	CHECK_EQ(r_count(r_path(out, "results")), 1);
	ops = u64_at(out, "results.0.ops");
	bytes = u64_at(out, "results.0.bytes");
	CHECK(ops > 0);
	CHECK(bytes > 0 && bytes <= ops * 4096);
	CHECK_EQ(model_error_count(f.pci), 0);
	r_free(out);
	fixture_close(&f);
}

int main(void)
{
	test_block();
	test_small_disk();
	test_failed_reads();
	test_tiny_disk();
	test_small_ring();
	test_entropy();
	return check_done();
}
