/* Error reporting shared by every layer: a code that maps to a stable exit
 * status, and a one-line message for the user. */
#ifndef VIRTIOCTL_UTIL_ERR_H
#define VIRTIOCTL_UTIL_ERR_H

#include <stddef.h>

/* Exit statuses are part of the user interface (scripts test them), so the
 * numbers never change meaning; new ones are appended. */
enum vx_code {
	VX_OK = 0,
	VX_FAIL = 1,	     /* anything not covered below */
	VX_USAGE = 2,	     /* bad command line or script syntax */
	VX_NODEV = 3,	     /* no such PCI function */
	VX_NOTVIRTIO = 4,    /* the function is not a virtio-pci device */
	VX_PERM = 5,	     /* permission denied, or refused for safety */
	VX_DEVICE = 6,	     /* the device misbehaved, refused or failed */
	VX_EXPECT = 7,	     /* a script expectation did not hold */
	VX_TIMEOUT = 8,	     /* the device did not answer in time */
	VX_INPUT = 9,	     /* malformed input file (-F dump, script file) */
	VX_UNAVAILABLE = 10, /* the data asked for cannot be reached here */
	VX_CHECK = 11,	     /* `check`: the device failed a MUST check (SHOULD with --strict) */
};

struct verr {
	enum vx_code code;
	char msg[512];
};

/* Records the first error only: later calls keep the original cause, which
 * is the one the user needs to see. Always returns -1 so callers can write
 * `return verr_set(e, ...)`. A NULL e is allowed. */
int verr_set(struct verr *e, enum vx_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "PREFIX: " before a recorded message (the CLI naming the flag a
 * lower layer's error came from); no-op when nothing was recorded. */
void verr_prefix(struct verr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds text after a recorded message (the CLI's hint naming a flag that
 * would help); no-op when nothing was recorded. Cut to fit. */
void verr_append(struct verr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void verr_clear(struct verr *e);
const char *vx_code_name(enum vx_code code);

#endif
