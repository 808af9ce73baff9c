/* The simulator: its spec parser and device source, its names against the
 * virtio tables, its bounded DMA memory, and every misbehaviour knob doing
 * what model_bugs() says it does (and nothing without it). */
#include "check.h"
#include "model_fixture.h"
#include "pci/regs.h"
#include "sim/model.h"
#include "sim/source.h"
#include "virtio/caps.h"
#include "virtio/driver.h"
#include "virtio/features.h"
#include "virtio/ids.h"
#include "virtio/vring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMON_STATUS 0x14
#define COMMON_GEN    0x15
#define COMMON_QSEL   0x16
#define COMMON_QSIZE  0x18
#define COMMON_QNOFF  0x1e

/* ---- names ---- */

/* The simulator may not include the virtio tables (layering); this test
 * keeps its names from drifting away from them. */
static void test_type_names(void)
{
	size_t n;
	const struct sim_type *t = sim_types(&n);

	CHECK(n >= 4);
	for (size_t i = 0; i < n; i++) {
		const struct virtio_type *vt = virtio_type_by_id(t[i].id);

		CHECK(vt != NULL);
		if (vt)
			CHECK_STR(t[i].name, vt->name);
		/* An alias must not be another type's name. */
		if (t[i].alias)
			CHECK(virtio_type_by_name(t[i].alias) == NULL ||
			      virtio_type_by_name(t[i].alias)->id == t[i].id);
	}
	/* Every type with a self-test can be simulated. */
	for (unsigned id = VIRTIO_DEV_NET; id <= VIRTIO_DEV_ENTROPY; id++) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			found |= t[i].id == id && t[i].selftest;
		CHECK(found);
	}
}

static void test_bug_table(void)
{
	size_t n;
	const struct model_bug_info *b = model_bugs(&n);
	unsigned all = 0;

	CHECK_EQ(n, 9);
	for (size_t i = 0; i < n; i++) {
		CHECK((all & b[i].bit) == 0); /* one bit each */
		all |= b[i].bit;
		CHECK(model_bug_find(b[i].name, strlen(b[i].name)) == &b[i]);
		CHECK(b[i].description[0] && b[i].changes[0]);
	}
	CHECK(model_bug_find("reset", 5) == NULL);
	CHECK(model_bug_find("reset-ignoredx", 14) == NULL);
}

/* ---- specs ---- */

static void test_spec_good(void)
{
	struct sim_spec s;
	struct verr e = {0};

	CHECK(sim_spec_parse("block", 0, &s, &e) == 0);
	CHECK_EQ(s.model.device_id, 2);
	CHECK_EQ(s.model.transport, MODEL_MODERN);
	CHECK_EQ(s.model.addr.dev, 1);
	CHECK(s.model.driver == NULL && s.model.bar_why == NULL);
	CHECK(sim_spec_parse("rng,transport=legacy,queues=3,queue_size=16", 4, &s, &e) == 0);
	CHECK_EQ(s.model.device_id, 4);
	CHECK_EQ(s.model.transport, MODEL_LEGACY);
	CHECK_EQ(s.model.num_queues, 3);
	CHECK_EQ(s.model.msix_vectors, 4);
	CHECK_EQ(s.model.queue_max[2], 16);
	CHECK_EQ(s.model.addr.dev, 5);
	CHECK(sim_spec_parse("net,driver=virtio-pci,bug=used-id-bogus+no-isr-cap,bug=reset-ignored",
			     30, &s, &e) == 0);
	CHECK_STR(s.model.driver, "virtio-pci");
	CHECK(s.model.bar_why != NULL);
	CHECK_EQ(s.model.bugs,
		 MODEL_BUG_USED_ID_BOGUS | MODEL_BUG_NO_ISR_CAP | MODEL_BUG_RESET_IGNORED);
	CHECK_EQ(s.model.addr.dev, 31);
	/* RING_PACKED only when asked, as QEMU's packed=on. */
	CHECK(sim_spec_parse("block", 0, &s, &e) == 0);
	CHECK(!(s.model.features & MODEL_BIT(MODEL_F_RING_PACKED)));
	CHECK(sim_spec_parse("block,packed=on", 0, &s, &e) == 0);
	CHECK(s.model.features & MODEL_BIT(MODEL_F_RING_PACKED));
	CHECK(sim_spec_parse("block,packed=on,packed=off", 0, &s, &e) == 0);
	CHECK(!(s.model.features & MODEL_BIT(MODEL_F_RING_PACKED)));
	CHECK(sim_spec_parse("console,driver=vfio-pci", 0, &s, &e) == 0);
	CHECK(s.model.bar_why == NULL); /* vfio-pci gives the BARs to its user */
	if (e.code)
		printf("# %s\n", e.msg);
}

