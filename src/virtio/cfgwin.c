#include "virtio/cfgwin.h"

#include <stdlib.h>

/* struct virtio_pci_cfg_cap: cap.bar at +4, cap.offset at +8, cap.length
 * at +12, pci_cfg_data at +16. */
enum { WIN_BAR = 4, WIN_OFFSET = 8, WIN_LENGTH = 12, WIN_DATA = 16 };

struct cfgwin {
	const struct pdev_ops *inner_ops;
	void *inner_priv;
	unsigned cap;
};

static int inner_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			  struct verr *e)
{
	struct cfgwin *w = d->priv;
	int rc;

	d->priv = w->inner_priv;
	rc = w->inner_ops->cfg_read(d, off, width, val, e);
	d->priv = w;
	return rc;
}

static int inner_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			   struct verr *e)
{
	struct cfgwin *w = d->priv;
	int rc;

	if (!w->inner_ops->cfg_write)
		return verr_set(e, VX_UNAVAILABLE, "config space is read-only here");
	d->priv = w->inner_priv;
	rc = w->inner_ops->cfg_write(d, off, width, val, e);
	d->priv = w;
	return rc;
}

static int select_window(struct pdev *d, unsigned bar, uint64_t off, unsigned width, struct verr *e)
{
	struct cfgwin *w = d->priv;

	if (width > 4 || off > 0xffffffffu)
		return verr_set(e, VX_FAIL,
				"the config window carries 1, 2 or 4 bytes below 4 GiB");
	return inner_cfg_write(d, w->cap + WIN_BAR, 1, bar, e) ||
	       inner_cfg_write(d, w->cap + WIN_OFFSET, 4, (uint32_t)off, e) ||
	       inner_cfg_write(d, w->cap + WIN_LENGTH, 4, width, e);
}

static int win_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			struct verr *e)
{
	struct cfgwin *w = d->priv;
	uint32_t v;

	if (select_window(d, bar, off, width, e) ||
	    inner_cfg_read(d, w->cap + WIN_DATA, width, &v, e))
		return -1;
	*val = v;
	return 0;
}

static int win_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			 struct verr *e)
{
	struct cfgwin *w = d->priv;

	return select_window(d, bar, off, width, e) ||
	       inner_cfg_write(d, w->cap + WIN_DATA, width, (uint32_t)val, e);
}

static bool win_present(struct pdev *d)
{
	struct cfgwin *w = d->priv;
	bool rc = true;

	if (w->inner_ops->present) {
		d->priv = w->inner_priv;
		rc = w->inner_ops->present(d);
		d->priv = w;
	}
	return rc;
}

static void win_close(struct pdev *d)
{
	struct cfgwin *w = d->priv;

	d->ops = w->inner_ops;
	d->priv = w->inner_priv;
	free(w);
	if (d->ops->close)
		d->ops->close(d);
}

static const struct pdev_ops cfgwin_ops = {
	.name = "cfg-window",
	.cfg_read = inner_cfg_read,
	.cfg_write = inner_cfg_write,
	.bar_read = win_bar_read,
	.bar_write = win_bar_write,
	.close = win_close,
	.present = win_present,
};

int cfgwin_wrap(struct pdev *d, unsigned cap_offset, struct verr *e)
{
	struct cfgwin *w;

	if (cfgwin_active(d))
		return 0;
	if (cap_offset < 0x40 || cap_offset + WIN_DATA + 4 > d->cfg_size)
		return verr_set(e, VX_DEVICE, "config window capability at 0x%x is out of range",
				cap_offset);
	w = calloc(1, sizeof(*w));
	if (!w)
		return verr_set(e, VX_FAIL, "out of memory");
	*w = (struct cfgwin){d->ops, d->priv, cap_offset};
	d->ops = &cfgwin_ops;
	d->priv = w;
	/* The window reaches BARs the mapping could not. */
	d->bar_why[0] = '\0';
	return 0;
}

bool cfgwin_active(const struct pdev *d)
{
	return d->ops == &cfgwin_ops;
}
