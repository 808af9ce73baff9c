/* For code inside src/pci that builds struct pdev objects: the backends'
 * constructors and the helpers they share. Not for the layers above, which
 * go through system.h and device.h. */
#ifndef VIRTIOCTL_PCI_BACKEND_H
#define VIRTIOCTL_PCI_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/addr.h"
#include "pci/device.h"
#include "pci/regs.h"
#include "pci/system.h"
#include "util/err.h"

struct pci_access;

/* How many BAR registers the header layout has (type 0: 6, bridge: 2,
 * CardBus: 1); the multi-function bit is ignored. */
unsigned pci_header_num_bars(uint8_t header_type);

/* Decodes raw BAR registers into kind, prefetchable and base; sizes are left
 * 0 because the registers alone cannot tell them. An all-zero register is
 * taken as not implemented, and the register above a 64-bit BAR is
 * PCI_BAR_NONE. Entries from nbars on are PCI_BAR_NONE. */
void pci_bars_decode(const uint32_t raw[PCI_NUM_BARS], unsigned nbars,
		     struct pci_bar bar[PCI_NUM_BARS]);

/* A register access through a mapping of a memory BAR, with the exact
 * width (1, 2, 4 or 8 bytes); MMIO registers are little-endian on the bus. */
uint64_t pci_mmio_load(volatile uint8_t *p, unsigned width);
void pci_mmio_store(volatile uint8_t *p, unsigned width, uint64_t v);

/* Little-endian bytes <-> a value of `width` (1 to 4) bytes: config space
 * and I/O registers travel as byte strings through read/write calls. */
uint32_t pci_le_value(const uint8_t *b, unsigned width);
void pci_le_bytes(uint32_t v, unsigned width, uint8_t *b);

#include "util/sysattr.h"

/* What a live source learns once and each open of its functions uses,
 * rather than learning it again per function. */
struct live_facts {
	/* what sysfs_lockdown_why() said ("" when BAR access is not locked
	 * down) */
	const char *lockdown_why;
	/* set by the first open whose 256-byte config space read whole: this
	 * process may read past 64 bytes (CAP_SYS_ADMIN), so later opens do
	 * not probe for it */
	bool cfg_full_ok;
};

/* Live backend (live.c). pacc must outlive the device; facts too (it is
 * updated). known: the function's scan entry of this command
 * (psys_keep_scans), whose identity and driver then stand in for its
 * uevent file; NULL: read it. */
int sysfs_pdev_open(struct pci_access *pacc, const char *sysfs_root, struct live_facts *facts,
		    const struct psys_entry *known, const struct pci_addr *a, struct pdev **out,
		    struct verr *e);
/* Why kernel lockdown forbids BAR access from user space, or "". */
void sysfs_lockdown_why(const char *sysfs_root, char *why, size_t len);
/* For psys_open_caps: config space (snapshot on) and BAR kinds and sizes
 * only; no resourceN files, no identity files, no driver link. */
int sysfs_pdev_open_caps(struct pci_access *pacc, const char *sysfs_root, struct live_facts *facts,
			 const struct pci_addr *a, struct pdev **out, struct verr *e);
/* Fills one scan entry through libpci and sysfs; VX_NODEV when absent. */
int sysfs_scan_entry(struct pci_access *pacc, const char *sysfs_root, const struct pci_addr *a,
		     struct psys_entry *out, struct verr *e);

/* Dump-file backend (dumpfile.c): `lspci -x` ... `-xxxx` output. */
struct dumpfile;

/* Parses every function in the file; VX_INPUT naming file and line on any
 * malformed line. */
int dumpfile_load(const char *path, struct dumpfile **out, struct verr *e);
void dumpfile_free(struct dumpfile *df);
/* Functions in address order. */
size_t dumpfile_count(const struct dumpfile *df);
void dumpfile_entry(const struct dumpfile *df, size_t i, struct psys_entry *out);
/* The pdev owns a copy of the config bytes, so it may outlive df. */
int dumpfile_open_device(const struct dumpfile *df, const struct pci_addr *a, struct pdev **out,
			 struct verr *e);

#endif
