/* Capability walker. Every byte comes from the device, so every pointer,
 * length and offset is checked before use; a bad chain ends the walk with a
 * recorded problem instead of a crash or a hang. */
#include "caps.h"

#include <stdio.h>
#include <string.h>

#define PCI_STATUS	    0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_STD_HEADER_END  0x40
#define PCI_CFG_SPACE	    256
#define PCI_EXT_CAP_START   0x100
#define PCI_CAP_ID_VNDR	    0x09
#define PCI_CAP_ID_MSIX	    0x11

/* Per-type rules, as a driver applies them before mapping a structure
 * (virtio 1.3, 4.1.4; Linux vp_modern_map_capability). */
struct vcap_rule {
	uint8_t cfg_type;
	uint8_t min_cap_len; /* bytes of capability structure needed */
	uint32_t min_length; /* bytes of the region a driver needs */
	uint32_t align;	     /* required alignment of the region's offset */
	bool has_region;     /* bar/offset/length describe a BAR region */
};

static const struct vcap_rule vcap_rules[] = {
	{VIRTIO_PCI_CAP_COMMON_CFG, 16, 0x38, 4, true},
	{VIRTIO_PCI_CAP_NOTIFY_CFG, 20, 2, 2, true},
	{VIRTIO_PCI_CAP_ISR_CFG, 16, 1, 1, true},
	{VIRTIO_PCI_CAP_DEVICE_CFG, 16, 0, 4, true},
	{VIRTIO_PCI_CAP_PCI_CFG, 20, 0, 1, false},
	{VIRTIO_PCI_CAP_SHARED_MEMORY_CFG, 24, 0, 1, true},
	{VIRTIO_PCI_CAP_VENDOR_CFG, 6, 0, 1, false},
};

static const struct vcap_rule *rule_for(unsigned cfg_type)
{
	for (size_t i = 0; i < sizeof(vcap_rules) / sizeof(vcap_rules[0]); i++)
		if (vcap_rules[i].cfg_type == cfg_type)
			return &vcap_rules[i];
	return NULL;
}

#define problem(buf, ...) snprintf((buf), VCAP_PROBLEM_LEN, __VA_ARGS__)

static bool check_region(const struct pdev *d, struct vcap *c, const struct vcap_rule *r)
{
	const struct pci_bar *bar;

	if (c->bar >= PCI_NUM_BARS)
		return problem(c->problem, "BAR index %u is above 5", c->bar), false;
	bar = &d->bar[c->bar];
	if (bar->kind == PCI_BAR_NONE)
		return problem(c->problem, "BAR %u is not implemented", c->bar), false;
	if (c->length < r->min_length)
		return problem(c->problem, "length 0x%llx is shorter than the %u bytes required",
			       (unsigned long long)c->length, r->min_length),
		       false;
	if (c->bar_offset % r->align)
		return problem(c->problem, "offset 0x%llx is not %u-byte aligned",
			       (unsigned long long)c->bar_offset, r->align),
		       false;
	if (c->bar_offset + c->length < c->bar_offset)
		return problem(c->problem, "offset + length overflows"), false;
	/* A size of 0 means unknown (a -F dump); nothing to check against. */
	if (bar->size && c->bar_offset + c->length > bar->size)
		return problem(c->problem,
			       "offset 0x%llx + length 0x%llx exceeds BAR %u size 0x%llx",
			       (unsigned long long)c->bar_offset, (unsigned long long)c->length,
			       c->bar, (unsigned long long)bar->size),
		       false;
	return true;
}

static bool check_notify(struct vcap *c)
{
	uint32_t m = c->notify_off_multiplier;

	/* The spec allows 0 or an even power of two. */
	if (m != 0 && ((m & (m - 1)) != 0 || m == 1)) {
		problem(c->problem, "notify_off_multiplier %u is neither 0 nor an even power of 2",
			m);
		return false;
	}
	return true;
}

