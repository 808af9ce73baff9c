/* Every report section on one device, as `dump` and `irqs` build them,
 * for targets whose devices are hostile (caps, regs). */
#include "fuzz.h"

#include <string.h>

#include "cli/report.h"
#include "conform/conform.h"
#include "virtio/caps.h"
#include "virtio/vdev.h"

/* What the walker promises about what it returns, whatever the device. */
static void check_caps(const struct pdev *pci, const struct vcaps *c)
{
	const int chosen[] = {c->common, c->notify, c->isr, c->device, c->pci_cfg};
	const unsigned types[] = {VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
				  VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
				  VIRTIO_PCI_CAP_PCI_CFG};

	FUZZ_ASSERT(c->pci.n <= PCI_CAPS_MAX && c->nv <= VCAPS_MAX_VIRTIO);
	for (unsigned i = 0; i < c->nv; i++) {
		const struct vcap *v = &c->v[i];

		FUZZ_ASSERT(memchr(v->problem, '\0', sizeof(v->problem)) != NULL);
		if (!v->usable || v->cfg_type == VIRTIO_PCI_CAP_PCI_CFG ||
		    v->cfg_type == VIRTIO_PCI_CAP_VENDOR_CFG)
			continue;
		FUZZ_ASSERT(v->problem[0] == '\0');
		FUZZ_ASSERT(v->bar < PCI_NUM_BARS && pci->bar[v->bar].kind != PCI_BAR_NONE);
		FUZZ_ASSERT(v->bar_offset + v->length >= v->bar_offset);
		FUZZ_ASSERT(!pci->bar[v->bar].size ||
			    pdev_bar_contains(pci, v->bar, v->bar_offset, v->length));
	}
	for (unsigned i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++) {
		FUZZ_ASSERT(chosen[i] >= -1 && chosen[i] < (int)c->nv);
		FUZZ_ASSERT(chosen[i] < 0 ||
			    (c->v[chosen[i]].usable && c->v[chosen[i]].cfg_type == types[i]));
	}
	FUZZ_ASSERT(!c->pci.msix.present ||
		    (c->pci.msix.table_size >= 1 && c->pci.msix.table_size <= 2048));
}

static void build_all(struct session *s, struct sdev *d, bool render)
{
	static void (*const sections[])(struct rctx *) = {
		report_identity, report_linux,	report_caps,   report_status, report_features,
		report_common,	 report_config, report_vendor, report_irqs,
	};
	struct rnode *root = r_new_root();
	struct rctx c;

	rctx_init(&c, s, d, root);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		sections[i](&c);
	rctx_finish(&c);
	if (render)
		fuzz_render(root);
	r_free(root);
}

/* `check` read-only: every check on the hostile device, counted right. */
static void check_all(struct sdev *d)
{
	struct conform_env env = {.v = &d->v, .bound_driver = d->bound ? "virtio-pci" : ""};
	struct conform_opts o = {NULL, 0, false};
	struct conform_summary sum;
	struct rnode *root = r_new_root();
	struct verr e = {0};
	size_t n;

	conform_checks(&n);
	FUZZ_ASSERT(conform_run(&env, &o, root, &sum, &e) == 0);
	FUZZ_ASSERT(sum.checks == n && sum.passed + sum.failed + sum.skipped == n);
	FUZZ_ASSERT(sum.must_failed + sum.should_failed == sum.failed);
	/* The checks run on every input; their table (sixty rows of text,
	 * as long again as the device's own report) is rendered for some. */
	if (fuzz_render_sampled())
		fuzz_render(root);
	r_free(root);
}

void fuzz_device_reports(struct pdev *pci, bool bound, bool select)
{
	struct session s;
	struct sdev d = {.pci = pci, .bound = bound};
	struct verr e = {0};

	session_init(&s);
	s.sysfs_root = "/nonexistent";
	s.proc_root = "/nonexistent";
	s.select = select;
	if (vdev_open(pci, &d.v, &e)) {
		FUZZ_ASSERT(e.code == VX_NOTVIRTIO);
		goto out;
	}
	check_caps(pci, &d.v.caps);
	/* The session's write policy (session.c apply_policy). */
	if (bound)
		pdev_allow_writes(pci, select, "bound (fuzz)");
	vdev_allow_select(&d.v, pci->writable && (select || !bound), "not allowed (fuzz)");
	if (bound && select)
		vdev_use_window(&d.v);
	build_all(&s, &d, true);
	check_all(&d);
	/* The legacy interface's reports are built on every input, rendered
	 * on some (the same renderers on the same kind of tree). */
	if (d.v.kind != VDEV_MODERN && vdev_use_interface(&d.v, VDEV_IFACE_LEGACY, &e) == 0)
		build_all(&s, &d, fuzz_render_sampled());
out:
	session_fini(&s);
}
