/* Built-in device behaviours of the test model: entropy, block, console
 * transmit and network transmit. */
#include "sim/model_impl.h"
#include "sim/model_types.h"

#include <stdlib.h>
#include <string.h>

#define BLK_T_IN	 0
#define BLK_T_OUT	 1
#define BLK_T_FLUSH	 4
#define BLK_T_GET_ID	 8
#define BLK_S_OK	 0
#define BLK_S_IOERR	 1
#define BLK_S_UNSUPP	 2
#define BLK_F_RO	 5
#define BLK_SECTOR	 512u
#define BLK_ID_BYTES	 20
#define DEFAULT_DISK_MAX (64u << 20)

uint8_t model_entropy_byte(uint64_t pos)
{
	/* Fibonacci hashing: cheap, deterministic, not a constant pattern. */
	return (uint8_t)((pos * 0x9e3779b97f4a7c15ull) >> 56);
}

int model_entropy_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			  uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	uint8_t buf[256];

	(void)qidx;
	(void)ctx;
	for (size_t off = 0; off < c->writable;) {
		size_t k = c->writable - off < sizeof(buf) ? c->writable - off : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = model_entropy_byte(m->entropy_pos++);
		off += model_chain_write(c, off, buf, k);
	}
	*used_len = (uint32_t)c->writable;
	return 0;
}

/* The disk defaults to the capacity in device config (bytes 0-7), zeroed. */
static int blk_disk(struct model *m)
{
	uint64_t cap;

	if (m->disk)
		return 0;
	cap = m->spec.device_cfg_len >= 8 ? model_le64(m->spec.device_cfg) * BLK_SECTOR : 0;
	if (cap > DEFAULT_DISK_MAX)
		cap = DEFAULT_DISK_MAX;
	m->disk = calloc(1, cap ? cap : 1);
	m->disk_len = m->disk ? cap : 0;
	return m->disk ? 0 : -1;
}

static uint8_t blk_rw(struct model *m, const struct model_chain *c, uint64_t sector, bool out)
{
	size_t len = out ? c->readable - 16 : c->writable - 1;

	if (len % BLK_SECTOR || blk_disk(m))
		return BLK_S_IOERR;
	if (sector > m->disk_len / BLK_SECTOR || len > m->disk_len - sector * BLK_SECTOR)
		return BLK_S_IOERR;
	if (out && (m->spec.features & MODEL_BIT(BLK_F_RO)))
		return BLK_S_IOERR;
	if (out)
		model_chain_read(c, 16, m->disk + sector * BLK_SECTOR, len);
	else
		model_chain_write(c, 0, m->disk + sector * BLK_SECTOR, len);
	return BLK_S_OK;
}

static uint8_t blk_get_id(struct model *m, const struct model_chain *c)
{
	uint8_t id[BLK_ID_BYTES] = {0};
	size_t room = c->writable - 1;

	memcpy(id, m->blk_id, strlen(m->blk_id));
	model_chain_write(c, 0, id, room < sizeof(id) ? room : sizeof(id));
	return BLK_S_OK;
}

int model_blk_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
		      uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	uint8_t hdr[16], status;

	(void)qidx;
	(void)ctx;
	if (c->readable < sizeof(hdr) || c->writable < 1)
		return model_err(m, "blk request without header or status byte (%zu/%zu bytes)",
				 c->readable, c->writable);
	model_chain_read(c, 0, hdr, sizeof(hdr));
	switch (model_le32(hdr)) {
	case BLK_T_IN:
	case BLK_T_OUT:
		status = blk_rw(m, c, model_le64(hdr + 8), model_le32(hdr) == BLK_T_OUT);
		break;
	case BLK_T_FLUSH:
		status = BLK_S_OK;
		break;
	case BLK_T_GET_ID:
		status = blk_get_id(m, c);
		break;
	default:
		status = BLK_S_UNSUPP;
		break;
	}
	model_chain_write(c, c->writable - 1, &status, 1);
	/* QEMU reports the whole device-writable size as used. */
	*used_len = (uint32_t)c->writable;
	return 0;
}

