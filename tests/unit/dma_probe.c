/* A test program for the QEMU guests (tests/vm/scenarios/dma_*.py), not a
 * unit test: opens a virtio-rng function the way virtioctl does, takes DMA
 * memory through the chosen backend, checks the buffers' bus addresses, and
 * (--rng) has the device write random bytes into that memory through a
 * minimal hand-built split ring, so the bus addresses are proven by the
 * device itself. Polls the used ring, or (--irq, VFIO) waits on the queue's
 * MSI-X eventfd. Output: "key value" lines; exit 0 when every check held.
 *
 *   dma_probe [--dma auto|sysfs|vfio] [--rng] [--legacy] [--irq]
 *             [--hold SECONDS] ADDR
 *   dma_probe --legacy-regs ADDR    (only reads the legacy I/O header)
 * --flr (VFIO): the final reset is a function-level reset through VFIO
 * instead of a status write, checked by the status reading 0 after. */
#include "dma/dma.h"
#include "pci/system.h"
#include "pci/backend/vfio.h"
#include "virtio/caps.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE	  4096u
#define NO_VECTOR 0xffff
#define RNG_LEN	  64

struct opts {
	enum dma_kind kind;
	bool rng, legacy, irq, legacy_regs, flr;
	unsigned hold;
	const char *addr;
};

struct probe {
	struct pdev *d;
	struct dma *dma;
	struct vcaps caps;
	int failures;
	bool unreset; /* the device may still own ring memory */
};

static void fail(struct probe *p, const char *what, const struct verr *e)
{
	printf("fail %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	p->failures++;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* ---- bus address checks ---- */

static uint64_t pagemap_phys(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t ent = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (off_t)((uintptr_t)va / PAGE * 8)) != 8)
		ent = 0;
	close(fd);
	if (!(ent >> 63))
		return 0;
	return (ent & ((1ull << 55) - 1)) * PAGE + (uintptr_t)va % PAGE;
}

static bool buf_ok(const struct dma *dma, const struct dma_mem *m, size_t align)
{
	if (m->bus % align)
		return false;
	if (dma_kind_of(dma) == DMA_VFIO)
		return m->bus >= 0x100000000ull;
	if (dma_kind_of(dma) != DMA_PAGEMAP)
		return true;
	/* Every page of the buffer where pagemap says, in one bus-contiguous
	 * run; small ones inside a single page. */
	for (size_t off = 0; off < m->len;) {
		const uint8_t *va = (const uint8_t *)m->va + off;

		if (pagemap_phys(va) != m->bus + off)
			return false;
		off += PAGE - (uintptr_t)va % PAGE;
	}
	return m->len > PAGE || m->bus / PAGE == (m->bus + m->len - 1) / PAGE;
}

/* While buffers are held: tells whether they came from hugetlb pages. */
static void print_hugepages_free(void)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "HugePages_Free:", 15))
			printf("hugepages_free %ld\n", strtol(line + 15, NULL, 10));
	if (f)
		fclose(f);
}

static bool overlap(const struct dma_mem *a, const struct dma_mem *b)
{
	return a->bus < b->bus + b->len && b->bus < a->bus + a->len;
}

static void check_allocs(struct probe *p)
{
	static const size_t len[] = {16, 4096, 1030, 64, 3 * PAGE + 22, 100, 2000, 8 * PAGE};
	static const size_t align[] = {16, 4096, 8, 64, 4096, 2, 16, 8192};
	enum { N = sizeof(len) / sizeof(len[0]) };
	struct dma_mem m[N];
	struct verr e = {0};
	bool ok = true;

	for (unsigned i = 0; i < N; i++) {
		if (dma_alloc(p->dma, len[i], align[i], &m[i], &e)) {
			fail(p, "dma_alloc", &e);
			while (i--)
				dma_free(p->dma, &m[i]);
			return;
		}
		printf("buf %u va %p bus 0x%llx len %zu align %zu\n", i, m[i].va,
		       (unsigned long long)m[i].bus, len[i], align[i]);
		ok &= buf_ok(p->dma, &m[i], align[i]);
		for (unsigned j = 0; j < i; j++)
			ok &= !overlap(&m[i], &m[j]);
	}
	printf("alloc_ok %d\n", ok);
	print_hugepages_free();
	if (!ok)
		fail(p, "buffer addresses", NULL);
	if (dma_verify(p->dma, &e))
		fail(p, "dma_verify", &e);
	for (unsigned i = 0; i < N; i++)
		dma_free(p->dma, &m[i]);
}

