#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/source.h"

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->errexit = true;
	s->sysfs_root = getenv("VIRTIOCTL_SYSFS");
	if (!s->sysfs_root || !*s->sysfs_root)
		s->sysfs_root = "/sys";
	s->proc_root = getenv("VIRTIOCTL_PROC");
	if (!s->proc_root || !*s->proc_root)
		s->proc_root = "/proc";
}

static void drop_virtio_index(struct session *s)
{
	linux_virtio_index_free(&s->vix);
	s->vix_tried = s->vix_ok = false;
}

void session_fini(struct session *s)
{
	for (unsigned i = 0; i < s->ndev; i++) {
		if (s->dev[i]->release)
			s->dev[i]->release(s, s->dev[i]);
		pdev_close(s->dev[i]->pci);
		free(s->dev[i]);
	}
	s->ndev = 0;
	psys_close(s->sys);
	s->sys = NULL;
	drop_virtio_index(s);
	session_set_result(s, NULL);
}

void session_settle(struct session *s)
{
	s->base = (struct session_base){s->out, s->select, s->force, s->transport};
}

void session_restore(struct session *s)
{
	s->out = s->base.out;
	s->select = s->base.select;
	s->force = s->base.force;
	s->transport = s->base.transport;
}

void session_set_result(struct session *s, struct rnode *r)
{
	if (s->last != r)
		r_free(s->last);
	s->last = r;
}

bool session_cancelled(const struct session *s)
{
	return s->cancel != 0;
}

void session_add_simulate(struct session *s, const char *spec)
{
	if (s->nsimulate < SESSION_MAX_SIMULATE)
		s->simulate[s->nsimulate] = spec;
	s->nsimulate++;
}

/* The simulator's messages name no flag: say which one they are about. */
static int simulate_error(const struct verr *local, struct verr *e)
{
	return verr_set(e, local->code, "--simulate %s", local->msg);
}

int session_check_source(const struct session *s, struct verr *e)
{
	struct sim_spec spec;
	struct verr local = {0};

	if (!s->nsimulate)
		return 0;
	if (s->dump_file)
		return verr_set(e, VX_USAGE,
				"-F and --simulate are two device sources: give one of them");
	if (s->nsimulate > SIM_MAX_DEVICES)
		return verr_set(e, VX_USAGE, "--simulate: at most %u devices (%u given)",
				SIM_MAX_DEVICES, s->nsimulate);
	for (unsigned i = 0; i < s->nsimulate; i++)
		if (sim_spec_parse(s->simulate[i], i, &spec, &local))
			return simulate_error(&local, e);
	return 0;
}

static struct psys *open_source(struct session *s, struct verr *e)
{
	struct verr local = {0};
	struct psys *sys;

	if (session_check_source(s, e))
		return NULL;
	if (s->dump_file)
		return psys_open_dump(s->dump_file, e);
	if (!s->nsimulate)
		return psys_open_live(s->sysfs_root, e);
	sys = sim_source_open(s->simulate, s->nsimulate, &local);
	if (!sys)
		simulate_error(&local, e);
	return sys;
}

int session_system(struct session *s, struct psys **out, struct verr *e)
{
	if (!s->sys) {
		s->sys = open_source(s, e);
		psys_keep_scans(s->sys, s->snapshot);
	}
	*out = s->sys;
	return s->sys ? 0 : -1;
}

const char *session_sysfs_root(const struct session *s)
{
	return s->sys ? psys_sysfs_root(s->sys) : NULL;
}

bool session_on_host(const struct session *s)
{
	return s->sys && psys_kind(s->sys) == PSYS_LIVE;
}

static bool is_bound(const struct pdev *p)
{
	return p->driver[0] && strcmp(p->driver, "vfio-pci") != 0;
}

/* What the pdev layer lets through (see session_device in session.h);
 * dispatch() decides whether a command writes at all. */
