/* `irqs`: where a device's interrupts go, from every side that can be
 * read without disturbing it:
 *  - the MSI-X capability (config space) and each table entry (address,
 *    data, mask) and pending bit, from the table BAR where it is readable;
 *  - the vectors the device was told to use: config vector, and each
 *    queue's (queue_select writes: the usual --select policy);
 *  - the Linux IRQ each vector became (msi_irqs, and the chip and hwirq
 *    columns of /proc/interrupts, see pci/linux_irqs.h), with its name
 *    and per-CPU counts;
 *  - INTx when MSI-X is off: the pin, the IRQ, its /proc/interrupts line,
 *    and the ISR, read only when no driver at all owns the device (reading
 *    clears it).
 * Nothing is written except the saved-and-restored queue selector. */
#include "cli/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/irqs.h"
#include "pci/regs.h"

enum {
	MSIX_ENTRY_CTRL_MASKED = 1,
	ISR_QUEUE = 1,
	ISR_CONFIG = 2,
};

/* Everything gathered before the report is built. */
struct irqs {
	bool msix_present, msix_enabled;
	unsigned table_size;
	int config_vector; /* -1: unknown */
	unsigned nq;	   /* queues whose vector is known */
	uint16_t qvec[VDEV_MAX_QUEUES];
	bool have_procs;
	struct irq_table procs;
	unsigned *vec_irq; /* table_size entries: Linux IRQ, 0 when none */
	const char *mapping;
};

static void msix_section(struct rctx *c, struct irqs *q)
{
	const struct msix_info *m = &c->d->v.caps.pci.msix;
	uint16_t ctl = pdev_cfg_read16(c->d->pci, m->offset + PCI_MSIX_FLAGS);
	struct rnode *o;

	q->msix_present = m->present;
	if (!m->present && c->d->v.caps.pci.unreadable[0]) {
		r_unknown(c->root, "msix", "MSI-X", c->d->v.caps.pci.unreadable);
		/* sysfs still says whether the kernel enabled MSI-X */
		q->msix_enabled = c->have_lv && c->lv.has_msi_irqs && c->lv.msix;
		return;
	}
	if (!m->present) {
		r_none(c->root, "msix", "MSI-X");
		return;
	}
	/* read again: a driver may have enabled it since the device was opened */
	q->msix_enabled = ctl & PCI_MSIX_FLAGS_ENABLE;
	q->table_size = (ctl & PCI_MSIX_FLAGS_QSIZE) + 1u;
	o = r_obj(c->root, "msix", "MSI-X");
	r_bool(o, "enabled", "Enabled", q->msix_enabled);
	r_bool(o, "function_masked", "Function masked", ctl & PCI_MSIX_FLAGS_MASKALL);
	r_uint(o, "table_size", "Table size", q->table_size, NULL);
	/* locations as integers, the keys and formats of `caps` */
	r_uint(o, "table_bar", "Table BAR", m->table_bar, NULL);
	r_uint(o, "table_offset", "Table offset", m->table_offset, "0x%x");
	r_uint(o, "pba_bar", "PBA BAR", m->pba_bar, NULL);
	r_uint(o, "pba_offset", "PBA offset", m->pba_offset, "0x%x");
}

static void config_vector(struct rctx *c, struct irqs *q)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	uint16_t vec;

	q->config_vector = -1;
	if (!vdev_regs_readable(v)) {
		rctx_note_cat(c, "registers not read: ", rctx_regs_why(c));
		snprintf(e.msg, sizeof(e.msg), "registers not read: %s", rctx_regs_why(c));
	} else if (v->ops->get_config_vector(v, &vec, &e)) {
		rctx_note_cat(c, "config vector not read: ", e.msg);
	} else {
		q->config_vector = vec;
		r_uint(c->root, "config_vector", "Config vector", vec, "0x%04llx");
		return;
	}
	r_unknown(c->root, "config_vector", "Config vector", e.msg);
}

/* Queue vectors sit behind queue_select: the usual selector policy. */
static void queue_vectors(struct rctx *c, struct irqs *q)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	unsigned nq;

	q->nq = 0;
	if (!vdev_regs_readable(v))
		return;
	if (!v->can_select) {
		rctx_note_cat(c, "queue vectors not read: ", v->select_why);
		return;
	}
	if (v->ops->get_num_queues(v, &nq, &e)) {
		rctx_note_cat(c, "queue vectors not read: ", e.msg);
		return;
	}
	for (unsigned i = 0; i < nq && i < VDEV_MAX_QUEUES; i++) {
		struct vq_regs r;

		if (v->ops->get_queue(v, i, &r, &e)) {
			rctx_note(c, "queue %u not read: %s", i, e.msg);
			break;
		}
		q->qvec[q->nq++] = r.msix_vector;
	}
}

