/* Registers, where the access rules let them be read: the status byte,
 * the offered features, num_queues and the queue sizes, MSI-X vector
 * numbers, config_generation, and device configuration ranges (from the
 * decoder's table, virtio/devcfg.c). */
#include "conform/checks.h"

#include <stdio.h>
#include <string.h>

#include "virtio/devcfg.h"
#include "virtio/features.h"
#include "virtio/ids.h"

#define STATUS_RESERVED 0x30 /* bits 4 and 5: no meaning in virtio 1.3 (2.1) */
#define STATUS_SUSPEND	0x10 /* virtio 1.4 2.1, with VIRTIO_F_SUSPEND */

/* The reserved bits for this device: 1.4 gives 0x10 to SUSPEND when the
 * device offers VIRTIO_F_SUSPEND. */
uint8_t ck_reserved_status(struct ck_state *st)
{
	return ck_known_offered(st) >> VIRTIO_FB_SUSPEND & 1 ? STATUS_RESERVED & ~STATUS_SUSPEND
							     : STATUS_RESERVED;
}

CHECK_FN(chk_regs_status_reserved)
{
	struct verr e = {0};
	uint8_t s;

	if (!ck_need_regs(st, o))
		return;
	if (st->v->ops->get_status(st->v, &s, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "device status not read: %s", e.msg);
		return;
	}
	if (s & ck_reserved_status(st)) {
		ck_fail(o,
			"only the bits 2.1 defines (0x01 0x02 0x04 0x08 0x40 0x80; 0x10 with "
			"VIRTIO_F_SUSPEND)",
			"device_status 0x%02x", s);
		return;
	}
	ck_pass(o);
}

/* From the register, else from what the kernel driver read (sysfs). */
CHECK_FN(chk_regs_status_error)
{
	const struct linux_view *lv = st->env->lv;
	const char *source = "device_status";
	struct verr e = {0};
	uint8_t s;

	if (st->env->dump_file) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "config-space dump: no device status");
		return;
	}
	if (!vdev_regs_readable(st->v) || st->v->ops->get_status(st->v, &s, &e)) {
		if (!lv || !lv->has_status) {
			ck_skip(o, CK_SKIP_UNREACHABLE, "device status not readable: %s",
				e.msg[0] ? e.msg : st->v->regs_why);
			return;
		}
		s = (uint8_t)lv->status;
		source = "sysfs status";
	}
	if (s & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		ck_fail(o, "neither DEVICE_NEEDS_RESET nor FAILED: the device works",
			"%s 0x%02x%s%s", source, s,
			s & VIRTIO_STATUS_DEVICE_NEEDS_RESET ? " DEVICE_NEEDS_RESET" : "",
			s & VIRTIO_STATUS_FAILED ? " FAILED" : "");
		return;
	}
	ck_pass(o);
}

static bool modern_interface(struct ck_state *st, struct ck_out *o)
{
	if (st->v->ops != &virtio_modern_ops) {
		ck_skip(o, CK_SKIP_NA,
			"the rule is for the modern interface (read through legacy)");
		return false;
	}
	return true;
}

