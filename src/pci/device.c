#include "pci/device.h"
#include "pci/regs.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static bool width_ok(unsigned width, bool allow8)
{
	return width == 1 || width == 2 || width == 4 || (allow8 && width == 8);
}

static int gone(const struct pdev *d, struct verr *e)
{
	char a[PCI_ADDR_STRLEN];

	pci_addr_format(&d->addr, a);
	return verr_set(e, VX_NODEV, "%s: device removed", a);
}

struct pdev_cfg_snap {
	uint32_t val[PCI_CFG_SPACE_EXP_SIZE / 4];
	uint8_t have[PCI_CFG_SPACE_EXP_SIZE / 4 / 8]; /* a bit per dword read */
};

static bool snap_has(const struct pdev_cfg_snap *c, unsigned dw)
{
	return c->have[dw / 8] & 1u << dw % 8;
}

/* The opening's header dwords become the snapshot's first reads. */
static void snap_take_open_dwords(struct pdev *d)
{
	for (unsigned dw = 0; d->snap && dw < d->n_open_dwords; dw++) {
		d->snap->val[dw] = d->open_dwords[dw];
		d->snap->have[dw / 8] |= (uint8_t)(1u << dw % 8);
	}
	d->n_open_dwords = 0;
}

void pdev_cfg_snapshot(struct pdev *d, bool on)
{
	if (!on) {
		free(d->snap);
		d->snap = NULL;
		d->n_open_dwords = 0; /* the command that opened it is over */
	} else if (!d->snap && d->ops->cfg_snapshots && !d->removed) {
		/* out of memory: no snapshot, reads go to the backend */
		d->snap = calloc(1, sizeof(*d->snap));
		snap_take_open_dwords(d);
	}
}

/* A read inside one dword (reads are naturally aligned, at most 4 bytes)
 * from the snapshot, the dword read first when it was not. A dword that
 * does not read is not kept: the read is then made as asked. */
static int snap_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val, struct verr *e)
{
	struct pdev_cfg_snap *c = d->snap;
	unsigned dw = off / 4;
	uint32_t v;

	if (dw >= PCI_CFG_SPACE_EXP_SIZE / 4)
		return d->ops->cfg_read(d, off, width, val, e);
	if (!snap_has(c, dw)) {
		if (dw * 4 + 4 > d->cfg_size || d->ops->cfg_read(d, dw * 4, 4, &v, NULL))
			return d->ops->cfg_read(d, off, width, val, e);
		c->val[dw] = v;
		c->have[dw / 8] |= (uint8_t)(1u << dw % 8);
	}
	v = c->val[dw] >> (off % 4 * 8);
	*val = width == 4 ? v : v & ((1u << width * 8) - 1);
	return 0;
}

/* Reads dwords [a, b), none of them held, in one block and keeps them. */
static void prefetch_run(struct pdev *d, unsigned a, unsigned b)
{
	uint8_t buf[PCI_CFG_SPACE_EXP_SIZE];

	if (d->ops->cfg_read_block(d, a * 4, buf, (b - a) * 4, NULL))
		return;
	for (unsigned dw = a; dw < b; dw++) {
		d->snap->val[dw] = (uint32_t)buf[(dw - a) * 4] |
				   (uint32_t)buf[(dw - a) * 4 + 1] << 8 |
				   (uint32_t)buf[(dw - a) * 4 + 2] << 16 |
				   (uint32_t)buf[(dw - a) * 4 + 3] << 24;
		d->snap->have[dw / 8] |= (uint8_t)(1u << dw % 8);
	}
}

/* Each run of dwords not held yet in one read, held ones never again:
 * where a hypervisor traps every config dword (tens of microseconds each
 * on a cloud VM) the dwords cost more than the syscalls. */
void pdev_cfg_prefetch(struct pdev *d, unsigned off, unsigned len)
{
	unsigned a, b;

	if (!d->snap || !d->ops->cfg_snapshots || !d->ops->cfg_read_block || d->removed)
		return;
	a = off / 4;
	b = off + len > d->cfg_size ? d->cfg_size / 4 : (off + len + 3) / 4;
	while (a < b) {
		unsigned end;

		while (a < b && snap_has(d->snap, a))
			a++;
		for (end = a; end < b && !snap_has(d->snap, end); end++)
			;
		if (end > a)
			prefetch_run(d, a, end);
		a = end;
	}
}

int pdev_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val, struct verr *e)
{
	if (d->removed)
		return gone(d, e);
	if (!width_ok(width, false) || off % width || off + width > d->cfg_size)
		return verr_set(e, VX_FAIL,
				"config read of %u bytes at 0x%x is outside %u-byte config space",
				width, off, d->cfg_size);
	/* ops that wrap the backend's (the virtio config-access window,
	 * which writes config space behind this layer) read past it */
	if (d->snap && d->ops->cfg_snapshots)
		return snap_read(d, off, width, val, e);
	return d->ops->cfg_read(d, off, width, val, e);
}

int pdev_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val, struct verr *e)
{
	pdev_cfg_snapshot(d, false); /* a command that writes reads the device */
	if (d->removed)
		return gone(d, e);
	if (!d->writable)
		return verr_set(e, VX_PERM, "refusing to write: %s",
				d->write_why[0] ? d->write_why : "device opened read-only");
	if (!d->ops->cfg_write)
		return verr_set(e, VX_UNAVAILABLE, "the %s backend cannot write config space",
				d->ops->name);
	if (!width_ok(width, false) || off % width || off + width > d->cfg_size)
		return verr_set(e, VX_FAIL,
				"config write of %u bytes at 0x%x is outside config space", width,
				off);
	return d->ops->cfg_write(d, off, width, val, e);
}