static int append(uint8_t **buf, size_t *len, const struct model_chain *c, size_t off, size_t n)
{
	uint8_t *p = realloc(*buf, *len + n + 1);

	if (!p)
		return -1;
	*buf = p;
	model_chain_read(c, off, p + *len, n);
	*len += n;
	return 0;
}

int model_console_tx_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			     uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);

	(void)qidx;
	(void)ctx;
	*used_len = 0;
	if (append(&m->console, &m->console_len, c, 0, c->readable))
		return model_err(m, "console: out of memory");
	return 0;
}

int model_net_tx_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			 uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	/* The header grew num_buffers with MRG_RXBUF, and always has it in 1.0. */
	size_t hdr =
		model_negotiated(m, MODEL_F_VERSION_1) || model_negotiated(m, MODEL_F_NET_MRG_RXBUF)
			? 12
			: 10;
	struct model_frame *f;

	(void)qidx;
	(void)ctx;
	*used_len = 0;
	if (c->readable < hdr)
		return model_err(m, "net tx chain of %zu bytes has no %zu-byte header", c->readable,
				 hdr);
	f = realloc(m->frames, (m->nframes + 1) * sizeof(*f));
	if (!f)
		return model_err(m, "net: out of memory");
	m->frames = f;
	f = &m->frames[m->nframes];
	*f = (struct model_frame){NULL, 0};
	if (append(&f->data, &f->len, c, hdr, c->readable - hdr))
		return model_err(m, "net: out of memory");
	m->nframes++;
	return 0;
}

void model_use_builtin_handlers(struct pdev *d)
{
	struct model *m = model_of(d);
	unsigned nq = m->st.num_queues;

	switch (m->spec.device_id) {
	case MODEL_ID_RNG:
		model_set_handler(d, 0, model_entropy_handler, NULL);
		break;
	case MODEL_ID_BLOCK:
		for (unsigned q = 0; q < nq; q++)
			model_set_handler(d, q, model_blk_handler, NULL);
		break;
	case MODEL_ID_CONSOLE:
		/* Port 0 transmits on queue 1; with MULTIPORT, port n>0 on 2n+3. */
		for (unsigned q = 1; q < nq; q += q == 1 ? 4 : 2)
			model_set_handler(d, q, model_console_tx_handler, NULL);
		break;
	case MODEL_ID_NET:
		/* rx/tx pairs; a control queue, if any, comes last at an even index. */
		for (unsigned q = 1; q < nq; q += 2)
			model_set_handler(d, q, model_net_tx_handler, NULL);
		if (m->spec.features >> 17 & 1 && nq % 2) /* CTRL_VQ */
			model_set_handler(d, nq - 1, model_net_ctrl_handler, NULL);
		break;
	default:
		model_types_use_handlers(d);
		break;
	}
}

int model_blk_set_disk(struct pdev *d, const void *data, size_t len, struct verr *e)
{
	struct model *m = model_of(d);
	uint8_t *p = calloc(1, len ? len : 1);

	if (!p)
		return verr_set(e, VX_FAIL, "model: out of memory for a %zu-byte disk", len);
	if (data)
		memcpy(p, data, len);
	free(m->disk);
	m->disk = p;
	m->disk_len = len;
	return 0;
}

const uint8_t *model_blk_disk(const struct pdev *d, size_t *len)
{
	struct model *m = model_of(d);

	*len = m->disk_len;
	return m->disk;
}

void model_blk_set_id(struct pdev *d, const char *id)
{
	struct model *m = model_of(d);

	snprintf(m->blk_id, sizeof(m->blk_id), "%s", id ? id : "");
}

const uint8_t *model_console_output(const struct pdev *d, size_t *len)
{
	struct model *m = model_of(d);

	*len = m->console_len;
	return m->console;
}

size_t model_net_frame_count(const struct pdev *d)
{
	return model_of(d)->nframes;
}

const uint8_t *model_net_frame(const struct pdev *d, size_t i, size_t *len)
{
	struct model *m = model_of(d);

	if (i >= m->nframes) {
		*len = 0;
		return NULL;
	}
	*len = m->frames[i].len;
	return m->frames[i].data;
}
