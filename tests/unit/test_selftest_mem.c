/* The virtio-mem self-test against the device model: it passes when the
 * host's requested-size change arrives and plugged_size follows the plug
 * and the unplug; it fails, naming what it expected and what it got, when
 * plugged_size does not follow (the known answer wrong), when the device
 * NACKs the plug, when the config is not sane, and when the host never
 * changes requested_size. The block
 * it plugged is always given back. */
#include "check.h"
#include "model_fixture.h"
#include "selftest_run.h"

#include "sim/model_types.h"
#include "virtio/driver.h"
#include "virtio/selftest.h"

#include <stdio.h>
#include <string.h>

#define MIB (1u << 20)

/* The report row of the check named `name`: "expected|got|ok". */
static const char *check_row(const struct run *r, const char *name)
{
	static char row[320];
	char path[32];

	for (unsigned i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "checks.%u.check", i);
		if (strcmp(run_str(r, path), name) == 0) {
			char ep[32], gp[32];
			const struct rnode *ok;

			snprintf(ep, sizeof(ep), "checks.%u.expected", i);
			snprintf(gp, sizeof(gp), "checks.%u.got", i);
			snprintf(path, sizeof(path), "checks.%u.ok", i);
			ok = r_path(r->out, path);
			snprintf(row, sizeof(row), "%s|%s|%s", run_str(r, ep), run_str(r, gp),
				 ok && ok->kind == R_BOOL && ok->v.b ? "ok" : "not ok");
			return row;
		}
	}
	return "";
}

static bool step_ok(const struct run *r, const char *name)
{
	char path[32];

	for (unsigned i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "steps.%u.step", i);
		if (strcmp(run_str(r, path), name) == 0) {
			const struct rnode *ok;

			snprintf(path, sizeof(path), "steps.%u.ok", i);
			ok = r_path(r->out, path);
			return ok && ok->kind == R_BOOL && ok->v.b;
		}
	}
	return false;
}

static uint64_t uint_at(const struct run *r, const char *path)
{
	const struct rnode *n = r_path(r->out, path);

	return n && n->kind == R_UINT ? n->v.u : UINT64_MAX;
}

static void test_pass(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, NULL))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL mem selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_EQ(uint_at(&r, "block_size"), 2 * MIB);
	CHECK_STR(run_str(&r, "region_addr"), "0x0000000140000000");
	CHECK_EQ(uint_at(&r, "region_size"), 128 * MIB);
	CHECK_EQ(uint_at(&r, "config_before.requested_size"), 0);
	CHECK_EQ(uint_at(&r, "config_after.requested_size"), 4 * MIB);
	CHECK(uint_at(&r, "config_after.config_generation") !=
	      uint_at(&r, "config_before.config_generation"));
	CHECK_STR(run_str(&r, "block_addr"), "0x0000000140000000");
	CHECK_STR(check_row(&r, "plug"), "ACK (0)|ACK (0)|ok");
	CHECK_STR(check_row(&r, "plugged_size after plug"), "0x200000|0x200000|ok");
	CHECK_STR(check_row(&r, "state after plug"), "ACK, PLUGGED (0)|ACK, PLUGGED (0)|ok");
	CHECK_STR(check_row(&r, "plugged_size after unplug"), "0x0|0x0|ok");
	CHECK_STR(check_row(&r, "state after unplug"), "ACK, UNPLUGGED (1)|ACK, UNPLUGGED (1)|ok");
	CHECK_EQ(model_mem_requests(r.f.pci, 0), 1); /* PLUG */
	CHECK_EQ(model_mem_requests(r.f.pci, 1), 1); /* UNPLUG */
	CHECK_EQ(model_mem_requests(r.f.pci, 2), 0); /* never UNPLUG_ALL */
	CHECK_EQ(model_mem_requests(r.f.pci, 3), 3); /* find-block, after plug, after unplug */
	CHECK_EQ(model_mem_plugged(r.f.pci), 0);

	/* Again on the same device: the host asks for more, the block is
	 * found unplugged again. */
	r_free(r.out);
	run_selftest(&r, &o);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_EQ(uint_at(&r, "config_before.requested_size"), 4 * MIB);
	CHECK_EQ(uint_at(&r, "config_after.requested_size"), 8 * MIB);
	CHECK_EQ(model_mem_plugged(r.f.pci), 0);
	run_done(&r);
}

/* plugged_size does not follow: the known answer is wrong, the test fails
 * on it, and the block is unplugged all the same. */
