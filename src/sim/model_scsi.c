/* virtio-scsi in the model (virtio 1.3, 5.6): one disk at target 0, LUN 0
 * answering INQUIRY, TEST UNIT READY, READ CAPACITY(10) and READ(10) like
 * QEMU's scsi-hd, with 512-byte blocks and fixed-format sense data. */
#include "sim/model_types_impl.h"

#include <stdlib.h>
#include <string.h>

#define REQ_FIXED	19 /* lun[8], id, task_attr, prio, crn */
#define RESP_FIXED	12 /* sense_len, residual, status_qualifier, status, response */
#define BLOCK		512u
#define DEFAULT_DISK	(1u << 20)
#define S_OK		0
#define S_BAD_TARGET	3
#define GOOD		0
#define CHECK_CONDITION 2
#define KEY_ILLEGAL	5
#define KEY_UNIT_ATTN	6
#define INQUIRY_LEN	36

struct scsi_io {
	uint8_t status, key, asc, ascq;
	const uint8_t *data;
	uint32_t data_len;
	uint8_t buf[INQUIRY_LEN];
};

static uint32_t be(const uint8_t *p, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

static void check_condition(struct scsi_io *io, uint8_t key, uint8_t asc, uint8_t ascq)
{
	io->status = CHECK_CONDITION;
	io->key = key;
	io->asc = asc;
	io->ascq = ascq;
}

static int scsi_disk(struct model *m)
{
	if (m->disk)
		return 0;
	m->disk = calloc(1, DEFAULT_DISK);
	m->disk_len = m->disk ? DEFAULT_DISK : 0;
	return m->disk ? 0 : -1;
}

static void inquiry(const struct model_types *s, const uint8_t *cdb, struct scsi_io *io)
{
	uint8_t *b = io->buf;
	uint32_t alloc = be(cdb + 3, 2);

	memset(b, ' ', INQUIRY_LEN);
	b[0] = 0; /* connected direct-access device */
	b[1] = 0; /* not removable */
	b[2] = 5; /* SPC-3 */
	b[3] = 2; /* response data format */
	b[4] = INQUIRY_LEN - 5;
	b[5] = b[6] = b[7] = 0;
	memcpy(b + 8, s->vendor, strlen(s->vendor));
	memcpy(b + 16, s->product, strlen(s->product));
	memcpy(b + 32, "2.5+", 4);
	io->data = b;
	io->data_len = alloc < INQUIRY_LEN ? alloc : INQUIRY_LEN;
}

static void read_capacity(struct model *m, struct scsi_io *io)
{
	uint32_t last = (uint32_t)(m->disk_len / BLOCK) - 1;

	for (unsigned i = 0; i < 4; i++) {
		io->buf[i] = (uint8_t)(last >> (24 - 8 * i));
		io->buf[4 + i] = (uint8_t)(BLOCK >> (24 - 8 * i));
	}
	io->data = io->buf;
	io->data_len = 8;
}

static void read10(struct model *m, const uint8_t *cdb, struct scsi_io *io)
{
	uint64_t lba = be(cdb + 2, 4), n = be(cdb + 7, 2);

	if ((lba + n) * BLOCK > m->disk_len) {
		check_condition(io, KEY_ILLEGAL, 0x21, 0); /* LBA out of range */
		return;
	}
	io->data = m->disk + lba * BLOCK;
	io->data_len = (uint32_t)(n * BLOCK);
}

static void execute(struct model *m, struct model_types *s, const uint8_t *cdb, struct scsi_io *io)
{
	/* A reset target reports UNIT ATTENTION once; INQUIRY is exempt. */
	if (cdb[0] != 0x12 && s->unit_attention) {
		s->unit_attention = false;
		check_condition(io, KEY_UNIT_ATTN, 0x29, 0); /* power on or reset */
		return;
	}
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
		break;
	case 0x12:
		inquiry(s, cdb, io);
		break;
	case 0x25:
		read_capacity(m, io);
		break;
	case 0x28:
		read10(m, cdb, io);
		break;
	default:
		check_condition(io, KEY_ILLEGAL, 0x20, 0); /* invalid command opcode */
		break;
	}
}

/* Response header, sense and data into the writable part of the chain. */
static void respond(struct model *m, const struct model_chain *c, uint32_t sense_size,
		    uint8_t response, const struct scsi_io *io, uint32_t *used_len)
{
	uint32_t resp_len = RESP_FIXED + sense_size, room = (uint32_t)c->writable - resp_len;
	uint32_t n = io->data_len < room ? io->data_len : room;
	uint8_t hdr[RESP_FIXED] = {0}, sense[18] = {0x70};
	uint32_t sense_len = 0;

	if (response == S_OK && io->status == CHECK_CONDITION) {
		sense[2] = io->key;
		sense[7] = 10;
		sense[12] = io->asc;
		sense[13] = io->ascq;
		sense_len = sense_size < sizeof(sense) ? sense_size : sizeof(sense);
		model_chain_write(c, RESP_FIXED, sense, sense_len);
	}
	if (response != S_OK || io->status != GOOD)
		n = 0;
	model_put(hdr, 4, sense_len);
	model_put(hdr + 4, 4, room - n); /* residual */
	hdr[10] = io->status;
	hdr[11] = response;
	model_chain_write(c, 0, hdr, sizeof(hdr));
	if (n)
		model_chain_write(c, resp_len, io->data, n);
	(void)m;
	/* QEMU reports the whole device-writable size as used. */
	*used_len = (uint32_t)c->writable;
}

int model_scsi_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
		       uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint32_t cdb_size = model_le32(m->spec.device_cfg + 24);
	uint32_t sense_size = model_le32(m->spec.device_cfg + 20);
	uint8_t req[REQ_FIXED + 256];
	struct scsi_io io = {0};
	uint8_t response = S_OK;

	(void)qidx;
	(void)ctx;
	if (!s || scsi_disk(m))
		return model_err(m, "scsi: out of memory");
	if (cdb_size > 256 || c->readable < REQ_FIXED + cdb_size ||
	    c->writable < RESP_FIXED + sense_size)
		return model_err(m, "scsi request of %zu/%zu bytes (cdb_size %u, sense_size %u)",
				 c->readable, c->writable, cdb_size, sense_size);
	model_chain_read(c, 0, req, REQ_FIXED + cdb_size);
	/* Single-level LUN structure, target 0 only; LUN 0 only. */
	if (req[0] != 1 || req[1] != 0)
		response = S_BAD_TARGET;
	else if ((req[2] & 0xc0) != 0x40 || ((req[2] & 0x3f) << 8 | req[3]) != 0)
		check_condition(&io, KEY_ILLEGAL, 0x25, 0); /* LUN not supported */
	else
		execute(m, s, req + REQ_FIXED, &io);
	respond(m, c, sense_size, response, &io, used_len);
	return 0;
}

int model_scsi_set_inquiry(struct pdev *d, const char *vendor, const char *product, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	if (strlen(vendor) > 8 || strlen(product) > 16)
		return verr_set(e, VX_USAGE, "model: vendor up to 8, product up to 16 bytes");
	strcpy(s->vendor, vendor);
	strcpy(s->product, product);
	return 0;
}
