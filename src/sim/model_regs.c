/* The test device model's BAR registers: modern common/ISR/device/notify
 * structures, the legacy I/O header, the MSI-X table and shared memory.
 *
 * Every register checks the access width the spec requires of a driver;
 * a wrong one goes to the error list and the access does nothing (reads
 * give 0), which keeps state predictable for the test that looks. */
#include "sim/model_impl.h"
#include "sim/model_types_impl.h"

#include <string.h>

struct field {
	uint8_t off, width;
	bool ro;
	const char *name;
};

enum {
	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_MSIX = 0x10,
	C_NUMQ = 0x12,
	C_STATUS = 0x14,
	C_GEN = 0x15,
	C_QSEL = 0x16,
	C_QSIZE = 0x18,
	C_QMSIX = 0x1a,
	C_QENABLE = 0x1c,
	C_QNOFF = 0x1e,
	C_QDESC = 0x20,
	C_QDRIVER = 0x28,
	C_QDEVICE = 0x30,
	C_QNDATA = 0x38,
	C_QRESET = 0x3a,
	C_ADMIN_IDX = 0x3c,
	C_ADMIN_NUM = 0x3e,
};

static const struct field common_fields[] = {
	{C_DFSELECT, 4, false, "device_feature_select"},
	{C_DF, 4, true, "device_feature"},
	{C_GFSELECT, 4, false, "driver_feature_select"},
	{C_GF, 4, false, "driver_feature"},
	{C_MSIX, 2, false, "config_msix_vector"},
	{C_NUMQ, 2, true, "num_queues"},
	{C_STATUS, 1, false, "device_status"},
	{C_GEN, 1, true, "config_generation"},
	{C_QSEL, 2, false, "queue_select"},
	{C_QSIZE, 2, false, "queue_size"},
	{C_QMSIX, 2, false, "queue_msix_vector"},
	{C_QENABLE, 2, false, "queue_enable"},
	{C_QNOFF, 2, true, "queue_notify_off"},
	{C_QDESC, 4, false, "queue_desc_lo"},
	{C_QDESC + 4, 4, false, "queue_desc_hi"},
	{C_QDRIVER, 4, false, "queue_driver_lo"},
	{C_QDRIVER + 4, 4, false, "queue_driver_hi"},
	{C_QDEVICE, 4, false, "queue_device_lo"},
	{C_QDEVICE + 4, 4, false, "queue_device_hi"},
	{C_QNDATA, 2, true, "queue_notif_config_data"},
	{C_QRESET, 2, false, "queue_reset"},
	{C_ADMIN_IDX, 2, true, "admin_queue_index"},
	{C_ADMIN_NUM, 2, true, "admin_queue_num"},
};

enum {
	L_HOST_FEATURES = 0,
	L_GUEST_FEATURES = 4,
	L_QUEUE_PFN = 8,
	L_QUEUE_NUM = 12,
	L_QUEUE_SEL = 14,
	L_QUEUE_NOTIFY = 16,
	L_STATUS = 18,
	L_ISR = 19,
	L_CONFIG_VECTOR = 20,
	L_QUEUE_VECTOR = 22,
};

static const struct field legacy_fields[] = {
	{L_HOST_FEATURES, 4, true, "host_features"},
	{L_GUEST_FEATURES, 4, false, "guest_features"},
	{L_QUEUE_PFN, 4, false, "queue_pfn"},
	{L_QUEUE_NUM, 2, true, "queue_num"},
	{L_QUEUE_SEL, 2, false, "queue_sel"},
	{L_QUEUE_NOTIFY, 2, false, "queue_notify"},
	{L_STATUS, 1, false, "status"},
	{L_ISR, 1, false, "isr"},
	{L_CONFIG_VECTOR, 2, false, "config_vector"},
	{L_QUEUE_VECTOR, 2, false, "queue_vector"},
};

/* Finds the field at `off` of a register block; NULL (and an error) when
 * the access does not match one field exactly. */
