/* The SCSI host self-test (virtio 1.3, 5.6): INQUIRY, READ CAPACITY(10)
 * and READ(10) of the first 4 KiB of target 0, LUN 0, through the first
 * request queue. The known answers are QEMU's scsi-hd: vendor "QEMU",
 * product "QEMU HARDDISK", a direct-access block device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define SCSI_REQUEST_QUEUE 2 /* controlq 0, eventq 1, then the request queues */
#define SCSI_CFG_LEN	   36
#define SCSI_REQ_FIXED	   19  /* lun[8], id, task_attr, prio, crn before the CDB */
#define SCSI_RESP_FIXED	   12  /* sense_len, residual, status_qualifier, status, response */
#define SCSI_FIELD_MAX	   256 /* cdb_size and sense_size beyond this are not plausible */
#define SCSI_UA_TRIES	   3
#define SCSI_VENDOR	   "QEMU"
#define SCSI_PRODUCT	   "QEMU HARDDISK"

enum {
	SCSI_S_OK = 0, /* virtio response */
	SCSI_GOOD = 0, /* SAM status */
	SCSI_CHECK_CONDITION = 2,
	SCSI_KEY_UNIT_ATTENTION = 6,
	SCSI_INQUIRY = 0x12,
	SCSI_READ_CAPACITY_10 = 0x25,
	SCSI_READ_10 = 0x28,
	SCSI_INQUIRY_LEN = 36,
};

struct scsi_ctx {
	uint32_t cdb_size, sense_size;
	uint64_t tag;
};

