/* DMA memory: the arena allocator and pagemap decoding (pure), the front
 * end on the test model (bus mastering on and back, kinds, abandon), the
 * sysfs backend's IOMMU check on a fake tree, and the sysfs allocator on
 * this process's own memory (pagemap needs root; no device is touched: the
 * command register is never written here). */
#include "check.h"
#include "model_fixture.h"
#include "fakesys.h"
#include "dma/backend.h"
#include "sim/model.h"
#include "pci/system.h"
#include "pci/backend/vfio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CMD 0x04

/* ---- pagemap entries ---- */

static void test_pagemap_decode(void)
{
	uint64_t pfn;

	CHECK_EQ(dma_pagemap_decode(1ull << 63 | 0x12345, &pfn), PAGEMAP_PFN);
	CHECK_EQ(pfn, 0x12345);
	/* Bits 55-61 are flags (soft-dirty, exclusive, file/shared), not PFN. */
	CHECK_EQ(dma_pagemap_decode(1ull << 63 | 1ull << 55 | 1ull << 61 | 7, &pfn), PAGEMAP_PFN);
	CHECK_EQ(pfn, 7);
	CHECK_EQ(dma_pagemap_decode(1ull << 63 | ((1ull << 55) - 1), &pfn), PAGEMAP_PFN);
	CHECK_EQ(pfn, (1ull << 55) - 1);
	CHECK_EQ(dma_pagemap_decode(1ull << 63, &pfn), PAGEMAP_NO_PFN);
	CHECK_EQ(dma_pagemap_decode(1ull << 63 | 1ull << 55, &pfn), PAGEMAP_NO_PFN);
	CHECK_EQ(dma_pagemap_decode(0, &pfn), PAGEMAP_NOT_PRESENT);
	CHECK_EQ(dma_pagemap_decode(0x1234, &pfn), PAGEMAP_NOT_PRESENT);
	CHECK_EQ(dma_pagemap_decode(1ull << 62 | 0x55, &pfn), PAGEMAP_SWAPPED);
}

/* ---- arenas (pure: bus pages are made up, memory is never touched) ---- */

static struct dma_arena *fake_arena(size_t pages, bool spans, const uint64_t *bus)
{
	static uint8_t backing[64 * DMA_PAGE];
	struct dma_arena *a = dma_arena_new(backing, pages * DMA_PAGE, spans);

	for (size_t i = 0; a && i < pages; i++)
		a->bus_page[i] = bus ? bus[i] : 0x100000ull * (i + 1); /* scattered */
	return a;
}

static bool take(struct dma_arena *a, size_t len, size_t align, size_t *off)
{
	if (!dma_arena_fit(a, len, align, off))
		return false;
	dma_arena_take(a, *off, len);
	return true;
}

/* Small requests on scattered pages: every buffer inside one page, bus
 * address aligned, no two buffers overlapping. */
static void test_small_never_cross(void)
{
	static const size_t lens[] = {1, 16, 100, 64, 4000, 258, 2054, 4096, 7, 1030, 600};
	static const size_t aligns[] = {1, 16, 4096, 64, 8, 2, 4, 4096, 128, 16, 512};
	struct dma_arena *a = fake_arena(8, false, NULL);
	size_t off[64], len[64], n = 0;
	bool ok = true;

	for (unsigned round = 0; round < 4; round++)
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]) && n < 64; i++) {
			if (!take(a, lens[i], aligns[i], &off[n]))
				continue;
			len[n] = lens[i];
			ok &= off[n] / DMA_PAGE == (off[n] + len[n] - 1) / DMA_PAGE;
			ok &= dma_arena_bus(a, off[n]) % aligns[i] == 0;
			ok &= off[n] % DMA_GRAIN == 0;
			n++;
		}
	CHECK(ok);
	CHECK(n > 10);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ok &= off[i] + len[i] <= off[j] || off[j] + len[j] <= off[i];
	CHECK(ok);
	/* Larger than a page: never on an arena that may not span. */
	CHECK(!dma_arena_fit(a, DMA_PAGE + 1, 8, &off[0]));
	dma_arena_free(a);
}

