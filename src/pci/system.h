/* Where PCI functions come from: the running system (libpci for
 * enumeration and config space, sysfs for BARs and driver bindings) or an
 * `lspci -xxx` / `-xxxx` hex dump given with -F (config space only). */
#ifndef VIRTIOCTL_PCI_SYSTEM_H
#define VIRTIOCTL_PCI_SYSTEM_H

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

/* sysfs_root is normally "/sys"; tests point it at a fake tree. */
struct psys *psys_open_live(const char *sysfs_root, struct verr *e);
struct psys *psys_open_dump(const char *path, struct verr *e);
/* Close the devices opened from s first: live ones use its libpci handle. */
void psys_close(struct psys *s);
/* True for a dump file: no BARs, no drivers, no writes. */
int psys_is_dump(const struct psys *s);
const char *psys_sysfs_root(const struct psys *s);

/* Every function, sorted by address. *out is malloc'd; free() it. */
int psys_scan(struct psys *s, struct psys_entry **out, size_t *n, struct verr *e);
/* Opens one function; VX_NODEV when it does not exist. The device is
 * read-only until pdev_allow_writes(). */
int psys_open_device(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e);
/* Opens a function for reading its config space only, through libpci even
 * when it is bound to vfio-pci: opening a VFIO device resets it, and a VM
 * may own the group. For enumeration (`list`). */
int psys_open_config(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e);

#endif
