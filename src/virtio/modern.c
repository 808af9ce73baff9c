/* The virtio 1.x PCI transport: common_cfg, notify, ISR and device config
 * structures located by the capabilities (virtio 1.3, 4.1.4). */
#include <string.h>

#include "virtio/common_cfg.h"
#include "virtio/features.h"
#include "virtio/modern.h"

static const struct vcap *cap_of(const struct vdev *v, int idx)
{
	return idx >= 0 ? &v->caps.v[idx] : NULL;
}

/* 64-bit fields are accessed as two 32-bit halves: the spec allows devices
 * to support only 32-bit accesses to common_cfg. */
static int region_read(struct vdev *v, const struct vcap *c, unsigned off, unsigned width,
		       uint64_t *val, struct verr *e)
{
	uint64_t lo, hi;

	if (!c)
		return verr_set(e, VX_UNAVAILABLE, "the device has no usable structure for this");
	if ((uint64_t)off + width > c->length)
		return verr_set(e, VX_UNAVAILABLE,
				"field at 0x%x is beyond the %llu-byte %s structure", off,
				(unsigned long long)c->length, vcap_cfg_type_name(c->cfg_type));
	if (width != 8)
		return pdev_bar_read(v->pci, c->bar, c->bar_offset + off, width, val, e);
	if (pdev_bar_read(v->pci, c->bar, c->bar_offset + off, 4, &lo, e) ||
	    pdev_bar_read(v->pci, c->bar, c->bar_offset + off + 4, 4, &hi, e))
		return -1;
	*val = lo | hi << 32;
	return 0;
}

static int region_write(struct vdev *v, const struct vcap *c, unsigned off, unsigned width,
			uint64_t val, struct verr *e)
{
	if (!c)
		return verr_set(e, VX_UNAVAILABLE, "the device has no usable structure for this");
	if ((uint64_t)off + width > c->length)
		return verr_set(e, VX_UNAVAILABLE, "field at 0x%x is beyond the %s structure", off,
				vcap_cfg_type_name(c->cfg_type));
	if (width != 8)
		return pdev_bar_write(v->pci, c->bar, c->bar_offset + off, width, val, e);
	if (pdev_bar_write(v->pci, c->bar, c->bar_offset + off, 4, val & 0xffffffffu, e))
		return -1;
	return pdev_bar_write(v->pci, c->bar, c->bar_offset + off + 4, 4, val >> 32, e);
}

int modern_common_read(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e)
{
	return region_read(v, cap_of(v, v->caps.common), off, width, val, e);
}

int modern_common_write(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e)
{
	return region_write(v, cap_of(v, v->caps.common), off, width, val, e);
}

static int need_select(struct vdev *v, struct verr *e)
{
	if (!v->can_select)
		return verr_set(e, VX_PERM, "%s", v->select_why);
	return 0;
}

/* Reads a 64-bit feature set through its select/window register pair,
 * putting the selector back as it was so a live driver is not disturbed. */
static int read_feature_words(struct vdev *v, unsigned sel_off, unsigned win_off, uint64_t *f,
			      struct verr *e)
{
	uint64_t saved, w0 = 0, w1 = 0;
	int rc;

	if (need_select(v, e) || modern_common_read(v, sel_off, 4, &saved, e))
		return -1;
	rc = modern_common_write(v, sel_off, 4, 0, e) ||
	     modern_common_read(v, win_off, 4, &w0, e) ||
	     modern_common_write(v, sel_off, 4, 1, e) || modern_common_read(v, win_off, 4, &w1, e);
	if (modern_common_write(v, sel_off, 4, saved, e) || rc)
		return -1;
	*f = w0 | w1 << 32;
	return 0;
}

int modern_feature_words(struct vdev *v, bool driver, struct vfeatures *out, struct verr *e)
{
	unsigned sel = driver ? CC_DRIVER_FEATURE_SELECT : CC_DEVICE_FEATURE_SELECT,
		 win = driver ? CC_DRIVER_FEATURE : CC_DEVICE_FEATURE;
	uint64_t saved, w = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (need_select(v, e) || modern_common_read(v, sel, 4, &saved, e))
		return -1;
	/* past the words that hold defined bits, a 0 word ends the set */
	for (unsigned i = 0; i < VIRTIO_FEATURE_WORDS && !rc; i++) {
		if (i >= VIRTIO_FEATURE_WORDS_KNOWN && out->w[i - 1] == 0)
			break;
		rc = modern_common_write(v, sel, 4, i, e) || modern_common_read(v, win, 4, &w, e);
		if (!rc) {
			out->w[i] = (uint32_t)w;
			out->nwords = i + 1;
		}
	}
	if (modern_common_write(v, sel, 4, saved, e) || rc)
		return -1;
	return 0;
}

static int get_device_features(struct vdev *v, uint64_t *f, struct verr *e)
{
	return read_feature_words(v, CC_DEVICE_FEATURE_SELECT, CC_DEVICE_FEATURE, f, e);
}

