/* Session commands shared with main.c and the shell. */
#ifndef VIRTIOCTL_CLI_CMD_SESSION_H
#define VIRTIOCTL_CLI_CMD_SESSION_H

#include <stddef.h>

#include "cli/session.h"

/* `open`: makes the device at addr the current one. */
int session_open_current(struct session *s, const char *addr, struct verr *e);

#endif
