/* The test device model: creation, config space, access log, state API.
 * BAR registers are in model_regs.c, queue processing in model_ring.c,
 * device behaviours in model_dev.c. */
#include "sim/model_impl.h"
#include "sim/model_types.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define LOG_MAX (1u << 20)
#define ERR_MAX 256u

#define MSIX_CTL_ENABLE 0x8000
#define MSIX_CTL_MASK	0x4000

static const struct pdev_ops model_ops;

/* ---- Misbehaviour knobs ---- */

static const struct model_bug_info bug_table[] = {
	{MODEL_BUG_RESET_IGNORED, "reset-ignored",
	 "the device ignores a reset request (writing 0 to device_status)",
	 "device_status, features and queues keep their values after 0 is written", false, false},
	{MODEL_BUG_FEATURES_OK_ALWAYS, "features-ok-always",
	 "the device accepts FEATURES_OK for any driver feature set",
	 "FEATURES_OK stays set even with unoffered feature bits (or without VERSION_1)", true,
	 false},
	{MODEL_BUG_QUEUE_SIZE_ODD, "queue-size-odd",
	 "the device reports a maximum queue size that is not a power of two",
	 "queue_size (legacy queue_num) reads the type's maximum minus 1 (256 -> 255), or 3", false,
	 false},
	{MODEL_BUG_USED_LEN_OVERFLOW, "used-len-overflow",
	 "the device reports more bytes written than the buffer could hold",
	 "used.len is the chain's device-writable bytes plus 1", false, false},
	{MODEL_BUG_USED_ID_BOGUS, "used-id-bogus",
	 "the device returns a used element whose id is not a chain in flight",
	 "used.id is the chain's head plus the queue size", false, false},
	{MODEL_BUG_CONFIG_GENERATION_STUCK, "config-generation-stuck",
	 "the device changes its configuration without changing config_generation",
	 "every config_generation read changes device config byte 0; the generation never "
	 "changes",
	 true, true},
	{MODEL_BUG_NOTIFY_OFF_OUT_OF_RANGE, "notify-off-out-of-range",
	 "queue_notify_off points past the end of the notification structure",
	 "queue_notify_off of queue i reads (notify length / multiplier) + i", true, false},
	{MODEL_BUG_NO_ISR_CAP, "no-isr-cap", "the device has no ISR status capability",
	 "the ISR capability is left out of the capability chain", true, false},
	{MODEL_BUG_STATUS_RESERVED_BITS, "status-reserved-bits",
	 "device_status reads with a reserved bit set",
	 "device_status reads with bit 0x20 set whenever it is not 0", false, false},
};

const struct model_bug_info *model_bugs(size_t *n)
{
	*n = sizeof(bug_table) / sizeof(bug_table[0]);
	return bug_table;
}

const struct model_bug_info *model_bug_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(bug_table) / sizeof(bug_table[0]); i++)
		if (strlen(bug_table[i].name) == len && strncmp(bug_table[i].name, name, len) == 0)
			return &bug_table[i];
	return NULL;
}

/* ---- Spec defaults ---- */

struct type_info {
	unsigned id;
	uint16_t trans_id; /* transitional PCI device id; 0: none */
	uint32_t class_code;
	unsigned nq;
	uint16_t qsize;
	uint64_t features;
};

static const struct type_info type_table[] = {
	{MODEL_ID_NET, 0x1000, 0x020000, 2, 256, MODEL_BIT(5) | MODEL_BIT(16)},
	{MODEL_ID_BLOCK, 0x1001, 0x010000, 1, 256, MODEL_BIT(2) | MODEL_BIT(6) | MODEL_BIT(9)},
	{MODEL_ID_BALLOON, 0x1002, 0x00ff00, 2, 128, 0},
	{MODEL_ID_CONSOLE, 0x1003, 0x078000, 2, 128, 0},
	{MODEL_ID_SCSI, 0x1004, 0x010000, 3, 256, 0},
	{MODEL_ID_RNG, 0x1005, 0x00ff00, 1, 8, 0},
	{MODEL_ID_9P, 0x1009, 0x000200, 1, 128, MODEL_BIT(0)},
};

static const struct type_info *type_lookup(unsigned id)
{
	static const struct type_info other = {0, 0, 0x00ff00, 1, 256, 0};

	for (size_t i = 0; i < sizeof(type_table) / sizeof(type_table[0]); i++)
		if (type_table[i].id == id)
			return &type_table[i];
	return &other;
}

static void default_device_cfg(struct model_spec *s)
{
	static const uint8_t net[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00};
	static const uint8_t tag[] = {5, 0, 's', 'h', 'a', 'r', 'e'};

	switch (s->device_id) {
	case MODEL_ID_NET:
		memcpy(s->device_cfg, net, sizeof(net));
		s->device_cfg_len = sizeof(net);
		break;
	case MODEL_ID_BLOCK:
		model_put(s->device_cfg, 8, 2048);     /* capacity, 512-byte sectors */
		model_put(s->device_cfg + 12, 4, 126); /* seg_max */
		model_put(s->device_cfg + 20, 4, 512); /* blk_size */
		s->device_cfg_len = 24;
		break;
	case MODEL_ID_CONSOLE:
		s->device_cfg_len = 12;
		break;
	case MODEL_ID_BALLOON:
		s->device_cfg_len = 8;
		break;
	case MODEL_ID_9P:
		memcpy(s->device_cfg, tag, sizeof(tag));
		s->device_cfg_len = sizeof(tag);
		break;
	case MODEL_ID_SCSI:
		/* QEMU's values: one request queue, sense 96 and CDB 32 bytes
		 * (virtio 1.3 5.6.4), max_target 255 and max_lun 16383 (the
		 * spec's SHOULD bounds); a region left empty would read 0xff. */
		model_put(s->device_cfg, 4, 1);		 /* num_queues */
		model_put(s->device_cfg + 4, 4, 126);	 /* seg_max */
		model_put(s->device_cfg + 8, 4, 0xffff); /* max_sectors */
		model_put(s->device_cfg + 12, 4, 128);	 /* cmd_per_lun */
		model_put(s->device_cfg + 16, 4, 16);	 /* event_info_size */
		model_put(s->device_cfg + 20, 4, 96);	 /* sense_size */
		model_put(s->device_cfg + 24, 4, 32);	 /* cdb_size */
		model_put(s->device_cfg + 30, 2, 255);	 /* max_target; max_channel 0 */
		model_put(s->device_cfg + 32, 4, 16383); /* max_lun */
		s->device_cfg_len = 36;
		break;
	default:
		model_types_spec_init(s);
		break;
	}
}