static void put_be(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

/* The sense key of fixed (0x70/0x71) or descriptor (0x72/0x73) sense
 * data, or -1 when the format is unknown or the data too short. */
static int sense_key(const uint8_t *s, uint32_t len)
{
	uint8_t code = len ? s[0] & 0x7f : 0;

	if ((code == 0x70 || code == 0x71) && len >= 3)
		return s[2] & 0xf;
	if ((code == 0x72 || code == 0x73) && len >= 2)
		return s[1] & 0xf;
	return -1;
}

/* Checks one response and copies the data in; *got is the data bytes the
 * device says it transferred (requested minus residual). */
static int scsi_response(const struct scsi_ctx *c, const struct vused *u, uint32_t datalen,
			 uint8_t *data, uint32_t *got, int *key, struct verr *e)
{
	uint32_t resp_len = SCSI_RESP_FIXED + c->sense_size;
	const uint8_t *r = u->data;
	uint32_t sense_len, residual;

	*key = -1;
	if (u->len < resp_len)
		return verr_set(e, VX_DEVICE, "used len %u, shorter than the %u-byte response",
				u->len, resp_len);
	sense_len = (uint32_t)st_get_le(r, 4);
	residual = (uint32_t)st_get_le(r + 4, 4);
	if (r[11] != SCSI_S_OK)
		return verr_set(e, VX_DEVICE, "virtio response %u (0 is VIRTIO_SCSI_S_OK)", r[11]);
	if (sense_len > c->sense_size)
		return verr_set(e, VX_DEVICE, "sense_len %u beyond the %u-byte sense buffer",
				sense_len, c->sense_size);
	if (r[10] == SCSI_CHECK_CONDITION) {
		*key = sense_key(r + SCSI_RESP_FIXED, sense_len);
		return verr_set(e, VX_DEVICE, "CHECK CONDITION, sense key %d", *key);
	}
	if (r[10] != SCSI_GOOD)
		return verr_set(e, VX_DEVICE, "SCSI status 0x%02x (0 is GOOD)", r[10]);
	if (residual > datalen)
		return verr_set(e, VX_DEVICE, "residual %u beyond the %u bytes asked", residual,
				datalen);
	*got = datalen - residual;
	if (*got > u->len - resp_len)
		return verr_set(e, VX_DEVICE, "%u data bytes but used len %u", *got, u->len);
	if (data)
		memcpy(data, r + resp_len, *got);
	return 0;
}

/* One command to target 0, LUN 0 with `datalen` bytes in. A unit
 * attention (what a freshly reset target reports first) is retried. */
static int scsi_cmd(struct st *t, struct scsi_ctx *c, const uint8_t *cdb, unsigned cdblen,
		    uint32_t datalen, uint8_t *data, uint32_t *got, struct verr *e)
{
	uint8_t req[SCSI_REQ_FIXED + SCSI_FIELD_MAX] = {0};
	struct vseg segs[3] = {{false, req, SCSI_REQ_FIXED + c->cdb_size},
			       {true, NULL, SCSI_RESP_FIXED + c->sense_size},
			       {true, NULL, datalen}};
	int key = -1;

	/* Single-level LUN structure: 1, target, 0x40 | LUN >> 8, LUN & 0xff. */
	req[0] = 1;
	req[2] = 0x40;
	memcpy(req + SCSI_REQ_FIXED, cdb, cdblen);
	for (unsigned try = 0; try < SCSI_UA_TRIES; try++) {
		struct vused u;
		int rc;

		st_put_le(req + 8, 8, ++c->tag);
		if (st_roundtrip(t, SCSI_REQUEST_QUEUE, segs, datalen ? 3 : 2, &u, e))
			return -1;
		rc = scsi_response(c, &u, datalen, data, got, &key, e);
		vused_free(&u, 1);
		if (rc == 0 || key != SCSI_KEY_UNIT_ATTENTION)
			return rc;
		*e = (struct verr){0}; /* the first error is kept: forget this one */
	}
	return verr_set(e, VX_DEVICE, "still UNIT ATTENTION after %u tries", SCSI_UA_TRIES);
}

/* An ASCII field without its trailing blanks; non-printable bytes as '?'. */
static void ascii_field(const uint8_t *p, unsigned len, char *out)
{
	while (len && (p[len - 1] == ' ' || p[len - 1] == 0))
		len--;
	for (unsigned i = 0; i < len; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[len] = 0;
}

static int inquiry(struct st *t, struct scsi_ctx *c, struct verr *e)
{
	uint8_t cdb[6] = {SCSI_INQUIRY, 0, 0, 0, SCSI_INQUIRY_LEN, 0}, d[SCSI_INQUIRY_LEN];
	char vendor[9], product[17], type[8], detail[64];
	uint32_t got = 0;

	if (scsi_cmd(t, c, cdb, sizeof(cdb), sizeof(d), d, &got, e))
		return st_step(t, "inquiry", -1, e, NULL);
	if (got < SCSI_INQUIRY_LEN)
		return st_step(
			t, "inquiry",
			verr_set(e, VX_DEVICE, "%u INQUIRY bytes, need %u", got, SCSI_INQUIRY_LEN),
			e, NULL);
	ascii_field(d + 8, 8, vendor);
	ascii_field(d + 16, 16, product);
	snprintf(type, sizeof(type), "0x%02x", d[0]);
	snprintf(detail, sizeof(detail), "%s %s", vendor, product);
	st_step(t, "inquiry", 0, e, detail);
	/* Peripheral qualifier 0 (connected), device type 0 (direct access). */
	return st_expect(t, "peripheral type", "0x00", type, d[0] == 0, e) ||
	       st_expect(t, "vendor", SCSI_VENDOR, vendor, strcmp(vendor, SCSI_VENDOR) == 0, e) ||
	       st_expect(t, "product", SCSI_PRODUCT, product, strcmp(product, SCSI_PRODUCT) == 0,
			 e);
}

static int read_capacity(struct st *t, struct scsi_ctx *c, uint32_t want, uint32_t *blk,
			 struct verr *e)
{
	uint8_t cdb[10] = {SCSI_READ_CAPACITY_10}, d[8];
	uint32_t got = 0, last;
	char detail[80], s[32], x[48];

	if (scsi_cmd(t, c, cdb, sizeof(cdb), sizeof(d), d, &got, e) ||
	    (got < sizeof(d) && verr_set(e, VX_DEVICE, "%u READ CAPACITY bytes, need 8", got)))
		return st_step(t, "read-capacity", -1, e, NULL);
	last = (uint32_t)get_be(d, 4);
	*blk = (uint32_t)get_be(d + 4, 4);
	snprintf(detail, sizeof(detail), "last LBA %u, %u-byte blocks", last, *blk);
	st_step(t, "read-capacity", 0, e, detail);
	snprintf(s, sizeof(s), "%u", *blk);
	if (st_expect(t, "block length", "a power of two, 512 to 4096", s,
		      *blk >= 512 && *blk <= 4096 && (*blk & (*blk - 1)) == 0, e))
		return -1;
	snprintf(s, sizeof(s), "%llu bytes", ((unsigned long long)last + 1) * *blk);
	snprintf(x, sizeof(x), "at least %u bytes, in whole blocks", want);
	return st_expect(t, "capacity", x, s,
			 want % *blk == 0 && ((uint64_t)last + 1) * *blk >= want, e);
}

static int read10(struct st *t, struct scsi_ctx *c, uint32_t want, uint32_t blk, struct verr *e)
{
	uint8_t cdb[10] = {SCSI_READ_10};
	uint8_t *d = malloc(want);
	uint32_t got = 0;
	char detail[64];
	int rc;

	if (!d)
		return st_step(t, "read", verr_set(e, VX_FAIL, "out of memory"), e, NULL);
	put_be(cdb + 7, 2, want / blk); /* from LBA 0 */
	rc = scsi_cmd(t, c, cdb, sizeof(cdb), want, d, &got, e);
	if (rc == 0 && got != want)
		rc = verr_set(e, VX_DEVICE, "%u of %u bytes read", got, want);
	if (rc == 0)
		rc = st_keep_data(t, d, got, e);
	free(d);
	snprintf(detail, sizeof(detail), "%u blocks from LBA 0", want / blk);
	return st_step(t, "read", rc, e, detail);
}

/* The config's cdb_size and sense_size, refused when unusable. */
static int scsi_config(struct st *t, struct scsi_ctx *c, struct verr *e)
{
	uint8_t cfg[SCSI_CFG_LEN];

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	c->sense_size = (uint32_t)st_get_le(cfg + 20, 4);
	c->cdb_size = (uint32_t)st_get_le(cfg + 24, 4);
	if (st_get_le(cfg, 4) == 0 || c->cdb_size < 10 || c->cdb_size > SCSI_FIELD_MAX ||
	    c->sense_size > SCSI_FIELD_MAX)
		return st_step(t, "config",
			       verr_set(e, VX_DEVICE,
					"num_queues %u, cdb_size %u, sense_size %u: not usable",
					(unsigned)st_get_le(cfg, 4), c->cdb_size, c->sense_size),
			       e, NULL);
	return 0;
}

int st_scsi_prepare(struct st *t, struct st_scsi_geom *g, struct verr *e)
{
	uint8_t cdb[10] = {SCSI_READ_CAPACITY_10}, d[8];
	struct scsi_ctx c = {0};
	uint32_t got = 0;
	char detail[80];

	if (scsi_config(t, &c, e) || st_setup_queue(t, SCSI_REQUEST_QUEUE, e) || st_driver_ok(t, e))
		return -1;
	if (scsi_cmd(t, &c, cdb, sizeof(cdb), sizeof(d), d, &got, e) ||
	    (got < sizeof(d) && verr_set(e, VX_DEVICE, "%u READ CAPACITY bytes, need 8", got)))
		return st_step(t, "read-capacity", -1, e, NULL);
	*g = (struct st_scsi_geom){.queue = SCSI_REQUEST_QUEUE,
				   .cdb_size = c.cdb_size,
				   .sense_size = c.sense_size,
				   .blocks = get_be(d, 4) + 1,
				   .block = (uint32_t)get_be(d + 4, 4),
				   .tag = c.tag};
	snprintf(detail, sizeof(detail), "%llu blocks of %u bytes", (unsigned long long)g->blocks,
		 g->block);
	if (g->block < 512 || g->block > 4096 || (g->block & (g->block - 1)))
		return st_step(t, "read-capacity",
			       verr_set(e, VX_DEVICE,
					"block length %u: not a power of two, 512 "
					"to 4096",
					g->block),
			       e, detail);
	return st_step(t, "read-capacity", 0, e, detail);
}

void st_scsi_read10(const struct st_scsi_geom *g, uint64_t tag, uint32_t lba, uint16_t blocks,
		    uint8_t *req)
{
	memset(req, 0, SCSI_REQ_FIXED + g->cdb_size);
	req[0] = 1; /* single-level LUN structure: target 0, LUN 0 */
	req[2] = 0x40;
	st_put_le(req + 8, 8, tag);
	req[SCSI_REQ_FIXED] = SCSI_READ_10;
	put_be(req + SCSI_REQ_FIXED + 2, 4, lba);
	put_be(req + SCSI_REQ_FIXED + 7, 2, blocks);
}

int st_scsi_check(const struct st_scsi_geom *g, const struct vused *u, uint32_t datalen,
		  struct verr *e)
{
	struct scsi_ctx c = {.cdb_size = g->cdb_size, .sense_size = g->sense_size};
	uint32_t got = 0;
	int key;

	if (scsi_response(&c, u, datalen, NULL, &got, &key, e))
		return -1;
	if (got != datalen)
		return verr_set(e, VX_DEVICE, "READ(10): %u of %u bytes", got, datalen);
	return 0;
}

int st_run_scsi(struct st *t, struct verr *e)
{
	uint32_t want = t->o->bytes ? t->o->bytes : 4096, blk = 0;
	struct scsi_ctx c = {0};

	if (scsi_config(t, &c, e))
		return -1;
	if (st_setup_queue(t, SCSI_REQUEST_QUEUE, e) || st_driver_ok(t, e))
		return -1;
	return inquiry(t, &c, e) || read_capacity(t, &c, want, &blk, e) ||
	       read10(t, &c, want, blk, e);
}