static void test_plugged_stuck(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, NULL))
		return;
	CHECK(model_mem_set(r.f.pci, 2, true, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && !run_passed(&r));
	CHECK_EQ(r.e.code, VX_DEVICE);
	CHECK_STR(r.e.msg, "plugged_size after plug: expected 0x200000, got 0x0");
	CHECK_STR(check_row(&r, "plugged_size after plug"), "0x200000|0x0|not ok");
	CHECK(step_ok(&r, "unplug after the failure"));
	CHECK_EQ(model_mem_requests(r.f.pci, 1), 1);
	CHECK_EQ(model_mem_plugged(r.f.pci), 0);
	run_done(&r);
}

/* Nobody changes requested_size: a timeout naming what to do, no plug. */
static void test_no_change(void)
{
	struct selftest_opts o = {.timeout_ms = 100};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, NULL))
		return;
	CHECK(model_mem_set(r.f.pci, 0, false, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && !run_passed(&r));
	CHECK_EQ(r.e.code, VX_TIMEOUT);
	CHECK(strstr(r.e.msg, "requested_size still 0x0 after 100 ms") != NULL);
	CHECK(!step_ok(&r, "config-change"));
	CHECK_EQ(model_mem_requests(r.f.pci, 0), 0);
	run_done(&r);
}

/* A block size that is no power of two: the config check fails before
 * any request. */
static void bad_block(struct model_spec *s)
{
	s->device_cfg[2] = 0x30; /* 3 MiB */
}

static void test_bad_config(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, bad_block))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && r.e.code == VX_DEVICE);
	CHECK(strncmp(r.e.msg, "config: expected block_size a power of two", 42) == 0);
	CHECK(strstr(check_row(&r, "config"), "block_size 0x300000,") != NULL);
	CHECK_EQ(model_mem_requests(r.f.pci, 3), 0);
	run_done(&r);
}

/* config-generation-stuck: the config moves under the same generation
 * (block_size's low byte here), so the values read are not sane. */
static void gen_stuck(struct model_spec *s)
{
	s->bugs |= MODEL_BUG_CONFIG_GENERATION_STUCK;
}

static void test_generation_stuck(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, gen_stuck))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && r.e.code == VX_DEVICE);
	CHECK(strstr(check_row(&r, "config"), "|not ok") != NULL);
	CHECK_EQ(model_mem_requests(r.f.pci, 3), 0);
	run_done(&r);
}

/* The host asks for less than is plugged plus a block: the device NACKs
 * the plug (QEMU does), and the test fails on its known answer. */
static void requested_4m(struct model_spec *s)
{
	s->device_cfg[32 + 3] = 0x08; /* usable_region_size 128 MiB */
	s->device_cfg[48 + 2] = 0x40; /* requested_size 4 MiB */
}

static void test_nack(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, requested_4m))
		return;
	CHECK(model_mem_set(r.f.pci, -2, false, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && r.e.code == VX_DEVICE);
	CHECK_EQ(uint_at(&r, "config_after.requested_size"), 0);
	CHECK_STR(r.e.msg, "plug: expected ACK (0), got NACK (1)");
	CHECK_EQ(model_mem_requests(r.f.pci, 0), 1);
	CHECK_EQ(model_mem_requests(r.f.pci, 1), 0);
	CHECK_EQ(model_mem_plugged(r.f.pci), 0);
	run_done(&r);
}

/* `check --active`: no host, one STATE request and nothing plugged. */
static void test_no_host_stimulus(void)
{
	struct selftest_opts o = {.timeout_ms = 1000, .no_host_stimulus = true};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_MEM, NULL))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(check_row(&r, "state"), "ACK (0)|ACK (0)|ok");
	CHECK_EQ(model_mem_requests(r.f.pci, 0), 0);
	CHECK_EQ(model_mem_requests(r.f.pci, 3), 1);
	run_done(&r);
}

/* QEMU refuses FEATURES_OK without UNPLUGGED_INACCESSIBLE: the default
 * set takes it for virtio-mem only. */
static void test_features_default(void)
{
	struct vdev v = {.device_id = 24};

	CHECK_EQ(features_default(&v, 1ull << 32 | 1ull << 1 | 1ull << 0), 1ull << 32 | 1ull << 1);
	v.device_id = 27; /* pmem: bit 1 is not that feature */
	CHECK_EQ(features_default(&v, 1ull << 32 | 1ull << 1), 1ull << 32);
}

int main(void)
{
	test_pass();
	test_plugged_stuck();
	test_no_change();
	test_bad_config();
	test_nack();
	test_generation_stuck();
	test_no_host_stimulus();
	test_features_default();
	return check_done();
}
