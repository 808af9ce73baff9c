/* Completion, written once in C: the shell's readline completion and the
 * bash, zsh and fish scripts (through `virtioctl __complete`) use it. What
 * to offer follows the command table: the argument kinds of its spec
 * strings (device, queue, feature, file, command, path, op, operand),
 * action words (`vring DEV setup`, status steps), the word lists of
 * action arguments (`set output json`) and of option values (--dma). */
#ifndef VIRTIOCTL_CLI_COMPLETE_H
#define VIRTIOCTL_CLI_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/session.h"

struct cand {
	char *word;
	char *desc; /* may be NULL */
};

struct cands {
	struct cand *v;
	size_t n, cap;
	bool files; /* complete file names here (left to the caller's shell) */
};

/* Candidates for the word `cur` given the words before it on the line
 * (options included, without the program name). Words that fail to
 * resolve simply give no candidates. */
void complete_line(struct session *s, int argc, char **argv, const char *cur, struct cands *out);
void cands_free(struct cands *c);

#endif
