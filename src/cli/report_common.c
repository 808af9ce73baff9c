/* `common`: every common_cfg field the capability's length covers, then
 * each queue's registers (which need queue_select writes). */
#include "report.h"

#include "virtio/common_cfg.h"
#include "virtio/modern.h"

static void report_fields(struct rctx *c, struct rnode *o, uint64_t cap_len)
{
	struct vdev *v = &c->d->v;

	for (size_t i = 0; i < common_fields_count; i++) {
		const struct common_field *f = &common_fields[i];
		struct verr e = {0};
		uint64_t val;

		if (f->off + f->width > cap_len)
			break;
		if (modern_common_read(v, f->off, f->width, &val, &e)) {
			r_null(o, f->key, NULL);
			rctx_note(c, "%s not read: %s", f->key, e.msg);
			continue;
		}
		r_uint(o, f->key, NULL, val, f->fmt);
	}
}

/* The notify address of a queue is cap offset + queue_notify_off *
 * notify_off_multiplier; it must leave room for a 16-bit write inside the
 * notify structure (Linux vp_modern_map_vq_notify). */
static void notify_cell(struct rctx *c, struct rnode *row, uint16_t notify_off)
{
	const struct vcaps *caps = &c->d->v.caps;
	const struct vcap *n = caps->notify >= 0 ? &caps->v[caps->notify] : NULL;
	uint64_t off;

	if (!n) {
		r_null(row, "notify_offset", "notify");
		return;
	}
	off = (uint64_t)notify_off * n->notify_off_multiplier;
	if (off + 2 > n->length) {
		r_null(row, "notify_offset", "notify");
		rctx_note(c, "queue_notify_off %u x multiplier %u lies outside the %llu-byte notify "
			     "structure",
			  notify_off, n->notify_off_multiplier, (unsigned long long)n->length);
		return;
	}
	r_uint(row, "notify_offset", "notify", n->bar_offset + off, "0x%llx");
}

static void queue_row(struct rctx *c, struct rnode *t, unsigned q, const struct vq_regs *r)
{
	struct rnode *row = r_obj(t, NULL, NULL);

	r_uint(row, "index", "queue", q, NULL);
	r_uint(row, "size", "size", r->size, NULL);
	r_bool(row, "enabled", "enabled", r->enable != 0);
	r_uint(row, "msix_vector", "msix", r->msix_vector, "0x%04x");
	r_uint(row, "notify_off", "notify_off", r->notify_off, NULL);
	notify_cell(c, row, r->notify_off);
	r_uint(row, "desc", "desc", r->desc, "0x%llx");
	r_uint(row, "driver", "driver", r->driver, "0x%llx");
	r_uint(row, "device", "device", r->device, "0x%llx");
}

static void report_queues(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	struct rnode *t;
	unsigned nq;

	if (!v->can_select) {
		rctx_note(c, "queues not read: %s", v->select_why);
		r_null(c->root, "queues", "Queues");
		return;
	}
	if (v->ops->get_num_queues(v, &nq, &e)) {
		rctx_note(c, "queues not read: %s", e.msg);
		r_null(c->root, "queues", "Queues");
		return;
	}
	t = r_arr(c->root, "queues", "Queues", RF_TABLE);
	for (unsigned q = 0; q < nq; q++) {
		struct vq_regs r;

		if (v->ops->get_queue(v, q, &r, &e)) {
			rctx_note(c, "queue %u not read: %s", q, e.msg);
			break;
		}
		queue_row(c, t, q, &r);
	}
}

void report_common(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	const struct vcap *cap;
	struct rnode *o;

	if (!vdev_regs_readable(v)) {
		rctx_note(c, "registers not read: %s", v->regs_why);
		r_null(c->root, "common_cfg", "Common configuration");
		r_null(c->root, "queues", "Queues");
		return;
	}
	cap = &v->caps.v[v->caps.common];
	o = r_obj(c->root, "common_cfg", "Common configuration");
	r_strf(o, "location", "Location", "BAR %u + 0x%llx, %llu bytes", cap->bar,
	       (unsigned long long)cap->bar_offset, (unsigned long long)cap->length);
	report_fields(c, o, cap->length);
	report_queues(c);
}
