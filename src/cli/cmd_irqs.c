/* `irqs` and `vendor`: read-only reports of one device (report_irqs.c,
 * report_vendor.c), with the identity header like the other views. */
#include "cli/commands_impl.h"

#include "cli/report.h"

CMD_HANDLER(cmd_irqs)
{
	SHOW(report_irqs);
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
	SHOW(vendor_section);
}
