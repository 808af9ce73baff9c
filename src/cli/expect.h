/* `expect PATH [OP VALUE]`: an assertion on the report of the previous
 * command, found by its dotted JSON path (r_path), so a script fails for
 * the right reason. */
#ifndef VIRTIOCTL_CLI_EXPECT_H
#define VIRTIOCTL_CLI_EXPECT_H

#include <stddef.h>

#include "cli/session.h"

/* "==", "!=", "<", "<=", ">", ">=", "&" (all these bits set), "!&" (none
 * of them set). */
const char *const *expect_operators(size_t *count);
/* The device type whose feature names operands may use: the last
 * report's virtio_device_id, else the open device's; -1 when unknown. */
int expect_device_id(struct session *s);

#endif
