/* One interface to a PCI function: config space, BAR registers, identity.
 *
 * Backends (live sysfs/libpci, -F dump file, test model, later VFIO and the
 * virtio config-access window) fill in struct pdev and its ops. Callers use
 * only the pdev_* functions below, which check every access against the
 * config-space size and the BAR's size and type before the backend sees it,
 * and which refuse writes unless the device was opened writable. */
#ifndef VIRTIOCTL_PCI_DEVICE_H
#define VIRTIOCTL_PCI_DEVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci/addr.h"
#include "util/err.h"

#define PCI_NUM_BARS 6

enum pci_bar_kind {
	PCI_BAR_NONE = 0, /* not implemented, or the upper half of a 64-bit BAR */
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
	PCI_BAR_IO,
};

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetchable;
	uint64_t base; /* bus address as assigned; 0 when unassigned */
	uint64_t size; /* bytes; 0 when unknown */
};

struct pdev;

struct pdev_ops {
	const char *name; /* "sysfs", "dump", "model", ... */
	int (*cfg_read)(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			struct verr *e);
	int (*cfg_write)(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			 struct verr *e);
	/* BAR access; offsets and widths are already validated. NULL when the
	 * backend has no register access at all (a dump file). */
	int (*bar_read)(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			struct verr *e);
	int (*bar_write)(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			 struct verr *e);
	void (*close)(struct pdev *d);
	/* Optional. False when the backend knows the function is gone (its
	 * sysfs entry removed); true otherwise. pdev_check_present() also
	 * reads the vendor ID. */
	bool (*present)(struct pdev *d);
	/* Optional. True when addr lies in one of this device's BAR mappings;
	 * called from a SIGBUS handler, so it may only read memory. */
	bool (*maps)(const struct pdev *d, const void *addr);
	/* True when config reads may be kept for one read-only command
	 * (pdev_cfg_snapshot): each costs something (sysfs: a syscall and a
	 * config access a hypervisor traps) and has no side effect. */
	bool cfg_snapshots;
	/* Optional, with cfg_snapshots: reads len bytes (dword-aligned) at
	 * off in one backend call (sysfs: one pread, one syscall; the kernel
	 * still makes one config access per dword). */
	int (*cfg_read_block)(struct pdev *d, unsigned off, uint8_t *buf, unsigned len,
			      struct verr *e);
	/* Optional: an O_PATH descriptor of the function's sysfs directory,
	 * owned by the backend, or -1 (see pdev_sysfs_dirfd). */
	int (*sysfs_dirfd)(const struct pdev *d);
};

struct pdev_cfg_snap;

struct pdev {
	const struct pdev_ops *ops;
	void *priv;
	struct pci_addr addr;
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint8_t revision;
	/* Nothing held the revision ID (config space unreadable there, no
	 * revision attribute): revision is then not a value, and reports say
	 * so rather than show 0, which the transitional rule would pass. */
	bool revision_unread;
	uint32_t class_code; /* 24 bits: base, sub, prog-if */
	unsigned cfg_size;   /* readable config space: 64, 256 or 4096 bytes */
	/* Why config space beyond cfg_size cannot be read ("" when it is all
	 * there): shown as the reason capabilities are missing. */
	char cfg_why[160];
	struct pci_bar bar[PCI_NUM_BARS];
	char driver[64]; /* bound kernel driver, "" if none or unknown */
	/* driver[] is what the kernel said when the function was opened (its
	 * uevent), so "" means no driver; false: "" may mean not known. */
	bool driver_known;
	/* Why BAR registers cannot be read at all ("" when they can); set by the
	 * backend, shown to the user as the reason for missing data. */
	char bar_why[192];
	/* Writes are refused unless the opener allowed them; write_why says
	 * why, for the error message. */
	bool writable;
	char write_why[192];
	/* A function of this machine (live or VFIO backend): its DMA reaches
	 * this machine's memory, so host DMA backends may serve it. False for
	 * dump files and simulated devices. */
	bool on_host;
	/* Set once the function is known to be gone (surprise removal, or a
	 * SIGBUS on its BAR mapping): every later access fails with VX_NODEV
	 * rather than read what is no longer a device. A signal handler may
	 * set it. */
	volatile sig_atomic_t removed;
	/* Config dwords kept for one read-only command; NULL: every read
	 * goes to the backend (see pdev_cfg_snapshot). */
	struct pdev_cfg_snap *snap;
	/* The header dwords 0x00-0x27 the backend read in one block while
	 * opening (n_open_dwords of them; 0: none). The first snapshot turned
	 * on takes them as read, so the command that opened the function does
	 * not read them again; dropped with the first snapshot's end, any
	 * write, or a snapshot of a later command (see pdev_cfg_snapshot). */
	uint32_t open_dwords[10];
	unsigned n_open_dwords;
};

