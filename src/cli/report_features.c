/* `features`: the device-offered and driver-accepted 64-bit words, and
 * every set bit by its spec name. */
#include "cli/report.h"

#include <stdio.h>
#include <string.h>

#include "virtio/features.h"

static void feature_table(struct rctx *c, uint64_t dev, bool have_dev, uint64_t drv, bool have_drv,
			  const char *drv_why)
{
	uint64_t any = (have_dev ? dev : 0) | (have_drv ? drv : 0);
	int id = c->d->v.device_id;
	struct rnode *t;

	/* no word read: an empty list would say "no features" */
	if (!have_dev && !have_drv) {
		r_unknownf(c->root, "feature_bits", "Feature bits", "%s; %s",
			   rctx_device_features_why(c), drv_why);
		rctx_missing(c, "features not readable: %s; %s", rctx_device_features_why(c),
			     drv_why);
		return;
	}
	t = r_arr(c->root, "feature_bits", "Feature bits", RF_TABLE);

	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = id >= 0 ? virtio_feature_name((unsigned)id, bit) : NULL;
		struct rnode *row;

		if (!(any >> bit & 1))
			continue;
		row = r_obj(t, NULL, NULL);
		r_uint(row, "bit", "bit", bit, NULL);
		if (name)
			r_str(row, "name", "name", name);
		else
			r_strf(row, "name", "name", "bit %u", bit);
		if (have_dev)
			r_bool(row, "device", "device", dev >> bit & 1);
		else
			r_unknown(row, "device", "device", rctx_device_features_why(c));
		if (have_drv)
			r_bool(row, "driver", "driver", drv >> bit & 1);
		else
			r_unknown(row, "driver", "driver", drv_why);
	}
}

/* The driver's features: the register when it can be read, else what the
 * kernel driver negotiated (sysfs). */
static bool driver_features(struct rctx *c, uint64_t *f, char *why, size_t len)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};

	snprintf(why, len, "driver features not read: %s",
		 vdev_regs_readable(v) ? "" : rctx_regs_why(c));

	/* The legacy header needs no selector for this; the modern one
	 * refuses with VX_PERM when selectors may not be written. */
	if (vdev_regs_readable(v)) {
		if (v->ops->get_driver_features(v, f, &e) == 0) {
			r_hex64(c->root, "driver_features", "Driver features", *f);
			r_str(c->root, "driver_features_source", "Driver features source",
			      "registers");
			return true;
		}
		if (e.code != VX_PERM)
			rctx_note(c, "driver features not read: %s", e.msg);
		snprintf(why, len, "driver features not read: %s", e.msg);
	}
	if (c->have_lv && c->lv.has_features) {
		*f = c->lv.features;
		r_hex64(c->root, "driver_features", "Driver features", *f);
		r_str(c->root, "driver_features_source", "Driver features source", "sysfs");
		return true;
	}
	if (!c->s->dump_file)
		snprintf(why + strlen(why), len - strlen(why), "%s",
			 c->have_lv ? "; sysfs has no features file for the virtio device"
				    : "; the device is not in sysfs");
	r_unknown(c->root, "driver_features", "Driver features", why);
	return false;
}

void report_features(struct rctx *c)
{
	uint64_t dev = 0, drv = 0;
	bool have_dev = rctx_device_features(c, &dev), have_drv;
	char drv_why[1024];

	if (have_dev)
		r_hex64(c->root, "device_features", "Device features", dev);
	else
		r_unknown(c->root, "device_features", "Device features",
			  rctx_device_features_why(c));
	have_drv = driver_features(c, &drv, drv_why, sizeof(drv_why));
	feature_table(c, dev, have_dev, drv, have_drv, drv_why);
}
