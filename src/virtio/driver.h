/* Driver-side operations on a device, written once over the transport
 * ops: the status machine with the spec's ordering rules, feature
 * negotiation, and the bounded reset. */
#ifndef VIRTIOCTL_VIRTIO_DRIVER_H
#define VIRTIOCTL_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/vdev.h"

enum vstep {
	VSTEP_RESET,
	VSTEP_ACK,
	VSTEP_DRIVER,
	VSTEP_FEATURES_OK,
	VSTEP_DRIVER_OK,
	VSTEP_FAILED,
	VSTEP_NEXT,
	VSTEP_COUNT,
};

/* "reset", "ack", ...; false for an unknown name. */
bool vstep_parse(const char *name, enum vstep *out);
const char *vstep_name(enum vstep s);
/* The spec's next step from a status byte; VSTEP_COUNT when the device is
 * already live (DRIVER_OK) or has FAILED. */
enum vstep vstep_next(uint8_t status, bool legacy);
/* NULL when the step may be taken now, else why not (spec order). */
const char *vstep_refusal(enum vstep s, uint8_t status, bool legacy);

struct vstep_result {
	enum vstep step; /* the step actually taken (VSTEP_NEXT resolved) */
	uint8_t before, after;
	bool refused;		/* out of the spec's order and not forced: not taken */
	bool refused_by_device; /* FEATURES_OK did not stick */
	bool needs_reset;	/* DEVICE_NEEDS_RESET seen after the step */
};

/* Takes one step. A step out of the spec's order fails with VX_USAGE
 * naming the rule, unless force. A device that drops FEATURES_OK fails
 * with VX_DEVICE; the result still says what happened. */
int vdev_step(struct vdev *v, enum vstep s, bool force, struct vstep_result *r, struct verr *e);

/* Writes 0 and waits (bounded) until the device reads back 0. */
int vdev_reset(struct vdev *v, unsigned timeout_ms, struct verr *e);
#define VDEV_RESET_TIMEOUT_MS 1000

/* Parses a feature list against a device type: comma/space separated
 * tokens, each a spec name (full or short), a bit number, or a 0x mask;
 * "+X" adds to and "-X" removes from `current`, a list without signs
 * replaces it. */
int features_parse(const char *spec, unsigned device_id, uint64_t current, uint64_t *out,
		   struct verr *e);
/* The default set `features negotiate` takes: VERSION_1 and
 * ACCESS_PLATFORM when offered (a device offering ACCESS_PLATFORM refuses
 * FEATURES_OK without it), and for virtio-mem UNPLUGGED_INACCESSIBLE when
 * offered (the same with QEMU's), plus what the self-tests need. */
uint64_t features_default(const struct vdev *v, uint64_t offered);

#endif