void model_spec_init(struct model_spec *s, unsigned device_id, enum model_transport t)
{
	const struct type_info *ti = type_lookup(device_id);

	memset(s, 0, sizeof(*s));
	s->device_id = device_id;
	s->transport = t;
	s->class_code = ti->class_code;
	s->features =
		ti->features | MODEL_BIT(MODEL_F_INDIRECT_DESC) | MODEL_BIT(MODEL_F_EVENT_IDX);
	if (t != MODEL_LEGACY)
		s->features |= MODEL_BIT(MODEL_F_VERSION_1);
	if (t != MODEL_MODERN)
		s->legacy_only_features =
			MODEL_BIT(MODEL_F_NOTIFY_ON_EMPTY) | MODEL_BIT(MODEL_F_ANY_LAYOUT);
	s->num_queues = ti->nq;
	for (unsigned i = 0; i < MODEL_MAX_QUEUES; i++) {
		s->queue_max[i] = ti->qsize;
		s->notify_off[i] = (uint16_t)i;
	}
	s->notify_off_multiplier = 4;
	default_device_cfg(s);
	s->msix_vectors = ti->nq + 1;
	s->modern_bar = 4;
	s->common_len = 0x38;
	s->cfg_access_cap = true;
	s->shm_bar = 2;
	s->dma_base = MODEL_DMA_BASE;
	s->dma_size = MODEL_DMA_SIZE;
}

/* ---- Spec checks and BAR plan ---- */

static uint64_t pow2ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int check_queues(const struct model_spec *s, struct verr *e)
{
	if (s->num_queues > MODEL_MAX_QUEUES)
		return verr_set(e, VX_USAGE, "model: %u queues (at most %u)", s->num_queues,
				MODEL_MAX_QUEUES);
	for (unsigned i = 0; i < s->num_queues; i++)
		if (s->queue_max[i] > 32768)
			return verr_set(e, VX_USAGE, "model: queue %u max size %u > 32768", i,
					s->queue_max[i]);
	return 0;
}

static int check_bugs(const struct model_spec *s, struct verr *e)
{
	size_t n;
	const struct model_bug_info *b = model_bugs(&n);

	for (size_t i = 0; i < n; i++) {
		if (!(s->bugs & b[i].bit))
			continue;
		if (b[i].modern_only && s->transport == MODEL_LEGACY)
			return verr_set(e, VX_USAGE,
					"model: bug %s needs the modern interface, which a legacy "
					"device does not have",
					b[i].name);
		if (b[i].needs_device_cfg && !s->device_cfg_len)
			return verr_set(e, VX_USAGE,
					"model: bug %s needs a device configuration, which virtio "
					"type %u does not have",
					b[i].name, s->device_id);
	}
	if ((s->bugs & MODEL_BUG_NOTIFY_OFF_OUT_OF_RANGE) && !s->notify_off_multiplier)
		return verr_set(e, VX_USAGE,
				"model: bug notify-off-out-of-range needs a notify_off_multiplier");
	return 0;
}

/* The model's memory must be pages, and reachable through a legacy
 * queue's 32-bit page frame number. */
static int check_dma(const struct model_spec *s, struct verr *e)
{
	if (s->dma_base % 4096 || s->dma_size % 4096 || s->dma_base > (1ull << 44) ||
	    s->dma_size > (1ull << 44) - s->dma_base)
		return verr_set(e, VX_USAGE,
				"model: DMA memory 0x%llx+0x%zx is not whole pages below 2^44",
				(unsigned long long)s->dma_base, s->dma_size);
	return 0;
}

static int check_spec(const struct model_spec *s, struct verr *e)
{
	if (check_queues(s, e) || check_bugs(s, e) || check_dma(s, e))
		return -1;
	if (s->device_cfg_len > MODEL_DEV_CFG_MAX)
		return verr_set(e, VX_USAGE, "model: device config of %u bytes (at most %u)",
				s->device_cfg_len, MODEL_DEV_CFG_MAX);
	if (s->msix_vectors > 2048)
		return verr_set(e, VX_USAGE, "model: %u MSI-X vectors (at most 2048)",
				s->msix_vectors);
	if (s->transport != MODEL_LEGACY && s->common_len != 0x38 && s->common_len != 0x40)
		return verr_set(e, VX_USAGE, "model: common_len must be 0x38 or 0x40");
	if (s->transport != MODEL_MODERN && !s->pci_device_id &&
	    !type_lookup(s->device_id)->trans_id)
		return verr_set(e, VX_USAGE,
				"model: virtio type %u has no transitional PCI device id",
				s->device_id);
	if (s->shm && s->shm_length > (1ull << 62))
		return verr_set(e, VX_USAGE, "model: shared memory region too large");
	return 0;
}

/* Claims BAR slot i (and i+1 for 64-bit); fails on overlap. */
static int claim_bar(bool used[PCI_NUM_BARS], unsigned i, bool is64, const char *who,
		     struct verr *e)
{
	if (i >= PCI_NUM_BARS || (is64 && i + 1 >= PCI_NUM_BARS))
		return verr_set(e, VX_USAGE, "model: %s BAR %u does not fit (%s)", who, i,
				is64 ? "64-bit" : "32-bit");
	if (used[i] || (is64 && used[i + 1]))
		return verr_set(e, VX_USAGE, "model: %s BAR %u overlaps another BAR", who, i);
	used[i] = true;
	if (is64)
		used[i + 1] = true;
	return 0;
}

