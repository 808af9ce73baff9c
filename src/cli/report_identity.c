#include "cli/report.h"

#include "virtio/ids.h"

void report_identity(struct rctx *c)
{
	struct pdev *p = c->d->pci;
	struct vdev *v = &c->d->v;
	char addr[PCI_ADDR_STRLEN], id[PCI_ID_STRLEN];
	struct rnode *n;

	pci_addr_format(&p->addr, addr);
	r_str(c->root, "address", "Address", addr);
	/* the same key and format as in `list` */
	r_str(c->root, "pci_id", "PCI ID", pci_id_format(p->vendor, p->device, id));
	n = r_int(c->root, "virtio_device_id", "Virtio device ID", v->device_id);
	if (v->device_id >= 0)
		r_annot_str(n, virtio_type_name((unsigned)v->device_id));
	r_str(c->root, "virtio_device_type", "Device type",
	      v->device_id >= 0 ? virtio_type_name((unsigned)v->device_id) : "unknown");
	if (v->kind == VDEV_KIND_UNKNOWN)
		r_unknown(c->root, "transport", "Transport", v->caps.pci.unreadable);
	else
		r_str(c->root, "transport", "Transport", vdev_kind_name(v->kind));
	/* which of a transitional device's two interfaces the registers below
	 * were read through (--transport); with the transport unknown, none was
	 * chosen unless --transport legacy said so */
	if (v->kind == VDEV_KIND_UNKNOWN && v->ops != &virtio_legacy_ops)
		r_unknown(c->root, "interface", "Interface", v->caps.pci.unreadable);
	else
		r_str(c->root, "interface", "Interface", v->ops->name);
	n = r_obj(c->root, "pci", "PCI");
	r_uint(n, "vendor_id", "Vendor ID", p->vendor, "0x%04x");
	r_uint(n, "device_id", "Device ID", p->device, "0x%04x");
	r_uint(n, "subsystem_vendor_id", "Subsystem vendor", p->subsys_vendor, "0x%04x");
	r_uint(n, "subsystem_device_id", "Subsystem device", p->subsys_device, "0x%04x");
	if (p->revision_unread)
		r_unknown(n, "revision", "Revision",
			  "could not be read (neither config space nor the revision attribute)");
	else
		r_uint(n, "revision", "Revision", p->revision, "0x%02x");
	r_uint(n, "class", "Class", p->class_code, "0x%06x");
	r_uint(n, "config_space_size", "Config space", p->cfg_size, "%u bytes");
	/* a -F dump says nothing of drivers: unknown there, not none */
	if (c->s->dump_file)
		r_unknown(c->root, "driver", "Driver", DUMP_NO_LINUX);
	else
		r_str(c->root, "driver", "Driver", p->driver[0] ? p->driver : NULL);
	/* "none" when nothing reaches the registers: the backend's name would
	 * read as if it had */
	if (vdev_regs_readable(v))
		r_str(c->root, "register_access", "Register access", p->ops->name);
	else
		r_annot_str(r_str(c->root, "register_access", "Register access", "none"),
			    rctx_regs_why(c));
	if (c->s->dump_file)
		r_unknown(c->root, "virtio_bus_device", "Virtio bus device", DUMP_NO_LINUX);
	else
		r_str(c->root, "virtio_bus_device", "Virtio bus device",
		      c->have_lv && c->lv.has_virtio_dev ? c->lv.virtio_dev : NULL);
}
