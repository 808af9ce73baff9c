/* DMA memory front end: picks the backend, switches bus mastering on and
 * back, and hands out buffers from the backends' arenas. */
#include "dma/backend.h"

#include "pci/backend/backend.h"
#include "pci/backend/vfio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BITS 64u

/* ---- arenas ---- */

struct dma_arena *dma_arena_new(void *va, size_t len, bool spans)
{
	struct dma_arena *a = calloc(1, sizeof(*a));
	size_t ngrain = len / DMA_GRAIN;

	if (!a)
		return NULL;
	a->va = va;
	a->len = len;
	a->spans = spans;
	a->bus_page = calloc(len / DMA_PAGE ? len / DMA_PAGE : 1, sizeof(*a->bus_page));
	a->used = calloc((ngrain + BITS - 1) / BITS ? (ngrain + BITS - 1) / BITS : 1,
			 sizeof(*a->used));
	if (!a->bus_page || !a->used) {
		dma_arena_free(a);
		return NULL;
	}
	return a;
}

void dma_arena_free(struct dma_arena *a)
{
	if (!a)
		return;
	free(a->bus_page);
	free(a->used);
	free(a);
}

uint64_t dma_arena_bus(const struct dma_arena *a, size_t off)
{
	return a->bus_page[off / DMA_PAGE] + off % DMA_PAGE;
}

static bool grain_used(const struct dma_arena *a, size_t g)
{
	return a->used[g / BITS] >> (g % BITS) & 1;
}

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* The offset from which the next candidate may start when [off, off+len)
 * fails, or 0 when it fits. */
static size_t blocked_until(const struct dma_arena *a, size_t off, size_t len)
{
	size_t first = off / DMA_PAGE, last = (off + len - 1) / DMA_PAGE;

	for (size_t p = first; p < last; p++)
		if (!a->spans || a->bus_page[p + 1] != a->bus_page[p] + DMA_PAGE)
			return (p + 1) * DMA_PAGE;
	for (size_t g = (off + len) / DMA_GRAIN + ((off + len) % DMA_GRAIN != 0);
	     g-- > off / DMA_GRAIN;)
		if (grain_used(a, g))
			return (g + 1) * DMA_GRAIN;
	return 0;
}

/* The first granule at or after g that is free (ngrain when none): whole
 * words of used granules are skipped at once, so that first fit over a
 * full prefix of the arena costs a word per 64 granules, not a probe each. */
static size_t next_free_grain(const struct dma_arena *a, size_t g)
{
	size_t ngrain = a->len / DMA_GRAIN;

	while (g < ngrain) {
		uint64_t free_bits = ~a->used[g / BITS] >> (g % BITS);

		if (free_bits) {
			g += (size_t)__builtin_ctzll(free_bits);
			return g < ngrain ? g : ngrain;
		}
		g = (g / BITS + 1) * BITS;
	}
	return ngrain;
}

bool dma_arena_fit(const struct dma_arena *a, size_t len, size_t align, size_t *off)
{
	/* Within a page the bus offset is the arena offset; beyond a page the
	 * alignment can only be met at page starts, checked on the bus. */
	size_t step = align <= DMA_PAGE ? (align < DMA_GRAIN ? DMA_GRAIN : align) : DMA_PAGE;
	size_t o = 0, next;

	if (!len || len > a->len)
		return false;
	while (o <= a->len - len) {
		if (align > DMA_PAGE && dma_arena_bus(a, o) % align) {
			o += step;
			continue;
		}
		if (grain_used(a, o / DMA_GRAIN)) {
			o = round_up(next_free_grain(a, o / DMA_GRAIN) * DMA_GRAIN, step);
			continue;
		}
		next = blocked_until(a, o, len);
		if (!next) {
			*off = o;
			return true;
		}
		o = round_up(next > o ? next : o + step, step);
	}
	return false;
}

