#include "virtio/driver.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio/features.h"
#include "virtio/ids.h"

struct step_rule {
	const char *name;
	uint8_t bit;	  /* status bit the step sets; 0 for reset */
	uint8_t requires; /* bits that must already be set */
	uint8_t forbids;  /* bits that must not be set */
	const char *why;  /* the rule, for the refusal message */
};

#define S_ACK  VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV  VIRTIO_STATUS_DRIVER
#define S_FOK  VIRTIO_STATUS_FEATURES_OK
#define S_DOK  VIRTIO_STATUS_DRIVER_OK
#define S_FAIL VIRTIO_STATUS_FAILED

/* virtio 1.3, 3.1.1 Driver Requirements: Device Initialization. */
static const struct step_rule rules[VSTEP_COUNT] = {
	[VSTEP_RESET] = {"reset", 0, 0, 0, NULL},
	[VSTEP_ACK] = {"ack", S_ACK, 0, 0xff, "ACKNOWLEDGE is the first step after a reset"},
	[VSTEP_DRIVER] = {"driver", S_DRV, S_ACK, S_DRV | S_FOK | S_DOK | S_FAIL,
			  "DRIVER follows ACKNOWLEDGE"},
	[VSTEP_FEATURES_OK] = {"features-ok", S_FOK, S_ACK | S_DRV, S_FOK | S_DOK | S_FAIL,
			       "FEATURES_OK follows DRIVER and feature negotiation"},
	[VSTEP_DRIVER_OK] = {"driver-ok", S_DOK, S_ACK | S_DRV | S_FOK, S_DOK | S_FAIL,
			     "DRIVER_OK follows FEATURES_OK and queue setup"},
	[VSTEP_FAILED] = {"failed", S_FAIL, 0, 0, NULL},
	[VSTEP_NEXT] = {"next", 0, 0, 0, NULL},
};

bool vstep_parse(const char *name, enum vstep *out)
{
	for (int i = 0; i < VSTEP_COUNT; i++)
		if (strcmp(rules[i].name, name) == 0) {
			*out = (enum vstep)i;
			return true;
		}
	return false;
}

const char *vstep_name(enum vstep s)
{
	return (unsigned)s < VSTEP_COUNT ? rules[s].name : "none";
}

/* The legacy interface has no FEATURES_OK: features count once written. */
static uint8_t requires_of(enum vstep s, bool legacy)
{
	uint8_t r = rules[s].requires;

	return legacy ? (uint8_t)(r & ~S_FOK) : r;
}

enum vstep vstep_next(uint8_t status, bool legacy)
{
	static const enum vstep order[] = {VSTEP_ACK, VSTEP_DRIVER, VSTEP_FEATURES_OK,
					   VSTEP_DRIVER_OK};

	if (status & (S_DOK | S_FAIL))
		return VSTEP_COUNT;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (legacy && order[i] == VSTEP_FEATURES_OK)
			continue;
		if (!(status & rules[order[i]].bit))
			return order[i];
	}
	return VSTEP_COUNT;
}