/* Several small buffers share a page (sub-allocation saves memory). */
static void test_packing(void)
{
	struct dma_arena *a = fake_arena(2, false, NULL);
	size_t o1, o2, o3;

	CHECK(take(a, 16 * 64, 16, &o1));   /* a 64-entry descriptor table */
	CHECK(take(a, 6 + 2 * 64, 2, &o2)); /* its driver area */
	CHECK(take(a, 6 + 8 * 64, 4, &o3)); /* its device area */
	CHECK_EQ(o1 / DMA_PAGE, 0);
	CHECK_EQ(o2 / DMA_PAGE, 0);
	CHECK_EQ(o3 / DMA_PAGE, 0);
	CHECK_EQ(o2, 1024);
	CHECK_EQ(o3, 1024 + 192); /* 134 bytes take three 64-byte granules */
	CHECK_EQ(a->nused, 16 + 3 + 9);
	/* A release makes room again, exactly where it was. */
	dma_arena_release(a, o2, 6 + 2 * 64);
	CHECK_EQ(a->nused, 16 + 9);
	CHECK(take(a, 100, 64, &o2));
	CHECK_EQ(o2, 1024);
	dma_arena_free(a);
}

/* A full page fills a page; the next one goes to the next page. */
static void test_full_pages(void)
{
	struct dma_arena *a = fake_arena(3, false, NULL);
	size_t o1, o2, o3, o4;

	CHECK(take(a, 10, 8, &o1));
	CHECK(take(a, DMA_PAGE, DMA_PAGE, &o2));
	CHECK_EQ(o2, DMA_PAGE);
	CHECK(take(a, DMA_PAGE, 16, &o3));
	CHECK_EQ(o3, 2 * DMA_PAGE);
	CHECK(!take(a, DMA_PAGE, 16, &o4));
	CHECK(take(a, DMA_PAGE - 64, 16, &o4)); /* the rest of page 0 */
	CHECK_EQ(o4, 64);
	CHECK(!take(a, 1, 1, &o4));
	dma_arena_free(a);
}

/* Contiguous arena: multi-page buffers only across consecutive frames. */
static void test_contiguous_runs(void)
{
	/* frames: 11 12 | 20 21 22 | 40 | 50 */
	static const uint64_t bus[] = {0xb000, 0xc000, 0x14000, 0x15000, 0x16000, 0x28000, 0x32000};
	struct dma_arena *a = fake_arena(7, true, bus);
	size_t off;

	CHECK(dma_arena_fit(a, 3 * DMA_PAGE, DMA_PAGE, &off));
	CHECK_EQ(off, 2 * DMA_PAGE);
	CHECK(dma_arena_fit(a, 2 * DMA_PAGE + 100, 16, &off));
	CHECK_EQ(off, 2 * DMA_PAGE);
	CHECK(dma_arena_fit(a, 2 * DMA_PAGE, 4096, &off));
	CHECK_EQ(off, 0);
	CHECK(!dma_arena_fit(a, 4 * DMA_PAGE, 4096, &off));
	/* Alignment beyond a page is an alignment of the bus address: the
	 * first 8 KiB-aligned frame with a consecutive one after it is 0x14000;
	 * the first 32 KiB-aligned frame is 0x28000. */
	CHECK(dma_arena_fit(a, 2 * DMA_PAGE, 2 * DMA_PAGE, &off));
	CHECK_EQ(dma_arena_bus(a, off), 0x14000);
	CHECK(dma_arena_fit(a, 100, 0x8000, &off));
	CHECK_EQ(dma_arena_bus(a, off), 0x28000);
	/* A spanning buffer may straddle a page where frames are consecutive. */
	dma_arena_take(a, 0, 100);
	CHECK(dma_arena_fit(a, DMA_PAGE, 64, &off));
	CHECK_EQ(off, 128);
	CHECK_EQ(dma_arena_bus(a, off), 0xb080);
	dma_arena_free(a);
}

/* First fit skips used granules a word at a time: over a used prefix of
 * 100 granules (one word and a part), to a one-granule hole and past it,
 * to the end of the arena and no further. */
