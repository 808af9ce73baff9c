/* The capability walker on real dumps and on malformed chains derived from
 * them (tests/fixtures/make-caps-fixtures.py says what each changes). */
#include "check.h"
#include "pci/regs.h"
#include "pci/system.h"
#include "virtio/caps.h"
#include "virtio/vdev.h"

#include <stdio.h>
#include <string.h>

static struct psys *sys;
static struct pdev *dev;

static int walk(const char *file, const char *addr, struct vcaps *c)
{
	struct pci_addr a;
	struct verr e = {0};

	pdev_close(dev);
	psys_close(sys);
	dev = NULL;
	sys = psys_open_dump(fixture(file), &e);
	CHECK(sys != NULL);
	CHECK(pci_addr_parse(addr, &a));
	if (!sys || psys_open_device(sys, &a, &dev, &e)) {
		check_fail("setup: open %s %s: %s", file, addr, e.msg);
		return -1;
	}
	return vcaps_walk(dev, c, &e);
}

static void test_real_block(void)
{
	struct vcaps c;

	if (walk("host-00-02.0.txt", "00:02.0", &c))
		return;
	CHECK_EQ(c.pci.n, 6);
	CHECK_EQ(c.nv, 5);
	CHECK_STR(c.pci.chain_problem, "");
	CHECK_EQ(c.v[0].offset, 0x40);
	CHECK_EQ(c.v[0].cfg_type, VIRTIO_PCI_CAP_COMMON_CFG);
	CHECK_EQ(c.v[0].bar, 0);
	CHECK_EQ(c.v[0].bar_offset, 0);
	CHECK_EQ(c.v[0].length, 0x38);
	CHECK_EQ(c.v[1].cfg_type, VIRTIO_PCI_CAP_ISR_CFG);
	CHECK_EQ(c.v[1].bar_offset, 0x2000);
	CHECK_EQ(c.v[1].length, 1);
	CHECK_EQ(c.v[2].cfg_type, VIRTIO_PCI_CAP_DEVICE_CFG);
	CHECK_EQ(c.v[2].bar_offset, 0x4000);
	CHECK_EQ(c.v[2].length, 0x1000);
	CHECK_EQ(c.v[3].cfg_type, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK_EQ(c.v[3].notify_off_multiplier, 4);
	CHECK_EQ(c.v[3].bar_offset, 0x6000);
	CHECK_EQ(c.v[4].cfg_type, VIRTIO_PCI_CAP_PCI_CFG);
	CHECK_EQ(c.v[4].cap_len, 0x14);
	for (unsigned i = 0; i < c.nv; i++)
		CHECK(c.v[i].usable);
	CHECK_EQ(c.common, 0);
	CHECK_EQ(c.isr, 1);
	CHECK_EQ(c.device, 2);
	CHECK_EQ(c.notify, 3);
	CHECK_EQ(c.pci_cfg, 4);
	CHECK(c.pci.msix.present);
	CHECK_EQ(c.pci.msix.offset, 0x98);
	CHECK_EQ(c.pci.msix.table_size, 2);
	CHECK(c.pci.msix.enabled);
	CHECK(!c.pci.msix.function_masked);
	CHECK_EQ(c.pci.msix.table_bar, 0);
	CHECK_EQ(c.pci.msix.table_offset, 0x8000);
	CHECK_EQ(c.pci.msix.pba_offset, 0x48000);
	CHECK(vcaps_is_modern(&c));
	CHECK_EQ(c.pci.cap[5].id, 0x11);
}

/* Config reads as a backend that keeps them (sysfs) sees them: the dump
 * file's reads, recorded. */
static struct {
	const struct pdev_ops *real;
	struct pdev_ops ops;
	unsigned nread, nblock;
	bool data_read; /* a read touched [lo, hi) */
	unsigned lo, hi;
	unsigned char times[PCI_CFG_SPACE_SIZE / 4]; /* reads of each dword */
} rec;

static void record(unsigned off, unsigned len)
{
	rec.nread++;
	rec.data_read |= off < rec.hi && off + len > rec.lo;
	for (unsigned dw = off / 4; dw < (off + len + 3) / 4 && dw < PCI_CFG_SPACE_SIZE / 4; dw++)
		rec.times[dw]++;
}

static int rec_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val, struct verr *e)
{
	record(off, width);
	return rec.real->cfg_read(d, off, width, val, e);
}

