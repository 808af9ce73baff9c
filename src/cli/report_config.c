/* `config`: the device-specific configuration, decoded by the device
 * type's layout table, or as a hex dump for unknown types. */
#include "cli/report.h"

#include <stdlib.h>

#include "virtio/devcfg.h"

void report_config(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	const struct cfg_layout *l =
		v->device_id >= 0 ? virtio_cfg_layout((unsigned)v->device_id) : NULL;
	uint8_t *buf = calloc(1, VDEV_CONFIG_MAX);
	struct verr e = {0};
	unsigned len = 0;
	uint64_t devf = 0;
	bool have_devf;
	struct rnode *o;

	if (!vdev_regs_readable(v)) {
		rctx_note_cat(c, "registers not read: ", rctx_regs_why(c));
		r_unknown_cat(c->root, "config", "Device configuration",
			      "registers not read: ", rctx_regs_why(c));
		rctx_missing(c, "device configuration not readable: %s", rctx_regs_why(c));
		free(buf);
		return;
	}
	/* the offered features first: the fields of the others are not read */
	have_devf = rctx_device_features(c, &devf);
	if (!buf || vdev_read_config_offered(v, &(struct vdev_offer){have_devf, devf}, buf,
					     VDEV_CONFIG_MAX, &len, &e)) {
		if (buf)
			rctx_note_cat(c, "device configuration not read: ", e.msg);
		r_unknown(c->root, "config", "Device configuration", buf ? e.msg : "out of memory");
		free(buf);
		return;
	}
	o = r_obj(c->root, "config", "Device configuration");
	r_uint(o, "region_length", "Region length", len, "%u bytes");
	if (l)
		virtio_cfg_decode(l, buf, len, devf, have_devf, o);
	else
		virtio_cfg_hexdump(buf, len, o);
	free(buf);
}
