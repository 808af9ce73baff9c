/* Handlers named by the command table. */
#ifndef VIRTIOCTL_CLI_COMMANDS_IMPL_H
#define VIRTIOCTL_CLI_COMMANDS_IMPL_H

#include "command.h"
#include "session.h"

#define CMD_HANDLER(name)                                                                          \
	int name(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)

CMD_HANDLER(cmd_list);
CMD_HANDLER(cmd_caps);
CMD_HANDLER(cmd_common);
CMD_HANDLER(cmd_features);
CMD_HANDLER(cmd_config);
CMD_HANDLER(cmd_status);
CMD_HANDLER(cmd_dump);
CMD_HANDLER(cmd_help);
CMD_HANDLER(cmd_version);

#endif
