/* The checks device.c makes before any backend sees an access, and the BAR
 * register decoding shared by the backends. */
#include "check.h"
#include "pci/backend/backend.h"
#include "pci/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A backend that counts the accesses that got through to it. */
struct mock {
	unsigned reads, writes, cfg_writes;
	uint8_t cfg[256];
};

static int mock_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			 struct verr *e)
{
	struct mock *m = d->priv;

	(void)e;
	*val = 0;
	memcpy(val, m->cfg + off, width);
	return 0;
}

static int mock_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			  struct verr *e)
{
	struct mock *m = d->priv;

	(void)off, (void)width, (void)val, (void)e;
	m->cfg_writes++;
	return 0;
}

static int mock_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			 struct verr *e)
{
	struct mock *m = d->priv;

	(void)bar, (void)off, (void)width, (void)e;
	m->reads++;
	*val = 0x1234;
	return 0;
}

static int mock_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			  struct verr *e)
{
	struct mock *m = d->priv;

	(void)bar, (void)off, (void)width, (void)val, (void)e;
	m->writes++;
	return 0;
}

static const struct pdev_ops mock_ops = {
	.name = "mock",
	.cfg_read = mock_cfg_read,
	.cfg_write = mock_cfg_write,
	.bar_read = mock_bar_read,
	.bar_write = mock_bar_write,
};

static const struct pdev_ops mock_cfg_only_ops = {
	.name = "mock-cfg",
	.cfg_read = mock_cfg_read,
};

static struct pdev *mock_open(struct mock *m, const struct pdev_ops *ops)
{
	struct pdev *d = calloc(1, sizeof(*d));

	memset(m, 0, sizeof(*m));
	d->ops = ops;
	d->priv = m;
	d->cfg_size = 256;
	d->bar[0] = (struct pci_bar){.kind = PCI_BAR_IO, .base = 0xc000, .size = 0x40};
	d->bar[1] = (struct pci_bar){.kind = PCI_BAR_MEM32, .base = 0xfe000000, .size = 0x1000};
	d->bar[4] = (struct pci_bar){.kind = PCI_BAR_MEM64, .base = 0x4000000000, .size = 0x4000};
	return d;
}

static int code_of(int rc, const struct verr *e)
{
	return rc ? (int)e->code : 0;
}

static void test_bar_bounds(void)
{
	struct mock m;
	struct pdev *d = mock_open(&m, &mock_ops);
	struct verr e = {0};
	uint64_t v;

	CHECK_EQ(pdev_bar_read(d, 4, 0x3ffc, 4, &v, &e), 0);
	CHECK_EQ(v, 0x1234);
	CHECK_EQ(pdev_bar_read(d, 4, 0x3ff8, 8, &v, &e), 0);
	CHECK_EQ(m.reads, 2);
	CHECK_EQ(code_of(pdev_bar_read(d, 4, 0x4000, 4, &v, &e), &e), VX_DEVICE);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_read(d, 1, 0x1000, 1, &v, &e), &e), VX_DEVICE);
	verr_clear(&e);
	/* off + width would wrap around */
	CHECK_EQ(code_of(pdev_bar_read(d, 4, UINT64_MAX - 3, 4, &v, &e), &e), VX_DEVICE);
	verr_clear(&e);
	CHECK(!pdev_bar_contains(d, 4, UINT64_MAX, 2));
	CHECK(pdev_bar_contains(d, 4, 0, 0x4000));
	CHECK(!pdev_bar_contains(d, 4, 1, 0x4000));
	CHECK(!pdev_bar_contains(d, 2, 0, 1));
	CHECK(!pdev_bar_contains(d, 6, 0, 1));
	CHECK_EQ(m.reads, 2);
	pdev_close(d);
}