static void plan_modern(struct model *m)
{
	const struct model_spec *s = &m->spec;
	uint64_t max_off = 0;

	for (unsigned i = 0; i < s->num_queues; i++)
		if (s->notify_off[i] > max_off)
			max_off = s->notify_off[i];
	m->lay.common_len = s->common_len;
	m->lay.isr_off = 0x1000;
	m->lay.dev_off = 0x2000;
	m->lay.dev_len = 0x1000;
	m->lay.notify_off = 0x3000;
	/* QEMU's notify region is 0x1000; grow it when the queues' notify
	 * addresses need more, so the capability stays truthful. */
	m->lay.notify_len = align_up(max_off * s->notify_off_multiplier + 4, 0x1000);
	m->bar_size[m->modern_bar] = pow2ceil(m->lay.notify_off + m->lay.notify_len);
}

static int free_bar_for_msix(const bool used[PCI_NUM_BARS])
{
	for (unsigned i = 1; i < PCI_NUM_BARS; i++)
		if (!used[i])
			return (int)i;
	return used[0] ? -1 : 0;
}

static int plan_bars(struct model *m, struct verr *e)
{
	const struct model_spec *s = &m->spec;
	bool used[PCI_NUM_BARS] = {false};

	m->legacy_bar = m->modern_bar = m->msix_bar = m->shm_bar = -1;
	if (s->transport != MODEL_MODERN) {
		m->legacy_bar = 0;
		used[0] = true;
		m->bar_size[0] = pow2ceil((s->msix_vectors ? 24u : 20u) + s->device_cfg_len);
	}
	if (s->transport != MODEL_LEGACY) {
		if (claim_bar(used, s->modern_bar, !s->modern_bar_32bit, "modern", e))
			return -1;
		m->modern_bar = (int)s->modern_bar;
		plan_modern(m);
		if (s->shm) {
			if (claim_bar(used, s->shm_bar, true, "shared memory", e))
				return -1;
			m->shm_bar = (int)s->shm_bar;
			m->bar_size[s->shm_bar] = pow2ceil(s->shm_offset + s->shm_length < 0x1000
								   ? 0x1000
								   : s->shm_offset + s->shm_length);
		}
	}
	if (s->msix_vectors) {
		uint64_t half =
			pow2ceil(s->msix_vectors * 16u < 0x800 ? 0x800 : s->msix_vectors * 16u);

		m->msix_bar = free_bar_for_msix(used);
		if (m->msix_bar < 0)
			return verr_set(e, VX_USAGE, "model: no BAR left for the MSI-X table");
		m->bar_size[m->msix_bar] = 2 * half;
		m->lay.msix_table_off = 0;
		m->lay.msix_pba_off = half;
	}
	return 0;
}

/* ---- Config space construction ---- */

static void cfg_put(struct model *m, unsigned off, unsigned width, uint64_t v)
{
	model_put(m->cfg + off, width, v);
}

static void cfg_writable(struct model *m, unsigned off, unsigned width, uint64_t mask)
{
	for (unsigned i = 0; i < width; i++) {
		m->wmask[off + i] = (uint8_t)(mask >> (8 * i));
		m->wok[off + i] = 1;
	}
}

static uint16_t pci_device_id(const struct model_spec *s)
{
	if (s->pci_device_id)
		return s->pci_device_id;
	if (s->transport == MODEL_MODERN)
		return (uint16_t)(0x1040 + s->device_id);
	return type_lookup(s->device_id)->trans_id;
}

static void build_header(struct model *m)
{
	const struct model_spec *s = &m->spec;
	uint16_t cmd = PCI_CMD_BUS_MASTER | PCI_CMD_MEM_DECODE;
	bool modern = s->transport == MODEL_MODERN;

	if (m->legacy_bar >= 0)
		cmd |= PCI_CMD_IO_DECODE;
	cfg_put(m, 0x00, 2, 0x1af4);
	cfg_put(m, 0x02, 2, pci_device_id(s));
	cfg_put(m, 0x04, 2, cmd);
	cfg_writable(m, 0x04, 2, 0x0547); /* I/O, mem, master, parity, SERR, INTx disable */
	cfg_writable(m, 0x06, 2, 0);	  /* status: RW1C bits, nothing to clear here */
	cfg_put(m, 0x08, 1, modern ? 1 : 0);
	cfg_put(m, 0x09, 3, s->class_code);
	cfg_writable(m, 0x0c, 1, 0xff); /* cache line size */
	cfg_writable(m, 0x0d, 1, 0);	/* latency timer: hardwired here */
	cfg_put(m, 0x2c, 2, s->subsys_vendor ? s->subsys_vendor : 0x1af4);
	cfg_put(m, 0x2e, 2, s->subsys_device ? s->subsys_device : modern ? 0x1100 : s->device_id);
	cfg_writable(m, 0x30, 4, 0); /* no expansion ROM: sizing reads 0 */
	cfg_put(m, 0x3d, 1, 1);	     /* INTA# */
	cfg_writable(m, 0x3c, 1, 0xff);
}

static void build_bar(struct model *m, unsigned i, enum pci_bar_kind kind, bool pref, uint64_t base)
{
	uint64_t size = m->bar_size[i];
	unsigned reg = 0x10 + 4 * i;
	bool zero = (int)i == m->modern_bar && (m->spec.faults & MODEL_FAULT_ZERO_SIZE_BAR);
	uint64_t mask = zero ? 0 : ~(size - 1);

	m->pdev->bar[i] = (struct pci_bar){kind, pref, zero ? 0 : base, zero ? 0 : size};
	if (kind == PCI_BAR_IO) {
		cfg_put(m, reg, 4, base | 1);
		cfg_writable(m, reg, 4, mask & 0xfffffffcu);
		return;
	}
	cfg_put(m, reg, 4,
		(zero ? 0 : base & 0xfffffff0u) | (kind == PCI_BAR_MEM64 ? 4 : 0) | (pref ? 8 : 0));
	cfg_writable(m, reg, 4, mask & 0xfffffff0u);
	if (kind == PCI_BAR_MEM64) {
		cfg_put(m, reg + 4, 4, zero ? 0 : base >> 32);
		cfg_writable(m, reg + 4, 4, mask >> 32);
	}
}