static void test_spec_bad(void)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"", "not a simulated device type"},
		{"list", "not a simulated device type"},
		{"gpu", "gpu: not a simulated device type"},
		{"block,", "a key=value is empty or has no key"},
		{"block,queues", "queues: not key=value"},
		{"block,queues=0", "queues=0: not a queue count"},
		{"block,queues=65", "queues=65: not a queue count"},
		{"block,queues=-1", "queues=-1: not a queue count"},
		{"block,queues=2x", "queues=2x: not a queue count"},
		{"block,queue_size=100", "queue_size=100: not a queue size"},
		{"block,queue_size=65536", "queue_size=65536: not a queue size"},
		{"block,transport=pci", "transport=pci: not a transport"},
		{"block,driver=", "driver=: not a driver name"},
		{"block,driver=a/b", "driver=a/b: not a driver name"},
		{"block,bug=nope", "nope: not a bug knob"},
		{"block,bug=reset-ignored+", ": not a bug knob"},
		{"block,colour=red", "colour: not a key"},
		{"block,packed=yes", "packed=yes: not on or off"},
		{"net,transport=legacy,bug=no-isr-cap", "needs the modern interface"},
		{"entropy,bug=config-generation-stuck", "needs a device configuration"},
	};
	struct sim_spec s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct verr e = {0};

		CHECK(sim_spec_parse(bad[i].spec, 0, &s, &e) == -1);
		CHECK_EQ(e.code, VX_USAGE);
		if (!strstr(e.msg, bad[i].msg)) {
			printf("# '%s': %s\n", bad[i].spec, e.msg);
			CHECK(!"message names the bad part");
		}
		CHECK(strchr(e.msg, '\n') == NULL);
	}
	{
		struct verr e = {0};

		CHECK(sim_spec_parse("block", SIM_MAX_DEVICES, &s, &e) == -1);
		CHECK_EQ(e.code, VX_USAGE);
	}
}

/* ---- the source ---- */

static void test_source(void)
{
	const char *specs[] = {"block", "entropy,transport=transitional", "net,driver=virtio-pci"};
	struct verr e = {0};
	struct psys *s = sim_source_open(specs, 3, &e);
	struct psys_entry *v = NULL;
	struct pdev *a = NULL, *b = NULL, *c = NULL;
	struct pci_addr addr = {0, 0, 2, 0};
	struct dma *dma = NULL;
	size_t n = 0;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(psys_kind(s), PSYS_PROVIDED);
	CHECK(psys_sysfs_root(s) == NULL);
	CHECK(!psys_is_dump(s));
	CHECK(psys_scan(s, &v, &n, &e) == 0);
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK_EQ(v[0].addr.dev, 1);
		CHECK_EQ(v[0].device, 0x1042);
		CHECK_EQ(v[1].device, 0x1005); /* transitional entropy */
		CHECK_STR(v[2].driver, "virtio-pci");
	}
	free(v);
	/* Two opens are one device: state written through one shows in the other. */
	CHECK(psys_open_device(s, &addr, &a, &e) == 0);
	CHECK(psys_open_config(s, &addr, &b, &e) == 0);
	CHECK(a && b && a != b && !a->writable && !a->on_host);
	if (a && b) {
		model_state(a)->status = 0x03;
		CHECK_EQ(model_state(b)->status, 0x03);
		pdev_allow_writes(a, true, NULL);
		CHECK(sim_source_device(s, &addr) != NULL);
		CHECK(sim_dma_open(a, sim_source_device(s, &addr), &dma, &e) == 0);
		dma_close(dma);
	}
	pdev_close(a);
	pdev_close(b);
	/* Closed and opened again: the device kept its state, like hardware. */
	CHECK(psys_open_device(s, &addr, &c, &e) == 0);
	CHECK(c && model_state(c)->status == 0x03);
	pdev_close(c);
	addr.dev = 3;
	CHECK(psys_open_device(s, &addr, &c, &e) == 0);
	CHECK(c && strcmp(c->driver, "virtio-pci") == 0 && !pdev_has_bar_access(c));
	pdev_close(c);
	addr.dev = 4;
	CHECK(psys_open_device(s, &addr, &c, &e) == -1);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK(strstr(e.msg, "0000:00:01.0 to 0000:00:03.0") != NULL);
	psys_close(s);

	verr_clear(&e);
	specs[1] = "entropy,queues=x";
	CHECK(sim_source_open(specs, 2, &e) == NULL);
	CHECK_EQ(e.code, VX_USAGE);
}

