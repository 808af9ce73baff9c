/* The test device model itself, through the pdev_* API only, so the other
 * unit tests can trust what it shows them. */
#include "check.h"
#include "model_fixture.h"
#include "sim/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB     4 /* modern BAR in the default layout */
#define COMMON 0x0000
#define ISR    0x1000
#define DEVCFG 0x2000
#define NOTIFY 0x3000

/* Common configuration offsets (virtio 1.3, 4.1.4.3). */
enum {
	DFSELECT = 0x00,
	DF = 0x04,
	GFSELECT = 0x08,
	GF = 0x0c,
	MSIX_CONFIG = 0x10,
	NUMQ = 0x12,
	STATUS = 0x14,
	GENERATION = 0x15,
	QSEL = 0x16,
	QSIZE = 0x18,
	QMSIX = 0x1a,
	QENABLE = 0x1c,
	QNOFF = 0x1e,
	QDESC = 0x20,
	QDRIVER = 0x28,
	QDEVICE = 0x30,
	QNDATA = 0x38,
	QRESET = 0x3a,
};

static struct pdev *make(unsigned type, enum model_transport t, void (*tweak)(struct model_spec *))
{
	struct model_spec s;

	fixture_spec(&s, type, t);
	s.dma_identity = true;
	if (tweak)
		tweak(&s);
	return fixture_pdev(&s);
}

static uint64_t rd(struct pdev *d, unsigned bar, uint64_t off, unsigned w)
{
	uint64_t v = 0xdead;
	struct verr e = {0};

	if (pdev_bar_read(d, bar, off, w, &v, &e))
		printf("  (read bar%u+0x%llx: %s)\n", bar, (unsigned long long)off, e.msg);
	return v;
}

static void wr(struct pdev *d, unsigned bar, uint64_t off, unsigned w, uint64_t v)
{
	struct verr e = {0};

	if (pdev_bar_write(d, bar, off, w, v, &e))
		printf("  (write bar%u+0x%llx: %s)\n", bar, (unsigned long long)off, e.msg);
}

static uint64_t crd(struct pdev *d, unsigned off, unsigned w)
{
	return rd(d, MB, COMMON + off, w);
}

static void cwr(struct pdev *d, unsigned off, unsigned w, uint64_t v)
{
	wr(d, MB, COMMON + off, w, v);
}

/* Fails the test and prints the model's errors when there are any. */
static void no_errors(struct pdev *d, int line)
{
	if (model_error_count(d)) {
		printf("FAIL line %d: model errors:\n", line);
		for (size_t i = 0; i < model_error_count(d); i++)
			printf("  %s\n", model_error(d, i));
	}
	check_impl(model_error_count(d) == 0, __FILE__, line, "no model errors");
}
#define NO_ERRORS(d) no_errors((d), __LINE__)

static bool error_has(struct pdev *d, const char *text)
{
	for (size_t i = 0; i < model_error_count(d); i++)
		if (strstr(model_error(d, i), text))
			return true;
	return false;
}

/* Walks the capability list: virtio cfg_types in list order, -1 for others. */
static unsigned walk(struct pdev *d, unsigned at[], int type[], unsigned max)
{
	unsigned n = 0, p = pdev_cfg_read8(d, 0x34) & 0xfc;

	while (p && n < max) {
		at[n] = p;
		type[n] = pdev_cfg_read8(d, p) == 0x09 ? pdev_cfg_read8(d, p + 3)
						       : -(int)pdev_cfg_read8(d, p);
		n++;
		p = pdev_cfg_read8(d, p + 1) & 0xfc;
	}
	return n;
}

static void check_header(struct pdev *d)
{
	CHECK_STR(d->ops->name, "model");
	CHECK_EQ(pdev_cfg_read16(d, 0x00), 0x1af4);
	CHECK_EQ(pdev_cfg_read16(d, 0x02), 0x1041);
	CHECK_EQ(d->device, 0x1041);
	CHECK_EQ(pdev_cfg_read8(d, 0x08), 1);
	CHECK_EQ(pdev_cfg_read32(d, 0x08) >> 8, 0x020000);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x1af4);
	CHECK_EQ(pdev_cfg_read16(d, 0x2e), 0x1100);
	CHECK(pdev_cfg_read16(d, 0x06) & 0x10);
	CHECK_EQ(pdev_cfg_read8(d, 0x0e), 0);
	CHECK_EQ(pdev_cfg_read8(d, 0x3d), 1);
	CHECK_EQ(d->cfg_size, 256);
}

static void check_caps(struct pdev *d)
{
	unsigned at[16], c;
	int type[16];

	/* QEMU's list order: last added first. */
	CHECK_EQ(walk(d, at, type, 16), 6);
	CHECK_EQ(type[0], -0x11);
	CHECK_EQ(at[0], 0x98);
	CHECK_EQ(type[1], 5);
	CHECK_EQ(type[2], 2);
	CHECK_EQ(type[3], 4);
	CHECK_EQ(type[4], 3);
	CHECK_EQ(type[5], 1);
	CHECK_EQ(at[5], 0x40);

	c = model_cap_offset(d, 1);
	CHECK_EQ(c, 0x40);
	CHECK_EQ(pdev_cfg_read8(d, c + 2), 16);
	CHECK_EQ(pdev_cfg_read8(d, c + 4), 4);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0);
	CHECK_EQ(pdev_cfg_read32(d, c + 12), 0x38);
	c = model_cap_offset(d, 3);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0x1000);
	CHECK_EQ(pdev_cfg_read32(d, c + 12), 1);
	c = model_cap_offset(d, 4);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0x2000);
	CHECK_EQ(pdev_cfg_read32(d, c + 12), 0x1000);
	c = model_cap_offset(d, 2);
	CHECK_EQ(pdev_cfg_read8(d, c + 2), 20);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0x3000);
	CHECK_EQ(pdev_cfg_read32(d, c + 16), 4);
	CHECK_EQ(pdev_cfg_read8(d, model_cap_offset(d, 5) + 2), 20);

	/* MSI-X: 3 vectors, table and PBA in BAR 1. */
	c = model_msix_cap_offset(d);
	CHECK_EQ(c, 0x98);
	CHECK_EQ(pdev_cfg_read16(d, c + 2), 2);
	CHECK_EQ(pdev_cfg_read32(d, c + 4), 0x1);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0x801);
}

static void check_bars(struct pdev *d)
{
	CHECK_EQ(d->bar[0].kind, PCI_BAR_NONE);
	CHECK_EQ(d->bar[1].kind, PCI_BAR_MEM32);
	CHECK_EQ(d->bar[1].size, 0x1000);
	CHECK_EQ(d->bar[4].kind, PCI_BAR_MEM64);
	CHECK(d->bar[4].prefetchable);
	CHECK_EQ(d->bar[4].size, 0x4000);
	CHECK_EQ(d->bar[5].kind, PCI_BAR_NONE);
	CHECK_EQ(pdev_cfg_read32(d, 0x20) & 0xf, 0xc);
	CHECK_EQ(pdev_cfg_read32(d, 0x20) & ~0xfu, d->bar[4].base & 0xffffffffu);
	CHECK_EQ(pdev_cfg_read32(d, 0x24), d->bar[4].base >> 32);
	CHECK_EQ(pdev_cfg_read32(d, 0x14) & 0xf, 0);
	CHECK_EQ(pdev_cfg_read32(d, 0x10), 0);
	CHECK(pdev_has_bar_access(d));
}

