/* The legacy virtio-pci transport: the I/O header in BAR 0 of legacy and
 * transitional devices (legacy_regs.h). It differs from the modern one in
 * ways the callers see through struct vtransport_ops only:
 *  - 32 feature bits, read without selector writes;
 *  - no num_queues register: queues are counted by selecting each one
 *    until QUEUE_NUM reads 0, as QEMU's own count does;
 *  - QUEUE_NUM is the device's fixed size: a ring of any other size is
 *    refused;
 *  - the whole ring is one 4096-aligned block named by its page frame
 *    number (legacy_ring);
 *  - no config generation counter: get_config_generation is NULL and
 *    vdev_read_config() reads until two snapshots agree;
 *  - the vector registers and the device config offset depend on whether
 *    MSI-X is enabled at the moment, so that is read at each access. */
#include "virtio/legacy.h"

#include "virtio/legacy_regs.h"

static int need_select(struct vdev *v, struct verr *e)
{
	if (!v->can_select)
		return verr_set(e, VX_PERM, "%s", v->select_why);
	return 0;
}

bool legacy_present(const struct vdev *v, const char **why)
{
	const char *w = NULL;

	if (v->kind == VDEV_MODERN)
		w = "a modern-only device has no legacy interface";
	else if (v->pci->bar[LEG_BAR].kind != PCI_BAR_IO)
		w = "BAR 0 is not an I/O BAR, so there is no legacy header";
	if (why)
		*why = w;
	return w == NULL;
}

bool legacy_msix_enabled(struct vdev *v)
{
	const struct msix_info *m = &v->caps.pci.msix;
	uint32_t ctl;

	if (!m->present)
		return false;
	if (pdev_cfg_read(v->pci, m->offset + 2u, 2, &ctl, NULL))
		return m->enabled;
	return (ctl & 0x8000u) != 0;
}

unsigned legacy_config_offset(struct vdev *v)
{
	return legacy_msix_enabled(v) ? LEG_CONFIG_OFF_MSIX : LEG_CONFIG_OFF_NO_MSIX;
}

int legacy_read(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e)
{
	return pdev_bar_read(v->pci, LEG_BAR, off, width, val, e);
}

int legacy_write(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e)
{
	return pdev_bar_write(v->pci, LEG_BAR, off, width, val, e);
}

static int read16(struct vdev *v, unsigned off, uint16_t *out, struct verr *e)
{
	uint64_t x;

	if (legacy_read(v, off, 2, &x, e))
		return -1;
	*out = (uint16_t)x;
	return 0;
}

