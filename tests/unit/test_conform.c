/* `check` (src/conform): every check can fail, and a correct device
 * passes them all.
 *
 * - A correct model of each type, modern and transitional, read-only and
 *   active: no check fails.
 * - The table `cases`: per check id, a device that breaks that rule (a
 *   model spec, config-space pokes, register state, a register shim, a
 *   misbehaving queue handler, a fake Linux view, or a -F fixture), and
 *   the check must fail on it. A check of the table without a case fails
 *   this test.
 * - Each misbehaviour knob of the simulator fails its own checks and no
 *   other (`knob_checks`; a knob without an entry fails this test).
 * - Read-only checks on a device a driver owns write nothing and never
 *   read the ISR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conform/conform.h"
#include "dma/dma.h"
#include "pci/system.h"
#include "sim/model.h"
#include "virtio/common_cfg.h"
#include "virtio/driver.h"
#include "virtio/vdev.h"

#define MAX_RINGS 64

/* ---- A register shim: a pdev in front of the model that changes what
 * chosen registers read, or drops writes to them. ---- */

enum shim_kind {
	SH_FORCE,   /* reads return val */
	SH_OR,	    /* reads OR val */
	SH_AND,	    /* reads AND val */
	SH_OR_IF,   /* reads OR val when (read & cond) != 0 */
	SH_COUNTER, /* reads return an incrementing counter */
	SH_DROP,    /* writes are ignored */
};

struct shim_rule {
	unsigned bar;
	uint64_t off;
	enum shim_kind kind;
	uint64_t val, cond;
};

struct shim {
	struct pdev pub;
	struct pdev *inner;
	struct shim_rule r[8];
	unsigned n;
	uint64_t counter;
};

static int sh_cfg_read(struct pdev *d, unsigned off, unsigned w, uint32_t *v, struct verr *e)
{
	struct shim *s = d->priv;

	return s->inner->ops->cfg_read(s->inner, off, w, v, e);
}

static int sh_cfg_write(struct pdev *d, unsigned off, unsigned w, uint32_t v, struct verr *e)
{
	struct shim *s = d->priv;

	return s->inner->ops->cfg_write(s->inner, off, w, v, e);
}

static int sh_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned w, uint64_t *v,
		       struct verr *e)
{
	struct shim *s = d->priv;

	if (s->inner->ops->bar_read(s->inner, bar, off, w, v, e))
		return -1;
	for (unsigned i = 0; i < s->n; i++) {
		const struct shim_rule *r = &s->r[i];

		if (r->bar != bar || r->off != off)
			continue;
		if (r->kind == SH_FORCE)
			*v = r->val;
		else if (r->kind == SH_OR)
			*v |= r->val;
		else if (r->kind == SH_AND)
			*v &= r->val;
		else if (r->kind == SH_OR_IF && (*v & r->cond))
			*v |= r->val;
		else if (r->kind == SH_COUNTER)
			*v = ++s->counter & 0xff;
	}
	return 0;
}

static int sh_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned w, uint64_t v,
			struct verr *e)
{
	struct shim *s = d->priv;

	for (unsigned i = 0; i < s->n; i++)
		if (s->r[i].kind == SH_DROP && s->r[i].bar == bar && s->r[i].off == off)
			return 0;
	return s->inner->ops->bar_write(s->inner, bar, off, w, v, e);
}

static void sh_close(struct pdev *d)
{
	struct shim *s = d->priv;

	/* pdev_close frees the pdev, which is the start of the shim. */
	pdev_close(s->inner);
}

static const struct pdev_ops shim_ops = {.name = "shim",
					 .cfg_read = sh_cfg_read,
					 .cfg_write = sh_cfg_write,
					 .bar_read = sh_bar_read,
					 .bar_write = sh_bar_write,
					 .close = sh_close};

/* ---- A test device ---- */

#define MODERN_BAR 4 /* model_spec_init's modern BAR; common_cfg at 0 */
#define DEVCFG_OFF 0x2000

struct tdev {
	struct model_spec spec;
	struct pdev *model; /* the model itself */
	struct pdev *pci;   /* what the checks see: the model or a shim over it */
	struct shim *shim;
	struct psys *sys; /* fixture cases */
	struct vdev v;
	struct dma *dma;
	struct vring *rings[MAX_RINGS];
	struct linux_view lv;
	bool have_lv;
	const char *driver;
	bool writable;
	bool legacy_iface; /* a transitional device through its legacy header */
	int timeout_ms;
	uint8_t bogus_id, bogus_len; /* misbehaving queue handler */
};

static void shim_add(struct tdev *t, unsigned bar, uint64_t off, enum shim_kind k, uint64_t val,
		     uint64_t cond)
{
	if (!t->shim) {
		t->shim = calloc(1, sizeof(*t->shim));
		t->shim->inner = t->model;
		t->shim->pub = *t->model;
		t->shim->pub.ops = &shim_ops;
		t->shim->pub.priv = t->shim;
		t->pci = &t->shim->pub;
	}
	t->shim->r[t->shim->n++] = (struct shim_rule){bar, off, k, val, cond};
}

