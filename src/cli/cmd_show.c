/* The read-only device commands: caps, common, features, config, dump,
 * and `status` without a step. Each is the identity header plus sections. */
#include "cli/commands_impl.h"

#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "virtio/ids.h"

int cmd_caps(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_caps);
}

int cmd_common(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_status, report_common);
}

/* `features DEV` without an action; `set` and `negotiate` are cmd_drive.c's. */
int cmd_features(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_features);
}

int cmd_config(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_config);
}

/* `status DEV` without a step; steps are cmd_drive.c's. */
int cmd_status(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_status);
}

static const section_fn dump_sections[] = {
	report_linux,  report_caps,   report_status, report_features,
	report_common, report_config, report_vendor,
};

int report_dump(struct session *s, const char *addr, struct rnode **out, struct verr *e)
{
	char *argv[] = {(char *)addr, NULL};
	struct cmd_args a = {.argc = 1, .argv = argv};

	return report_show(s, &a, out, dump_sections,
			   sizeof(dump_sections) / sizeof(dump_sections[0]), true, e);
}

const char *every_skip_why(const struct session *s, const struct psys_entry *p)
{
	if (session_on_host(s) && strcmp(p->driver, "vfio-pci") == 0)
		return "bound to vfio-pci: opening it would reset it (name it to open it)";
	return NULL;
}

/* A function dump --all leaves out, and why. */
static void skipped(struct rnode *arr, const char *addr, const char *why)
{
	struct rnode *o = r_obj(arr, NULL, NULL);

	r_str(o, "address", "address", addr);
	r_str(o, "reason", "reason", why);
}

/* One function into `devices`, or into `skipped` when it cannot be
 * dumped; the device is closed again, so any number of them fit. */
static void dump_one(struct session *s, const struct psys_entry *p, struct rnode *devs,
		     struct rnode *skip)
{
	char addr[PCI_ADDR_STRLEN];
	unsigned keep = s->ndev;
	const char *why = every_skip_why(s, p);
	struct verr e = {0};
	struct rnode *r = NULL;

	pci_addr_format(&p->addr, addr);
	if (why) {
		skipped(skip, addr, why);
		return;
	}
	if (report_dump(s, addr, &r, &e) == 0 && r_complete(r)) {
		r->flags |= RF_DOC; /* each device is a `dump` document */
		r_move(r, devs);
	} else
		skipped(skip, addr, e.msg[0] ? e.msg : "out of memory");
	if (r && r->parent != devs)
		r_free(r);
	session_drop_last(s, keep);
}

static int dump_all(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	struct psys_entry *ents = NULL;
	struct rnode *devs, *skip;
	struct psys *sys;
	size_t n = 0;

	if (a->argc)
		return verr_set(e, VX_USAGE, "dump --all takes no device");
	if (session_system(s, &sys, e) || psys_scan(sys, &ents, &n, e))
		return -1;
	*out = r_new_root();
	devs = r_arr(*out, "devices", "Devices", 0);
	skip = r_arr(*out, "skipped", "Skipped", RF_TABLE);
	for (size_t i = 0; i < n; i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			dump_one(s, &ents[i], devs, skip);
	free(ents);
	return 0;
}

int cmd_dump(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	if (a->opt[DUMP_ALL].given)
		return dump_all(s, a, out, e);
	return report_show(s, a, out, dump_sections,
			   sizeof(dump_sections) / sizeof(dump_sections[0]), true, e);
}