static void test_used_prefix(void)
{
	struct dma_arena *a = fake_arena(4, true, NULL);
	size_t off;

	for (size_t i = 0; i < 4; i++)
		a->bus_page[i] = 0x200000 + i * DMA_PAGE;
	dma_arena_take(a, 0, 100 * DMA_GRAIN);
	CHECK(dma_arena_fit(a, 1, 1, &off));
	CHECK_EQ(off, 100 * DMA_GRAIN);
	CHECK(dma_arena_fit(a, 64, DMA_PAGE, &off));
	CHECK_EQ(off, 2 * DMA_PAGE);
	dma_arena_take(a, 101 * DMA_GRAIN, 4 * DMA_PAGE - 101 * DMA_GRAIN);
	CHECK(dma_arena_fit(a, 64, 64, &off)); /* the hole at granule 100 */
	CHECK_EQ(off, 100 * DMA_GRAIN);
	CHECK(!dma_arena_fit(a, 65, 64, &off)); /* too big for the hole */
	dma_arena_take(a, 100 * DMA_GRAIN, 1);
	CHECK(!dma_arena_fit(a, 1, 1, &off));
	dma_arena_free(a);
}

/* ---- the front end on the test model ---- */

static struct pdev *model(bool writable, uint16_t cmd)
{
	struct model_spec s;
	struct pdev *d;

	fixture_spec(&s, MODEL_ID_RNG, MODEL_MODERN);
	s.writable = writable;
	d = fixture_pdev(&s);
	if (d)
		model_poke_cfg(d, CMD, 2, cmd, NULL);
	return d;
}

static void test_model_master(void)
{
	struct pdev *d = model(true, 0x0000);
	struct dma *dma = NULL;
	struct dma_mem m[4];
	struct verr e = {0};

	CHECK(dma_open_backend(d, &model_dma_backend, &dma, &e) == 0);
	CHECK_STR(dma_name(dma), "model");
	CHECK_EQ(dma_kind_of(dma), DMA_PROVIDED);
	/* Bus mastering, and memory decoding (the modern BAR is assigned). */
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0x0006);
	CHECK(dma_alloc(dma, 100, 16, &m[0], &e) == 0);
	CHECK(dma_alloc(dma, 3 * DMA_PAGE, DMA_PAGE, &m[1], &e) == 0);
	CHECK(dma_alloc(dma, 64, 0x10000, &m[2], &e) == 0);
	CHECK(dma_alloc(dma, 1, 1, &m[3], &e) == 0);
	/* The model's bounded memory: its own bus addresses, not pointers,
	 * and one offset between the two views. */
	for (int i = 0; i < 4; i++) {
		CHECK(m[i].bus >= MODEL_DMA_BASE);
		CHECK(m[i].bus + m[i].len <= MODEL_DMA_BASE + MODEL_DMA_SIZE);
		CHECK(m[i].bus != (uintptr_t)m[i].va);
		CHECK_EQ((uintptr_t)m[i].va - (uintptr_t)m[0].va, m[i].bus - m[0].bus);
	}
	CHECK_EQ(m[1].bus % DMA_PAGE, 0);
	CHECK_EQ(m[2].bus % 0x10000, 0);
	CHECK_EQ(m[0].len, 100);
	memset(m[1].va, 0xaa, 3 * DMA_PAGE);
	dma_free(dma, &m[1]);
	CHECK(m[1].va == NULL && m[1].priv == NULL);
	CHECK(dma_alloc(dma, 3 * DMA_PAGE, DMA_PAGE, &m[1], &e) == 0);
	CHECK_EQ(((uint8_t *)m[1].va)[5], 0); /* zeroed again */
	CHECK(dma_verify(dma, &e) == 0);
	dma_close(dma);
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0x0000);
	pdev_close(d);
}