static int get_driver_features(struct vdev *v, uint64_t *f, struct verr *e)
{
	return read_feature_words(v, CC_DRIVER_FEATURE_SELECT, CC_DRIVER_FEATURE, f, e);
}

static int set_driver_features(struct vdev *v, uint64_t f, struct verr *e)
{
	for (unsigned word = 0; word < 2; word++)
		if (modern_common_write(v, CC_DRIVER_FEATURE_SELECT, 4, word, e) ||
		    modern_common_write(v, CC_DRIVER_FEATURE, 4, (f >> (32 * word)) & 0xffffffffu,
					e))
			return -1;
	return 0;
}

static int get_status(struct vdev *v, uint8_t *status, struct verr *e)
{
	uint64_t s;

	if (modern_common_read(v, CC_DEVICE_STATUS, 1, &s, e))
		return -1;
	*status = (uint8_t)s;
	return 0;
}

static int set_status(struct vdev *v, uint8_t status, struct verr *e)
{
	return modern_common_write(v, CC_DEVICE_STATUS, 1, status, e);
}

static int get_num_queues(struct vdev *v, unsigned *n, struct verr *e)
{
	uint64_t q;

	if (modern_common_read(v, CC_NUM_QUEUES, 2, &q, e))
		return -1;
	*n = (unsigned)q;
	return 0;
}

static int read_selected_queue(struct vdev *v, struct vq_regs *r, struct verr *e)
{
	const struct vcap *c = cap_of(v, v->caps.common);
	uint64_t sz, vec, en, noff, nd = 0, rst = 0;

	if (modern_common_read(v, CC_QUEUE_SIZE, 2, &sz, e) ||
	    modern_common_read(v, CC_QUEUE_MSIX_VECTOR, 2, &vec, e) ||
	    modern_common_read(v, CC_QUEUE_ENABLE, 2, &en, e) ||
	    modern_common_read(v, CC_QUEUE_NOTIFY_OFF, 2, &noff, e) ||
	    modern_common_read(v, CC_QUEUE_DESC, 8, &r->desc, e) ||
	    modern_common_read(v, CC_QUEUE_DRIVER, 8, &r->driver, e) ||
	    modern_common_read(v, CC_QUEUE_DEVICE, 8, &r->device, e))
		return -1;
	r->have_notify_data = c->length >= CC_QUEUE_NOTIFY_DATA + 2;
	r->have_reset = c->length >= CC_QUEUE_RESET + 2;
	if ((r->have_notify_data && modern_common_read(v, CC_QUEUE_NOTIFY_DATA, 2, &nd, e)) ||
	    (r->have_reset && modern_common_read(v, CC_QUEUE_RESET, 2, &rst, e)))
		return -1;
	r->size = (uint16_t)sz;
	r->msix_vector = (uint16_t)vec;
	r->enable = (uint16_t)en;
	r->notify_off = (uint16_t)noff;
	r->notify_data = (uint16_t)nd;
	r->reset = (uint16_t)rst;
	return 0;
}

/* queue_select is the driver's register: it reads back what was written.
 * One that does not (a removed device reading all-ones, memory decoding
 * off, a broken device) makes every queue register that follows belong to
 * no known queue; stopping at the first such queue also spares reading a
 * thousand queues of garbage one select write at a time. */
static int check_selected(struct vdev *v, unsigned q, struct verr *e)
{
	uint64_t sel;

	if (modern_common_read(v, CC_QUEUE_SELECT, 2, &sel, e))
		return -1;
	if (sel != q)
		return verr_set(e, VX_DEVICE,
				"queue_select reads 0x%llx after selecting queue %u: the queue "
				"registers cannot be attributed to a queue",
				(unsigned long long)sel, q);
	return 0;
}

static int get_queue(struct vdev *v, unsigned q, struct vq_regs *r, struct verr *e)
{
	uint64_t saved;
	int rc;

	if (need_select(v, e) || modern_common_read(v, CC_QUEUE_SELECT, 2, &saved, e))
		return -1;
	rc = modern_common_write(v, CC_QUEUE_SELECT, 2, q, e) || check_selected(v, q, e) ||
	     read_selected_queue(v, r, e);
	if (modern_common_write(v, CC_QUEUE_SELECT, 2, saved, e) || rc)
		return -1;
	return 0;
}

static unsigned config_len(struct vdev *v)
{
	const struct vcap *c = cap_of(v, v->caps.device);

	return c ? (unsigned)(c->length > 4096 ? 4096 : c->length) : 0;
}

static int get_config_generation(struct vdev *v, uint32_t *gen, struct verr *e)
{
	uint64_t g;

	if (modern_common_read(v, CC_CONFIG_GENERATION, 1, &g, e))
		return -1;
	*gen = (uint32_t)g;
	return 0;
}

static int read_config(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e)
{
	return region_read(v, cap_of(v, v->caps.device), off, width, val, e);
}

static int write_config(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e)
{
	return region_write(v, cap_of(v, v->caps.device), off, width, val, e);
}

/* Programs one queue in the order Linux's vp_modern uses: select, size,
 * vector (read back: NO_VECTOR means the device refused it), the three
 * addresses, then enable. */
