/* Polled round trips on a queue, for `bench`: entropy bytes/s, block 4 KiB
 * reads/s at queue depth 1 and 32. A benchmark, not a test: the numbers
 * mean something only next to a peer measured in the same run (see
 * bench/). */
#ifndef VIRTIOCTL_VIRTIO_BENCH_H
#define VIRTIOCTL_VIRTIO_BENCH_H

#include "virtio/selftest.h"

/* bench's spin budget unless told (--spin, --backoff, --sleep-us): 20
 * empty looks, then 1 us sleeps, with the thread's timer slack at 1 us
 * (`bench` sets it; the default 50 us would make each sleep 50 us longer):
 * in a guest each sleep halts the vCPU briefly. Measured in the QEMU guest
 * of bench/ (TCG, one vCPU; docs/performance.md): with QEMU held to one
 * host CPU, a spinning vCPU takes CPU time from the thread that completes
 * the request, and pure polling was 2-4x slower than short sleeps; a
 * budget of 200 looks or a 50 us slack lost up to a third at queue depth
 * 1. */
#define BENCH_SPINS_DEFAULT    20u
#define BENCH_BACKOFF_DEFAULT  VRING_BACKOFF_SLEEP
#define BENCH_TIMER_SLACK_NS   1000u
#define BENCH_SLEEP_US_DEFAULT 1u

/* Runs each of the type's workloads for duration_ms; reports into out.
 * Same queue ownership and final reset as selftest_run(). */
int bench_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
	      const struct selftest_opts *o, unsigned duration_ms, struct rnode *out,
	      struct verr *e);
bool bench_exists(int device_id);

#endif
