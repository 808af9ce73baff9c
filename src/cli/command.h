/* The one command table. The one-shot parser, the shell, scripts, help,
 * completion scripts and the man page's command list all follow it. */
#ifndef VIRTIOCTL_CLI_COMMAND_H
#define VIRTIOCTL_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "format/report.h"
#include "util/err.h"

struct session;

enum cmd_flag {
	CMD_DEVICE = 1u << 0,  /* first argument is a device (may come from `open`) */
	CMD_WRITES = 1u << 1,  /* writes to the device: refused on bound devices */
	CMD_SESSION = 1u << 2, /* acts on the shell's or script's session only */
	CMD_HIDDEN = 1u << 3,  /* for the completion scripts and tests: not documented */
};

/* An option of one command, e.g. {"timeout", 't', "MS", "..."}. */
struct cmd_opt {
	const char *name;
	char short_name; /* 0 for none */
	const char *arg; /* metavariable, NULL for a flag */
	const char *help;
};

#define CMD_MAX_OPTS 8

/* Parsed arguments: positionals, and each option's value ("" for a flag
 * that was given, NULL when absent) indexed like cmd->opts. */
struct cmd_args {
	int argc;
	char **argv;
	const char *opt[CMD_MAX_OPTS];
};

struct command {
	const char *name;
	/* Argument spec, BlueZ style: <required> [optional] [more...]. The
	 * words name argument kinds that completion knows: device, queue,
	 * step, feature, file. */
	const char *args;
	const char *summary; /* one line, for `help` and the man page */
	const char *help;    /* paragraph for `COMMAND --help` */
	unsigned flags;
	const struct cmd_opt *opts;
	/* Builds the result into *out (root created by the handler). Returns 0,
	 * or -1 with e set; a partial *out is still rendered. */
	int (*run)(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e);
};

const struct command *commands(size_t *count);
const struct command *command_find(const char *name);
/* Number of required and maximum positional args from the spec string;
 * max is -1 when the last argument repeats ("..."). */
void command_arity(const struct command *c, int *min, int *max);
/* The kind of positional argument i ("device", "queue", ...), or NULL. */
const char *command_arg_kind(const struct command *c, int i, char *buf, size_t len);

#endif
