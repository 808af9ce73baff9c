/* Shared by the self-tests and the benchmarks: one bring-up, queue setup
 * and teardown, each recorded as a step of the report. */
#ifndef VIRTIOCTL_VIRTIO_SELFTEST_IMPL_H
#define VIRTIOCTL_VIRTIO_SELFTEST_IMPL_H

#include "virtio/selftest.h"

struct st {
	struct vdev *v;
	struct dma *dma;
	struct vring **rings;
	unsigned nrings;
	const struct selftest_opts *o;
	struct rnode *steps;
	uint64_t features;
	uint8_t *data; /* bytes the device returned, for data_sha256 */
	size_t data_len;
	struct rnode *checks; /* known answers: check, expected, got, ok */
	uint64_t want;	      /* type features the test uses, when offered */
	struct rnode *out;    /* the report, for what a type adds (config values) */
	bool event_idx;	      /* negotiate VIRTIO_F_EVENT_IDX when offered (bench) */
};

int st_step(struct st *t, const char *name, int rc, const struct verr *e, const char *detail);
/* reset, ack, driver, features (the default set, RING_PACKED with
 * o->packed, EVENT_IDX with t->event_idx, when offered), features-ok. */
int st_bring_up(struct st *t, struct verr *e);
int st_setup_queue(struct st *t, unsigned q, struct verr *e);
int st_driver_ok(struct st *t, struct verr *e);
int st_roundtrip(struct st *t, unsigned q, const struct vseg *segs, unsigned n, struct vused *u,
		 struct verr *e);
/* Records a known-answer comparison in `checks`; when !ok, sets e
 * (VX_DEVICE "WHAT: expected X, got Y") and returns -1. */
int st_expect(struct st *t, const char *what, const char *expected, const char *got, bool ok,
	      struct verr *e);
/* Appends bytes the device returned to the data hashed as data_sha256. */
int st_keep_data(struct st *t, const uint8_t *p, size_t len, struct verr *e);
/* The device config, read with the generation retry loop; VX_DEVICE
 * when the device has fewer than `need` bytes. Recorded as a step. */
int st_read_config(struct st *t, uint8_t *buf, unsigned len, unsigned need, struct verr *e);

/* The per-type tests outside selftest.c (selftest_<type>.c). */
int st_run_scsi(struct st *t, struct verr *e);
int st_run_pmem(struct st *t, struct verr *e);
int st_run_mem(struct st *t, struct verr *e);
int st_run_iommu(struct st *t, struct verr *e);
int st_run_balloon(struct st *t, struct verr *e);
int st_run_input(struct st *t, struct verr *e);
int st_run_crypto(struct st *t, struct verr *e);
int st_run_gpu(struct st *t, struct verr *e);
int st_run_9p(struct st *t, struct verr *e);
int st_run_fs(struct st *t, struct verr *e);
int st_run_console(struct st *t, struct verr *e);
int st_run_net(struct st *t, struct verr *e);
int st_run_vsock(struct st *t, struct verr *e);

/* SCSI for bench (selftest_scsi.c): target 0, LUN 0 through the first
 * request queue. */
struct st_scsi_geom {
	unsigned queue; /* the request queue */
	uint32_t cdb_size, sense_size;
	uint64_t blocks; /* READ CAPACITY(10): last LBA + 1 */
	uint32_t block;	 /* bytes per block: a power of two, 512 to 4096 */
	uint64_t tag;	 /* the last tag used */
};
/* Config, request queue, DRIVER_OK and READ CAPACITY(10) (unit attentions
 * retried), each a step. */
int st_scsi_prepare(struct st *t, struct st_scsi_geom *g, struct verr *e);
/* The readable request of a READ(10): SCSI_REQ_FIXED + cdb_size bytes. */
void st_scsi_read10(const struct st_scsi_geom *g, uint64_t tag, uint32_t lba, uint16_t blocks,
		    uint8_t *req);
/* A READ(10)'s response (response, status, sense, residual) checked:
 * all datalen bytes transferred, GOOD. */
int st_scsi_check(const struct st_scsi_geom *g, const struct vused *u, uint32_t datalen,
		  struct verr *e);
#define ST_SCSI_REQ_FIXED  19u
#define ST_SCSI_RESP_FIXED 12u

/* Little-endian fields of requests and config (virtio 1.x is LE). */
static inline void st_put_le(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t st_get_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = width; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The final reset; rings are freed once the reset is confirmed. */
int st_finish(struct st *t, struct verr *e);

#endif