static void mark(struct dma_arena *a, size_t off, size_t len, bool used)
{
	size_t end = round_up(off + len, DMA_GRAIN) / DMA_GRAIN;

	for (size_t g = off / DMA_GRAIN; g < end; g++) {
		if (used)
			a->used[g / BITS] |= 1ull << (g % BITS);
		else
			a->used[g / BITS] &= ~(1ull << (g % BITS));
	}
	if (used)
		a->nused += end - off / DMA_GRAIN;
	else
		a->nused -= end - off / DMA_GRAIN;
}

void dma_arena_take(struct dma_arena *a, size_t off, size_t len)
{
	mark(a, off, len, true);
}

void dma_arena_release(struct dma_arena *a, size_t off, size_t len)
{
	mark(a, off, len, false);
}

enum pagemap_state dma_pagemap_decode(uint64_t entry, uint64_t *pfn)
{
	*pfn = entry & ((1ull << 55) - 1);
	if (entry >> 62 & 1)
		return PAGEMAP_SWAPPED;
	if (!(entry >> 63 & 1))
		return PAGEMAP_NOT_PRESENT;
	return *pfn ? PAGEMAP_PFN : PAGEMAP_NO_PFN;
}

void *dma_map_anon(size_t len, int extra_flags, struct verr *e)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags,
		       -1, 0);

	if (p == MAP_FAILED) {
		verr_set(e, VX_FAIL, "mmap of %zu bytes for DMA: %s", len, strerror(errno));
		return NULL;
	}
	/* A page never written maps the shared zero page: no frame of its own. */
	for (size_t i = 0; i < len; i += DMA_PAGE)
		((volatile uint8_t *)p)[i] = 0;
	return p;
}

/* ---- kind selection ---- */

const char *dma_kind_word(unsigned k)
{
	/* the one list of --dma words; DMA_PROVIDED is not one */
	static const char *const words[] = {
		[DMA_AUTO] = "auto",
		[DMA_PAGEMAP] = "sysfs",
		[DMA_VFIO] = "vfio",
	};

	return k < sizeof(words) / sizeof(words[0]) ? words[k] : NULL;
}

bool dma_kind_parse(const char *s, enum dma_kind *out)
{
	for (unsigned k = 0; s && k < DMA_PROVIDED; k++)
		if (dma_kind_word(k) && strcmp(s, dma_kind_word(k)) == 0) {
			*out = (enum dma_kind)k;
			return true;
		}
	return false;
}

static enum dma_kind auto_kind(const struct pdev *pci)
{
	if (vfio_pdev_is(pci) && !vfio_pdev_noiommu(pci))
		return DMA_VFIO;
	return DMA_PAGEMAP;
}

static int check_kind(const struct pdev *pci, enum dma_kind kind, struct verr *e)
{
	char name[PCI_ADDR_STRLEN];

	pci_addr_format(&pci->addr, name);
	if (!pci->on_host)
		return verr_set(e, VX_USAGE,
				"%s is not a device of this machine: host DMA memory "
				"cannot serve it",
				name);
	if (kind == DMA_VFIO && !vfio_pdev_is(pci))
		return verr_set(e, VX_USAGE,
				"DMA through VFIO needs %s bound to vfio-pci (echo vfio-pci > "
				"/sys/bus/pci/devices/%s/driver_override; echo %s > "
				"/sys/bus/pci/drivers_probe)",
				name, name, name);
	if (kind == DMA_VFIO && vfio_pdev_noiommu(pci))
		return verr_set(e, VX_UNAVAILABLE,
				"%s is in VFIO no-IOMMU mode: there is no IOMMU "
				"to map DMA through (pagemap DMA works there)",
				name);
	return 0;
}

static const struct dma_backend *backend_of(enum dma_kind k)
{
	switch (k) {
	case DMA_VFIO:
		return &dma_vfio_backend;
	default:
		return &dma_pagemap_backend;
	}
}

/* ---- bus mastering ---- */

/* Decoding bits for the kinds of BAR the device has assigned: switching
 * decoding on for a BAR at address 0 would make it claim that range. */
