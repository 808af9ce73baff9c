/* The session: the one place that holds mutable state — options, the PCI
 * system handle, open devices, and (in the shell) the current device. */
#ifndef VIRTIOCTL_CLI_SESSION_H
#define VIRTIOCTL_CLI_SESSION_H

#include <stdbool.h>

#include "format/render.h"
#include "pci/system.h"
#include "virtio/vdev.h"

#define SESSION_MAX_DEVICES 8

struct sdev {
	struct pdev *pci;
	struct vdev v;
	bool bound; /* bound to a kernel driver other than vfio-pci */
};

struct session {
	struct render_opts out;
	bool select;             /* --select: selector writes on bound devices */
	bool force;              /* --force: writes on bound devices */
	const char *dump_file;   /* -F */
	const char *sysfs_root;  /* "/sys"; VIRTIOCTL_SYSFS overrides (tests) */
	struct psys *sys;        /* opened on first use */
	struct sdev *dev[SESSION_MAX_DEVICES];
	unsigned ndev;
	char current[PCI_ADDR_STRLEN]; /* shell: device set by `open`, or "" */
};

void session_init(struct session *s);
void session_fini(struct session *s);
int session_system(struct session *s, struct psys **out, struct verr *e);
/* Opens (or returns the already open) virtio device at `addr` ("" or NULL
 * means the current device), applying the write policy: no writes to a
 * device bound to a kernel driver unless --force, selector writes only with
 * --select; unbound devices are writable. */
int session_device(struct session *s, const char *addr, struct sdev **out, struct verr *e);

#endif