static void common_rule(struct tdev *t, unsigned off, enum shim_kind k, uint64_t val, uint64_t cond)
{
	shim_add(t, MODERN_BAR, off, k, val, cond);
}

static void poke(struct tdev *t, unsigned cfg_type, unsigned field, unsigned width, uint32_t v)
{
	struct verr e = {0};
	unsigned at = model_cap_offset(t->model, cfg_type);

	CHECK(at != 0);
	CHECK(model_poke_cfg(t->model, at + field, width, v, &e) == 0);
}

/* Used elements written by hand, as a broken device would: the chain's
 * head plus the ring size (never in flight), or a length one beyond the
 * writable bytes. The chain stays available (MODEL_HOLD). */
static int bogus_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			 uint32_t *used_len, void *ctx)
{
	struct tdev *t = ctx;
	struct model_queue *q = &model_state(d)->queue[qidx];
	uint8_t *used = model_dma_ptr(d, q->device, 4 + 8u * q->size);
	uint16_t idx;
	uint32_t id = c->head, len = (uint32_t)c->writable;

	(void)used_len;
	if (!used)
		return -1;
	memcpy(&idx, used + 2, 2);
	if (t->bogus_id)
		id += q->size;
	if (t->bogus_len)
		len++;
	memcpy(used + 4 + 8u * (idx % q->size), &id, 4);
	memcpy(used + 8 + 8u * (idx % q->size), &len, 4);
	idx++;
	__atomic_store_n((uint16_t *)(used + 2), idx, __ATOMIC_RELEASE);
	return MODEL_HOLD;
}

typedef void spec_fn(struct model_spec *s);
typedef void dev_fn(struct tdev *t);

struct tcase {
	const char *id; /* the check that must fail */
	const char *how;
	unsigned type;
	enum model_transport transport;
	spec_fn *spec;
	dev_fn *dev;
	bool active;
	const char *fixture, *addr; /* instead of a model */
};

static bool open_fixture(struct tdev *t, const char *file, const char *addr)
{
	struct verr e = {0};
	struct pci_addr a;

	t->sys = psys_open_dump(fixture(file), &e);
	CHECK(t->sys != NULL);
	CHECK(pci_addr_parse(addr, &a));
	if (!t->sys || psys_open_device(t->sys, &a, &t->pci, &e) || vdev_open(t->pci, &t->v, &e)) {
		printf("# fixture %s: %s\n", file, e.msg);
		CHECK(0);
		return false;
	}
	return true;
}

static bool open_model(struct tdev *t, unsigned type, enum model_transport tr, spec_fn *spec,
		       dev_fn *dev)
{
	struct verr e = {0};

	model_spec_init(&t->spec, type, tr);
	t->spec.writable = true;
	t->writable = true;
	if (spec)
		spec(&t->spec);
	t->model = model_pdev_new(&t->spec, &e);
	if (!t->model) {
		printf("# model: %s\n", e.msg);
		CHECK(0);
		return false;
	}
	t->pci = t->model;
	model_use_builtin_handlers(t->model);
	if (dev)
		dev(t);
	if (vdev_open(t->pci, &t->v, &e)) {
		printf("# vdev_open: %s\n", e.msg);
		CHECK(0);
		return false;
	}
	if (t->legacy_iface && vdev_use_interface(&t->v, VDEV_IFACE_LEGACY, &e)) {
		printf("# legacy interface: %s\n", e.msg);
		CHECK(0);
		return false;
	}
	vdev_allow_select(&t->v, t->writable, "selector writes not allowed (test)");
	if (t->writable && dma_open_backend(t->model, &model_dma_backend, &t->dma, &e)) {
		printf("# dma: %s\n", e.msg);
		CHECK(0);
		return false;
	}
	return true;
}

static void close_dev(struct tdev *t)
{
	struct verr e = {0};

	if (t->dma) {
		/* The model touches ring memory only when notified: freeing it
		 * after a reset that did not take is safe here. */
		vdev_reset(&t->v, 100, &e);
		for (unsigned q = 0; q < MAX_RINGS; q++)
			vring_destroy(t->rings[q]);
		dma_close(t->dma);
	}
	if (t->pci)
		pdev_close(t->pci);
	psys_close(t->sys);
	memset(t, 0, sizeof(*t));
}

static struct rnode *run(struct tdev *t, bool active, const char *only, struct conform_summary *sum)
{
	struct conform_env env = {.v = &t->v,
				  .bound_driver = t->driver ? t->driver : "",
				  .lv = t->have_lv ? &t->lv : NULL,
				  .dump_file = t->sys != NULL,
				  .active = active,
				  .dma = t->dma,
				  .rings = t->rings,
				  .nrings = MAX_RINGS,
				  .timeout_ms = t->timeout_ms ? t->timeout_ms : 1000};
	const char *ids[1] = {only};
	struct conform_opts o = {only ? ids : NULL, only ? 1 : 0, false};
	struct rnode *root = r_new_root();
	struct verr e = {0};

