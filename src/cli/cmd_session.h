/* The session commands' settings table (`set NAME VALUE`), shared with
 * completion so both follow one list. */
#ifndef VIRTIOCTL_CLI_CMD_SESSION_H
#define VIRTIOCTL_CLI_CMD_SESSION_H

#include <stddef.h>

#include "cli/session.h"

#define SETTING_MAX_VALUES 4

struct setting {
	const char *name;
	const char *values[SETTING_MAX_VALUES]; /* NULL-terminated */
	const char *help;
	void (*apply)(struct session *s, unsigned value); /* index into values */
};

const struct setting *settings(size_t *count);
/* `open`: makes the device at addr the current one. */
int session_open_current(struct session *s, const char *addr, struct verr *e);

#endif