static void decode_vcap(struct pdev *d, uint8_t pos, struct vcap *c)
{
	const struct vcap_rule *r;

	memset(c, 0, sizeof(*c));
	c->offset = pos;
	c->cap_len = pdev_cfg_read8(d, pos + VCAP_LEN);
	c->cfg_type = pdev_cfg_read8(d, pos + VCAP_CFG_TYPE);
	r = rule_for(c->cfg_type);
	if (c->cap_len < (r ? r->min_cap_len : VCAP_MIN_LEN) || pos + c->cap_len > PCI_CFG_SPACE) {
		problem(c->problem,
			"capability length %u is too short for cfg_type %u (or runs "
			"past config space)",
			c->cap_len, c->cfg_type);
		return;
	}
	if (c->cfg_type == VIRTIO_PCI_CAP_VENDOR_CFG) {
		c->vendor_id = pdev_cfg_read16(d, pos + VCAP_VENDOR_ID);
		c->usable = true;
		return;
	}
	c->bar = pdev_cfg_read8(d, pos + VCAP_BAR);
	c->id = pdev_cfg_read8(d, pos + VCAP_ID);
	c->bar_offset = pdev_cfg_read32(d, pos + VCAP_OFFSET);
	c->length = pdev_cfg_read32(d, pos + VCAP_LENGTH);
	if (c->cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) {
		c->bar_offset |= (uint64_t)pdev_cfg_read32(d, pos + VCAP_OFFSET_HI) << 32;
		c->length |= (uint64_t)pdev_cfg_read32(d, pos + VCAP_LENGTH_HI) << 32;
	}
	if (c->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		c->notify_off_multiplier = pdev_cfg_read32(d, pos + VCAP_NOTIFY_MULT);
	if (!r) {
		/* Unknown types are reserved: drivers must ignore them. */
		problem(c->problem, "unknown cfg_type %u (ignored)", c->cfg_type);
		return;
	}
	c->usable = (!r->has_region || check_region(d, c, r)) &&
		    (c->cfg_type != VIRTIO_PCI_CAP_NOTIFY_CFG || check_notify(c));
}

static void decode_msix(struct pdev *d, uint8_t pos, struct msix_info *m)
{
	uint16_t ctrl = pdev_cfg_read16(d, pos + 2);
	uint32_t table = pdev_cfg_read32(d, pos + 4), pba = pdev_cfg_read32(d, pos + 8);
	uint64_t table_len, pba_len;

	m->present = true;
	m->offset = pos;
	m->table_size = (ctrl & 0x7ff) + 1;
	m->function_masked = ctrl & 0x4000;
	m->enabled = ctrl & 0x8000;
	m->table_bar = table & 7;
	m->table_offset = table & ~7u;
	m->pba_bar = pba & 7;
	m->pba_offset = pba & ~7u;
	table_len = (uint64_t)m->table_size * 16;
	pba_len = ((m->table_size + 63) / 64) * 8;
	if (m->table_bar >= PCI_NUM_BARS || m->pba_bar >= PCI_NUM_BARS)
		problem(m->problem, "table or PBA BAR index above 5");
	else if (d->bar[m->table_bar].size &&
		 !pdev_bar_contains(d, m->table_bar, m->table_offset, table_len))
		problem(m->problem, "vector table (%llu bytes at 0x%x) exceeds BAR %u",
			(unsigned long long)table_len, m->table_offset, m->table_bar);
	else if (d->bar[m->pba_bar].size &&
		 !pdev_bar_contains(d, m->pba_bar, m->pba_offset, pba_len))
		problem(m->problem, "PBA (%llu bytes at 0x%x) exceeds BAR %u",
			(unsigned long long)pba_len, m->pba_offset, m->pba_bar);
}

static void add_vcap(struct pdev *d, struct vcaps *out, uint8_t pos)
{
	if (out->nv >= VCAPS_MAX_VIRTIO)
		return;
	decode_vcap(d, pos, &out->v[out->nv]);
	out->nv++;
}

static void walk_standard(struct pdev *d, struct vcaps *out)
{
	bool been_there[PCI_CFG_SPACE] = {false};
	unsigned pos;

	if (!(pdev_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	pos = pdev_cfg_read8(d, PCI_CAPABILITY_LIST) & ~3u;
	while (pos) {
		uint8_t id;

		if (pos < PCI_STD_HEADER_END || pos > PCI_CFG_SPACE - 2) {
			problem(out->chain_problem, "capability pointer 0x%02x points %s", pos,
				pos < PCI_STD_HEADER_END ? "into the header" : "past config space");
			return;
		}
		if (been_there[pos]) {
			problem(out->chain_problem, "chain looped at 0x%02x", pos);
			return;
		}
		if (out->npci >= VCAPS_MAX_PCI) {
			problem(out->chain_problem, "more than %d capabilities", VCAPS_MAX_PCI);
			return;
		}
		been_there[pos] = true;
		id = pdev_cfg_read8(d, pos);
		out->pci[out->npci++] = (struct pcicap){.offset = (uint16_t)pos, .id = id};
		if (id == PCI_CAP_ID_VNDR)
			add_vcap(d, out, (uint8_t)pos);
		else if (id == PCI_CAP_ID_MSIX && !out->msix.present)
			decode_msix(d, (uint8_t)pos, &out->msix);
		pos = pdev_cfg_read8(d, pos + 1) & ~3u;
	}
}

static void walk_extended(struct pdev *d, struct vcaps *out)
{
	bool been_there[4096 / 4] = {false};
	unsigned pos = PCI_EXT_CAP_START;

	if (d->cfg_size < 4096)
		return;
	while (pos) {
		uint32_t hdr;

		if (pos < PCI_EXT_CAP_START || pos > d->cfg_size - 4) {
			problem(out->ext_chain_problem,
				"extended capability pointer 0x%03x is "
				"outside extended config space",
				pos);
			return;
		}
		if (been_there[pos / 4]) {
			problem(out->ext_chain_problem, "extended chain looped at 0x%03x", pos);
			return;
		}
		been_there[pos / 4] = true;
		hdr = pdev_cfg_read32(d, pos);
		/* All-ones or zero at 0x100 means no extended capabilities. */
		if (hdr == 0 || hdr == 0xffffffffu)
			return;
		if (out->npci >= VCAPS_MAX_PCI) {
			problem(out->ext_chain_problem, "more than %d capabilities", VCAPS_MAX_PCI);
			return;
		}
		out->pci[out->npci++] = (struct pcicap){.offset = (uint16_t)pos,
							.id = hdr & 0xffff,
							.extended = true,
							.version = (hdr >> 16) & 0xf};
		pos = (hdr >> 20) & ~3u;
	}
}

static void choose_structures(struct vcaps *out)
{
	int *slot[] = {
		[VIRTIO_PCI_CAP_COMMON_CFG] = &out->common,
		[VIRTIO_PCI_CAP_NOTIFY_CFG] = &out->notify,
		[VIRTIO_PCI_CAP_ISR_CFG] = &out->isr,
		[VIRTIO_PCI_CAP_DEVICE_CFG] = &out->device,
		[VIRTIO_PCI_CAP_PCI_CFG] = &out->pci_cfg,
	};

	out->common = out->notify = out->isr = out->device = out->pci_cfg = -1;
	for (unsigned i = 0; i < out->nv; i++) {
		unsigned t = out->v[i].cfg_type;

		if (out->v[i].usable && t < sizeof(slot) / sizeof(slot[0]) && slot[t] &&
		    *slot[t] < 0)
			*slot[t] = (int)i;
	}
}

int vcaps_walk(struct pdev *d, struct vcaps *out, struct verr *e)
{
	uint32_t id;

	memset(out, 0, sizeof(*out));
	if (pdev_cfg_read(d, 0, 4, &id, e))
		return -1;
	walk_standard(d, out);
	walk_extended(d, out);
	choose_structures(out);
	return 0;
}

bool vcaps_is_modern(const struct vcaps *c)
{
	return c->common >= 0;
}