/* ---- register access ---- */

static const struct vcap *cap(struct probe *p, int idx)
{
	return idx >= 0 ? &p->caps.v[idx] : NULL;
}

static int common_w(struct probe *p, unsigned off, unsigned width, uint64_t v, struct verr *e)
{
	const struct vcap *c = cap(p, p->caps.common);

	return pdev_bar_write(p->d, c->bar, c->bar_offset + off, width, v, e);
}

static uint64_t common_r(struct probe *p, unsigned off, unsigned width)
{
	const struct vcap *c = cap(p, p->caps.common);
	uint64_t v = ~0ull;

	pdev_bar_read(p->d, c->bar, c->bar_offset + off, width, &v, NULL);
	return v;
}

/* Legacy I/O header in BAR 0 (without MSI-X fields: no vectors enabled). */
enum {
	L_HOST_F = 0,
	L_GUEST_F = 4,
	L_PFN = 8,
	L_NUM = 12,
	L_SEL = 14,
	L_NOTIFY = 16,
	L_STATUS = 18
};

static int legacy_w(struct probe *p, unsigned off, unsigned width, uint64_t v, struct verr *e)
{
	return pdev_bar_write(p->d, 0, off, width, v, e);
}

static uint64_t legacy_r(struct probe *p, unsigned off, unsigned width)
{
	uint64_t v = ~0ull;

	pdev_bar_read(p->d, 0, off, width, &v, NULL);
	return v;
}

static int set_status(struct probe *p, const struct opts *o, uint8_t s, struct verr *e)
{
	return o->legacy ? legacy_w(p, L_STATUS, 1, s, e) : common_w(p, 0x14, 1, s, e);
}

static uint8_t get_status(struct probe *p, const struct opts *o)
{
	return (uint8_t)(o->legacy ? legacy_r(p, L_STATUS, 1) : common_r(p, 0x14, 1));
}