static void test_modern_layout(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);

	check_header(d);
	check_caps(d);
	check_bars(d);
	NO_ERRORS(d);
	pdev_close(d);
}

static void test_bar_sizing(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_TRANSITIONAL, NULL);
	uint32_t lo = pdev_cfg_read32(d, 0x20), hi = pdev_cfg_read32(d, 0x24);

	CHECK_EQ(pdev_cfg_read32(d, 0x10) & 1, 1);
	CHECK(pdev_cfg_write(d, 0x20, 4, 0xffffffffu, NULL) == 0);
	CHECK(pdev_cfg_write(d, 0x24, 4, 0xffffffffu, NULL) == 0);
	CHECK_EQ(pdev_cfg_read32(d, 0x20), 0xffffc00cu);
	CHECK_EQ(pdev_cfg_read32(d, 0x24), 0xffffffffu);
	CHECK(pdev_cfg_write(d, 0x10, 4, 0xffffffffu, NULL) == 0);
	CHECK_EQ(pdev_cfg_read32(d, 0x10), (uint32_t) ~(d->bar[0].size - 1) | 1);
	CHECK(pdev_cfg_write(d, 0x18, 4, 0xffffffffu, NULL) == 0);
	CHECK_EQ(pdev_cfg_read32(d, 0x18), 0);
	pdev_cfg_write(d, 0x20, 4, lo, NULL);
	pdev_cfg_write(d, 0x24, 4, hi, NULL);
	CHECK_EQ(pdev_cfg_read32(d, 0x20), lo);
	NO_ERRORS(d);
	/* The vendor ID is read-only: flagged, unchanged. */
	pdev_cfg_write(d, 0x00, 2, 0x1234, NULL);
	CHECK_EQ(pdev_cfg_read16(d, 0x00), 0x1af4);
	CHECK(error_has(d, "read-only"));
	pdev_close(d);
}

static void transitional_tweak(struct model_spec *s)
{
	s->pcie = true;
}

static void test_transitional_and_legacy_layout(void)
{
	struct pdev *d = make(MODEL_ID_BLOCK, MODEL_TRANSITIONAL, transitional_tweak);
	unsigned at[16];
	int type[16];

	CHECK_EQ(d->device, 0x1001);
	CHECK_EQ(d->revision, 0);
	CHECK_EQ(d->subsys_device, 2);
	CHECK_EQ(d->cfg_size, 4096);
	CHECK_EQ(d->bar[0].kind, PCI_BAR_IO);
	CHECK_EQ(d->bar[0].size, 64); /* 24-byte header + 24 bytes of config */
	CHECK_EQ(d->bar[1].kind, PCI_BAR_MEM32);
	CHECK_EQ(walk(d, at, type, 16), 7);
	CHECK_EQ(type[0], -0x10); /* PCI Express */
	CHECK_EQ(type[1], -0x11);
	CHECK_EQ(pdev_cfg_read32(d, 0x100), 0);
	pdev_close(d);

	d = make(MODEL_ID_RNG, MODEL_LEGACY, NULL);
	CHECK_EQ(d->device, 0x1005);
	CHECK_EQ(d->subsys_device, 4);
	CHECK_EQ(walk(d, at, type, 16), 1);
	CHECK_EQ(type[0], -0x11);
	CHECK_EQ(d->bar[4].kind, PCI_BAR_NONE);
	CHECK_EQ(model_cap_offset(d, 1), 0);
	pdev_close(d);
}

static void no_msix(struct model_spec *s)
{
	s->msix_vectors = 0;
}

static void test_no_caps_at_all(void)
{
	struct pdev *d = make(MODEL_ID_RNG, MODEL_LEGACY, no_msix);

	CHECK_EQ(pdev_cfg_read16(d, 0x06) & 0x10, 0);
	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0);
	CHECK_EQ(d->bar[0].size, 32);
	pdev_close(d);
}

static void test_features(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	uint64_t f = model_spec(d)->features;

	CHECK(f & MODEL_BIT(MODEL_F_VERSION_1));
	CHECK_EQ(crd(d, DF, 4), f & 0xffffffffu);
	cwr(d, DFSELECT, 4, 1);
	CHECK_EQ(crd(d, DFSELECT, 4), 1);
	CHECK_EQ(crd(d, DF, 4), f >> 32);
	cwr(d, DFSELECT, 4, 2);
	CHECK_EQ(crd(d, DF, 4), 0);
	cwr(d, GFSELECT, 4, 1);
	cwr(d, GF, 4, 1);
	cwr(d, GFSELECT, 4, 0);
	cwr(d, GF, 4, 0x20);
	CHECK_EQ(model_state(d)->driver_features, MODEL_BIT(32) | 0x20);
	CHECK_EQ(crd(d, GF, 4), 0x20);
	NO_ERRORS(d);
	pdev_close(d);
}

static void negotiate(struct pdev *d, uint64_t f)
{
	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE);
	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER);
	cwr(d, GFSELECT, 4, 0);
	cwr(d, GF, 4, f & 0xffffffffu);
	cwr(d, GFSELECT, 4, 1);
	cwr(d, GF, 4, f >> 32);
	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER | MODEL_S_FEATURES_OK);
}

static void test_status_reset(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	struct model_state *st = model_state(d);

	negotiate(d, MODEL_BIT(MODEL_F_VERSION_1));
	CHECK_EQ(crd(d, STATUS, 1), 0x0b);
	cwr(d, QSEL, 2, 1);
	cwr(d, QSIZE, 2, 64);
	cwr(d, QDESC, 4, 0x1000);
	cwr(d, QENABLE, 2, 1);
	cwr(d, MSIX_CONFIG, 2, 0);
	CHECK_EQ(st->queue[1].size, 64);
	CHECK(st->queue[1].enabled);
	NO_ERRORS(d);

	cwr(d, STATUS, 1, 0);
	CHECK_EQ(crd(d, STATUS, 1), 0);
	CHECK_EQ(st->driver_features, 0);
	CHECK_EQ(st->resets, 1);
	CHECK_EQ(crd(d, QSEL, 2), 0);
	CHECK_EQ(crd(d, MSIX_CONFIG, 2), MODEL_NO_VECTOR);
	cwr(d, QSEL, 2, 1);
	CHECK_EQ(crd(d, QSIZE, 2), 256);
	CHECK_EQ(crd(d, QENABLE, 2), 0);
	CHECK_EQ(crd(d, QDESC, 4), 0);
	CHECK_EQ(crd(d, QMSIX, 2), MODEL_NO_VECTOR);
	NO_ERRORS(d);

	/* Clearing a status bit without a reset is a driver error. */
	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER);
	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE);
	CHECK(error_has(d, "clears bits"));
	pdev_close(d);
}

static void access_platform(struct model_spec *s)
{
	s->features |= MODEL_BIT(MODEL_F_ACCESS_PLATFORM);
}