static void build_bars(struct model *m)
{
	uint64_t mem32 = 0xfe000000u, mem64 = 0x800000000ull;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		cfg_writable(m, 0x10 + 4 * i, 4, 0); /* unimplemented BARs read 0 */
	if (m->legacy_bar >= 0)
		build_bar(m, 0, PCI_BAR_IO, false, 0xc000);
	if (m->msix_bar >= 0) {
		build_bar(m, (unsigned)m->msix_bar, PCI_BAR_MEM32, false, mem32);
		mem32 += m->bar_size[m->msix_bar];
	}
	if (m->modern_bar >= 0 && m->spec.modern_bar_32bit) {
		mem32 = align_up(mem32, m->bar_size[m->modern_bar]);
		build_bar(m, (unsigned)m->modern_bar, PCI_BAR_MEM32, false, mem32);
	} else if (m->modern_bar >= 0) {
		build_bar(m, (unsigned)m->modern_bar, PCI_BAR_MEM64, true, mem64);
		mem64 += m->bar_size[m->modern_bar];
	}
	if (m->shm_bar >= 0) {
		mem64 = align_up(mem64, m->bar_size[m->shm_bar]);
		build_bar(m, (unsigned)m->shm_bar, PCI_BAR_MEM64, true, mem64);
	}
}

struct cap_list {
	unsigned at[16];
	unsigned n;
	unsigned next_free;
};

static unsigned cap_place(struct cap_list *cl, unsigned len)
{
	unsigned at = cl->next_free;

	cl->at[cl->n++] = at;
	cl->next_free = (unsigned)align_up(at + len, 4);
	return at;
}

static unsigned virtio_cap(struct model *m, struct cap_list *cl, unsigned type, unsigned len,
			   uint64_t off, uint64_t length)
{
	unsigned at = cap_place(cl, len);

	cfg_put(m, at, 1, 0x09);
	cfg_put(m, at + 2, 1, len);
	cfg_put(m, at + 3, 1, type);
	cfg_put(m, at + 4, 1, (unsigned)(type == CAP_SHM ? m->shm_bar : m->modern_bar));
	cfg_put(m, at + 8, 4, off);
	cfg_put(m, at + 12, 4, length);
	m->cap_at[type] = at;
	return at;
}

static void build_virtio_caps(struct model *m, struct cap_list *cl)
{
	const struct model_layout *l = &m->lay;
	unsigned at;

	virtio_cap(m, cl, CAP_COMMON, 16, 0, l->common_len);
	if (!model_bug(m, MODEL_BUG_NO_ISR_CAP))
		virtio_cap(m, cl, CAP_ISR, 16, l->isr_off, 1);
	virtio_cap(m, cl, CAP_DEVICE, 16, l->dev_off, l->dev_len);
	at = virtio_cap(m, cl, CAP_NOTIFY, 20, l->notify_off, l->notify_len);
	cfg_put(m, at + 16, 4, m->spec.notify_off_multiplier);
	if (m->spec.cfg_access_cap) {
		/* bar, offset, length and the data window are the driver's. */
		at = virtio_cap(m, cl, CAP_PCI_CFG, 20, 0, 0);
		cfg_put(m, at + 4, 1, 0);
		cfg_writable(m, at + 4, 1, 0xff);
		cfg_writable(m, at + 8, 4, 0xffffffffu);
		cfg_writable(m, at + 12, 4, 0xffffffffu);
		cfg_writable(m, at + 16, 4, 0xffffffffu);
	}
	if (m->spec.shm) {
		at = virtio_cap(m, cl, CAP_SHM, 24, m->spec.shm_offset, m->spec.shm_length);
		cfg_put(m, at + 5, 1, m->spec.shm_id);
		cfg_put(m, at + 16, 4, m->spec.shm_offset >> 32);
		cfg_put(m, at + 20, 4, m->spec.shm_length >> 32);
	}
}

static void build_other_caps(struct model *m, struct cap_list *cl)
{
	if (m->msix_bar >= 0) {
		unsigned at = cap_place(cl, 12);

		m->msix_cap = at;
		cfg_put(m, at, 1, 0x11);
		cfg_put(m, at + 2, 2, m->spec.msix_vectors - 1);
		cfg_writable(m, at + 2, 2, MSIX_CTL_ENABLE | MSIX_CTL_MASK);
		cfg_put(m, at + 4, 4, m->lay.msix_table_off | (unsigned)m->msix_bar);
		cfg_put(m, at + 8, 4, m->lay.msix_pba_off | (unsigned)m->msix_bar);
	}
	if (m->spec.pcie) {
		unsigned at = cap_place(cl, 0x3c);

		m->pcie_cap = at;
		cfg_put(m, at, 1, 0x10);
		cfg_put(m, at + 2, 2, 0x0002); /* version 2, endpoint */
	}
}

/* QEMU adds capabilities at the head of the list, so the list runs from
 * the last one placed down to the first; the model does the same (a
 * walker must not assume ascending offsets). */
static void link_caps(struct model *m, const struct cap_list *cl)
{
	unsigned n = cl->n;

	if (!n)
		return;
	cfg_put(m, 0x06, 2, PCI_STATUS_CAP_LIST);
	cfg_put(m, 0x34, 1, cl->at[n - 1]);
	for (unsigned i = n; i-- > 1;)
		cfg_put(m, cl->at[i] + 1, 1, cl->at[i - 1]);
	if (m->spec.faults & MODEL_FAULT_CAP_LOOP)
		cfg_put(m, cl->at[0] + 1, 1, cl->at[n - 1]);
}