/* A non-simulated device gets no simulator memory. */
static void test_dma_other_device(void)
{
	struct pdev d;
	struct dma *dma = NULL;
	struct verr e = {0};

	memset(&d, 0, sizeof(d));
	CHECK(!sim_is_device(&d));
	CHECK(sim_dma_open(&d, &d, &dma, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
}

/* ---- bounded DMA ---- */

static struct vring *bring_up(struct fixture *f, unsigned q, uint16_t size)
{
	struct vstep_result r;
	struct verr e = {0};
	struct vring *ring = NULL;
	uint64_t offered = 0;

	if (vdev_step(&f->v, VSTEP_RESET, false, &r, &e) ||
	    vdev_step(&f->v, VSTEP_ACK, false, &r, &e) ||
	    vdev_step(&f->v, VSTEP_DRIVER, false, &r, &e) ||
	    f->v.ops->get_device_features(&f->v, &offered, &e) ||
	    f->v.ops->set_driver_features(&f->v, features_default(&f->v, offered), &e) ||
	    vdev_step(&f->v, VSTEP_FEATURES_OK, false, &r, &e) ||
	    vring_create(&f->v, f->dma, q, size, features_default(&f->v, offered),
			 VIRTIO_MSI_NO_VECTOR, &ring, &e) ||
	    vdev_step(&f->v, VSTEP_DRIVER_OK, false, &r, &e)) {
		printf("# bring_up: %s\n", e.msg);
		CHECK(!"bring_up");
	}
	return ring;
}

static void finish(struct fixture *f, struct vring *r)
{
	struct verr e = {0};

	CHECK(vdev_reset(&f->v, 100, &e) == 0);
	vring_destroy(r);
	fixture_close(f);
}

/* Descriptor 0 of queue 0, as the device reads it. */
static uint8_t *desc0(struct fixture *f)
{
	const struct model_queue *mq = &model_state(f->pci)->queue[0];

	return model_dma_ptr(f->pci, mq->desc, 16u * mq->size);
}

/* A forged descriptor pointing outside the device's memory is a device
 * error (NEEDS_RESET), never an access to it. */
static void test_dma_out_of_bounds(void)
{
	static const uint64_t wild[] = {
		MODEL_DMA_BASE + MODEL_DMA_SIZE,     /* just past the end */
		MODEL_DMA_BASE + MODEL_DMA_SIZE - 8, /* straddles the end */
		MODEL_DMA_BASE - 64,		     /* below */
		0,				     /* null */
		0xffffffffffffff00ull,		     /* wraps */
		(uint64_t)(uintptr_t)&wild,	     /* a real pointer */
	};

	for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		struct fixture f;
		struct vseg seg = {true, NULL, 64};
		struct verr e = {0};
		struct vring *r;
		uint16_t head;
		uint8_t *d;

		if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
			return;
		model_set_handler(f.pci, 0, NULL, NULL); /* processed below, by hand */
		r = bring_up(&f, 0, 8);
		CHECK(r && vring_post(r, &seg, 1, &head, &e) == 0);
		d = desc0(&f);
		CHECK(d != NULL && head == 0);
		if (!r || !d) {
			fixture_close(&f);
			return;
		}
		memcpy(d, &wild[i], 8);
		CHECK(model_process_queue(f.pci, 0, model_entropy_handler, NULL, &e) == -1);
		CHECK_EQ(e.code, VX_DEVICE);
		CHECK(strstr(e.msg, "not reachable") != NULL);
		CHECK(model_state(f.pci)->status & MODEL_S_NEEDS_RESET);
		CHECK_EQ(model_state(f.pci)->queue[0].completed, 0);
		finish(&f, r);
	}
}

/* The rings themselves outside the memory: the same. */
static void test_dma_ring_out_of_bounds(void)
{
	struct fixture f;
	struct verr e = {0};
	struct vring *r;

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	r = bring_up(&f, 0, 8);
	if (!r)
		return fixture_close(&f);
	model_state(f.pci)->queue[0].device = MODEL_DMA_BASE + MODEL_DMA_SIZE - 16;
	CHECK(model_process_queue(f.pci, 0, model_entropy_handler, NULL, &e) == -1);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(model_state(f.pci)->status & MODEL_S_NEEDS_RESET);
	CHECK(model_dma_ptr(f.pci, MODEL_DMA_BASE, MODEL_DMA_SIZE) != NULL);
	CHECK(model_dma_ptr(f.pci, MODEL_DMA_BASE, MODEL_DMA_SIZE + 1) == NULL);
	CHECK(model_dma_ptr(f.pci, MODEL_DMA_BASE + 1, MODEL_DMA_SIZE) == NULL);
	finish(&f, r);
}

/* One arena: the memory is handed out once at a time, and a request
 * larger than it fails instead of reaching past it. */
static void test_dma_one_arena(void)
{
	struct fixture f;
	struct dma *second = NULL;
	struct dma_mem m, big;
	struct verr e = {0};

	if (!fixture_open(&f, MODEL_ID_RNG, MODEL_MODERN, VDEV_IFACE_DEFAULT))
		return;
	CHECK(dma_alloc(f.dma, 4096, 4096, &m, &e) == 0);
	CHECK_EQ(m.bus % 4096, 0);
	CHECK(m.bus >= MODEL_DMA_BASE && m.bus < MODEL_DMA_BASE + MODEL_DMA_SIZE);
	/* A legacy queue's PFN holds it. */
	CHECK((m.bus >> 12) <= 0xffffffffu);
	CHECK(dma_open_backend(f.pci, &model_dma_backend, &second, &e) == 0);
	CHECK(dma_alloc(second, 64, 64, &big, &e) == -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	dma_close(second);
	dma_free(f.dma, &m);
	fixture_close(&f);
}

/* ---- knobs ---- */

static struct model_spec spec_with(unsigned type, enum model_transport t, unsigned bugs)
{
	struct model_spec s;

	fixture_spec(&s, type, t);
	s.bugs = bugs;
	return s;
}

static uint64_t common_read(struct fixture *f, unsigned off, unsigned width)
{
	uint64_t v = 0xdead;
	struct verr e = {0};

	CHECK(pdev_bar_read(f->pci, 4, off, width, &v, &e) == 0);
	return v;
}

static void common_write(struct fixture *f, unsigned off, unsigned width, uint64_t v)
{
	struct verr e = {0};

	CHECK(pdev_bar_write(f->pci, 4, off, width, v, &e) == 0);
}

static void test_bug_reset_ignored(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s =
			spec_with(MODEL_ID_BLOCK, MODEL_MODERN, bug ? MODEL_BUG_RESET_IGNORED : 0);
		struct fixture f;
		struct verr e = {0};

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		common_write(&f, COMMON_STATUS, 1, MODEL_S_ACKNOWLEDGE);
		common_write(&f, COMMON_STATUS, 1, 0);
		CHECK_EQ(common_read(&f, COMMON_STATUS, 1), bug ? MODEL_S_ACKNOWLEDGE : 0);
		CHECK_EQ(vdev_reset(&f.v, 20, &e), bug ? -1 : 0);
		CHECK_EQ(e.code, bug ? VX_TIMEOUT : VX_OK);
		fixture_close(&f);
	}
}

static void test_bug_features_ok_always(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s = spec_with(MODEL_ID_BLOCK, MODEL_MODERN,
						bug ? MODEL_BUG_FEATURES_OK_ALWAYS : 0);
		struct fixture f;
		struct verr e = {0};
		uint8_t want = MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER | MODEL_S_FEATURES_OK;

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		common_write(&f, COMMON_STATUS, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER);
		/* VERSION_1 and bit 63, which no device offers here. */
		CHECK(f.v.ops->set_driver_features(&f.v, 1ull << 32 | 1ull << 63, &e) == 0);
		common_write(&f, COMMON_STATUS, 1, want);
		CHECK_EQ(common_read(&f, COMMON_STATUS, 1),
			 bug ? want : (uint8_t)(want & ~MODEL_S_FEATURES_OK));
		CHECK_EQ(model_state(f.pci)->features_ok_refused, bug ? 0 : 1);
		fixture_close(&f);
	}
}