static int setup_queue(struct vdev *v, unsigned q, const struct vq_addrs *a, struct verr *e)
{
	uint64_t max, vec;

	if (modern_common_write(v, CC_QUEUE_SELECT, 2, q, e) ||
	    modern_common_read(v, CC_QUEUE_SIZE, 2, &max, e))
		return -1;
	if (max == 0)
		return verr_set(e, VX_DEVICE, "queue %u does not exist (queue_size reads 0)", q);
	if (a->size > max || a->size == 0 || (a->size & (a->size - 1)))
		return verr_set(e, VX_USAGE,
				"queue %u: size %u must be a power of 2 no larger than %llu", q,
				a->size, (unsigned long long)max);
	if (modern_common_write(v, CC_QUEUE_SIZE, 2, a->size, e) ||
	    modern_common_write(v, CC_QUEUE_MSIX_VECTOR, 2, a->msix_vector, e) ||
	    modern_common_read(v, CC_QUEUE_MSIX_VECTOR, 2, &vec, e))
		return -1;
	if (vec != a->msix_vector)
		return verr_set(e, VX_DEVICE, "queue %u: device refused MSI-X vector 0x%04x", q,
				a->msix_vector);
	if (modern_common_write(v, CC_QUEUE_DESC, 8, a->desc, e) ||
	    modern_common_write(v, CC_QUEUE_DRIVER, 8, a->driver, e) ||
	    modern_common_write(v, CC_QUEUE_DEVICE, 8, a->device, e))
		return -1;
	return modern_common_write(v, CC_QUEUE_ENABLE, 2, 1, e);
}

/* cap offset + queue_notify_off * notify_off_multiplier, with room for the
 * write inside the notify structure (Linux vp_modern_map_vq_notify). */
static int notify_location(struct vdev *v, unsigned q, uint64_t features, struct vq_notify_loc *loc,
			   struct verr *e)
{
	const struct vcap *n = cap_of(v, v->caps.notify);
	unsigned width = features >> VIRTIO_FB_NOTIFICATION_DATA & 1 ? 4 : 2;
	uint64_t noff, off, id = q;

	if (!n)
		return verr_set(e, VX_DEVICE, "the device has no usable notify capability");
	if (modern_common_write(v, CC_QUEUE_SELECT, 2, q, e) ||
	    modern_common_read(v, CC_QUEUE_NOTIFY_OFF, 2, &noff, e))
		return -1;
	off = noff * n->notify_off_multiplier;
	if (off + width > n->length)
		return verr_set(
			e, VX_DEVICE,
			"queue %u: notify offset %llu x %u lies outside the %llu-byte notify "
			"structure",
			q, (unsigned long long)noff, n->notify_off_multiplier,
			(unsigned long long)n->length);
	if (features >> VIRTIO_FB_NOTIF_CONFIG_DATA & 1 &&
	    modern_common_read(v, CC_QUEUE_NOTIFY_DATA, 2, &id, e))
		return -1;
	*loc = (struct vq_notify_loc){n->bar, n->bar_offset + off, width, (uint16_t)id};
	return 0;
}

static int notify(struct vdev *v, const struct vq_notify_loc *loc, uint32_t value, struct verr *e)
{
	return pdev_bar_write(v->pci, loc->bar, loc->off, loc->width, value, e);
}

static int read_isr(struct vdev *v, uint8_t *isr, struct verr *e)
{
	uint64_t val;

	if (region_read(v, cap_of(v, v->caps.isr), 0, 1, &val, e))
		return -1;
	*isr = (uint8_t)val;
	return 0;
}

static int set_config_vector(struct vdev *v, uint16_t vector, struct verr *e)
{
	uint64_t back;

	if (modern_common_write(v, CC_CONFIG_MSIX_VECTOR, 2, vector, e) ||
	    modern_common_read(v, CC_CONFIG_MSIX_VECTOR, 2, &back, e))
		return -1;
	if (back != vector)
		return verr_set(e, VX_DEVICE, "device refused config MSI-X vector 0x%04x", vector);
	return 0;
}

static int get_config_vector(struct vdev *v, uint16_t *vector, struct verr *e)
{
	uint64_t x;

	if (modern_common_read(v, CC_CONFIG_MSIX_VECTOR, 2, &x, e))
		return -1;
	*vector = (uint16_t)x;
	return 0;
}

const struct vtransport_ops virtio_modern_ops = {
	.name = "modern",
	.get_status = get_status,
	.set_status = set_status,
	.get_device_features = get_device_features,
	.get_driver_features = get_driver_features,
	.set_driver_features = set_driver_features,
	.get_num_queues = get_num_queues,
	.get_queue = get_queue,
	.config_len = config_len,
	.get_config_generation = get_config_generation,
	.read_config = read_config,
	.write_config = write_config,
	.setup_queue = setup_queue,
	.notify_location = notify_location,
	.notify = notify,
	.read_isr = read_isr,
	.set_config_vector = set_config_vector,
	.get_config_vector = get_config_vector,
	.legacy_ring = false,
};