static int read32(struct vdev *v, unsigned off, uint32_t *out, struct verr *e)
{
	uint64_t x;

	if (legacy_read(v, off, 4, &x, e))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int legacy_header_read(struct vdev *v, struct legacy_header *h, struct verr *e)
{
	uint64_t st;

	*h = (struct legacy_header){.config_vector = VIRTIO_MSI_NO_VECTOR,
				    .queue_vector = VIRTIO_MSI_NO_VECTOR};
	if (read32(v, LEG_HOST_FEATURES, &h->host_features, e) ||
	    read32(v, LEG_GUEST_FEATURES, &h->guest_features, e) ||
	    read32(v, LEG_QUEUE_PFN, &h->queue_pfn, e) ||
	    read16(v, LEG_QUEUE_NUM, &h->queue_num, e) ||
	    read16(v, LEG_QUEUE_SEL, &h->queue_sel, e) || legacy_read(v, LEG_STATUS, 1, &st, e))
		return -1;
	h->status = (uint8_t)st;
	h->msix_enabled = legacy_msix_enabled(v);
	h->config_offset = h->msix_enabled ? LEG_CONFIG_OFF_MSIX : LEG_CONFIG_OFF_NO_MSIX;
	if (h->msix_enabled && (read16(v, LEG_CONFIG_VECTOR, &h->config_vector, e) ||
				read16(v, LEG_QUEUE_VECTOR, &h->queue_vector, e)))
		return -1;
	return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* The avail ring ends with used_event (6 + 2n bytes, virtio 1.3 2.7.6).
 * QEMU aligns from 4 + 2n instead; the two agree for every power-of-two
 * n (a 4096 boundary would have to fall on 18n + 5 or 18n + 6). */
void legacy_ring_layout(uint64_t desc, unsigned n, uint64_t *driver, uint64_t *device)
{
	*driver = desc + 16ull * n;
	*device = align_up(*driver + 6 + 2ull * n, LEG_VRING_ALIGN);
}

uint64_t legacy_ring_bytes(unsigned n)
{
	uint64_t driver, device;

	legacy_ring_layout(0, n, &driver, &device);
	return device + 6 + 8ull * n;
}

/* ---- struct vtransport_ops ---- */

static int get_status(struct vdev *v, uint8_t *status, struct verr *e)
{
	uint64_t s;

	if (legacy_read(v, LEG_STATUS, 1, &s, e))
		return -1;
	*status = (uint8_t)s;
	return 0;
}

static int set_status(struct vdev *v, uint8_t status, struct verr *e)
{
	return legacy_write(v, LEG_STATUS, 1, status, e);
}

static int get_device_features(struct vdev *v, uint64_t *f, struct verr *e)
{
	uint32_t w;

	if (read32(v, LEG_HOST_FEATURES, &w, e))
		return -1;
	*f = w;
	return 0;
}

static int get_driver_features(struct vdev *v, uint64_t *f, struct verr *e)
{
	uint32_t w;

	if (read32(v, LEG_GUEST_FEATURES, &w, e))
		return -1;
	*f = w;
	return 0;
}

static int set_driver_features(struct vdev *v, uint64_t f, struct verr *e)
{
	if (f >> 32)
		return verr_set(
			e, VX_USAGE,
			"the legacy interface has 32 feature bits: 0x%llx cannot be accepted "
			"through it (bits 32 and up, e.g. VERSION_1, need the modern interface)",
			(unsigned long long)(f & ~0xffffffffull));
	return legacy_write(v, LEG_GUEST_FEATURES, 4, f, e);
}

static int select_queue(struct vdev *v, unsigned q, struct verr *e)
{
	return legacy_write(v, LEG_QUEUE_SEL, 2, q, e);
}

/* Selects queue q to read its registers. QUEUE_SEL is the driver's
 * register and reads back what was written; a device where it does not
 * (removed and reading all-ones, I/O decoding off, broken) gives
 * registers that belong to no known queue: counting would otherwise go
 * on to the 1024-queue limit on a QUEUE_NUM of 0xffff, one select write
 * per queue, and report garbage for every one. */
static int select_checked(struct vdev *v, unsigned q, struct verr *e)
{
	uint16_t sel;

	if (select_queue(v, q, e) || read16(v, LEG_QUEUE_SEL, &sel, e))
		return -1;
	if (sel != q)
		return verr_set(e, VX_DEVICE,
				"QUEUE_SEL reads 0x%x after selecting queue %u: the queue "
				"registers cannot be attributed to a queue",
				sel, q);
	return 0;
}

/* Runs fn with queue q selected and puts the old selection back, so a
 * live driver's next access finds what it left. */
static int with_queue(struct vdev *v, unsigned q, int (*fn)(struct vdev *, void *, struct verr *),
		      void *arg, struct verr *e)
{
	uint16_t saved;
	int rc;

	if (need_select(v, e) || read16(v, LEG_QUEUE_SEL, &saved, e))
		return -1;
	rc = select_checked(v, q, e) || fn(v, arg, e);
	if (select_queue(v, saved, e) || rc)
		return -1;
	return 0;
}

static int count_queues(struct vdev *v, void *arg, struct verr *e)
{
	unsigned *n = arg;

	for (*n = 0; *n < LEG_QUEUE_MAX; ++*n) {
		uint16_t num;

		if (select_checked(v, *n, e) || read16(v, LEG_QUEUE_NUM, &num, e))
			return -1;
		if (num == 0)
			break;
	}
	return 0;
}

static int get_num_queues(struct vdev *v, unsigned *n, struct verr *e)
{
	return with_queue(v, 0, count_queues, n, e);
}

static int read_selected(struct vdev *v, void *arg, struct verr *e)
{
	struct vq_regs *r = arg;
	uint32_t pfn;

	if (read16(v, LEG_QUEUE_NUM, &r->size, e) || read32(v, LEG_QUEUE_PFN, &pfn, e))
		return -1;
	if (legacy_msix_enabled(v) && read16(v, LEG_QUEUE_VECTOR, &r->msix_vector, e))
		return -1;
	r->enable = pfn != 0;
	r->desc = (uint64_t)pfn << LEG_PFN_SHIFT;
	if (pfn)
		legacy_ring_layout(r->desc, r->size, &r->driver, &r->device);
	return 0;
}

static int get_queue(struct vdev *v, unsigned q, struct vq_regs *r, struct verr *e)
{
	*r = (struct vq_regs){.msix_vector = VIRTIO_MSI_NO_VECTOR};
	return with_queue(v, q, read_selected, r, e);
}

/* The BAR ends where the config does: QEMU sizes it as the next power of
 * two of header + config, so the tail may hold bytes past the config
 * (QEMU reads them as 0xff); layout tables cut the read short. */
static unsigned config_len(struct vdev *v)
{
	uint64_t size = v->pci->bar[LEG_BAR].size;
	unsigned off = legacy_config_offset(v);

	if (size <= off)
		return 0;
	return size - off > VDEV_CONFIG_MAX ? VDEV_CONFIG_MAX : (unsigned)(size - off);
}

static int read_config(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e)
{
	unsigned len = config_len(v);

	if (off + width > len)
		return verr_set(
			e, VX_UNAVAILABLE,
			"config field at 0x%x is beyond the %u bytes of legacy device config", off,
			len);
	return legacy_read(v, legacy_config_offset(v) + off, width, val, e);
}

static int write_config(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e)
{
	unsigned len = config_len(v);

	if (off + width > len)
		return verr_set(
			e, VX_UNAVAILABLE,
			"config field at 0x%x is beyond the %u bytes of legacy device config", off,
			len);
	return legacy_write(v, legacy_config_offset(v) + off, width, val, e);
}

static int check_layout(unsigned q, const struct vq_addrs *a, struct verr *e)
{
	uint64_t driver, device;

	if (a->desc % LEG_VRING_ALIGN || a->desc == 0 || (a->desc >> LEG_PFN_SHIFT) >> 32)
		return verr_set(
			e, VX_USAGE,
			"queue %u: a legacy ring must start on a non-zero 4096-byte boundary "
			"below 2^44 (QUEUE_PFN is 32 bits); 0x%llx is not",
			q, (unsigned long long)a->desc);
	legacy_ring_layout(a->desc, a->size, &driver, &device);
	if (a->driver != driver || a->device != device)
		return verr_set(
			e, VX_USAGE,
			"queue %u: the legacy layout puts the avail ring at 0x%llx and the used "
			"ring at 0x%llx (one contiguous block), not 0x%llx and 0x%llx",
			q, (unsigned long long)driver, (unsigned long long)device,
			(unsigned long long)a->driver, (unsigned long long)a->device);
	return 0;
}

/* With MSI-X off there is no vector register: only "no vector" fits. */
static int write_vector(struct vdev *v, unsigned off, uint16_t vector, const char *what,
			struct verr *e)
{
	uint16_t back;

	if (!legacy_msix_enabled(v)) {
		if (vector == VIRTIO_MSI_NO_VECTOR)
			return 0;
		return verr_set(e, VX_USAGE,
				"MSI-X is disabled: the legacy header has no %s vector", what);
	}
	if (legacy_write(v, off, 2, vector, e) || read16(v, off, &back, e))
		return -1;
	if (back != vector)
		return verr_set(e, VX_DEVICE,
				"device refused %s MSI-X vector 0x%04x (reads 0x%04x)", what,
				vector, back);
	return 0;
}

/* Select, check the size and that the queue is free, vector, then PFN:
 * the vector goes first (Linux writes it after the PFN) so that a refused
 * vector leaves the queue unset; undoing a PFN means writing 0, which QEMU
 * treats as a reset of the whole device. */
static int setup_queue(struct vdev *v, unsigned q, const struct vq_addrs *a, struct verr *e)
{
	uint16_t num;
	uint32_t pfn;

	if (select_queue(v, q, e) || read16(v, LEG_QUEUE_NUM, &num, e) ||
	    read32(v, LEG_QUEUE_PFN, &pfn, e))
		return -1;
	if (num == 0)
		return verr_set(e, VX_DEVICE, "queue %u does not exist (QUEUE_NUM reads 0)", q);
	if (a->size != num)
		return verr_set(
			e, VX_USAGE,
			"queue %u: a legacy queue has the device's fixed size %u (QUEUE_NUM); "
			"a ring of %u entries cannot be used",
			q, num, a->size);
	if (pfn)
		return verr_set(
			e, VX_DEVICE,
			"queue %u is already set up (QUEUE_PFN 0x%x); reset the device first", q,
			pfn);
	if (check_layout(q, a, e) || write_vector(v, LEG_QUEUE_VECTOR, a->msix_vector, "queue", e))
		return -1;
	return legacy_write(v, LEG_QUEUE_PFN, 4, a->desc >> LEG_PFN_SHIFT, e);
}

/* Legacy notifications carry the queue index only: VIRTIO_F_NOTIFICATION_DATA
 * (bit 38) cannot be negotiated through 32 feature bits. */
static int notify_location(struct vdev *v, unsigned q, uint64_t features, struct vq_notify_loc *loc,
			   struct verr *e)
{
	(void)v;
	(void)features;
	if (q >= LEG_QUEUE_MAX)
		return verr_set(e, VX_USAGE, "queue %u: the legacy interface has at most %u queues",
				q, LEG_QUEUE_MAX);
	*loc = (struct vq_notify_loc){
		.bar = LEG_BAR, .off = LEG_QUEUE_NOTIFY, .width = 2, .id = (uint16_t)q};
	return 0;
}

static int notify(struct vdev *v, const struct vq_notify_loc *loc, uint32_t value, struct verr *e)
{
	return legacy_write(v, (unsigned)loc->off, loc->width, value, e);
}

/* The I/O BAR answers reads even while a driver owns the device, so the
 * rule that the ISR is never read under a driver is enforced here too. */
static int read_isr(struct vdev *v, uint8_t *isr, struct verr *e)
{
	uint64_t x;

	if (v->pci->driver[0])
		return verr_set(
			e, VX_PERM,
			"not reading the ISR: reading clears it, and kernel driver %s owns the "
			"device (it would lose an interrupt)",
			v->pci->driver);
	if (legacy_read(v, LEG_ISR, 1, &x, e))
		return -1;
	*isr = (uint8_t)x;
	return 0;
}

static int set_config_vector(struct vdev *v, uint16_t vector, struct verr *e)
{
	return write_vector(v, LEG_CONFIG_VECTOR, vector, "config", e);
}

static int get_config_vector(struct vdev *v, uint16_t *vector, struct verr *e)
{
	if (!legacy_msix_enabled(v))
		return verr_set(e, VX_UNAVAILABLE,
				"MSI-X is disabled: the legacy header has no vector registers");
	return read16(v, LEG_CONFIG_VECTOR, vector, e);
}

const struct vtransport_ops virtio_legacy_ops = {
	.name = "legacy",
	.get_status = get_status,
	.set_status = set_status,
	.get_device_features = get_device_features,
	.get_driver_features = get_driver_features,
	.set_driver_features = set_driver_features,
	.get_num_queues = get_num_queues,
	.get_queue = get_queue,
	.config_len = config_len,
	.get_config_generation = NULL,
	.read_config = read_config,
	.write_config = write_config,
	.setup_queue = setup_queue,
	.notify_location = notify_location,
	.notify = notify,
	.read_isr = read_isr,
	.set_config_vector = set_config_vector,
	.get_config_vector = get_config_vector,
	.legacy_ring = true,
};