/* Already mastering and decoding: nothing written, nothing restored. */
static void test_model_nothing_to_do(void)
{
	struct pdev *d = model(true, 0x0407);
	struct dma *dma = NULL;
	struct verr e = {0};

	model_log_clear(d);
	CHECK(dma_open_backend(d, &model_dma_backend, &dma, &e) == 0);
	dma_close(dma);
	CHECK_EQ(model_write_count(d), 0);
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0x0407);
	pdev_close(d);
}

static void test_model_refusals(void)
{
	struct pdev *ro = model(false, 0), *d = model(true, 0x0002);
	struct dma *dma = NULL;
	struct verr e = {0};
	enum dma_kind k = DMA_PROVIDED;

	CHECK(dma_open_backend(ro, &model_dma_backend, &dma, &e) != 0);
	CHECK_EQ(e.code, VX_PERM);
	CHECK(strstr(e.msg, "bus mastering") != NULL);
	CHECK(dma == NULL);
	verr_clear(&e);
	CHECK(dma_open(d, DMA_VFIO, &dma, &e) != 0);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK(strstr(e.msg, "not a device of this machine") != NULL);
	verr_clear(&e);
	CHECK(dma_open(d, DMA_PAGEMAP, &dma, &e) != 0);
	CHECK_EQ(e.code, VX_USAGE);
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0x0002); /* untouched */
	verr_clear(&e);
	CHECK(dma_open_backend(d, &model_dma_backend, &dma, &e) == 0);
	{
		struct dma_mem m;

		CHECK(dma_alloc(dma, 0, 8, &m, &e) != 0);
		CHECK_EQ(e.code, VX_USAGE);
		verr_clear(&e);
		CHECK(dma_alloc(dma, 100, 24, &m, &e) != 0);
		verr_clear(&e);
		CHECK(dma_alloc(dma, DMA_HUGE + 1, 8, &m, &e) != 0);
		CHECK(m.va == NULL);
	}
	dma_close(dma);
	CHECK(dma_kind_parse("auto", &k) && k == DMA_AUTO);
	CHECK(dma_kind_parse("sysfs", &k) && k == DMA_PAGEMAP);
	CHECK(dma_kind_parse("vfio", &k) && k == DMA_VFIO);
	CHECK(!dma_kind_parse("model", &k));
	CHECK(!dma_kind_parse("VFIO", &k));
	CHECK(!dma_kind_parse(NULL, &k));
	pdev_close(ro);
	pdev_close(d);
}

/* Abandoned memory stays usable; bus mastering is switched off rather
 * than restored (the old value had it on here). */
static void test_model_abandon(void)
{
	struct pdev *d = model(true, 0x0006);
	struct dma *dma = NULL;
	struct dma_mem m;
	struct verr e = {0};

	CHECK(dma_open_backend(d, &model_dma_backend, &dma, &e) == 0);
	CHECK(dma_alloc(dma, 256, 16, &m, &e) == 0);
	dma_abandon(dma);
	memset(m.va, 0x5a, 256); /* still mapped: no crash */
	CHECK_EQ(((uint8_t *)m.va)[255], 0x5a);
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0x0002);
	pdev_close(d);
}

/* ---- sysfs backend ---- */

static void test_iommu_check(void)
{
	struct fakesys fs;
	struct pci_addr a = {0, 0, 4, 0};
	struct verr e = {0};
	char group[512];

	if (!fakesys_create(&fs)) {
		CHECK(!"fakesys_create");
		return;
	}
	fakesys_dir(&fs, "bus/pci/devices/0000:00:04.0");
	CHECK(dma_pagemap_check_iommu(fs.root, &a, &e) == 0); /* no IOMMU group */
	fakesys_text(&fs, "kernel/iommu_groups/3/type", "identity\n");
	/* fakesys_path() returns a static buffer that fakesys_link() reuses. */
	snprintf(group, sizeof(group), "%s", fakesys_path(&fs, "kernel/iommu_groups/3"));
	CHECK(fakesys_link(&fs, "bus/pci/devices/0000:00:04.0/iommu_group", group));
	CHECK(dma_pagemap_check_iommu(fs.root, &a, &e) == 0);
	fakesys_text(&fs, "kernel/iommu_groups/3/type", "DMA-FQ\n");
	CHECK(dma_pagemap_check_iommu(fs.root, &a, &e) != 0);
	CHECK_EQ(e.code, VX_PERM);
	CHECK_STR(e.msg, "the IOMMU translates DMA for 0000:00:04.0 (iommu_group type DMA-FQ): "
			 "physical addresses would fault; DMA through VFIO would work (bind the "
			 "device to vfio-pci)");
	fakesys_text(&fs, "proc/sys/vm/nr_hugepages", "16\n");
	CHECK_EQ(dma_pagemap_nr_hugepages(fakesys_path(&fs, "proc")), 16);
	CHECK_EQ(dma_pagemap_nr_hugepages(fakesys_path(&fs, "nowhere")), 0);
	fakesys_destroy(&fs);
}

