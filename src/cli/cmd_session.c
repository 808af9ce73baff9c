/* Commands that act on the session rather than a device: open, close,
 * set, quit; and `shell`, which starts one. */
#include "cli/cmd_session.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands_impl.h"
#include "cli/shell.h"

/* `set output` and `set errexit`: the value was checked against the
 * action's list (commands.c) when the line was parsed. */
CMD_HANDLER(cmd_set_output)
{
	(void)out;
	(void)e;
	/* text, json, pretty */
	s->base.out.format = a->choice == 0 ? OUT_TEXT : OUT_JSON;
	s->base.out.pretty = a->choice == 2;
	session_restore(s);
	return 0;
}

CMD_HANDLER(cmd_set_errexit)
{
	(void)out;
	(void)e;
	s->errexit = a->choice == 0; /* on, off */
	return 0;
}

int session_open_current(struct session *s, const char *addr, struct verr *e)
{
	struct sdev *d;

	if (session_device(s, addr, &d, e))
		return -1;
	pci_addr_format(&d->pci->addr, s->current);
	return 0;
}

CMD_HANDLER(cmd_open)
{
	(void)out;
	return session_open_current(s, a->argv[0], e);
}

CMD_HANDLER(cmd_close)
{
	(void)a;
	(void)out;
	(void)e;
	s->current[0] = '\0';
	return 0;
}

CMD_HANDLER(cmd_quit)
{
	(void)a;
	(void)out;
	(void)e;
	s->quit = true;
	return 0;
}

CMD_HANDLER(cmd_shell)
{
	(void)out;
	if (s->mode != MODE_ONESHOT)
		return verr_set(e, VX_USAGE, "shell: already running commands from a %s",
				s->mode == MODE_SHELL ? "shell" : "script");
	if (a->argc > 0 && session_open_current(s, a->argv[0], e))
		return -1;
	return shell_run(s, e);
}
