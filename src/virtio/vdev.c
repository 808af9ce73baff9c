#include "virtio/vdev.h"

#include <stdio.h>
#include <string.h>

#include "virtio/devcfg.h"
#include "virtio/ids.h"
#include "virtio/cfgwin.h"
#include "virtio/features.h"
#include "virtio/legacy.h"
#include "virtio/modern.h"
#include "util/fmt.h"

#define CONFIG_READ_TRIES 16

static const char *const kind_names[] = {
	[VDEV_MODERN] = "modern",
	[VDEV_TRANSITIONAL] = "transitional",
	[VDEV_LEGACY] = "legacy",
	[VDEV_KIND_UNKNOWN] = "unknown",
};

const char *vdev_kind_name(enum vdev_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

static const char *const status_bits[8] = {
	"ACKNOWLEDGE", "DRIVER", "DRIVER_OK",	       "FEATURES_OK",
	"SUSPEND",     "bit5",	 "DEVICE_NEEDS_RESET", "FAILED", /* SUSPEND: virtio 1.4 2.1 */
};

const char *virtio_status_str(uint8_t status, char *buf, unsigned len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	if (status == 0)
		sb_puts(&sb, "RESET");
	for (unsigned b = 0; b < 8 && sb_ok(&sb); b++)
		if (status & (1u << b)) {
			if (sb.n)
				sb_putc(&sb, ' ');
			sb_puts(&sb, status_bits[b]);
		}
	return buf;
}

enum vdev_kind vdev_kind_of(const struct pdev *pci, const struct vcaps *caps)
{
	if (virtio_pci_classify(pci->vendor, pci->device) == VPCI_ID_MODERN)
		return VDEV_MODERN;
	if (caps->pci.unreadable[0])
		return VDEV_KIND_UNKNOWN;
	return vcaps_is_modern(caps) ? VDEV_TRANSITIONAL : VDEV_LEGACY;
}

/* Transitional devices default to the modern interface; a non-modern
 * device whose capabilities are unusable has only the legacy one. */
static const struct vtransport_ops *default_ops(const struct vdev *v)
{
	return v->kind == VDEV_LEGACY ? &virtio_legacy_ops : &virtio_modern_ops;
}

/* Whether the registers the chosen interface lives in can be reached. */
static void set_regs_why(struct vdev *v)
{
	const char *why = NULL;

	if (v->ops != &virtio_legacy_ops && v->caps.pci.unreadable[0]) {
		/* where the registers are is in the capabilities not read */
		str_concat(v->regs_why, sizeof(v->regs_why), "capabilities ",
			   v->caps.pci.unreadable, NULL);
		return;
	}
	if (v->ops == &virtio_legacy_ops)
		legacy_present(v, &why);
	else if (!vcaps_is_modern(&v->caps))
		why = "no usable virtio 1.x common configuration capability";
	if (!why && !pdev_has_bar_access(v->pci))
		why = v->pci->bar_why;
	str_copy(v->regs_why, sizeof(v->regs_why), why ? why : "");
}

void vdev_recheck_access(struct vdev *v)
{
	set_regs_why(v);
}

int vdev_open(struct pdev *pci, struct vdev *v, struct verr *e)
{
	char a[PCI_ADDR_STRLEN];

	memset(v, 0, sizeof(*v));
	v->pci = pci;
	pci_addr_format(&pci->addr, a);
	if (virtio_pci_classify(pci->vendor, pci->device) == VPCI_ID_NOT_VIRTIO)
		return verr_set(
			e, VX_NOTVIRTIO,
			"%s is not a virtio-pci device (PCI ID %04x:%04x); refusing to touch it", a,
			pci->vendor, pci->device);
	v->device_id = virtio_pci_device_type(pci->device, pci->subsys_device);
	if (vcaps_walk(pci, &v->caps, e))
		return -1;
	v->kind = vdev_kind_of(pci, &v->caps);
	v->ops = default_ops(v);
	set_regs_why(v);
	vdev_allow_select(v, false, "selector registers are not written on this device");
	return 0;
}

int vdev_use_interface(struct vdev *v, enum vdev_iface want, struct verr *e)
{
	const struct vtransport_ops *ops = default_ops(v);

	if (want == VDEV_IFACE_LEGACY && v->kind == VDEV_MODERN)
		return verr_set(e, VX_USAGE,
				"PCI device %04x:%04x is modern-only and has no legacy interface",
				v->pci->vendor, v->pci->device);
	if (want == VDEV_IFACE_LEGACY)
		ops = &virtio_legacy_ops;
	if (ops != v->ops) {
		v->ops = ops;
		set_regs_why(v);
	}
	return 0;
}

int vdev_feature_words(struct vdev *v, bool driver, struct vfeatures *out, struct verr *e)
{
	uint64_t f;

	if (v->ops == &virtio_modern_ops)
		return modern_feature_words(v, driver, out, e);
	memset(out, 0, sizeof(*out));
	if ((driver ? v->ops->get_driver_features : v->ops->get_device_features)(v, &f, e))
		return -1;
	out->w[0] = (uint32_t)f;
	out->w[1] = (uint32_t)(f >> 32);
	out->nwords = v->ops->legacy_ring ? 1 : 2;
	return 0;
}

const char *vdev_iface_word(unsigned i)
{
	static const char *const words[] = {
		[VDEV_IFACE_MODERN] = "modern",
		[VDEV_IFACE_LEGACY] = "legacy",
	};

	return i < sizeof(words) / sizeof(words[0]) ? words[i] : NULL;
}

void vdev_allow_select(struct vdev *v, bool allow, const char *why)
{
	v->can_select = allow && v->pci->writable;
	str_copy(v->select_why, sizeof(v->select_why),
		 v->can_select ? "" : (why ? why : "device opened read-only"));
}

/* A harmless read that tells whether the BAR holding common_cfg answers. */
static bool bar_answers(struct vdev *v)
{
	const struct vcap *c = &v->caps.v[v->caps.common];
	uint64_t val;

	return pdev_bar_read(v->pci, c->bar, c->bar_offset + 0x12, 2, &val, NULL) == 0;
}

void vdev_use_window(struct vdev *v)
{
	struct verr e = {0};

	if (!v->ops || v->caps.common < 0 || v->caps.pci_cfg < 0 || !v->pci->writable ||
	    cfgwin_active(v->pci) || bar_answers(v))
		return;
	if (cfgwin_wrap(v->pci, v->caps.v[v->caps.pci_cfg].offset, &e) == 0)
		v->regs_why[0] = '\0';
}

bool vdev_regs_readable(const struct vdev *v)
{
	return v->ops && v->regs_why[0] == '\0';
}

/* The access width the spec requires at each byte of the region: a
 * field's own size for 16- and 32-bit fields, 32-bit halves for 64-bit
 * ones, bytes for arrays, strings and gaps. */
static void mark_widths(const struct cfg_field *fields, size_t n, unsigned base, uint8_t *w,
			unsigned len)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_field *f = &fields[i];
		unsigned off = base + f->offset, fw;

		if (f->kind == CF_STRUCT) {
			mark_widths(f->sub, f->nsub, off, w, len);
			continue;
		}
		fw = f->kind == CF_U16						     ? 2
		     : (f->kind == CF_U32 || f->kind == CF_U64 || f->kind == CF_X64) ? 4
										     : 1;
		for (unsigned o = 0; o + fw <= f->size && off + o + fw <= len; o += fw)
			w[off + o] = (uint8_t)fw;
	}
}