static void test_bug_queue_size_odd(void)
{
	static const struct {
		uint16_t max, shown;
	} cases[] = {{256, 255}, {8, 7}, {2, 3}, {1, 3}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int bug = 0; bug < 2; bug++) {
			struct model_spec s = spec_with(MODEL_ID_BLOCK, MODEL_MODERN,
							bug ? MODEL_BUG_QUEUE_SIZE_ODD : 0);
			struct fixture f;

			s.queue_max[0] = cases[i].max;
			if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
				return;
			common_write(&f, COMMON_QSEL, 2, 0);
			CHECK_EQ(common_read(&f, COMMON_QSIZE, 2),
				 bug ? cases[i].shown : cases[i].max);
			fixture_close(&f);
		}
	/* The legacy header's queue_num too. */
	{
		struct model_spec s =
			spec_with(MODEL_ID_BLOCK, MODEL_LEGACY, MODEL_BUG_QUEUE_SIZE_ODD);
		struct fixture f;
		uint64_t v = 0;
		struct verr e = {0};

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		CHECK(pdev_bar_write(f.pci, 0, 14, 2, 0, &e) == 0);
		CHECK(pdev_bar_read(f.pci, 0, 12, 2, &v, &e) == 0);
		CHECK_EQ(v, 255);
		fixture_close(&f);
	}
}