static void test_features_ok_refusal(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, access_platform);
	struct model_state *st = model_state(d);

	negotiate(d, 0x20); /* no VERSION_1 */
	CHECK_EQ(crd(d, STATUS, 1), 0x03);
	CHECK_EQ(st->features_ok_refused, 1);
	cwr(d, STATUS, 1, 0);
	negotiate(d, MODEL_BIT(MODEL_F_VERSION_1) | MODEL_BIT(MODEL_F_ACCESS_PLATFORM) |
			     MODEL_BIT(3)); /* bit 3 not offered */
	CHECK_EQ(crd(d, STATUS, 1), 0x03);
	cwr(d, STATUS, 1, 0);
	negotiate(d, MODEL_BIT(MODEL_F_VERSION_1)); /* ACCESS_PLATFORM declined */
	CHECK_EQ(crd(d, STATUS, 1), 0x03);
	CHECK_EQ(st->features_ok_refused, 3);
	cwr(d, STATUS, 1, 0);
	negotiate(d, MODEL_BIT(MODEL_F_VERSION_1) | MODEL_BIT(MODEL_F_ACCESS_PLATFORM));
	CHECK_EQ(crd(d, STATUS, 1), 0x0b);
	NO_ERRORS(d);
	/* Features are frozen once FEATURES_OK is accepted. */
	cwr(d, GFSELECT, 4, 0);
	cwr(d, GF, 4, 0x20);
	CHECK(error_has(d, "after FEATURES_OK"));
	CHECK_EQ(st->driver_features & 0x20, 0);
	pdev_close(d);
}

static void test_queue_fields(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	struct model_state *st = model_state(d);

	CHECK_EQ(crd(d, NUMQ, 2), 2);
	cwr(d, QSEL, 2, 1);
	CHECK_EQ(crd(d, QSIZE, 2), 256);
	CHECK_EQ(crd(d, QNOFF, 2), 1);
	cwr(d, QSIZE, 2, 16);
	CHECK_EQ(crd(d, QSIZE, 2), 16);
	cwr(d, QMSIX, 2, 2);
	CHECK_EQ(crd(d, QMSIX, 2), 2);
	cwr(d, QDESC, 4, 0x12345000);
	cwr(d, QDESC + 4, 4, 0x1);
	cwr(d, QDRIVER, 4, 0x2000);
	cwr(d, QDEVICE + 4, 4, 0x7);
	CHECK_EQ(st->queue[1].desc, 0x112345000ull);
	CHECK_EQ(st->queue[1].driver, 0x2000);
	CHECK_EQ(st->queue[1].device, 0x700000000ull);
	CHECK_EQ(crd(d, QDESC + 4, 4), 1);
	CHECK_EQ(crd(d, QDRIVER, 4), 0x2000);
	NO_ERRORS(d);

	cwr(d, QSIZE, 2, 24); /* not a power of 2 */
	CHECK(error_has(d, "queue_size 24 rejected"));
	cwr(d, QSIZE, 2, 512); /* above the maximum */
	CHECK_EQ(crd(d, QSIZE, 2), 16);
	cwr(d, QMSIX, 2, 3); /* table has 3 entries: 0-2 */
	CHECK_EQ(crd(d, QMSIX, 2), MODEL_NO_VECTOR);
	cwr(d, NUMQ, 2, 5);
	CHECK(error_has(d, "read-only num_queues"));
	CHECK_EQ(crd(d, NUMQ, 2), 2);
	cwr(d, QENABLE, 2, 0);
	CHECK(error_has(d, "queue_enable written with 0"));
	model_log_clear(d);

	cwr(d, QENABLE, 2, 1);
	CHECK_EQ(crd(d, QENABLE, 2), 1);
	cwr(d, QDESC, 4, 0);
	CHECK(error_has(d, "while queue 1 is enabled"));
	CHECK_EQ(st->queue[1].desc, 0x112345000ull);
	model_log_clear(d);

	cwr(d, QSEL, 2, 7); /* no such queue */
	CHECK_EQ(crd(d, QSIZE, 2), 0);
	CHECK_EQ(crd(d, QSEL, 2), 7);
	NO_ERRORS(d);
	cwr(d, QSIZE, 2, 8);
	CHECK(error_has(d, "does not exist"));
	pdev_close(d);
}

static void test_widths(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	const struct model_access *a;
	uint64_t v;

	v = crd(d, STATUS, 2); /* status and generation together */
	CHECK_EQ(v, 0);
	CHECK_EQ(model_error_count(d), 1);
	CHECK(error_has(d, "device_status is 1 bytes"));
	a = model_log_entry(d, model_log_count(d) - 1);
	CHECK(a->bad);
	CHECK_STR(a->what, "device_status");
	crd(d, MSIX_CONFIG, 4); /* config_msix_vector and num_queues together */
	crd(d, DF, 2);
	CHECK(error_has(d, "config_msix_vector is 2 bytes"));
	CHECK(error_has(d, "device_feature is 4 bytes"));
	wr(d, MB, COMMON + QDESC, 8, 0x1000); /* 64-bit fields are two 32-bit halves */
	CHECK(error_has(d, "queue_desc_lo is 4 bytes"));
	CHECK_EQ(model_state(d)->queue[0].desc, 0);
	rd(d, MB, ISR, 4);
	CHECK(error_has(d, "ISR access"));
	rd(d, MB, DEVCFG, 8);
	CHECK(error_has(d, "8-byte device config"));
	CHECK_EQ(model_error_count(d), 6);
	pdev_close(d);
}

static void long_common(struct model_spec *s)
{
	s->common_len = 0x40;
	s->features |= MODEL_BIT(MODEL_F_RING_RESET) | MODEL_BIT(MODEL_F_NOTIF_CONFIG_DATA);
}

static void test_common_len(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	struct model_state *st;

	CHECK_EQ(crd(d, QRESET, 2), 0);
	CHECK(error_has(d, "no virtio structure"));
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, long_common);
	st = model_state(d);
	CHECK_EQ(pdev_cfg_read32(d, model_cap_offset(d, 1) + 12), 0x40);
	cwr(d, QSEL, 2, 1);
	CHECK_EQ(crd(d, QNDATA, 2), 0x8001);
	cwr(d, QRESET, 2, 1); /* RING_RESET not negotiated yet */
	CHECK(error_has(d, "without VIRTIO_F_RING_RESET"));
	model_log_clear(d);
	negotiate(d, MODEL_BIT(MODEL_F_VERSION_1) | MODEL_BIT(MODEL_F_RING_RESET));
	cwr(d, QSEL, 2, 1);
	cwr(d, QSIZE, 2, 32);
	cwr(d, QDESC, 4, 0x4000);
	cwr(d, QENABLE, 2, 1);
	cwr(d, QRESET, 2, 1);
	CHECK_EQ(crd(d, QRESET, 2), 0);
	CHECK_EQ(crd(d, QENABLE, 2), 0);
	CHECK_EQ(crd(d, QSIZE, 2), 256);
	CHECK_EQ(st->queue[1].desc, 0);
	CHECK_EQ(crd(d, 0x3c, 2), 2); /* admin_queue_index */
	CHECK_EQ(crd(d, 0x3e, 2), 0);
	NO_ERRORS(d);
	pdev_close(d);
}