static void apply_faults(struct model *m)
{
	unsigned f = m->spec.faults;

	if (f & MODEL_FAULT_CAP_PTR_LOW)
		cfg_put(m, 0x34, 1, 0x20);
	if (f & MODEL_FAULT_CAP_PTR_UNALIGNED)
		m->cfg[0x34] |= 0x03;
	if ((f & MODEL_FAULT_CAP_TRUNCATED) && m->cap_at[CAP_COMMON])
		cfg_put(m, m->cap_at[CAP_COMMON] + 2, 1, 8);
	if ((f & MODEL_FAULT_CAP_BEYOND_BAR) && m->cap_at[CAP_DEVICE])
		cfg_put(m, m->cap_at[CAP_DEVICE] + 12, 4,
			m->bar_size[m->modern_bar] - m->lay.dev_off + 0x1000);
	if ((f & MODEL_FAULT_CAP_BAR_INDEX) && m->cap_at[CAP_ISR])
		cfg_put(m, m->cap_at[CAP_ISR] + 4, 1, 6);
	if ((f & MODEL_FAULT_NOTIFY_MISALIGNED) && m->cap_at[CAP_NOTIFY])
		cfg_put(m, m->cap_at[CAP_NOTIFY] + 8, 4, m->lay.notify_off + 1);
}

static void build_cfg(struct model *m)
{
	struct cap_list cl = {.n = 0, .next_free = 0x40};

	build_header(m);
	build_bars(m);
	if (m->spec.transport != MODEL_LEGACY)
		build_virtio_caps(m, &cl);
	build_other_caps(m, &cl);
	link_caps(m, &cl);
	apply_faults(m);
}

/* ---- Creation ---- */

/* bug=queue-size-odd: a maximum that is not a power of two. */
static uint16_t queue_max_of(const struct model *m, unsigned i)
{
	uint16_t q = m->spec.queue_max[i];

	if (!model_bug(m, MODEL_BUG_QUEUE_SIZE_ODD) || !q)
		return q;
	return q > 2 ? (uint16_t)(q - 1) : 3;
}

/* bug=notify-off-out-of-range: past the notify structure's end. */
static uint16_t notify_off_of(const struct model *m, unsigned i)
{
	uint64_t past;

	if (!model_bug(m, MODEL_BUG_NOTIFY_OFF_OUT_OF_RANGE))
		return m->spec.notify_off[i];
	past = m->lay.notify_len / m->spec.notify_off_multiplier + i;
	return past > 0xffff ? 0xffff : (uint16_t)past;
}

static void init_state(struct model *m)
{
	struct model_state *st = &m->st;
	bool ncd = m->spec.features & MODEL_BIT(MODEL_F_NOTIF_CONFIG_DATA);

	st->num_queues = m->spec.num_queues;
	for (unsigned i = 0; i < st->num_queues; i++) {
		st->queue[i].max_size = queue_max_of(m, i);
		st->queue[i].notify_off = notify_off_of(m, i);
		/* Not the index when the driver is meant to use this value, so
		 * a driver that sends the index anyway is caught. */
		st->queue[i].notif_config_data = (uint16_t)(ncd ? 0x8000 | i : i);
	}
	model_reset_device(m);
	st->resets = 0;
}

static void fill_pdev(struct model *m, struct pdev *d)
{
	const struct model_spec *s = &m->spec;

	d->ops = &model_ops;
	d->priv = m;
	d->addr = s->addr;
	d->vendor = 0x1af4;
	d->device = (uint16_t)model_get(m->cfg + 0x02, 2);
	d->subsys_vendor = (uint16_t)model_get(m->cfg + 0x2c, 2);
	d->subsys_device = (uint16_t)model_get(m->cfg + 0x2e, 2);
	d->revision = m->cfg[0x08];
	d->class_code = s->class_code;
	d->cfg_size = m->cfg_size;
	snprintf(d->driver, sizeof(d->driver), "%s", s->driver ? s->driver : "");
	snprintf(d->bar_why, sizeof(d->bar_why), "%s", s->bar_why ? s->bar_why : "");
	pdev_allow_writes(d, s->writable, s->writable ? "" : "the model was created read-only");
}

/* A handle: a copy of the core pdev, sharing its model. */
static struct pdev *new_handle(struct model *m, struct verr *e)
{
	struct pdev *d = malloc(sizeof(*d));

	if (!d) {
		verr_set(e, VX_FAIL, "model: out of memory");
		return NULL;
	}
	*d = m->core;
	m->refs++;
	return d;
}

struct pdev *model_pdev_new(const struct model_spec *s, struct verr *e)
{
	struct model *m;
	struct pdev *d;

	if (check_spec(s, e))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->spec = *s;
	m->pdev = &m->core;
	m->cfg_size = s->pcie ? 4096 : 256;
	if (plan_bars(m, e))
		goto fail;
	if (s->msix_vectors) {
		m->msix_table = calloc(s->msix_vectors, 16);
		if (!m->msix_table)
			goto nomem;
		for (unsigned i = 0; i < s->msix_vectors; i++)
			m->msix_table[i * 16 + 12] = 1; /* masked after reset */
	}
	build_cfg(m);
	init_state(m);
	fill_pdev(m, &m->core);
	d = new_handle(m, e);
	if (d)
		return d;
	goto fail;
nomem:
	verr_set(e, VX_FAIL, "model: out of memory");
fail:
	if (m)
		free(m->msix_table);
	free(m);
	return NULL;
}

struct pdev *model_pdev_ref(struct pdev *d, struct verr *e)
{
	struct pdev *h = new_handle(model_of(d), e);

	if (h)
		pdev_allow_writes(h, false, "the device was opened read-only");
	return h;
}