/* One chain of `writable` bytes through an entropy device; the used
 * element as the device wrote it. */
static void used_element(unsigned bugs, uint32_t writable, uint32_t *id, uint32_t *len,
			 uint16_t *head)
{
	struct model_spec s = spec_with(MODEL_ID_RNG, MODEL_MODERN, bugs);
	struct vseg seg = {true, NULL, writable};
	struct fixture f;
	struct verr e = {0};
	struct vring *r;
	const struct model_queue *mq;
	const uint8_t *used;

	*id = *len = 0xffffffffu;
	if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
		return;
	model_set_handler(f.pci, 0, NULL, NULL);
	r = bring_up(&f, 0, 8);
	if (!r)
		return fixture_close(&f);
	CHECK(vring_post(r, &seg, 1, head, &e) == 0);
	CHECK_EQ(model_process_queue(f.pci, 0, model_entropy_handler, NULL, &e), 1);
	mq = &model_state(f.pci)->queue[0];
	used = model_dma_ptr(f.pci, mq->device, 4 + 8u * mq->size);
	if (used) {
		memcpy(id, used + 4, 4);
		memcpy(len, used + 8, 4);
	}
	finish(&f, r);
}

static void test_bug_used_len_overflow(void)
{
	uint32_t id, len;
	uint16_t head = 0;

	used_element(0, 100, &id, &len, &head);
	CHECK_EQ(len, 100);
	used_element(MODEL_BUG_USED_LEN_OVERFLOW, 100, &id, &len, &head);
	CHECK_EQ(len, 101);
	CHECK_EQ(id, head);
}

static void test_bug_used_id_bogus(void)
{
	uint32_t id, len;
	uint16_t head = 0;

	used_element(0, 32, &id, &len, &head);
	CHECK_EQ(id, head);
	used_element(MODEL_BUG_USED_ID_BOGUS, 32, &id, &len, &head);
	CHECK_EQ(id, head + 8u); /* head + queue size: not a descriptor at all */
	CHECK_EQ(len, 32);
}