/* Vector index -> Linux IRQ: exact from /proc/interrupts where the chip
 * says (linux_irqs.h), else msi_irqs in ascending order, which is the
 * order the kernel allocated them in (vector 0 first). */
static void map_linux(struct rctx *c, struct irqs *q)
{
	bool exact;

	q->mapping = NULL;
	if (!c->have_lv || !q->vec_irq || !c->lv.has_msi_irqs || !c->lv.msix || !c->lv.n_msi_irqs)
		return;
	exact = irq_map_msix(&c->lv, q->have_procs ? &q->procs : NULL, &c->d->pci->addr, q->vec_irq,
			     q->table_size);
	q->mapping = exact ? "exact (irq chip and hwirq in /proc/interrupts)"
			   : "msi_irqs in ascending order (the kernel allocates in vector order)";
}

static void used_by(const struct irqs *q, unsigned vec, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (q->config_vector == (int)vec)
		o += (size_t)snprintf(buf, len, "config");
	for (unsigned i = 0; i < q->nq && o < len; i++)
		if (q->qvec[i] == vec)
			o += (size_t)snprintf(buf + o, len - o, "%squeue %u", o ? ", " : "", i);
}

static int read_entry(struct rctx *c, unsigned i, uint32_t w[4], struct verr *e)
{
	const struct msix_info *m = &c->d->v.caps.pci.msix;

	for (unsigned k = 0; k < 4; k++) {
		uint64_t x;

		if (pdev_bar_read(c->d->pci, m->table_bar,
				  (uint64_t)m->table_offset + PCI_MSIX_ENTRY_SIZE * i + 4 * k, 4,
				  &x, e))
			return -1;
		w[k] = (uint32_t)x;
	}
	return 0;
}

static int read_pending(struct rctx *c, unsigned i, bool *pending, struct verr *e)
{
	const struct msix_info *m = &c->d->v.caps.pci.msix;
	uint64_t x;

	if (pdev_bar_read(c->d->pci, m->pba_bar, (uint64_t)m->pba_offset + 4 * (i / 32), 4, &x, e))
		return -1;
	*pending = x >> (i % 32) & 1;
	return 0;
}

static void entry_cells(struct rctx *c, struct rnode *row, unsigned i, bool *table_ok)
{
	struct verr e = {0};
	uint32_t w[4];
	bool pending;

	if (*table_ok && (read_entry(c, i, w, &e) || read_pending(c, i, &pending, &e))) {
		rctx_note_cat(c, "MSI-X table not read: ", e.msg);
		*table_ok = false;
	}
	if (!*table_ok) {
		const char *why = "MSI-X table not read (see notes)";

		r_unknown(row, "address", "address", why);
		r_unknown(row, "data", "data", why);
		r_unknown(row, "masked", "masked", why);
		r_unknown(row, "pending", "pending", why);
		return;
	}
	r_uint(row, "address", "address", (uint64_t)w[1] << 32 | w[0], "0x%llx");
	r_uint(row, "data", "data", w[2], "0x%04llx");
	r_bool(row, "masked", "masked", w[3] & MSIX_ENTRY_CTRL_MASKED);
	r_bool(row, "pending", "pending", pending);
}

static void linux_cells(struct rnode *row, const struct irqs *q, unsigned irq)
{
	const struct irq_line *l = irq && q->have_procs ? irq_table_find(&q->procs, irq) : NULL;

	if (irq)
		r_uint(row, "linux_irq", "irq", irq, NULL);
	else
		r_null(row, "linux_irq", "irq");
	r_str(row, "linux_name", "name", l ? l->actions : NULL);
	if (l)
		r_uint(row, "interrupts", "count", l->total, NULL);
	else
		r_null(row, "interrupts", "count");
}