/* Zero width (not read) for the bytes of fields whose feature is not
 * offered: 2.5.2 lets a driver read an optional field only then. */
static void mark_unoffered(const struct cfg_field *fields, size_t n, unsigned base,
			   uint64_t offered, uint8_t *w, unsigned len)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_field *f = &fields[i];
		unsigned off = base + f->offset;

		if (f->features && !(f->features & offered)) {
			for (unsigned b = 0; b < f->size && off + b < len; b++)
				w[off + b] = 0;
		} else if (f->kind == CF_STRUCT) {
			mark_unoffered(f->sub, f->nsub, off, offered, w, len);
		}
	}
}

/* The end of the last field that exists with these offered features:
 * what lies past it (padding of fields that do not exist) is theirs. */
static unsigned existing_end(const struct cfg_field *fields, size_t n, unsigned base,
			     uint64_t offered)
{
	unsigned end = 0;

	for (size_t i = 0; i < n; i++) {
		const struct cfg_field *f = &fields[i];
		unsigned off = base + f->offset,
			 e = f->kind == CF_STRUCT ? existing_end(f->sub, f->nsub, off, offered)
						  : off + f->size;

		if ((!f->features || (f->features & offered)) && e > end)
			end = e;
	}
	return end;
}

static bool has_variable_tail(const struct cfg_layout *l)
{
	for (size_t i = 0; i < l->nfields; i++)
		if (l->fields[i].kind == CF_LSTR16)
			return true;
	return false;
}

