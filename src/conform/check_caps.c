/* Capabilities (virtio 1.3, 4.1.4) and MSI-X: presence, lengths, BARs,
 * alignment, the notify rules, shared memory and vendor data, and the
 * MSI-X table and PBA. Config space only, except the per-queue notify
 * offsets (queue registers). The walker (virtio/caps.c) decoded every
 * capability; these checks judge each rule separately, so a report names
 * the rule broken rather than "unusable". */
#include "conform/checks.h"

#include <stdio.h>
#include <string.h>

#include "pci/regs.h"
#include "virtio/devcfg.h"
#include "virtio/features.h"

/* Bytes of capability structure each cfg_type needs (struct
 * virtio_pci_cap 16, notify and pci-cfg 20, virtio_pci_cap64 24, vendor
 * data 6). */
static unsigned struct_len(unsigned cfg_type)
{
	switch (cfg_type) {
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
	case VIRTIO_PCI_CAP_PCI_CFG:
		return 20;
	case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG:
		return 24;
	case VIRTIO_PCI_CAP_VENDOR_CFG:
		return 6;
	default:
		return 16;
	}
}

/* Capabilities whose bar/offset/length describe a BAR region. */
static bool has_region(unsigned cfg_type)
{
	return cfg_type == VIRTIO_PCI_CAP_COMMON_CFG || cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG ||
	       cfg_type == VIRTIO_PCI_CAP_ISR_CFG || cfg_type == VIRTIO_PCI_CAP_DEVICE_CFG ||
	       cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG;
}

static bool gate(struct ck_state *st, struct ck_out *o)
{
	if (st->v->kind == VDEV_LEGACY && st->caps->nv == 0) {
		ck_skip(o, CK_SKIP_NA, "legacy device: no virtio 1.x capabilities");
		return false;
	}
	return true;
}

CHECK_FN(chk_cap_chain)
{
	const struct pci_caps *c = &st->caps->pci;

	if (c->chain_problem[0] || c->ext_chain_problem[0]) {
		ck_fail(o,
			"a capability list as [PCI] defines it: pointers at 0x40 or above, no loop",
			"%s%s%s", c->chain_problem,
			c->chain_problem[0] && c->ext_chain_problem[0] ? "; " : "",
			c->ext_chain_problem);
		return;
	}
	ck_pass(o);
}

static int count_type(const struct ck_state *st, unsigned cfg_type)
{
	int n = 0;

	for (unsigned i = 0; i < st->caps->nv; i++)
		n += st->caps->v[i].cfg_type == cfg_type;
	return n;
}

