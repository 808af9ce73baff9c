/* Internals shared by the test device model's files (model*.c). */
#ifndef VIRTIOCTL_PCI_MODEL_IMPL_H
#define VIRTIOCTL_PCI_MODEL_IMPL_H

#include "pci/regs.h"
#include "sim/model.h"

#define MODEL_CFG_BYTES 4096
#define MODEL_ERR_LEN	200

/* Virtio structure types (cfg_type). */
enum {
	CAP_COMMON = 1,
	CAP_NOTIFY = 2,
	CAP_ISR = 3,
	CAP_DEVICE = 4,
	CAP_PCI_CFG = 5,
	CAP_SHM = 8,
};

/* Where the modern structures live in the modern BAR. */
struct model_layout {
	uint64_t common_len;
	uint64_t isr_off, dev_off, dev_len, notify_off, notify_len;
	uint64_t msix_table_off, msix_pba_off;
};

struct model_frame {
	uint8_t *data;
	size_t len;
};

struct model {
	struct model_spec spec;
	struct model_state st;
	/* The device as the model itself passes it around (handlers,
	 * model_set_needs_reset); &core, never closed. Callers get handles:
	 * copies of core that share this model (refs of them open). */
	struct pdev *pdev;
	struct pdev core;
	unsigned refs;

	/* DMA memory (spec.dma_size bytes at bus spec.dma_base), mapped on
	 * first model_dma_take(); mem_taken while an arena holds it. */
	uint8_t *mem;
	bool mem_taken;

	uint8_t cfg[MODEL_CFG_BYTES];
	uint8_t wmask[MODEL_CFG_BYTES]; /* bits the driver can change */
	/* Bytes the driver may write without it being an error, even if no
	 * bit changes (RW1C status bits, BAR registers, ...). */
	uint8_t wok[MODEL_CFG_BYTES];
	unsigned cfg_size;
	unsigned cap_at[9]; /* config offset of each virtio cfg_type, 0 if absent */
	unsigned msix_cap, pcie_cap;

	int legacy_bar, modern_bar, msix_bar, shm_bar; /* -1 when absent */
	uint64_t bar_size[PCI_NUM_BARS];	       /* real size, for sizing */
	struct model_layout lay;
	uint8_t *msix_table;

	struct model_access *log;
	size_t nlog, caplog, nwrites, nisr_reads;
	char (*err)[MODEL_ERR_LEN];
	size_t nerr, caperr;

	struct {
		model_handler_fn *fn;
		void *ctx;
	} handler[MODEL_MAX_QUEUES];
	bool in_handler;
	unsigned churn;

	uint8_t *disk;
	size_t disk_len;
	char blk_id[21];
	uint8_t *console;
	size_t console_len;
	struct model_frame *frames;
	size_t nframes;
	uint64_t entropy_pos;
	struct model_types *types; /* model_<type>.c state (model_types.c) */
};

struct model *model_of(const struct pdev *d);
/* Adds to the error list; returns -1. */
int model_err(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void model_log(struct model *m, const struct model_access *a);

bool model_negotiated(const struct model *m, unsigned bit);
static inline bool model_bug(const struct model *m, unsigned bug)
{
	return (m->spec.bugs & bug) != 0;
}
uint64_t model_legacy_features(const struct model *m);
void model_reset_device(struct model *m);
void model_reset_queue(struct model *m, unsigned q);
void model_irq(struct model *m, uint16_t vector, uint8_t isr_bit);
void model_config_irq(struct model *m);
void model_notify(struct model *m, unsigned q);
void model_legacy_ring(struct model *m, unsigned q);
unsigned model_legacy_cfg_off(const struct model *m);
/* Guest memory as the rings see it (model_ring.c), NULL when unreachable. */
void *model_gmem(struct model *m, uint64_t addr, uint64_t len);
/* Packed-ring processing (model_packed.c), for a live queue with bus
 * mastering on; same contract as model_process_queue(). */
int model_packed_run(struct model *m, unsigned qidx, model_handler_fn *fn, void *ctx,
		     struct verr *e);

/* BAR registers (model_regs.c). `what` gets the register name. */
uint64_t model_bar_do_read(struct model *m, unsigned bar, uint64_t off, unsigned width,
			   const char **what);
void model_bar_do_write(struct model *m, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			const char **what);
/* True when [off, off+len) of the BAR is inside a virtio structure. */
bool model_in_structure(const struct model *m, unsigned bar, uint64_t off, unsigned len);

static inline uint16_t model_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t model_le32(const uint8_t *p)
{
	return (uint32_t)model_le16(p) | (uint32_t)model_le16(p + 2) << 16;
}

static inline uint64_t model_le64(const uint8_t *p)
{
	return (uint64_t)model_le32(p) | (uint64_t)model_le32(p + 4) << 32;
}

static inline void model_put(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t model_get(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = width; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

#endif
