#include "cli/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rctx_init(struct rctx *c, struct session *s, struct sdev *d, struct rnode *root)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->d = d;
	c->root = root;
	c->scratch = r_new_root();
	c->notes = r_arr(c->scratch, "notes", "Notes", RF_LINES);
	/* Only the host's functions have a Linux side (not -F, not --simulate). */
	if (session_sysfs_root(s))
		c->have_lv = linux_view_read(session_sysfs_root(s), &d->pci->addr, &c->lv) == 0;
}

void rctx_finish(struct rctx *c)
{
	if (c->notes->child)
		r_move(c->notes, c->root);
	r_free(c->scratch);
	c->scratch = c->notes = NULL;
}

void rctx_note(struct rctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const struct rnode *n = c->notes->child; n; n = n->next)
		if (strcmp(n->v.s, buf) == 0)
			return;
	r_str(c->notes, NULL, NULL, buf);
}

bool rctx_device_features(struct rctx *c, uint64_t *f)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};

	if (c->devf_state == 0) {
		if (!vdev_regs_readable(v))
			rctx_note(c, "registers not read: %s", v->regs_why);
		else if (v->ops->get_device_features(v, &c->devf, &e))
			rctx_note(c, "device features not read: %s", e.msg);
		else
			c->devf_state = 1;
		if (c->devf_state == 0)
			c->devf_state = -1;
	}
	*f = c->devf;
	return c->devf_state == 1;
}

int report_show(struct session *s, const struct cmd_args *a, struct rnode **out,
		const section_fn *sections, size_t n, struct verr *e)
{
	struct sdev *d;
	struct rctx c;

	if (session_device(s, a->argc > 0 ? a->argv[0] : NULL, &d, e))
		return -1;
	*out = r_new_root();
	rctx_init(&c, s, d, *out);
	report_identity(&c);
	for (size_t i = 0; i < n; i++)
		sections[i](&c);
	rctx_finish(&c);
	return 0;
}

struct rnode *report_device_root(struct session *s, struct sdev *d)
{
	struct rnode *root = r_new_root();
	struct rctx c;

	rctx_init(&c, s, d, root);
	report_identity(&c);
	rctx_finish(&c);
	return root;
}

struct rnode *r_status(struct rnode *o, const char *key, const char *label, uint8_t status)
{
	char names[128];

	return r_annot(r_uint(o, key, label, status, "0x%02x"), "%s",
		       virtio_status_str(status, names, sizeof(names)));
}