static bool reset(struct probe *p, const struct opts *o)
{
	struct verr e = {0};

	if (set_status(p, o, 0, &e))
		return false;
	for (int i = 0; i < 1000; i++) {
		if (get_status(p, o) == 0)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- a one-buffer split ring ---- */

struct ring {
	struct dma_mem mem[4]; /* modern: desc, avail, used, buffer; legacy: ring, buffer */
	uint8_t *desc, *avail, *used, *buf;
	uint64_t desc_bus, avail_bus, used_bus, buf_bus;
	uint16_t size;
};

static int ring_alloc_modern(struct probe *p, struct ring *r, struct verr *e)
{
	const size_t len[4] = {16u * r->size, 6u + 2 * r->size, 6u + 8 * r->size, RNG_LEN};
	const size_t align[4] = {16, 2, 4, 16};

	for (unsigned i = 0; i < 4; i++)
		if (dma_alloc(p->dma, len[i], align[i], &r->mem[i], e))
			return -1;
	r->desc = r->mem[0].va, r->desc_bus = r->mem[0].bus;
	r->avail = r->mem[1].va, r->avail_bus = r->mem[1].bus;
	r->used = r->mem[2].va, r->used_bus = r->mem[2].bus;
	r->buf = r->mem[3].va, r->buf_bus = r->mem[3].bus;
	return 0;
}

/* The legacy layout: one 4096-aligned block, used ring on the next page. */
static int ring_alloc_legacy(struct probe *p, struct ring *r, struct verr *e)
{
	size_t used_off = (16u * r->size + 6u + 2 * r->size + PAGE - 1) / PAGE * PAGE;

	if (dma_alloc(p->dma, used_off + 6 + 8 * r->size, PAGE, &r->mem[0], e) ||
	    dma_alloc(p->dma, RNG_LEN, 16, &r->mem[1], e))
		return -1;
	r->desc = r->mem[0].va, r->desc_bus = r->mem[0].bus;
	r->avail = r->desc + 16 * r->size, r->avail_bus = r->desc_bus + 16 * r->size;
	r->used = r->desc + used_off, r->used_bus = r->desc_bus + used_off;
	r->buf = r->mem[1].va, r->buf_bus = r->mem[1].bus;
	printf("legacy_ring bus 0x%llx len %zu\n", (unsigned long long)r->desc_bus, r->mem[0].len);
	if (!buf_ok(p->dma, &r->mem[0], PAGE))
		fail(p, "legacy ring not contiguous on the bus", NULL);
	return 0;
}

static void ring_free(struct probe *p, struct ring *r)
{
	for (unsigned i = 0; i < 4; i++)
		dma_free(p->dma, &r->mem[i]);
}

static void post_one(struct ring *r)
{
	uint64_t a = r->buf_bus;
	uint32_t l = RNG_LEN;
	uint16_t f = 2, one = 1, zero = 0; /* VRING_DESC_F_WRITE */

	memcpy(r->desc, &a, 8);
	memcpy(r->desc + 8, &l, 4);
	memcpy(r->desc + 12, &f, 2);
	memcpy(r->avail + 4, &zero, 2); /* ring[0] = descriptor 0 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n((uint16_t *)(r->avail + 2), one, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- modern bring-up ---- */

static int features_modern(struct probe *p, struct verr *e)
{
	uint64_t dev, drv;

	common_w(p, 0x00, 4, 1, e);
	dev = common_r(p, 0x04, 4) << 32;
	common_w(p, 0x00, 4, 0, e);
	dev |= common_r(p, 0x04, 4);
	drv = dev & (1ull << 32 | 1ull << 33); /* VERSION_1, ACCESS_PLATFORM */
	printf("device_features 0x%llx driver_features 0x%llx\n", (unsigned long long)dev,
	       (unsigned long long)drv);
	if (common_w(p, 0x08, 4, 0, e) || common_w(p, 0x0c, 4, (uint32_t)drv, e) ||
	    common_w(p, 0x08, 4, 1, e) || common_w(p, 0x0c, 4, drv >> 32, e) ||
	    common_w(p, 0x14, 1, 1 | 2 | 8, e))
		return -1;
	if (!(common_r(p, 0x14, 1) & 8))
		return verr_set(e, VX_DEVICE, "device refused FEATURES_OK");
	return 0;
}

static int queue_modern(struct probe *p, struct ring *r, uint16_t vector, struct verr *e)
{
	uint16_t max;

	common_w(p, 0x16, 2, 0, e);
	max = (uint16_t)common_r(p, 0x18, 2);
	r->size = max < 8 ? max : 8;
	if (!r->size)
		return verr_set(e, VX_DEVICE, "queue 0 unavailable");
	if (ring_alloc_modern(p, r, e))
		return -1;
	if (common_w(p, 0x18, 2, r->size, e) || common_w(p, 0x1a, 2, vector, e) ||
	    common_w(p, 0x20, 4, (uint32_t)r->desc_bus, e) ||
	    common_w(p, 0x24, 4, r->desc_bus >> 32, e) ||
	    common_w(p, 0x28, 4, (uint32_t)r->avail_bus, e) ||
	    common_w(p, 0x2c, 4, r->avail_bus >> 32, e) ||
	    common_w(p, 0x30, 4, (uint32_t)r->used_bus, e) ||
	    common_w(p, 0x34, 4, r->used_bus >> 32, e))
		return -1;
	if ((uint16_t)common_r(p, 0x1a, 2) != vector)
		return verr_set(e, VX_DEVICE, "queue_msix_vector did not take %u", vector);
	return common_w(p, 0x1c, 2, 1, e);
}

static int notify_modern(struct probe *p, struct verr *e)
{
	const struct vcap *n = cap(p, p->caps.notify);
	uint64_t off = n->bar_offset + common_r(p, 0x1e, 2) * n->notify_off_multiplier;

	return pdev_bar_write(p->d, n->bar, off, 2, 0, e);
}

/* ---- legacy bring-up ---- */

static int queue_legacy(struct probe *p, struct ring *r, struct verr *e)
{
	if (legacy_w(p, L_STATUS, 1, 1 | 2, e) || legacy_w(p, L_GUEST_F, 4, 0, e) ||
	    legacy_w(p, L_SEL, 2, 0, e))
		return -1;
	r->size = (uint16_t)legacy_r(p, L_NUM, 2);
	if (!r->size)
		return verr_set(e, VX_DEVICE, "queue 0 unavailable");
	if (ring_alloc_legacy(p, r, e))
		return -1;
	return legacy_w(p, L_PFN, 4, r->desc_bus >> 12, e);
}

/* ---- the request ---- */

static bool wait_used(struct probe *p, struct ring *r, const struct opts *o, int irq_fd)
{
	double t0 = now_us();

	while (now_us() - t0 < 3e6) {
		if (irq_fd >= 0) {
			struct pollfd pf = {irq_fd, POLLIN, 0};
			uint64_t n = 0;

			if (poll(&pf, 1, 3000) == 1 && read(irq_fd, &n, 8) == 8) {
				printf("irq_count %llu\nirq_wait_us %.0f\n", (unsigned long long)n,
				       now_us() - t0);
				irq_fd = -1;
			} else {
				fail(p, "no MSI-X interrupt within 3 s", NULL);
				irq_fd = -1;
			}
		}
		if (__atomic_load_n((uint16_t *)(r->used + 2), __ATOMIC_ACQUIRE) == 1) {
			printf("used_wait_us %.0f\n", now_us() - t0);
			return true;
		}
	}
	(void)o;
	return false;
}

static void report_used(struct probe *p, struct ring *r)
{
	uint32_t id, len;

	memcpy(&id, r->used + 4, 4);
	memcpy(&len, r->used + 8, 4);
	printf("rng_id %u\nrng_len %u\nrng_bytes ", id, len);
	for (unsigned i = 0; i < RNG_LEN; i++)
		printf("%02x", r->buf[i]);
	printf("\n");
	if (id != 0 || len == 0 || len > RNG_LEN)
		fail(p, "used element", NULL);
}

static int bring_up(struct probe *p, struct ring *r, const struct opts *o, struct verr *e)
{
	if (o->legacy)
		return queue_legacy(p, r, e) || legacy_w(p, L_STATUS, 1, 1 | 2 | 4, e) ? -1 : 0;
	if (common_w(p, 0x14, 1, 1, e) || common_w(p, 0x14, 1, 1 | 2, e) || features_modern(p, e))
		return -1;
	if (o->irq && (vfio_msix_enable(p->d, 2, e) || common_w(p, 0x10, 2, 0, e)))
		return -1;
	if (queue_modern(p, r, o->irq ? 1 : NO_VECTOR, e))
		return -1;
	return common_w(p, 0x14, 1, 1 | 2 | 8 | 4, e);
}

static void rng_request(struct probe *p, const struct opts *o)
{
	struct ring r = {0};
	struct verr e = {0};

	if (!o->legacy &&
	    (vcaps_walk(p->d, &p->caps, &e) || p->caps.common < 0 || p->caps.notify < 0)) {
		fail(p, "virtio capabilities", &e);
		return;
	}
	if (!reset(p, o)) {
		fail(p, "initial reset", NULL);
		return;
	}
	if (bring_up(p, &r, o, &e)) {
		fail(p, "bring-up", &e);
	} else {
		post_one(&r);
		if (o->legacy ? legacy_w(p, L_NOTIFY, 2, 0, &e) : notify_modern(p, &e))
			fail(p, "notify", &e);
		else if (!wait_used(p, &r, o, o->irq ? vfio_msix_eventfd(p->d, 1) : -1))
			fail(p, "no used element within 3 s", NULL);
		else
			report_used(p, &r);
	}
	printf("status_before_reset 0x%02x\n", get_status(p, o));
	if (o->flr) {
		struct verr fe = {0};

		if (vfio_device_reset(p->d, &fe))
			fail(p, "VFIO_DEVICE_RESET", &fe);
		printf("status_after_flr 0x%02x\n", get_status(p, o));
	}
	if (!reset(p, o)) {
		fail(p, "final reset not confirmed", NULL);
		p->unreset = true;
		return; /* the ring memory stays: dma_abandon below */
	}
	if (o->legacy)
		legacy_w(p, L_PFN, 4, 0, NULL);
	if (o->irq)
		vfio_msix_disable(p->d);
	ring_free(p, &r);
}

/* ---- main ---- */

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.kind = DMA_AUTO};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dma") && i + 1 < argc) {
			if (!dma_kind_parse(argv[++i], &o->kind))
				return -1;
		} else if (!strcmp(argv[i], "--rng")) {
			o->rng = true;
		} else if (!strcmp(argv[i], "--legacy")) {
			o->legacy = true;
		} else if (!strcmp(argv[i], "--flr")) {
			o->flr = true;
		} else if (!strcmp(argv[i], "--legacy-regs")) {
			o->legacy_regs = true;
		} else if (!strcmp(argv[i], "--irq")) {
			o->irq = true;
		} else if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			o->hold = (unsigned)atoi(argv[++i]);
		} else if (argv[i][0] != '-' && !o->addr) {
			o->addr = argv[i];
		} else {
			return -1;
		}
	}
	return o->addr ? 0 : -1;
}

