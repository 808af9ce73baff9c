/* `list`: every virtio-pci function on the system (or in the -F dump). */
#include "cli/commands_impl.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/report.h"
#include "linux/resources.h"
#include "linux/view.h"
#include "virtio/ids.h"

/* Transitional and legacy share PCI IDs; only the capabilities tell, and
 * without them (64 bytes of config space) the transport is unknown. */
static void list_transport(struct psys *sys, const struct psys_entry *p, struct rnode *row)
{
	struct pdev *d = NULL;
	struct vcaps caps;
	struct verr e = {0};

	if (virtio_pci_classify(p->vendor, p->device) == VPCI_ID_MODERN) {
		r_str(row, "transport", "transport", vdev_kind_name(VDEV_MODERN));
	} else if (psys_open_caps(sys, &p->addr, &d, &e) || vcaps_walk(d, &caps, &e)) {
		r_unknown(row, "transport", "transport", e.msg);
	} else {
		enum vdev_kind k = vdev_kind_of(d, &caps);

		if (k == VDEV_KIND_UNKNOWN)
			r_unknown(row, "transport", "transport", caps.pci.unreadable);
		else
			r_str(row, "transport", "transport", vdev_kind_name(k));
	}
	pdev_close(d);
}

/* What the virtio driver created (eth0, vda...): the objects of dump's
 * linux.resources, their names in one text cell; [] when there are none. */
static void list_resources(struct session *s, const struct psys_entry *p,
			   const struct linux_view *lv, struct rnode *row)
{
	struct linux_resources res = {0};

	if (s->dump_file) {
		r_unknown(row, "resources", "created", DUMP_NO_LINUX);
		return;
	}
	if (lv)
		linux_resources_read(session_sysfs_root(s), &p->addr, lv, true, &res);
	report_resource_rows(r_arr(row, "resources", "created", RF_NAMES), &res);
}

static void list_row(struct session *s, struct psys *sys, struct rnode *t,
		     const struct psys_entry *p)
{
	int id = virtio_pci_device_type(p->device, p->subsys_device);
	struct rnode *row = r_obj(t, NULL, NULL);
	char addr[PCI_ADDR_STRLEN], pci_id[PCI_ID_STRLEN];
	struct linux_view lv;
	const char *root = session_sysfs_root(s); /* NULL: -F, --simulate */
	/* the names are all `list` shows of it */
	struct linux_view_hint h = {p->driver, -1};
	bool have_lv = root && linux_view_read_names_in(root, &p->addr, session_virtio_index(s), &h,
							&lv) == 0;

	pci_addr_format(&p->addr, addr);
	r_str(row, "address", "address", addr);
	r_str(row, "pci_id", "pci id", pci_id_format(p->vendor, p->device, pci_id));
	r_int(row, "virtio_device_id", "id", id);
	r_str(row, "virtio_device_type", "type",
	      id >= 0 ? virtio_type_name((unsigned)id) : "unknown");
	list_transport(sys, p, row);
	if (s->dump_file) {
		r_unknown(row, "driver", "driver", DUMP_NO_LINUX);
		r_unknown(row, "virtio_bus_device", "virtio", DUMP_NO_LINUX);
	} else {
		r_str(row, "driver", "driver", p->driver[0] ? p->driver : NULL);
		r_str(row, "virtio_bus_device", "virtio",
		      have_lv && lv.has_virtio_dev ? lv.virtio_dev : NULL);
	}
	list_resources(s, p, have_lv ? &lv : NULL, row);
}

CMD_HANDLER(cmd_list)
{
	struct psys_entry *ents = NULL;
	struct psys *sys;
	size_t n = 0;

	(void)a;
	if (session_system(s, &sys, e) || psys_scan(sys, &ents, &n, e))
		return -1;
	*out = r_new_root_array(RF_TABLE);
	for (size_t i = 0; i < n; i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			list_row(s, sys, *out, &ents[i]);
	free(ents);
	return 0;
}