static uint16_t decode_bits(const struct pdev *pci)
{
	uint16_t bits = 0;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (!pci->bar[i].base)
			continue;
		if (pci->bar[i].kind == PCI_BAR_IO)
			bits |= PCI_CMD_IO_DECODE;
		else if (pci->bar[i].kind != PCI_BAR_NONE)
			bits |= PCI_CMD_MEM_DECODE;
	}
	return bits;
}

static int enable_master(struct dma *d, struct verr *e)
{
	uint32_t cmd, back;
	uint16_t want;

	if (pdev_cfg_read(d->pci, PCI_CFG_COMMAND, 2, &cmd, e))
		return -1;
	want = (uint16_t)(cmd | PCI_CMD_BUS_MASTER | decode_bits(d->pci));
	if (want == cmd)
		return 0;
	d->saved_cmd = (uint16_t)cmd;
	if (pdev_cfg_write(d->pci, PCI_CFG_COMMAND, 2, want, e))
		return -1;
	d->cmd_written = true;
	if (pdev_cfg_read(d->pci, PCI_CFG_COMMAND, 2, &back, e))
		return -1;
	if (!(back & PCI_CMD_BUS_MASTER))
		return verr_set(e, VX_DEVICE,
				"bus mastering did not stick: command register reads "
				"0x%04x after writing 0x%04x",
				(unsigned)back, (unsigned)want);
	return 0;
}

static void restore_master(struct dma *d)
{
	uint32_t cmd;

	if (!d->cmd_written)
		return;
	if (pdev_cfg_read(d->pci, PCI_CFG_COMMAND, 2, &cmd, NULL) == 0 && cmd == d->saved_cmd)
		return;
	pdev_cfg_write(d->pci, PCI_CFG_COMMAND, 2, d->saved_cmd, NULL);
	d->cmd_written = false;
}

/* ---- open and close ---- */

int dma_open(struct pdev *pci, enum dma_kind kind, struct dma **out, struct verr *e)
{
	return dma_open_at(pci, kind, "/sys", out, e);
}

static struct dma *dma_new(struct pdev *pci, enum dma_kind kind, const struct dma_backend *be,
			   void *ctx, const char *root)
{
	struct dma *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->pci = pci;
	d->kind = kind;
	d->be = be ? be : backend_of(kind);
	d->ctx = ctx;
	d->sysfs.pagemap_fd = -1;
	snprintf(d->sysfs_root, sizeof(d->sysfs_root), "%s", root ? root : "/sys");
	return d;
}

static int open_common(struct pdev *pci, enum dma_kind kind, const struct dma_backend *be,
		       void *ctx, const char *sysfs_root, struct dma **out, struct verr *e)
{
	struct dma *d;

	if (!pci->writable)
		return verr_set(e, VX_PERM, "refusing to switch on bus mastering: %s",
				pci->write_why[0] ? pci->write_why : "device opened read-only");
	d = dma_new(pci, kind, be, ctx, sysfs_root);
	if (!d)
		return verr_set(e, VX_FAIL, "out of memory");
	if (d->be->open(d, e) || enable_master(d, e)) {
		dma_close(d);
		return -1;
	}
	*out = d;
	return 0;
}

int dma_open_at(struct pdev *pci, enum dma_kind kind, const char *sysfs_root, struct dma **out,
		struct verr *e)
{
	*out = NULL;
	if (kind == DMA_AUTO)
		kind = auto_kind(pci);
	if (kind == DMA_PROVIDED)
		return verr_set(e, VX_USAGE, "provided DMA memory needs its backend");
	if (check_kind(pci, kind, e))
		return -1;
	return open_common(pci, kind, NULL, NULL, sysfs_root, out, e);
}

int dma_open_backend(struct pdev *pci, const struct dma_backend *be, struct dma **out,
		     struct verr *e)
{
	return dma_open_backend_ctx(pci, be, NULL, out, e);
}

int dma_open_backend_ctx(struct pdev *pci, const struct dma_backend *be, void *ctx,
			 struct dma **out, struct verr *e)
{
	*out = NULL;
	return open_common(pci, DMA_PROVIDED, be, ctx, "/sys", out, e);
}

