/* Intel IFC VF: the live-migration and multiqueue registers at the start
 * of BAR 4, as DPDK's ifcvf vDPA driver documents and uses them
 * (drivers/vdpa/ifc/base/ifcvf.h and ifcvf.c; the constants below are
 * this file's own names for that layout):
 *
 *   0x00  u32  dirty-page logging control: 0 off, 1 on for the VF, 3 for the PF
 *   0x10  u32  log base address, low    0x14  high
 *   0x18  u32  log end address, low     0x1c  high
 *   0x20  ring state: one u32 per queue, last_avail_idx in bits 0-15 and
 *         last_used_idx in bits 16-31, in 0x40-byte slots:
 *           block: queue q at 0x20 + 0x40 q
 *           net:   queue q at 0x20 + 0x40 (q / 2) + 4 (q % 2) (a queue pair
 *                  per slot, receive queue first)
 *   0x28  u32  multiqueue: queue pairs (net) or queues (block) enabled
 *
 * DPDK writes both halves of a ring-state word when it starts a queue; when
 * it stops a net queue it takes last_avail_idx from the high half too (the
 * device keeps no in-flight receive buffers), for block from the low half.
 * The decoder shows both halves as the device holds them. Reads only. */
#include "virtio/vendor.h"

enum {
	IFC_BAR = 4,
	IFC_LM_CTRL = 0x00,
	IFC_LM_BASE_LO = 0x10,
	IFC_LM_BASE_HI = 0x14,
	IFC_LM_END_LO = 0x18,
	IFC_LM_END_HI = 0x1c,
	IFC_RING_STATE = 0x20,
	IFC_SLOT = 0x40,
	IFC_MQ = 0x28,
	IFC_MAX_QUEUE_PAIRS = 32, /* DPDK's IFCVF_MAX_QUEUES */
	VIRTIO_ID_NET = 1,
	VIRTIO_ID_BLOCK = 2,
};

static int rd32(struct vdev *v, uint64_t off, uint32_t *out, struct verr *e)
{
	uint64_t x;

	if (pdev_bar_read(v->pci, IFC_BAR, off, 4, &x, e))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int rd64(struct vdev *v, uint64_t lo_off, uint64_t hi_off, uint64_t *out, struct verr *e)
{
	uint32_t lo, hi;

	if (rd32(v, lo_off, &lo, e) || rd32(v, hi_off, &hi, e))
		return -1;
	*out = (uint64_t)hi << 32 | lo;
	return 0;
}

static uint64_t slot_offset(bool net, unsigned q)
{
	return net ? IFC_RING_STATE + IFC_SLOT * (q / 2) + 4 * (q % 2)
		   : IFC_RING_STATE + (uint64_t)IFC_SLOT * q;
}

/* Data queues with a ring-state slot: num_queues when the transport can
 * read it (net: less the control queue, which has none), else what the
 * multiqueue register says is enabled; capped by DPDK's 32 queue pairs and
 * by what BAR 4 holds. */
static unsigned data_queues(struct vdev *v, bool net, uint32_t mq, const char **source)
{
	unsigned n, max = net ? 2 * IFC_MAX_QUEUE_PAIRS : IFC_MAX_QUEUE_PAIRS;
	struct verr e = {0};

	if (v->ops && vdev_regs_readable(v) && v->ops->get_num_queues(v, &n, &e) == 0) {
		*source = "num_queues";
		if (net)
			n &= ~1u;
	} else {
		*source = "multiqueue register";
		n = net ? 2 * mq : mq;
	}
	if (n > max)
		n = max;
	while (n && !pdev_bar_contains(v->pci, IFC_BAR, slot_offset(net, n - 1), 4))
		n--;
	return n;
}

static const char *logging_name(uint32_t ctrl)
{
	switch (ctrl) {
	case 0:
		return "off";
	case 1:
		return "on (VF)";
	case 3:
		return "on (PF)";
	default:
		return "unknown value";
	}
}

static int ring_states(struct vdev *v, bool net, unsigned n, struct rnode *out, struct verr *e)
{
	struct rnode *t = r_arr(out, "ring_state", "Ring state", RF_TABLE);

	for (unsigned q = 0; q < n; q++) {
		struct rnode *row = r_obj(t, NULL, NULL);
		uint32_t w;

		if (rd32(v, slot_offset(net, q), &w, e))
			return -1;
		r_uint(row, "queue", "queue", q, NULL);
		r_uint(row, "offset", "offset", slot_offset(net, q), "0x%02llx");
		r_uint(row, "raw", "raw", w, "0x%08llx");
		r_uint(row, "last_avail_idx", "last avail", w & 0xffff, NULL);
		r_uint(row, "last_used_idx", "last used", w >> 16, NULL);
	}
	return 0;
}

static int check_bar(struct vdev *v, struct verr *e)
{
	const struct pci_bar *b = &v->pci->bar[IFC_BAR];

	if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
		return verr_set(e, VX_UNAVAILABLE, "BAR %u is not a memory BAR", IFC_BAR);
	if (!pdev_bar_contains(v->pci, IFC_BAR, 0, IFC_MQ + 4))
		return verr_set(e, VX_UNAVAILABLE,
				"BAR %u is too small (%llu bytes) for the live-migration registers",
				IFC_BAR, (unsigned long long)b->size);
	if (v->device_id != VIRTIO_ID_NET && v->device_id != VIRTIO_ID_BLOCK)
		return verr_set(e, VX_UNAVAILABLE,
				"the IFC VF layout is known for net and block only");
	return 0;
}

int vendor_ifcvf_decode(struct vdev *v, struct rnode *out, struct verr *e)
{
	bool net = v->device_id == VIRTIO_ID_NET;
	uint32_t ctrl, mq;
	uint64_t base, end;
	const char *source;
	unsigned n;

	if (check_bar(v, e) || rd32(v, IFC_LM_CTRL, &ctrl, e) ||
	    rd64(v, IFC_LM_BASE_LO, IFC_LM_BASE_HI, &base, e) ||
	    rd64(v, IFC_LM_END_LO, IFC_LM_END_HI, &end, e) || rd32(v, IFC_MQ, &mq, e))
		return -1;
	r_str(out, "device_kind", "Device", net ? "net" : "block");
	r_strf(out, "registers", "Registers", "BAR %u", IFC_BAR);
	r_annot_str(r_uint(out, "lm_logging", "Dirty-page logging", ctrl, NULL),
		    logging_name(ctrl));
	r_uint(out, "log_base", "Log base", base, "0x%llx");
	r_uint(out, "log_end", "Log end", end, "0x%llx");
	r_annot_str(r_uint(out, "mq", "Multiqueue", mq, NULL),
		    net ? "queue pairs enabled" : "queues enabled");
	n = data_queues(v, net, mq, &source);
	r_str(out, "queues_source", "Queues from", source);
	return ring_states(v, net, n, out, e);
}
