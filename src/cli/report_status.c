/* Device status and queue count: from the registers when they can be read,
 * else the kernel driver's view from sysfs, and the report says which. */
#include "cli/report.h"

static void add_status(struct rnode *o, uint8_t status, const char *source)
{
	r_status(o, "device_status", "Status", status);
	r_str(o, "device_status_source", "Status source", source);
}

void report_status(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	uint8_t status;
	unsigned nq;

	if (!vdev_regs_readable(v)) {
		rctx_note_cat(c, "registers not read: ", rctx_regs_why(c));
		snprintf(e.msg, sizeof(e.msg), "registers not read: %s", rctx_regs_why(c));
	} else if (v->ops->get_status(v, &status, &e)) {
		rctx_note_cat(c, "device status not read: ", e.msg);
	} else {
		add_status(c->root, status, "registers");
		if (status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			rctx_note(c, "the device has set DEVICE_NEEDS_RESET");
		if (v->ops->get_num_queues(v, &nq, &e) == 0)
			r_uint(c->root, "num_queues", "Queues", nq, NULL);
		return;
	}
	if (c->have_lv && c->lv.has_status)
		add_status(c->root, (uint8_t)c->lv.status, "sysfs");
	else
		r_unknownf(c->root, "device_status", "Status", "%s%s", e.msg,
			   c->s->dump_file ? ""
					   : "; sysfs has no status file for the virtio device");
}
