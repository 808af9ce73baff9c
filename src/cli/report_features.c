/* `features`: the device-offered and driver-accepted features, every word
 * the device has (bits 64 and up where it offers them), and every set bit
 * by its spec name. */
#include "cli/report.h"

#include <stdio.h>
#include <string.h>

#include "virtio/features.h"

/* The whole set as one hex string, beside the 64-bit key whose meaning
 * stays bits 0-63. */
static void feature_keys(struct rnode *o, const char *key, const char *label, const char *key_ex,
			 const char *label_ex, const struct vfeatures *f)
{
	char hex[8 + 8 * VIRTIO_FEATURE_WORDS];

	r_hex64(o, key, label, vfeatures_low64(f));
	r_str(o, key_ex, label_ex, vfeatures_hex(f, hex, sizeof(hex)));
}

static void feature_row(struct rctx *c, struct rnode *t, unsigned bit, const struct vfeatures *dev,
			bool have_dev, const struct vfeatures *drv, bool have_drv,
			const char *drv_why)
{
	int id = c->d->v.device_id;
	const char *name = id >= 0 ? virtio_feature_name((unsigned)id, bit) : NULL;
	struct rnode *row = r_obj(t, NULL, NULL);

	r_uint(row, "bit", "bit", bit, NULL);
	if (name)
		r_str(row, "name", "name", name);
	else
		r_strf(row, "name", "name", "bit %u", bit);
	if (have_dev)
		r_bool(row, "device", "device", vfeatures_has(dev, bit));
	else
		r_unknown(row, "device", "device", rctx_device_features_why(c));
	if (have_drv)
		r_bool(row, "driver", "driver", vfeatures_has(drv, bit));
	else
		r_unknown(row, "driver", "driver", drv_why);
}

static void feature_table(struct rctx *c, const struct vfeatures *dev, bool have_dev,
			  const struct vfeatures *drv, bool have_drv, const char *drv_why)
{
	unsigned nbits = 32 * ((have_dev && dev->nwords > (have_drv ? drv->nwords : 0))
				       ? dev->nwords
				       : (have_drv ? drv->nwords : 0));
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
	for (unsigned bit = 0; bit < nbits; bit++)
		if ((have_dev && vfeatures_has(dev, bit)) || (have_drv && vfeatures_has(drv, bit)))
			feature_row(c, t, bit, dev, have_dev, drv, have_drv, drv_why);
}

/* The driver's features: the registers when they can be read, else what
 * the kernel driver negotiated (sysfs). */
static bool driver_features(struct rctx *c, struct vfeatures *f, char *why, size_t len)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};

	snprintf(why, len, "driver features not read: %s",
		 vdev_regs_readable(v) ? "" : rctx_regs_why(c));

	/* The legacy header needs no selector for this; the modern one
	 * refuses with VX_PERM when selectors may not be written. */
	if (vdev_regs_readable(v)) {
		if (vdev_feature_words(v, true, f, &e) == 0) {
			feature_keys(c->root, "driver_features", "Driver features",
				     "driver_features_ex", "Driver features (all)", f);
			r_str(c->root, "driver_features_source", "Driver features source",
			      "registers");
			return true;
		}
		if (e.code != VX_PERM)
			rctx_note_cat(c, "driver features not read: ", e.msg);
		snprintf(why, len, "driver features not read: %s", e.msg);
	}
	if (c->have_lv && c->lv.has_features) {
		rctx_sysfs_feature_words(c, f);
		feature_keys(c->root, "driver_features", "Driver features", "driver_features_ex",
			     "Driver features (all)", f);
		r_str(c->root, "driver_features_source", "Driver features source", "sysfs");
		return true;
	}
	if (!c->s->dump_file)
		snprintf(why + strlen(why), len - strlen(why), "%s",
			 c->have_lv ? "; sysfs has no features file for the virtio device"
				    : "; the device is not in sysfs");
	r_unknown(c->root, "driver_features", "Driver features", why);
	r_unknown(c->root, "driver_features_ex", "Driver features (all)", why);
	return false;
}

void report_features(struct rctx *c)
{
	struct vfeatures dev, drv;
	bool have_dev = rctx_device_feature_words(c, &dev), have_drv;
	char drv_why[1024];

	if (have_dev) {
		feature_keys(c->root, "device_features", "Device features", "device_features_ex",
			     "Device features (all)", &dev);
	} else {
		r_unknown(c->root, "device_features", "Device features",
			  rctx_device_features_why(c));
		r_unknown(c->root, "device_features_ex", "Device features (all)",
			  rctx_device_features_why(c));
	}
	have_drv = driver_features(c, &drv, drv_why, sizeof(drv_why));
	feature_table(c, &dev, have_dev, &drv, have_drv, drv_why);
}