static void vector_table(struct rctx *c, struct irqs *q)
{
	struct rnode *t = r_arr(c->root, "vectors", "Vectors", RF_TABLE);
	/* A BAR the backend already knows it cannot reach is not tried. */
	bool table_ok = pdev_has_bar_access(c->d->pci);
	char users[256];

	if (!table_ok)
		rctx_note_cat(c, "MSI-X table not read: ", c->d->pci->bar_why);

	for (unsigned i = 0; i < q->table_size; i++) {
		struct rnode *row = r_obj(t, NULL, NULL);

		r_uint(row, "vector", "vector", i, NULL);
		entry_cells(c, row, i, &table_ok);
		used_by(q, i, users, sizeof(users));
		r_str(row, "used_by", "used by", users[0] ? users : NULL);
		linux_cells(row, q, q->vec_irq ? q->vec_irq[i] : 0);
	}
}

static void queue_table(struct rctx *c, const struct irqs *q)
{
	struct rnode *t;

	if (!q->nq) {
		r_unknown(c->root, "queues", "Queues",
			  c->d->v.can_select ? "queue vectors not read (see notes)"
					     : c->d->v.select_why);
		return;
	}
	t = r_arr(c->root, "queues", "Queues", RF_TABLE);
	for (unsigned i = 0; i < q->nq; i++) {
		struct rnode *row = r_obj(t, NULL, NULL);
		unsigned vec = q->qvec[i];
		bool mapped = vec < q->table_size && q->vec_irq;

		r_uint(row, "index", "queue", i, NULL);
		r_uint(row, "msix_vector", "vector", vec, "0x%04llx");
		linux_cells(row, q, mapped ? q->vec_irq[vec] : 0);
	}
}

/* One /proc/interrupts line, whole: for the IRQs that belong to the
 * device (its vectors, or its INTx line). A table row. */
static void irq_detail(struct rnode *arr, const struct irq_line *l, int vector)
{
	struct rnode *o = r_obj(arr, NULL, NULL), *pc;

	r_uint(o, "irq", "irq", l->irq, NULL);
	if (vector >= 0)
		r_uint(o, "vector", "vector", (unsigned)vector, NULL);
	else
		r_null(o, "vector", "vector");
	r_str(o, "name", "name", l->actions);
	r_str(o, "chip", "chip", l->chip);
	if (l->has_hwirq)
		r_uint(o, "hwirq", "hwirq", l->hwirq, NULL);
	else
		r_null(o, "hwirq", "hwirq");
	r_uint(o, "total", "total", l->total, NULL);
	pc = r_arr(o, "per_cpu", "per CPU", RF_INLINE);
	for (unsigned k = 0; k < l->ncpu; k++)
		r_uint(pc, NULL, NULL, l->count[k], NULL);
}

static void linux_irq_list(struct rctx *c, const struct irqs *q)
{
	struct rnode *arr;

	if (!q->have_procs || !q->vec_irq) {
		r_unknown(c->root, "linux_irqs", "Linux IRQs",
			  c->s->dump_file ? "no /proc/interrupts with -F"
					  : "/proc/interrupts not read");
		return;
	}
	arr = r_arr(c->root, "linux_irqs", "Linux IRQs", RF_TABLE);
	for (unsigned i = 0; i < q->table_size; i++) {
		const struct irq_line *l =
			q->vec_irq[i] ? irq_table_find(&q->procs, q->vec_irq[i]) : NULL;

		if (l)
			irq_detail(arr, l, (int)i);
	}
}

/* Reading the ISR clears it: only with no driver at all (not even
 * vfio-pci, whose user would lose the interrupt) and INTx in use. */
static void isr_cell(struct rctx *c, struct rnode *o)
{
	struct vdev *v = &c->d->v;
	struct verr e = {0};
	uint8_t isr;

	if (c->s->dump_file || !vdev_regs_readable(v)) {
		r_unknown_cat(o, "isr", "ISR", "registers not read: ", rctx_regs_why(c));
		return;
	}
	if (c->d->pci->driver[0]) {
		rctx_note(c, "ISR not read: reading it clears it, and driver %s owns the device",
			  c->d->pci->driver);
		r_unknownf(o, "isr", "ISR", "not read: reading it clears it, and driver %s owns it",
			   c->d->pci->driver);
		return;
	}
	if (v->ops->read_isr(v, &isr, &e)) {
		rctx_note_cat(c, "ISR not read: ", e.msg);
		r_unknown(o, "isr", "ISR", e.msg);
		return;
	}
	r_annot(r_uint(o, "isr", "ISR", isr, "0x%02llx"), "%s%s%s", isr & ISR_QUEUE ? "queue" : "",
		(isr & (ISR_QUEUE | ISR_CONFIG)) == (ISR_QUEUE | ISR_CONFIG) ? ", " : "",
		isr & ISR_CONFIG ? "config" : "");
}

