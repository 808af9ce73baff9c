/* Where PCI functions come from: a device source. The running system
 * (libpci for enumeration and config space, sysfs for BARs and driver
 * bindings) and `lspci -xxx` / `-xxxx` hex dumps given with -F (config
 * space only) are implemented in pci/backend; a source outside this layer
 * (the simulator) brings its own struct psys_ops to psys_new(). */
#ifndef VIRTIOCTL_PCI_SYSTEM_H
#define VIRTIOCTL_PCI_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/addr.h"
#include "pci/device.h"
#include "util/err.h"

struct psys;

struct psys_entry {
	struct pci_addr addr;
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	char driver[64]; /* "" when none, or unknown (dump file) */
};

/* What a source is, for the callers that must know: only a live source
 * has a Linux side (sysfs, /proc/interrupts) and host DMA; a dump has
 * config space only. */
enum psys_kind {
	PSYS_LIVE,
	PSYS_DUMP,
	PSYS_PROVIDED, /* a source from outside this layer (psys_new) */
};

/* A device source's implementation. */
struct psys_ops {
	const char *name; /* "live", "dump", "simulator", ... */
	enum psys_kind kind;
	/* Every function, sorted by address; *out malloc'd (the caller
	 * free()s it), *n its length. */
	int (*scan)(struct psys *s, struct psys_entry **out, size_t *n, struct verr *e);
	/* Opens one function read-only; VX_NODEV when it does not exist. */
	int (*open_device)(struct psys *s, const struct pci_addr *a, struct pdev **out,
			   struct verr *e);
	/* Config space only, for enumeration; NULL: open_device serves. */
	int (*open_caps)(struct psys *s, const struct pci_addr *a, struct pdev **out,
			 struct verr *e);
	int (*open_config)(struct psys *s, const struct pci_addr *a, struct pdev **out,
			   struct verr *e);
	/* The sysfs tree the functions are found under; NULL: none (the
	 * functions have no Linux side). NULL pointer: none. */
	const char *(*sysfs_root)(const struct psys *s);
	/* Optional: keep each scan's entries until called with false, and
	 * let opens take the identity from them (psys_keep_scans). */
	void (*keep_scans)(struct psys *s, bool on);
	/* Frees priv and what it holds. */
	void (*close)(struct psys *s);
};

struct psys {
	const struct psys_ops *ops;
	void *priv;
};

/* A source with ops and their state; NULL (e set) when out of memory. On
 * failure priv is left to the caller. */
struct psys *psys_new(const struct psys_ops *ops, void *priv, struct verr *e);

/* sysfs_root is normally "/sys"; tests point it at a fake tree. */
struct psys *psys_open_live(const char *sysfs_root, struct verr *e);
struct psys *psys_open_dump(const char *path, struct verr *e);
/* Close the devices opened from s first: live ones use its libpci handle,
 * provided sources may own what their devices reach. NULL: no-op. */
void psys_close(struct psys *s);
enum psys_kind psys_kind(const struct psys *s);
const char *psys_name(const struct psys *s);
/* True for a dump file: no BARs, no drivers, no writes. */
int psys_is_dump(const struct psys *s);
/* NULL when the source's functions have no sysfs (dump, simulator). */
const char *psys_sysfs_root(const struct psys *s);

/* Every function, sorted by address. *out is malloc'd; free() it. */
int psys_scan(struct psys *s, struct psys_entry **out, size_t *n, struct verr *e);
/* For one command that writes nothing (the CLI's line, as config
 * snapshots): with on, a function opened after a scan takes its identity
 * and driver from what the scan read moments before instead of reading
 * them again; off forgets the scans. A no-op for sources without it. */
void psys_keep_scans(struct psys *s, bool on);
/* Opens one function; VX_NODEV when it does not exist. The device is
 * read-only until pdev_allow_writes(). */
int psys_open_device(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e);
/* Opens a function for reading its config space only, through libpci even
 * when it is bound to vfio-pci: opening a VFIO device resets it, and a VM
 * may own the group. For enumeration (`list`). */
int psys_open_config(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e);
/* Opens a function to walk its capabilities once (`list`'s transport):
 * config space with a snapshot on (each dword read once, the header in
 * one read), BAR kinds and sizes; no register access, no driver name, no
 * write. Cheaper than psys_open_config where each syscall counts (an
 * emulated guest). Falls back to psys_open_config where the backend has
 * nothing lighter. */
int psys_open_caps(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e);

#endif