static const struct field *find_field(struct model *m, const struct field *f, size_t n,
				      const char *block, uint64_t off, unsigned width,
				      const char **what)
{
	for (size_t i = 0; i < n; i++) {
		if (off < f[i].off || off >= (uint64_t)f[i].off + f[i].width)
			continue;
		*what = f[i].name;
		if (off == f[i].off && width == f[i].width)
			return &f[i];
		model_err(m, "%u-byte access at %s+0x%llx: %s is %u bytes at 0x%x", width, block,
			  (unsigned long long)off, f[i].name, f[i].width, f[i].off);
		return NULL;
	}
	*what = block;
	model_err(m, "%u-byte access at %s+0x%llx: no register there", width, block,
		  (unsigned long long)off);
	return NULL;
}

static struct model_queue *sel_queue(struct model *m, uint16_t sel)
{
	if (sel >= m->st.num_queues || !m->st.queue[sel].max_size)
		return NULL;
	return &m->st.queue[sel];
}

static uint16_t msix_vector_accept(struct model *m, uint64_t v, const char *name)
{
	if (v == MODEL_NO_VECTOR || v < m->spec.msix_vectors)
		return (uint16_t)v;
	/* The device reports a mapping failure by reading back NO_VECTOR. */
	model_err(m, "%s 0x%llx is outside the MSI-X table (%u entries)", name,
		  (unsigned long long)v, m->spec.msix_vectors);
	return MODEL_NO_VECTOR;
}

/* ---- Status ---- */

static bool features_acceptable(const struct model *m)
{
	uint64_t drv = m->st.driver_features, off = m->spec.features;

	if (model_bug(m, MODEL_BUG_FEATURES_OK_ALWAYS))
		return true;
	if (drv & ~off)
		return false;
	if (!(drv & MODEL_BIT(MODEL_F_VERSION_1)))
		return false;
	/* QEMU: a device behind an IOMMU refuses a driver that would bypass it. */
	if ((off & MODEL_BIT(MODEL_F_ACCESS_PLATFORM)) &&
	    !(drv & MODEL_BIT(MODEL_F_ACCESS_PLATFORM)))
		return false;
	return model_types_features_ok(m);
}

static void start_reset(struct model *m)
{
	uint8_t old = m->st.status;

	model_reset_device(m);
	if (m->spec.reset_delay_reads && old) {
		m->st.status_shown = old;
		m->st.reset_reads = m->spec.reset_delay_reads;
	}
}

static void status_write(struct model *m, uint8_t v, bool modern)
{
	uint8_t old = m->st.status;

	m->st.reset_reads = 0;
	if (v == 0) {
		if (!model_bug(m, MODEL_BUG_RESET_IGNORED))
			start_reset(m);
		return;
	}
	if (old & ~v & ~MODEL_S_NEEDS_RESET)
		model_err(m, "device_status 0x%02x clears bits of 0x%02x (only a reset may)", v,
			  old);
	/* NEEDS_RESET is the device's to set; a driver writing back what it
	 * read neither sets nor clears it. */
	v = (uint8_t)((v & ~MODEL_S_NEEDS_RESET) | (old & MODEL_S_NEEDS_RESET));
	if (modern && (v & MODEL_S_FEATURES_OK) && !(old & MODEL_S_FEATURES_OK) &&
	    !features_acceptable(m)) {
		v &= (uint8_t)~MODEL_S_FEATURES_OK;
		m->st.features_ok_refused++;
	}
	if (modern && (v & MODEL_S_DRIVER_OK) && !(v & MODEL_S_FEATURES_OK))
		model_err(m, "DRIVER_OK set without FEATURES_OK");
	m->st.status = v;
	if ((v & MODEL_S_DRIVER_OK) && !(old & MODEL_S_DRIVER_OK))
		model_types_driver_ok(m);
}

