/* Global options, and the parser of one command's arguments. */
#ifndef VIRTIOCTL_CLI_OPTIONS_H
#define VIRTIOCTL_CLI_OPTIONS_H

#include <stdio.h>

#include "cli/command.h"
#include "cli/session.h"

enum gopt_id {
	GO_JSON,
	GO_PRETTY,
	GO_DUMP_FILE,
	GO_SIMULATE,
	GO_SELECT,
	GO_FORCE,
	GO_DMA,
	GO_TRANSPORT,
	GO_SCRIPT,
	GO_VERSION,
	GO_HELP,
	GO_COUNT,
};

/* The global options: rows like a command's, indexed by enum gopt_id. */
const struct cmd_opt *global_options(size_t *count);

/* What parsing asked for besides settings: help or version output. */
struct parse_result {
	bool help;
	bool version;
	bool sim_list; /* --simulate list */
};

/* Parses global options from argv[*i] on and stops at the first non-option
 * (the command). */
int parse_global(struct session *s, int argc, char **argv, int *i, struct parse_result *r,
		 struct verr *e);
/* Parses a command's arguments: its own options, global options anywhere
 * (each value checked against its row: type, range, choices), positionals,
 * the action word (taken out of argv) and the arity of what remains; "--"
 * ends options. Every error is VX_USAGE. */
int parse_command_args(struct session *s, const struct command *c, int argc, char **argv,
		       struct cmd_args *a, struct parse_result *r, struct verr *e);

void print_usage(FILE *f);
/* `--simulate list`: the simulator's device types, spec keys and bug
 * knobs, rendered as the session's output format says. */
int simulate_list(struct session *s);
void print_command_help(FILE *f, const struct command *c);

#endif