int pdev_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val, struct verr *e);
int pdev_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val, struct verr *e);
uint8_t pdev_cfg_read8(struct pdev *d, unsigned off); /* 0xff on error */
/* The function's sysfs directory as an O_PATH descriptor for reading its
 * files relative to it (the backend owns it: do not close), or -1 when the
 * backend has none (not a live function, or it could not be opened). */
int pdev_sysfs_dirfd(const struct pdev *d);
/* d->revision from config space, or revision_unread when it cannot be read. */
void pdev_read_revision(struct pdev *d);
uint16_t pdev_cfg_read16(struct pdev *d, unsigned off); /* 0xffff on error */
uint32_t pdev_cfg_read32(struct pdev *d, unsigned off); /* ~0 on error */

/* True when [off, off+len) lies inside the BAR. Overflow-safe. */
bool pdev_bar_contains(const struct pdev *d, unsigned bar, uint64_t off, uint64_t len);
/* Reads/writes a register of `width` bytes (1, 2, 4, or 8 on memory BARs)
 * at `off`, naturally aligned, inside the BAR. */
int pdev_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
		  struct verr *e);
int pdev_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
		   struct verr *e);
bool pdev_has_bar_access(const struct pdev *d);

/* A config-space snapshot for one read-only command: with `on`, each
 * config dword is read from the backend once, on first use, and served
 * from memory after that; reads narrower than a dword take their bytes
 * from it. A walk of the capability chain that reads fields byte by byte
 * then costs one backend read per dword it touches. Only backends whose
 * ops say cfg_snapshots take one (sysfs); others read as before.
 *
 * What keeps it from serving stale data: it is dropped (and reads go to
 * the backend again) by `off`, by any write to the function (config or
 * BAR, tried or done: a command that writes never reads its own writes
 * from it), when the function is found removed, and on close.
 * pdev_check_present() reads past it. Whoever turns it on turns it off at
 * the end of the command (dispatch() for session devices); a command
 * that re-reads over time (watch) never turns it on. Within one command
 * a value read twice is the value of its first read: a snapshot, as
 * lspci's one read of config space is. */
void pdev_cfg_snapshot(struct pdev *d, bool on);
/* With a snapshot on: reads the dwords of [off, off + len) it does not
 * hold yet in one backend call where the backend can (a capability's
 * body, the BARs), so a walk that then reads the fields one by one makes
 * one syscall per structure instead of one per field. Reads nothing
 * without a snapshot, nothing outside config space, and never fails: a
 * block that does not read leaves the fields to be read one by one. */
void pdev_cfg_prefetch(struct pdev *d, unsigned off, unsigned len);

/* 0 when the function still answers; VX_NODEV ("device removed: WHY")
 * when its sysfs entry is gone or its vendor ID reads 0xffff or fails, and
 * d->removed is then set. Long waits call it before reporting a timeout:
 * a removed device is not a slow one. */
int pdev_check_present(struct pdev *d, struct verr *e);
/* True when addr lies in a BAR mapping of d (for a SIGBUS handler). */
bool pdev_maps(const struct pdev *d, const void *addr);

void pdev_allow_writes(struct pdev *d, bool allow, const char *why);
void pdev_close(struct pdev *d);

const char *pci_bar_kind_name(enum pci_bar_kind k);

#endif
