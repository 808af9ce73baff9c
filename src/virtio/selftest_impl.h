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
};

int st_step(struct st *t, const char *name, int rc, const struct verr *e, const char *detail);
/* reset, ack, driver, features (the default set), features-ok. */
int st_bring_up(struct st *t, struct verr *e);
int st_setup_queue(struct st *t, unsigned q, struct verr *e);
int st_driver_ok(struct st *t, struct verr *e);
int st_roundtrip(struct st *t, unsigned q, const struct vseg *segs, unsigned n, struct vused *u,
		 struct verr *e);
/* The final reset; rings are freed once the reset is confirmed. */
int st_finish(struct st *t, struct verr *e);

#endif