static void test_device_cfg_and_isr(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	struct model_state *st = model_state(d);
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	CHECK_EQ(rd(d, MB, DEVCFG, 1), 0x52);
	CHECK_EQ(rd(d, MB, DEVCFG + 4, 2), 0x5634);
	CHECK_EQ(rd(d, MB, DEVCFG + 6, 2), 1);
	CHECK_EQ(crd(d, GENERATION, 1), 0);
	NO_ERRORS(d);
	CHECK_EQ(rd(d, MB, DEVCFG + 8, 4), 0xffffffffu);
	CHECK(error_has(d, "past its 8 bytes"));
	model_log_clear(d);

	CHECK(model_set_device_cfg(d, 0, mac, 6, NULL) == 0);
	CHECK_EQ(crd(d, GENERATION, 1), 1);
	CHECK_EQ(rd(d, MB, DEVCFG, 4), 0x00000002);
	CHECK_EQ(st->irqs, 1);
	CHECK_EQ(st->last_irq_vector, MODEL_NO_VECTOR);
	CHECK(pdev_cfg_read16(d, 0x06) & 0x08); /* INTx pending */
	CHECK_EQ(rd(d, MB, ISR, 1), 2);
	CHECK_EQ(rd(d, MB, ISR, 1), 0);
	CHECK_EQ(pdev_cfg_read16(d, 0x06) & 0x08, 0);

	model_cfg_churn(d, 2);
	rd(d, MB, DEVCFG, 1);
	rd(d, MB, DEVCFG, 1);
	rd(d, MB, DEVCFG, 1);
	CHECK_EQ(crd(d, GENERATION, 1), 3);

	model_set_needs_reset(d);
	CHECK_EQ(crd(d, STATUS, 1), MODEL_S_NEEDS_RESET);
	NO_ERRORS(d);
	pdev_close(d);
}

static void msix_enable(struct pdev *d, bool on)
{
	unsigned c = model_msix_cap_offset(d);

	pdev_cfg_write(d, c + 2, 2, on ? 0x8000 : 0, NULL);
}

static void test_legacy_header(void)
{
	struct pdev *d = make(MODEL_ID_BLOCK, MODEL_TRANSITIONAL, NULL);
	const struct model_spec *s = model_spec(d);
	struct model_state *st = model_state(d);

	CHECK_EQ(rd(d, 0, 0, 4), (s->features | s->legacy_only_features) & 0xffffffffu);
	CHECK(rd(d, 0, 0, 4) & MODEL_BIT(MODEL_F_ANY_LAYOUT));
	CHECK_EQ(crd(d, DF, 4) & MODEL_BIT(MODEL_F_ANY_LAYOUT), 0);
	/* MSI-X off: device config at 20 (capacity 2048 = 0x800). */
	CHECK_EQ(rd(d, 0, 20, 4), 0x800);
	CHECK_EQ(rd(d, 0, 21, 1), 0x08);
	CHECK_EQ(rd(d, 0, 12, 2), 256);
	wr(d, 0, 14, 2, 0);
	wr(d, 0, 4, 4, MODEL_BIT(MODEL_F_INDIRECT_DESC));
	CHECK_EQ(st->driver_features, MODEL_BIT(MODEL_F_INDIRECT_DESC));
	CHECK_EQ(rd(d, 0, 4, 4), MODEL_BIT(MODEL_F_INDIRECT_DESC));
	wr(d, 0, 18, 1, 0x03);
	CHECK_EQ(rd(d, 0, 18, 1), 0x03);
	NO_ERRORS(d);

	msix_enable(d, true);
	CHECK(model_msix_enabled(d));
	CHECK_EQ(rd(d, 0, 24, 4), 0x800);
	CHECK_EQ(rd(d, 0, 20, 2), MODEL_NO_VECTOR);
	wr(d, 0, 20, 2, 1);
	wr(d, 0, 22, 2, 0);
	CHECK_EQ(rd(d, 0, 20, 2), 1);
	CHECK_EQ(rd(d, 0, 22, 2), 0);
	CHECK_EQ(st->config_vector, 1);
	CHECK_EQ(st->queue[0].msix_vector, 0);
	NO_ERRORS(d);
	msix_enable(d, false);
	CHECK_EQ(rd(d, 0, 20, 4), 0x800);

	wr(d, 0, 8, 4, 0x12345);
	CHECK_EQ(rd(d, 0, 8, 4), 0x12345);
	CHECK_EQ(st->queue[0].desc, 0x12345000ull);
	CHECK_EQ(st->queue[0].driver, 0x12345000ull + 16 * 256);
	CHECK_EQ(st->queue[0].device, 0x12347000ull);
	wr(d, 0, 12, 2, 128);
	CHECK(error_has(d, "read-only legacy queue_num"));
	wr(d, 0, 0, 4, 0);
	CHECK(error_has(d, "read-only legacy host_features"));
	model_log_clear(d);
	/* QEMU: PFN 0 resets the device. */
	wr(d, 0, 8, 4, 0);
	CHECK_EQ(st->status, 0);
	CHECK_EQ(st->queue[0].pfn, 0);
	CHECK_EQ(st->resets, 1);
	rd(d, 0, 16, 4);
	CHECK(error_has(d, "queue_notify is 2 bytes"));
	pdev_close(d);
}

static void fault(struct model_spec *s, unsigned f)
{
	s->faults = f;
}

#define FAULT_TWEAK(name, f)                   \
	static void name(struct model_spec *s) \
	{                                      \
		fault(s, f);                   \
	}
FAULT_TWEAK(f_loop, MODEL_FAULT_CAP_LOOP)
FAULT_TWEAK(f_low, MODEL_FAULT_CAP_PTR_LOW)
FAULT_TWEAK(f_trunc, MODEL_FAULT_CAP_TRUNCATED)
FAULT_TWEAK(f_beyond, MODEL_FAULT_CAP_BEYOND_BAR)
FAULT_TWEAK(f_barix, MODEL_FAULT_CAP_BAR_INDEX)
FAULT_TWEAK(f_notify, MODEL_FAULT_NOTIFY_MISALIGNED)
FAULT_TWEAK(f_zero, MODEL_FAULT_ZERO_SIZE_BAR)
FAULT_TWEAK(f_unal, MODEL_FAULT_CAP_PTR_UNALIGNED)

static void test_faults(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, f_loop);
	uint32_t v;

	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x98);
	CHECK_EQ(pdev_cfg_read8(d, 0x41), 0x98); /* common, the tail, points to the head */
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_low);
	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x20);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_unal);
	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x9b);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_trunc);
	CHECK_EQ(pdev_cfg_read8(d, 0x42), 8);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_beyond);
	v = pdev_cfg_read32(d, model_cap_offset(d, 4) + 12);
	CHECK_EQ(0x2000 + (uint64_t)v, d->bar[4].size + 0x1000);
	CHECK(!pdev_bar_contains(d, 4, 0x2000, v));
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_barix);
	CHECK_EQ(pdev_cfg_read8(d, model_cap_offset(d, 3) + 4), 6);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_notify);
	CHECK_EQ(pdev_cfg_read32(d, model_cap_offset(d, 2) + 8), 0x3001);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, f_zero);
	CHECK_EQ(d->bar[4].kind, PCI_BAR_MEM64);
	CHECK_EQ(d->bar[4].size, 0);
	CHECK_EQ(pdev_cfg_read32(d, 0x20), 0x0c);
	pdev_cfg_write(d, 0x20, 4, 0xffffffffu, NULL);
	CHECK_EQ(pdev_cfg_read32(d, 0x20), 0x0c);
	CHECK(!pdev_bar_contains(d, 4, 0, 1));
	pdev_close(d);

	/* Poking bytes after creation, for anything not covered by a flag. */
	d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	CHECK(model_poke_cfg(d, 0x43, 1, 9, NULL) == 0);
	CHECK_EQ(pdev_cfg_read8(d, 0x43), 9);
	CHECK_EQ(model_peek_cfg(d, 0x40, 4), 0x09100009u);
	CHECK(model_poke_cfg(d, 0xff, 2, 0, NULL) != 0);
	CHECK_EQ(model_write_count(d), 0);
	pdev_close(d);
}