int pdev_sysfs_dirfd(const struct pdev *d)
{
	return d->ops->sysfs_dirfd && !d->removed ? d->ops->sysfs_dirfd(d) : -1;
}

void pdev_read_revision(struct pdev *d)
{
	uint32_t v = 0;

	d->revision_unread = pdev_cfg_read(d, PCI_CFG_REVISION, 1, &v, NULL) != 0;
	d->revision = (uint8_t)v;
}

uint8_t pdev_cfg_read8(struct pdev *d, unsigned off)
{
	uint32_t v;

	return pdev_cfg_read(d, off, 1, &v, NULL) ? 0xff : (uint8_t)v;
}

uint16_t pdev_cfg_read16(struct pdev *d, unsigned off)
{
	uint32_t v;

	return pdev_cfg_read(d, off, 2, &v, NULL) ? 0xffff : (uint16_t)v;
}

uint32_t pdev_cfg_read32(struct pdev *d, unsigned off)
{
	uint32_t v;

	return pdev_cfg_read(d, off, 4, &v, NULL) ? 0xffffffffu : v;
}

bool pdev_bar_contains(const struct pdev *d, unsigned bar, uint64_t off, uint64_t len)
{
	uint64_t size;

	if (bar >= PCI_NUM_BARS || d->bar[bar].kind == PCI_BAR_NONE)
		return false;
	size = d->bar[bar].size;
	return off <= size && len <= size - off;
}

static int check_bar_access(struct pdev *d, unsigned bar, uint64_t off, unsigned width,
			    struct verr *e)
{
	if (bar >= PCI_NUM_BARS)
		return verr_set(e, VX_DEVICE, "BAR index %u is out of range (0-5)", bar);
	if (d->bar[bar].kind == PCI_BAR_NONE)
		return verr_set(e, VX_DEVICE, "BAR %u is not implemented", bar);
	if (!width_ok(width, d->bar[bar].kind != PCI_BAR_IO) || off % width)
		return verr_set(e, VX_FAIL, "bad %u-byte register access at BAR %u offset 0x%llx",
				width, bar, (unsigned long long)off);
	/* Before the size check: a backend without register access may not
	 * know sizes either (a dump), and "outside the 0-byte BAR" would hide
	 * the real reason. */
	if (!d->ops->bar_read)
		return verr_set(e, VX_UNAVAILABLE, "%s",
				d->bar_why[0] ? d->bar_why : "BAR registers are not reachable");
	if (!pdev_bar_contains(d, bar, off, width))
		return verr_set(
			e, VX_DEVICE,
			"register at BAR %u offset 0x%llx (+%u) is outside the %llu-byte BAR", bar,
			(unsigned long long)off, width, (unsigned long long)d->bar[bar].size);
	return 0;
}

int pdev_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
		  struct verr *e)
{
	if (d->removed)
		return gone(d, e);
	if (check_bar_access(d, bar, off, width, e))
		return -1;
	return d->ops->bar_read(d, bar, off, width, val, e);
}

int pdev_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
		   struct verr *e)
{
	pdev_cfg_snapshot(d, false); /* a command that writes reads the device */
	if (d->removed)
		return gone(d, e);
	if (!d->writable)
		return verr_set(e, VX_PERM, "refusing to write: %s",
				d->write_why[0] ? d->write_why : "device opened read-only");
	if (check_bar_access(d, bar, off, width, e))
		return -1;
	if (!d->ops->bar_write)
		return verr_set(e, VX_UNAVAILABLE, "the %s backend cannot write registers",
				d->ops->name);
	return d->ops->bar_write(d, bar, off, width, val, e);
}

int pdev_check_present(struct pdev *d, struct verr *e)
{
	char a[PCI_ADDR_STRLEN];
	struct verr ignored = {0};
	const char *why = NULL;
	uint32_t vendor = 0;

	if (d->removed)
		return gone(d, e);
	if (d->ops->present && !d->ops->present(d))
		why = "its sysfs entry is gone";
	else if (d->ops->cfg_read(d, 0, 2, &vendor, &ignored))
		why = "config space no longer reads";
	else if (vendor == 0xffff)
		why = "vendor ID reads 0xffff";
	if (!why)
		return 0;
	pdev_cfg_snapshot(d, false);
	d->removed = 1;
	pci_addr_format(&d->addr, a);
	return verr_set(e, VX_NODEV, "%s: device removed (%s)", a, why);
}

bool pdev_maps(const struct pdev *d, const void *addr)
{
	return d->ops->maps && d->ops->maps(d, addr);
}

bool pdev_has_bar_access(const struct pdev *d)
{
	return d->ops->bar_read != NULL && d->bar_why[0] == '\0';
}

void pdev_allow_writes(struct pdev *d, bool allow, const char *why)
{
	d->writable = allow;
	snprintf(d->write_why, sizeof(d->write_why), "%s", why ? why : "");
}

void pdev_close(struct pdev *d)
{
	if (!d)
		return;
	pdev_cfg_snapshot(d, false);
	if (d->ops && d->ops->close)
		d->ops->close(d);
	free(d);
}

const char *pci_bar_kind_name(enum pci_bar_kind k)
{
	static const char *const names[] = {
		[PCI_BAR_NONE] = "none",
		[PCI_BAR_MEM32] = "mem32",
		[PCI_BAR_MEM64] = "mem64",
		[PCI_BAR_IO] = "io",
	};

	return (unsigned)k < 4 ? names[k] : "?";
}