static void test_bug_config_generation_stuck(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s = spec_with(MODEL_ID_BLOCK, MODEL_MODERN,
						bug ? MODEL_BUG_CONFIG_GENERATION_STUCK : 0);
		struct fixture f;
		struct verr e = {0};
		uint64_t gen0, gen1, cap0, cap1;
		uint8_t b = 0x77;

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		gen0 = common_read(&f, COMMON_GEN, 1);
		cap0 = common_read(&f, 0x2000, 4);
		gen1 = common_read(&f, COMMON_GEN, 1);
		cap1 = common_read(&f, 0x2000, 4);
		CHECK_EQ(gen1, gen0);
		/* The config moved under an unchanged generation. */
		CHECK_EQ(cap1 != cap0, bug);
		/* A change the device announces: the generation moves, or not. */
		CHECK(model_set_device_cfg(f.pci, 20, &b, 1, &e) == 0);
		CHECK_EQ(common_read(&f, COMMON_GEN, 1) != gen1, !bug);
		fixture_close(&f);
	}
}

static void test_bug_notify_off_out_of_range(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s = spec_with(MODEL_ID_NET, MODEL_MODERN,
						bug ? MODEL_BUG_NOTIFY_OFF_OUT_OF_RANGE : 0);
		struct fixture f;
		const struct vcap *nc;
		struct vq_notify_loc loc;
		struct verr e = {0};

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		CHECK(f.v.caps.notify >= 0);
		nc = &f.v.caps.v[f.v.caps.notify];
		for (unsigned q = 0; q < 2; q++) {
			uint64_t off;

			common_write(&f, COMMON_QSEL, 2, q);
			off = common_read(&f, COMMON_QNOFF, 2) * nc->notify_off_multiplier;
			CHECK_EQ(off + 2 > nc->length, bug);
		}
		/* virtioctl refuses to notify there. */
		CHECK_EQ(f.v.ops->notify_location(&f.v, 0, 0, &loc, &e) == -1, bug);
		fixture_close(&f);
	}
}

static void test_bug_no_isr_cap(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s =
			spec_with(MODEL_ID_RNG, MODEL_MODERN, bug ? MODEL_BUG_NO_ISR_CAP : 0);
		struct fixture f;
		bool isr = false;

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		for (unsigned i = 0; i < f.v.caps.nv; i++)
			isr |= f.v.caps.v[i].cfg_type == 3;
		CHECK_EQ(isr, !bug);
		CHECK_EQ(f.v.caps.isr >= 0, !bug);
		CHECK_EQ(model_cap_offset(f.pci, 3) != 0, !bug);
		/* Only the ISR one is gone. */
		CHECK(f.v.caps.common >= 0 && f.v.caps.notify >= 0 && f.v.caps.device >= 0);
		fixture_close(&f);
	}
}

static void test_bug_status_reserved_bits(void)
{
	for (int bug = 0; bug < 2; bug++) {
		struct model_spec s = spec_with(MODEL_ID_BLOCK, MODEL_TRANSITIONAL,
						bug ? MODEL_BUG_STATUS_RESERVED_BITS : 0);
		struct fixture f;
		struct verr e = {0};
		uint64_t v = 0;

		if (!fixture_open_spec(&f, &s, VDEV_IFACE_DEFAULT))
			return;
		CHECK_EQ(common_read(&f, COMMON_STATUS, 1), 0);
		common_write(&f, COMMON_STATUS, 1, MODEL_S_ACKNOWLEDGE);
		CHECK_EQ(common_read(&f, COMMON_STATUS, 1), bug ? 0x21 : 0x01);
		/* The legacy header's status register too. */
		CHECK(pdev_bar_read(f.pci, 0, 18, 1, &v, &e) == 0);
		CHECK_EQ(v, bug ? 0x21 : 0x01);
		/* A reset still reads back 0. */
		CHECK(vdev_reset(&f.v, 20, &e) == 0);
		fixture_close(&f);
	}
}

int main(void)
{
	test_type_names();
	test_bug_table();
	test_spec_good();
	test_spec_bad();
	test_source();
	test_dma_other_device();
	test_dma_out_of_bounds();
	test_dma_ring_out_of_bounds();
	test_dma_one_arena();
	test_bug_reset_ignored();
	test_bug_features_ok_always();
	test_bug_queue_size_odd();
	test_bug_used_len_overflow();
	test_bug_used_id_bogus();
	test_bug_config_generation_stuck();
	test_bug_notify_off_out_of_range();
	test_bug_no_isr_cap();
	test_bug_status_reserved_bits();
	return check_done();
}