static void test_log(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	const struct model_access *a;

	pdev_cfg_read16(d, 0);
	crd(d, QSEL, 2);
	CHECK_EQ(model_write_count(d), 0);
	CHECK_EQ(model_log_count(d), 2);
	a = model_log_entry(d, 1);
	CHECK_EQ(a->space, MODEL_SPACE_BAR);
	CHECK_EQ(a->bar, 4);
	CHECK_EQ(a->off, QSEL);
	CHECK_EQ(a->width, 2);
	CHECK(!a->write);
	CHECK_STR(a->what, "queue_select");
	cwr(d, QSEL, 2, 1);
	cwr(d, QSEL, 2, 0);
	pdev_cfg_write(d, 0x04, 2, 0x0006, NULL);
	CHECK_EQ(model_write_count(d), 3);
	CHECK_EQ(model_access_count(d, "queue_select", true), 2);
	CHECK_EQ(model_access_count(d, "command", true), 1);
	a = model_log_entry(d, 2);
	CHECK(a->write);
	CHECK_EQ(a->val, 1);
	model_log_clear(d);
	CHECK_EQ(model_write_count(d), 0);
	CHECK_EQ(model_log_count(d), 0);
	CHECK(model_log_entry(d, 0) == NULL);
	pdev_close(d);
}

static void no_log(struct model_spec *s)
{
	s->no_log = true;
}

/* ISR reads (which clear it) are counted without the access log: the fuzz
 * target caps checks with it that a bound device's ISR is never read. */
static void test_isr_read_count(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, no_log);

	crd(d, QSEL, 2);
	CHECK_EQ(model_isr_read_count(d), 0);
	rd(d, MB, ISR, 1);
	rd(d, MB, ISR, 1);
	cwr(d, QSEL, 2, 1);
	CHECK_EQ(model_isr_read_count(d), 2);
	CHECK_EQ(model_write_count(d), 1);
	CHECK_EQ(model_log_count(d), 0);
	model_log_clear(d);
	CHECK_EQ(model_isr_read_count(d), 0);
	pdev_close(d);
}

static void bound(struct model_spec *s)
{
	s->driver = "virtio-pci";
	s->bar_why = "BARs are claimed by the virtio-pci driver";
}

static void test_cfg_window(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, bound);
	unsigned c = model_cap_offset(d, 5);
	uint64_t v;
	struct verr e = {0};

	CHECK_STR(d->driver, "virtio-pci");
	CHECK(!pdev_has_bar_access(d));
	CHECK(pdev_bar_read(d, 4, 0x12, 2, &v, &e) != 0);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	model_log_clear(d);

	pdev_cfg_write(d, c + 4, 1, 4, NULL);
	pdev_cfg_write(d, c + 8, 4, NUMQ, NULL);
	pdev_cfg_write(d, c + 12, 4, 2, NULL);
	CHECK_EQ(pdev_cfg_read16(d, c + 16), 2);
	pdev_cfg_write(d, c + 8, 4, STATUS, NULL);
	pdev_cfg_write(d, c + 12, 4, 1, NULL);
	pdev_cfg_write(d, c + 16, 1, MODEL_S_ACKNOWLEDGE, NULL);
	CHECK_EQ(model_state(d)->status, MODEL_S_ACKNOWLEDGE);
	CHECK_EQ(model_access_count(d, "num_queues", false), 1);
	CHECK_EQ(model_access_count(d, "device_status", true), 1);
	/* 6 config writes; the window's own BAR access is not the driver's. */
	CHECK_EQ(model_write_count(d), 6);
	NO_ERRORS(d);

	pdev_cfg_write(d, c + 8, 4, 0x1800, NULL); /* between ISR and device cfg */
	pdev_cfg_write(d, c + 12, 4, 4, NULL);
	pdev_cfg_read32(d, c + 16);
	CHECK(error_has(d, "not in a virtio structure"));
	model_log_clear(d);
	pdev_cfg_write(d, c + 12, 4, 3, NULL);
	pdev_cfg_read32(d, c + 16);
	CHECK(error_has(d, "length 3"));
	pdev_close(d);
}

static void test_decode_and_strict(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_TRANSITIONAL, NULL);
	struct verr e = {0};
	uint64_t v;

	pdev_cfg_write(d, 0x04, 2, 0, NULL);
	CHECK_EQ(crd(d, NUMQ, 2), 0);
	CHECK_EQ(rd(d, 0, 12, 2), 0xffff);
	CHECK(error_has(d, "decoding off"));
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	CHECK(pdev_bar_read(d, 4, MSIX_CONFIG, 4, &v, &e) == 0); /* completes, like hardware */
	CHECK_EQ(model_error_count(d), 1);
	model_log_clear(d);
	pdev_close(d);
}

static void strict(struct model_spec *s)
{
	s->strict = true;
	s->writable = false;
}

static void test_strict_and_readonly(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, strict);
	struct verr e = {0};
	uint64_t v;

	CHECK(pdev_bar_read(d, 4, MSIX_CONFIG, 4, &v, &e) != 0);
	CHECK_EQ(e.code, VX_DEVICE);
	CHECK(strstr(e.msg, "config_msix_vector") != NULL);
	verr_clear(&e);
	CHECK(pdev_bar_write(d, 4, STATUS, 1, 1, &e) != 0);
	CHECK_EQ(e.code, VX_PERM);
	CHECK_EQ(model_write_count(d), 0);
	pdev_close(d);
}

static void slow_reset(struct model_spec *s)
{
	s->reset_delay_reads = 2;
}

static void test_reset_delay(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, slow_reset);

	cwr(d, STATUS, 1, MODEL_S_ACKNOWLEDGE);
	cwr(d, STATUS, 1, 0);
	CHECK_EQ(crd(d, STATUS, 1), MODEL_S_ACKNOWLEDGE);
	CHECK_EQ(crd(d, STATUS, 1), MODEL_S_ACKNOWLEDGE);
	CHECK_EQ(crd(d, STATUS, 1), 0);
	NO_ERRORS(d);
	pdev_close(d);
}

static void shm(struct model_spec *s)
{
	s->shm = true;
	s->shm_offset = 0x100000000ull;
	s->shm_length = 0x200000000ull;
	s->shm_id = 7;
}

