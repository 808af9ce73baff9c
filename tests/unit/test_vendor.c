/* The vendor extension table and the Intel IFC VF decoder, on register
 * images built from the layout DPDK's ifcvf driver documents
 * (drivers/vdpa/ifc/base/ifcvf.h: IFCVF_LM_CFG_SIZE 0x40,
 * IFCVF_LM_RING_STATE_OFFSET 0x20, IFCVF_MQ_OFFSET 0x28, the logging
 * registers at 0x0-0x1c; ifcvf.c: where each queue's state word goes). */
#include "check.h"
#include "format/report.h"
#include "virtio/vendor.h"

#include <stdio.h>
#include <string.h>

#define IMG_SIZE 0x1000

/* A tiny PCI function: BAR 4 is a byte image; nothing else is there. */
struct fake {
	struct pdev p;
	uint8_t img[IMG_SIZE];
	unsigned reads;
};

static int fake_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			 struct verr *e)
{
	(void)d;
	(void)off;
	(void)width;
	(void)e;
	*val = 0;
	return 0;
}

static int fake_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			 struct verr *e)
{
	struct fake *f = (struct fake *)d;

	(void)e;
	CHECK_EQ(bar, 4);
	CHECK_EQ(width, 4);
	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint64_t)f->img[off + i] << (8 * i);
	f->reads++;
	return 0;
}

static const struct pdev_ops fake_ops = {
	.name = "image",
	.cfg_read = fake_cfg_read,
	.bar_read = fake_bar_read,
};

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fake_init(struct fake *f, uint16_t device, uint16_t subsys)
{
	memset(f, 0, sizeof(*f));
	f->p.ops = &fake_ops;
	f->p.vendor = 0x1af4;
	f->p.device = device;
	f->p.subsys_vendor = 0x8086;
	f->p.subsys_device = subsys;
	f->p.cfg_size = 256;
	f->p.bar[4] = (struct pci_bar){PCI_BAR_MEM64, true, 0x800000000ull, IMG_SIZE};
}

/* A transport that only knows num_queues, for the decoder's queue count. */
static unsigned fake_num_queues;

static int fake_get_num_queues(struct vdev *v, unsigned *n, struct verr *e)
{
	(void)v;
	(void)e;
	*n = fake_num_queues;
	return 0;
}

static const struct vtransport_ops count_only_ops = {
	.name = "modern",
	.get_num_queues = fake_get_num_queues,
};

static struct rnode *decode(struct fake *f, int device_id, const struct vtransport_ops *ops,
			    int *rc, struct verr *e)
{
	struct rnode *root = r_new_root();
	struct rnode *o = r_obj(root, "intel_ifcvf", NULL);
	struct vdev v;

	memset(&v, 0, sizeof(v));
	v.pci = &f->p;
	v.device_id = device_id;
	v.ops = ops;
	if (!ops)
		snprintf(v.regs_why, sizeof(v.regs_why), "no transport (test)");
	*rc = vendor_ifcvf_decode(&v, o, e);
	return root;
}

static uint64_t num(const struct rnode *root, const char *path)
{
	const struct rnode *n = r_path(root, path);

	CHECK(n != NULL);
	return n ? n->v.u : 0xdeadbeef;
}

static const char *str(const struct rnode *root, const char *path)
{
	const struct rnode *n = r_path(root, path);

	return n && n->kind == R_STR ? n->v.s : "(missing)";
}

/* Net: queue pairs share a 0x40 slot, receive queue first. */
static void test_net_image(void)
{
	static struct fake f;
	struct verr e = {0};
	struct rnode *r;
	int rc;

	fake_init(&f, 0x1041, 0x001a);
	put32(f.img + 0x00, 1);		  /* logging on for the VF */
	put32(f.img + 0x10, 0x40001000u); /* log base */
	put32(f.img + 0x14, 0x1);
	put32(f.img + 0x18, 0x40201000u); /* log end */
	put32(f.img + 0x1c, 0x1);
	put32(f.img + 0x28, 2);			     /* two queue pairs */
	put32(f.img + 0x20, 0x00050007u);	     /* rx0: avail 7, used 5 */
	put32(f.img + 0x24, 0x00030003u);	     /* tx0 */
	put32(f.img + 0x20 + 0x40, 0x01000100u);     /* rx1 */
	put32(f.img + 0x20 + 0x40 + 4, 0xffff0001u); /* tx1: used wrapped */

	/* num_queues 5 = 2 pairs + control queue (no ring-state slot) */
	fake_num_queues = 5;
	r = decode(&f, 1, &count_only_ops, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK_STR(str(r, "intel_ifcvf.device_kind"), "net");
	CHECK_STR(str(r, "intel_ifcvf.registers"), "BAR 4");
	CHECK_EQ(num(r, "intel_ifcvf.lm_logging"), 1);
	CHECK_STR(r_path(r, "intel_ifcvf.lm_logging")->annot, "on (VF)");
	CHECK_EQ(num(r, "intel_ifcvf.log_base"), 0x140001000ull);
	CHECK_EQ(num(r, "intel_ifcvf.log_end"), 0x140201000ull);
	CHECK_EQ(num(r, "intel_ifcvf.mq"), 2);
	CHECK_STR(str(r, "intel_ifcvf.queues_source"), "num_queues");
	CHECK_EQ(r_count(r_path(r, "intel_ifcvf.ring_state")), 4);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.0.offset"), 0x20);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.0.last_avail_idx"), 7);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.0.last_used_idx"), 5);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.1.offset"), 0x24);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.1.last_avail_idx"), 3);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.2.offset"), 0x60);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.2.raw"), 0x01000100u);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.3.offset"), 0x64);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.3.last_used_idx"), 0xffff);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.3.last_avail_idx"), 1);
	r_free(r);

	/* Registers unreadable: the multiqueue register says how many. */
	put32(f.img + 0x28, 1);
	r = decode(&f, 1, NULL, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK_STR(str(r, "intel_ifcvf.queues_source"), "multiqueue register");
	CHECK_EQ(r_count(r_path(r, "intel_ifcvf.ring_state")), 2);
	r_free(r);
}