static uint64_t pagemap_bus(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t ent = 0, pfn = 0;

	if (fd >= 0 && pread(fd, &ent, 8, (off_t)((uintptr_t)va / DMA_PAGE * 8)) == 8)
		dma_pagemap_decode(ent, &pfn);
	if (fd >= 0)
		close(fd);
	return pfn * DMA_PAGE + (uintptr_t)va % DMA_PAGE;
}

/* The sysfs backend without dma_open(): its open and allocations only look
 * at this process's memory; the command register is left alone. */
static struct dma *sysfs_dma(struct pdev *d, const char *root, struct verr *e)
{
	struct dma *dma = calloc(1, sizeof(*dma));

	dma->pci = d;
	dma->kind = DMA_PAGEMAP;
	dma->be = &dma_pagemap_backend;
	dma->sysfs.pagemap_fd = -1;
	snprintf(dma->sysfs_root, sizeof(dma->sysfs_root), "%s", root);
	if (dma->be->open(dma, e)) {
		dma_close(dma);
		return NULL;
	}
	return dma;
}

static void check_live_buffers(struct dma *dma)
{
	struct dma_mem m[40];
	struct verr e = {0};
	bool ok = true;
	unsigned n = 0;

	for (; n < 40; n++)
		if (dma_alloc(dma, 64 + 97 * n, n % 3 ? 16 : 4096, &m[n], &e))
			break;
	CHECK_EQ(n, 40);
	for (unsigned i = 0; i < n; i++) {
		uint64_t last = (uintptr_t)m[i].va + m[i].len - 1;

		ok &= m[i].bus == pagemap_bus(m[i].va);
		ok &= m[i].bus / DMA_PAGE == (m[i].bus + m[i].len - 1) / DMA_PAGE;
		ok &= (uintptr_t)m[i].va / DMA_PAGE == last / DMA_PAGE;
		ok &= m[i].bus % (i % 3 ? 16 : 4096) == 0;
	}
	CHECK(ok);
	printf("# sysfs: 40 small buffers, first at bus 0x%llx\n", (unsigned long long)m[0].bus);
	CHECK(dma_verify(dma, &e) == 0);
	for (unsigned i = 0; i < n; i++)
		dma_free(dma, &m[i]);
	CHECK(dma->arenas == NULL);
}

/* Without THP (as in the guests' kernel) the run is gathered from small
 * pages: the check is the same, pagemap agreeing page by page. */
static void check_live_contiguous(struct dma *dma, const char *how)
{
	static const size_t lens[] = {3 * DMA_PAGE, 4166, 5 * DMA_PAGE, 2 * DMA_PAGE};
	static const size_t aligns[] = {DMA_PAGE, DMA_PAGE, 16, 2 * DMA_PAGE};
	struct dma_mem m[4];
	struct verr e = {0};
	bool ok = true;
	unsigned n = 0;

	for (; n < 4; n++) {
		if (dma_alloc(dma, lens[n], aligns[n], &m[n], &e)) {
			printf("# sysfs (%s): no contiguous run here: %s\n", how, e.msg);
			CHECK_EQ(e.code, VX_UNAVAILABLE);
			break;
		}
		ok &= m[n].bus % aligns[n] == 0;
		for (size_t off = 0; off < m[n].len; off += DMA_PAGE)
			ok &= pagemap_bus((uint8_t *)m[n].va + off) == m[n].bus + off;
		printf("# sysfs (%s): %zu bytes contiguous at bus 0x%llx\n", how, lens[n],
		       (unsigned long long)m[n].bus);
	}
	CHECK(ok);
	CHECK(dma_verify(dma, &e) == 0);
	while (n--)
		dma_free(dma, &m[n]);
}

