/* The known-answer self-tests of SCSI, pmem and IOMMU against the device
 * model: each passes on the right answer, and fails, naming what it
 * expected and what it got, when the model's answer is wrong. */
#include "check.h"
#include "model_fixture.h"
#include "selftest_run.h"

#include "sim/model_types.h"
#include "util/sha256.h"
#include "virtio/selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool open_dev(struct run *r, unsigned type)
{
	memset(r, 0, sizeof(*r));
	return fixture_open(&r->f, type, MODEL_MODERN, VDEV_IFACE_DEFAULT);
}

/* The same with the spec edited first (features, queues). */

static void test_scsi(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	static uint8_t disk[1 << 20];
	char want[65];
	struct run r;

	if (!open_dev(&r, MODEL_ID_SCSI))
		return;
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 ^ i >> 9);
	sha256_hex(disk, 4096, want);
	CHECK(model_blk_set_disk(r.f.pci, disk, sizeof(disk), &r.e) == 0);
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL scsi selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(run_str(&r, "data_sha256"), want);
	CHECK_STR(run_str(&r, "checks.1.check"), "vendor");
	CHECK_STR(run_str(&r, "checks.1.got"), "QEMU");
	CHECK_STR(run_str(&r, "checks.2.got"), "QEMU HARDDISK");
	run_done(&r);

	/* The wrong product: the test fails and says what it wanted. */
	if (!open_dev(&r, MODEL_ID_SCSI))
		return;
	CHECK(model_scsi_set_inquiry(r.f.pci, "QEMU", "QEMU CD-ROM", &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_EQ(r.e.code, VX_DEVICE);
	CHECK_STR(r.e.msg, "product: expected QEMU HARDDISK, got QEMU CD-ROM");
	CHECK_STR(run_str(&r, "data_sha256"), "");
	run_done(&r);

	/* ... and the wrong vendor. */
	if (!open_dev(&r, MODEL_ID_SCSI))
		return;
	CHECK(model_scsi_set_inquiry(r.f.pci, "ACME", "QEMU HARDDISK", &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && strstr(r.e.msg, "vendor: expected QEMU, got ACME") != NULL);
	run_done(&r);

	/* A disk smaller than what is read: the capacity check fails. */
	if (!open_dev(&r, MODEL_ID_SCSI))
		return;
	CHECK(model_blk_set_disk(r.f.pci, disk, 2048, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1);
	CHECK_STR(r.e.msg,
		  "capacity: expected at least 4096 bytes, in whole blocks, got 2048 bytes");
	run_done(&r);
}

static void test_pmem(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	const struct rnode *n;
	struct run r;

	if (!open_dev(&r, MODEL_ID_PMEM))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL pmem selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_EQ(model_pmem_flushes(r.f.pci), 1);
	n = r_path(r.out, "pmem_size");
	CHECK(n && n->v.u == 4u << 20);
	CHECK_STR(run_str(&r, "checks.1.check"), "flush ret");
	CHECK_STR(run_str(&r, "checks.1.got"), "0");
	run_done(&r);

	/* The device reports a failed flush. */
	if (!open_dev(&r, MODEL_ID_PMEM))
		return;
	CHECK(model_pmem_set_flush_ret(r.f.pci, 1, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_STR(r.e.msg, "flush ret: expected 0, got 1");
	run_done(&r);

	/* A region of zero bytes is no region. */
	if (!open_dev(&r, MODEL_ID_PMEM))
		return;
	CHECK(model_set_device_cfg(r.f.pci, 8, (const uint8_t[8]){0}, 8, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && strstr(r.e.msg, "region: expected") != NULL);
	CHECK_EQ(model_pmem_flushes(r.f.pci), 0);
	run_done(&r);
}

static void test_iommu(void)
{
	struct selftest_opts o = {.timeout_ms = 1000, .have_endpoint = true, .endpoint = 0x0100};
	struct run r;

	if (!open_dev(&r, MODEL_ID_IOMMU))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL iommu selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	for (unsigned type = 1; type <= 5; type++)
		CHECK_EQ(model_iommu_ok_count(r.f.pci, type), 1);
	CHECK(!model_iommu_attached(r.f.pci));
	CHECK_EQ(model_iommu_mappings(r.f.pci), 0);
	CHECK_STR(run_str(&r, "checks.1.check"), "probe");
	CHECK_STR(run_str(&r, "checks.5.check"), "detach");
	run_done(&r);

	/* An endpoint the IOMMU does not have: NOENT, and the test fails. */
	if (!open_dev(&r, MODEL_ID_IOMMU))
		return;
	CHECK(model_iommu_set_endpoint(r.f.pci, 0x0200, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_STR(r.e.msg, "probe: expected OK (0), got NOENT (6)");
	run_done(&r);

	/* No --endpoint: a usage error before any request. */
	if (!open_dev(&r, MODEL_ID_IOMMU))
		return;
	o.have_endpoint = false;
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && r.e.code == VX_USAGE);
	CHECK(strstr(r.e.msg, "needs an endpoint") && !strstr(r.e.msg, "--")); /* CLI: --endpoint */
	CHECK_EQ(model_iommu_ok_count(r.f.pci, 5), 0);
	run_done(&r);
}

/* QEMU's balloon: STATS_VQ offered, three queues. */
static void balloon_stats(struct model_spec *s)
{
	s->features |= MODEL_BIT(1);
	s->num_queues = 3;
}

static void test_balloon(void)
{
	struct selftest_opts o = {.timeout_ms = 300};
	const struct rnode *n;
	struct run r;

	/* Stats held (no polling on the host): passes, says not asked. */
	if (!run_open_spec(&r, MODEL_ID_BALLOON, balloon_stats))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL balloon selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_EQ(model_balloon_requests(r.f.pci, 0), 1);
	CHECK_EQ(model_balloon_requests(r.f.pci, 1), 1);
	CHECK_EQ(model_balloon_requests(r.f.pci, 2), 1);
	CHECK_EQ(model_balloon_pages(r.f.pci), 0);
	CHECK_STR(run_str(&r, "checks.0.check"), "actual after inflate");
	CHECK_STR(run_str(&r, "checks.0.got"), "1");
	CHECK_STR(run_str(&r, "checks.1.got"), "0");
	n = r_path(r.out, "stats_answered");
	CHECK(n && n->kind == R_BOOL && !n->v.b);
	run_done(&r);

	/* The device asks for statistics: answered. */
	if (!run_open_spec(&r, MODEL_ID_BALLOON, balloon_stats))
		return;
	CHECK(model_balloon_set(r.f.pci, true, false, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == 0);
	n = r_path(r.out, "stats_answered");
	CHECK(n && n->kind == R_BOOL && n->v.b);
	run_done(&r);

	/* A device whose `actual` does not follow the driver: fails. */
	if (!run_open_spec(&r, MODEL_ID_BALLOON, balloon_stats))
		return;
	CHECK(model_balloon_set(r.f.pci, false, true, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_STR(r.e.msg, "actual after inflate: expected 1, got 0");
	run_done(&r);

	/* Without STATS_VQ (the model's default balloon): no stats queue. */
	if (!open_dev(&r, MODEL_ID_BALLOON))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc == 0 && r_path(r.out, "stats_answered") == NULL);
	CHECK_EQ(model_balloon_requests(r.f.pci, 2), 0);
	run_done(&r);
}

static void test_input(void)
{
	struct selftest_opts o = {.timeout_ms = 300};
	const struct rnode *n;
	struct run r;

	/* KEY_A down, then EV_SYN: decoded config, event as sent. */
	if (!open_dev(&r, MODEL_ID_INPUT))
		return;
	CHECK(model_input_queue_event(r.f.pci, 1, 30, 1, &r.e) == 0);
	CHECK(model_input_queue_event(r.f.pci, 0, 0, 0, &r.e) == 0);
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL input selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(run_str(&r, "input.name"), "QEMU Virtio Keyboard");
	n = r_path(r.out, "input.serial");
	CHECK(n && n->kind == R_NULL);
	n = r_path(r.out, "input.devids.vendor");
	CHECK(n && n->v.u == 0x0627);
	n = r_path(r.out, "input.ev_types.0.bits");
	CHECK(n && n->v.u == 127);
	n = r_path(r.out, "input.ev_types.1.type");
	CHECK(n && n->v.u == 0x11);
	n = r_path(r.out, "event.code");
	CHECK(n && n->v.u == 30);
	CHECK_STR(run_str(&r, "checks.2.got"), "EV_SYN");
	run_done(&r);

	/* A code the keyboard never announced: fails. */
	if (!open_dev(&r, MODEL_ID_INPUT))
		return;
	CHECK(model_input_queue_event(r.f.pci, 1, 200, 1, &r.e) == 0);
	CHECK(model_input_queue_event(r.f.pci, 0, 0, 0, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_STR(r.e.msg, "event code: expected a code set in its type's bitmap, got 200");
	run_done(&r);

	/* An event type without EV_BITS (EV_REL on a keyboard): fails. */
	if (!open_dev(&r, MODEL_ID_INPUT))
		return;
	CHECK(model_input_queue_event(r.f.pci, 2, 0, 5, &r.e) == 0);
	CHECK(model_input_queue_event(r.f.pci, 0, 0, 0, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1);
	CHECK_STR(r.e.msg, "event type: expected a type with EV_BITS, got 2");
	run_done(&r);

	/* No event at all: a timeout, and the test fails. */
	if (!open_dev(&r, MODEL_ID_INPUT))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && r.e.code == VX_TIMEOUT);
	run_done(&r);
}

static void test_crypto(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!open_dev(&r, MODEL_ID_CRYPTO))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL crypto selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(run_str(&r, "checks.3.got"),
		  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db"
		  "113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1"
		  "681fac09120eca307586e1a7");
	CHECK_EQ(model_crypto_destroyed(r.f.pci), 1);
	run_done(&r);

	/* A ciphertext one bit off: the test fails, and still destroys its session. */
	if (!open_dev(&r, MODEL_ID_CRYPTO))
		return;
	CHECK(model_crypto_corrupt(r.f.pci, 0x01, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK(strncmp(r.e.msg, "ciphertext (SP 800-38A F.2.1): expected 7649abac", 47) == 0);
	CHECK(strstr(r.e.msg, "got 7749abac") != NULL);
	CHECK_EQ(model_crypto_destroyed(r.f.pci), 1);
	run_done(&r);
}

static void test_gpu(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	const struct rnode *n;
	struct run r;

	if (!open_dev(&r, MODEL_ID_GPU))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL gpu selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	n = r_path(r.out, "scanout0.xres");
	CHECK(n && n->v.u == 1280);
	n = r_path(r.out, "scanout0.yres");
	CHECK(n && n->v.u == 800);
	CHECK_EQ(model_gpu_ok_count(r.f.pci), 4); /* attach, transfer, flush, unref */
	run_done(&r);

	/* An EDID whose preferred mode is not the scanout's size: fails. */
	if (!open_dev(&r, MODEL_ID_GPU))
		return;
	CHECK(model_gpu_set_edid_width(r.f.pci, 1024, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc == -1 && !run_passed(&r));
	CHECK_STR(r.e.msg,
		  "edid preferred mode: expected 1280x800 (the display info), got 1024x800");
	CHECK_EQ(model_gpu_ok_count(r.f.pci), 0);
	run_done(&r);
}

int main(void)
{
	test_gpu();
	test_crypto();
	test_input();
	test_balloon();
	test_scsi();
	test_pmem();
	test_iommu();
	return check_done();
}