	CHECK(conform_run(&env, &o, root, sum, &e) == 0);
	return root;
}

/* The result row of check `id`, or NULL. */
static const struct rnode *result_of(const struct rnode *root, const char *id)
{
	const struct rnode *areas = r_find(root, "areas");

	for (const struct rnode *a = areas ? areas->child : NULL; a; a = a->next)
		for (const struct rnode *r = r_find(a, "results")->child; r; r = r->next)
			if (strcmp(r_find(r, "id")->v.s, id) == 0)
				return r;
	return NULL;
}

static const char *field(const struct rnode *row, const char *key)
{
	const struct rnode *n = row ? r_find(row, key) : NULL;

	return n && n->kind == R_STR ? n->v.s : "-";
}

static void print_fails(const struct rnode *root, const char *what)
{
	const struct rnode *areas = r_find(root, "areas");

	for (const struct rnode *a = areas ? areas->child : NULL; a; a = a->next)
		for (const struct rnode *r = r_find(a, "results")->child; r; r = r->next)
			if (strcmp(field(r, "result"), "fail") == 0)
				printf("# %s: %s failed: seen %s; required %s\n", what,
				       field(r, "id"), field(r, "seen"), field(r, "required"));
}

/* ---- A correct device passes ---- */

static void clean_one(unsigned type, enum model_transport tr, bool legacy_iface, bool active)
{
	struct conform_summary sum;
	struct tdev t = {.legacy_iface = legacy_iface};
	struct rnode *root;
	char what[80];

	if (!open_model(&t, type, tr, NULL, NULL))
		return;
	root = run(&t, active, NULL, &sum);
	snprintf(what, sizeof(what), "type %u transport %d%s active %d", type, (int)tr,
		 legacy_iface ? " (legacy interface)" : "", active);
	print_fails(root, what);
	CHECK_EQ(sum.failed, 0);
	CHECK(sum.ok);
	/* Active runs leave the device reset. */
	if (active)
		CHECK_EQ(model_state(t.model)->status, 0);
	r_free(root);
	close_dev(&t);
}

static void test_clean(void)
{
	static const unsigned types[] = {MODEL_ID_NET, MODEL_ID_BLOCK,	 MODEL_ID_CONSOLE,
					 MODEL_ID_RNG, MODEL_ID_BALLOON, MODEL_ID_SCSI,
					 MODEL_ID_9P};
	static const enum model_transport trs[] = {MODEL_MODERN, MODEL_TRANSITIONAL, MODEL_LEGACY};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (size_t k = 0; k < sizeof(trs) / sizeof(trs[0]); k++)
			for (int active = 0; active < 2; active++) {
				clean_one(types[i], trs[k], false, active);
				if (trs[k] == MODEL_TRANSITIONAL)
					clean_one(types[i], trs[k], true, active);
			}
}

/* ---- Per check: a device that breaks the rule ---- */