bool model_is(const struct pdev *d)
{
	return d && d->ops == &model_ops;
}

struct model *model_of(const struct pdev *d)
{
	assert(model_is(d));
	return d->priv;
}

static void op_close(struct pdev *d)
{
	struct model *m = d->priv;

	d->priv = NULL;
	if (--m->refs)
		return;
	if (m->mem)
		munmap(m->mem, m->spec.dma_size);
	for (size_t i = 0; i < m->nframes; i++)
		free(m->frames[i].data);
	free(m->frames);
	free(m->console);
	free(m->disk);
	free(m->types);
	free(m->log);
	free(m->err);
	free(m->msix_table);
	free(m);
}

/* ---- Log and errors ---- */

/* Only the first ERR_MAX messages are kept (and formatted); the rest are
 * counted. A driver reading a device whose decoding is off makes an error
 * of every access, tens of thousands in one report: formatting and keeping
 * them all was most of the time of a fuzz run. */
int model_err(struct model *m, const char *fmt, ...)
{
	va_list ap;

	if (m->nerr >= ERR_MAX) {
		m->nerr++;
		return -1;
	}
	if (m->nerr == m->caperr) {
		size_t cap = m->caperr ? 2 * m->caperr : 16;
		void *p = realloc(m->err, cap * sizeof(*m->err));

		if (!p)
			return -1;
		m->err = p;
		m->caperr = cap;
	}
	va_start(ap, fmt);
	vsnprintf(m->err[m->nerr++], MODEL_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

void model_log(struct model *m, const struct model_access *a)
{
	/* The first byte before strcmp: this runs for every access, and a
	 * fuzz build hooks each strcmp call. */
	if (a->write && !a->indirect)
		m->nwrites++;
	else if (!a->write && a->what && a->what[0] == 'i' && strcmp(a->what, "isr") == 0)
		m->nisr_reads++;
	if (m->spec.no_log)
		return;
	if (m->nlog == m->caplog) {
		size_t cap = m->caplog ? 2 * m->caplog : 64;
		void *p;

		if (m->caplog >= LOG_MAX || !(p = realloc(m->log, cap * sizeof(*m->log))))
			return;
		m->log = p;
		m->caplog = cap;
	}
	m->log[m->nlog++] = *a;
}

size_t model_log_count(const struct pdev *d)
{
	return model_of(d)->nlog;
}

const struct model_access *model_log_entry(const struct pdev *d, size_t i)
{
	struct model *m = model_of(d);

	return i < m->nlog ? &m->log[i] : NULL;
}

size_t model_write_count(const struct pdev *d)
{
	return model_of(d)->nwrites;
}

size_t model_isr_read_count(const struct pdev *d)
{
	return model_of(d)->nisr_reads;
}

size_t model_access_count(const struct pdev *d, const char *what, bool write)
{
	struct model *m = model_of(d);
	size_t n = 0;

	for (size_t i = 0; i < m->nlog; i++)
		if (m->log[i].write == write && strcmp(m->log[i].what, what) == 0)
			n++;
	return n;
}

size_t model_error_count(const struct pdev *d)
{
	return model_of(d)->nerr;
}

const char *model_error(const struct pdev *d, size_t i)
{
	struct model *m = model_of(d);

	if (i >= m->nerr)
		return NULL;
	return i < ERR_MAX ? m->err[i] : "(not kept: the model keeps the first errors only)";
}

void model_log_clear(struct pdev *d)
{
	struct model *m = model_of(d);

	m->nlog = m->nwrites = m->nisr_reads = m->nerr = 0;
}

void model_log_dump(const struct pdev *d, FILE *f)
{
	struct model *m = model_of(d);

	for (size_t i = 0; i < m->nlog; i++) {
		const struct model_access *a = &m->log[i];

		fprintf(f, "%s %s", a->write ? "W" : "R",
			a->space == MODEL_SPACE_CFG ? "cfg" : "bar");
		if (a->space == MODEL_SPACE_BAR)
			fprintf(f, "%u", a->bar);
		fprintf(f, "+0x%llx/%u %-24s 0x%llx%s%s\n", (unsigned long long)a->off, a->width,
			a->what, (unsigned long long)a->val, a->indirect ? " (window)" : "",
			a->bad ? " BAD" : "");
	}
	for (size_t i = 0; i < m->nerr; i++)
		fprintf(f, "error: %s\n", m->err[i]);
}

/* ---- Config space access ---- */

bool model_msix_enabled(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->msix_cap && (model_get(m->cfg + m->msix_cap + 2, 2) & MSIX_CTL_ENABLE);
}

static bool overlaps(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
	return a < b + blen && b < a + alen;
}

static const char *cfg_name(const struct model *m, unsigned off)
{
	static const char *const bars[] = {"bar0", "bar1", "bar2", "bar3", "bar4", "bar5"};
	unsigned pc = m->cap_at[CAP_PCI_CFG];

	if (off < 0x04)
		return off < 2 ? "vendor" : "device";
	if (off < 0x08)
		return off < 6 ? "command" : "status";
	if (off >= 0x10 && off < 0x28)
		return bars[(off - 0x10) / 4];
	if (off == 0x34)
		return "cap_ptr";
	if (pc && off >= pc + 16 && off < pc + 20)
		return "cfg_window";
	if (pc && off >= pc && off < pc + 16)
		return "cfg_cap";
	if (m->msix_cap && off >= m->msix_cap + 2 && off < m->msix_cap + 4)
		return "msix_control";
	return "config";
}

/* The register's name for the access log; without a log nothing reads it
 * (no config register is the ISR). Naming every config access (four per
 * register read through the config window) took about one per cent of a
 * fuzz run. */
static const char *logged_cfg_name(const struct model *m, unsigned off)
{
	return m->spec.no_log ? NULL : cfg_name(m, off);
}

/* The window of the cfg-access capability: cap.bar/offset/length name a
 * register; a read or write of pci_cfg_data reaches it. */
static void cfg_window(struct model *m, bool write)
{
	unsigned c = m->cap_at[CAP_PCI_CFG];
	unsigned bar = m->cfg[c + 4];
	uint32_t off = model_le32(m->cfg + c + 8), len = model_le32(m->cfg + c + 12);
	struct model_access a = {MODEL_SPACE_BAR, write, true, false, bar, off, len, 0, "?"};
	size_t errs = m->nerr;

	if (len != 1 && len != 2 && len != 4) {
		model_err(m, "cfg window: length %u (must be 1, 2 or 4)", len);
		return;
	}
	if (off % len) {
		model_err(m, "cfg window: offset 0x%x not aligned to length %u", off, len);
		return;
	}
	if (!model_in_structure(m, bar, off, len)) {
		model_err(m, "cfg window: BAR %u offset 0x%x (+%u) is not in a virtio structure",
			  bar, off, len);
		return;
	}
	if (write) {
		a.val = model_get(m->cfg + c + 16, len);
		model_bar_do_write(m, bar, off, len, a.val, &a.what);
	} else {
		a.val = model_bar_do_read(m, bar, off, len, &a.what);
		model_put(m->cfg + c + 16, len, a.val);
	}
	a.bad = m->nerr != errs;
	model_log(m, &a);
}

static bool touches_window(const struct model *m, unsigned off, unsigned width)
{
	unsigned c = m->cap_at[CAP_PCI_CFG];

	return c && overlaps(off, width, c + 16, 4);
}

static int finish(struct model *m, size_t errs, struct verr *e)
{
	if (m->spec.strict && m->nerr != errs)
		return verr_set(e, VX_DEVICE, "model: %s", m->err[m->nerr - 1]);
	return 0;
}

static int op_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val, struct verr *e)
{
	struct model *m = d->priv;
	struct model_access a = {MODEL_SPACE_CFG, false, false, false, 0, off, width, 0, NULL};
	size_t errs = m->nerr;
	uint16_t st = (uint16_t)model_get(m->cfg + 6, 2) & ~PCI_STATUS_INTERRUPT;

	if (m->st.isr && !model_msix_enabled(d))
		st |= PCI_STATUS_INTERRUPT;
	model_put(m->cfg + 6, 2, st);
	if (touches_window(m, off, width))
		cfg_window(m, false);
	*val = (uint32_t)model_get(m->cfg + off, width);
	a.val = *val;
	a.what = logged_cfg_name(m, off);
	a.bad = m->nerr != errs;
	model_log(m, &a);
	return finish(m, errs, e);
}

static int op_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val, struct verr *e)
{
	struct model *m = d->priv;
	struct model_access a = {MODEL_SPACE_CFG, true, false, false, 0, off, width, val, NULL};
	size_t errs = m->nerr;
	bool ro = false;

	a.what = logged_cfg_name(m, off);
	for (unsigned i = 0; i < width; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i)), w = m->wmask[off + i];

		ro |= !m->wok[off + i];
		m->cfg[off + i] = (uint8_t)((m->cfg[off + i] & ~w) | (b & w));
	}
	if (ro)
		model_err(m, "config write of %u bytes at 0x%x (%s) touches read-only bytes", width,
			  off, cfg_name(m, off));
	if (touches_window(m, off, width))
		cfg_window(m, true);
	a.bad = m->nerr != errs;
	model_log(m, &a);
	return finish(m, errs, e);
}

