/* The report builders on the device model: every common_cfg field, queue
 * registers and notify offsets, feature bits by name, device config, the
 * write policy (a bound device sees no writes; selectors are restored),
 * and the config-window fallback. */
#include "check.h"
#include "model_fixture.h"
#include "cli/report.h"
#include "sim/model.h"
#include "virtio/common_cfg.h"
#include "virtio/legacy_regs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	struct session s;
	struct sdev d;
	struct rnode *root;
};

static bool open_fx(struct fx *f, struct model_spec *spec, bool allow_select)
{
	memset(f, 0, sizeof(*f));
	spec->addr = (struct pci_addr){0, 0x42, 0, 0};
	f->d.pci = fixture_pdev(spec);
	if (!f->d.pci)
		return false;
	if (!fixture_vdev(f->d.pci, &f->d.v, VDEV_IFACE_DEFAULT, allow_select)) {
		pdev_close(f->d.pci);
		return false;
	}
	session_init(&f->s);
	f->s.sysfs_root = "/nonexistent";
	f->root = r_new_root();
	return true;
}

static void close_fx(struct fx *f)
{
	r_free(f->root);
	pdev_close(f->d.pci);
	session_fini(&f->s);
}

static const struct rnode *at(const struct fx *f, const char *path)
{
	const struct rnode *n = r_path(f->root, path);

	if (!n)
		check_fail("missing %s", path);
	return n;
}

static uint64_t u(const struct fx *f, const char *path)
{
	const struct rnode *n = at(f, path);

	CHECK(n && n->kind == R_UINT);
	return n && n->kind == R_UINT ? n->v.u : 0xdeadbeef;
}

static void build(struct fx *f, void (*fn)(struct rctx *))
{
	struct rctx c;

	rctx_init(&c, &f->s, &f->d, f->root);
	fn(&c);
	rctx_finish(&c);
}