static void sp_trans_id_1006(struct model_spec *s)
{
	s->pci_device_id = 0x1006;
}
static void dv_revision_1(struct tdev *t)
{
	t->pci->revision = 1;
}
static void dv_revision_0(struct tdev *t)
{
	t->pci->revision = 0;
}
static void sp_subsys_net(struct model_spec *s)
{
	s->subsys_device = 1;
}
static void dv_subsys_low(struct tdev *t)
{
	t->pci->subsys_device = 0x10;
}
static void sp_class_storage(struct model_spec *s)
{
	s->class_code = 0x010000;
}
static void sp_loop(struct model_spec *s)
{
	s->faults = MODEL_FAULT_CAP_LOOP;
}
static void dv_common_reserved(struct tdev *t)
{
	poke(t, 1, 3, 1, 7);
}
static void dv_notify_reserved(struct tdev *t)
{
	poke(t, 2, 3, 1, 7);
}
static void dv_isr_reserved(struct tdev *t)
{
	poke(t, 3, 3, 1, 7);
}
static void dv_device_reserved(struct tdev *t)
{
	poke(t, 4, 3, 1, 7);
}
static void sp_no_cfg_access(struct model_spec *s)
{
	s->cfg_access_cap = false;
}
static void sp_truncated(struct model_spec *s)
{
	s->faults = MODEL_FAULT_CAP_TRUNCATED;
}
static void sp_bar6(struct model_spec *s)
{
	s->faults = MODEL_FAULT_CAP_BAR_INDEX;
}
static void dv_isr_bar0(struct tdev *t)
{
	poke(t, 3, 4, 1, 0);
}
static void sp_beyond_bar(struct model_spec *s)
{
	s->faults = MODEL_FAULT_CAP_BEYOND_BAR;
}
static void dv_common_offset2(struct tdev *t)
{
	poke(t, 1, 8, 4, 2);
}
static void dv_common_short(struct tdev *t)
{
	poke(t, 1, 12, 4, 0x20);
}
static void sp_notify_misaligned(struct model_spec *s)
{
	s->faults = MODEL_FAULT_NOTIFY_MISALIGNED;
}
static void dv_notify_len1(struct tdev *t)
{
	poke(t, 2, 12, 4, 1);
}
static void sp_mult3(struct model_spec *s)
{
	s->notify_off_multiplier = 3;
}
static void dv_notify_len2(struct tdev *t)
{
	poke(t, 2, 12, 4, 2);
}
static void dv_isr_len0(struct tdev *t)
{
	poke(t, 3, 12, 4, 0);
}
static void dv_device_offset(struct tdev *t)
{
	poke(t, 4, 8, 4, DEVCFG_OFF + 2);
}
/* The PCI-config capability turned into a vendor data capability. */
static void dv_vendor_len6(struct tdev *t)
{
	poke(t, 5, 3, 1, 9);
	poke(t, 5, 2, 1, 6);
	poke(t, 5, 4, 2, 0x1234);
}
static void dv_vendor_1af4(struct tdev *t)
{
	poke(t, 5, 3, 1, 9);
	poke(t, 5, 2, 1, 8);
	poke(t, 5, 4, 2, 0x1af4);
}
static void dv_msix_far(struct tdev *t)
{
	struct verr e = {0};
	unsigned at = model_msix_cap_offset(t->model);
	uint32_t tbl = model_peek_cfg(t->model, at + 4, 4);

	CHECK(model_poke_cfg(t->model, at + 4, 4, (tbl & 7) | 0x10000000u, &e) == 0);
}
static void dv_msix_overlap(struct tdev *t)
{
	struct verr e = {0};
	unsigned at = model_msix_cap_offset(t->model);

	CHECK(model_poke_cfg(t->model, at + 8, 4, model_peek_cfg(t->model, at + 4, 4), &e) == 0);
}
static void sp_one_vector(struct model_spec *s)
{
	s->msix_vectors = 1;
}
static void dv_status_0x23(struct tdev *t)
{
	model_state(t->model)->status = 0x23;
}
static void dv_needs_reset(struct tdev *t)
{
	model_set_needs_reset(t->model);
}
static void sp_no_version_1(struct model_spec *s)
{
	s->features &= ~MODEL_BIT(MODEL_F_VERSION_1);
}
/* Block: CONFIG_WCE (11) without FLUSH (9). */
static void sp_wce_no_flush(struct model_spec *s)
{
	s->features = (s->features & ~MODEL_BIT(9)) | MODEL_BIT(11);
}
static void sp_one_queue(struct model_spec *s)
{
	s->num_queues = 1;
}
static void sp_size_100(struct model_spec *s)
{
	s->queue_max[0] = 100;
}
static void dv_config_vector_50(struct tdev *t)
{
	model_state(t->model)->config_vector = 50;
}
/* config_generation stays 0 while device config byte 0 keeps changing. */
static void dv_generation_stuck(struct tdev *t)
{
	common_rule(t, CC_CONFIG_GENERATION, SH_FORCE, 0, 0);
	shim_add(t, MODERN_BAR, DEVCFG_OFF, SH_COUNTER, 0, 0);
}
/* Network: VIRTIO_NET_F_MTU (3) with an mtu of 10. */
static void sp_mtu_10(struct model_spec *s)
{
	s->features |= MODEL_BIT(3);
	s->device_cfg[10] = 10;
	s->device_cfg[11] = 0;
	s->device_cfg_len = 12;
}
/* SCSI: max_channel (offset 28) 1. */
static void sp_scsi_channel(struct model_spec *s)
{
	s->device_cfg_len = 36;
	s->device_cfg[28] = 1;
}
static void linux_bound(struct tdev *t)
{
	t->driver = "virtio-pci";
	t->have_lv = true;
	t->lv.has_pci_driver = t->lv.has_virtio_dev = true;
	snprintf(t->lv.virtio_dev, sizeof(t->lv.virtio_dev), "virtio0");
}
static void dv_linux_features(struct tdev *t)
{
	linux_bound(t);
	t->lv.has_features = true;
	t->lv.features = MODEL_BIT(MODEL_F_VERSION_1) | MODEL_BIT(50);
}
static void dv_linux_status(struct tdev *t)
{
	linux_bound(t);
	t->lv.has_status = true;
	t->lv.status = 0x0f;
}
static void dv_linux_no_msix(struct tdev *t)
{
	linux_bound(t);
	t->lv.msix = false;
}
static void enable_msix(struct tdev *t)
{
	struct verr e = {0};
	unsigned at = model_msix_cap_offset(t->model);

	CHECK(model_poke_cfg(t->model, at + 2, 2, model_peek_cfg(t->model, at + 2, 2) | 0x8000,
			     &e) == 0);
}
static void dv_linux_unmapped(struct tdev *t)
{
	linux_bound(t);
	enable_msix(t);
	t->lv.has_msi_irqs = t->lv.msix = true;
	t->lv.n_msi_irqs = 1;
	model_state(t->model)->config_vector = 2;
}
/* Status never reads 0. */
static void dv_reset_stuck(struct tdev *t)
{
	common_rule(t, CC_DEVICE_STATUS, SH_OR, 0x01, 0);
}
/* FEATURES_OK appears whenever the status is not 0 (0x08 when written
 * with other bits): the device keeps any feature set. */
