/* `irqs` and `vendor`: read-only reports of one device (report_irqs.c,
 * report_vendor.c), with the identity header like the other views. */
#include "commands_impl.h"

#include "report.h"

static int show_one(struct session *s, const struct cmd_args *a, struct rnode **out,
		    void (*section)(struct rctx *c), struct verr *e)
{
	struct sdev *d;
	struct rctx c;

	if (session_device(s, a->argc > 0 ? a->argv[0] : NULL, &d, e))
		return -1;
	*out = r_new_root();
	rctx_init(&c, s, d, *out);
	report_identity(&c);
	section(&c);
	rctx_finish(&c);
	return 0;
}

CMD_HANDLER(cmd_irqs)
{
	return show_one(s, a, out, report_irqs, e);
}

/* `vendor` says so when nothing matched; `dump` just leaves the key out. */
static void vendor_section(struct rctx *c)
{
	const struct pdev *p = c->d->pci;

	report_vendor(c);
	if (r_find(c->root, "vendor"))
		return;
	r_obj(c->root, "vendor", "Vendor extensions");
	rctx_note(c, "no vendor extension knows PCI %04x:%04x subsystem %04x:%04x", p->vendor,
		  p->device, p->subsys_vendor, p->subsys_device);
}

CMD_HANDLER(cmd_vendor)
{
	return show_one(s, a, out, vendor_section, e);
}
