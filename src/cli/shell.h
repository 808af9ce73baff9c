/* The interactive shell, and the signal handling every mode shares. */
#ifndef VIRTIOCTL_CLI_SHELL_H
#define VIRTIOCTL_CLI_SHELL_H

#include "cli/session.h"

/* Reads commands with GNU readline until `quit`, Ctrl-D or a terminating
 * signal: prompt with the current device and its status, completion,
 * history in $XDG_STATE_HOME/virtioctl/history. An error in one command
 * is printed and the shell goes on. */
int shell_run(struct session *s, struct verr *e);

/* SIGINT sets s->cancel (the running command stops, the shell stays);
 * SIGTERM and SIGHUP also set s->signalled so virtioctl leaves through
 * session_fini, which resets devices it gave queues to. For every mode;
 * call once, before any command runs. */
void interrupt_trap(struct session *s);

#endif
