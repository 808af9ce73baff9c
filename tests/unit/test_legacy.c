/* The legacy transport against the device model: legacy-only and
 * transitional devices, with MSI-X disabled and enabled (the header grows
 * by the two vector registers and the device config moves). */
#include "check.h"
#include "model_fixture.h"
#include "sim/model.h"
#include "virtio/legacy.h"
#include "virtio/legacy_regs.h"
#include "virtio/vdev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A model opened as the virtio layer sees it, selector writes allowed,
 * no DMA memory and no queue handlers (these tests read registers). */
static bool open_model(struct fixture *f, unsigned type, enum model_transport t, const char *driver)
{
	struct model_spec s;

	fixture_spec(&s, type, t);
	s.driver = driver;
	return fixture_open_flags(f, &s, VDEV_IFACE_DEFAULT, FX_NO_DMA | FX_NO_HANDLERS);
}

static void msix_enable(struct pdev *d, bool on)
{
	pdev_cfg_write(d, model_msix_cap_offset(d) + 2, 2, on ? 0x8000 : 0, NULL);
}

/* Reads of the device config past what the device defines are not
 * errors on QEMU (they return all-ones) and the legacy interface cannot
 * tell where the config ends: layout tables decide what is shown. */
static bool no_model_errors(struct pdev *d)
{
	size_t bad = 0;

	for (size_t i = 0; i < model_error_count(d); i++) {
		if (strstr(model_error(d, i), "device config read at") &&
		    strstr(model_error(d, i), "past its"))
			continue;
		printf("  model error: %s\n", model_error(d, i));
		bad++;
	}
	return bad == 0;
}