/* Reserved status bit the status-reserved-bits knob shows. */
#define STATUS_RESERVED 0x20

static uint8_t status_read(struct model *m)
{
	uint8_t v = m->st.status;

	if (m->st.reset_reads) {
		m->st.reset_reads--;
		v = m->st.status_shown;
	}
	if (v && model_bug(m, MODEL_BUG_STATUS_RESERVED_BITS))
		v |= STATUS_RESERVED;
	return v;
}

static uint8_t isr_read(struct model *m)
{
	uint8_t v = m->st.isr;

	m->st.isr = 0; /* reading acknowledges */
	return v;
}

/* ---- Modern common configuration ---- */

static uint64_t queue_addr_read(const struct model_queue *q, unsigned off)
{
	uint64_t a = off < C_QDRIVER ? q->desc : off < C_QDEVICE ? q->driver : q->device;

	return off % 8 ? a >> 32 : a & 0xffffffffu;
}

static uint64_t common_queue_read(struct model *m, unsigned off)
{
	struct model_queue *q = sel_queue(m, m->st.queue_select);

	if (!q)
		return 0; /* queue_size 0: no such queue */
	switch (off) {
	case C_QSIZE:
		return q->size;
	case C_QMSIX:
		return q->msix_vector;
	case C_QENABLE:
		return q->enabled;
	case C_QNOFF:
		return q->notify_off;
	case C_QNDATA:
		return q->notif_config_data;
	case C_QRESET:
		if (!q->reset_reads)
			return 0;
		q->reset_reads--;
		return 1;
	default:
		return queue_addr_read(q, off);
	}
}

static uint64_t feature_word(uint64_t f, uint32_t sel)
{
	return sel < 2 ? (f >> (32 * sel)) & 0xffffffffu : 0;
}

/* Offered features, 128 bits wide. */
static uint64_t offered_word(const struct model_spec *s, uint32_t sel)
{
	return sel < 2	 ? feature_word(s->features, sel)
	       : sel < 4 ? feature_word(s->features_hi, sel - 2)
			 : 0;
}

static uint64_t common_read(struct model *m, unsigned off)
{
	struct model_state *st = &m->st;

	switch (off) {
	case C_DFSELECT:
		return st->dfselect;
	case C_DF:
		return offered_word(&m->spec, st->dfselect);
	case C_GFSELECT:
		return st->gfselect;
	case C_GF:
		return feature_word(st->driver_features, st->gfselect);
	case C_MSIX:
		return st->config_vector;
	case C_NUMQ:
		return st->num_queues;
	case C_STATUS:
		return status_read(m);
	case C_GEN:
		/* bug=config-generation-stuck: the config moves under the reader. */
		if (model_bug(m, MODEL_BUG_CONFIG_GENERATION_STUCK) && m->spec.device_cfg_len)
			m->spec.device_cfg[0]++;
		return st->generation;
	case C_QSEL:
		return st->queue_select;
	case C_ADMIN_IDX:
		return st->num_queues;
	case C_ADMIN_NUM:
		return 0;
	default:
		return common_queue_read(m, off);
	}
}

static void driver_feature_write(struct model *m, uint64_t v)
{
	struct model_state *st = &m->st;
	unsigned shift = 32 * st->gfselect;

	if (st->status & MODEL_S_FEATURES_OK) {
		model_err(m, "driver_feature written after FEATURES_OK (ignored)");
		return;
	}
	if (st->gfselect > 1) {
		if (v)
			model_err(m, "driver_feature word %u: no features exist there",
				  st->gfselect);
		return;
	}
	st->driver_features = (st->driver_features & ~(0xffffffffull << shift)) | v << shift;
}

static void queue_addr_write(struct model_queue *q, unsigned off, uint64_t v)
{
	uint64_t *a = off < C_QDRIVER ? &q->desc : off < C_QDEVICE ? &q->driver : &q->device;

	if (off % 8)
		*a = (*a & 0xffffffffu) | v << 32;
	else
		*a = (*a & ~0xffffffffull) | v;
}