/* ---- BAR access entry points ---- */

static bool decoding(const struct model *m, unsigned bar)
{
	uint16_t cmd = (uint16_t)model_get(m->cfg + 4, 2);

	return m->pdev->bar[bar].kind == PCI_BAR_IO ? (cmd & PCI_CMD_IO_DECODE)
						    : (cmd & PCI_CMD_MEM_DECODE);
}

static int bar_unreachable(struct model *m, struct model_access *a, struct verr *e)
{
	model_err(m, "BAR %u access although BARs are unreachable (%s)", a->bar, m->pdev->bar_why);
	a->bad = true;
	a->what = "unreachable";
	model_log(m, a);
	return verr_set(e, VX_UNAVAILABLE, "%s", m->pdev->bar_why);
}

static int op_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
		       struct verr *e)
{
	struct model *m = d->priv;
	struct model_access a = {MODEL_SPACE_BAR, false, false, false, bar, off, width, 0, NULL};
	size_t errs = m->nerr;

	if (d->bar_why[0])
		return bar_unreachable(m, &a, e);
	if (!decoding(m, bar)) {
		/* Measured: I/O reads give all-ones, MMIO reads give zeros. */
		bool io = d->bar[bar].kind == PCI_BAR_IO;

		model_err(m, "BAR %u read at 0x%llx with %s decoding off", bar,
			  (unsigned long long)off, io ? "I/O" : "memory");
		*val = io ? (width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1) : 0;
		a.what = "decode_off";
	} else {
		*val = model_bar_do_read(m, bar, off, width, &a.what);
	}
	a.val = *val;
	a.bad = m->nerr != errs;
	model_log(m, &a);
	return finish(m, errs, e);
}

static int op_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			struct verr *e)
{
	struct model *m = d->priv;
	struct model_access a = {MODEL_SPACE_BAR, true, false, false, bar, off, width, val, NULL};
	size_t errs = m->nerr;

	if (d->bar_why[0])
		return bar_unreachable(m, &a, e);
	if (!decoding(m, bar)) {
		model_err(m, "BAR %u write at 0x%llx with decoding off (dropped)", bar,
			  (unsigned long long)off);
		a.what = "decode_off";
	} else {
		model_bar_do_write(m, bar, off, width, val, &a.what);
	}
	a.bad = m->nerr != errs;
	model_log(m, &a);
	return finish(m, errs, e);
}

