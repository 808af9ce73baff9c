#include "pci/system.h"

#include "pci/backend/backend.h"
#include "pci/backend/libpci_guard.h"
#include "pci/backend/vfio.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The state of both sources of this layer (priv of their struct psys). */
struct sys_state {
	struct pci_access *pacc; /* live system; NULL for a dump */
	struct dumpfile *dump;	 /* dump file; NULL for the live system */
	char root[PATH_MAX];
	bool lockdown_read; /* lockdown_why is read once, at the first open */
	char lockdown_why[256];
	struct live_facts facts; /* for every open of this source */
	bool keep;		 /* psys_keep_scans */
	struct psys_entry *kept; /* the last scan while keep, sorted */
	size_t nkept;
};

static const struct psys_ops live_ops, dump_ops;

static struct sys_state *state(const struct psys *s)
{
	return s->priv;
}

static struct sys_state *state_alloc(struct verr *e)
{
	struct sys_state *s = calloc(1, sizeof(*s));

	if (!s)
		verr_set(e, VX_FAIL, "out of memory");
	return s;
}

/* Wraps the state in a source; frees it on failure. */
static struct psys *wrap(const struct psys_ops *ops, struct sys_state *st, struct verr *e)
{
	struct psys *s = psys_new(ops, st, e);

	if (!s) {
		lpci_close(st->pacc);
		dumpfile_free(st->dump);
		free(st);
	}
	return s;
}

static int devices_dir(const struct sys_state *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices", s->root);

	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* The linux-sysfs method, not auto-detection: BARs and drivers come from
 * sysfs anyway, and tests pointing sysfs_root at a fake tree must not end
 * up on /proc/bus/pci or raw I/O ports. */
static int init_libpci(struct sys_state *s, struct verr *e)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/bus/pci", s->root) >= (int)sizeof(path))
		return verr_set(e, VX_FAIL, "sysfs root path is too long");
	s->pacc = lpci_open(path, e);
	return s->pacc ? 0 : -1;
}

struct psys *psys_open_live(const char *sysfs_root, struct verr *e)
{
	struct sys_state *s = state_alloc(e);
	char dir[PATH_MAX];
	DIR *dp;

	if (!s)
		return NULL;
	if (!sysfs_root)
		sysfs_root = "/sys";
	if (snprintf(s->root, sizeof(s->root), "%s", sysfs_root) >= (int)sizeof(s->root) ||
	    devices_dir(s, dir, sizeof(dir))) {
		verr_set(e, VX_FAIL, "sysfs root path is too long");
		goto fail;
	}
	dp = opendir(dir);
	if (!dp) {
		verr_set(e, VX_UNAVAILABLE,
			 "cannot read %s: %s (no sysfs PCI tree here; -F reads "
			 "an lspci -xxx dump instead)",
			 dir, strerror(errno));
		goto fail;
	}
	closedir(dp);
	if (init_libpci(s, e) == 0)
		return wrap(&live_ops, s, e);
fail:
	free(s);
	return NULL;
}

struct psys *psys_open_dump(const char *path, struct verr *e)
{
	struct sys_state *s = state_alloc(e);

	if (!s)
		return NULL;
	if (dumpfile_load(path, &s->dump, e)) {
		free(s);
		return NULL;
	}
	return wrap(&dump_ops, s, e);
}

static void sys_close(struct psys *ps)
{
	struct sys_state *s = state(ps);

	lpci_close(s->pacc);
	dumpfile_free(s->dump);
	free(s->kept);
	free(s);
}

static const char *live_sysfs_root(const struct psys *s)
{
	return state(s)->root;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct psys_entry *a = x, *b = y;

	return pci_addr_cmp(&a->addr, &b->addr);
}

static int grow(struct psys_entry **v, size_t *cap, size_t n, struct verr *e)
{
	size_t ncap = *cap ? *cap * 2 : 32;
	struct psys_entry *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, ncap * sizeof(**v));
	if (!nv)
		return verr_set(e, VX_FAIL, "out of memory");
	*v = nv;
	*cap = ncap;
	return 0;
}

enum scan_result { SCAN_ADDED, SCAN_GONE, SCAN_FAILED };

/* A function removed (hot unplug, SR-IOV disable) between readdir and
 * reading its attributes is left out, not an error. */
static enum scan_result scan_one(struct sys_state *s, const struct pci_addr *a,
				 struct psys_entry *out, struct verr *e)
{
	struct verr local = {0};

	if (sysfs_scan_entry(s->pacc, s->root, a, out, &local) == 0)
		return SCAN_ADDED;
	if (local.code == VX_NODEV)
		return SCAN_GONE;
	verr_set(e, local.code, "%s", local.msg);
	return SCAN_FAILED;
}

static void forget_scan(struct sys_state *s)
{
	free(s->kept);
	s->kept = NULL;
	s->nkept = 0;
}