static void queue_size_write(struct model *m, struct model_queue *q, uint64_t v)
{
	bool packed = model_negotiated(m, MODEL_F_RING_PACKED);

	if (!v || v > q->max_size || (!packed && (v & (v - 1)))) {
		model_err(m, "queue_size %llu rejected (max %u%s)", (unsigned long long)v,
			  q->max_size, packed ? "" : ", power of 2");
		return;
	}
	q->size = (uint16_t)v;
}

static void queue_reset_write(struct model *m, unsigned qi, uint64_t v)
{
	if (!model_negotiated(m, MODEL_F_RING_RESET)) {
		model_err(m, "queue_reset written without VIRTIO_F_RING_RESET negotiated");
		return;
	}
	if (v != 1) {
		model_err(m, "queue_reset written with %llu (only 1 is defined)",
			  (unsigned long long)v);
		return;
	}
	model_reset_queue(m, qi);
	m->st.queue[qi].reset_reads = m->spec.reset_delay_reads;
}

static void queue_enable_write(struct model *m, struct model_queue *q, uint64_t v)
{
	if (v != 1) {
		model_err(m, "queue_enable written with %llu (a driver must only write 1)",
			  (unsigned long long)v);
		return;
	}
	q->enabled = true;
	q->reset_reads = 0;
}

static void common_queue_write(struct model *m, unsigned off, uint64_t v, const char *name)
{
	uint16_t sel = m->st.queue_select;
	struct model_queue *q = sel_queue(m, sel);

	if (!q) {
		model_err(m, "%s written for queue %u, which does not exist", name, sel);
		return;
	}
	if (off == C_QMSIX) {
		q->msix_vector = msix_vector_accept(m, v, name);
	} else if (off == C_QENABLE) {
		queue_enable_write(m, q, v);
	} else if (off == C_QRESET) {
		queue_reset_write(m, sel, v);
	} else if (q->enabled) {
		model_err(m, "%s written while queue %u is enabled (ignored)", name, sel);
	} else if (off == C_QSIZE) {
		queue_size_write(m, q, v);
	} else {
		queue_addr_write(q, off, v);
	}
}

static void common_write(struct model *m, unsigned off, uint64_t v, const char *name)
{
	struct model_state *st = &m->st;

	switch (off) {
	case C_DFSELECT:
		st->dfselect = (uint32_t)v;
		break;
	case C_GFSELECT:
		st->gfselect = (uint32_t)v;
		break;
	case C_GF:
		driver_feature_write(m, v);
		break;
	case C_MSIX:
		st->config_vector = msix_vector_accept(m, v, name);
		break;
	case C_STATUS:
		status_write(m, (uint8_t)v, true);
		break;
	case C_QSEL:
		st->queue_select = (uint16_t)v;
		break;
	default:
		common_queue_write(m, off, v, name);
		break;
	}
}

/* ---- Modern device config and notifications ---- */

static uint64_t dev_cfg_read(struct model *m, uint64_t rel, unsigned width)
{
	if (m->churn) {
		m->churn--;
		if (!model_bug(m, MODEL_BUG_CONFIG_GENERATION_STUCK))
			m->st.generation++;
	}
	if (rel + width > m->spec.device_cfg_len) {
		model_err(m, "device config read at 0x%llx (+%u) past its %u bytes",
			  (unsigned long long)rel, width, m->spec.device_cfg_len);
		return width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
	}
	return model_get(m->spec.device_cfg + rel, width);
}

static void dev_cfg_write(struct model *m, uint64_t rel, unsigned width, uint64_t v)
{
	if (rel + width > m->spec.device_cfg_len) {
		model_err(m, "device config write at 0x%llx (+%u) past its %u bytes",
			  (unsigned long long)rel, width, m->spec.device_cfg_len);
		return;
	}
	if (model_types_cfg_write(m, rel, width, v))
		return;
	model_put(m->spec.device_cfg + rel, width, v);
}