static const struct pdev_ops model_ops = {
	.name = "model",
	.cfg_read = op_cfg_read,
	.cfg_write = op_cfg_write,
	.bar_read = op_bar_read,
	.bar_write = op_bar_write,
	.close = op_close,
};

/* ---- Test-side API ---- */

struct model_state *model_state(struct pdev *d)
{
	return &model_of(d)->st;
}

const struct model_spec *model_spec(const struct pdev *d)
{
	return &model_of(d)->spec;
}

int model_poke_cfg(struct pdev *d, unsigned off, unsigned width, uint32_t val, struct verr *e)
{
	struct model *m = model_of(d);

	if ((width != 1 && width != 2 && width != 4) || off + width > m->cfg_size)
		return verr_set(e, VX_USAGE, "model: poke of %u bytes at 0x%x", width, off);
	model_put(m->cfg + off, width, val);
	return 0;
}

uint32_t model_peek_cfg(const struct pdev *d, unsigned off, unsigned width)
{
	struct model *m = model_of(d);

	if ((width != 1 && width != 2 && width != 4) || off + width > m->cfg_size)
		return 0xffffffffu;
	return (uint32_t)model_get(m->cfg + off, width);
}

unsigned model_cap_offset(const struct pdev *d, unsigned cfg_type)
{
	struct model *m = model_of(d);

	return cfg_type < sizeof(m->cap_at) / sizeof(m->cap_at[0]) ? m->cap_at[cfg_type] : 0;
}

unsigned model_msix_cap_offset(const struct pdev *d)
{
	return model_of(d)->msix_cap;
}

int model_set_device_cfg(struct pdev *d, unsigned off, const void *data, unsigned len,
			 struct verr *e)
{
	struct model *m = model_of(d);

	if (off > MODEL_DEV_CFG_MAX || len > MODEL_DEV_CFG_MAX - off)
		return verr_set(e, VX_USAGE, "model: device config 0x%x+%u is past %u bytes", off,
				len, MODEL_DEV_CFG_MAX);
	memcpy(m->spec.device_cfg + off, data, len);
	if (off + len > m->spec.device_cfg_len)
		m->spec.device_cfg_len = off + len;
	if (!model_bug(m, MODEL_BUG_CONFIG_GENERATION_STUCK))
		m->st.generation++;
	model_config_irq(m);
	return 0;
}

void model_cfg_churn(struct pdev *d, unsigned n)
{
	model_of(d)->churn = n;
}

int model_dma_take(struct pdev *d, uint8_t **va, uint64_t *bus, size_t *len, struct verr *e)
{
	struct model *m = model_of(d);

	if (!m->spec.dma_size)
		return verr_set(e, VX_UNAVAILABLE, "the simulated device has no DMA memory");
	if (m->mem_taken)
		return verr_set(e, VX_UNAVAILABLE,
				"the simulated device's DMA memory (%zu KiB) is used up",
				m->spec.dma_size / 1024);
	if (!m->mem) {
		void *p = mmap(NULL, m->spec.dma_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return verr_set(e, VX_FAIL, "model: no memory for %zu bytes of DMA",
					m->spec.dma_size);
		m->mem = p;
	}
	m->mem_taken = true;
	*va = m->mem;
	*bus = m->spec.dma_base;
	*len = m->spec.dma_size;
	return 0;
}

void model_dma_put(struct pdev *d)
{
	model_of(d)->mem_taken = false;
}

void model_set_needs_reset(struct pdev *d)
{
	struct model *m = model_of(d);

	m->st.status |= MODEL_S_NEEDS_RESET;
	model_config_irq(m);
}

/* ---- Device-wide state changes used by the register code ---- */

bool model_negotiated(const struct model *m, unsigned bit)
{
	return (m->st.driver_features >> bit) & 1;
}

uint64_t model_legacy_features(const struct model *m)
{
	return (m->spec.features | m->spec.legacy_only_features) & 0xffffffffu;
}

unsigned model_legacy_cfg_off(const struct model *m)
{
	return model_msix_enabled(m->pdev) ? 24 : 20;
}

void model_reset_queue(struct model *m, unsigned q)
{
	struct model_queue *vq = &m->st.queue[q];

	vq->size = vq->max_size;
	vq->msix_vector = MODEL_NO_VECTOR;
	vq->enabled = false;
	vq->desc = vq->driver = vq->device = 0;
	vq->pfn = 0;
	vq->last_avail = vq->used_idx = 0;
	vq->packed_avail = vq->packed_used = 0;
	vq->avail_wrap = vq->used_wrap = true;
	vq->reset_reads = 0;
}

void model_reset_device(struct model *m)
{
	struct model_state *st = &m->st;

	st->status = 0;
	st->driver_features = 0;
	st->dfselect = st->gfselect = 0;
	st->queue_select = 0;
	st->config_vector = MODEL_NO_VECTOR;
	st->isr = 0;
	st->reset_reads = 0;
	for (unsigned q = 0; q < st->num_queues; q++)
		model_reset_queue(m, q);
	st->resets++;
}

void model_irq(struct model *m, uint16_t vector, uint8_t isr_bit)
{
	uint16_t cmd = (uint16_t)model_get(m->cfg + 4, 2);

	/* QEMU sets the ISR bit whether or not MSI-X is on. */
	m->st.isr |= isr_bit;
	if (model_msix_enabled(m->pdev)) {
		uint16_t ctl = (uint16_t)model_get(m->cfg + m->msix_cap + 2, 2);

		if (vector == MODEL_NO_VECTOR || vector >= m->spec.msix_vectors ||
		    (ctl & MSIX_CTL_MASK))
			return;
		m->st.irqs++;
		m->st.last_irq_vector = vector;
		return;
	}
	if (cmd & 0x0400) /* INTx disabled */
		return;
	m->st.irqs++;
	m->st.last_irq_vector = MODEL_NO_VECTOR;
}

void model_config_irq(struct model *m)
{
	model_irq(m, m->st.config_vector, 2);
}