CHECK_FN(chk_regs_version_1)
{
	uint64_t f;

	if (!modern_interface(st, o) || !ck_offered(st, o, &f))
		return;
	if (!(f >> VIRTIO_FB_VERSION_1 & 1)) {
		ck_fail(o, "VIRTIO_F_VERSION_1 (bit 32) offered", "device_feature 0x%016llx",
			(unsigned long long)f);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_regs_feature_deps)
{
	size_t n;
	const struct feature_dep *d = virtio_feature_deps(&n);
	uint64_t f;
	char req[CK_TEXT_LEN];

	if (!ck_offered(st, o, &f))
		return;
	for (size_t i = 0; i < n; i++) {
		const char *name, *dep;

		if ((int)d[i].device_id != st->v->device_id || !(f >> d[i].bit & 1) ||
		    (f & d[i].requires_any))
			continue;
		name = virtio_feature_name(d[i].device_id, d[i].bit);
		dep = virtio_feature_name(d[i].device_id,
					  (unsigned)__builtin_ctzll(d[i].requires_any));
		snprintf(req, sizeof(req), "no feature offered without the ones it requires (%s)",
			 d[i].section);
		ck_fail(o, req, "%s offered without %s%s", name ? name : "?", dep ? dep : "?",
			(d[i].requires_any & (d[i].requires_any - 1)) ? " (or its alternative)"
								      : "");
		return;
	}
	ck_pass(o);
}

/* The fewest queues each type defines (virtio 1.3, the "Virtqueues"
 * section of each device type, 5.x.2); types not listed are not judged. */
static const struct {
	unsigned type, min;
	const char *section;
} min_queues[] = {
	{1, 2, "5.1.2"},   {2, 1, "5.2.2"},   {3, 2, "5.3.2"},	 {4, 1, "5.4.2"},
	{5, 2, "5.5.2"},   {8, 3, "5.6.2"},   {16, 2, "5.7.2"},	 {18, 2, "5.8.2"},
	{19, 3, "5.10.2"}, {20, 2, "5.9.2"},  {23, 2, "5.13.2"}, {24, 1, "5.15.2"},
	{26, 2, "5.11.2"}, {27, 1, "5.19.2"},
};

CHECK_FN(chk_regs_num_queues)
{
	struct verr e = {0};
	unsigned nq, want = 0;
	const char *section = NULL;
	char req[CK_TEXT_LEN];

	for (size_t i = 0; i < sizeof(min_queues) / sizeof(min_queues[0]); i++)
		if ((int)min_queues[i].type == st->v->device_id) {
			want = min_queues[i].min;
			section = min_queues[i].section;
		}
	if (!section) {
		ck_skip(o, CK_SKIP_NA, "no queue count is defined for device type %d",
			st->v->device_id);
		return;
	}
	if (!ck_need_regs(st, o))
		return;
	if (st->v->ops->get_num_queues(st->v, &nq, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "num_queues not read: %s", e.msg);
		return;
	}
	/* A network device offering VIRTIO_NET_F_CTRL_VQ (17) has a control
	 * queue besides one receive and one transmit queue. */
	if (st->v->device_id == VIRTIO_DEV_NET && (ck_known_offered(st) >> 17 & 1))
		want++;
	if (nq < want) {
		snprintf(req, sizeof(req), "at least the %u queues the %s device defines (%s)",
			 want, virtio_type_name((unsigned)st->v->device_id), section);
		ck_fail(o, req, "num_queues %u", nq);
		return;
	}
	ck_pass(o);
}

static unsigned queues_read(const struct ck_state *st)
{
	return st->nq < VDEV_MAX_QUEUES ? st->nq : VDEV_MAX_QUEUES;
}

CHECK_FN(chk_regs_queue_size)
{
	bool packed;

	if (!ck_queues(st, o))
		return;
	/* Without a negotiation a device must assume split rings are used:
	 * sizes must be powers of 2 unless it offers VIRTIO_F_RING_PACKED. */
	packed = ck_known_offered(st) >> VIRTIO_FB_RING_PACKED & 1;
	for (unsigned q = 0; q < queues_read(st); q++) {
		uint16_t s = st->q[q].size;

		if (s == 0 || (!packed && !(s & (s - 1))) || (packed && s <= 32768))
			continue;
		ck_fail(o, "queue_size 0 or a power of 2 up to 32768 (split virtqueues)",
			"queue %u: queue_size %u", q, s);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_regs_msix_vectors)
{
	const struct msix_info *m = &st->caps->pci.msix;
	struct verr e = {0};
	uint16_t cv;

	if (!m->present) {
		ck_skip(o, CK_SKIP_NA, "no MSI-X capability");
		return;
	}
	if (!ck_need_regs(st, o))
		return;
	if (st->v->ops->get_config_vector(st->v, &cv, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "config_msix_vector not read: %s", e.msg);
		return;
	}
	if (cv != VIRTIO_MSI_NO_VECTOR && cv >= m->table_size) {
		ck_fail(o, "NO_VECTOR or an entry of the MSI-X table",
			"config_msix_vector %u, the table has %u entries", cv, m->table_size);
		return;
	}
	if (!ck_queues(st, o))
		return;
	for (unsigned q = 0; q < queues_read(st); q++) {
		uint16_t v = st->q[q].msix_vector;

		if (st->q[q].size == 0 || v == VIRTIO_MSI_NO_VECTOR || v < m->table_size)
			continue;
		ck_fail(o, "NO_VECTOR or an entry of the MSI-X table",
			"queue %u: queue_msix_vector %u, the table has %u entries", q, v,
			m->table_size);
		return;
	}
	ck_pass(o);
}

/* One snapshot of the device configuration (the fields that exist), then
 * config_generation. */
static int snapshot_then_generation(struct vdev *v, const struct vdev_offer *of, uint8_t *buf,
				    unsigned *n, uint32_t *g, struct verr *e)
{
	return vdev_config_snapshot_offered(v, of, buf, VDEV_CONFIG_MAX, n, e) ||
	       v->ops->get_config_generation(v, g, e);
}

static void config_unread(struct ck_out *o, const struct verr *e)
{
	ck_skip(o, CK_SKIP_UNREACHABLE, "device configuration not read: %s", e->msg);
}

/* Snapshots between config_generation reads (g0 s0 g1 s1 g2 s2 g3): two
 * consecutive snapshots that differ while the generations read before the
 * first and after the second are equal are the violation. The pairs (s0,
 * s1) and (s1, s2) are the two chances the check always gave a changing
 * device; it used to take two separate pairs, four reads of the whole
 * configuration where three do. Only reads. */
CHECK_FN(chk_regs_config_generation)
{
	uint8_t buf[2][VDEV_CONFIG_MAX];
	uint32_t g[4];
	struct verr e = {0};
	unsigned n[2];
	struct vdev_offer of;

	if (!ck_need_regs(st, o) || !modern_interface(st, o))
		return;
	of = ck_offer(st);
	if (st->v->ops->config_len(st->v) == 0) {
		ck_skip(o, CK_SKIP_NA, "no device configuration region");
		return;
	}
	if (st->v->ops->get_config_generation(st->v, &g[0], &e) ||
	    snapshot_then_generation(st->v, &of, buf[0], &n[0], &g[1], &e)) {
		config_unread(o, &e);
		return;
	}
	for (int s = 1; s < 3; s++) {
		const uint8_t *a = buf[(s - 1) % 2], *b = buf[s % 2];
		unsigned na = n[(s - 1) % 2], i = 0;

		if (snapshot_then_generation(st->v, &of, buf[s % 2], &n[s % 2], &g[s + 1], &e)) {
			config_unread(o, &e);
			return;
		}
		if (g[s - 1] != g[s + 1] || (na == n[s % 2] && memcmp(a, b, na) == 0))
			continue;
		while (i < na && a[i] == b[i])
			i++;
		ck_fail(o, "config_generation changes when the configuration does",
			"byte 0x%x changed from 0x%02x to 0x%02x while config_generation stayed %u",
			i, a[i], b[i], g[s - 1]);
		return;
	}
	ck_pass(o);
}

/* The device configuration against the ranges of virtio/devcfg.c. */
struct range_walk {
	bool should;
	bool failed;
	char seen[CK_TEXT_LEN], required[CK_TEXT_LEN];
};

static void range_one(void *ctx, const struct cfg_field *f, unsigned off, uint64_t value)
{
	struct range_walk *w = ctx;
	const struct cfg_range *r = f->range;

	if (w->failed || r->should != w->should || (value >= r->min && value <= r->max))
		return;
	w->failed = true;
	snprintf(w->seen, sizeof(w->seen), "%s (offset %u) = %llu", f->key, off,
		 (unsigned long long)value);
	snprintf(w->required, sizeof(w->required), "%s between %llu and %llu (%s)", f->key,
		 (unsigned long long)r->min, (unsigned long long)r->max, r->section);
}

static void devcfg_ranges(struct ck_state *st, struct ck_out *o, bool should)
{
	const struct cfg_layout *l =
		st->v->device_id >= 0 ? virtio_cfg_layout((unsigned)st->v->device_id) : NULL;
	struct range_walk w = {.should = should};
	uint8_t cfg[VDEV_CONFIG_MAX];
	struct verr e = {0};
	struct vdev_offer of;
	unsigned n;
	bool any = false;

	for (size_t i = 0; l && i < l->nfields; i++)
		any |= l->fields[i].range && l->fields[i].range->should == should;
	if (!any) {
		ck_skip(o, CK_SKIP_NA, "the spec bounds no %s field of this device type",
			should ? "SHOULD-level" : "MUST-level");
		return;
	}
	if (!ck_need_regs(st, o))
		return;
	of = ck_offer(st);
	if (vdev_read_config_offered(st->v, &of, cfg, sizeof(cfg), &n, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "device configuration not read: %s", e.msg);
		return;
	}
	virtio_cfg_ranges(l, cfg, n, ck_known_offered(st), range_one, &w);
	if (w.failed) {
		ck_fail(o, w.required, "%s", w.seen);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_devcfg_must)
{
	devcfg_ranges(st, o, false);
}

CHECK_FN(chk_devcfg_should)
{
	devcfg_ranges(st, o, true);
}