static void dv_features_ok_always(struct tdev *t)
{
	common_rule(t, CC_DEVICE_STATUS, SH_OR_IF, 0x08, 0x02);
}
static void dv_features_ok_never(struct tdev *t)
{
	common_rule(t, CC_DEVICE_STATUS, SH_AND, ~(uint64_t)0x08, 0);
}
static void dv_queue_size_fixed(struct tdev *t)
{
	common_rule(t, CC_QUEUE_SIZE, SH_DROP, 0, 0);
}
static void dv_enable_zero(struct tdev *t)
{
	common_rule(t, CC_QUEUE_ENABLE, SH_FORCE, 0, 0);
}
static void dv_needs_reset_on_ok(struct tdev *t)
{
	common_rule(t, CC_DEVICE_STATUS, SH_OR_IF, 0x40, 0x04);
}
static void dv_vector_kept(struct tdev *t)
{
	common_rule(t, CC_QUEUE_MSIX_VECTOR, SH_FORCE, 0, 0);
}
static void sp_ring_reset(struct model_spec *s)
{
	s->features |= MODEL_BIT(MODEL_F_RING_RESET);
	s->common_len = 0x40;
}
static void dv_queue_reset_stuck(struct tdev *t)
{
	common_rule(t, CC_QUEUE_RESET, SH_FORCE, 1, 0);
}
static void dv_notify_off_far(struct tdev *t)
{
	common_rule(t, CC_QUEUE_NOTIFY_OFF, SH_FORCE, 0x7fff, 0);
}
static void dv_no_handler(struct tdev *t)
{
	model_set_handler(t->model, 0, NULL, NULL);
	t->timeout_ms = 100;
}
static void dv_bogus_id(struct tdev *t)
{
	t->bogus_id = 1;
	model_set_handler(t->model, 0, bogus_handler, t);
}
static void dv_bogus_len(struct tdev *t)
{
	t->bogus_len = 1;
	model_set_handler(t->model, 0, bogus_handler, t);
}
static void dv_status_reserved_driving(struct tdev *t)
{
	common_rule(t, CC_DEVICE_STATUS, SH_OR_IF, 0x20, 0x01);
}

#define M   MODEL_MODERN
#define T   MODEL_TRANSITIONAL
#define NET MODEL_ID_NET
#define BLK MODEL_ID_BLOCK
#define RNG MODEL_ID_RNG

#define RO(id, how, type, tr, spec, dev)                        \
	{                                                       \
		id, how, type, tr, spec, dev, false, NULL, NULL \
	}
#define ACT(id, how, type, tr, spec, dev)                      \
	{                                                      \
		id, how, type, tr, spec, dev, true, NULL, NULL \
	}
#define FIX(id, how, file, addr)                                        \
	{                                                               \
		id, how, 0, MODEL_MODERN, NULL, NULL, false, file, addr \
	}

