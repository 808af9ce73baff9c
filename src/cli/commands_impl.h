/* Handlers named by the command table. */
#ifndef VIRTIOCTL_CLI_COMMANDS_IMPL_H
#define VIRTIOCTL_CLI_COMMANDS_IMPL_H

#include "cli/command.h"
#include "cli/session.h"

#define CMD_HANDLER(name) \
	int name(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)

CMD_HANDLER(cmd_list);
CMD_HANDLER(cmd_caps);
CMD_HANDLER(cmd_common);
CMD_HANDLER(cmd_features);
CMD_HANDLER(cmd_config);
CMD_HANDLER(cmd_status);
CMD_HANDLER(cmd_dump);
CMD_HANDLER(cmd_irqs);
CMD_HANDLER(cmd_vendor);
CMD_HANDLER(cmd_help);
CMD_HANDLER(cmd_vring);
CMD_HANDLER(cmd_post);
CMD_HANDLER(cmd_kick);
CMD_HANDLER(cmd_poll);
CMD_HANDLER(cmd_selftest);
CMD_HANDLER(cmd_bench);

struct sdev;
int cmd_status_step(struct session *s, struct sdev *d, const char *name, struct rnode **out,
		    struct verr *e);
int cmd_features_set(struct session *s, struct sdev *d, const struct cmd_args *a,
		     struct rnode **out, struct verr *e);
CMD_HANDLER(cmd_version);
/* Shell, scripts, completion (cmd_session.c, expect.c, complete.c, help.c). */
CMD_HANDLER(cmd_shell);
CMD_HANDLER(cmd_open);
CMD_HANDLER(cmd_close);
CMD_HANDLER(cmd_set);
CMD_HANDLER(cmd_expect);
CMD_HANDLER(cmd_quit);
CMD_HANDLER(cmd_commands);
CMD_HANDLER(cmd_complete);

#endif
