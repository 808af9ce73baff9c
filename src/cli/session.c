#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->sysfs_root = getenv("VIRTIOCTL_SYSFS");
	if (!s->sysfs_root || !*s->sysfs_root)
		s->sysfs_root = "/sys";
}

void session_fini(struct session *s)
{
	for (unsigned i = 0; i < s->ndev; i++) {
		pdev_close(s->dev[i]->pci);
		free(s->dev[i]);
	}
	s->ndev = 0;
	psys_close(s->sys);
	s->sys = NULL;
}

int session_system(struct session *s, struct psys **out, struct verr *e)
{
	if (!s->sys)
		s->sys = s->dump_file ? psys_open_dump(s->dump_file, e)
				      : psys_open_live(s->sysfs_root, e);
	*out = s->sys;
	return s->sys ? 0 : -1;
}

static bool is_bound(const struct pdev *p)
{
	return p->driver[0] && strcmp(p->driver, "vfio-pci") != 0;
}

/* The write policy, in one place: see session.h. */
static void apply_policy(struct session *s, struct sdev *d)
{
	char why[192];

	d->bound = is_bound(d->pci);
	if (s->dump_file) {
		pdev_allow_writes(d->pci, false, "config space only (-F dump file)");
		vdev_allow_select(&d->v, false, "feature words and queue registers need a live "
						"device (-F gives config space only)");
		return;
	}
	if (!d->bound) {
		pdev_allow_writes(d->pci, true, NULL);
		vdev_allow_select(&d->v, true, NULL);
		return;
	}
	snprintf(why, sizeof(why),
		 "the device is bound to kernel driver %s (unbind it, or pass --force)",
		 d->pci->driver);
	pdev_allow_writes(d->pci, s->force || s->select, why);
	vdev_allow_select(&d->v, s->force || s->select,
			  "device bound to a driver: feature words and queue registers need "
			  "selector writes (pass --select to read them; it restores the selectors)");
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
	struct psys *sys;
	struct sdev *d;

	if (!addr || !*addr)
		addr = s->current;
	if (!*addr)
		return verr_set(e, VX_USAGE, "no device given (and none open)");
	if (!pci_addr_parse(addr, &a))
		return verr_set(e, VX_USAGE,
				"'%s' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)", addr);
	*out = find_open(s, &a);
	if (*out)
		return 0;
	if (s->ndev >= SESSION_MAX_DEVICES)
		return verr_set(e, VX_FAIL, "too many open devices (close one first)");
	if (session_system(s, &sys, e))
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return verr_set(e, VX_FAIL, "out of memory");
	if (psys_open_device(sys, &a, &d->pci, e) || vdev_open(d->pci, &d->v, e)) {
		pdev_close(d->pci);
		free(d);
		return -1;
	}
	apply_policy(s, d);
	s->dev[s->ndev++] = d;
	*out = d;
	return 0;
}