static const struct tcase cases[] = {
	RO("pci.device_id", "transitional ID 0x1006 is in no table", NET, T, sp_trans_id_1006,
	   NULL),
	RO("pci.transitional.revision", "revision 1", NET, T, NULL, dv_revision_1),
	FIX("pci.transitional.subsystem", "issue 10: block 0x1001, subsystem 1",
	    "check-transitional-subsys.txt", "00:03.0"),
	RO("pci.transitional.subsystem", "block 0x1001, subsystem 1", BLK, T, sp_subsys_net, NULL),
	RO("pci.modern.revision", "revision 0", NET, M, NULL, dv_revision_0),
	RO("pci.modern.subsystem", "subsystem 0x10", NET, M, NULL, dv_subsys_low),
	RO("pci.class", "net with class mass storage", NET, M, sp_class_storage, NULL),
	RO("cap.chain", "MODEL_FAULT_CAP_LOOP", NET, M, sp_loop, NULL),
	RO("cap.common.present", "common cap has cfg_type 7", NET, M, NULL, dv_common_reserved),
	RO("cap.notify.present", "notify cap has cfg_type 7", NET, M, NULL, dv_notify_reserved),
	FIX("cap.isr.present", "issue 10 dump", "check-issue-caps.txt", "00:02.0"),
	RO("cap.isr.present", "ISR cap has cfg_type 7", NET, M, NULL, dv_isr_reserved),
	RO("cap.device.present", "device cap has cfg_type 7", NET, M, NULL, dv_device_reserved),
	FIX("cap.pci_cfg.present", "issue 10 dump", "check-issue-caps.txt", "00:02.0"),
	RO("cap.pci_cfg.present", "no cfg-access cap", NET, M, sp_no_cfg_access, NULL),
	RO("cap.len", "MODEL_FAULT_CAP_TRUNCATED", NET, M, sp_truncated, NULL),
	RO("cap.bar.index", "MODEL_FAULT_CAP_BAR_INDEX", NET, M, sp_bar6, NULL),
	RO("cap.bar.implemented", "ISR in BAR 0 (none)", NET, M, NULL, dv_isr_bar0),
	RO("cap.inside_bar", "MODEL_FAULT_CAP_BEYOND_BAR", NET, M, sp_beyond_bar, NULL),
	RO("cap.common.align", "common offset 2", NET, M, NULL, dv_common_offset2),
	RO("cap.common.length", "common length 0x20", NET, M, NULL, dv_common_short),
	RO("cap.notify.align", "MODEL_FAULT_NOTIFY_MISALIGNED", NET, M, sp_notify_misaligned, NULL),
	RO("cap.notify.length", "notify length 1", NET, M, NULL, dv_notify_len1),
	RO("cap.notify.multiplier", "multiplier 3", NET, M, sp_mult3, NULL),
	RO("cap.notify.queues", "notify length 2, queue 1 at 4", NET, M, NULL, dv_notify_len2),
	RO("cap.isr.length", "ISR length 0", NET, M, NULL, dv_isr_len0),
	RO("cap.device.align", "device offset 0x2002", NET, M, NULL, dv_device_offset),
	FIX("cap.shm.unique_id", "issue 10 dump", "check-issue-caps.txt", "00:02.0"),
	FIX("cap.vendor.length", "issue 10 dump", "check-issue-caps.txt", "00:02.0"),
	RO("cap.vendor.length", "6-byte vendor cap", NET, M, NULL, dv_vendor_len6),
	RO("cap.vendor.vendor_id", "vendor_id 0x1af4", NET, M, NULL, dv_vendor_1af4),
	RO("msix.inside_bar", "MSI-X table at 256 MiB", NET, M, NULL, dv_msix_far),
	RO("msix.overlap", "PBA on the table", NET, M, NULL, dv_msix_overlap),
	RO("msix.table_size", "one vector", NET, M, sp_one_vector, NULL),
	RO("regs.status.reserved", "status 0x23", NET, M, NULL, dv_status_0x23),
	RO("regs.status.error", "DEVICE_NEEDS_RESET", NET, M, NULL, dv_needs_reset),
	RO("regs.version_1", "no VERSION_1", NET, M, sp_no_version_1, NULL),
	RO("regs.feature_deps", "CONFIG_WCE without FLUSH", BLK, M, sp_wce_no_flush, NULL),
	RO("regs.num_queues", "net with one queue", NET, M, sp_one_queue, NULL),
	RO("regs.queue_size", "queue size 100", NET, M, sp_size_100, NULL),
	RO("regs.msix_vectors", "config vector 50", NET, M, NULL, dv_config_vector_50),
	RO("regs.config_generation", "generation stuck, config moving", NET, M, NULL,
	   dv_generation_stuck),
	RO("config.ranges", "mtu 10", NET, M, sp_mtu_10, NULL),
	RO("config.ranges_should", "max_channel 1", MODEL_ID_SCSI, M, sp_scsi_channel, NULL),
	RO("linux.features.subset", "kernel negotiated bit 50", NET, M, NULL, dv_linux_features),
	RO("linux.status.match", "sysfs 0x0f, register 0", NET, M, NULL, dv_linux_status),
	RO("linux.msix.enabled", "MSI-X off while bound", NET, M, NULL, dv_linux_no_msix),
	RO("linux.msix.mapped", "config vector 2, one Linux IRQ", NET, M, NULL, dv_linux_unmapped),
	ACT("active.reset", "status never reads 0", NET, M, NULL, dv_reset_stuck),
	ACT("active.features_ok.unoffered", "FEATURES_OK always kept", NET, M, NULL,
	    dv_features_ok_always),
	ACT("active.features_ok.offered", "FEATURES_OK never kept", NET, M, NULL,
	    dv_features_ok_never),
	ACT("active.queue_size", "queue_size writes ignored", NET, M, NULL, dv_queue_size_fixed),
	ACT("active.queue.enable", "queue_enable reads 0", RNG, M, NULL, dv_enable_zero),
	ACT("active.needs_reset", "NEEDS_RESET with DRIVER_OK", RNG, M, NULL, dv_needs_reset_on_ok),
	ACT("active.reset.queue_state", "queue vector survives the reset", RNG, M, NULL,
	    dv_vector_kept),
	ACT("active.queue_reset", "queue_reset stays 1", RNG, M, sp_ring_reset,
	    dv_queue_reset_stuck),
	ACT("active.notify", "queue_notify_off 0x7fff", RNG, M, NULL, dv_notify_off_far),
	ACT("active.request", "no queue handler", RNG, M, NULL, dv_no_handler),
	ACT("active.used.id", "used id head + size", RNG, M, NULL, dv_bogus_id),
	ACT("active.used.len", "used len writable + 1", RNG, M, NULL, dv_bogus_len),
	ACT("active.status.reserved", "status shows 0x20 once set", RNG, M, NULL,
	    dv_status_reserved_driving),
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct conform_summary sum;
		struct tdev t = {0};
		struct rnode *root;
		const struct rnode *row;
		bool ok = c->fixture ? open_fixture(&t, c->fixture, c->addr)
				     : open_model(&t, c->type, c->transport, c->spec, c->dev);

		if (!ok) {
			printf("# case %s (%s) did not open\n", c->id, c->how);
			close_dev(&t);
			continue;
		}
		root = run(&t, c->active, NULL, &sum);
		row = result_of(root, c->id);
		CHECK(row != NULL);
		if (strcmp(field(row, "result"), "fail") != 0)
			printf("# %s (%s): %s %s\n", c->id, c->how, field(row, "result"),
			       field(row, "reason"));
		CHECK_STR(field(row, "result"), "fail");
		CHECK(strcmp(field(row, "seen"), "-") != 0);
		CHECK(strcmp(field(row, "required"), "-") != 0);
		CHECK(!sum.ok || conform_check_find(c->id)->level == CK_SHOULD);
		r_free(root);
		close_dev(&t);
	}
}

