/* Running one command line: the one path for one-shot use, the shell and
 * scripts, so the three cannot behave differently. */
#ifndef VIRTIOCTL_CLI_DISPATCH_H
#define VIRTIOCTL_CLI_DISPATCH_H

#include "cli/session.h"

/* Runs argv[0] with its arguments: parses the line (options given on it
 * hold for this command only), runs the handler, renders its report and
 * keeps it for `expect`, and prints an error as "virtioctl: WHERE: message"
 * (where may be NULL). Returns the exit status (enum vx_code). */
int dispatch(struct session *s, int argc, char **argv, const char *where);
/* The same for a line of text (shell, scripts): split with line_split. */
int dispatch_line(struct session *s, const char *line, const char *where);

/* The rules of writing commands for one device: 0 when the command may
 * write to it, else VX_PERM with why (a -F dump, bound to a kernel driver
 * without --force, not opened writable). dispatch() applies them before
 * a writing command runs; a handler visiting every function (--all)
 * applies them to each before writing to it (named false: the message's
 * remedy is then to name the device, not --force). */
int dispatch_may_write(struct session *s, struct sdev *d, bool named, struct verr *e);

/* Splits a line into words: blanks separate, '...' and "..." quote, a
 * backslash escapes, and a '#' that starts a word comments out the rest.
 * *argv is one malloc'd block (free(*argv) frees all), NULL-terminated. */
int line_split(const char *line, int *argc, char ***argv, struct verr *e);

/* Prints "virtioctl: MESSAGE" on stderr, one line, escaped: messages
 * quote arguments, script lines, file names and device strings. */
void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flushes stdout; true (and e set) when anything written to it was lost. */
bool stdout_failed(struct verr *e);

#endif