static int open_device(struct probe *p, const struct opts *o, struct psys **sys)
{
	struct verr e = {0};
	struct pci_addr a;

	if (!pci_addr_parse(o->addr, &a)) {
		fprintf(stderr, "dma_probe: bad address %s\n", o->addr);
		return 2;
	}
	*sys = psys_open_live("/sys", &e);
	if (!*sys || psys_open_device(*sys, &a, &p->d, &e)) {
		printf("open_error %s %s\n", vx_code_name(e.code), e.msg);
		return 3;
	}
	printf("backend %s\ndriver %s\n", p->d->ops->name, p->d->driver);
	if (vfio_pdev_is(p->d))
		printf("vfio_iommu %s\nmsix_vectors %u\n", vfio_pdev_iommu_name(p->d),
		       vfio_msix_count(p->d));
	pdev_allow_writes(p->d, true, NULL);
	return 0;
}

/* Register reads only, through whatever backend opened the device (for
 * VFIO: the I/O BAR region's pread path). */
static void read_legacy_regs(struct probe *p)
{
	printf("legacy_host_features 0x%08llx\nlegacy_queue_num %llu\nlegacy_status 0x%02llx\n",
	       (unsigned long long)legacy_r(p, L_HOST_F, 4),
	       (unsigned long long)legacy_r(p, L_NUM, 2),
	       (unsigned long long)legacy_r(p, L_STATUS, 1));
}