static void test_shm(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, shm);
	unsigned c = model_cap_offset(d, 8);

	CHECK(c != 0);
	CHECK_EQ(pdev_cfg_read8(d, c + 2), 24);
	CHECK_EQ(pdev_cfg_read8(d, c + 4), 2);
	CHECK_EQ(pdev_cfg_read8(d, c + 5), 7);
	CHECK_EQ(pdev_cfg_read32(d, c + 8), 0);
	CHECK_EQ(pdev_cfg_read32(d, c + 12), 0);
	CHECK_EQ(pdev_cfg_read32(d, c + 16), 1);
	CHECK_EQ(pdev_cfg_read32(d, c + 20), 2);
	CHECK_EQ(d->bar[2].kind, PCI_BAR_MEM64);
	CHECK_EQ(d->bar[2].size, 0x400000000ull);
	CHECK_EQ(d->bar[2].base % d->bar[2].size, 0);
	CHECK_EQ(d->bar[1].kind, PCI_BAR_MEM32); /* MSI-X moved out of the way */
	pdev_close(d);
}

static void bad_common(struct model_spec *s)
{
	s->common_len = 0x3c;
}

static void test_spec_errors(void)
{
	struct model_spec s;
	struct verr e = {0};

	model_spec_init(&s, 16, MODEL_TRANSITIONAL); /* gpu: modern only */
	CHECK(model_pdev_new(&s, &e) == NULL);
	CHECK_EQ(e.code, VX_USAGE);
	verr_clear(&e);
	model_spec_init(&s, MODEL_ID_NET, MODEL_MODERN);
	bad_common(&s);
	CHECK(model_pdev_new(&s, &e) == NULL);
	verr_clear(&e);
	model_spec_init(&s, MODEL_ID_NET, MODEL_TRANSITIONAL);
	s.modern_bar = 0;
	CHECK(model_pdev_new(&s, &e) == NULL);
	CHECK(strstr(e.msg, "overlaps") != NULL);
	verr_clear(&e);
	model_spec_init(&s, MODEL_ID_NET, MODEL_MODERN);
	s.modern_bar = 5;
	CHECK(model_pdev_new(&s, &e) == NULL);
}

/* ---- A minimal driver side of a split ring, for the queue tests ---- */

struct tring {
	uint8_t *mem;
	uint16_t size, avail_idx, next_desc;
	uint8_t *desc, *avail, *used;
};

