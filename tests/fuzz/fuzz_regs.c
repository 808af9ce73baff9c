/* (e) A device that lies everywhere: config space and BAR registers both
 * come from the input, in a memory-backed pdev. Where fuzz_caps keeps the
 * model's well-behaved registers behind hostile capabilities, this one
 * gives the transports hostile register values (queue counts and sizes,
 * feature words, config generation, MSI-X table entries, the legacy
 * header, a device that reads all-ones as if surprise-removed).
 *
 * Input: a flags byte (bit 0: 4096-byte config space; bit 1: bound to a
 * driver, BARs unreachable; bit 2: --select), a BAR size byte (every
 * implemented BAR has 2^(8 + n%8) bytes), the config space (zero-filled
 * past the input), then the register file. A register at BAR offset off
 * is register-file byte ((off >> 12) * 64 + (off & 0xfff) + 16 * bar) mod
 * its length, so the regions QEMU puts at 4 KiB steps map to distinct
 * bytes of a short input; with no register file every read is all-ones.
 * Writes land where reads come from, so selectors hold what was written,
 * except 16-bit writes of REGS_SELECT_MAX or more, which are dropped (as
 * QEMU drops a queue_select of 1024 or more): a num_queues from the input
 * is up to 65535, and the transports' check that the queue selector reads
 * back stops there after 8 queues instead of reading 1024 of them, which
 * cost fifty times a short report. Reports of 1024 queues and more are
 * tested in tests/unit/test_report.c (queues_limit). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "pci/backend/backend.h"

#define REGS_SELECT_MAX 8

struct fdev {
	uint8_t cfg[4096];
	size_t nregs;
	uint8_t regs[];
};

static size_t reg_index(const struct fdev *f, unsigned bar, uint64_t off)
{
	return (size_t)(((off >> 12) * 64 + (off & 0xfff) + 16 * (uint64_t)bar) % f->nregs);
}

static int fdev_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			 struct verr *e)
{
	const struct fdev *f = d->priv;
	uint32_t v = 0;

	(void)e;
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | f->cfg[off + i];
	*val = v;
	return 0;
}

static int fdev_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			  struct verr *e)
{
	struct fdev *f = d->priv;

	(void)e;
	for (unsigned i = 0; i < width; i++)
		f->cfg[off + i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int fdev_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			 struct verr *e)
{
	const struct fdev *f = d->priv;
	uint64_t v = 0;

	if (d->bar_why[0])
		return verr_set(e, VX_UNAVAILABLE, "%s", d->bar_why);
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | (f->nregs ? f->regs[reg_index(f, bar, off + i)] : 0xff);
	*val = v;
	return 0;
}

static int fdev_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			  struct verr *e)
{
	struct fdev *f = d->priv;

	if (d->bar_why[0])
		return verr_set(e, VX_UNAVAILABLE, "%s", d->bar_why);
	if (width == 2 && val >= REGS_SELECT_MAX)
		return 0;
	for (unsigned i = 0; f->nregs && i < width; i++)
		f->regs[reg_index(f, bar, off + i)] = (uint8_t)(val >> (8 * i));
	return 0;
}

static void fdev_close(struct pdev *d)
{
	free(d->priv);
	d->priv = NULL;
}

static const struct pdev_ops fdev_ops = {
	.name = "fuzz",
	.cfg_read = fdev_cfg_read,
	.cfg_write = fdev_cfg_write,
	.bar_read = fdev_bar_read,
	.bar_write = fdev_bar_write,
	.close = fdev_close,
};

static unsigned le16(const uint8_t *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

int fuzz_regs(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size, 0};
	uint8_t flags = fin_u8(&in), size_byte = fin_u8(&in);
	unsigned cfg_size = flags & 1 ? 4096 : 256, ncfg;
	uint32_t raw[PCI_NUM_BARS];
	bool bound = flags & 2, select = flags & 4;
	struct pdev *d = calloc(1, sizeof(*d));
	struct fdev *f;
	size_t nregs;

	ncfg = fin_left(&in) < cfg_size ? (unsigned)fin_left(&in) : cfg_size;
	nregs = fin_left(&in) - ncfg;
	f = calloc(1, sizeof(*f) + nregs);
	if (!d || !f)
		fuzz_fail("out of memory");
	memcpy(f->cfg, data + in.pos, ncfg);
	memcpy(f->regs, data + in.pos + ncfg, nregs);
	f->nregs = nregs;
	d->ops = &fdev_ops;
	d->priv = f;
	d->addr = (struct pci_addr){0, 0x42, 0, 0};
	d->vendor = (uint16_t)le16(f->cfg + PCI_CFG_VENDOR);
	d->device = (uint16_t)le16(f->cfg + PCI_CFG_DEVICE);
	d->revision = f->cfg[PCI_CFG_REVISION];
	d->class_code = f->cfg[PCI_CFG_CLASS] | (uint32_t)le16(f->cfg + PCI_CFG_CLASS + 1) << 8;
	d->subsys_vendor = (uint16_t)le16(f->cfg + PCI_CFG_SUBSYS_VENDOR);
	d->subsys_device = (uint16_t)le16(f->cfg + PCI_CFG_SUBSYS_DEVICE);
	d->cfg_size = cfg_size;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		raw[i] = le16(f->cfg + PCI_CFG_BAR0 + 4 * i) |
			 (uint32_t)le16(f->cfg + PCI_CFG_BAR0 + 4 * i + 2) << 16;
	pci_bars_decode(raw, pci_header_num_bars(f->cfg[PCI_CFG_HEADER_TYPE]), d->bar);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].kind != PCI_BAR_NONE)
			d->bar[i].size = UINT64_C(1) << (8 + size_byte % 8);
	d->writable = true;
	if (bound) {
		strcpy(d->driver, "virtio-pci");
		strcpy(d->bar_why, "the BARs belong to virtio-pci (fuzz)");
	}
	fuzz_device_reports(d, bound, select);
	pdev_close(d);
	return 0;
}
