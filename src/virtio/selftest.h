/* Built-in self-tests, one per device type: the whole driver bring-up,
 * one request, validation, and a reset at the end. */
#ifndef VIRTIOCTL_VIRTIO_SELFTEST_H
#define VIRTIOCTL_VIRTIO_SELFTEST_H

#include <signal.h>

#include "format/report.h"
#include "dma/dma.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

struct selftest_opts {
	unsigned bytes; /* 0: the type's default (entropy 64, block 4096) */
	int timeout_ms; /* per request */
	const volatile sig_atomic_t *cancel;
	/* IOMMU: the endpoint ID (PCI requester ID) PROBE and ATTACH use. */
	bool have_endpoint;
	uint32_t endpoint;
	/* 9p, fs: --path, the file to read, relative to the export (NULL: not given). */
	const char *path;
	/* net: the IPv4 address to ARP for (NULL: no ARP exchange). */
	const char *arp;
	/* Packed virtqueues: negotiates VIRTIO_F_RING_PACKED; a device that
	 * does not offer it fails the test with VX_USAGE. */
	bool packed;
	/* When not NULL: what the device did wrong on a request, if it broke
	 * the ring protocol (VRING_FAULT_NONE otherwise); for `check`. */
	enum vring_fault *fault;
	/* No one injects anything on the host side (`check`): a test whose
	 * request only completes on such a stimulus (input: an event) stops
	 * before waiting for it, with VX_USAGE. */
	bool no_host_stimulus;
	/* When not NULL: set when a used element came back at all. */
	bool *completed;
	/* How polls wait (spin budget, back-off); NULL: the ring's default. */
	const struct vring_spin *spin;
	/* bench: the user chose the budget (otherwise a workload the device
	 * bounds waits with bench's budget for those). */
	bool spin_given;
	/* bench: run only loads[workload - 1] (bench_workload_name()); 0:
	 * every workload of the device's type. */
	unsigned workload;
};

/* Runs the self-test of v's device type. Queues it sets up go into
 * rings[] (indexed by queue, nrings slots) so the caller's teardown covers
 * every exit; on success and on failure the device is reset and, once the
 * reset is confirmed, the rings are freed and their slots cleared.
 * Fills `out` with passed, virtio_device_id, steps, checks (each known
 * answer: expected and got) and data_sha256.
 * Returns 0 only when the test passed. */
int selftest_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
		 const struct selftest_opts *o, struct rnode *out, struct verr *e);
/* True when a built-in self-test exists for the device type. */
bool selftest_exists(int device_id);

#endif
