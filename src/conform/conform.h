/* Conformance checks: a virtio-pci device judged against the virtio 1.3
 * specification.
 *
 * The checks are one table (conform_checks()): a stable id, the section
 * of the specification a check enforces, its level (MUST or SHOULD), an
 * area, a one-line description and a function. Each check passes, fails
 * (with what was seen and what the specification requires) or is skipped
 * (with why). `check --list`, docs/checks.md and the tests all come from
 * the table.
 *
 * Read-only checks use only what the device's access rules allow (see
 * vdev_allow_select: no selector write on a bound device without
 * --select; the ISR is never read). Active checks drive the device (reset,
 * feature negotiation, a queue, one request of the type's self-test); the
 * caller decides whether they may run, provides DMA memory and ring slots
 * that its own teardown covers, and the device is reset at their end. */
#ifndef VIRTIOCTL_CONFORM_CONFORM_H
#define VIRTIOCTL_CONFORM_CONFORM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma/dma.h"
#include "format/report.h"
#include "linux/view.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

enum ck_level { CK_MUST, CK_SHOULD };
enum ck_result { CK_PASS, CK_FAIL, CK_SKIP };

/* Why a check was skipped. */
enum ck_skip {
	CK_SKIP_NA,	     /* the rule does not apply to this device */
	CK_SKIP_UNREACHABLE, /* the data cannot be reached (dump file, no BAR access) */
	CK_SKIP_ACTIVE,	     /* needs --active */
	CK_SKIP_BOUND,	     /* a kernel driver owns the device (--select would read it) */
	CK_SKIP_DEPENDS,     /* a check it builds on did not pass */
};

#define CK_TEXT_LEN 768

/* The outcome of one check. */
struct ck_out {
	enum ck_result result;
	enum ck_skip skip;
	/* Set by the engine when only the counts are wanted (metrics): the
	 * texts below are then left empty, their formatting was a tenth of
	 * what a function's metrics cost. */
	bool no_text;
	char required[CK_TEXT_LEN]; /* fail: what the specification requires */
	/* One buffer: a check either fails or is skipped. Sixty checks of
	 * three texts each came to 138 KB per run, above malloc's mmap
	 * threshold, so every run mapped, zeroed and unmapped it. */
	union {
		char seen[CK_TEXT_LEN];	  /* fail: what the device showed */
		char reason[CK_TEXT_LEN]; /* skip: why */
	};
};

struct ck_state;

struct conform_check {
	const char *id;	     /* stable: "cap.isr.present" */
	const char *section; /* virtio 1.3 section(s), e.g. "4.1.4.5.1" */
	enum ck_level level;
	const char *area; /* "pci", "caps", "msix", "regs", "linux", "active" */
	bool active;	  /* drives the device: only with --active */
	/* The id of a check this one builds on: when that one ran and did
	 * not pass, this one is skipped rather than failing for its cause. */
	const char *needs;
	const char *desc; /* one line */
	void (*run)(struct ck_state *st, struct ck_out *o);
};

/* The table, in the order the checks run. */
const struct conform_check *conform_checks(size_t *n);
const struct conform_check *conform_check_find(const char *id);
const char *ck_level_name(enum ck_level l);
const char *ck_result_name(enum ck_result r);
const char *ck_skip_name(enum ck_skip s);
/* "pci" -> "PCI identity"; the area itself when unknown. */
const char *ck_area_title(const char *area);

/* What the caller knows about the device, and what it allows. */
struct conform_env {
	struct vdev *v;
	/* The kernel driver owning the function ("" if none; vfio-pci does
	 * not count) and the Linux view of it; lv NULL when there is none
	 * (dump file, simulator, no sysfs entry). */
	const char *bound_driver;
	const struct linux_view *lv;
	bool dump_file; /* config space only */
	/* Active checks: allowed, with DMA memory and ring slots (indexed by
	 * queue) that the caller frees after a confirmed reset. */
	bool active;
	struct dma *dma;
	struct vring **rings;
	unsigned nrings;
	const volatile sig_atomic_t *cancel;
	int timeout_ms; /* per request of the active self-test */
};

struct conform_opts {
	/* Checks to run: ids, or prefixes ending in '*' ("cap.*"); NULL or
	 * empty: all. */
	const char *const *only;
	size_t nonly;
	bool strict; /* SHOULD failures count for the verdict */
};

struct conform_summary {
	unsigned checks, passed, failed, skipped;
	unsigned must_failed, should_failed;
	bool ok; /* no MUST failed (nor a SHOULD with strict) */
};

/* True when `id` is a check id or a prefix pattern matching one. */
bool conform_pattern_valid(const char *pattern);

/* Runs the checks, adds the results to `out` (areas, then counts and the
 * verdict; out NULL: none, the counts alone) and fills `sum`. Returns -1 only when the run could
 * not happen at all (out of memory); failing checks are a result, not an error. Active checks leave
 * the device reset (when it resets at all). */
int conform_run(const struct conform_env *env, const struct conform_opts *o, struct rnode *out,
		struct conform_summary *sum, struct verr *e);

/* The table as a report (`check --list`). */
void conform_list(struct rnode *out);

#endif
