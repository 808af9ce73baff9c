/* The driving path against the device model: status steps and their
 * ordering rules, feature negotiation, vring setup, post/kick/poll with
 * validation of what the device writes back, and the self-tests. */
#include "check.h"
#include "model_fixture.h"
#include "dma/dma.h"
#include "sim/model.h"
#include "util/sha256.h"
#include "virtio/driver.h"
#include "virtio/selftest.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t status_of(struct fixture *f)
{
	uint8_t s = 0xee;
	struct verr e = {0};

	CHECK(f->v.ops->get_status(&f->v, &s, &e) == 0);
	return s;
}

static void test_steps(void)
{
	struct fixture f;
	struct vstep_result r;
	struct verr e = {0};

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &r, &e) == 0);
	CHECK_EQ(status_of(&f), 0);
	/* Out of order: DRIVER before ACKNOWLEDGE. */
	CHECK(vdev_step(&f.v, VSTEP_DRIVER, false, &r, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK(strstr(e.msg, "DRIVER follows ACKNOWLEDGE") != NULL);
	CHECK_EQ(status_of(&f), 0); /* refused: nothing written */
	verr_clear(&e);
	CHECK(vdev_step(&f.v, VSTEP_NEXT, false, &r, &e) == 0);
	CHECK_EQ(r.step, VSTEP_ACK);
	CHECK_EQ(r.after, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK(vdev_step(&f.v, VSTEP_NEXT, false, &r, &e) == 0);
	CHECK_EQ(r.step, VSTEP_DRIVER);
	CHECK_EQ(r.after, 3);
	/* No features written: VERSION_1 missing, the device refuses. */
	CHECK(vdev_step(&f.v, VSTEP_FEATURES_OK, false, &r, &e) == -1);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(r.refused_by_device);
	CHECK(strstr(e.msg, "refused the feature set") != NULL);
	verr_clear(&e);
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &r, &e) == 0);
	/* --force takes an out-of-order step anyway. */
	CHECK(vdev_step(&f.v, VSTEP_DRIVER_OK, true, &r, &e) == 0);
	CHECK_EQ(status_of(&f), VIRTIO_STATUS_DRIVER_OK);
	CHECK(vdev_step(&f.v, VSTEP_NEXT, false, &r, &e) == -1);
	CHECK(model_state(f.pci)->resets >= 2);
	fixture_close(&f);
}