static void intx_section(struct rctx *c, const struct irqs *q)
{
	static const char *const pin_names[] = {"INTA#", "INTB#", "INTC#", "INTD#"};
	struct pdev *p = c->d->pci;
	uint8_t pin = pdev_cfg_read8(p, PCI_CFG_INTERRUPT_PIN);
	const struct irq_line *l;
	struct rnode *o;

	if (q->msix_enabled) {
		r_null(c->root, "intx", "INTx");
		return;
	}
	o = r_obj(c->root, "intx", "INTx");
	r_annot_str(r_uint(o, "pin", "Pin", pin, NULL),
		    pin >= 1 && pin <= 4 ? pin_names[pin - 1] : "none");
	r_uint(o, "line", "Line register", pdev_cfg_read8(p, PCI_CFG_INTERRUPT_LINE), NULL);
	r_bool(o, "disabled", "Disabled (command)",
	       pdev_cfg_read16(p, PCI_CFG_COMMAND) & PCI_CMD_INTX_DISABLE);
	r_bool(o, "asserted", "Asserted (status)",
	       pdev_cfg_read16(p, PCI_CFG_STATUS) & PCI_STATUS_INTERRUPT);
	isr_cell(c, o);
	if (!c->have_lv || !c->lv.has_irq || !c->lv.irq) {
		if (c->have_lv && c->lv.has_irq)
			r_none(o, "linux_irq", "Linux IRQ");
		else
			r_unknown(o, "linux_irq", "Linux IRQ",
				  c->have_lv ? "sysfs has no irq file" : "not in sysfs");
		return;
	}
	r_uint(o, "linux_irq", "Linux IRQ", c->lv.irq, NULL);
	l = q->have_procs ? irq_table_find(&q->procs, c->lv.irq) : NULL;
	if (l)
		irq_detail(r_arr(o, "interrupts", "Interrupts", RF_TABLE), l, -1);
}

/* Without the MSI-X capability (config space not readable), the IRQs
 * sysfs lists for the function and their /proc/interrupts lines are all
 * there is; a vector number only where the irq chip states it. */
static void linux_only_irqs(struct rctx *c, const struct irqs *q)
{
	const struct linux_view *lv = &c->lv;
	unsigned n = lv->n_msi_irqs < LINUX_VIEW_MAX_IRQS ? lv->n_msi_irqs : LINUX_VIEW_MAX_IRQS;
	struct rnode *arr;

	if (!c->have_lv || !lv->has_msi_irqs || !q->have_procs) {
		r_unknown(c->root, "linux_irqs", "Linux IRQs",
			  c->have_lv && lv->has_msi_irqs ? "/proc/interrupts not read"
							 : "sysfs lists no msi_irqs");
		return;
	}
	arr = r_arr(c->root, "linux_irqs", "Linux IRQs", RF_TABLE);
	for (unsigned i = 0; i < n; i++) {
		const struct irq_line *l = irq_table_find(&q->procs, lv->msi_irqs[i]);

		if (l)
			irq_detail(arr, l, irq_msi_index(l, &c->d->pci->addr));
	}
}

static void load_procs(struct rctx *c, struct irqs *q)
{
	char path[512];

	if (!session_on_host(c->s))
		return;
	snprintf(path, sizeof(path), "%s/interrupts", c->s->proc_root);
	q->have_procs = irq_table_read(path, &q->procs) == 0;
	if (!q->have_procs)
		rctx_note(c, "%s not read: Linux IRQ names and counts are missing", path);
}

void report_irqs(struct rctx *c)
{
	struct irqs *q = calloc(1, sizeof(*q));

	if (!q)
		return;
	msix_section(c, q);
	load_procs(c, q);
	if (q->msix_present) {
		q->vec_irq = calloc(q->table_size, sizeof(*q->vec_irq));
		config_vector(c, q);
		queue_vectors(c, q);
		map_linux(c, q);
		r_str(c->root, "irq_mapping", "Vector to IRQ", q->mapping);
		vector_table(c, q);
		queue_table(c, q);
		linux_irq_list(c, q);
	} else if (c->d->v.caps.pci.unreadable[0]) {
		linux_only_irqs(c, q);
	}
	intx_section(c, q);
	free(q->vec_irq);
	irq_table_free(&q->procs);
	free(q);
}