static void test_bar_shape(void)
{
	struct mock m;
	struct pdev *d = mock_open(&m, &mock_ops);
	struct verr e = {0};
	uint64_t v;

	CHECK_EQ(code_of(pdev_bar_read(d, 4, 2, 4, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_read(d, 4, 4, 8, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_read(d, 4, 0, 3, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_read(d, 4, 0, 16, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	/* I/O ports have no 8-byte access */
	CHECK_EQ(code_of(pdev_bar_read(d, 0, 0, 8, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 0, 0x3c, 4, &v, &e), 0);
	CHECK_EQ(code_of(pdev_bar_read(d, 2, 0, 4, &v, &e), &e), VX_DEVICE);
	CHECK(strstr(e.msg, "BAR 2 is not implemented") != NULL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_read(d, 6, 0, 4, &v, &e), &e), VX_DEVICE);
	verr_clear(&e);
	CHECK_EQ(m.reads, 1);
	pdev_close(d);
}

static void test_writes_refused(void)
{
	struct mock m;
	struct pdev *d = mock_open(&m, &mock_ops);
	struct verr e = {0};

	CHECK_EQ(code_of(pdev_bar_write(d, 4, 0, 4, 1, &e), &e), VX_PERM);
	CHECK_STR(e.msg, "refusing to write: device opened read-only");
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_cfg_write(d, 4, 2, 6, &e), &e), VX_PERM);
	verr_clear(&e);
	pdev_allow_writes(d, false, "the device is bound to virtio-pci");
	CHECK_EQ(code_of(pdev_bar_write(d, 4, 0, 4, 1, &e), &e), VX_PERM);
	CHECK_STR(e.msg, "refusing to write: the device is bound to virtio-pci");
	verr_clear(&e);
	CHECK_EQ(m.writes + m.cfg_writes, 0);
	pdev_allow_writes(d, true, NULL);
	CHECK_EQ(pdev_bar_write(d, 4, 0, 4, 1, &e), 0);
	CHECK_EQ(pdev_cfg_write(d, 4, 2, 6, &e), 0);
	/* still bounds-checked when writable */
	CHECK_EQ(code_of(pdev_bar_write(d, 0, 0, 8, 1, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_write(d, 1, 0x1000, 4, 1, &e), &e), VX_DEVICE);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_cfg_write(d, 0x100, 4, 0, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(m.writes, 1);
	CHECK_EQ(m.cfg_writes, 1);
	pdev_close(d);
}

static void test_cfg_bounds(void)
{
	struct mock m;
	struct pdev *d = mock_open(&m, &mock_ops);
	struct verr e = {0};
	uint32_t v;

	m.cfg[0] = 0xf4;
	m.cfg[1] = 0x1a;
	CHECK_EQ(pdev_cfg_read16(d, 0), 0x1af4);
	CHECK_EQ(pdev_cfg_read(d, 0xfc, 4, &v, &e), 0);
	CHECK_EQ(code_of(pdev_cfg_read(d, 0x100, 1, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_cfg_read(d, 0xfe, 4, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_cfg_read(d, 1, 2, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_cfg_read(d, 0, 8, &v, &e), &e), VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(pdev_cfg_read32(d, 0x100), 0xffffffffu);
	CHECK_EQ(pdev_cfg_read8(d, 0x100), 0xff);
	pdev_close(d);
}

/* Without register access, the reason is reported even though the BAR's
 * size is unknown (0), rather than "outside the 0-byte BAR". */
static void test_no_bar_backend(void)
{
	struct mock m;
	struct pdev *d = mock_open(&m, &mock_cfg_only_ops);
	struct verr e = {0};
	uint64_t v;

	d->bar[4].size = 0;
	snprintf(d->bar_why, sizeof(d->bar_why), "config space only (-F dump file)");
	CHECK(!pdev_has_bar_access(d));
	CHECK_EQ(pdev_sysfs_dirfd(d), -1); /* a backend without the op has none */
	CHECK_EQ(code_of(pdev_bar_read(d, 4, 0, 4, &v, &e), &e), VX_UNAVAILABLE);
	CHECK_STR(e.msg, "config space only (-F dump file)");
	verr_clear(&e);
	pdev_allow_writes(d, true, NULL);
	CHECK_EQ(code_of(pdev_cfg_write(d, 4, 2, 0, &e), &e), VX_UNAVAILABLE);
	verr_clear(&e);
	CHECK_EQ(code_of(pdev_bar_write(d, 4, 0, 4, 0, &e), &e), VX_UNAVAILABLE);
	pdev_close(d);
}

static void test_decode_bars(void)
{
	static const uint32_t raw[PCI_NUM_BARS] = {
		0x0000c041, /* I/O */
		0xfebf1000, /* mem32 */
		0x00000000, /* not implemented */
		0xfe00000c, /* mem64, prefetchable */
		0x00000040, /* its upper half */
		0x000d0002, /* "below 1 MiB" */
	};
	struct pci_bar b[PCI_NUM_BARS];

	pci_bars_decode(raw, 6, b);
	CHECK_EQ(b[0].kind, PCI_BAR_IO);
	CHECK_EQ(b[0].base, 0xc040);
	CHECK_EQ(b[1].kind, PCI_BAR_MEM32);
	CHECK_EQ(b[1].base, 0xfebf1000);
	CHECK(!b[1].prefetchable);
	CHECK_EQ(b[2].kind, PCI_BAR_NONE);
	CHECK_EQ(b[3].kind, PCI_BAR_MEM64);
	CHECK(b[3].prefetchable);
	CHECK_EQ(b[3].base, 0x40fe000000ull);
	CHECK_EQ(b[4].kind, PCI_BAR_NONE);
	CHECK_EQ(b[5].kind, PCI_BAR_MEM32);
	CHECK_EQ(b[5].base, 0xd0000);
	for (int i = 0; i < PCI_NUM_BARS; i++)
		CHECK_EQ(b[i].size, 0);

	/* A bridge has two BARs; a 64-bit BAR cannot start in the last slot;
	 * memory type 3 is reserved. */
	static const uint32_t bridge[PCI_NUM_BARS] = {0xfe000000, 0xfd000004, 1, 1, 1, 1};
	static const uint32_t reserved[PCI_NUM_BARS] = {0x6, 0, 0, 0, 0, 0x4};

	pci_bars_decode(bridge, pci_header_num_bars(0x81), b);
	CHECK_EQ(b[0].kind, PCI_BAR_MEM32);
	CHECK_EQ(b[1].kind, PCI_BAR_NONE);
	CHECK_EQ(b[2].kind, PCI_BAR_NONE);
	pci_bars_decode(reserved, 6, b);
	CHECK_EQ(b[0].kind, PCI_BAR_NONE);
	CHECK_EQ(b[5].kind, PCI_BAR_NONE);
	CHECK_EQ(pci_header_num_bars(0x00), 6);
	CHECK_EQ(pci_header_num_bars(0x80), 6);
	CHECK_EQ(pci_header_num_bars(0x01), 2);
	CHECK_EQ(pci_header_num_bars(0x02), 1);
	CHECK_EQ(pci_header_num_bars(0x7f), 0);
	CHECK_STR(pci_bar_kind_name(PCI_BAR_MEM64), "mem64");
}

int main(void)
{
	test_bar_bounds();
	test_bar_shape();
	test_writes_refused();
	test_cfg_bounds();
	test_no_bar_backend();
	test_decode_bars();
	return check_done();
}
