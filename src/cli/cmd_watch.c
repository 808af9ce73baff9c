/* `watch [DEVICE...]`: polls what can be read without writing — driver
 * binding, status, features, device configuration (with its
 * config_generation), per-vector interrupt counts, functions appearing and
 * disappearing — and prints a first snapshot, then only the changes, as a
 * table per poll or JSON Lines (one event a line). Ctrl-C ends it with
 * status 0. Devices are opened read-only as for `metrics`: no selector
 * write, no ISR read, no VFIO open. */
#include "cli/commands_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/metrics.h"
#include "cli/watch.h"
#include "format/render.h"
#include "virtio/ids.h"

/* A function kept open between polls: its capabilities are walked once,
 * so a poll costs a config read or two per device, not a walk. */
struct wopen {
	struct pci_addr a;
	struct pdev *pci;
	struct vdev v;
	bool seen; /* in this poll's targets */
};

struct wctx {
	struct session *s;
	struct psys *sys;
	bool have_procs;
	struct irq_table procs;
	struct wopen *open;
	size_t nopen, capopen;
};

static void put_hex64(struct wdev *d, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	wdev_str(d, name, buf);
}

/* The binding from sysfs now: the pdev's driver is as it was at open. */
static void linux_side(struct wdev *d, const struct pdev *pci, const struct linux_view *lv,
		       bool have_lv)
{
	wdev_str(d, "pci_driver",
		 !have_lv	      ? pci->driver
		 : lv->has_pci_driver ? lv->pci_driver
				      : "");
	wdev_str(d, "virtio_device", have_lv && lv->has_virtio_dev ? lv->virtio_dev : "");
	wdev_str(d, "virtio_driver", have_lv && lv->has_virtio_driver ? lv->virtio_driver : "");
}

/* Registers where they can be read without a selector write, else the
 * kernel's view; a value read nowhere is left out. */
static void status_features(struct wdev *d, struct vdev *v, const struct linux_view *lv,
			    bool have_lv)
{
	bool regs = vdev_regs_readable(v);
	uint8_t st;
	uint64_t f;

	if (regs && v->ops->get_status(v, &st, NULL) == 0)
		wdev_num(d, "status", st);
	else if (have_lv && lv->has_status)
		wdev_num(d, "status", lv->status & 0xff);
	if (regs && v->ops->get_driver_features(v, &f, NULL) == 0)
		put_hex64(d, "negotiated_features", f);
	else if (have_lv && lv->has_features)
		put_hex64(d, "negotiated_features", lv->features);
	if (regs && v->ops->get_device_features(v, &f, NULL) == 0)
		put_hex64(d, "offered_features", f);
}

/* The device configuration, read with the config_generation loop, as hex;
 * the generation beside it tells a change the bytes may not show. */
static void device_config(struct wdev *d, struct vdev *v)
{
	uint8_t *buf;
	char *hex;
	unsigned got = 0;
	uint32_t gen;

	if (!vdev_regs_readable(v) || !(buf = malloc(VDEV_CONFIG_MAX)))
		return;
	if (v->ops->get_config_generation && v->ops->get_config_generation(v, &gen, NULL) == 0)
		wdev_num(d, "config_generation", gen);
	if (vdev_read_config(v, buf, VDEV_CONFIG_MAX, &got, NULL) == 0 &&
	    (hex = malloc(2 * (size_t)got + 1))) {
		for (unsigned i = 0; i < got; i++)
			snprintf(hex + 2 * i, 3, "%02x", buf[i]);
		hex[2 * got] = '\0';
		wdev_str(d, "config", hex);
		free(hex);
	}
	free(buf);
}