static void test_features(void)
{
	uint64_t out;
	struct verr e = {0};

	CHECK(features_parse("VIRTIO_F_VERSION_1", 1, 0, &out, &e) == 0);
	CHECK_EQ(out, 1ull << 32);
	CHECK(features_parse("version_1,csum 5", 1, 0, &out, &e) == 0);
	CHECK_EQ(out, 1ull << 32 | 1 | 1ull << 5);
	CHECK(features_parse("+EVENT_IDX -VERSION_1", 1, 1ull << 32 | 1, &out, &e) == 0);
	CHECK_EQ(out, 1 | 1ull << 29);
	CHECK(features_parse("0x100000001", 2, 7, &out, &e) == 0);
	CHECK_EQ(out, 0x100000001ull);
	CHECK(features_parse("NO_SUCH_FEATURE", 1, 0, &out, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	verr_clear(&e);
	CHECK(features_parse("64", 1, 0, &out, &e) == -1);
}

/* Brings a model up to DRIVER_OK with one queue of ours. */
static struct vring *bring_up(struct fixture *f, unsigned q)
{
	struct vstep_result r;
	struct verr e = {0};
	struct vring *ring = NULL;
	uint64_t offered;

	CHECK(vdev_step(&f->v, VSTEP_RESET, false, &r, &e) == 0);
	CHECK(vdev_step(&f->v, VSTEP_ACK, false, &r, &e) == 0);
	CHECK(vdev_step(&f->v, VSTEP_DRIVER, false, &r, &e) == 0);
	CHECK(f->v.ops->get_device_features(&f->v, &offered, &e) == 0);
	CHECK(f->v.ops->set_driver_features(&f->v, features_default(&f->v, offered), &e) == 0);
	CHECK(vdev_step(&f->v, VSTEP_FEATURES_OK, false, &r, &e) == 0);
	CHECK(vring_create(&f->v, f->dma, q, 8, features_default(&f->v, offered),
			   VIRTIO_MSI_NO_VECTOR, &ring, &e) == 0);
	CHECK(vdev_step(&f->v, VSTEP_DRIVER_OK, false, &r, &e) == 0);
	if (e.code)
		printf("bring_up: %s\n", e.msg);
	return ring;
}

static void test_vring_roundtrip(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vseg seg = {true, NULL, 100};
	struct vused u;
	struct vring *r;
	unsigned n;
	uint16_t head;
	bool supp;

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	r = bring_up(&f, 0);
	if (!r)
		return fixture_close(&f);
	CHECK_EQ(vring_size(r), 8);
	CHECK_EQ(model_state(f.pci)->queue[0].size, 8);
	CHECK(model_state(f.pci)->queue[0].enabled);
	CHECK(vring_post(r, &seg, 1, &head, &e) == 0);
	CHECK_EQ(vring_in_flight(r), 1);
	CHECK(vring_kick(r, &supp, &e) == 0);
	CHECK(vring_poll(r, &u, 1, &n, 1000, NULL, &e) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(u.id, head);
	CHECK_EQ(u.len, 100);
	for (unsigned i = 0; i < 100; i++)
		if (u.data[i] != model_entropy_byte(i)) {
			CHECK(!"entropy bytes differ");
			break;
		}
	vused_free(&u, 1);
	CHECK_EQ(vring_in_flight(r), 0);
	/* Nothing more: a poll times out. */
	CHECK(vring_poll(r, &u, 1, &n, 10, NULL, &e) == -1);
	CHECK_EQ(e.code, VX_TIMEOUT);
	CHECK_EQ(model_error_count(f.pci), 0);
	if (model_error_count(f.pci))
		model_log_dump(f.pci, stdout);
	verr_clear(&e);
	CHECK(vdev_reset(&f.v, 100, &e) == 0);
	vring_destroy(r);
	fixture_close(&f);
}

/* The device is never trusted: forge used-ring entries in its place. */
static void forge_used(struct fixture *f, uint16_t idx, uint32_t id, uint32_t len)
{
	struct model_queue *mq = &model_state(f->pci)->queue[0];
	uint8_t *used = model_dma_ptr(f->pci, mq->device, 4 + 8u * mq->size + 2);
	uint16_t slot = (uint16_t)(idx - 1) % mq->size;

	memcpy(used + 4 + 8 * slot, &id, 4);
	memcpy(used + 4 + 8 * slot + 4, &len, 4);
	__atomic_store_n((uint16_t *)(used + 2), idx, __ATOMIC_RELEASE);
}

static void test_untrusted_device(void)
{
	static const struct {
		uint32_t id, len;
		uint16_t idx;
		const char *msg;
	} cases[] = {
		{7, 4, 1, "used id 7 is not in flight"},
		{0, 5000, 1, "exceeds the chain's 64 writable bytes"},
		{0, 4, 40, "jumped from 0 to 40"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		struct verr e = {0};
		struct vseg seg = {true, NULL, 64};
		struct vused u;
		struct vring *r;
		unsigned n;
		uint16_t head;

		if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
			return;
		r = bring_up(&f, 0);
		if (!r)
			return fixture_close(&f);
		CHECK(vring_post(r, &seg, 1, &head, &e) == 0);
		forge_used(&f, cases[i].idx, cases[i].id, cases[i].len);
		CHECK(vring_poll(r, &u, 1, &n, 100, NULL, &e) == -1);
		CHECK_EQ(e.code, VX_DEVICE);
		if (!strstr(e.msg, cases[i].msg))
			check_fail("case %zu: \"%s\" does not say \"%s\"", i, e.msg, cases[i].msg);
		/* A broken ring takes no more work. */
		verr_clear(&e);
		CHECK(vring_post(r, &seg, 1, &head, &e) == -1);
		CHECK(vdev_reset(&f.v, 100, &e) == 0);
		vring_destroy(r);
		fixture_close(&f);
	}
}

static void test_chain_split_across_pages(void)
{
	struct fixture f;
	struct verr e = {0};
	uint8_t hdr[16] = {0};
	static uint8_t disk[8192];
	struct vseg segs[3] = {{false, hdr, 16}, {true, NULL, 8192}, {true, NULL, 1}};
	struct vused u;
	struct vring *r;
	unsigned n;
	uint16_t head;
	bool supp;

	if (!fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + 3);
	CHECK(model_blk_set_disk(f.pci, disk, sizeof(disk), &e) == 0);
	r = bring_up(&f, 0);
	if (!r)
		return fixture_close(&f);
	CHECK(vring_post(r, segs, 3, &head, &e) == 0);
	CHECK_EQ(vring_in_flight(r), 1);
	CHECK(vring_kick(r, &supp, &e) == 0);
	CHECK(vring_poll(r, &u, 1, &n, 1000, NULL, &e) == 0);
	CHECK_EQ(u.len, 8193);
	CHECK(memcmp(u.data, disk, 8192) == 0);
	CHECK_EQ(u.data[8192], 0);
	vused_free(&u, 1);
	CHECK(vdev_reset(&f.v, 100, &e) == 0);
	vring_destroy(r);
	fixture_close(&f);
}

static void run_selftest(unsigned type, enum model_transport t, const char *want_sha)
{
	struct fixture f;
	struct verr e = {0};
	struct vring *rings[8] = {0};
	struct selftest_opts o = {.timeout_ms = 1000};
	struct rnode *out = r_new_root();
	const struct rnode *n;
	int rc;

	if (!fixture_open(&f, type, t, VDEV_IFACE_DEFAULT))
		return;
	rc = selftest_run(&f.v, f.dma, rings, 8, &o, out, &e);
	if (rc)
		check_fail("selftest type %u: %s", type, e.msg);
	n = r_path(out, "passed");
	CHECK(n && n->v.b);
	CHECK_EQ(status_of(&f), 0); /* reset at the end */
	for (unsigned q = 0; q < 8; q++)
		CHECK(rings[q] == NULL);
	n = r_path(out, "data_sha256");
	if (want_sha)
		CHECK_STR(n && n->kind == R_STR ? n->v.s : "", want_sha);
	CHECK_EQ(model_error_count(f.pci), 0);
	if (model_error_count(f.pci))
		model_log_dump(f.pci, stdout);
	if (type == MODEL_ID_CONSOLE) {
		size_t len;
		const uint8_t *b = model_console_output(f.pci, &len);

		CHECK(len > 0 && memcmp(b, "virtioctl console self-test\n", len) == 0);
	}
	if (type == MODEL_ID_NET)
		CHECK_EQ(model_net_frame_count(f.pci), 1);
	r_free(out);
	fixture_close(&f);
}

static void test_selftests(void)
{
	uint8_t entropy[64], disk[4096];
	char want_rng[65], want_blk[65];
	struct fixture f;
	struct verr e = {0};

	for (unsigned i = 0; i < sizeof(entropy); i++)
		entropy[i] = model_entropy_byte(i);
	sha256_hex(entropy, sizeof(entropy), want_rng);
	run_selftest(MODEL_ID_RNG, MODEL_MODERN, want_rng);
	/* The block test hashes the first 4096 bytes of the disk. */
	if (fixture_open(&f, MODEL_ID_BLOCK, MODEL_MODERN, VDEV_IFACE_DEFAULT)) {
		for (size_t i = 0; i < sizeof(disk); i++)
			disk[i] = (uint8_t)(i ^ (i >> 8));
		sha256_hex(disk, sizeof(disk), want_blk);
		CHECK(model_blk_set_disk(f.pci, disk, sizeof(disk), &e) == 0);
		{
			struct vring *rings[8] = {0};
			struct selftest_opts o = {.timeout_ms = 1000};
			struct rnode *out = r_new_root();
			const struct rnode *n;

			CHECK(selftest_run(&f.v, f.dma, rings, 8, &o, out, &e) == 0);
			n = r_path(out, "data_sha256");
			CHECK_STR(n && n->kind == R_STR ? n->v.s : "", want_blk);
			r_free(out);
		}
		fixture_close(&f);
	}
	run_selftest(MODEL_ID_CONSOLE, MODEL_MODERN, NULL);
	run_selftest(MODEL_ID_NET, MODEL_MODERN, NULL);
}

static void test_sha256(void)
{
	char hex[65];

	sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

int main(void)
{
	test_sha256();
	test_features();
	test_steps();
	test_vring_roundtrip();
	test_untrusted_device();
	test_chain_split_across_pages();
	test_selftests();
	return check_done();
}