/* Which queue a notification names: by address among the queues whose
 * notify address is there, then by the value the driver wrote. */
static int notify_target(struct model *m, uint64_t rel, uint64_t v, unsigned width)
{
	bool ncd = model_negotiated(m, MODEL_F_NOTIF_CONFIG_DATA);
	uint16_t want = (uint16_t)(width == 4 ? v & 0xffff : v);
	bool any = false;

	for (unsigned i = 0; i < m->st.num_queues; i++) {
		const struct model_queue *q = &m->st.queue[i];

		if (!q->max_size || (uint64_t)q->notify_off * m->spec.notify_off_multiplier != rel)
			continue;
		any = true;
		if (want == (ncd ? q->notif_config_data : i))
			return (int)i;
	}
	if (any)
		model_err(m, "notify value 0x%llx at notify+0x%llx names no queue notified there",
			  (unsigned long long)v, (unsigned long long)rel);
	else
		model_err(m, "notify write at notify+0x%llx: no queue's notify address",
			  (unsigned long long)rel);
	return -1;
}

static void notify_write(struct model *m, uint64_t rel, unsigned width, uint64_t v)
{
	unsigned want = model_negotiated(m, MODEL_F_NOTIFICATION_DATA) ? 4 : 2;
	int q;

	if (width != want) {
		model_err(m, "%u-byte notify write (%u bytes when NOTIFICATION_DATA is %s)", width,
			  want, want == 4 ? "negotiated" : "not negotiated");
		return;
	}
	q = notify_target(m, rel, v, width);
	if (q >= 0)
		model_notify(m, (unsigned)q);
}

/* ---- Modern BAR dispatch ---- */

enum region { R_NONE, R_COMMON, R_ISR, R_DEVICE, R_NOTIFY };

static enum region region_of(const struct model *m, uint64_t off, uint64_t *rel)
{
	const struct model_layout *l = &m->lay;
	const struct {
		enum region r;
		uint64_t off, len;
	} regs[] = {
		{R_COMMON, 0, l->common_len},
		{R_ISR, l->isr_off, 1},
		{R_DEVICE, l->dev_off, l->dev_len},
		{R_NOTIFY, l->notify_off, l->notify_len},
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		/* Matched by start: each structure reports a width that runs
		 * past its end itself. */
		if (off >= regs[i].off && off - regs[i].off < regs[i].len) {
			*rel = off - regs[i].off;
			return regs[i].r;
		}
	}
	return R_NONE;
}

bool model_in_structure(const struct model *m, unsigned bar, uint64_t off, unsigned len)
{
	uint64_t rel, end;

	if ((int)bar != m->modern_bar)
		return false;
	switch (region_of(m, off, &rel)) {
	case R_COMMON:
		end = m->lay.common_len;
		break;
	case R_ISR:
		end = 1;
		break;
	case R_DEVICE:
		end = m->lay.dev_len;
		break;
	case R_NOTIFY:
		end = m->lay.notify_len;
		break;
	default:
		return false;
	}
	return rel + len <= end;
}

static uint64_t isr_access(struct model *m, unsigned width, bool write, const char **what)
{
	*what = "isr";
	if (width != 1) {
		model_err(m, "%u-byte ISR access (it is 1 byte)", width);
		return 0;
	}
	if (write) {
		model_err(m, "write to the read-only ISR");
		return 0;
	}
	return isr_read(m);
}