/* Reads one snapshot of the region. */
static int read_snapshot(struct vdev *v, const uint8_t *w, uint8_t *buf, unsigned len,
			 struct verr *e)
{
	for (unsigned off = 0; off < len;) {
		unsigned width = w[off] && off % w[off] == 0 && off + w[off] <= len ? w[off] : 1;
		uint64_t val;

		if (!w[off]) { /* a field of a feature not offered */
			buf[off++] = 0;
			continue;
		}
		if (v->ops->read_config(v, off, width, &val, e))
			return -1;
		for (unsigned b = 0; b < width; b++)
			buf[off + b] = (uint8_t)(val >> (8 * b));
		off += width;
	}
	return 0;
}

/* A snapshot taken between two equal config_generation values. */
static int read_by_generation(struct vdev *v, const uint8_t *w, uint8_t *buf, unsigned n,
			      struct verr *e)
{
	for (int tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		uint32_t g1, g2;

		if (v->ops->get_config_generation(v, &g1, e) || read_snapshot(v, w, buf, n, e) ||
		    v->ops->get_config_generation(v, &g2, e))
			return -1;
		if (g1 == g2)
			return 0;
	}
	return verr_set(e, VX_DEVICE, "config_generation kept changing over %d reads",
			CONFIG_READ_TRIES);
}

/* Without a generation counter (legacy), a field wider than one access
 * (a 64-bit capacity) can tear while the device updates it; two equal
 * snapshots in a row are the best evidence of a consistent one. */
static int read_until_stable(struct vdev *v, const uint8_t *w, uint8_t *buf, unsigned n,
			     struct verr *e)
{
	uint8_t prev[VDEV_CONFIG_MAX];

	if (read_snapshot(v, w, prev, n, e))
		return -1;
	for (int tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		if (read_snapshot(v, w, buf, n, e))
			return -1;
		if (memcmp(prev, buf, n) == 0)
			return 0;
		memcpy(prev, buf, n);
	}
	return verr_set(
		e, VX_DEVICE,
		"the device config kept changing over %d reads (the legacy interface has no "
		"generation counter: two equal reads in a row are required)",
		CONFIG_READ_TRIES);
}

/* How many bytes of the region to read, and the access width of each. */
static int config_plan(struct vdev *v, const struct vdev_offer *o, unsigned len, uint8_t *w,
		       unsigned *n, struct verr *e)
{
	const struct cfg_layout *l =
		v->device_id >= 0 ? virtio_cfg_layout((unsigned)v->device_id) : NULL;

	if (!vdev_regs_readable(v))
		return verr_set(e, VX_UNAVAILABLE, "%s", v->regs_why);
	*n = v->ops->config_len(v);
	if (*n > len)
		*n = len;
	/* Reading past a known struct only costs time (4 KiB regions are
	 * common); variable-length layouts (9p's tag) need the whole region. */
	if (l && !has_variable_tail(l) && *n > l->size)
		*n = l->size;
	/* Unknown layouts are shown as a hex dump: the first 256 bytes are
	 * plenty, and byte reads through a config window are slow. */
	if (!l && *n > VDEV_CONFIG_UNKNOWN_MAX)
		*n = VDEV_CONFIG_UNKNOWN_MAX;
	memset(w, 1, VDEV_CONFIG_MAX);
	if (l)
		mark_widths(l->fields, l->nfields, 0, w, *n);
	if (l && o && o->known) {
		mark_unoffered(l->fields, l->nfields, 0, o->features, w, *n);
		if (!has_variable_tail(l))
			for (unsigned b = existing_end(l->fields, l->nfields, 0, o->features);
			     b < *n; b++)
				w[b] = 0;
	}
	return 0;
}

int vdev_read_config(struct vdev *v, uint8_t *buf, unsigned len, unsigned *got, struct verr *e)
{
	return vdev_read_config_offered(v, NULL, buf, len, got, e);
}

int vdev_read_config_offered(struct vdev *v, const struct vdev_offer *o, uint8_t *buf, unsigned len,
			     unsigned *got, struct verr *e)
{
	uint8_t w[VDEV_CONFIG_MAX];
	unsigned n;

	if (config_plan(v, o, len, w, &n, e))
		return -1;
	if (v->ops->get_config_generation ? read_by_generation(v, w, buf, n, e)
					  : read_until_stable(v, w, buf, n, e))
		return -1;
	*got = n;
	return 0;
}

int vdev_config_snapshot(struct vdev *v, uint8_t *buf, unsigned len, unsigned *got, struct verr *e)
{
	return vdev_config_snapshot_offered(v, NULL, buf, len, got, e);
}

int vdev_config_snapshot_offered(struct vdev *v, const struct vdev_offer *o, uint8_t *buf,
				 unsigned len, unsigned *got, struct verr *e)
{
	uint8_t w[VDEV_CONFIG_MAX];
	unsigned n;

	if (config_plan(v, o, len, w, &n, e) || read_snapshot(v, w, buf, n, e))
		return -1;
	*got = n;
	return 0;
}
