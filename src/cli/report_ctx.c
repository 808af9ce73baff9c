#include "cli/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"

void rctx_init(struct rctx *c, struct session *s, struct sdev *d, struct rnode *root)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->d = d;
	c->root = root;
	c->scratch = r_new_root();
	c->notes = r_arr(c->scratch, "notes", "Notes", RF_LINES);
	/* Only the host's functions have a Linux side (not -F, not --simulate). */
	if (session_sysfs_root(s)) {
		struct linux_view_hint h = {d->pci->driver_known ? d->pci->driver : NULL,
					    pdev_sysfs_dirfd(d->pci)};

		c->have_lv = linux_view_read_in(session_sysfs_root(s), &d->pci->addr,
						session_virtio_index(s), &h, &c->lv) == 0;
	}
}

void rctx_finish(struct rctx *c)
{
	if (c->notes->child)
		r_move(c->notes, c->root);
	r_free(c->scratch);
	c->scratch = c->notes = NULL;
}

#define NOTE_MAX 512

static void note_add(struct rctx *c, const char *note)
{
	for (const struct rnode *n = c->notes->child; n; n = n->next)
		if (strcmp(n->v.s, note) == 0)
			return;
	r_str(c->notes, NULL, NULL, note);
}

void rctx_note(struct rctx *c, const char *fmt, ...)
{
	char buf[NOTE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note_add(c, buf);
}

void rctx_note_cat(struct rctx *c, const char *what, const char *why)
{
	char buf[NOTE_MAX];

	str_concat(buf, sizeof(buf), what, why, NULL);
	note_add(c, buf);
}

/* What would reach registers that cannot be reached now: only the CLI
 * knows its flags, so the hint is added here. */
static const char *regs_hint(struct rctx *c)
{
	const struct vdev *v = &c->d->v;

	if (c->s->dump_file)
		return "";
	if (v->caps.pci.unreadable[0])
		return "";
	if (v->caps.pci_cfg >= 0 && v->ops != &virtio_legacy_ops && !c->s->select && !c->s->force &&
	    c->d->pci->driver[0])
		return "; --select reads them through the PCI configuration access capability "
		       "(the PCI-config window)";
	if (v->caps.pci_cfg >= 0 && v->ops != &virtio_legacy_ops && !c->d->pci->writable)
		return "; the PCI-config window needs config writes, refused on this device";
	return "";
}

const char *rctx_regs_why(struct rctx *c)
{
	str_concat(c->regs_why, sizeof(c->regs_why), c->d->v.regs_why, regs_hint(c), NULL);
	return c->regs_why;
}

void rctx_missing(struct rctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->missing[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->missing, sizeof(c->missing), fmt, ap);
	va_end(ap);
}

bool rctx_device_features(struct rctx *c, uint64_t *f)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};

	if (c->devf_state == 0) {
		if (!vdev_regs_readable(v))
			str_concat(c->devf_why, sizeof(c->devf_why),
				   "registers not read: ", rctx_regs_why(c), NULL);
		else if (vdev_feature_words(v, false, &c->devfx, &e))
			str_concat(c->devf_why, sizeof(c->devf_why),
				   "device features not read: ", e.msg, NULL);
		else
			c->devf_state = 1;
		c->devf = vfeatures_low64(&c->devfx);
		if (c->devf_state == 0) {
			c->devf_state = -1;
			rctx_note_cat(c, "", c->devf_why);
		}
	}
	*f = c->devf;
	return c->devf_state == 1;
}

bool rctx_device_feature_words(struct rctx *c, struct vfeatures *f)
{
	uint64_t low;
	bool ok = rctx_device_features(c, &low);

	*f = c->devfx;
	return ok;
}

/* What the kernel printed in sysfs, as feature words. */
void rctx_sysfs_feature_words(struct rctx *c, struct vfeatures *f)
{
	unsigned n = (c->lv.features_nbits + 31) / 32;

	memset(f, 0, sizeof(*f));
	f->nwords = n < 2 ? 2 : n > VIRTIO_FEATURE_WORDS ? VIRTIO_FEATURE_WORDS : n;
	f->w[0] = (uint32_t)c->lv.features;
	f->w[1] = (uint32_t)(c->lv.features >> 32);
	f->w[2] = (uint32_t)c->lv.features_hi;
	f->w[3] = (uint32_t)(c->lv.features_hi >> 32);
	if (c->lv.features_above_127)
		rctx_note(c, "sysfs: the kernel sets feature bits above 127, which are not shown");
}

const char *rctx_device_features_why(struct rctx *c)
{
	return c->devf_state == -1 ? c->devf_why : "";
}

int report_show(struct session *s, const struct cmd_args *a, struct rnode **out,
		const section_fn *sections, size_t n, bool partial, struct verr *e)
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
	if (c.missing[0] && !partial) {
		char addr[PCI_ADDR_STRLEN];

		r_free(*out);
		*out = NULL;
		pci_addr_format(&d->pci->addr, addr);
		return verr_set(e, VX_UNAVAILABLE, "%s: %s", addr, c.missing);
	}
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

	return r_annot_str(r_uint(o, key, label, status, "0x%02x"),
			   virtio_status_str(status, names, sizeof(names)));
}