static void interrupts(struct wctx *w, struct wdev *d, struct pdev *pci, struct vdev *v,
		       const struct linux_view *lv)
{
	int n = msix_table_size(pci, &v->caps.pci.msix);
	struct msix_count *vc;
	char name[sizeof(vc->queue) + 16];

	if (n <= 0 || !w->have_procs || !(vc = calloc((size_t)n, sizeof(*vc))))
		return;
	n = msix_counts(pci, lv, &w->procs, vc, (unsigned)n);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "interrupts.%s", vc[i].queue);
		wdev_num(d, name, vc[i].count);
	}
	free(vc);
}

static void close_open(struct wopen *o)
{
	pdev_close(o->pci);
	o->pci = NULL;
}

/* The open function at a, opened now if it is not yet (read-only, no
 * selector writes); NULL when it cannot be opened or is no virtio device. */
static struct wopen *get_open(struct wctx *w, const struct pci_addr *a)
{
	struct wopen *o;

	for (size_t i = 0; i < w->nopen; i++)
		if (pci_addr_cmp(&w->open[i].a, a) == 0)
			return &w->open[i];
	if (w->nopen == w->capopen) {
		size_t cap = w->capopen ? 2 * w->capopen : 8;
		struct wopen *n = realloc(w->open, cap * sizeof(*n));

		if (!n)
			return NULL;
		w->open = n;
		w->capopen = cap;
	}
	o = &w->open[w->nopen];
	memset(o, 0, sizeof(*o));
	o->a = *a;
	if (psys_open_config(w->sys, a, &o->pci, NULL))
		return NULL;
	pdev_allow_writes(o->pci, false, "watch writes nothing");
	if (vdev_open(o->pci, &o->v, NULL)) {
		close_open(o);
		return NULL;
	}
	vdev_allow_select(&o->v, false, "watch writes no selector");
	w->nopen++;
	return o;
}

/* Closes the functions no longer among the targets (or gone from sysfs). */
static void prune_open(struct wctx *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nopen; i++) {
		if (w->open[i].seen) {
			w->open[i].seen = false;
			w->open[k++] = w->open[i];
		} else {
			close_open(&w->open[i]);
		}
	}
	w->nopen = k;
}

/* One function into the snapshot; absent (not added) when it cannot be
 * opened, is no virtio device, or its sysfs directory went away. */
static void read_dev(struct wctx *w, const struct pci_addr *a, struct wsnap *snap)
{
	char addr[PCI_ADDR_STRLEN];
	struct linux_view *lv = calloc(1, sizeof(*lv));
	struct wopen *o;
	struct wdev *d;
	bool have_lv = false;

	if (!lv)
		return;
	if (session_sysfs_root(w->s)) { /* the host's functions only */
		have_lv = linux_view_read(session_sysfs_root(w->s), a, lv) == 0;
		if (!have_lv) { /* removed */
			free(lv);
			return;
		}
	}
	o = get_open(w, a);
	pci_addr_format(a, addr);
	if (o && (d = wsnap_add_dev(snap, addr))) {
		o->seen = true;
		linux_side(d, o->pci, lv, have_lv);
		status_features(d, &o->v, lv, have_lv);
		device_config(d, &o->v);
		if (have_lv)
			interrupts(w, d, o->pci, &o->v, lv);
	}
	free(lv);
}

static void load_procs(struct wctx *w)
{
	char path[512];

	if (w->have_procs)
		irq_table_free(&w->procs);
	w->have_procs = false;
	if (!session_on_host(w->s))
		return;
	snprintf(path, sizeof(path), "%s/interrupts", w->s->proc_root);
	w->have_procs = irq_table_read(path, &w->procs) == 0;
}

static int cmp_addr(const void *x, const void *y)
{
	return pci_addr_cmp(x, y);
}

/* The functions to watch: the ones given (sorted, each once), or every
 * virtio function the scan finds now. */
static int targets(struct wctx *w, const struct cmd_args *a, struct pci_addr **out, size_t *n,
		   struct verr *e)
{
	struct psys_entry *ents = NULL;
	size_t cnt = 0;

