/* Vendor extension sections (virtio/vendor.h): one object per matching
 * extension under "vendor", keyed by the extension. Nothing when none
 * matches, so `dump` of an ordinary device is unchanged. */
#include "cli/report.h"

#include "virtio/vendor.h"

#define MAX_MATCHES 8

static void one_extension(struct rctx *c, struct rnode *parent, const struct vendor_ext *x)
{
	struct rnode *scratch = r_new_root();
	struct rnode *o = r_obj(scratch, x->key, x->name);
	struct verr e = {0};

	r_str(o, "name", "Name", x->name);
	if (x->decode(&c->d->v, o, &e) == 0) {
		r_move(o, parent);
	} else {
		rctx_note(c, "vendor.%s not decoded: %s", x->key, e.msg);
		r_unknown(parent, x->key, x->name, e.msg);
	}
	r_free(scratch);
}

void report_vendor(struct rctx *c)
{
	const struct vendor_ext *m[MAX_MATCHES];
	size_t n = vendor_match(c->d->pci, m, MAX_MATCHES);
	struct rnode *o;

	if (!n)
		return;
	o = r_obj(c->root, "vendor", "Vendor extensions");
	for (size_t i = 0; i < n; i++)
		if (!r_find(o, m[i]->key))
			one_extension(c, o, m[i]);
}
