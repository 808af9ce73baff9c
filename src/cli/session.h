/* The session: the one place that holds mutable state — options, the PCI
 * system handle, open devices, and (in the shell) the current device. */
#ifndef VIRTIOCTL_CLI_SESSION_H
#define VIRTIOCTL_CLI_SESSION_H

#include <signal.h>
#include <stdbool.h>

#include "dma/dma.h"
#include "format/render.h"
#include "linux/view.h"
#include "pci/system.h"
#include "virtio/vdev.h"

#define SESSION_MAX_DEVICES 8
/* --simulate specs kept; more are counted, and refused when the source
 * opens (the simulator has 31 slots). */
#define SESSION_MAX_SIMULATE 32

struct session;

struct sdev {
	struct pdev *pci;
	struct vdev v;
	bool bound; /* bound to a kernel driver other than vfio-pci */
	/* Teardown hook for whoever gave the device queues: session_fini
	 * calls it before closing the device (it resets the device and frees
	 * the queue memory). NULL when there is nothing to undo. */
	void (*release)(struct session *s, struct sdev *d);
	void *priv; /* the release hook's state */
};

/* A device source besides the live system and -F dumps: opens the
 * function at an address as a pdev, and DMA memory for it (NULL: the
 * usual dma_open). The unit tests give device models through it. */
struct session_source {
	int (*open)(void *ctx, const struct pci_addr *a, struct pdev **out, struct verr *e);
	int (*open_dma)(void *ctx, struct pdev *p, struct dma **out, struct verr *e);
	void *ctx;
};

/* How commands are being run: decides what `open`, `set`, `expect` and
 * `shell` may do and whether option state is per command. */
enum session_mode { MODE_ONESHOT, MODE_SHELL, MODE_SCRIPT };

/* Settings a command line may override for that command only; `set` and
 * the options given when virtioctl starts change them for the session. */
struct session_base {
	struct render_opts out;
	bool select, force;
	enum vdev_iface transport;
};

struct session {
	struct render_opts out;
	bool select;	       /* --select: selector writes on bound devices */
	bool force;	       /* --force: writes on bound devices */
	const char *dump_file; /* -F */
	/* --simulate SPEC, in order; nsimulate may exceed what is kept */
	const char *simulate[SESSION_MAX_SIMULATE];
	unsigned nsimulate;
	enum dma_kind dma;		     /* --dma; DMA_AUTO when not given */
	enum vdev_iface transport;	     /* --transport; VDEV_IFACE_DEFAULT when not given */
	const struct session_source *source; /* NULL: live system or -F */
	const char *sysfs_root;		     /* "/sys"; VIRTIOCTL_SYSFS overrides (tests) */
	const char *proc_root;		     /* "/proc"; VIRTIOCTL_PROC overrides (tests) */
	struct psys *sys;		     /* opened on first use */
	struct sdev *dev[SESSION_MAX_DEVICES];
	unsigned ndev;
	char current[PCI_ADDR_STRLEN]; /* shell: device set by `open`, or "" */

	enum session_mode mode;
	struct session_base base;
	const char *script; /* -f FILE ("-" is standard input) */
	bool errexit;	    /* scripts: stop at the first failing line */
	bool quit;	    /* `quit`, or a terminating signal: leave */
	/* Set by SIGINT (see shell.c); long-running commands check it with
	 * session_cancelled() or pass &s->cancel down. Cleared before each
	 * command. */
	volatile sig_atomic_t cancel;
	/* SIGTERM or SIGHUP arrived: leave, through session_fini. */
	volatile sig_atomic_t signalled;
	char *history; /* shell: history file, NULL when not kept */
	/* The command being run writes nothing: the devices it opens keep a
	 * config-space snapshot until it ends (dispatch; pdev_cfg_snapshot). */
	bool snapshot;
	/* With snapshot: which function each virtio bus device belongs to,
	 * read once for the line (session_virtio_index). */
	bool vix_tried, vix_ok;
	struct linux_virtio_index vix;
	/* The report of the last command that made one; `expect` tests it. */
	struct rnode *last;
};

void session_init(struct session *s);
/* Calls each device's release hook, then closes everything. */
void session_fini(struct session *s);
/* Makes the current option state the session's base (after startup
 * options), and puts the base back before each command. */
void session_settle(struct session *s);
void session_restore(struct session *s);
/* Keeps `r` (may be NULL) as the result `expect` tests; frees the old. */
void session_set_result(struct session *s, struct rnode *r);
bool session_cancelled(const struct session *s);
int session_system(struct session *s, struct psys **out, struct verr *e);
void session_add_simulate(struct session *s, const char *spec);
/* Checks the device source options (-F, --simulate specs) without opening
 * anything: a usage error for a bad spec or -F with --simulate. */
int session_check_source(const struct session *s, struct verr *e);
/* The sysfs tree of the device source, NULL when its functions have no
 * Linux side (-F dump, --simulate) or it is not open. */
const char *session_sysfs_root(const struct session *s);
/* True when the devices are this machine's (not a dump, not simulated):
 * /proc/interrupts and the like describe them. */
bool session_on_host(const struct session *s);
/* Opens (or returns the already open) virtio device at `addr` ("" or NULL
 * means the current device), setting what the pdev layer lets through:
 * selector writes on a device bound to a kernel driver only with --select
 * or --force; unbound devices are writable. Whether a command may write at
 * all is dispatch()'s decision (the CMD_WRITES rules). */
int session_device(struct session *s, const char *addr, struct sdev **out, struct verr *e);
/* Closes the devices opened after the first `keep` (for commands that
 * visit every function, beyond SESSION_MAX_DEVICES), stopping at one that
 * was given queues: that one stays open until the end. */
void session_drop_last(struct session *s, unsigned keep);
/* Closes the devices opened after the first `keep`, each after its
 * release hook (reset, queue memory freed): for commands that drive every
 * function in turn (check --all --active). */
void session_close_last(struct session *s, unsigned keep);
/* Starts (on) or ends config-space snapshots for the devices of one
 * command (dispatch): on only for a command line that writes nothing;
 * off drops every open device's snapshot, so the next command, or the
 * shell's prompt, reads the devices again. The source keeps its scans
 * for as long (psys_keep_scans). */
void session_snapshot(struct session *s, bool on);
/* For a command line that writes nothing (snapshot on) on this host's
 * sysfs: the virtio bus index, read at the first call and dropped with
 * the snapshots. NULL otherwise (callers then list each function). */
const struct linux_virtio_index *session_virtio_index(struct session *s);

#endif