static void apply_policy(struct session *s, struct sdev *d)
{
	char why[192];

	d->bound = is_bound(d->pci);
	if (s->dump_file) {
		pdev_allow_writes(d->pci, false, "config space only (-F dump file)");
		vdev_allow_select(&d->v, false,
				  "feature words and queue registers need a live "
				  "device (-F gives config space only)");
		return;
	}
	if (!d->bound) {
		pdev_allow_writes(d->pci, true, NULL);
		vdev_allow_select(&d->v, true, NULL);
		return;
	}
	snprintf(why, sizeof(why), "the device is bound to kernel driver %s (%s, or pass --force)",
		 d->pci->driver,
		 sim_source_device(s->sys, &d->pci->addr) ? "simulated" : "unbind it");
	pdev_allow_writes(d->pci, s->force || s->select, why);
	vdev_allow_select(
		&d->v, s->force || s->select,
		"device bound to a driver: feature words and queue registers need "
		"selector writes (pass --select to read them; it restores the selectors)");
	if (s->force || s->select)
		vdev_use_window(&d->v);
}

/* --transport: which interface of a transitional device the command
 * uses (its word was checked when the option was parsed). */
static int apply_transport(struct session *s, struct sdev *d, struct verr *e)
{
	if (vdev_use_interface(&d->v, s->transport, e)) {
		verr_prefix(e, "--transport %s",
			    s->transport == VDEV_IFACE_LEGACY ? "legacy" : "modern");
		return -1;
	}
	return 0;
}

static struct sdev *find_open(struct session *s, const struct pci_addr *a)
{
	for (unsigned i = 0; i < s->ndev; i++)
		if (pci_addr_cmp(&s->dev[i]->pci->addr, a) == 0)
			return s->dev[i];
	return NULL;
}

int session_device(struct session *s, const char *addr, struct sdev **out, struct verr *e)
{
	struct pci_addr a;
	struct psys *sys = NULL;
	struct sdev *d;

	if (!addr || !*addr)
		addr = s->current;
	if (!*addr)
		return verr_set(e, VX_USAGE, "no device given (and none open)");
	if (!pci_addr_parse(addr, &a))
		return verr_set(e, VX_USAGE,
				"'%s' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)",
				addr);
	*out = find_open(s, &a);
	if (*out) {
		/* --select and --force hold for one command line in the shell. */
		apply_policy(s, *out);
		pdev_cfg_snapshot((*out)->pci, s->snapshot);
		return apply_transport(s, *out, e);
	}
	if (s->ndev >= SESSION_MAX_DEVICES)
		return verr_set(e, VX_FAIL, "too many open devices (close one first)");
	if (!s->source && session_system(s, &sys, e))
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return verr_set(e, VX_FAIL, "out of memory");
	if (s->source ? s->source->open(s->source->ctx, &a, &d->pci, e)
		      : psys_open_device(sys, &a, &d->pci, e)) {
		free(d);
		return -1;
	}
	/* before vdev_open: its capability walk is most of the reads */
	pdev_cfg_snapshot(d->pci, s->snapshot);
	if (vdev_open(d->pci, &d->v, e) || apply_transport(s, d, e)) {
		pdev_close(d->pci);
		free(d);
		return -1;
	}
	apply_policy(s, d);
	s->dev[s->ndev++] = d;
	*out = d;
	return 0;
}

void session_drop_last(struct session *s, unsigned keep)
{
	while (s->ndev > keep && !s->dev[s->ndev - 1]->release) {
		struct sdev *d = s->dev[--s->ndev];

		pdev_close(d->pci);
		free(d);
	}
}

void session_close_last(struct session *s, unsigned keep)
{
	while (s->ndev > keep) {
		struct sdev *d = s->dev[--s->ndev];

		if (d->release)
			d->release(s, d);
		pdev_close(d->pci);
		free(d);
	}
}

void session_snapshot(struct session *s, bool on)
{
	s->snapshot = on;
	psys_keep_scans(s->sys, on);
	if (on)
		return;
	for (unsigned i = 0; i < s->ndev; i++)
		pdev_cfg_snapshot(s->dev[i]->pci, false);
	drop_virtio_index(s);
}

const struct linux_virtio_index *session_virtio_index(struct session *s)
{
	if (!s->snapshot || !session_sysfs_root(s))
		return NULL;
	if (!s->vix_tried) {
		s->vix_tried = true;
		s->vix_ok = linux_virtio_index_read(session_sysfs_root(s), &s->vix) == 0;
	}
	return s->vix_ok ? &s->vix : NULL;
}
