/* A device a Linux driver owns, as sysfs shows it next to the registers:
 * negotiated features within the offered ones, the status the kernel
 * reads against the register, MSI-X enabled with each vector in use
 * backed by a Linux IRQ. */
#include "conform/checks.h"

#include <stdio.h>

static bool need_linux(struct ck_state *st, struct ck_out *o)
{
	if (st->env->dump_file) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "config-space dump: no Linux view");
		return false;
	}
	if (!st->env->bound_driver || !st->env->bound_driver[0] || !st->env->lv) {
		ck_skip(o, CK_SKIP_NA, "no kernel driver owns the device");
		return false;
	}
	if (!st->env->lv->has_virtio_dev) {
		ck_skip(o, CK_SKIP_NA, "driver %s created no virtio device", st->env->bound_driver);
		return false;
	}
	return true;
}

CHECK_FN(chk_linux_features_subset)
{
	const struct linux_view *lv = st->env->lv;
	uint64_t f;

	if (!need_linux(st, o))
		return;
	if (!lv->has_features) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "sysfs shows no negotiated features");
		return;
	}
	if (!ck_offered(st, o, &f))
		return;
	if (lv->features & ~f) {
		ck_fail(o, "negotiated features within the offered ones",
			"negotiated 0x%016llx, offered 0x%016llx: bits 0x%016llx not offered",
			(unsigned long long)lv->features, (unsigned long long)f,
			(unsigned long long)(lv->features & ~f));
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_linux_status_match)
{
	const struct linux_view *lv = st->env->lv;
	struct verr e = {0};
	uint8_t s;

	if (!need_linux(st, o))
		return;
	if (!lv->has_status) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "sysfs shows no status");
		return;
	}
	if (!ck_need_regs(st, o))
		return;
	if (st->v->ops->get_status(st->v, &s, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "device status not read: %s", e.msg);
		return;
	}
	if (s != (uint8_t)lv->status) {
		ck_fail(o, "the register shows the status the kernel reads",
			"device_status 0x%02x, sysfs status 0x%02x", s, (unsigned)lv->status);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_linux_msix_enabled)
{
	const struct msix_info *m = &st->caps->pci.msix;

	if (!need_linux(st, o))
		return;
	if (!m->present) {
		ck_skip(o, CK_SKIP_NA, "no MSI-X capability");
		return;
	}
	if (!m->enabled || m->function_masked || !st->env->lv->msix) {
		ck_fail(o, "MSI-X enabled and unmasked while the driver uses the device",
			"MSI-X %s%s, Linux %s", m->enabled ? "enabled" : "disabled",
			m->function_masked ? " (function masked)" : "",
			st->env->lv->msix ? "uses MSI-X" : "uses no MSI-X vectors");
		return;
	}
	ck_pass(o);
}

/* Vector v is backed when Linux allocated at least v + 1 vectors (it
 * allocates them in entry order: linux/view.h). */
static bool backed(const struct linux_view *lv, uint16_t v)
{
	return v == VIRTIO_MSI_NO_VECTOR || (lv->msix && v < lv->n_msi_irqs);
}

CHECK_FN(chk_linux_msix_mapped)
{
	const struct linux_view *lv = st->env->lv;
	struct verr e = {0};
	uint16_t cv;
	unsigned nq;

	if (!need_linux(st, o))
		return;
	if (!st->caps->pci.msix.present || !st->caps->pci.msix.enabled) {
		ck_skip(o, CK_SKIP_NA, "MSI-X not in use");
		return;
	}
	if (!ck_need_regs(st, o))
		return;
	if (st->v->ops->get_config_vector(st->v, &cv, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "config_msix_vector not read: %s", e.msg);
		return;
	}
	if (!backed(lv, cv)) {
		ck_fail(o, "every vector in use backed by a Linux IRQ",
			"config_msix_vector %u, Linux has %u MSI-X IRQs", cv, lv->n_msi_irqs);
		return;
	}
	if (!ck_queues(st, o))
		return;
	nq = st->nq < VDEV_MAX_QUEUES ? st->nq : VDEV_MAX_QUEUES;
	for (unsigned q = 0; q < nq; q++)
		if (st->q[q].enable && !backed(lv, st->q[q].msix_vector)) {
			ck_fail(o, "every vector in use backed by a Linux IRQ",
				"queue %u: queue_msix_vector %u, Linux has %u MSI-X IRQs", q,
				st->q[q].msix_vector, lv->n_msi_irqs);
			return;
		}
	ck_pass(o);
}
