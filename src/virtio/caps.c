/* Capability walker. Every byte comes from the device, so every pointer,
 * length and offset is checked before use; a bad chain ends the walk with a
 * recorded problem instead of a crash or a hang. */
#include "virtio/caps.h"

#include <stdio.h>
#include <string.h>

#include "pci/regs.h"

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

/* The bytes decode_vcap() reads of the capability at pos: its fields by
 * cfg_type, never past cap_len, and never a PCI configuration access
 * capability's pci_cfg_data: reading that makes the device access its BAR
 * at whatever offset and length the window holds (an ISR read clears it). */
static unsigned fields_len(struct pdev *d, unsigned pos)
{
	unsigned len = pdev_cfg_read8(d, pos + VCAP_LEN), want;

	switch (pdev_cfg_read8(d, pos + VCAP_CFG_TYPE)) {
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		want = VCAP_NOTIFY_MULT + 4;
		break;
	case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG:
		want = VCAP_LENGTH_HI + 4;
		break;
	default: /* PCI_CFG included: its fields end where pci_cfg_data starts */
		want = VCAP_PCI_CFG_DATA;
	}
	return len < want ? len : want;
}

static void decode_vcap(struct pdev *d, uint8_t pos, struct vcap *c)
{
	const struct vcap_rule *r;

	memset(c, 0, sizeof(*c));
	c->offset = pos;
	c->cap_len = pdev_cfg_read8(d, pos + VCAP_LEN);
	c->cfg_type = pdev_cfg_read8(d, pos + VCAP_CFG_TYPE);
	/* the fields in one read where config reads are kept; the reads
	 * below then come from memory */
	pdev_cfg_prefetch(d, pos, fields_len(d, pos));
	r = rule_for(c->cfg_type);
	if (c->cap_len < (r ? r->min_cap_len : VCAP_MIN_LEN) || pos + c->cap_len > d->cfg_size) {
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

static void add_vcap(struct pdev *d, struct vcaps *out, uint8_t pos)
{
	if (out->nv >= VCAPS_MAX_VIRTIO)
		return;
	decode_vcap(d, pos, &out->v[out->nv]);
	out->nv++;
}

/* Virtio structures are vendor-specific capabilities of the standard
 * chain, in chain order. */
static void walk_vendor_caps(struct pdev *d, struct vcaps *out)
{
	for (unsigned i = 0; i < out->pci.n; i++)
		if (!out->pci.cap[i].extended && out->pci.cap[i].id == PCI_CAP_ID_VNDR)
			add_vcap(d, out, (uint8_t)out->pci.cap[i].offset);
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
	pci_caps_walk(d, &out->pci);
	walk_vendor_caps(d, out);
	choose_structures(out);
	return 0;
}

bool vcaps_is_modern(const struct vcaps *c)
{
	return c->common >= 0;
}
