/* `caps`: BARs, the PCI capability chain, virtio capabilities, MSI-X. */
#include "cli/report.h"

#include <string.h>

#include "pci/regs.h"
#include "virtio/caps.h"

/* One register's bits by name, as a table (data, not code). */
struct reg_bit {
	uint16_t mask;
	const char *key, *label;
};

static const struct reg_bit command_bits[] = {
	{PCI_CMD_IO_DECODE, "io_decode", "I/O decoding"},
	{PCI_CMD_MEM_DECODE, "memory_decode", "Memory decoding"},
	{PCI_CMD_BUS_MASTER, "bus_master", "Bus master"},
	{PCI_CMD_PARITY, "parity_error_response", "Parity error response"},
	{PCI_CMD_SERR, "serr_enable", "SERR# enable"},
	{PCI_CMD_INTX_DISABLE, "intx_disable", "INTx disabled"},
};

static const struct reg_bit status_bits[] = {
	{PCI_STATUS_INTERRUPT, "interrupt", "INTx asserted"},
	{PCI_STATUS_CAP_LIST, "capabilities_list", "Capabilities list"},
	{PCI_STATUS_MASTER_PARITY, "master_data_parity_error", "Master data parity error"},
	{PCI_STATUS_SIG_TARGET_ABORT, "signaled_target_abort", "Signaled target abort"},
	{PCI_STATUS_REC_TARGET_ABORT, "received_target_abort", "Received target abort"},
	{PCI_STATUS_REC_MASTER_ABORT, "received_master_abort", "Received master abort"},
	{PCI_STATUS_SIG_SYSTEM_ERROR, "signaled_system_error", "Signaled system error"},
	{PCI_STATUS_DETECTED_PARITY, "detected_parity_error", "Detected parity error"},
};

#define ERROR_BITS                                                                              \
	(PCI_STATUS_MASTER_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT | \
	 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

static struct rnode *reg_object(struct rctx *c, const char *key, const char *label, unsigned off,
				const struct reg_bit *bits, size_t n, uint16_t *val)
{
	uint32_t v;
	struct verr e = {0};
	struct rnode *o;

	if (pdev_cfg_read(c->d->pci, off, 2, &v, &e)) {
		r_unknown(c->root, key, label, e.msg);
		return NULL;
	}
	*val = (uint16_t)v;
	o = r_obj(c->root, key, label);
	r_uint(o, "value", "Value", v, "0x%04x");
	for (size_t i = 0; i < n; i++)
		r_bool(o, bits[i].key, bits[i].label, v & bits[i].mask);
	return o;
}

static bool has_bar(const struct pdev *p, bool io)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (p->bar[i].kind != PCI_BAR_NONE && (p->bar[i].kind == PCI_BAR_IO) == io)
			return true;
	return false;
}

/* A virtio device its driver uses needs memory decoding (the modern
 * registers live in memory BARs) and bus mastering (the device writes
 * the used rings): off while bound, the device cannot work. */
static void command_notes(struct rctx *c, uint16_t cmd)
{
	const struct pdev *p = c->d->pci;

	if (!p->driver[0] || strcmp(p->driver, "virtio-pci") != 0)
		return;
	if (!(cmd & PCI_CMD_MEM_DECODE) && has_bar(p, false))
		rctx_note(c,
			  "command register: memory decoding is off although driver %s is "
			  "bound: its registers do not answer",
			  p->driver);
	if (!(cmd & PCI_CMD_IO_DECODE) && has_bar(p, true) && c->d->v.ops->legacy_ring)
		rctx_note(c,
			  "command register: I/O decoding is off although driver %s is bound "
			  "through the legacy interface",
			  p->driver);
	if (!(cmd & PCI_CMD_BUS_MASTER))
		rctx_note(c,
			  "command register: bus mastering is off although driver %s is bound: "
			  "the device cannot reach its queues",
			  p->driver);
}

/* The Command and Status registers, bit by bit (PCI 3.0, 6.2.2-6.2.3). */
static void report_command_status(struct rctx *c)
{
	uint16_t cmd = 0, st = 0;

	if (reg_object(c, "pci_command", "PCI command", PCI_CFG_COMMAND, command_bits,
		       sizeof(command_bits) / sizeof(command_bits[0]), &cmd))
		command_notes(c, cmd);
	if (reg_object(c, "pci_status", "PCI status", PCI_CFG_STATUS, status_bits,
		       sizeof(status_bits) / sizeof(status_bits[0]), &st) &&
	    (st & ERROR_BITS))
		rctx_note(c, "status register 0x%04x: error bits are set (see pci_status)", st);
}

static void report_bars(struct rctx *c)
{
	struct rnode *t = r_arr(c->root, "bars", "BARs", RF_TABLE);
	const struct pdev *p = c->d->pci;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &p->bar[i];
		struct rnode *row;

		if (b->kind == PCI_BAR_NONE)
			continue;
		row = r_obj(t, NULL, NULL);
		r_uint(row, "index", "BAR", i, NULL);
		r_str(row, "kind", "type", pci_bar_kind_name(b->kind));
		r_bool(row, "prefetchable", "prefetch", b->prefetchable);
		r_uint(row, "address", "address", b->base, "0x%llx");
		if (b->size)
			r_uint(row, "size", "size", b->size, "0x%llx");
		else
			r_unknown(row, "size", "size",
				  "the BAR's size is not in config space and was not given");
	}
}