static void test_open_legacy_only(void)
{
	struct fixture f;
	const struct vtransport_ops *o;
	struct verr e = {0};
	uint64_t feat;
	uint8_t st;
	unsigned nq;

	if (!open_model(&f, MODEL_ID_BLOCK, MODEL_LEGACY, NULL))
		return;
	o = f.v.ops;
	CHECK_EQ(f.v.kind, VDEV_LEGACY);
	CHECK(o == &virtio_legacy_ops);
	CHECK(o->legacy_ring);
	CHECK(vdev_regs_readable(&f.v));
	CHECK(o->get_device_features(&f.v, &feat, &e) == 0);
	CHECK_EQ(feat, (model_spec(f.pci)->features | model_spec(f.pci)->legacy_only_features) &
			       0xffffffffu);
	CHECK(feat & (1u << MODEL_F_ANY_LAYOUT));
	model_state(f.pci)->status = MODEL_S_ACKNOWLEDGE;
	CHECK(o->get_status(&f.v, &st, &e) == 0);
	CHECK_EQ(st, MODEL_S_ACKNOWLEDGE);
	CHECK(o->get_num_queues(&f.v, &nq, &e) == 0);
	CHECK_EQ(nq, 1);
	CHECK_EQ(model_state(f.pci)->queue_select, 0);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

static void test_queue_regs_and_selector_restore(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vq_regs r;
	unsigned nq;

	if (!open_model(&f, MODEL_ID_NET, MODEL_LEGACY, NULL))
		return;
	model_state(f.pci)->queue_select = 1;
	model_state(f.pci)->queue[0].pfn = 0x12345;
	CHECK(f.v.ops->get_queue(&f.v, 0, &r, &e) == 0);
	CHECK_EQ(r.size, 256);
	CHECK(r.enable);
	CHECK_EQ(r.desc, 0x12345000ull);
	CHECK_EQ(r.driver, 0x12345000ull + 16 * 256);
	CHECK_EQ(r.device, 0x12347000ull);
	CHECK_EQ(r.msix_vector, VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(model_state(f.pci)->queue_select, 1);
	CHECK(f.v.ops->get_num_queues(&f.v, &nq, &e) == 0);
	CHECK_EQ(nq, 2);
	CHECK_EQ(model_state(f.pci)->queue_select, 1);

	/* Without selector writes: queue registers refused, features and
	 * status still read (the legacy header needs no selector for them). */
	vdev_allow_select(&f.v, false, "bound (test)");
	model_log_clear(f.pci);
	CHECK(f.v.ops->get_queue(&f.v, 0, &r, &e) == -1);
	CHECK_EQ(e.code, VX_PERM);
	CHECK_STR(e.msg, "bound (test)");
	CHECK_EQ(model_write_count(f.pci), 0);
	verr_clear(&e);
	{
		uint64_t x;

		CHECK(f.v.ops->get_driver_features(&f.v, &x, &e) == 0);
	}
	CHECK_EQ(model_write_count(f.pci), 0);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

static void test_config_moves_with_msix(void)
{
	struct fixture f;
	struct legacy_header h;
	struct verr e = {0};
	uint8_t buf[VDEV_CONFIG_MAX];
	unsigned got = 0;
	uint16_t vec;

	if (!open_model(&f, MODEL_ID_BLOCK, MODEL_TRANSITIONAL, NULL))
		return;
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_LEGACY, &e) == 0);
	CHECK(f.v.ops == &virtio_legacy_ops);
	CHECK_EQ(legacy_config_offset(&f.v), LEG_CONFIG_OFF_NO_MSIX);
	CHECK(vdev_read_config(&f.v, buf, sizeof(buf), &got, &e) == 0);
	CHECK(got >= 8);
	CHECK_EQ(buf[0] | buf[1] << 8, 2048);
	CHECK(f.v.ops->get_config_vector(&f.v, &vec, &e) == -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	verr_clear(&e);
	CHECK(legacy_header_read(&f.v, &h, &e) == 0);
	CHECK(!h.msix_enabled);
	CHECK_EQ(h.config_offset, 0x14);
	CHECK_EQ(h.queue_num, 256);

	msix_enable(f.pci, true);
	CHECK_EQ(legacy_config_offset(&f.v), LEG_CONFIG_OFF_MSIX);
	memset(buf, 0, sizeof(buf));
	CHECK(vdev_read_config(&f.v, buf, sizeof(buf), &got, &e) == 0);
	CHECK_EQ(buf[0] | buf[1] << 8, 2048);
	model_state(f.pci)->config_vector = 0;
	model_state(f.pci)->queue[0].msix_vector = 1;
	CHECK(f.v.ops->get_config_vector(&f.v, &vec, &e) == 0);
	CHECK_EQ(vec, 0);
	CHECK(legacy_header_read(&f.v, &h, &e) == 0);
	CHECK(h.msix_enabled);
	CHECK_EQ(h.config_offset, 0x18);
	CHECK_EQ(h.config_vector, 0);
	CHECK_EQ(h.queue_vector, 1);
	{
		struct vq_regs r;

		CHECK(f.v.ops->get_queue(&f.v, 0, &r, &e) == 0);
		CHECK_EQ(r.msix_vector, 1);
	}
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

/* No generation counter: the config is read twice and compared. */
static void test_config_read_twice(void)
{
	struct fixture f;
	struct verr e = {0};
	uint8_t buf[VDEV_CONFIG_MAX];
	unsigned got = 0;
	size_t reads;

	if (!open_model(&f, MODEL_ID_RNG, MODEL_LEGACY, NULL))
		return;
	CHECK(f.v.ops->get_config_generation == NULL);
	model_log_clear(f.pci);
	CHECK(vdev_read_config(&f.v, buf, sizeof(buf), &got, &e) == 0);
	reads = model_access_count(f.pci, "device_cfg", false);
	CHECK_EQ(reads % 2, 0);
	fixture_close(&f);

	if (!open_model(&f, MODEL_ID_NET, MODEL_LEGACY, NULL))
		return;
	model_log_clear(f.pci);
	CHECK(vdev_read_config(&f.v, buf, sizeof(buf), &got, &e) == 0);
	CHECK(got >= 8);
	CHECK_EQ(buf[0], 0x52);
	CHECK_EQ(buf[5], 0x56);
	/* mac as 6 single bytes, status as one 16-bit read, and again */
	CHECK(model_access_count(f.pci, "device_cfg", false) >= 2 * 7);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

static void test_setup_queue(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vq_addrs a = {.size = 8, .msix_vector = VIRTIO_MSI_NO_VECTOR};
	struct model_state *st;

	if (!open_model(&f, MODEL_ID_RNG, MODEL_LEGACY, NULL))
		return;
	st = model_state(f.pci);
	a.desc = 0x40000000u;
	legacy_ring_layout(a.desc, 8, &a.driver, &a.device);
	CHECK_EQ(a.driver, 0x40000000u + 128);
	CHECK_EQ(a.device, 0x40001000u);
	CHECK_EQ(legacy_ring_bytes(8), 0x1000 + 6 + 64);
	CHECK_EQ(legacy_ring_bytes(256), 0x2000 + 6 + 8 * 256);

	a.size = 4;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK(strstr(e.msg, "fixed size 8") != NULL);
	verr_clear(&e);
	a.size = 8;
	a.desc += 0x800;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	verr_clear(&e);
	a.desc -= 0x800;
	a.device += 0x1000;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK(strstr(e.msg, "legacy layout") != NULL);
	verr_clear(&e);
	a.device -= 0x1000;
	a.msix_vector = 0;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK(strstr(e.msg, "MSI-X is disabled") != NULL);
	verr_clear(&e);
	CHECK_EQ(st->queue[0].pfn, 0);
	a.msix_vector = VIRTIO_MSI_NO_VECTOR;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == 0);
	CHECK_EQ(st->queue[0].pfn, 0x40000);
	CHECK_EQ(st->queue[0].desc, a.desc);
	CHECK_EQ(st->queue[0].driver, a.driver);
	CHECK_EQ(st->queue[0].device, a.device);
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK(strstr(e.msg, "already set up") != NULL);
	verr_clear(&e);
	CHECK(f.v.ops->setup_queue(&f.v, 1, &a, &e) == -1);
	CHECK(strstr(e.msg, "does not exist") != NULL);
	verr_clear(&e);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

static void test_setup_queue_msix(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vq_addrs a = {.size = 8, .msix_vector = 1, .desc = 0x40000000u};
	struct model_state *st;

	if (!open_model(&f, MODEL_ID_RNG, MODEL_LEGACY, NULL))
		return;
	st = model_state(f.pci);
	msix_enable(f.pci, true);
	legacy_ring_layout(a.desc, 8, &a.driver, &a.device);
	CHECK(f.v.ops->set_config_vector(&f.v, 0, &e) == 0);
	CHECK_EQ(st->config_vector, 0);
	/* The model has 2 vectors (1 queue + config): 7 is refused. */
	a.msix_vector = 7;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == -1);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(strstr(e.msg, "refused") != NULL);
	CHECK_EQ(st->queue[0].pfn, 0);
	verr_clear(&e);
	model_log_clear(f.pci);
	a.msix_vector = 1;
	CHECK(f.v.ops->setup_queue(&f.v, 0, &a, &e) == 0);
	CHECK_EQ(st->queue[0].msix_vector, 1);
	CHECK_EQ(st->queue[0].pfn, 0x40000);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);
}

static void test_notify_isr_features(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vq_notify_loc loc;
	uint8_t isr = 0xaa;

	if (!open_model(&f, MODEL_ID_RNG, MODEL_LEGACY, NULL))
		return;
	CHECK(f.v.ops->notify_location(&f.v, 0, 0, &loc, &e) == 0);
	CHECK_EQ(loc.bar, 0);
	CHECK_EQ(loc.off, 0x10);
	CHECK_EQ(loc.width, 2);
	CHECK_EQ(loc.id, 0);
	model_state(f.pci)->isr = 1;
	CHECK(f.v.ops->read_isr(&f.v, &isr, &e) == 0);
	CHECK_EQ(isr, 1);
	CHECK_EQ(model_state(f.pci)->isr, 0);
	CHECK(f.v.ops->set_driver_features(&f.v, 1ull << 32, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	verr_clear(&e);
	CHECK(f.v.ops->set_driver_features(&f.v, 1u << MODEL_F_INDIRECT_DESC, &e) == 0);
	CHECK_EQ(model_state(f.pci)->driver_features, 1u << MODEL_F_INDIRECT_DESC);
	CHECK(no_model_errors(f.pci));
	fixture_close(&f);

	/* A bound device: the ISR is never read, whatever the caller wants. */
	if (!open_model(&f, MODEL_ID_RNG, MODEL_LEGACY, "virtio-pci"))
		return;
	model_state(f.pci)->isr = 1;
	model_log_clear(f.pci);
	CHECK(f.v.ops->read_isr(&f.v, &isr, &e) == -1);
	CHECK_EQ(e.code, VX_PERM);
	CHECK_EQ(model_access_count(f.pci, "isr", false), 0);
	CHECK_EQ(model_state(f.pci)->isr, 1);
	fixture_close(&f);
}

static void test_interface_choice(void)
{
	struct fixture f;
	struct verr e = {0};
	uint64_t feat;

	CHECK_STR(vdev_iface_word(VDEV_IFACE_LEGACY), "legacy");
	CHECK_STR(vdev_iface_word(VDEV_IFACE_MODERN), "modern");
	CHECK(!vdev_iface_word(VDEV_IFACE_DEFAULT) && !vdev_iface_word(VDEV_IFACE_COUNT));

	if (!open_model(&f, MODEL_ID_NET, MODEL_TRANSITIONAL, NULL))
		return;
	CHECK_EQ(f.v.kind, VDEV_TRANSITIONAL);
	CHECK(f.v.ops == &virtio_modern_ops);
	CHECK(f.v.ops->get_device_features(&f.v, &feat, &e) == 0);
	CHECK(feat >> 32 & 1);
	CHECK(!(feat & (1u << MODEL_F_ANY_LAYOUT)));
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_LEGACY, &e) == 0);
	CHECK(f.v.ops->get_device_features(&f.v, &feat, &e) == 0);
	CHECK_EQ(feat >> 32, 0);
	CHECK(feat & (1u << MODEL_F_ANY_LAYOUT));
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_MODERN, &e) == 0);
	CHECK(f.v.ops == &virtio_modern_ops);
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_DEFAULT, &e) == 0);
	CHECK(f.v.ops == &virtio_modern_ops);
	fixture_close(&f);

	if (!open_model(&f, MODEL_ID_NET, MODEL_MODERN, NULL))
		return;
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_LEGACY, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK(f.v.ops == &virtio_modern_ops);
	CHECK(!legacy_present(&f.v, NULL));
	fixture_close(&f);

	/* legacy-only: "modern" keeps the only interface there is */
	if (!open_model(&f, MODEL_ID_NET, MODEL_LEGACY, NULL))
		return;
	CHECK(vdev_use_interface(&f.v, VDEV_IFACE_MODERN, &e) == 0);
	CHECK(f.v.ops == &virtio_legacy_ops);
	CHECK(legacy_present(&f.v, NULL));
	fixture_close(&f);
}

static void test_unreachable_bar(void)
{
	struct model_spec s;
	struct verr e = {0};
	struct pdev *d;
	struct vdev v;

	fixture_spec(&s, MODEL_ID_BLOCK, MODEL_LEGACY);
	s.writable = false;
	s.bar_why = "no resource files (test)";
	d = fixture_pdev(&s);
	if (!d)
		return;
	CHECK(vdev_open(d, &v, &e) == 0);
	CHECK(!vdev_regs_readable(&v));
	CHECK_STR(v.regs_why, "no resource files (test)");
	pdev_close(d);
}

int main(void)
{
	test_open_legacy_only();
	test_queue_regs_and_selector_restore();
	test_config_moves_with_msix();
	test_config_read_twice();
	test_setup_queue();
	test_setup_queue_msix();
	test_notify_isr_features();
	test_interface_choice();
	test_unreachable_bar();
	return check_done();
}
