#include "vdev.h"

#include <stdio.h>
#include <string.h>

#include "devcfg.h"
#include "ids.h"

#define CONFIG_READ_TRIES 16

static const char *const kind_names[] = {
	[VDEV_MODERN] = "modern",
	[VDEV_TRANSITIONAL] = "transitional",
	[VDEV_LEGACY] = "legacy",
};

const char *vdev_kind_name(enum vdev_kind k)
{
	return (unsigned)k < 3 ? kind_names[k] : "?";
}

static const char *const status_bits[8] = {
	"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "bit4", "bit5", "DEVICE_NEEDS_RESET",
	"FAILED",
};

const char *virtio_status_str(uint8_t status, char *buf, unsigned len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (status == 0)
		snprintf(buf, len, "RESET");
	for (unsigned b = 0; b < 8 && o < len; b++)
		if (status & (1u << b))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", status_bits[b]);
	return buf;
}

static void set_kind(struct vdev *v)
{
	bool modern_caps = vcaps_is_modern(&v->caps);

	if (virtio_pci_classify(v->pci->vendor, v->pci->device) == VPCI_ID_MODERN)
		v->kind = VDEV_MODERN;
	else
		v->kind = modern_caps ? VDEV_TRANSITIONAL : VDEV_LEGACY;
}

int vdev_open(struct pdev *pci, struct vdev *v, struct verr *e)
{
	char a[PCI_ADDR_STRLEN];

	memset(v, 0, sizeof(*v));
	v->pci = pci;
	pci_addr_format(&pci->addr, a);
	if (virtio_pci_classify(pci->vendor, pci->device) == VPCI_ID_NOT_VIRTIO)
		return verr_set(e, VX_NOTVIRTIO,
				"%s is not a virtio-pci device (PCI ID %04x:%04x); refusing to touch it",
				a, pci->vendor, pci->device);
	v->device_id = virtio_pci_device_type(pci->device, pci->subsys_device);
	if (vcaps_walk(pci, &v->caps, e))
		return -1;
	set_kind(v);
	/* The legacy transport arrives with the legacy issue; until then a
	 * legacy-only device is identified and its config space decoded, and
	 * its registers are reported as unavailable. */
	v->ops = vcaps_is_modern(&v->caps) ? &virtio_modern_ops : NULL;
	if (!v->ops)
		snprintf(v->regs_why, sizeof(v->regs_why),
			 "no usable virtio 1.x common configuration capability");
	else if (!pdev_has_bar_access(pci))
		snprintf(v->regs_why, sizeof(v->regs_why), "%s", pci->bar_why);
	vdev_allow_select(v, false, "selector registers are not written on this device");
	return 0;
}

void vdev_allow_select(struct vdev *v, bool allow, const char *why)
{
	v->can_select = allow && v->pci->writable;
	snprintf(v->select_why, sizeof(v->select_why), "%s",
		 v->can_select ? "" : (why ? why : "device opened read-only"));
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
		fw = f->kind == CF_U16 ? 2 : (f->kind == CF_U32 || f->kind == CF_U64 || f->kind == CF_X64) ? 4 : 1;
		for (unsigned o = 0; o + fw <= f->size && off + o + fw <= len; o += fw)
			w[off + o] = (uint8_t)fw;
	}
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

		if (v->ops->read_config(v, off, width, &val, e))
			return -1;
		for (unsigned b = 0; b < width; b++)
			buf[off + b] = (uint8_t)(val >> (8 * b));
		off += width;
	}
	return 0;
}

int vdev_read_config(struct vdev *v, uint8_t *buf, unsigned len, unsigned *got, struct verr *e)
{
	const struct cfg_layout *l =
		v->device_id >= 0 ? virtio_cfg_layout((unsigned)v->device_id) : NULL;
	uint8_t w[VDEV_CONFIG_MAX];
	unsigned n;

	if (!vdev_regs_readable(v))
		return verr_set(e, VX_UNAVAILABLE, "%s", v->regs_why);
	n = v->ops->config_len(v);
	if (n > len)
		n = len;
	/* Reading past a known struct only costs time (4 KiB regions are
	 * common); variable-length layouts (9p's tag) need the whole region. */
	if (l && !has_variable_tail(l) && n > l->size)
		n = l->size;
	memset(w, 1, sizeof(w));
	if (l)
		mark_widths(l->fields, l->nfields, 0, w, n);
	for (int tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		uint32_t g1, g2;

		if (v->ops->get_config_generation(v, &g1, e) || read_snapshot(v, w, buf, n, e) ||
		    v->ops->get_config_generation(v, &g2, e))
			return -1;
		if (g1 == g2) {
			*got = n;
			return 0;
		}
	}
	return verr_set(e, VX_DEVICE, "config_generation kept changing over %d reads",
			CONFIG_READ_TRIES);
}
