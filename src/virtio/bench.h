/* Polled round trips on a queue, for `bench`: entropy bytes/s, block 4 KiB
 * reads/s at queue depth 1 and 32. A benchmark, not a test: the numbers
 * mean something only next to a peer measured in the same run (see
 * bench/). */
#ifndef VIRTIOCTL_VIRTIO_BENCH_H
#define VIRTIOCTL_VIRTIO_BENCH_H

#include "virtio/selftest.h"

/* bench's spin budget unless told (--spin, --backoff, --sleep-us): 200
 * empty looks (about one emulated round trip under TCG), then 1 us
 * sleeps (in effect the timer slack, 50 us: the vCPU halts). Measured in
 * the QEMU guest of bench/ (docs/performance.md): with QEMU held to one
 * host CPU a spinning vCPU takes CPU time from the thread that completes
 * the request, and pure polling ran 2-4x slower than sleeping; with a
 * host CPU to spare, pure sleeping lost the completions that a short spin
 * catches. */
#define BENCH_SPINS_DEFAULT    200u
#define BENCH_BACKOFF_DEFAULT  VRING_BACKOFF_SLEEP
#define BENCH_SLEEP_US_DEFAULT 1u

/* Runs each of the type's workloads for duration_ms; reports into out.
 * Same queue ownership and final reset as selftest_run(). */
int bench_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
	      const struct selftest_opts *o, unsigned duration_ms, struct rnode *out,
	      struct verr *e);
bool bench_exists(int device_id);

#endif