/* ---- The simulator's misbehaviour knobs: each fails its own checks
 * and no other. A knob without an entry here fails the test. ---- */

static const struct {
	const char *knob;
	const char *fails[3];
} knob_checks[] = {
	{"reset-ignored", {"active.reset"}},
	{"features-ok-always", {"active.features_ok.unoffered"}},
	{"queue-size-odd", {"regs.queue_size"}},
	{"used-len-overflow", {"active.used.len"}},
	{"used-id-bogus", {"active.used.id"}},
	{"config-generation-stuck", {"regs.config_generation"}},
	{"notify-off-out-of-range", {"cap.notify.queues", "active.notify"}},
	{"no-isr-cap", {"cap.isr.present"}},
	{"status-reserved-bits", {"active.status.reserved"}},
};

static unsigned knob_bits;

static void sp_knob(struct model_spec *s)
{
	s->bugs = knob_bits;
}

static bool expected(const char *const *fails, const char *id)
{
	for (int i = 0; i < 3 && fails[i]; i++)
		if (strcmp(fails[i], id) == 0)
			return true;
	return false;
}

/* The failing checks are exactly the knob's. */
static void knob_on(const struct model_bug_info *b, const char *const *fails, unsigned type)
{
	struct conform_summary sum;
	struct tdev t = {0};
	struct rnode *root;
	unsigned want = 0;

	knob_bits = b->bit;
	if (!open_model(&t, type, MODEL_MODERN, sp_knob, NULL))
		return;
	root = run(&t, true, NULL, &sum);
	for (int i = 0; i < 3 && fails[i]; i++) {
		const struct rnode *row = result_of(root, fails[i]);

		want++;
		if (strcmp(field(row, "result"), "fail") != 0)
			printf("# bug=%s on type %u: %s is %s (%s)\n", b->name, type, fails[i],
			       field(row, "result"), field(row, "reason"));
		CHECK_STR(field(row, "result"), "fail");
	}
	for (const struct rnode *a = r_find(root, "areas")->child; a; a = a->next)
		for (const struct rnode *r = r_find(a, "results")->child; r; r = r->next)
			if (strcmp(field(r, "result"), "fail") == 0 &&
			    !expected(fails, field(r, "id"))) {
				printf("# bug=%s on type %u: unrelated %s failed: %s\n", b->name,
				       type, field(r, "id"), field(r, "seen"));
				CHECK(0);
			}
	CHECK_EQ(sum.failed, want);
	r_free(root);
	close_dev(&t);
}

static void test_knobs(void)
{
	size_t n;
	const struct model_bug_info *b = model_bugs(&n);

	CHECK(n >= 9);
	for (size_t i = 0; i < n; i++) {
		const char *const *fails = NULL;

		for (size_t k = 0; k < sizeof(knob_checks) / sizeof(knob_checks[0]); k++)
			if (strcmp(knob_checks[k].knob, b[i].name) == 0)
				fails = knob_checks[k].fails;
		if (!fails) {
			printf("# knob %s: no checks listed for it here\n", b[i].name);
			CHECK(0);
			continue;
		}
		/* A network device has configuration and a self-test; entropy
		 * has no configuration. */
		knob_on(&b[i], fails, MODEL_ID_NET);
		if (!b[i].needs_device_cfg)
			knob_on(&b[i], fails, MODEL_ID_RNG);
	}
}

/* Every check of the table has a case that makes it fail. */
static void test_coverage(void)
{
	size_t n;
	const struct conform_check *t = conform_checks(&n);

	CHECK(n >= 40);
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			found |= strcmp(cases[k].id, t[i].id) == 0;
		if (!found)
			printf("# check %s has no failing case\n", t[i].id);
		CHECK(found);
	}
}

/* A driver-bound device: read-only checks write nothing (not even a
 * selector), never read the ISR, and say why they skip. */