static int rec_block(struct pdev *d, unsigned off, uint8_t *buf, unsigned len, struct verr *e)
{
	rec.nblock++;
	record(off, len);
	for (unsigned i = 0; i < len; i += 4) {
		uint32_t v;

		if (rec.real->cfg_read(d, off + i, 4, &v, e))
			return -1;
		for (unsigned k = 0; k < 4; k++) /* config space is little-endian */
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
	return 0;
}

/* With config reads kept, the walk reads no dword twice (where a
 * hypervisor traps each config dword, every one costs), each capability
 * in one read, and never the PCI configuration access capability's
 * pci_cfg_data (0x94 to 0x98 in both): reading it makes a device access
 * its BAR through the window. The result is the same as without. This
 * host's chain runs up from 0x40, a QEMU guest's down from 0x98. */
static void kept_reads(const char *file, const char *addr)
{
	struct vcaps plain, kept;
	struct verr e = {0};

	memset(&rec, 0, sizeof(rec));
	if (walk(file, addr, &plain))
		return;
	rec.real = dev->ops;
	rec.ops = *dev->ops;
	rec.ops.cfg_snapshots = true;
	rec.ops.cfg_read = rec_read;
	rec.ops.cfg_read_block = rec_block;
	rec.lo = 0x84 + VCAP_PCI_CFG_DATA;
	rec.hi = rec.lo + 4;
	dev->ops = &rec.ops;
	pdev_cfg_snapshot(dev, true);
	CHECK_EQ(vcaps_walk(dev, &kept, &e), 0);
	CHECK(!rec.data_read);
	for (unsigned dw = 0; dw < PCI_CFG_SPACE_SIZE / 4; dw++)
		CHECK(rec.times[dw] <= 1);
	/* header dwords (ids, status, capability pointer), then a read per
	 * capability (its first 16 bytes: a virtio capability's header and
	 * fields, MSI-X's header and locations), and the notify capability's
	 * multiplier (bytes 16-19) */
	CHECK(rec.nread <= 3 + 6 + 1);
	CHECK_EQ(kept.nv, plain.nv);
	CHECK(memcmp(kept.v, plain.v, sizeof(kept.v)) == 0);
	CHECK(memcmp(&kept.pci.msix, &plain.pci.msix, sizeof(kept.pci.msix)) == 0);
	pdev_cfg_snapshot(dev, false);
	dev->ops = rec.real;
}

static void test_kept_reads(void)
{
	kept_reads("host-00-02.0.txt", "00:02.0");
	kept_reads("guest-transitional-net.txt", "00:04.0");
}

static void test_chain_problems(void)
{
	struct vcaps c;

	if (walk("caps-loop.txt", "00:02.0", &c) == 0) {
		CHECK(strstr(c.pci.chain_problem, "looped at 0x40") != NULL);
		CHECK_EQ(c.pci.n, 6); /* every cap once, then the loop is seen */
	}
	if (walk("caps-header.txt", "00:02.0", &c) == 0) {
		CHECK(strstr(c.pci.chain_problem, "into the header") != NULL);
		CHECK_EQ(c.pci.n, 0);
		CHECK(!vcaps_is_modern(&c));
	}
	/* a pointer into a capability found before it (here the PCI
	 * configuration access capability's pci_cfg_data, whose read would
	 * make the device access its BAR) is a broken chain, and not read */
	if (walk("caps-into-window.txt", "00:02.0", &c) == 0) {
		CHECK_STR(c.pci.chain_problem,
			  "capability pointer 0x94 points into the capability at 0x84");
		CHECK_EQ(c.pci.n, 5);
		CHECK(!c.pci.msix.present);
	}
	if (walk("caps-no-list.txt", "00:02.0", &c) == 0) {
		CHECK_EQ(c.pci.n, 0);
		CHECK_STR(c.pci.chain_problem, "");
	}
}

static void test_vcap_problems(void)
{
	struct vcaps c;

	if (walk("caps-truncated.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "too short") != NULL);
		CHECK_EQ(c.common, -1); /* no other common cap to fall back to */
		CHECK_EQ(c.pci.n, 6);	/* the walk goes on past a bad cap */
	}
	if (walk("caps-bar7.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "BAR index 7 is above 5") != NULL);
	}
	if (walk("caps-bar-unimpl.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[1].usable);
		CHECK(strstr(c.v[1].problem, "BAR 2 is not implemented") != NULL);
		CHECK_EQ(c.isr, -1);
	}
	if (walk("caps-misaligned.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[2].usable);
		CHECK(strstr(c.v[2].problem, "not 4-byte aligned") != NULL);
	}
	if (walk("caps-short-common.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "shorter than the 56 bytes") != NULL);
	}
	if (walk("caps-mult3.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[3].usable);
		CHECK(strstr(c.v[3].problem, "multiplier 3") != NULL);
		CHECK_EQ(c.notify, -1);
	}
	if (walk("caps-unknown-type.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[4].usable);
		CHECK(strstr(c.v[4].problem, "unknown cfg_type 7") != NULL);
		CHECK_EQ(c.pci_cfg, -1);
		CHECK_EQ(c.common, 0);
	}
}

static void test_names(void)
{
	CHECK_STR(vcap_cfg_type_name(1), "common");
	CHECK_STR(vcap_cfg_type_name(2), "notify");
	CHECK_STR(vcap_cfg_type_name(3), "isr");
	CHECK_STR(vcap_cfg_type_name(4), "device");
	CHECK_STR(vcap_cfg_type_name(5), "pci-cfg");
	CHECK_STR(vcap_cfg_type_name(8), "shared-memory");
	CHECK_STR(vcap_cfg_type_name(9), "vendor");
	CHECK(vcap_cfg_type_name(6) == NULL);
	CHECK(vcap_cfg_type_name(200) == NULL);
	CHECK_STR(pci_cap_name(0x11), "MSI-X");
	CHECK_STR(pci_cap_name(0x10), "PCI Express");
	CHECK_STR(pci_cap_name(0x01), "Power Management");
	CHECK_STR(pci_ext_cap_name(0x0001), "Advanced Error Reporting");
}

int main(void)
{
	test_real_block();
	test_kept_reads();
	test_chain_problems();
	test_vcap_problems();
	test_names();
	pdev_close(dev);
	psys_close(sys);
	return check_done();
}
