/* Scripts: the commands of a file or of standard input, one per line. */
#ifndef VIRTIOCTL_CLI_SCRIPT_H
#define VIRTIOCTL_CLI_SCRIPT_H

#include <stdio.h>

#include "cli/session.h"

/* Runs path ("-": standard input). Blank lines and lines starting with '#'
 * are skipped; the first failing line stops the script, unless it starts
 * with '-' (its failure is ignored) or `set errexit off` came before.
 * Returns 0 when every command and expectation held, else the status of
 * the first that did not (VX_EXPECT for an expectation). */
int script_run_path(struct session *s, const char *path);
int script_run(struct session *s, FILE *f, const char *name);

#endif