static void present(struct ck_state *st, struct ck_out *o, unsigned cfg_type, const char *required)
{
	if (!gate(st, o))
		return;
	if (count_type(st, cfg_type) == 0) {
		ck_fail(o, required, "no %s capability (cfg_type %u) among %u virtio capabilities",
			vcap_cfg_type_name(cfg_type), cfg_type, st->caps->nv);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_cap_common_present)
{
	present(st, o, VIRTIO_PCI_CAP_COMMON_CFG, "at least one common configuration capability");
}

CHECK_FN(chk_cap_notify_present)
{
	present(st, o, VIRTIO_PCI_CAP_NOTIFY_CFG, "at least one notification capability");
}

CHECK_FN(chk_cap_isr_present)
{
	present(st, o, VIRTIO_PCI_CAP_ISR_CFG, "at least one ISR status capability");
}

CHECK_FN(chk_cap_pci_cfg_present)
{
	present(st, o, VIRTIO_PCI_CAP_PCI_CFG, "at least one PCI configuration access capability");
}

CHECK_FN(chk_cap_device_present)
{
	const struct cfg_layout *l;

	if (!gate(st, o))
		return;
	l = st->v->device_id >= 0 ? virtio_cfg_layout((unsigned)st->v->device_id) : NULL;
	if (!l) {
		ck_skip(o, CK_SKIP_NA, "device type %d: its configuration layout is not known",
			st->v->device_id);
		return;
	}
	if (l->nfields == 0) {
		ck_skip(o, CK_SKIP_NA, "the device type has no device-specific configuration");
		return;
	}
	present(st, o, VIRTIO_PCI_CAP_DEVICE_CFG,
		"a device configuration capability (the type has device-specific configuration)");
}

/* Runs `bad` over every virtio capability selected by `want`; the first
 * offender fails the check with its description. */
typedef bool cap_pred(const struct ck_state *st, const struct vcap *c, char *seen, size_t len);

static void each_cap(struct ck_state *st, struct ck_out *o, bool (*want)(unsigned cfg_type),
		     cap_pred *bad, const char *required)
{
	char seen[CK_TEXT_LEN];
	unsigned n = 0;

	if (!gate(st, o))
		return;
	for (unsigned i = 0; i < st->caps->nv; i++) {
		const struct vcap *c = &st->caps->v[i];

		if (!want(c->cfg_type))
			continue;
		n++;
		if (bad(st, c, seen, sizeof(seen))) {
			ck_fail(o, required, "capability at 0x%02x (%s): %s", c->offset,
				vcap_cfg_type_name(c->cfg_type) ? vcap_cfg_type_name(c->cfg_type)
								: "reserved cfg_type",
				seen);
			return;
		}
	}
	if (n == 0) {
		ck_skip(o, CK_SKIP_NA, "no capability this rule applies to");
		return;
	}
	ck_pass(o);
}

static bool any_known(unsigned t)
{
	return vcap_cfg_type_name(t) != NULL;
}

static bool region_type(unsigned t)
{
	return has_region(t);
}

static bool cap_len_short(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	(void)st;
	if (c->cap_len < struct_len(c->cfg_type))
		return snprintf(seen, len, "cap_len %u, the structure has %u bytes", c->cap_len,
				struct_len(c->cfg_type)),
		       true;
	if (c->offset + c->cap_len > PCI_CFG_SPACE_SIZE)
		return snprintf(seen, len, "cap_len %u runs past config space", c->cap_len), true;
	return false;
}

CHECK_FN(chk_cap_len)
{
	each_cap(st, o, any_known, cap_len_short,
		 "cap_len covering the whole capability structure");
}

static bool bar_reserved(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	(void)st;
	if (c->bar >= PCI_NUM_BARS)
		return snprintf(seen, len, "bar %u (reserved: a driver ignores the capability)",
				c->bar),
		       true;
	return false;
}

CHECK_FN(chk_cap_bar_index)
{
	each_cap(st, o, region_type, bar_reserved, "bar 0 to 5");
}

static bool bar_missing(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	if (c->bar < PCI_NUM_BARS && st->p->bar[c->bar].kind == PCI_BAR_NONE)
		return snprintf(seen, len, "BAR %u is not implemented", c->bar), true;
	return false;
}

CHECK_FN(chk_cap_bar_implemented)
{
	each_cap(st, o, region_type, bar_missing, "a BAR the function implements");
}

static bool outside_bar(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	const struct pci_bar *b;

	if (c->bar >= PCI_NUM_BARS)
		return false;
	b = &st->p->bar[c->bar];
	if (b->kind == PCI_BAR_NONE || b->size == 0)
		return false;
	if (c->bar_offset + c->length < c->bar_offset || c->bar_offset + c->length > b->size)
		return snprintf(seen, len, "offset 0x%llx + length 0x%llx, BAR %u has 0x%llx bytes",
				(unsigned long long)c->bar_offset, (unsigned long long)c->length,
				c->bar, (unsigned long long)b->size),
		       true;
	return false;
}

static bool bar_sizes_known(const struct ck_state *st)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (st->p->bar[i].kind != PCI_BAR_NONE && st->p->bar[i].size)
			return true;
	return false;
}

CHECK_FN(chk_cap_inside_bar)
{
	if (!bar_sizes_known(st)) {
		ck_skip(o, CK_SKIP_UNREACHABLE,
			"BAR sizes unknown (a config-space dump does not record them)");
		return;
	}
	each_cap(st, o, region_type, outside_bar, "offset + length inside the BAR");
}

