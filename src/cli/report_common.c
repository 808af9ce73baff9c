/* `common`: every common_cfg field the capability's length covers, then
 * each queue's registers (which need queue_select writes). */
#include "cli/report.h"

#include "virtio/common_cfg.h"
#include "virtio/legacy_regs.h"
#include "virtio/modern.h"

/* num_queues comes from the device: all-ones (0xffff) when it was
 * surprise-removed, anything when it is broken. Each queue costs a dozen
 * register accesses, so only this many are read (report_irqs.c's limit). */

/* Fields from 0x38 on exist only with their feature (virtio 1.3
 * 4.1.4.3): a device that does not offer it may leave junk there, so the
 * field is shown as not offered, not as a value. Unknown offered
 * features (a bound device's selector registers): shown as read. */
static bool not_offered(struct rctx *c, const struct common_field *f)
{
	uint64_t offered;

	return f->feature && rctx_device_features(c, &offered) && !(offered >> f->feature & 1);
}

static void report_fields(struct rctx *c, struct rnode *o, uint64_t cap_len)
{
	struct vdev *v = &c->d->v;
	bool unreachable = false;

	for (size_t i = 0; i < common_fields_count; i++) {
		const struct common_field *f = &common_fields[i];
		struct verr e = {0};
		uint64_t val;

		if (f->off + f->width > cap_len)
			break;
		if (not_offered(c, f)) {
			r_annot(r_null(o, f->key, NULL), "not offered");
			continue;
		}
		/* an unreachable BAR fails every field the same way: say it once */
		if (unreachable || modern_common_read(v, f->off, f->width, &val, &e)) {
			r_unknown(o, f->key, NULL, e.msg);
			if (!unreachable)
				rctx_note(c, "%s not read: %s", f->key, e.msg);
			unreachable |= e.code == VX_UNAVAILABLE;
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
		r_unknown(row, "notify_offset", "notify", "no usable notify capability");
		return;
	}
	off = (uint64_t)notify_off * n->notify_off_multiplier;
	if (off + 2 > n->length) {
		r_unknown(row, "notify_offset", "notify", "outside the notify structure");
		rctx_note(c,
			  "queue_notify_off %u x multiplier %u lies outside the %llu-byte notify "
			  "structure",
			  notify_off, n->notify_off_multiplier, (unsigned long long)n->length);
		return;
	}
	r_uint(row, "notify_offset", "notify", n->bar_offset + off, "0x%llx");
}

static void queue_row(struct rctx *c, struct rnode *t, unsigned q, const struct vq_regs *r)
{
	bool legacy = c->d->v.ops->legacy_ring;
	struct rnode *row = r_obj(t, NULL, NULL);

	r_uint(row, "index", "queue", q, NULL);
	r_uint(row, "size", "size", r->size, NULL);
	r_bool(row, "enabled", "enabled", r->enable != 0);
	r_uint(row, "msix_vector", "msix", r->msix_vector, "0x%04x");
	if (legacy) {
		/* one QUEUE_NOTIFY register for every queue */
		r_null(row, "notify_off", "notify_off");
		r_uint(row, "notify_offset", "notify", LEG_QUEUE_NOTIFY, "0x%llx");
	} else {
		r_uint(row, "notify_off", "notify_off", r->notify_off, NULL);
		notify_cell(c, row, r->notify_off);
	}
	r_uint(row, "desc", "desc", r->desc, "0x%llx");
	r_uint(row, "driver", "driver", r->driver, "0x%llx");
	r_uint(row, "device", "device", r->device, "0x%llx");
}

/* QUEUE_PFN gives the descriptor table only; the avail and used rings
 * are where the legacy layout puts them, which a modern driver of a
 * transitional device need not have followed. */
static void legacy_layout_note(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	uint8_t st;

	if (!v->ops->legacy_ring || v->kind != VDEV_TRANSITIONAL ||
	    v->ops->get_status(v, &st, NULL) || !(st & VIRTIO_STATUS_FEATURES_OK))
		return;
	rctx_note(c, "queues: read through the legacy header, which has the descriptor address "
		     "only (QUEUE_PFN); driver and device areas are where the legacy layout puts "
		     "them, but a modern driver (FEATURES_OK is set) may have placed them "
		     "elsewhere: --transport modern shows its registers");
}

static void report_queues(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	struct rnode *t = NULL;
	unsigned nq;

	if (!v->can_select) {
		rctx_note_cat(c, "queues not read: ", v->select_why);
		r_unknown(c->root, "queues", "Queues", v->select_why);
		return;
	}
	if (v->ops->get_num_queues(v, &nq, &e)) {
		rctx_note_cat(c, "queues not read: ", e.msg);
		r_unknown(c->root, "queues", "Queues", e.msg);
		return;
	}
	legacy_layout_note(c);
	if (nq > VDEV_MAX_QUEUES) {
		rctx_note(c, "queues: the device reports %u; only the first %u are read", nq,
			  VDEV_MAX_QUEUES);
		nq = VDEV_MAX_QUEUES;
	}
	for (unsigned q = 0; q < nq; q++) {
		struct vq_regs r;

		if (v->ops->get_queue(v, q, &r, &e)) {
			rctx_note(c, "queue %u not read: %s", q, e.msg);
			/* not one queue read: unknown, not an empty table */
			if (q == 0) {
				r_unknown(c->root, "queues", "Queues", e.msg);
				return;
			}
			break;
		}
		if (q == 0)
			t = r_arr(c->root, "queues", "Queues", RF_TABLE);
		queue_row(c, t, q, &r);
	}
	if (nq == 0)
		r_arr(c->root, "queues", "Queues", RF_TABLE);
}

void report_location(struct rnode *parent, unsigned bar, uint64_t offset, uint64_t length)
{
	struct rnode *l = r_obj(parent, "location", "Location");

	r_uint(l, "bar", "BAR", bar, NULL);
	r_uint(l, "bar_offset", "Offset", offset, "0x%llx");
	r_uint(l, "length", "Length", length, NULL);
}

void report_common(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	const struct vcap *cap;
	struct rnode *o;

	if (!vdev_regs_readable(v)) {
		const char *why = rctx_regs_why(c);

		rctx_note_cat(c, "registers not read: ", why);
		r_unknown_cat(c->root, "common_cfg", "Common configuration",
			      "registers not read: ", why);
		r_unknown_cat(c->root, "queues", "Queues", "registers not read: ", why);
		report_legacy_header(c);
		if (!r_find(c->root, "legacy_header") || !r_find(c->root, "legacy_header")->child)
			rctx_missing(c, "common configuration not readable: %s", why);
		return;
	}
	/* A legacy-only device has no common_cfg; a transitional one driven
	 * through its legacy interface still shows it (reads only). */
	if (v->caps.common >= 0) {
		cap = &v->caps.v[v->caps.common];
		o = r_obj(c->root, "common_cfg", "Common configuration");
		report_location(o, cap->bar, cap->bar_offset, cap->length);
		report_fields(c, o, cap->length);
	} else {
		r_null(c->root, "common_cfg", "Common configuration");
	}
	report_queues(c);
	report_legacy_header(c);
}
