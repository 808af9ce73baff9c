/* Parts of the Linux view beyond who owns the device: what the driver
 * created (linux_resources.h), and the kernel's negotiated features and
 * status side by side with what the device registers say. */
#include "cli/report.h"

#include "linux/resources.h"
#include "virtio/features.h"

void report_resource_rows(struct rnode *arr, const struct linux_resources *res)
{
	for (unsigned i = 0; i < res->n; i++) {
		struct rnode *row = r_obj(arr, NULL, NULL);

		r_str(row, "kind", "kind", res->r[i].kind);
		r_str(row, "name", "name", res->r[i].name);
		r_str(row, "detail", "detail", res->r[i].detail[0] ? res->r[i].detail : NULL);
	}
}

void report_linux_resources(struct rctx *c, struct rnode *o)
{
	struct rnode *t = r_arr(o, "resources", "Resources", RF_TABLE);
	struct linux_resources res;

	linux_resources_read(session_sysfs_root(c->s), &c->d->pci->addr, &c->lv, true, &res);
	report_resource_rows(t, &res);
	if (res.truncated)
		rctx_note(c, "linux.resources: more than %d; the rest are not shown",
			  LINUX_RES_MAX);
}

static void feature_differences(struct rctx *c, struct rnode *o, uint64_t diff, uint64_t kernel)
{
	struct rnode *l = r_arr(o, "features_differences", "Feature differences", RF_LINES);
	int id = c->d->v.device_id;

	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = id >= 0 ? virtio_feature_name((unsigned)id, bit) : NULL;

		if (!(diff >> bit & 1))
			continue;
		r_strf(l, NULL, NULL, "bit %u%s%s: kernel %u, device register %u", bit,
		       name ? " " : "", name ? name : "", (unsigned)(kernel >> bit & 1),
		       (unsigned)(~kernel >> bit & 1));
	}
}

/* sysfs `features` is what the driver negotiated; the driver_feature
 * register (guest features on the legacy header, 32 bits) is what the
 * device was told. They differ only if something wrote the device behind
 * the driver's back. */
static void compare_features(struct rctx *c, struct rnode *o)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	uint64_t regs, mask, diff;

	if (!c->lv.has_features || !vdev_regs_readable(v) ||
	    v->ops->get_driver_features(v, &regs, &e)) {
		/* VX_PERM: the selector policy, which the queue notes explain */
		if (c->lv.has_features && e.msg[0] && e.code != VX_PERM)
			rctx_note_cat(c, "linux.features_match not computed: ", e.msg);
		r_unknown(o, "features_match", "Features match registers",
			  !c->lv.has_features	   ? "sysfs has no features file"
			  : !vdev_regs_readable(v) ? "registers not read"
			  : e.code == VX_PERM	   ? v->select_why
						   : e.msg);
		return;
	}
	mask = v->ops->legacy_ring ? 0xffffffffull : ~0ull;
	diff = (regs ^ c->lv.features) & mask;
	r_bool(o, "features_match", "Features match registers", diff == 0);
	r_uint(o, "features_compared_bits", "Bits compared", mask == ~0ull ? 64 : 32, NULL);
	if (diff)
		feature_differences(c, o, diff, c->lv.features);
}

static void compare_status(struct rctx *c, struct rnode *o)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	uint8_t st;

	if (!c->lv.has_status || !vdev_regs_readable(v) || v->ops->get_status(v, &st, &e)) {
		r_unknown(o, "status_match", "Status matches register",
			  !c->lv.has_status	   ? "sysfs has no status file"
			  : !vdev_regs_readable(v) ? "registers not read"
						   : e.msg);
		return;
	}
	r_bool(o, "status_match", "Status matches register", st == (uint8_t)c->lv.status);
}

void report_linux_match(struct rctx *c, struct rnode *o)
{
	compare_features(c, o);
	compare_status(c, o);
}