/* The rules for the first... every capability of one cfg_type. */
struct type_rule {
	unsigned cfg_type;
	uint64_t align, min_len;
};

static void type_rule(struct ck_state *st, struct ck_out *o, const struct type_rule *r,
		      const char *required)
{
	if (!gate(st, o))
		return;
	for (unsigned i = 0; i < st->caps->nv; i++) {
		const struct vcap *c = &st->caps->v[i];

		if (c->cfg_type != r->cfg_type || c->cap_len < struct_len(c->cfg_type))
			continue;
		if (r->align && c->bar_offset % r->align) {
			ck_fail(o, required, "%s capability at 0x%02x: offset 0x%llx",
				vcap_cfg_type_name(c->cfg_type), c->offset,
				(unsigned long long)c->bar_offset);
			return;
		}
		if (c->length < r->min_len) {
			ck_fail(o, required, "%s capability at 0x%02x: length 0x%llx",
				vcap_cfg_type_name(c->cfg_type), c->offset,
				(unsigned long long)c->length);
			return;
		}
	}
	if (count_type(st, r->cfg_type) == 0) {
		ck_skip(o, CK_SKIP_NA, "no %s capability", vcap_cfg_type_name(r->cfg_type));
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_cap_common_align)
{
	static const struct type_rule r = {VIRTIO_PCI_CAP_COMMON_CFG, 4, 0};

	type_rule(st, o, &r, "common configuration offset 4-byte aligned");
}

CHECK_FN(chk_cap_common_length)
{
	static const struct type_rule r = {VIRTIO_PCI_CAP_COMMON_CFG, 0, 0x38};

	type_rule(st, o, &r, "common configuration length at least 0x38 (the virtio 1.0 fields)");
}

CHECK_FN(chk_cap_isr_length)
{
	static const struct type_rule r = {VIRTIO_PCI_CAP_ISR_CFG, 0, 1};

	type_rule(st, o, &r, "an ISR status region of at least 1 byte");
}

CHECK_FN(chk_cap_device_align)
{
	static const struct type_rule r = {VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0};

	type_rule(st, o, &r, "device configuration offset 4-byte aligned");
}

/* With VIRTIO_F_NOTIFICATION_DATA offered the notify rules are stricter.
 * Offered features need a selector write on a bound device; the bits
 * Linux negotiated are offered for certain. */
static bool notification_data(struct ck_state *st)
{
	return ck_known_offered(st) >> VIRTIO_FB_NOTIFICATION_DATA & 1;
}

CHECK_FN(chk_cap_notify_align)
{
	struct type_rule r = {VIRTIO_PCI_CAP_NOTIFY_CFG, 2, 0};
	bool nd = notification_data(st);

	r.align = nd ? 4 : 2;
	type_rule(st, o, &r,
		  nd ? "notify offset 4-byte aligned (VIRTIO_F_NOTIFICATION_DATA offered)"
		     : "notify offset 2-byte aligned");
}

CHECK_FN(chk_cap_notify_length)
{
	struct type_rule r = {VIRTIO_PCI_CAP_NOTIFY_CFG, 0, 2};
	bool nd = notification_data(st);

	r.min_len = nd ? 4 : 2;
	type_rule(st, o, &r,
		  nd ? "notify length at least 4 (VIRTIO_F_NOTIFICATION_DATA offered)"
		     : "notify length at least 2");
}

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

CHECK_FN(chk_cap_notify_multiplier)
{
	bool nd = notification_data(st);

	if (!gate(st, o))
		return;
	for (unsigned i = 0; i < st->caps->nv; i++) {
		const struct vcap *c = &st->caps->v[i];
		uint32_t m = c->notify_off_multiplier;

		if (c->cfg_type != VIRTIO_PCI_CAP_NOTIFY_CFG || c->cap_len < 20 || m == 0)
			continue;
		if (!pow2(m) || m < (nd ? 4u : 2u)) {
			ck_fail(o,
				nd ? "0, or a power of 2 that is a multiple of 4 "
				     "(VIRTIO_F_NOTIFICATION_DATA offered)"
				   : "0 or an even power of 2",
				"notify capability at 0x%02x: notify_off_multiplier %u", c->offset,
				m);
			return;
		}
	}
	if (count_type(st, VIRTIO_PCI_CAP_NOTIFY_CFG) == 0) {
		ck_skip(o, CK_SKIP_NA, "no notify capability");
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_cap_notify_queues)
{
	const struct vcap *n = ck_cap(st, st->caps->notify);
	unsigned width = notification_data(st) ? 4 : 2, nq;

	if (!gate(st, o))
		return;
	if (!n) {
		ck_skip(o, CK_SKIP_NA, "no usable notify capability");
		return;
	}
	if (st->v->ops != &virtio_modern_ops) {
		ck_skip(o, CK_SKIP_NA, "the legacy interface notifies through its I/O header");
		return;
	}
	if (!ck_queues(st, o))
		return;
	nq = st->nq < VDEV_MAX_QUEUES ? st->nq : VDEV_MAX_QUEUES;
	for (unsigned q = 0; q < nq; q++) {
		uint64_t off = (uint64_t)st->q[q].notify_off * n->notify_off_multiplier;

		if (st->q[q].size == 0 || off + width <= n->length)
			continue;
		ck_fail(o, "cap.length >= queue_notify_off * notify_off_multiplier + width",
			"queue %u: queue_notify_off %u x %u + %u > length 0x%llx", q,
			st->q[q].notify_off, n->notify_off_multiplier, width,
			(unsigned long long)n->length);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_cap_shm_unique)
{
	if (!gate(st, o))
		return;
	for (unsigned i = 0; i < st->caps->nv; i++)
		for (unsigned j = i + 1; j < st->caps->nv; j++) {
			const struct vcap *a = &st->caps->v[i], *b = &st->caps->v[j];

			if (a->cfg_type != VIRTIO_PCI_CAP_SHARED_MEMORY_CFG ||
			    b->cfg_type != VIRTIO_PCI_CAP_SHARED_MEMORY_CFG || a->id != b->id)
				continue;
			ck_fail(o, "a different id for every shared memory region",
				"shared memory capabilities at 0x%02x and 0x%02x both have id %u",
				a->offset, b->offset, a->id);
			return;
		}
	if (count_type(st, VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) < 2) {
		ck_skip(o, CK_SKIP_NA, "fewer than two shared memory capabilities");
		return;
	}
	ck_pass(o);
}

static bool vendor_type(unsigned t)
{
	return t == VIRTIO_PCI_CAP_VENDOR_CFG;
}

static bool vendor_len_bad(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	(void)st;
	if (c->cap_len % 4)
		return snprintf(seen, len, "cap_len %u", c->cap_len), true;
	return false;
}

CHECK_FN(chk_cap_vendor_length)
{
	each_cap(st, o, vendor_type, vendor_len_bad, "a size that is a multiple of 4 bytes");
}

static bool vendor_id_bad(const struct ck_state *st, const struct vcap *c, char *seen, size_t len)
{
	(void)st;
	if (c->cap_len >= 6 && c->vendor_id == 0x1af4)
		return snprintf(seen, len, "vendor_id 0x%04x", c->vendor_id), true;
	return false;
}

CHECK_FN(chk_cap_vendor_id)
{
	each_cap(st, o, vendor_type, vendor_id_bad, "vendor_id other than 0x1af4");
}

/* ---- MSI-X ---- */

static bool need_msix(struct ck_state *st, struct ck_out *o)
{
	if (!st->caps->pci.msix.present) {
		ck_skip(o, CK_SKIP_NA, "no MSI-X capability");
		return false;
	}
	return true;
}

struct span {
	const char *what;
	unsigned bar;
	uint64_t off, len;
};

static void msix_spans(const struct msix_info *m, struct span *table, struct span *pba)
{
	*table = (struct span){"MSI-X table", m->table_bar, m->table_offset,
			       (uint64_t)m->table_size * PCI_MSIX_ENTRY_SIZE};
	*pba = (struct span){"MSI-X PBA", m->pba_bar, m->pba_offset,
			     (uint64_t)((m->table_size + 63) / 64) * 8};
}

static bool span_outside(const struct ck_state *st, const struct span *s, char *seen, size_t len)
{
	const struct pci_bar *b;

	if (s->bar >= PCI_NUM_BARS)
		return snprintf(seen, len, "%s in BAR %u (reserved BIR)", s->what, s->bar), true;
	b = &st->p->bar[s->bar];
	if (b->kind == PCI_BAR_NONE)
		return snprintf(seen, len, "%s in BAR %u, not implemented", s->what, s->bar), true;
	if (b->kind == PCI_BAR_IO)
		return snprintf(seen, len, "%s in I/O BAR %u", s->what, s->bar), true;
	if (b->size && s->off + s->len > b->size)
		return snprintf(seen, len, "%s at 0x%llx + 0x%llx, BAR %u has 0x%llx bytes",
				s->what, (unsigned long long)s->off, (unsigned long long)s->len,
				s->bar, (unsigned long long)b->size),
		       true;
	return false;
}

CHECK_FN(chk_msix_inside_bar)
{
	struct span t, p;
	char seen[CK_TEXT_LEN];

	if (!need_msix(st, o))
		return;
	msix_spans(&st->caps->pci.msix, &t, &p);
	if (span_outside(st, &t, seen, sizeof(seen)) || span_outside(st, &p, seen, sizeof(seen))) {
		ck_fail(o, "MSI-X table and PBA inside implemented memory BARs", "%s", seen);
		return;
	}
	ck_pass(o);
}

static bool overlap(const struct span *a, const struct span *b)
{
	return a->bar == b->bar && a->len && b->len && a->off < b->off + b->len &&
	       b->off < a->off + a->len;
}

CHECK_FN(chk_msix_overlap)
{
	struct span t, p, spans[2];

	if (!need_msix(st, o))
		return;
	msix_spans(&st->caps->pci.msix, &t, &p);
	if (overlap(&t, &p)) {
		ck_fail(o, "MSI-X table and PBA apart from each other and from virtio structures",
			"MSI-X table (BAR %u 0x%llx+0x%llx) overlaps the PBA (0x%llx+0x%llx)",
			t.bar, (unsigned long long)t.off, (unsigned long long)t.len,
			(unsigned long long)p.off, (unsigned long long)p.len);
		return;
	}
	spans[0] = t;
	spans[1] = p;
	for (unsigned i = 0; i < st->caps->nv; i++) {
		const struct vcap *c = &st->caps->v[i];
		struct span v = {"", c->bar, c->bar_offset, c->length};

		if (!has_region(c->cfg_type) || c->cap_len < struct_len(c->cfg_type))
			continue;
		for (unsigned k = 0; k < 2; k++)
			if (overlap(&spans[k], &v)) {
				ck_fail(o,
					"MSI-X table and PBA apart from each other and from virtio "
					"structures",
					"%s (BAR %u 0x%llx+0x%llx) overlaps the %s structure "
					"(0x%llx+0x%llx)",
					spans[k].what, spans[k].bar,
					(unsigned long long)spans[k].off,
					(unsigned long long)spans[k].len,
					vcap_cfg_type_name(c->cfg_type), (unsigned long long)v.off,
					(unsigned long long)v.len);
				return;
			}
	}
	ck_pass(o);
}

CHECK_FN(chk_msix_table_size)
{
	unsigned n;

	if (!need_msix(st, o))
		return;
	n = st->caps->pci.msix.table_size;
	if (n < 2 || n > 0x800) {
		ck_fail(o, "between 2 and 0x800 MSI-X vectors", "table size %u", n);
		return;
	}
	ck_pass(o);
}
