/* Every call into libpci that can fail goes through here. libpci reports
 * a fatal error by calling pci_access->error, which must not return; the
 * default one exits the process, which would skip the reset of a device
 * the CLI is driving. These wrappers turn such an error into a VX_FAIL
 * struct verr returned to the caller, and libpci's warnings into text for
 * the caller's message (nothing below the CLI prints). */
#ifndef VIRTIOCTL_PCI_BACKEND_LIBPCI_GUARD_H
#define VIRTIOCTL_PCI_BACKEND_LIBPCI_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct pci_access;
struct pci_dev;

/* What a guarded call left behind when it failed: libpci's fatal error,
 * or its last warning ("" when it gave none). */
struct lpci_status {
	bool fatal;
	char msg[256];
};

/* A pci_access for the linux-sysfs method on the bus/pci directory `path`,
 * read-only until a write needs the config file read-write. */
struct pci_access *lpci_open(const char *path, struct verr *e);
void lpci_close(struct pci_access *a);
/* pci_get_dev and pci_fill_info(fill); NULL with e set on failure. */
struct pci_dev *lpci_get_dev(struct pci_access *a, int domain, int bus, int dev, int func, int fill,
			     struct verr *e);
void lpci_free_dev(struct pci_dev *pd);
/* pci_read_block / pci_write_block: true when done; false fills st
 * (errno is as libpci left it). */
bool lpci_read_block(struct pci_dev *pd, int off, uint8_t *buf, int len, struct lpci_status *st);
bool lpci_write_block(struct pci_dev *pd, int off, uint8_t *buf, int len, struct lpci_status *st);

#endif
