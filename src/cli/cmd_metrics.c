/* `metrics`: every virtio-pci function (or the ones given) as a metrics
 * model (format/metrics.h), printed in the Prometheus text format or
 * written atomically for node_exporter's textfile collector.
 *
 * Read-only whatever the options: devices are opened for config space and
 * BAR reads only (never through VFIO, which resets a device), no selector
 * is written (so offered features and per-queue registers of a modern
 * device are not read), and the ISR is never read. A value that cannot be
 * read is left out and counted in virtioctl_collection_errors with the
 * reason, never reported as 0. */
#include "cli/commands_impl.h"
#include "cli/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform/conform.h"
#include "format/metrics.h"
#include "linux/irqs.h"
#include "linux/resources.h"
#include "linux/view.h"
#include "pci/caps.h"
#include "pci/regs.h"
#include "util/atomicfile.h"
#include "util/fmt.h"
#include "virtio/features.h"
#include "virtio/ids.h"

enum fam {
	F_INFO,
	F_STATUS,
	F_STATUS_BIT,
	F_OFFERED,
	F_NEGOTIATED,
	F_QUEUES,
	F_MSIX_VECTORS,
	F_INTERRUPTS,
	F_CHECK_FAILURES,
	F_ERRORS,
	F_DURATION,
	F_COUNT
};

static const struct mfamily_spec families[F_COUNT] = {
	[F_INFO] = {"virtioctl_device_info", M_GAUGE,
		    "A virtio-pci function (always 1): its type, transport, PCI driver, virtio bus "
		    "device, the virtio driver and what that driver created."},
	[F_STATUS] = {"virtioctl_device_status", M_GAUGE,
		      "The device status byte (registers, else the kernel's view in sysfs)."},
	[F_STATUS_BIT] = {"virtioctl_device_status_bit", M_GAUGE,
			  "One bit of the device status byte by its spec name: 1 set, 0 clear."},
	[F_OFFERED] = {"virtioctl_feature_offered", M_GAUGE,
		       "A feature bit the device offers (1) or not (0); only where the device "
		       "feature words could be read without a selector write."},
	[F_NEGOTIATED] = {"virtioctl_feature_negotiated", M_GAUGE,
			  "A feature bit the driver accepted (1) or not (0), from the registers "
			  "or the kernel's view in sysfs."},
	[F_QUEUES] = {"virtioctl_queues", M_GAUGE,
		      "Virtqueues the device has (num_queues of common_cfg)."},
	[F_MSIX_VECTORS] = {"virtioctl_msix_vectors", M_GAUGE,
			    "MSI-X table size of the function, while MSI-X is enabled."},
	[F_INTERRUPTS] = {"virtioctl_interrupts_total", M_COUNTER,
			  "Interrupts of one MSI-X vector, all CPUs, from /proc/interrupts; queue "
			  "is the vector's name after virtioN- (config, req.0, input.0...)."},
	[F_CHECK_FAILURES] = {"virtioctl_check_failures", M_GAUGE,
			      "Conformance checks (virtio 1.3, as `virtioctl check` runs them "
			      "read-only) the device failed, by level: must or should."},
	[F_ERRORS] = {"virtioctl_collection_errors", M_GAUGE,
		      "Values this collection could not read, by device, item and reason; the "
		      "values themselves are left out, not reported as 0."},
	[F_DURATION] = {"virtioctl_collection_duration_seconds", M_GAUGE,
			"How long this collection took."},
};