static void report_pci_caps(struct rctx *c)
{
	const struct vcaps *caps = &c->d->v.caps;
	struct rnode *t;

	if (caps->pci.unreadable[0]) {
		r_unknown(c->root, "pci_capabilities", "PCI capabilities", caps->pci.unreadable);
		return;
	}
	t = r_arr(c->root, "pci_capabilities", "PCI capabilities", RF_TABLE);

	for (unsigned i = 0; i < caps->pci.n; i++) {
		const struct pcicap *pc = &caps->pci.cap[i];
		const char *name = pc->extended ? pci_ext_cap_name(pc->id) : pci_cap_name(pc->id);
		struct rnode *row = r_obj(t, NULL, NULL);

		r_uint(row, "offset", "offset", pc->offset, "0x%02x");
		r_uint(row, "id", "id", pc->id, pc->extended ? "0x%04x" : "0x%02x");
		r_bool(row, "extended", "extended", pc->extended);
		r_str(row, "name", "name", name ? name : "unknown");
	}
	if (caps->pci.chain_problem[0]) {
		r_str(c->root, "capability_chain_problem", "Chain problem",
		      caps->pci.chain_problem);
		rctx_note_cat(c, "capability chain: ", caps->pci.chain_problem);
	}
	if (caps->pci.ext_chain_problem[0]) {
		r_str(c->root, "extended_chain_problem", "Extended chain problem",
		      caps->pci.ext_chain_problem);
		rctx_note_cat(c, "extended capability chain: ", caps->pci.ext_chain_problem);
	}
}

static void vcap_row(struct rnode *t, const struct vcap *v)
{
	const char *type = vcap_cfg_type_name(v->cfg_type);
	struct rnode *row = r_obj(t, NULL, NULL);
	bool region = v->cfg_type != VIRTIO_PCI_CAP_VENDOR_CFG;

	r_uint(row, "offset", "offset", v->offset, "0x%02x");
	r_uint(row, "cfg_type", "cfg_type", v->cfg_type, NULL);
	r_str(row, "type", "type", type ? type : "unknown");
	r_uint(row, "bar", "bar", v->bar, NULL);
	r_uint(row, "id", "id", v->id, NULL);
	r_uint(row, "bar_offset", "bar_offset", region ? v->bar_offset : 0, "0x%llx");
	r_uint(row, "length", "length", region ? v->length : 0, "0x%llx");
	if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		r_uint(row, "notify_off_multiplier", "multiplier", v->notify_off_multiplier, NULL);
	else
		r_null(row, "notify_off_multiplier", "multiplier");
	if (v->cfg_type == VIRTIO_PCI_CAP_VENDOR_CFG)
		r_uint(row, "vendor_id", "vendor", v->vendor_id, "0x%04x");
	else
		r_null(row, "vendor_id", "vendor");
	r_str(row, "check", "check", v->usable ? "ok" : v->problem);
}

static void report_virtio_caps(struct rctx *c)
{
	const struct vcaps *caps = &c->d->v.caps;
	struct rnode *t;

	if (caps->pci.unreadable[0]) {
		r_unknown(c->root, "capabilities", "Virtio capabilities", caps->pci.unreadable);
		return;
	}
	t = r_arr(c->root, "capabilities", "Virtio capabilities", RF_TABLE);

	for (unsigned i = 0; i < caps->nv; i++) {
		vcap_row(t, &caps->v[i]);
		if (!caps->v[i].usable)
			rctx_note(c, "virtio capability at 0x%02x: %s", caps->v[i].offset,
				  caps->v[i].problem);
	}
}

static void report_msix(struct rctx *c)
{
	const struct msix_info *m = &c->d->v.caps.pci.msix;
	struct rnode *o;

	if (!m->present) {
		if (c->d->v.caps.pci.unreadable[0])
			r_unknown(c->root, "msix", "MSI-X", c->d->v.caps.pci.unreadable);
		else
			r_none(c->root, "msix", "MSI-X");
		return;
	}
	o = r_obj(c->root, "msix", "MSI-X");
	r_uint(o, "offset", "Capability offset", m->offset, "0x%02x");
	r_bool(o, "enabled", "Enabled", m->enabled);
	r_bool(o, "function_masked", "Function masked", m->function_masked);
	r_uint(o, "table_size", "Table size", m->table_size, NULL);
	r_uint(o, "table_bar", "Table BAR", m->table_bar, NULL);
	r_uint(o, "table_offset", "Table offset", m->table_offset, "0x%x");
	r_uint(o, "pba_bar", "PBA BAR", m->pba_bar, NULL);
	r_uint(o, "pba_offset", "PBA offset", m->pba_offset, "0x%x");
	r_str(o, "check", "Check", m->problem[0] ? m->problem : "ok");
	if (m->problem[0])
		rctx_note_cat(c, "MSI-X: ", m->problem);
}

void report_caps(struct rctx *c)
{
	report_command_status(c);
	report_bars(c);
	report_pci_caps(c);
	report_virtio_caps(c);
	report_msix(c);
}