	if (a->argc) {
		*out = calloc((size_t)a->argc, sizeof(**out));
		if (!*out)
			return verr_set(e, VX_FAIL, "out of memory");
		for (int i = 0; i < a->argc; i++)
			if (!pci_addr_parse(a->argv[i], &(*out)[i]))
				return verr_set(
					e, VX_USAGE,
					"'%s' is not a PCI address (expected DDDD:BB:DD.F or "
					"BB:DD.F)",
					a->argv[i]);
		qsort(*out, (size_t)a->argc, sizeof(**out), cmp_addr);
		for (int i = 0; i < a->argc; i++)
			if (!cnt || pci_addr_cmp(&(*out)[cnt - 1], &(*out)[i]))
				(*out)[cnt++] = (*out)[i];
		*n = cnt;
		return 0;
	}
	if (psys_scan(w->sys, &ents, &cnt, e))
		return -1;
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (!*out) {
		free(ents);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	*n = 0;
	for (size_t i = 0; i < cnt; i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			(*out)[(*n)++] = ents[i].addr;
	free(ents);
	return 0;
}

static int poll_once(struct wctx *w, const struct cmd_args *a, struct wsnap *snap, struct verr *e)
{
	struct pci_addr *addrs = NULL;
	size_t n = 0;

	memset(snap, 0, sizeof(*snap));
	if (targets(w, a, &addrs, &n, e)) {
		free(addrs);
		return -1;
	}
	load_procs(w);
	for (size_t i = 0; i < n; i++)
		read_dev(w, &addrs[i], snap);
	prune_open(w);
	free(addrs);
	return 0;
}

/* UTC with milliseconds: 2026-12-03T18:46:20.123Z */
static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03uZ", sec, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* JSON Lines: one event a line; text: one table per poll. */
static void emit(struct session *s, struct rnode *rows)
{
	if (s->out.format == OUT_JSON) {
		for (const struct rnode *r = rows->child; r; r = r->next)
			render_json(stdout, r, s->out.pretty);
	} else if (rows->child) {
		render_text(stdout, rows);
	}
	fflush(stdout);
}

/* Sleeps ms milliseconds unless Ctrl-C (or a terminating signal) comes. */
static void pause_ms(struct session *s, unsigned long ms)
{
	struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (!session_cancelled(s) && nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

CMD_HANDLER(cmd_watch)
{
	/* the table checks the range: at least 10 ms, at least 1 poll */
	unsigned long interval = (unsigned long)a->opt[WATCH_INTERVAL].u, polls = 0;
	unsigned long count = a->opt[WATCH_COUNT].given ? (unsigned long)a->opt[WATCH_COUNT].u : 0;
	struct wctx w = {.s = s};
	struct wsnap prev = {0}, cur;
	char when[40];
	int rc = 0;

	if (session_system(s, &w.sys, e))
		return -1;
	*out = NULL;
	while (!session_cancelled(s)) {
		struct rnode *rows;

		if ((rc = poll_once(&w, a, &cur, e)))
			break;
		if (polls == 0 && a->argc && cur.n == 0) {
			rc = verr_set(e, VX_NODEV, "watch: none of the devices given is here");
			wsnap_free(&cur);
			break;
		}
		now_iso(when, sizeof(when));
		rows = r_new_root_array(RF_TABLE);
		wsnap_events(polls ? &prev : NULL, &cur, when, rows);
		emit(s, rows);
		r_free(rows);
		wsnap_free(&prev);
		prev = cur;
		polls++;
		if (count && polls >= count)
			break;
		pause_ms(s, interval);
	}
	wsnap_free(&prev);
	if (w.have_procs)
		irq_table_free(&w.procs);
	for (size_t i = 0; i < w.nopen; i++)
		close_open(&w.open[i]);
	free(w.open);
	/* Ctrl-C is how watch is meant to end (issue 13: status 0), not an
	 * interruption of an answer; SIGTERM and SIGHUP still are. */
	if (s->signalled == SIGINT)
		s->signalled = 0;
	return rc;
}