static void dv_bound(struct tdev *t)
{
	t->writable = false;
	linux_bound(t);
	enable_msix(t);
	t->lv.has_msi_irqs = t->lv.msix = true;
	t->lv.n_msi_irqs = 3;
}
static void sp_bound(struct model_spec *s)
{
	s->writable = false;
	s->driver = "virtio-pci";
}

static void test_bound_read_only(void)
{
	struct conform_summary sum;
	struct tdev t = {0};
	struct rnode *root;
	const struct rnode *row;

	if (!open_model(&t, NET, M, sp_bound, dv_bound))
		return;
	model_log_clear(t.model);
	root = run(&t, false, NULL, &sum);
	CHECK_EQ(model_write_count(t.model), 0);
	CHECK_EQ(model_access_count(t.model, "isr", false), 0);
	row = result_of(root, "regs.queue_size");
	CHECK_STR(field(row, "result"), "skip");
	CHECK_STR(field(row, "skip_kind"), "bound");
	row = result_of(root, "active.reset");
	CHECK_STR(field(row, "skip_kind"), "needs_active");
	print_fails(root, "bound");
	CHECK_EQ(sum.failed, 0);
	r_free(root);
	close_dev(&t);
}

/* --only runs the named checks and prefixes; a failed dependency skips
 * the checks that build on it. */
static void test_only_and_needs(void)
{
	struct conform_summary sum;
	struct tdev t = {0};
	struct rnode *root;

	CHECK(conform_pattern_valid("cap.*"));
	CHECK(conform_pattern_valid("cap.isr.present"));
	CHECK(!conform_pattern_valid("cap.isr"));
	CHECK(!conform_pattern_valid("nope*"));
	if (!open_model(&t, NET, M, NULL, NULL))
		return;
	root = run(&t, false, "cap.notify.*", &sum);
	CHECK_EQ(sum.checks, 5);
	CHECK(result_of(root, "cap.isr.present") == NULL);
	r_free(root);
	close_dev(&t);
	if (!open_model(&t, RNG, M, NULL, dv_reset_stuck))
		return;
	root = run(&t, true, "active.*", &sum);
	CHECK_STR(field(result_of(root, "active.reset"), "result"), "fail");
	CHECK_STR(field(result_of(root, "active.request"), "skip_kind"), "depends");
	CHECK_EQ(sum.failed, 1);
	r_free(root);
	close_dev(&t);
}

/* A self-test that cannot ask the device anything without input a check
 * does not have (the IOMMU's endpoint) skips active.request, never fails
 * it. */
static void test_request_needs_input(void)
{
	struct conform_summary sum;
	struct tdev t = {0};
	struct rnode *root;
	const struct rnode *row;

	if (!open_model(&t, 23 /* IOMMU */, M, NULL, NULL))
		return;
	root = run(&t, true, "active.request", &sum);
	row = result_of(root, "active.request");
	CHECK_STR(field(row, "result"), "skip");
	CHECK_STR(field(row, "skip_kind"), "not_applicable");
	CHECK(strstr(field(row, "reason"), "endpoint") != NULL);
	r_free(root);
	close_dev(&t);
}

/* An input device answers only when the host injects an event: a check,
 * which injects none, skips active.request instead of timing out on it
 * (found on QEMU's virtio-keyboard in the vm check scenario). */
/* A revision ID that could not be read is no answer: both revision rules
 * are skipped as unreachable, on either kind of device ID. */
static void test_revision_unread(void)
{
	static const enum model_transport trs[] = {MODEL_TRANSITIONAL, MODEL_MODERN};
	static const char *const ids[] = {"pci.transitional.revision", "pci.modern.revision"};

	for (size_t i = 0; i < 2; i++) {
		struct conform_summary sum;
		struct tdev t = {0};
		struct rnode *root;

		if (!open_model(&t, MODEL_ID_NET, trs[i], NULL, NULL)) {
			close_dev(&t);
			continue;
		}
		t.pci->revision_unread = true;
		root = run(&t, false, NULL, &sum);
		CHECK_STR(field(result_of(root, ids[i]), "result"), "skip");
		CHECK_STR(field(result_of(root, ids[i]), "skip_kind"), "unreachable");
		r_free(root);
		close_dev(&t);
	}
}

static void test_request_needs_stimulus(void)
{
	struct conform_summary sum;
	struct tdev t = {0};
	struct rnode *root;
	const struct rnode *row;

	if (!open_model(&t, 18 /* input */, M, NULL, NULL))
		return;
	root = run(&t, true, "active.request", &sum);
	row = result_of(root, "active.request");
	CHECK_STR(field(row, "result"), "skip");
	CHECK_STR(field(row, "skip_kind"), "not_applicable");
	CHECK(strstr(field(row, "reason"), "inject") != NULL);
	r_free(root);
	close_dev(&t);
}

int main(void)
{
	test_clean();
	test_cases();
	test_coverage();
	test_knobs();
	test_bound_read_only();
	test_only_and_needs();
	test_request_needs_input();
	test_request_needs_stimulus();
	test_revision_unread();
	return check_done();
}