static void tring_init(struct tring *r, uint16_t size, bool legacy)
{
	r->mem = aligned_alloc(4096, 4 * 4096);
	memset(r->mem, 0, 4 * 4096);
	r->size = size;
	r->avail_idx = r->next_desc = 0;
	r->desc = r->mem;
	r->avail = r->mem + 16u * size;
	r->used = legacy ? r->mem + ((16u * size + 6 + 2u * size + 4095) & ~4095u) : r->mem + 8192;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void set_desc(struct tring *r, uint16_t i, const void *buf, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = r->desc + 16u * i;

	put64(d, (uint64_t)(uintptr_t)buf);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

/* Adds a chain of n buffers (the last `nw` device-writable); returns head.
 * Descriptors are reused round-robin: the tests complete each chain
 * before the table wraps. */
static uint16_t tring_add(struct tring *r, unsigned n, void *const buf[], const uint32_t len[],
			  unsigned nw)
{
	uint16_t head = r->next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint16_t flags = (uint16_t)((i + 1 < n ? 1 : 0) | (i >= n - nw ? 2 : 0));

		set_desc(r, (uint16_t)((head + i) % r->size), buf[i], len[i], flags,
			 (uint16_t)((head + i + 1) % r->size));
	}
	r->next_desc = (uint16_t)((r->next_desc + n) % r->size);
	put16(r->avail + 4 + 2u * (r->avail_idx % r->size), head);
	r->avail_idx++;
	put16(r->avail + 2, r->avail_idx);
	return head;
}

static void modern_queue(struct pdev *d, uint16_t q, struct tring *r)
{
	cwr(d, QSEL, 2, q);
	cwr(d, QSIZE, 2, r->size);
	cwr(d, QDESC, 4, (uintptr_t)r->desc & 0xffffffffu);
	cwr(d, QDESC + 4, 4, (uint64_t)(uintptr_t)r->desc >> 32);
	cwr(d, QDRIVER, 4, (uintptr_t)r->avail & 0xffffffffu);
	cwr(d, QDRIVER + 4, 4, (uint64_t)(uintptr_t)r->avail >> 32);
	cwr(d, QDEVICE, 4, (uintptr_t)r->used & 0xffffffffu);
	cwr(d, QDEVICE + 4, 4, (uint64_t)(uintptr_t)r->used >> 32);
	cwr(d, QENABLE, 2, 1);
}

static void bring_up(struct pdev *d, uint64_t features)
{
	negotiate(d, features);
}

static unsigned notify_off(struct pdev *d, uint16_t q)
{
	cwr(d, QSEL, 2, q);
	return (unsigned)crd(d, QNOFF, 2);
}

static void kick(struct pdev *d, uint16_t q)
{
	wr(d, MB, NOTIFY + 4u * notify_off(d, q), 2, q);
}

static const uint64_t V1 = MODEL_BIT(MODEL_F_VERSION_1);

static void test_rng_queue(void)
{
	struct pdev *d = make(MODEL_ID_RNG, MODEL_MODERN, NULL);
	struct model_state *st = model_state(d);
	struct tring r;
	uint8_t buf[64], buf2[16];
	void *b[] = {buf}, *b2[] = {buf2};
	uint32_t l[] = {64}, l2[] = {16};
	bool same = true;

	model_use_builtin_handlers(d);
	tring_init(&r, 8, false);
	bring_up(d, V1);
	modern_queue(d, 0, &r);
	cwr(d, STATUS, 1, 0x0f);
	tring_add(&r, 1, b, l, 1);
	kick(d, 0);
	CHECK_EQ(le16(r.used + 2), 1);
	CHECK_EQ(le32(r.used + 4), 0);
	CHECK_EQ(le32(r.used + 8), 64);
	for (unsigned i = 0; i < 64; i++)
		same &= buf[i] == model_entropy_byte(i);
	CHECK(same);
	CHECK(model_entropy_byte(0) != model_entropy_byte(1) ||
	      model_entropy_byte(1) != model_entropy_byte(2));
	CHECK_EQ(st->queue[0].notifies, 1);
	CHECK_EQ(st->queue[0].completed, 1);
	CHECK_EQ(st->irqs, 1);
	CHECK_EQ(rd(d, MB, ISR, 1), 1);
	NO_ERRORS(d);

	/* Bus mastering off: the device silently does nothing. */
	pdev_cfg_write(d, 0x04, 2, 0x0002, NULL);
	tring_add(&r, 1, b2, l2, 1);
	kick(d, 0);
	CHECK_EQ(le16(r.used + 2), 1);
	CHECK_EQ(st->dma_blocked, 1);
	pdev_cfg_write(d, 0x04, 2, 0x0006, NULL);
	CHECK_EQ(model_process_queue(d, 0, model_entropy_handler, NULL, NULL), 1);
	CHECK_EQ(le16(r.used + 2), 2);
	CHECK_EQ(buf2[0], model_entropy_byte(64));
	NO_ERRORS(d);
	free(r.mem);
	pdev_close(d);
}

static void test_notify_errors(void)
{
	struct pdev *d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	struct verr e = {0};

	kick(d, 0);
	CHECK(error_has(d, "before DRIVER_OK"));
	CHECK_EQ(model_state(d)->queue[0].notifies, 1);
	model_log_clear(d);
	wr(d, MB, NOTIFY + 4, 4, 1);
	CHECK(error_has(d, "4-byte notify write"));
	model_log_clear(d);
	wr(d, MB, NOTIFY + 4, 2, 0);
	CHECK(error_has(d, "names no queue"));
	model_log_clear(d);
	wr(d, MB, NOTIFY + 0x100, 2, 0);
	CHECK(error_has(d, "no queue's notify address"));
	CHECK(model_process_queue(d, 0, model_entropy_handler, NULL, &e) < 0);
	CHECK(strstr(e.msg, "not enabled") != NULL);
	model_log_clear(d);
	model_state(d)->status = 0x0f; /* as firmware might leave it */
	kick(d, 0);
	CHECK(error_has(d, "while not enabled"));
	pdev_close(d);
}

/* Sends one virtio-blk request: header, then `len` bytes of data (device-
 * readable for OUT, writable otherwise), then the status byte. Returns the
 * status; *used gets the used length. */
static uint8_t blk_req(struct pdev *d, struct tring *r, uint32_t type, uint64_t sector, void *data,
		       uint32_t len, uint32_t *used)
{
	uint8_t hdr[16] = {0}, status = 0xff;
	void *b[] = {hdr, data, &status};
	uint32_t l[] = {16, len, 1};
	uint16_t slot = (uint16_t)(le16(r->used + 2) % r->size);

	put32(hdr, type);
	put64(hdr + 8, sector);
	if (len) {
		tring_add(r, 3, b, l, type == 1 ? 1 : 2);
	} else {
		b[1] = &status;
		l[1] = 1;
		tring_add(r, 2, b, l, 1);
	}
	kick(d, 0);
	*used = le32(r->used + 4 + 8u * slot + 4);
	return status;
}

static void test_blk_queue(void)
{
	struct pdev *d = make(MODEL_ID_BLOCK, MODEL_TRANSITIONAL, NULL);
	uint8_t disk[4096] = {0}, data[512], back[512], id[20];
	struct tring r;
	uint32_t used;
	size_t len;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	CHECK(model_blk_set_disk(d, disk, sizeof(disk), NULL) == 0);
	model_blk_set_id(d, "model-serial");
	model_use_builtin_handlers(d);
	tring_init(&r, 16, false);
	bring_up(d, V1);
	modern_queue(d, 0, &r);
	cwr(d, STATUS, 1, 0x0f);

	CHECK_EQ(blk_req(d, &r, 1, 2, data, 512, &used), 0); /* OUT */
	CHECK_EQ(used, 1);
	CHECK(memcmp(model_blk_disk(d, &len) + 1024, data, 512) == 0);
	CHECK_EQ(len, 4096);
	CHECK_EQ(blk_req(d, &r, 0, 2, back, 512, &used), 0); /* IN */
	CHECK_EQ(used, 513);
	CHECK(memcmp(back, data, 512) == 0);
	CHECK_EQ(blk_req(d, &r, 8, 0, id, 20, &used), 0); /* GET_ID */
	CHECK(memcmp(id, "model-serial", 13) == 0);
	CHECK_EQ(blk_req(d, &r, 0, 8, back, 512, &used), 1); /* past the end */
	CHECK_EQ(blk_req(d, &r, 0, 0, back, 100, &used), 1); /* not whole sectors */
	CHECK_EQ(blk_req(d, &r, 4, 0, NULL, 0, &used), 0);   /* FLUSH */
	CHECK_EQ(blk_req(d, &r, 99, 0, NULL, 0, &used), 2);  /* unsupported */
	CHECK_EQ(le16(r.used + 2), 7);
	NO_ERRORS(d);
	free(r.mem);
	pdev_close(d);
}

static void test_console_and_net(void)
{
	struct pdev *d = make(MODEL_ID_CONSOLE, MODEL_MODERN, NULL);
	char text[] = "hello";
	uint8_t hdr[12] = {0}, frame[60];
	void *b[] = {text}, *nb[] = {hdr, frame};
	uint32_t l[] = {5}, nl[] = {12, 60};
	struct tring r;
	size_t len;
	const uint8_t *out;

	model_use_builtin_handlers(d);
	tring_init(&r, 16, false);
	bring_up(d, V1);
	modern_queue(d, 1, &r);
	cwr(d, STATUS, 1, 0x0f);
	tring_add(&r, 1, b, l, 0);
	kick(d, 1);
	out = model_console_output(d, &len);
	CHECK_EQ(len, 5);
	CHECK(out && memcmp(out, "hello", 5) == 0);
	CHECK_EQ(le32(r.used + 8), 0);
	NO_ERRORS(d);
	free(r.mem);
	pdev_close(d);

	d = make(MODEL_ID_NET, MODEL_MODERN, NULL);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	model_use_builtin_handlers(d);
	tring_init(&r, 16, false);
	bring_up(d, V1);
	modern_queue(d, 1, &r);
	cwr(d, STATUS, 1, 0x0f);
	tring_add(&r, 2, nb, nl, 0);
	kick(d, 1);
	CHECK_EQ(model_net_frame_count(d), 1);
	out = model_net_frame(d, 0, &len);
	CHECK_EQ(len, 60);
	CHECK(out && memcmp(out, frame, 60) == 0);
	NO_ERRORS(d);
	free(r.mem);
	pdev_close(d);
}

static void test_malformed_chain(void)
{
	struct pdev *d = make(MODEL_ID_RNG, MODEL_MODERN, NULL);
	uint8_t buf[8];
	struct tring r;
	struct verr e = {0};

	model_use_builtin_handlers(d);
	tring_init(&r, 8, false);
	bring_up(d, V1);
	modern_queue(d, 0, &r);
	cwr(d, STATUS, 1, 0x0f);
	set_desc(&r, 0, buf, 8, 1 | 2, 1);
	set_desc(&r, 1, buf, 8, 1 | 2, 0); /* loops back */
	put16(r.avail + 4, 0);
	put16(r.avail + 2, 1);
	kick(d, 0);
	CHECK(error_has(d, "loop"));
	CHECK(crd(d, STATUS, 1) & MODEL_S_NEEDS_RESET);
	CHECK_EQ(le16(r.used + 2), 0);
	CHECK(model_process_queue(d, 0, model_entropy_handler, NULL, &e) < 0);
	CHECK(strstr(e.msg, "needs a reset") != NULL);
	free(r.mem);
	pdev_close(d);
}

/* A DMA backend that is not the identity: bus addresses start at 1 GiB. */
struct fake_iommu {
	uint8_t *base;
	size_t len;
};

static void *translate(void *ctx, uint64_t addr, size_t len)
{
	struct fake_iommu *io = ctx;

	if (addr < 0x40000000u || addr - 0x40000000u + len > io->len)
		return NULL;
	return io->base + (addr - 0x40000000u);
}

static struct pdev *make_iommu(unsigned type, enum model_transport t, struct fake_iommu *io)
{
	struct model_spec s;

	io->base = aligned_alloc(4096, 4 * 4096);
	io->len = 4 * 4096;
	memset(io->base, 0, io->len);
	fixture_spec(&s, type, t);
	s.dma_translate = translate;
	s.dma_ctx = io;
	return fixture_pdev(&s);
}

/* Legacy PFNs hold 44-bit addresses: heap pointers do not fit, so this
 * test goes through a translation. */
static void test_legacy_queue(void)
{
	struct fake_iommu io;
	struct pdev *d = make_iommu(MODEL_ID_RNG, MODEL_LEGACY, &io);
	uint8_t *mem = io.base;
	const uint64_t bus = 0x40000000u;

	model_use_builtin_handlers(d);
	CHECK_EQ(rd(d, 0, 12, 2), 8);
	wr(d, 0, 18, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER);
	wr(d, 0, 4, 4, 0);
	wr(d, 0, 14, 2, 0);
	wr(d, 0, 8, 4, bus >> 12);
	wr(d, 0, 18, 1, MODEL_S_ACKNOWLEDGE | MODEL_S_DRIVER | MODEL_S_DRIVER_OK);
	put64(mem, bus + 0x3000); /* descriptor 0: 32 writable bytes */
	put32(mem + 8, 32);
	put16(mem + 12, 2);
	put16(mem + 16 * 8 + 4, 0); /* avail right after the 8 descriptors */
	put16(mem + 16 * 8 + 2, 1);
	wr(d, 0, 16, 2, 0);
	CHECK_EQ(le16(mem + 0x1000 + 2), 1); /* used ring on the next page */
	CHECK_EQ(le32(mem + 0x1000 + 8), 32);
	CHECK_EQ(mem[0x3000 + 5], model_entropy_byte(5));
	CHECK_EQ(rd(d, 0, 19, 1), 1);
	NO_ERRORS(d);
	free(mem);
	pdev_close(d);
}

static int hold_handler(struct pdev *d, unsigned q, const struct model_chain *c, uint32_t *used_len,
			void *ctx)
{
	unsigned *calls = ctx;

	(void)d;
	(void)q;
	(void)c;
	(void)used_len;
	(*calls)++;
	return MODEL_HOLD;
}

static void test_hold_event_idx_msix(void)
{
	struct pdev *d = make(MODEL_ID_RNG, MODEL_MODERN, NULL);
	struct model_state *st = model_state(d);
	uint8_t buf[8];
	void *b[] = {buf};
	uint32_t l[] = {8};
	unsigned calls = 0;
	struct tring r;

	tring_init(&r, 8, false);
	msix_enable(d, true);
	bring_up(d, V1 | MODEL_BIT(MODEL_F_EVENT_IDX));
	cwr(d, QSEL, 2, 0);
	cwr(d, QMSIX, 2, 1);
	modern_queue(d, 0, &r);
	cwr(d, STATUS, 1, 0x0f);
	tring_add(&r, 1, b, l, 1);
	tring_add(&r, 1, b, l, 1);
	CHECK_EQ(model_process_queue(d, 0, hold_handler, &calls, NULL), 0);
	CHECK_EQ(calls, 1);
	model_set_handler(d, 0, hold_handler, &calls);
	kick(d, 0);
	CHECK_EQ(calls, 2);
	model_set_handler(d, 0, NULL, NULL);
	kick(d, 0);
	CHECK_EQ(calls, 2);
	CHECK_EQ(le16(r.used + 2), 0);

	/* used_event 5: no interrupt for used idx 0 -> 2. */
	put16(r.avail + 4 + 2 * 8, 5);
	CHECK_EQ(model_process_queue(d, 0, model_entropy_handler, NULL, NULL), 2);
	CHECK_EQ(le16(r.used + 2), 2);
	CHECK_EQ(le16(r.used + 4 + 8 * 8), 2); /* avail_event */
	CHECK_EQ(st->irqs, 0);
	put16(r.avail + 4 + 2 * 8, 2);
	tring_add(&r, 1, b, l, 1);
	CHECK_EQ(model_process_queue(d, 0, model_entropy_handler, NULL, NULL), 1);
	CHECK_EQ(st->irqs, 1);
	CHECK_EQ(st->last_irq_vector, 1);
	NO_ERRORS(d);
	{
		FILE *f = fopen("/dev/null", "w");

		if (f) {
			model_log_dump(d, f);
			fclose(f);
		}
	}
	free(r.mem);
	pdev_close(d);
}

static void test_indirect(void)
{
	struct pdev *d = make(MODEL_ID_RNG, MODEL_MODERN, NULL);
	uint8_t a[8], bb[8], table[32];
	struct tring r;

	tring_init(&r, 8, false);
	bring_up(d, V1 | MODEL_BIT(MODEL_F_INDIRECT_DESC));
	modern_queue(d, 0, &r);
	cwr(d, STATUS, 1, 0x0f);
	put64(table, (uintptr_t)a);
	put32(table + 8, 8);
	put16(table + 12, 1 | 2);
	put16(table + 14, 1);
	put64(table + 16, (uintptr_t)bb);
	put32(table + 24, 8);
	put16(table + 28, 2);
	put16(table + 30, 0);
	set_desc(&r, 0, table, 32, 4, 0);
	put16(r.avail + 4, 0);
	put16(r.avail + 2, 1);
	CHECK_EQ(model_process_queue(d, 0, model_entropy_handler, NULL, NULL), 1);
	CHECK_EQ(le32(r.used + 8), 16);
	CHECK_EQ(bb[7], model_entropy_byte(15));
	NO_ERRORS(d);
	free(r.mem);
	pdev_close(d);
}

static void test_dma_translate(void)
{
	struct fake_iommu io;
	struct pdev *d = make_iommu(MODEL_ID_RNG, MODEL_MODERN, &io);
	uint8_t *mem = io.base;
	const uint64_t bus = 0x40000000u;

	bring_up(d, V1);
	cwr(d, QSEL, 2, 0);
	cwr(d, QSIZE, 2, 8);
	cwr(d, QDESC, 4, bus);
	cwr(d, QDRIVER, 4, bus + 0x1000);
	cwr(d, QDEVICE, 4, bus + 0x2000);
	cwr(d, QENABLE, 2, 1);
	cwr(d, STATUS, 1, 0x0f);
	put64(mem, bus + 0x3000);
	put32(mem + 8, 4);
	put16(mem + 12, 2);
	put16(mem + 0x1000 + 4, 0);
	put16(mem + 0x1000 + 2, 1);
	CHECK_EQ(model_process_queue(d, 0, model_entropy_handler, NULL, NULL), 1);
	CHECK_EQ(mem[0x3000 + 3], model_entropy_byte(3));
	CHECK_EQ(le16(mem + 0x2000 + 2), 1);
	NO_ERRORS(d);
	free(mem);
	pdev_close(d);
}

int main(void)
{
	test_modern_layout();
	test_bar_sizing();
	test_transitional_and_legacy_layout();
	test_no_caps_at_all();
	test_features();
	test_status_reset();
	test_features_ok_refusal();
	test_queue_fields();
	test_widths();
	test_common_len();
	test_device_cfg_and_isr();
	test_legacy_header();
	test_faults();
	test_log();
	test_isr_read_count();
	test_cfg_window();
	test_decode_and_strict();
	test_strict_and_readonly();
	test_reset_delay();
	test_shm();
	test_spec_errors();
	test_rng_queue();
	test_notify_errors();
	test_blk_queue();
	test_console_and_net();
	test_malformed_chain();
	test_legacy_queue();
	test_hold_event_idx_msix();
	test_indirect();
	test_dma_translate();
	return check_done();
}