/* Block: one slot per queue. */
static void test_blk_image(void)
{
	static struct fake f;
	struct verr e = {0};
	struct rnode *r;
	int rc;

	fake_init(&f, 0x1042, 0x0002);
	put32(f.img + 0x28, 3);
	for (unsigned q = 0; q < 3; q++)
		put32(f.img + 0x20 + 0x40 * q, (q + 10) << 16 | (q + 20));
	r = decode(&f, 2, NULL, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK_STR(str(r, "intel_ifcvf.device_kind"), "block");
	CHECK_EQ(num(r, "intel_ifcvf.lm_logging"), 0);
	CHECK_STR(r_path(r, "intel_ifcvf.lm_logging")->annot, "off");
	CHECK_STR(r_path(r, "intel_ifcvf.mq")->annot, "queues enabled");
	CHECK_EQ(r_count(r_path(r, "intel_ifcvf.ring_state")), 3);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.1.offset"), 0x60);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.2.offset"), 0xa0);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.2.last_avail_idx"), 22);
	CHECK_EQ(num(r, "intel_ifcvf.ring_state.2.last_used_idx"), 12);
	r_free(r);

	/* A garbage multiqueue value is capped by DPDK's limit and by the BAR. */
	put32(f.img + 0x28, 0xffffffffu);
	f.p.bar[4].size = 0x100; /* room for slots 0-3 only */
	r = decode(&f, 2, NULL, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK_EQ(r_count(r_path(r, "intel_ifcvf.ring_state")), 4);
	r_free(r);
}

static void test_refusals(void)
{
	static struct fake f;
	struct verr e = {0};
	struct rnode *r;
	int rc;

	fake_init(&f, 0x1041, 0x001a);
	f.p.bar[4].size = 0x10;
	r = decode(&f, 1, NULL, &rc, &e);
	CHECK_EQ(rc, -1);
	CHECK(strstr(e.msg, "too small") != NULL);
	CHECK_EQ(f.reads, 0);
	r_free(r);

	verr_clear(&e);
	fake_init(&f, 0x1041, 0x001a);
	f.p.bar[4].kind = PCI_BAR_IO;
	r = decode(&f, 1, NULL, &rc, &e);
	CHECK_EQ(rc, -1);
	CHECK(strstr(e.msg, "not a memory BAR") != NULL);
	r_free(r);

	verr_clear(&e);
	fake_init(&f, 0x1041, 0x001a);
	r = decode(&f, 4, NULL, &rc, &e);
	CHECK_EQ(rc, -1);
	CHECK(strstr(e.msg, "net and block") != NULL);
	r_free(r);
}

static void test_table(void)
{
	static struct fake f;
	const struct vendor_ext *m[4];
	size_t n;

	/* every ID pair DPDK's ifcvf probes */
	static const uint16_t ids[][2] = {
		{0x1041, 0x001a}, {0x1000, 0x0001}, {0x1001, 0x0002},
		{0x1042, 0x0002}, {0x1042, 0x0000},
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		fake_init(&f, ids[i][0], ids[i][1]);
		n = vendor_match(&f.p, m, 4);
		CHECK_EQ(n, 1);
		CHECK(n == 1 && strcmp(m[0]->key, "intel_ifcvf") == 0);
	}
	/* QEMU's own devices: subsystem 1af4 */
	fake_init(&f, 0x1041, 0x1100);
	f.p.subsys_vendor = 0x1af4;
	CHECK_EQ(vendor_match(&f.p, m, 4), 0);
	fake_init(&f, 0x1041, 0x0002); /* net with the block subsystem ID */
	CHECK_EQ(vendor_match(&f.p, m, 4), 0);
	vendor_exts(&n);
	CHECK(n >= 5);
}

int main(void)
{
	test_net_image();
	test_blk_image();
	test_refusals();
	test_table();
	return check_done();
}