/* Status bits in spec order, for one series each. */
static const struct {
	uint8_t bit;
	const char *name;
} status_bits[] = {
	{VIRTIO_STATUS_ACKNOWLEDGE, "ACKNOWLEDGE"},
	{VIRTIO_STATUS_DRIVER, "DRIVER"},
	{VIRTIO_STATUS_DRIVER_OK, "DRIVER_OK"},
	{VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK"},
	{VIRTIO_STATUS_DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET"},
	{VIRTIO_STATUS_FAILED, "FAILED"},
};

/* One collection. */
struct mc {
	struct session *s;
	struct psys *sys;
	struct timespec t0;
	struct rnode *root;
	struct rnode *fam[F_COUNT];
	bool procs_tried, have_procs;
	struct irq_table procs;
};

/* One device being collected. */
struct mdev {
	char addr[PCI_ADDR_STRLEN];
	struct pdev *pci;
	struct vdev *v; /* NULL when no register could be read anyway */
	bool regs;	/* v's registers can be read */
	int device_id;
	const char *transport;
	const struct msix_info *msix;
	bool have_lv;
	struct linux_view lv;
};

static void error(struct mc *m, const char *addr, const char *item, const char *reason)
{
	struct rnode *s = m_sample_uint(m->fam[F_ERRORS], 1);

	m_label(s, "address", addr);
	m_label(s, "item", item);
	m_label(s, "reason", reason);
}

/* Why registers gave nothing: the code of a failed read, or none at all. */
static const char *reason_of(const struct mc *m, const struct mdev *d, const struct verr *e)
{
	if (m->s->dump_file)
		return "dump_file";
	if (!d->regs)
		return "registers_unreachable";
	return e->code == VX_PERM ? "selector_write_needed" : "read_failed";
}

static void info(struct mc *m, struct mdev *d)
{
	int id = d->device_id;
	struct rnode *s = m_sample_uint(m->fam[F_INFO], 1);
	struct linux_resources res;
	char buf[256] = "", id_buf[PCI_ID_STRLEN];

	if (d->have_lv &&
	    linux_resources_read(session_sysfs_root(m->s), &d->pci->addr, &d->lv, false, &res))
		linux_resources_summary(&res, buf, sizeof(buf));
	m_label(s, "address", d->addr);
	m_label(s, "pci_id", pci_id_format(d->pci->vendor, d->pci->device, id_buf));
	m_label(s, "type", id >= 0 ? virtio_type_name((unsigned)id) : "unknown");
	m_label(s, "transport", d->transport);
	m_label(s, "pci_driver", d->pci->driver);
	m_label(s, "virtio_device", d->have_lv && d->lv.has_virtio_dev ? d->lv.virtio_dev : "");
	m_label(s, "virtio_driver",
		d->have_lv && d->lv.has_virtio_driver ? d->lv.virtio_driver : "");
	m_label(s, "created", buf);
}

static bool read_status(struct mc *m, struct mdev *d, uint8_t *st)
{
	struct verr e = {0};

	if (d->regs && d->v->ops->get_status(d->v, st, &e) == 0)
		return true;
	if (d->have_lv && d->lv.has_status) {
		*st = (uint8_t)d->lv.status;
		return true;
	}
	error(m, d->addr, "status", reason_of(m, d, &e));
	return false;
}

static void status(struct mc *m, struct mdev *d)
{
	uint8_t st;

	if (!read_status(m, d, &st))
		return;
	m_label(m_sample_uint(m->fam[F_STATUS], st), "address", d->addr);
	for (size_t i = 0; i < sizeof(status_bits) / sizeof(status_bits[0]); i++) {
		struct rnode *s =
			m_sample_uint(m->fam[F_STATUS_BIT], (st & status_bits[i].bit) != 0);

		m_label(s, "address", d->addr);
		m_label(s, "bit", status_bits[i].name);
	}
}

/* The driver's features: the register (legacy: no selector needed), else
 * what the kernel negotiated (sysfs). */
static bool negotiated(struct mc *m, struct mdev *d, uint64_t *f)
{
	struct verr e = {0};

	if (d->regs && d->v->ops->get_driver_features(d->v, f, &e) == 0)
		return true;
	if (d->have_lv && d->lv.has_features) {
		*f = d->lv.features;
		return true;
	}
	error(m, d->addr, "negotiated_features", reason_of(m, d, &e));
	return false;
}

static bool offered(struct mc *m, struct mdev *d, uint64_t *f)
{
	struct verr e = {0};

	if (d->regs && d->v->ops->get_device_features(d->v, f, &e) == 0)
		return true;
	error(m, d->addr, "offered_features", reason_of(m, d, &e));
	return false;
}

/* One series per bit that has a name for the device type or is set in
 * either word, so that the two families have the same label sets. */
static const char *bit_name(unsigned bit, char buf[static 4 + FMT_DEC_MAX])
{
	memcpy(buf, "bit ", 4);
	fmt_dec(buf + 4, bit);
	return buf;
}

static void feature_series(struct mc *m, struct mdev *d, enum fam fam, uint64_t word, uint64_t any)
{
	char buf[4 + FMT_DEC_MAX];
	int id = d->device_id;

	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = id >= 0 ? virtio_feature_name((unsigned)id, bit) : NULL;
		struct rnode *s;

		if (!name && !(any >> bit & 1))
			continue;
		s = m_sample_uint(m->fam[fam], word >> bit & 1);
		m_label(s, "address", d->addr);
		m_label_uint(s, "bit", bit);
		if (name)
			m_label(s, "name", name);
		else
			m_label(s, "name", bit_name(bit, buf));
	}
}

static void features(struct mc *m, struct mdev *d)
{
	uint64_t dev = 0, drv = 0;
	bool have_dev = offered(m, d, &dev), have_drv = negotiated(m, d, &drv);
	uint64_t any = (have_dev ? dev : 0) | (have_drv ? drv : 0);

	if (have_dev)
		feature_series(m, d, F_OFFERED, dev, any);
	if (have_drv)
		feature_series(m, d, F_NEGOTIATED, drv, any);
}

static void queues(struct mc *m, struct mdev *d)
{
	struct verr e = {0};
	unsigned nq;

	if (!d->regs || d->v->ops->get_num_queues(d->v, &nq, &e)) {
		error(m, d->addr, "queues", reason_of(m, d, &e));
		return;
	}
	m_label(m_sample_uint(m->fam[F_QUEUES], nq), "address", d->addr);
}

/* /proc/interrupts, read once per collection. */
static bool procs(struct mc *m)
{
	char path[512];

	if (!m->procs_tried) {
		m->procs_tried = true;
		snprintf(path, sizeof(path), "%s/interrupts", m->s->proc_root);
		m->have_procs = irq_table_read(path, &m->procs) == 0;
	}
	return m->have_procs;
}

/* Per MSI-X vector, the interrupt count of the Linux IRQ it became. With
 * MSI-X off there is nothing per device to count (an INTx line is
 * shared). */
static void interrupts(struct mc *m, struct mdev *d)
{
	struct msix_count *vc;
	int n = msix_table_size(d->pci, d->msix);

	if (n <= 0)
		return;
	m_label(m_sample_uint(m->fam[F_MSIX_VECTORS], (unsigned)n), "address", d->addr);
	if (!session_on_host(m->s)) {
		/* /proc/interrupts describes this machine's functions only */
		error(m, d->addr, "interrupts", m->s->dump_file ? "dump_file" : "simulated");
		return;
	}
	if (!procs(m)) {
		error(m, d->addr, "interrupts", "proc_interrupts_unreadable");
		return;
	}
	if (!d->have_lv || !(vc = calloc((size_t)n, sizeof(*vc))))
		return;
	n = msix_counts(d->pci, &d->lv, &m->procs, vc, (unsigned)n);
	for (int i = 0; i < n; i++) {
		struct rnode *s = m_sample_uint(m->fam[F_INTERRUPTS], vc[i].count);

		m_label(s, "address", d->addr);
		m_label_uint(s, "vector", vc[i].vector);
		m_label_uint(s, "irq", vc[i].irq);
		m_label(s, "queue", vc[i].queue);
	}
	free(vc);
}

int msix_table_size(struct pdev *pci, const struct msix_info *mx)
{
	uint16_t ctl;

	if (!mx->present)
		return 0;
	ctl = pdev_cfg_read16(pci, mx->offset + PCI_MSIX_FLAGS);
	if (!(ctl & PCI_MSIX_FLAGS_ENABLE))
		return 0;
	return (ctl & PCI_MSIX_FLAGS_QSIZE) + 1;
}

int msix_counts(struct pdev *pci, const struct linux_view *lv, const struct irq_table *procs,
		struct msix_count *out, unsigned nvec)
{
	unsigned *vec_irq = calloc(nvec, sizeof(*vec_irq));
	int n = 0;

	if (!vec_irq)
		return 0;
	irq_map_msix(lv, procs, &pci->addr, vec_irq, nvec);
	for (unsigned i = 0; i < nvec; i++) {
		const struct irq_line *l = vec_irq[i] ? irq_table_find(procs, vec_irq[i]) : NULL;
		struct msix_count *c = &out[n];

		if (!l)
			continue;
		c->vector = i;
		c->irq = vec_irq[i];
		c->count = l->total;
		/* a name virtio-pci did not give (shared, INTx-style) is kept whole */
		if (!irq_virtio_name(l->actions, lv->has_virtio_dev ? lv->virtio_dev : "", c->queue,
				     sizeof(c->queue)))
			snprintf(c->queue, sizeof(c->queue), "%s", l->actions);
		n++;
	}
	free(vec_irq);
	return n;
}

static void failures(struct mc *m, const struct mdev *d, const char *level, unsigned n)
{
	struct rnode *s = m_sample_uint(m->fam[F_CHECK_FAILURES], n);

	m_label(s, "address", d->addr);
	m_label(s, "level", level);
}

/* The read-only conformance checks of `check DEVICE`, counted by level:
 * config space the collection read already (the snapshot keeps it), the
 * registers reachable without a selector write, the Linux view. Nothing
 * is written: v allows no selector write, the pdev no write at all. */
static void checks(struct mc *m, struct mdev *d)
{
	struct conform_opts o = {0};
	struct conform_summary sum;
	struct conform_env env = {0};
	struct verr e = {0};
	bool bound = d->pci->driver[0] && strcmp(d->pci->driver, "vfio-pci") != 0;

	env.v = d->v;
	env.bound_driver = bound ? d->pci->driver : "";
	env.lv = d->have_lv ? &d->lv : NULL;
	env.dump_file = m->s->dump_file != NULL;
	env.cancel = &m->s->cancel;
	/* the counts alone: no report tree is built for results nobody reads */
	if (conform_run(&env, &o, NULL, &sum, &e)) {
		error(m, d->addr, "checks", "out_of_memory");
	} else {
		failures(m, d, "must", sum.must_failed);
		failures(m, d, "should", sum.should_failed);
	}
}

static void add(struct mc *m, struct mdev *d)
{
	info(m, d);
	status(m, d);
	features(m, d);
	queues(m, d);
	interrupts(m, d);
	if (d->v)
		checks(m, d);
}

static void add_dev(struct mc *m, struct mdev *d)
{
	/* only the host's functions have a Linux side (not -F, not --simulate) */
	if (session_sysfs_root(m->s)) {
		struct linux_view_hint h = {d->pci->driver_known ? d->pci->driver : NULL,
					    pdev_sysfs_dirfd(d->pci)};

		d->have_lv = linux_view_read_in(session_sysfs_root(m->s), &d->pci->addr,
						session_virtio_index(m->s), &h, &d->lv) == 0;
	}
	add(m, d);
}

void metrics_add(struct mc *m, struct pdev *pci, struct vdev *v)
{
	struct mdev *d = calloc(1, sizeof(*d));

	if (!d) {
		m->root->flags |= RF_OOM;
		return;
	}
	pci_addr_format(&pci->addr, d->addr);
	d->pci = pci;
	d->v = v;
	d->regs = vdev_regs_readable(v);
	d->device_id = v->device_id;
	d->transport = vdev_kind_name(v->kind);
	d->msix = &v->caps.pci.msix;
	add_dev(m, d);
	free(d);
}

/* Opens a function for reading only: through libpci and resource files,
 * never VFIO, and with writes (selectors included) refused. A function
 * given by the user must be there; one found by the scan that vanished or
 * cannot be opened is a collection error. */
static int collect(struct mc *m, const struct pci_addr *a, bool given, struct verr *e)
{
	char addr[PCI_ADDR_STRLEN];
	struct pdev *pci = NULL;
	struct verr oe = {0};
	struct vdev v;

	if (psys_open_config(m->sys, a, &pci, &oe) == 0) {
		pdev_allow_writes(pci, false, "metrics writes nothing");
		/* read-only and closed below: each config dword read once */
		pdev_cfg_snapshot(pci, true);
		if (vdev_open(pci, &v, &oe) == 0) {
			vdev_allow_select(&v, false, "metrics writes no selector");
			metrics_add(m, pci, &v);
			pdev_close(pci);
			return 0;
		}
		pdev_close(pci);
	}
	if (given)
		return verr_set(e, oe.code, "%s", oe.msg);
	pci_addr_format(a, addr);
	error(m, addr, "device", oe.code == VX_NODEV ? "gone" : "open_failed");
	return 0;
}

static int collect_all(struct mc *m, struct verr *e)
{
	struct psys_entry *ents = NULL;
	size_t n = 0;
	int rc = 0;

	if (psys_scan(m->sys, &ents, &n, e))
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			rc = collect(m, &ents[i].addr, false, e);
	free(ents);
	return rc;
}

/* The given devices, each once, in the order given. */
static int collect_given(struct mc *m, const struct cmd_args *a, struct verr *e)
{
	struct pci_addr *seen = calloc((size_t)a->argc, sizeof(*seen));
	int nseen = 0, rc = 0;

	if (!seen)
		return verr_set(e, VX_FAIL, "out of memory");
	for (int i = 0; i < a->argc && rc == 0; i++) {
		bool dup = false;

		if (!pci_addr_parse(a->argv[i], &seen[nseen])) {
			rc = verr_set(
				e, VX_USAGE,
				"'%s' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)",
				a->argv[i]);
			break;
		}
		for (int k = 0; k < nseen; k++)
			dup |= pci_addr_cmp(&seen[k], &seen[nseen]) == 0;
		if (!dup)
			rc = collect(m, &seen[nseen++], true, e);
	}
	free(seen);
	return rc;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int write_textfile(const char *path, const struct rnode *root, struct verr *e)
{
	struct afile af;

	/* node_exporter runs as its own user: the file must be readable */
	if (afile_open(&af, path, 0644, e))
		return -1;
	render_metrics(af.f, root);
	return afile_commit(&af, e);
}

struct mc *metrics_begin(struct session *s, struct verr *e)
{
	struct mc *m = calloc(1, sizeof(*m));

	if (!m || !(m->root = m_new())) {
		free(m);
		verr_set(e, VX_FAIL, "out of memory");
		return NULL;
	}
	m->s = s;
	clock_gettime(CLOCK_MONOTONIC, &m->t0);
	for (int i = 0; i < F_COUNT; i++)
		m->fam[i] = m_family(m->root, &families[i]);
	return m;
}

struct rnode *metrics_end(struct mc *m)
{
	struct rnode *root = m->root;

	m_sample_double(m->fam[F_DURATION], seconds_since(&m->t0));
	if (m->have_procs)
		irq_table_free(&m->procs);
	free(m);
	return root;
}

CMD_HANDLER(cmd_metrics)
{
	const char *textfile = a->opt[METRICS_TEXTFILE].given ? a->opt[METRICS_TEXTFILE].s : NULL;
	struct mc *m;
	int rc;

	if (textfile && !*textfile)
		return verr_set(e, VX_USAGE, "metrics --textfile: a file name is needed");
	if (!(m = metrics_begin(s, e)))
		return -1;
	rc = session_system(s, &m->sys, e);
	if (rc == 0)
		rc = a->argc ? collect_given(m, a, e) : collect_all(m, e);
	*out = metrics_end(m);
	if (rc) {
		/* a device asked for is missing: no half answer for a scraper */
		r_free(*out);
		*out = NULL;
	}
	if (rc || !textfile)
		return rc;
	/* written to the file only: standard output stays quiet for timers */
	rc = r_complete(*out) ? write_textfile(textfile, *out, e)
			      : verr_set(e, VX_FAIL, "out of memory while collecting");
	r_free(*out);
	*out = NULL;
	return rc;
}
