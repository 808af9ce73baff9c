/* Polled round trips on a queue, for `bench`: entropy bytes/s, block 4 KiB
 * reads/s at queue depth 1 and 32. A benchmark, not a test: the numbers
 * mean something only next to a peer measured in the same run (see
 * bench/). */
#ifndef VIRTIOCTL_VIRTIO_BENCH_H
#define VIRTIOCTL_VIRTIO_BENCH_H

#include "virtio/selftest.h"

/* bench's spin budget unless told (--spin, --backoff, --sleep-us): pure
 * polling. Measured in the QEMU guest of bench/ (TCG, one vCPU;
 * docs/performance.md): with the request buffers reused, polling beat 20
 * looks then 1 us sleeps at queue depth 1 and was even at depth 32, with
 * QEMU held to one host CPU and not; before the reuse, when each request
 * cost more emulated work, short sleeps had won with QEMU held to one
 * CPU. --backoff sleep --sleep-us 1 (with bench's 1 us timer slack) is the
 * measured alternative, and what a device-bound workload (net's 128
 * frames in flight) uses unless a budget is given. */
#define BENCH_SPINS_DEFAULT    0u
#define BENCH_BACKOFF_DEFAULT  VRING_BACKOFF_NONE
#define BENCH_TIMER_SLACK_NS   1000u
#define BENCH_SLEEP_US_DEFAULT 1u

/* Runs each of the type's workloads for duration_ms; reports into out.
 * Same queue ownership and final reset as selftest_run(). */
int bench_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
	      const struct selftest_opts *o, unsigned duration_ms, struct rnode *out,
	      struct verr *e);
bool bench_exists(int device_id);

/* The workloads, every type's, by index (names as in the results), for
 * --workload; NULL past the last. */
#define BENCH_WORKLOADS 7u
const char *bench_workload_name(unsigned i);

#endif