/* A copy for the opens that follow; none when out of memory (they read
 * the identity themselves). */
static void keep_scan(struct sys_state *s, const struct psys_entry *v, size_t n)
{
	forget_scan(s);
	if (!s->keep || !n || !(s->kept = malloc(n * sizeof(*v))))
		return;
	memcpy(s->kept, v, n * sizeof(*v));
	s->nkept = n;
}

static void live_keep_scans(struct psys *ps, bool on)
{
	struct sys_state *s = state(ps);

	s->keep = on;
	if (!on)
		forget_scan(s);
}

static const struct psys_entry *kept_entry(const struct sys_state *s, const struct pci_addr *a)
{
	struct psys_entry key = {.addr = *a};

	return s->nkept ? bsearch(&key, s->kept, s->nkept, sizeof(key), entry_cmp) : NULL;
}

/* Entries whose names are not DDDD:BB:DD.F (domains above 0xffff, as VMD
 * creates) cannot be represented by struct pci_addr and are skipped. */
static int scan_live(struct psys *ps, struct psys_entry **out, size_t *n, struct verr *e)
{
	struct sys_state *s = state(ps);
	char dir[PATH_MAX];
	struct psys_entry *v = NULL;
	size_t cap = 0, cnt = 0;
	struct dirent *de;
	DIR *dp;

	if (devices_dir(s, dir, sizeof(dir)) || !(dp = opendir(dir)))
		return verr_set(e, VX_UNAVAILABLE, "cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(dp))) {
		struct pci_addr a;

		if (!pci_addr_parse(de->d_name, &a) || strlen(de->d_name) != PCI_ADDR_STRLEN - 1)
			continue;
		if (grow(&v, &cap, cnt, e))
			goto fail;
		switch (scan_one(s, &a, &v[cnt], e)) {
		case SCAN_ADDED:
			cnt++;
			break;
		case SCAN_FAILED:
			goto fail;
		default:
			break;
		}
	}
	closedir(dp);
	qsort(v, cnt, sizeof(*v), entry_cmp);
	keep_scan(s, v, cnt);
	*out = v;
	*n = cnt;
	return 0;
fail:
	closedir(dp);
	free(v);
	return -1;
}

static int scan_dump(struct psys *ps, struct psys_entry **out, size_t *n, struct verr *e)
{
	struct sys_state *s = state(ps);
	size_t cnt = dumpfile_count(s->dump);
	struct psys_entry *v = calloc(cnt ? cnt : 1, sizeof(*v));

	if (!v)
		return verr_set(e, VX_FAIL, "out of memory");
	for (size_t i = 0; i < cnt; i++)
		dumpfile_entry(s->dump, i, &v[i]);
	*out = v;
	*n = cnt;
	return 0;
}

static struct live_facts *facts(struct sys_state *s)
{
	if (!s->lockdown_read) {
		sysfs_lockdown_why(s->root, s->lockdown_why, sizeof(s->lockdown_why));
		s->lockdown_read = true;
	}
	s->facts.lockdown_why = s->lockdown_why;
	return &s->facts;
}

static int live_open_device(struct psys *ps, const struct pci_addr *a, struct pdev **out,
			    struct verr *e)
{
	struct sys_state *s = state(ps);
	const struct psys_entry *k = kept_entry(s, a);

	/* the line's scan read the driver from the uevent: no link to read */
	if (k ? strcmp(k->driver, "vfio-pci") == 0 : vfio_is_bound(s->root, a))
		return vfio_pdev_open(s->root, a, out, e);
	return sysfs_pdev_open(s->pacc, s->root, facts(s), k, a, out, e);
}

static int live_open_config(struct psys *ps, const struct pci_addr *a, struct pdev **out,
			    struct verr *e)
{
	struct sys_state *s = state(ps);

	return sysfs_pdev_open(s->pacc, s->root, facts(s), kept_entry(s, a), a, out, e);
}

static int live_open_caps(struct psys *ps, const struct pci_addr *a, struct pdev **out,
			  struct verr *e)
{
	struct sys_state *s = state(ps);

	return sysfs_pdev_open_caps(s->pacc, s->root, &s->facts, a, out, e);
}

static int dump_open_device(struct psys *ps, const struct pci_addr *a, struct pdev **out,
			    struct verr *e)
{
	return dumpfile_open_device(state(ps)->dump, a, out, e);
}

static const struct psys_ops live_ops = {
	.name = "live",
	.kind = PSYS_LIVE,
	.scan = scan_live,
	.open_device = live_open_device,
	.open_config = live_open_config,
	.open_caps = live_open_caps,
	.sysfs_root = live_sysfs_root,
	.keep_scans = live_keep_scans,
	.close = sys_close,
};

static const struct psys_ops dump_ops = {
	.name = "dump",
	.kind = PSYS_DUMP,
	.scan = scan_dump,
	.open_device = dump_open_device,
	.close = sys_close,
};