const char *vstep_refusal(enum vstep s, uint8_t status, bool legacy)
{
	uint8_t req;

	if (s == VSTEP_FEATURES_OK && legacy)
		return "the legacy interface has no FEATURES_OK (features count once written)";
	if (s >= VSTEP_NEXT || !rules[s].why)
		return NULL;
	req = requires_of(s, legacy);
	if ((status & req) != req || (status & rules[s].forbids))
		return rules[s].why;
	return NULL;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int vdev_reset(struct vdev *v, unsigned timeout_ms, struct verr *e)
{
	struct timespec t0;
	uint8_t status = 0xff;
	long delay = 10;

	if (v->ops->set_status(v, 0, e))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A device may take time to finish in-flight work before it reads
	 * back 0 (virtio 1.3, 4.1.4.3.2); poll with a growing delay. */
	for (;;) {
		if (v->ops->get_status(v, &status, e))
			return -1;
		/* A removed device reads 0 (or all-ones) too: a reset is
		 * confirmed only by a device that is still there. */
		if ((status == 0 || status == 0xff) && pdev_check_present(v->pci, e)) {
			verr_prefix(e, "reset not confirmed");
			return -1;
		}
		if (status == 0)
			return 0;
		if (elapsed_ms(&t0) > (long)timeout_ms)
			return verr_set(e, VX_TIMEOUT,
					"reset not confirmed: status still 0x%02x after %u ms",
					status, timeout_ms);
		sleep_us(delay);
		if (delay < 10000)
			delay *= 2;
	}
}

static int apply_step(struct vdev *v, enum vstep s, struct vstep_result *r, struct verr *e)
{
	if (s == VSTEP_RESET)
		return vdev_reset(v, VDEV_RESET_TIMEOUT_MS, e);
	return v->ops->set_status(v, (uint8_t)(r->before | rules[s].bit), e);
}

int vdev_step(struct vdev *v, enum vstep s, bool force, struct vstep_result *r, struct verr *e)
{
	bool legacy = v->ops->legacy_ring;
	const char *why;

	memset(r, 0, sizeof(*r));
	if (v->ops->get_status(v, &r->before, e))
		return -1;
	if (s == VSTEP_NEXT) {
		s = vstep_next(r->before, legacy);
		if (s == VSTEP_COUNT)
			return verr_set(e, VX_USAGE, "no next step: status 0x%02x is %s", r->before,
					r->before & S_FAIL ? "FAILED (reset first)"
							   : "already DRIVER_OK");
	}
	r->step = s;
	why = vstep_refusal(s, r->before, legacy);
	if (why && !force) {
		r->refused = true;
		return verr_set(e, VX_USAGE, "refusing '%s' with status 0x%02x: %s", rules[s].name,
				r->before, why);
	}
	if (apply_step(v, s, r, e) || v->ops->get_status(v, &r->after, e))
		return -1;
	r->needs_reset = r->after & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (s == VSTEP_FEATURES_OK && !legacy && !(r->after & S_FOK)) {
		r->refused_by_device = true;
		return verr_set(e, VX_DEVICE,
				"the device refused the feature set: FEATURES_OK "
				"did not stick (status 0x%02x)",
				r->after);
	}
	return 0;
}

static int parse_token(const char *tok, unsigned device_id, uint64_t *mask, struct verr *e)
{
	char *end;
	int bit;

	if (isdigit((unsigned char)tok[0])) {
		unsigned long long v = strtoull(tok, &end, 0);

		if (*end)
			return verr_set(e, VX_USAGE, "bad feature '%s'", tok);
		if (strncmp(tok, "0x", 2) == 0 || strncmp(tok, "0X", 2) == 0) {
			*mask = v;
			return 0;
		}
		if (v > 63)
			return verr_set(e, VX_USAGE, "feature bit %llu is above 63", v);
		*mask = 1ull << v;
		return 0;
	}
	bit = virtio_feature_by_name(device_id, tok);
	if (bit < 0 || bit > 63)
		return verr_set(e, VX_USAGE, "unknown feature '%s' for this device type", tok);
	*mask = 1ull << bit;
	return 0;
}

int features_parse(const char *spec, unsigned device_id, uint64_t current, uint64_t *out,
		   struct verr *e)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	uint64_t set = 0, add = 0, del = 0;
	bool absolute = false, any = false;
	int rc = 0;

	if (!copy)
		return verr_set(e, VX_FAIL, "out of memory");
	for (tok = strtok_r(copy, ", \t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char sign = (*tok == '+' || *tok == '-') ? *tok : 0;
		uint64_t m = 0;

		any = true;
		rc = parse_token(tok + (sign != 0), device_id, &m, e);
		if (sign == '+')
			add |= m;
		else if (sign == '-')
			del |= m;
		else {
			absolute = true;
			set |= m;
		}
	}
	free(copy);
	if (rc)
		return -1;
	if (!any)
		return verr_set(e, VX_USAGE, "no features given");
	*out = ((absolute ? set : current) | add) & ~del;
	return 0;
}

/* VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE (virtio 1.4, 5.15.3). */
#define MEM_F_UNPLUGGED_INACCESSIBLE 1

uint64_t features_default(const struct vdev *v, uint64_t offered)
{
	uint64_t want = 1ull << VIRTIO_FB_VERSION_1 | 1ull << VIRTIO_FB_ACCESS_PLATFORM;

	/* QEMU's virtio-mem refuses FEATURES_OK without it when it offers it
	 * (5.15.5: a device MAY); virtioctl never touches the device's memory,
	 * plugged or not, so accepting it costs nothing. */
	if (v && v->device_id == VIRTIO_DEV_MEM)
		want |= 1ull << MEM_F_UNPLUGGED_INACCESSIBLE;
	return offered & want;
}