static uint64_t modern_read(struct model *m, uint64_t off, unsigned width, const char **what)
{
	const struct field *f;
	uint64_t rel;

	switch (region_of(m, off, &rel)) {
	case R_COMMON:
		f = find_field(m, common_fields, sizeof(common_fields) / sizeof(common_fields[0]),
			       "common", rel, width, what);
		return f ? common_read(m, f->off) : 0;
	case R_ISR:
		return isr_access(m, width, false, what);
	case R_DEVICE:
		*what = "device_cfg";
		if (width == 8)
			model_err(m, "8-byte device config read (use two 4-byte reads)");
		return width == 8 ? 0 : dev_cfg_read(m, rel, width);
	case R_NOTIFY:
		*what = "notify";
		return 0;
	default:
		*what = "unmapped";
		model_err(m, "read at modern BAR offset 0x%llx (+%u): no virtio structure there",
			  (unsigned long long)off, width);
		return 0;
	}
}

static void modern_write(struct model *m, uint64_t off, unsigned width, uint64_t v,
			 const char **what)
{
	const struct field *f;
	uint64_t rel;

	switch (region_of(m, off, &rel)) {
	case R_COMMON:
		f = find_field(m, common_fields, sizeof(common_fields) / sizeof(common_fields[0]),
			       "common", rel, width, what);
		if (f && f->ro)
			model_err(m, "write to read-only %s", f->name);
		else if (f)
			common_write(m, f->off, v, f->name);
		return;
	case R_ISR:
		isr_access(m, width, true, what);
		return;
	case R_DEVICE:
		*what = "device_cfg";
		if (width == 8)
			model_err(m, "8-byte device config write (use two 4-byte writes)");
		else
			dev_cfg_write(m, rel, width, v);
		return;
	case R_NOTIFY:
		*what = "notify";
		notify_write(m, rel, width, v);
		return;
	default:
		*what = "unmapped";
		model_err(m, "write at modern BAR offset 0x%llx (+%u): no virtio structure there",
			  (unsigned long long)off, width);
	}
}

/* ---- Legacy I/O header ---- */

static uint64_t legacy_field_read(struct model *m, unsigned off)
{
	struct model_queue *q = sel_queue(m, m->st.queue_select);

	switch (off) {
	case L_HOST_FEATURES:
		return model_legacy_features(m);
	case L_GUEST_FEATURES:
		return m->st.driver_features & 0xffffffffu;
	case L_QUEUE_PFN:
		return q ? q->pfn : 0;
	case L_QUEUE_NUM:
		return q ? q->size : 0;
	case L_QUEUE_SEL:
		return m->st.queue_select;
	case L_STATUS:
		return status_read(m);
	case L_ISR:
		return isr_read(m);
	case L_CONFIG_VECTOR:
		return m->st.config_vector;
	case L_QUEUE_VECTOR:
		return q ? q->msix_vector : MODEL_NO_VECTOR;
	default:
		return 0;
	}
}

static void legacy_pfn_write(struct model *m, uint64_t v)
{
	struct model_queue *q = sel_queue(m, m->st.queue_select);

	if (v == 0) {
		/* QEMU resets the whole device here, not just the queue. */
		start_reset(m);
		return;
	}
	if (!q) {
		model_err(m, "queue_pfn written for queue %u, which does not exist",
			  m->st.queue_select);
		return;
	}
	q->pfn = (uint32_t)v;
	q->enabled = true;
	model_legacy_ring(m, m->st.queue_select);
}

static void legacy_guest_features(struct model *m, uint64_t v)
{
	uint64_t host = model_legacy_features(m);

	if (v & ~host)
		model_err(m, "guest_features 0x%llx has bits the device does not offer",
			  (unsigned long long)v);
	/* Features 32-63 cannot be acknowledged through this header. */
	m->st.driver_features = v & host;
}

static void legacy_notify(struct model *m, uint64_t v)
{
	struct model_queue *q = sel_queue(m, (uint16_t)v);

	if (!q || !q->pfn) {
		model_err(m, "legacy notify of queue %llu, which is not set up",
			  (unsigned long long)v);
		return;
	}
	model_notify(m, (unsigned)v);
}