static void test_sysfs_live(void)
{
	struct pdev *d = model(true, 0x0000);
	struct fakesys fs;
	struct verr e = {0};
	struct dma *dma;

	if (!fakesys_create(&fs)) {
		CHECK(!"fakesys_create");
		return;
	}
	dma = sysfs_dma(d, fs.root, &e);
	if (geteuid() != 0) {
		CHECK(dma == NULL);
		CHECK_STR(e.msg, "pagemap gives no physical addresses (run as root)");
	} else if (dma) {
		check_live_buffers(dma);
		check_live_contiguous(dma, "THP as configured");
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		check_live_contiguous(dma, "THP off");
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
		dma_close(dma);
	} else {
		CHECK(!"sysfs DMA backend failed as root");
		printf("# %s\n", e.msg);
	}
	CHECK_EQ(model_write_count(d), 0);
	CHECK_EQ(model_peek_cfg(d, CMD, 2), 0);
	pdev_close(d);
	fakesys_destroy(&fs);
}

/* ---- the VFIO backend's refusals, on a fake tree ---- */

static int open_fake(struct fakesys *fs, struct verr *e)
{
	struct psys *sys = psys_open_live(fs->root, e);
	struct pci_addr a = {0, 0, 5, 0};
	struct pdev *d = NULL;
	int rc;

	if (!sys)
		return -1;
	rc = psys_open_device(sys, &a, &d, e);
	pdev_close(d);
	psys_close(sys);
	return rc;
}

static void test_vfio_open_errors(void)
{
	static uint8_t cfg[256] = {0xf4, 0x1a, 0x44, 0x10, [0x0b] = 0xff};
	struct fake_fn fn = {
		.addr = "0000:00:05.0", .cfg = cfg, .cfg_len = 256, .driver = "vfio-pci"};
	struct pci_addr a = {0, 0, 5, 0};
	struct fakesys fs;
	struct verr e = {0};
	char group[512];

	if (!fakesys_create(&fs) || !fakesys_add_fn(&fs, &fn)) {
		CHECK(!"fake tree");
		return;
	}
	CHECK(vfio_is_bound(fs.root, &a));
	CHECK(open_fake(&fs, &e) != 0);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK(strstr(e.msg, "0000:00:05.0 is bound to vfio-pci but has no IOMMU group") != NULL);
	/* A group no /dev/vfio node exists for (nothing is opened). */
	verr_clear(&e);
	snprintf(group, sizeof(group), "%s", fakesys_path(&fs, "kernel/iommu_groups/98765"));
	fakesys_dir(&fs, "kernel/iommu_groups/98765");
	CHECK(fakesys_link(&fs, "bus/pci/devices/0000:00:05.0/iommu_group", group));
	CHECK(open_fake(&fs, &e) != 0);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK_STR(e.msg, "cannot open /dev/vfio/98765 for 0000:00:05.0: no such device node "
			 "(vfio-pci is bound, but /dev/vfio has no entry for group 98765)");
	/* Not vfio-pci: the sysfs backend, as before. */
	fakesys_remove(&fs, "bus/pci/devices/0000:00:05.0/driver");
	CHECK(!vfio_is_bound(fs.root, &a));
	verr_clear(&e);
	CHECK(open_fake(&fs, &e) == 0);
	fakesys_destroy(&fs);
}

int main(void)
{
	test_pagemap_decode();
	test_small_never_cross();
	test_packing();
	test_full_pages();
	test_contiguous_runs();
	test_used_prefix();
	test_model_master();
	test_model_nothing_to_do();
	test_model_refusals();
	test_model_abandon();
	test_iommu_check();
	test_sysfs_live();
	test_vfio_open_errors();
	return check_done();
}