static void drop_arenas(struct dma *d)
{
	while (d->arenas) {
		struct dma_arena *a = d->arenas;

		d->arenas = a->next;
		d->be->arena_drop(d, a);
	}
}

void dma_close(struct dma *d)
{
	if (!d)
		return;
	drop_arenas(d);
	restore_master(d);
	if (d->be->close)
		d->be->close(d);
	free(d);
}

/* The memory stays mapped (and, for VFIO, in the IOMMU) until the process
 * ends. Bus mastering is not restored to what it was but switched off: once
 * this process exits its pages go back to the kernel, and a device that
 * still masters could then write into someone else's memory. */
void dma_abandon(struct dma *d)
{
	uint32_t cmd;

	if (!d)
		return;
	if (pdev_cfg_read(d->pci, PCI_CFG_COMMAND, 2, &cmd, NULL) == 0 &&
	    (cmd & PCI_CMD_BUS_MASTER))
		pdev_cfg_write(d->pci, PCI_CFG_COMMAND, 2, cmd & ~PCI_CMD_BUS_MASTER, NULL);
	while (d->arenas) {
		struct dma_arena *a = d->arenas;

		d->arenas = a->next;
		dma_arena_free(a);
	}
	if (d->be->close)
		d->be->close(d);
	free(d);
}

const char *dma_name(const struct dma *d)
{
	return d->be->name;
}

enum dma_kind dma_kind_of(const struct dma *d)
{
	return d->kind;
}

/* ---- buffers ---- */

static int check_request(size_t len, size_t align, struct verr *e)
{
	if (!len || len > DMA_HUGE)
		return verr_set(e, VX_USAGE, "DMA buffer of %zu bytes: 1 byte to 2 MiB", len);
	if (!align || (align & (align - 1)) || align > DMA_HUGE)
		return verr_set(e, VX_USAGE, "DMA alignment %zu is not a power of two up to 2 MiB",
				align);
	return 0;
}

static void hand_out(struct dma_arena *a, size_t off, size_t len, struct dma_mem *out)
{
	dma_arena_take(a, off, len);
	memset(a->va + off, 0, len);
	out->va = a->va + off;
	out->bus = dma_arena_bus(a, off);
	out->len = len;
	out->priv = a;
}

int dma_alloc(struct dma *d, size_t len, size_t align, struct dma_mem *out, struct verr *e)
{
	bool contiguous = len > DMA_PAGE || align > DMA_PAGE;
	struct dma_arena *a;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (check_request(len, align, e))
		return -1;
	for (a = d->arenas; a; a = a->next)
		if (dma_arena_fit(a, len, align, &off)) {
			hand_out(a, off, len, out);
			return 0;
		}
	if (d->be->arena_new(d, len, align, contiguous, &a, e))
		return -1;
	a->next = d->arenas;
	d->arenas = a;
	if (!dma_arena_fit(a, len, align, &off))
		return verr_set(e, VX_FAIL, "internal: new %s arena cannot hold %zu bytes",
				d->be->name, len);
	hand_out(a, off, len, out);
	return 0;
}

static void unlink_arena(struct dma *d, struct dma_arena *a)
{
	for (struct dma_arena **pp = &d->arenas; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			return;
		}
}

void dma_free(struct dma *d, struct dma_mem *m)
{
	struct dma_arena *a;

	if (!d || !m || !m->priv)
		return;
	a = m->priv;
	dma_arena_release(a, (size_t)((uint8_t *)m->va - a->va), m->len);
	if (!a->nused) {
		unlink_arena(d, a);
		d->be->arena_drop(d, a);
	}
	memset(m, 0, sizeof(*m));
}

int dma_verify(struct dma *d, struct verr *e)
{
	if (!d->be->arena_verify)
		return 0;
	for (const struct dma_arena *a = d->arenas; a; a = a->next)
		if (d->be->arena_verify(d, a, e))
			return -1;
	return 0;
}