static void legacy_field_write(struct model *m, unsigned off, uint64_t v)
{
	struct model_queue *q = sel_queue(m, m->st.queue_select);

	switch (off) {
	case L_GUEST_FEATURES:
		legacy_guest_features(m, v);
		break;
	case L_QUEUE_PFN:
		legacy_pfn_write(m, v);
		break;
	case L_QUEUE_SEL:
		m->st.queue_select = (uint16_t)v;
		break;
	case L_QUEUE_NOTIFY:
		legacy_notify(m, v);
		break;
	case L_STATUS:
		status_write(m, (uint8_t)v, false);
		break;
	case L_CONFIG_VECTOR:
		m->st.config_vector = msix_vector_accept(m, v, "config_vector");
		break;
	case L_QUEUE_VECTOR:
		if (q)
			q->msix_vector = msix_vector_accept(m, v, "queue_vector");
		else
			model_err(m, "queue_vector written for a queue that does not exist");
		break;
	default:
		model_err(m, "write to read-only legacy register at %u", off);
		break;
	}
}

static uint64_t legacy_access(struct model *m, uint64_t off, unsigned width, bool write, uint64_t v,
			      const char **what)
{
	unsigned cfg = model_legacy_cfg_off(m);
	const struct field *f;

	if (off >= cfg) {
		/* Legacy drivers may use any width here. */
		*what = "device_cfg";
		if (write)
			dev_cfg_write(m, off - cfg, width, v);
		return write ? 0 : dev_cfg_read(m, off - cfg, width);
	}
	f = find_field(m, legacy_fields, cfg == 24 ? 10 : 8, "legacy", off, width, what);
	if (!f)
		return 0;
	if (!write)
		return legacy_field_read(m, f->off);
	if (f->ro)
		model_err(m, "write to read-only legacy %s", f->name);
	else
		legacy_field_write(m, f->off, v);
	return 0;
}

/* ---- MSI-X table ---- */

static uint64_t msix_access(struct model *m, uint64_t off, unsigned width, bool write, uint64_t v,
			    const char **what)
{
	uint64_t tlen = 16ull * m->spec.msix_vectors;
	uint64_t pba_len = ((m->spec.msix_vectors + 63) / 64) * 8;

	if (off >= m->lay.msix_table_off && off + width <= m->lay.msix_table_off + tlen) {
		uint8_t *p = m->msix_table + (off - m->lay.msix_table_off);

		*what = "msix_table";
		if (width != 4 && width != 8) {
			model_err(m, "%u-byte MSI-X table access (4 or 8)", width);
			return 0;
		}
		if (write)
			model_put(p, width, v);
		return write ? 0 : model_get(p, width);
	}
	*what = "msix_pba";
	if (off >= m->lay.msix_pba_off && off + width <= m->lay.msix_pba_off + pba_len) {
		if (write)
			model_err(m, "write to the read-only MSI-X PBA");
		return 0;
	}
	model_err(m, "MSI-X BAR access at 0x%llx: outside the table and PBA",
		  (unsigned long long)off);
	return 0;
}

/* ---- Entry points ---- */

uint64_t model_bar_do_read(struct model *m, unsigned bar, uint64_t off, unsigned width,
			   const char **what)
{
	if ((int)bar == m->legacy_bar)
		return legacy_access(m, off, width, false, 0, what);
	if ((int)bar == m->modern_bar)
		return modern_read(m, off, width, what);
	if ((int)bar == m->msix_bar)
		return msix_access(m, off, width, false, 0, what);
	*what = (int)bar == m->shm_bar ? "shm" : "?";
	return 0;
}

void model_bar_do_write(struct model *m, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			const char **what)
{
	if ((int)bar == m->legacy_bar)
		legacy_access(m, off, width, true, val, what);
	else if ((int)bar == m->modern_bar)
		modern_write(m, off, width, val, what);
	else if ((int)bar == m->msix_bar)
		msix_access(m, off, width, true, val, what);
	else
		*what = (int)bar == m->shm_bar ? "shm" : "?";
}
