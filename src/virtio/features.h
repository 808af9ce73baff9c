/* Names of virtio feature bits: the device-independent ("reserved") bits
 * and each device type's own.
 *
 * Source: virtio 1.3, "Reserved Feature Bits" (and its legacy section) and
 * each device's "Feature bits" section, with a few 1.4 additions marked in
 * features.c. Bits 24..41 (and 43, VIRTIO_F_SUSPEND in 1.4) belong to the
 * transport and always resolve through the device-independent table; every
 * other bit resolves through the device's table. */
#ifndef VIRTIOCTL_VIRTIO_FEATURES_H
#define VIRTIOCTL_VIRTIO_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feature_bit {
	unsigned bit;
	const char *name;  /* full spec name, e.g. "VIRTIO_NET_F_CSUM" */
	const char *desc;  /* one short line, after the spec */
	const char *alias; /* another name in use (Linux, QEMU, older specs); or NULL */
};

/* Bit numbers of the device-independent features. */
enum {
	VIRTIO_FB_NOTIFY_ON_EMPTY = 24,
	VIRTIO_FB_ANY_LAYOUT = 27,
	VIRTIO_FB_INDIRECT_DESC = 28,
	VIRTIO_FB_EVENT_IDX = 29,
	VIRTIO_FB_UNUSED_30 = 30,
	VIRTIO_FB_VERSION_1 = 32,
	VIRTIO_FB_ACCESS_PLATFORM = 33,
	VIRTIO_FB_RING_PACKED = 34,
	VIRTIO_FB_IN_ORDER = 35,
	VIRTIO_FB_ORDER_PLATFORM = 36,
	VIRTIO_FB_SR_IOV = 37,
	VIRTIO_FB_NOTIFICATION_DATA = 38,
	VIRTIO_FB_NOTIF_CONFIG_DATA = 39,
	VIRTIO_FB_RING_RESET = 40,
	VIRTIO_FB_ADMIN_VQ = 41,
	VIRTIO_FB_SUSPEND = 43,
};

/* A feature set of any width the device offers, in 32-bit words as the
 * modern interface's *_feature_select reads them (word 0: bits 0-31). */
#define VIRTIO_FEATURE_WORDS	   4 /* words read at most: 128 bits */
#define VIRTIO_FEATURE_WORDS_KNOWN 3 /* words holding every bit defined (64-70) */
struct vfeatures {
	uint32_t w[VIRTIO_FEATURE_WORDS];
	unsigned nwords; /* words read */
};

bool vfeatures_has(const struct vfeatures *f, unsigned bit);
/* Bits 0-63, as the 64-bit keys and the driving code take them. */
uint64_t vfeatures_low64(const struct vfeatures *f);
/* "0x" and 8 hex digits per word read, most significant word first. */
const char *vfeatures_hex(const struct vfeatures *f, char *buf, size_t len);
/* "Feature A requires feature B": the spec's dependency lists. A device
 * MUST NOT offer `bit` without at least one of `requires_any` (virtio 1.3,
 * 2.2.2), nor a driver accept it so. */
struct feature_dep {
	unsigned device_id;
	unsigned bit;
	uint64_t requires_any;
	const char *section; /* where the spec states it */
};

/* Every dependency; the table tests and `check` read it. */
const struct feature_dep *virtio_feature_deps(size_t *count);

/* True for bits whose meaning the transport defines for every device. */
bool virtio_feature_is_transport(unsigned bit);
/* The entry for a bit of a device type; NULL when the bit has no name. */
const struct feature_bit *virtio_feature(unsigned device_id, unsigned bit);
/* Its full name, or NULL. */
const char *virtio_feature_name(unsigned device_id, unsigned bit);
/* The bit named `name`, or -1. Case-insensitive; takes the full name
 * ("VIRTIO_F_VERSION_1"), its short form ("version_1", see
 * virtio_feature_short), or an alias. The device's own names win. */
int virtio_feature_by_name(unsigned device_id, const char *name);
/* Every named bit of a device type, device-independent ones included, in
 * bit order. Stores up to `max` entries in out (which may be NULL when max
 * is 0) and returns how many there are in all. */
size_t virtio_feature_names(unsigned device_id, const struct feature_bit **out, size_t max);
/* The part of a feature name after "_F_" (after "VIRTIO_9P_" for the one
 * name without it), or the name itself. */
const char *virtio_feature_short(const char *name);

#endif