static void test_common_modern(void)
{
	struct model_spec spec;
	struct fx f;
	struct model_state *st;

	model_spec_init(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.num_queues = 3;
	spec.queue_max[2] = 64;
	spec.common_len = 0x40;
	spec.writable = true;
	if (!open_fx(&f, &spec, true))
		return;
	st = model_state(f.d.pci);
	st->queue_select = 1;
	st->dfselect = 1;
	build(&f, report_common);
	CHECK_EQ(u(&f, "common_cfg.num_queues"), 3);
	CHECK_EQ(u(&f, "common_cfg.device_feature_select"), 1);
	CHECK_EQ(u(&f, "common_cfg.device_feature"), spec.features >> 32);
	CHECK_EQ(u(&f, "common_cfg.queue_select"), 1);
	CHECK_EQ(u(&f, "common_cfg.config_msix_vector"), 0xffff);
	/* 0x40 bytes long; the model offers RING_RESET but neither
	 * NOTIF_CONFIG_DATA nor ADMIN_VQ: those read as not offered. */
	CHECK(at(&f, "common_cfg.queue_notif_config_data") &&
	      at(&f, "common_cfg.queue_notif_config_data")->kind == R_NULL);
	CHECK(at(&f, "common_cfg.queue_reset") &&
	      at(&f, "common_cfg.queue_reset")->kind ==
		      (spec.features >> 40 & 1 ? R_UINT : R_NULL));
	CHECK(at(&f, "common_cfg.admin_queue_num") &&
	      at(&f, "common_cfg.admin_queue_num")->kind == R_NULL);
	CHECK_EQ(r_count(at(&f, "queues")), 3);
	CHECK_EQ(u(&f, "queues.0.size"), spec.queue_max[0]);
	CHECK_EQ(u(&f, "queues.2.size"), 64);
	CHECK_EQ(u(&f, "queues.2.notify_off"), 2);
	/* notify cap at BAR offset 0x3000, multiplier 4 */
	CHECK_EQ(u(&f, "queues.2.notify_offset"), 0x3000 + 2 * 4);
	CHECK(at(&f, "queues.1.enabled") && !at(&f, "queues.1.enabled")->v.b);
	/* The selectors the test put there are back. */
	CHECK_EQ(st->queue_select, 1);
	CHECK_EQ(st->dfselect, 1);
	CHECK_EQ(model_error_count(f.d.pci), 0);
	close_fx(&f);
}

/* An unread revision ID is null with its reason, never 0. */
static void test_revision_unread(void)
{
	struct model_spec spec;
	struct fx f;
	const struct rnode *n;

	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	if (!open_fx(&f, &spec, false))
		return;
	f.d.pci->revision_unread = true;
	build(&f, report_identity);
	n = at(&f, "pci.revision");
	CHECK(n && n->kind == R_NULL && (n->flags & RF_UNKNOWN));
	CHECK(n && n->why && strstr(n->why, "could not be read") != NULL);
	close_fx(&f);
}

/* With the offered features known, the config fields of the others are
 * not read (virtio 1.3, 2.5.2): the model's block device has no bytes past
 * its offered fields and records every read there as a protocol error. */
static void test_config_offered_only(void)
{
	struct model_spec spec;
	struct fx f;
	uint8_t buf[VDEV_CONFIG_MAX];
	unsigned got = 0;
	struct vdev_offer of = {true, 0};
	struct verr e = {0};

	model_spec_init(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.writable = true; /* device_feature_select is written */
	if (!open_fx(&f, &spec, true))
		return;
	CHECK_EQ(f.d.v.ops->get_device_features(&f.d.v, &of.features, &e), 0);
	model_log_clear(f.d.pci);
	CHECK_EQ(vdev_read_config(&f.d.v, buf, sizeof(buf), &got, &e), 0);
	CHECK(model_error_count(f.d.pci) > 0); /* every field: past the device's */
	model_log_clear(f.d.pci);
	CHECK_EQ(vdev_read_config_offered(&f.d.v, &of, buf, sizeof(buf), &got, &e), 0);
	CHECK_EQ(model_error_count(f.d.pci), 0);
	CHECK(got > 0);
	close_fx(&f);
}

static void test_short_common(void)
{
	struct model_spec spec;
	struct fx f;

	model_spec_init(&spec, MODEL_ID_RNG, MODEL_MODERN);
	spec.writable = true;
	if (!open_fx(&f, &spec, true))
		return;
	build(&f, report_common);
	CHECK(at(&f, "common_cfg.queue_device") != NULL);
	CHECK(r_path(f.root, "common_cfg.queue_notif_config_data") == NULL); /* 0x38 bytes */
	close_fx(&f);
}

static bool has_bit(const struct fx *f, unsigned bit, const char *name, bool dev, bool drv)
{
	const struct rnode *t = at(f, "feature_bits");

	for (const struct rnode *row = t ? t->child : NULL; row; row = row->next) {
		const struct rnode *b = r_find(row, "bit"), *n = r_find(row, "name");
		const struct rnode *dv = r_find(row, "device"), *dr = r_find(row, "driver");

		if (b->v.u == bit)
			return strcmp(n->v.s, name) == 0 && dv->kind == R_BOOL && dv->v.b == dev &&
			       dr->kind == R_BOOL && dr->v.b == drv;
	}
	return false;
}

static void test_features_and_config(void)
{
	struct model_spec spec;
	struct fx f;
	char want[32];

	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	spec.features |= 1ull << 5 | 1ull << 16; /* MAC, STATUS */
	spec.writable = true;
	if (!open_fx(&f, &spec, true))
		return;
	model_state(f.d.pci)->driver_features = 1ull << 32 | 1ull << 5;
	build(&f, report_features);
	snprintf(want, sizeof(want), "0x%016llx", (unsigned long long)spec.features);
	CHECK_STR(at(&f, "device_features")->v.s, want);
	CHECK_STR(at(&f, "driver_features")->v.s, "0x0000000100000020");
	CHECK_STR(at(&f, "driver_features_source")->v.s, "registers");
	CHECK(has_bit(&f, 32, "VIRTIO_F_VERSION_1", true, true));
	CHECK(has_bit(&f, 5, "VIRTIO_NET_F_MAC", true, true));
	CHECK(has_bit(&f, 16, "VIRTIO_NET_F_STATUS", true, false));
	CHECK(has_bit(&f, 29, "VIRTIO_F_EVENT_IDX", true, false));
	r_free(f.root);
	f.root = r_new_root();
	build(&f, report_config);
	CHECK_STR(at(&f, "config.mac")->v.s, "52:54:00:12:34:56");
	CHECK_EQ(u(&f, "config.status"), 1);
	CHECK_EQ(model_state(f.d.pci)->dfselect, 0);
	close_fx(&f);
}

/* virtio 1.4 grew the feature space past 64 bits: the words above the
 * first two are read while the device has them, named, and the 64-bit
 * keys keep meaning bits 0-63. */
static void test_features_above_63(void)
{
	struct model_spec spec;
	struct fx f;
	char want[64];

	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	spec.features_hi = 1ull << (65 - 64) | 1ull << (69 - 64) | 1ull << (100 - 64);
	spec.writable = true;
	if (!open_fx(&f, &spec, true))
		return;
	build(&f, report_features);
	snprintf(want, sizeof(want), "0x%016llx", (unsigned long long)spec.features);
	CHECK_STR(at(&f, "device_features")->v.s, want);
	snprintf(want, sizeof(want), "0x%08x%08x%016llx", 0x10u, 0x22u,
		 (unsigned long long)spec.features);
	CHECK_STR(at(&f, "device_features_ex")->v.s, want);
	CHECK(has_bit(&f, 65, "VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO", true, false));
	CHECK(has_bit(&f, 69, "VIRTIO_NET_F_OUT_NET_HEADER", true, false));
	CHECK(has_bit(&f, 100, "bit 100", true, false));
	CHECK_EQ(model_state(f.d.pci)->dfselect, 0); /* put back */
	close_fx(&f);
	/* past the defined bits, a word of 0 ends the set */
	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	spec.writable = true;
	if (!open_fx(&f, &spec, true))
		return;
	build(&f, report_features);
	snprintf(want, sizeof(want), "0x%08x%016llx", 0u, (unsigned long long)spec.features);
	CHECK_STR(at(&f, "device_features_ex")->v.s, want);
	close_fx(&f);
}

static bool noted(const struct fx *f, const char *what)
{
	const struct rnode *notes = r_path(f->root, "notes");

	for (const struct rnode *n = notes ? notes->child : NULL; n; n = n->next)
		if (strstr(n->v.s, what))
			return true;
	return false;
}

/* Command and Status bit by bit; a bound virtio device with decoding or
 * bus mastering off is pointed out, error bits too. */
static void test_command_status(void)
{
	struct model_spec spec;
	struct verr e = {0};
	struct fx f;

	model_spec_init(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.writable = false;
	spec.driver = "virtio-pci";
	if (!open_fx(&f, &spec, false))
		return;
	build(&f, report_caps);
	CHECK(at(&f, "pci_command.memory_decode")->v.b);
	CHECK(at(&f, "pci_command.bus_master")->kind == R_BOOL);
	CHECK(at(&f, "pci_status.capabilities_list")->v.b);
	CHECK(!noted(&f, "command register"));
	CHECK_EQ(model_poke_cfg(f.d.pci, 0x04, 2, 0x0400, &e), 0);
	CHECK_EQ(model_poke_cfg(f.d.pci, 0x06, 2, 0x2010, &e), 0);
	r_free(f.root);
	f.root = r_new_root();
	build(&f, report_caps);
	CHECK_EQ(u(&f, "pci_command.value"), 0x0400);
	CHECK(!at(&f, "pci_command.memory_decode")->v.b);
	CHECK(at(&f, "pci_command.intx_disable")->v.b);
	CHECK(at(&f, "pci_status.received_master_abort")->v.b);
	CHECK(noted(&f, "memory decoding is off although driver virtio-pci is bound"));
	CHECK(noted(&f, "bus mastering is off although driver virtio-pci is bound"));
	CHECK(noted(&f, "error bits are set"));
	close_fx(&f);
}

/* A device whose driver owns it: no writes at all, selector-backed
 * registers are reported missing with the reason, the ISR is not read. */
static void test_bound_policy(void)
{
	struct model_spec spec;
	struct fx f;
	const struct rnode *notes;
	bool said = false;

	model_spec_init(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.writable = false;
	spec.driver = "virtio-pci";
	if (!open_fx(&f, &spec, false))
		return;
	model_log_clear(f.d.pci);
	build(&f, report_status);
	build(&f, report_features);
	build(&f, report_common);
	build(&f, report_config);
	CHECK_EQ(model_write_count(f.d.pci), 0);
	CHECK_EQ(model_access_count(f.d.pci, "isr", false), 0);
	CHECK(at(&f, "queues")->kind == R_NULL);
	CHECK(at(&f, "device_features")->kind == R_NULL);
	CHECK_EQ(u(&f, "device_status"), 0);
	CHECK(at(&f, "config.capacity") != NULL); /* no selector needed */
	notes = at(&f, "notes");
	for (const struct rnode *n = notes ? notes->child : NULL; n; n = n->next)
		said |= strstr(n->v.s, "not allowed (test)") != NULL;
	CHECK(said);
	close_fx(&f);
}

/* BARs unreachable (a driver owns them), writes allowed: registers come
 * through the PCI configuration access capability. */
static void test_config_window(void)
{
	struct model_spec spec;
	struct fx f;

	model_spec_init(&spec, MODEL_ID_BLOCK, MODEL_MODERN);
	spec.writable = true;
	spec.driver = "virtio-pci";
	spec.bar_why = "mmap of resource4 failed (test)";
	if (!open_fx(&f, &spec, true))
		return;
	vdev_use_window(&f.d.v);
	CHECK(vdev_regs_readable(&f.d.v));
	CHECK_STR(f.d.pci->ops->name, "cfg-window");
	build(&f, report_status);
	build(&f, report_common);
	CHECK_EQ(u(&f, "num_queues"), spec.num_queues);
	CHECK_EQ(u(&f, "queues.0.size"), spec.queue_max[0]);
	CHECK_EQ(u(&f, "common_cfg.num_queues"), spec.num_queues);
	close_fx(&f);
}

/* ---- A register override in front of the model: one BAR register reads
 * a fixed value, whatever the model holds. ---- */

struct ovr {
	struct pdev pub; /* first: pdev_close frees it */
	struct pdev *inner;
	unsigned bar;
	uint64_t off, val;
};

static int ovr_cfg_read(struct pdev *d, unsigned off, unsigned w, uint32_t *v, struct verr *e)
{
	struct ovr *o = d->priv;

	return o->inner->ops->cfg_read(o->inner, off, w, v, e);
}

static int ovr_cfg_write(struct pdev *d, unsigned off, unsigned w, uint32_t v, struct verr *e)
{
	struct ovr *o = d->priv;

	return o->inner->ops->cfg_write(o->inner, off, w, v, e);
}

static int ovr_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned w, uint64_t *v,
			struct verr *e)
{
	struct ovr *o = d->priv;

	if (o->inner->ops->bar_read(o->inner, bar, off, w, v, e))
		return -1;
	if (bar == o->bar && off == o->off)
		*v = o->val;
	return 0;
}

static int ovr_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned w, uint64_t v,
			 struct verr *e)
{
	struct ovr *o = d->priv;

	return o->inner->ops->bar_write(o->inner, bar, off, w, v, e);
}

static void ovr_close(struct pdev *d)
{
	struct ovr *o = d->priv;

	pdev_close(o->inner);
}

static const struct pdev_ops ovr_ops = {.name = "override",
					.cfg_read = ovr_cfg_read,
					.cfg_write = ovr_cfg_write,
					.bar_read = ovr_bar_read,
					.bar_write = ovr_bar_write,
					.close = ovr_close};

/* open_fx over the model of spec with BAR register (bar, off) reading val. */
static bool open_ovr(struct fx *f, struct model_spec *spec, unsigned bar, uint64_t off,
		     uint64_t val)
{
	struct ovr *o = calloc(1, sizeof(*o));

	memset(f, 0, sizeof(*f));
	spec->addr = (struct pci_addr){0, 0x42, 0, 0};
	spec->writable = true;
	if (!o || !(o->inner = fixture_pdev(spec))) {
		free(o);
		check_fail("override: no model");
		return false;
	}
	o->pub = *o->inner;
	o->pub.ops = &ovr_ops;
	o->pub.priv = o;
	o->bar = bar;
	o->off = off;
	o->val = val;
	f->d.pci = &o->pub;
	if (!fixture_vdev(f->d.pci, &f->d.v, VDEV_IFACE_DEFAULT, true)) {
		pdev_close(f->d.pci);
		return false;
	}
	session_init(&f->s);
	f->s.sysfs_root = "/nonexistent";
	f->root = r_new_root();
	return true;
}

/* num_queues of all-ones with selectors that work: the first
 * VDEV_MAX_QUEUES (1024) queues are read, and the report says so. The
 * fuzz target regs stops its devices' selectors at 8 queues, so this is
 * where the full range is tested. */
static void test_queues_limit(void)
{
	struct model_spec spec;
	struct fx f;

	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	if (!open_ovr(&f, &spec, spec.modern_bar, CC_NUM_QUEUES, 0xffff))
		return;
	build(&f, report_common);
	CHECK_EQ(u(&f, "common_cfg.num_queues"), 0xffff);
	CHECK_EQ(r_count(at(&f, "queues")), VDEV_MAX_QUEUES);
	CHECK_EQ(u(&f, "queues.1023.index"), 1023);
	CHECK_EQ(u(&f, "queues.0.size"), spec.queue_max[0]);
	CHECK(noted(&f, "the device reports 65535; only the first 1024 are read"));
	close_fx(&f);
}

/* A queue selector that does not read back what was written (a removed
 * device reads all-ones): no queue register can be attributed to a queue,
 * so none is reported, on either transport, and the walk stops at once
 * instead of going on to 1024 queues. */
static void test_selector_not_held(void)
{
	struct model_spec spec;
	const struct rnode *q;
	struct fx f;

	model_spec_init(&spec, MODEL_ID_NET, MODEL_MODERN);
	if (!open_ovr(&f, &spec, spec.modern_bar, CC_QUEUE_SELECT, 0xffff))
		return;
	build(&f, report_common);
	CHECK_EQ(u(&f, "common_cfg.num_queues"), spec.num_queues);
	q = at(&f, "queues");
	CHECK(q && q->kind == R_NULL && (q->flags & RF_UNKNOWN) && q->why &&
	      strstr(q->why, "queue_select reads 0xffff after selecting queue 0"));
	CHECK(noted(&f, "queue 0 not read: queue_select reads 0xffff"));
	close_fx(&f);

	model_spec_init(&spec, MODEL_ID_NET, MODEL_LEGACY);
	if (!open_ovr(&f, &spec, LEG_BAR, LEG_QUEUE_SEL, 0xffff))
		return;
	build(&f, report_common);
	q = at(&f, "queues");
	CHECK(q && q->kind == R_NULL && (q->flags & RF_UNKNOWN) && q->why &&
	      strstr(q->why, "QUEUE_SEL reads 0xffff after selecting queue 0"));
	close_fx(&f);
}

int main(void)
{
	test_common_modern();
	test_short_common();
	test_revision_unread();
	test_config_offered_only();
	test_features_and_config();
	test_features_above_63();
	test_command_status();
	test_bound_policy();
	test_config_window();
	test_queues_limit();
	test_selector_not_held();
	return check_done();
}
