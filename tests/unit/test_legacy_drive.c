/* Driving through the legacy transport against the device model: a vring
 * in the legacy layout (one block, PFN), post/kick through QUEUE_NOTIFY,
 * and every self-test on legacy-only devices and on transitional ones
 * switched to their legacy interface. */
#include "check.h"
#include "model_fixture.h"
#include "dma/dma.h"
#include "sim/model.h"
#include "util/sha256.h"
#include "virtio/driver.h"
#include "virtio/legacy.h"
#include "virtio/selftest.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QUEUE_PFN is 32 bits: a legacy ring must lie below 2^44. The model's
 * DMA memory is process memory, bus address = virtual address, which on
 * x86-64 is usually far above that; then the transport must refuse the ring
 * (not truncate its address) and the drive tests cannot run here. */
static bool bus_fits_pfn(struct fixture *f)
{
	struct dma_mem m;
	struct verr e = {0};
	bool fits;

	if (dma_alloc(f->dma, 4096, 4096, &m, &e))
		return false;
	fits = (m.bus >> 44) == 0;
	dma_free(f->dma, &m);
	return fits;
}

static void check_refused_high(struct fixture *f)
{
	struct vring *ring = NULL;
	struct verr e = {0};

	CHECK(vring_create(&f->v, f->dma, 0, 0, 0, VIRTIO_MSI_NO_VECTOR, &ring, &e) == -1);
	CHECK(strstr(e.msg, "below 2^44") != NULL);
	CHECK_EQ(model_state(f->pci)->queue[0].pfn, 0);
	printf("note: the model's DMA memory has bus addresses above 2^44 here; the legacy "
	       "round trip and self-tests need arenas below it (checked in the QEMU guests)\n");
}

static bool no_errors(struct pdev *d)
{
	size_t bad = 0;

	/* past-the-end config reads are QEMU-legal (see test_legacy.c) */
	for (size_t i = 0; i < model_error_count(d); i++)
		if (!strstr(model_error(d, i), "past its")) {
			printf("  model error: %s\n", model_error(d, i));
			bad++;
		}
	return bad == 0;
}

/* Bring-up by hand, one entropy request, and the ring where the model's
 * PFN decoding puts it. */
static void test_vring_roundtrip(void)
{
	struct fixture f;
	struct vstep_result r;
	struct verr e = {0};
	struct vring *ring = NULL;
	struct vseg seg = {.writable = true, .len = 32};
	struct vused u;
	struct model_queue *mq;
	uint64_t drv, dev;
	unsigned got = 0;
	uint16_t head;
	bool suppressed;

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_LEGACY, VDEV_IFACE_LEGACY))
		return;
	CHECK(vdev_step(&f.v, VSTEP_RESET, false, &r, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_ACK, false, &r, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER, false, &r, &e) == 0);
	CHECK(vdev_step(&f.v, VSTEP_FEATURES_OK, false, &r, &e) == -1); /* none on legacy */
	verr_clear(&e);
	CHECK(f.v.ops->set_driver_features(&f.v, 0, &e) == 0);
	/* a size other than QUEUE_NUM (8) is refused before anything is written */
	CHECK(vring_create(&f.v, f.dma, 0, 4, 0, VIRTIO_MSI_NO_VECTOR, &ring, &e) == -1);
	CHECK(strstr(e.msg, "fixed size of 8") != NULL);
	verr_clear(&e);
	if (!bus_fits_pfn(&f)) {
		check_refused_high(&f);
		fixture_close(&f);
		return;
	}
	if (vring_create(&f.v, f.dma, 0, 0, 0, VIRTIO_MSI_NO_VECTOR, &ring, &e)) {
		check_fail("setup: vring_create: %s", e.msg);
		fixture_close(&f);
		return;
	}
	mq = &model_state(f.pci)->queue[0];
	CHECK(mq->pfn != 0);
	CHECK_EQ(mq->desc % 4096, 0);
	legacy_ring_layout(mq->desc, 8, &drv, &dev);
	CHECK_EQ(mq->driver, drv);
	CHECK_EQ(mq->device, dev);
	CHECK(vdev_step(&f.v, VSTEP_DRIVER_OK, false, &r, &e) == 0);
	CHECK(vring_post(ring, &seg, 1, &head, &e) == 0);
	CHECK(vring_kick(ring, &suppressed, &e) == 0);
	CHECK_EQ(mq->notifies, 1);
	CHECK(vring_poll(ring, &u, 1, &got, 1000, NULL, &e) == 0);
	CHECK_EQ(got, 1);
	if (got) {
		CHECK_EQ(u.len, 32);
		CHECK_EQ(u.data[5], model_entropy_byte(5));
		vused_free(&u, 1);
	}
	CHECK(vdev_reset(&f.v, VDEV_RESET_TIMEOUT_MS, &e) == 0);
	vring_destroy(ring);
	CHECK(no_errors(f.pci));
	fixture_close(&f);
}

static void run_selftest(unsigned type, enum model_transport t)
{
	struct vring *rings[8] = {0};
	struct selftest_opts o = {.timeout_ms = 1000};
	struct rnode *out;
	struct fixture f;
	struct verr e = {0};
	const struct rnode *n;
	int rc;

	if (!fixture_open(&f, type, t, VDEV_IFACE_LEGACY))
		return;
	if (!bus_fits_pfn(&f)) {
		fixture_close(&f);
		return;
	}
	out = r_new_root();
	rc = selftest_run(&f.v, f.dma, rings, 8, &o, out, &e);
	if (rc)
		check_fail("legacy selftest type %u (%s): %s", type,
			   t == MODEL_LEGACY ? "legacy" : "transitional", e.msg);
	n = r_path(out, "passed");
	CHECK(n && n->v.b);
	CHECK_EQ(model_state(f.pci)->status, 0);
	/* nothing above bit 31 can have been written through the header */
	CHECK_EQ(model_state(f.pci)->driver_features >> 32, 0);
	if (type == MODEL_ID_NET)
		CHECK_EQ(model_net_frame_count(f.pci), 1);
	CHECK(no_errors(f.pci));
	r_free(out);
	fixture_close(&f);
}

static void test_selftests(void)
{
	static const unsigned types[] = {MODEL_ID_RNG, MODEL_ID_BLOCK, MODEL_ID_CONSOLE,
					 MODEL_ID_NET};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		run_selftest(types[i], MODEL_LEGACY);
		run_selftest(types[i], MODEL_TRANSITIONAL);
	}
}

int main(void)
{
	test_vring_roundtrip();
	test_selftests();
	return check_done();
}
