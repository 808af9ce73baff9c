/* Commands that act on the session rather than a device: open, close,
 * set, quit; and `shell`, which starts one. */
#include "cli/cmd_session.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands_impl.h"
#include "cli/shell.h"

static void set_output(struct session *s, unsigned v)
{
	/* Values: text, json, pretty. */
	s->base.out.format = v == 0 ? OUT_TEXT : OUT_JSON;
	s->base.out.pretty = v == 2;
}

static void set_errexit(struct session *s, unsigned v)
{
	s->errexit = v == 0;
}

static const struct setting table[] = {
	{"output",
	 {"text", "json", "pretty"},
	 "how reports are printed (pretty: indented JSON)",
	 set_output},
	{"errexit",
	 {"on", "off"},
	 "scripts: stop at the first failing line (default on)",
	 set_errexit},
};

const struct setting *settings(size_t *count)
{
	*count = sizeof(table) / sizeof(table[0]);
	return table;
}

static int find_value(const struct setting *t, const char *v)
{
	for (int i = 0; i < SETTING_MAX_VALUES && t->values[i]; i++)
		if (strcmp(t->values[i], v) == 0)
			return i;
	return -1;
}

/* "a, b, c" from a NULL-terminated list, for messages. */
static const char *join(const char *const *words, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && words[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", words[i]);
	return buf;
}

static const struct setting *find_setting(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

CMD_HANDLER(cmd_set)
{
	const struct setting *t = find_setting(a->argv[0]);
	const char *names[sizeof(table) / sizeof(table[0])];
	char buf[128];
	int v;

	(void)out;
	if (!t) {
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			names[i] = table[i].name;
		return verr_set(e, VX_USAGE, "set: unknown setting '%s' (one of: %s)", a->argv[0],
				join(names, sizeof(table) / sizeof(table[0]), buf, sizeof(buf)));
	}
	v = find_value(t, a->argv[1]);
	if (v < 0)
		return verr_set(e, VX_USAGE, "set %s: '%s' is not one of: %s", t->name, a->argv[1],
				join(t->values, SETTING_MAX_VALUES, buf, sizeof(buf)));
	t->apply(s, (unsigned)v);
	session_restore(s);
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