static void run(struct probe *p, const struct opts *o)
{
	struct verr e = {0};
	uint16_t before = pdev_cfg_read16(p->d, 4);
	double t0 = now_us();

	printf("cmd_before 0x%04x\n", before);
	if (dma_open(p->d, o->kind, &p->dma, &e)) {
		printf("dma_error %s %s\n", vx_code_name(e.code), e.msg);
		p->failures++;
		return;
	}
	printf("dma %s\ndma_open_us %.0f\ncmd_open 0x%04x\n", dma_name(p->dma), now_us() - t0,
	       pdev_cfg_read16(p->d, 4));
	check_allocs(p);
	if (o->rng)
		rng_request(p, o);
	if (o->hold)
		sleep(o->hold);
	if (p->unreset) {
		dma_abandon(p->dma);
		printf("abandoned 1\n");
	} else {
		dma_close(p->dma);
	}
	printf("cmd_after 0x%04x\n", pdev_cfg_read16(p->d, 4));
}

int main(int argc, char **argv)
{
	struct probe p = {0};
	struct psys *sys = NULL;
	struct opts o;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: dma_probe [--dma auto|sysfs|vfio] [--rng] [--legacy] "
				"[--irq] [--hold S] [--legacy-regs] ADDR\n");
		return 2;
	}
	rc = open_device(&p, &o, &sys);
	if (rc == 0 && o.legacy_regs) {
		read_legacy_regs(&p);
	} else if (rc == 0) {
		run(&p, &o);
		rc = p.failures ? 1 : 0;
	}
	pdev_close(p.d);
	psys_close(sys);
	printf("result %s\n", rc ? "fail" : "pass");
	return rc;
}
