/* Help text, generated from the command and option tables. */
#include "cli/commands_impl.h"
#include "cli/options.h"

#include <string.h>

static const struct {
	enum vx_code code;
	const char *meaning;
} exit_codes[] = {
	{VX_OK, "success"},
	{VX_FAIL, "other error"},
	{VX_USAGE, "usage error (bad command line or script syntax)"},
	{VX_NODEV, "no such PCI function, or it was removed (hot-unplug)"},
	{VX_NOTVIRTIO, "not a virtio-pci device"},
	{VX_PERM, "permission denied, or refused for safety"},
	{VX_DEVICE, "the device misbehaved, refused or failed"},
	{VX_EXPECT, "a script expectation did not hold"},
	{VX_TIMEOUT, "the device did not answer in time"},
	{VX_INPUT, "malformed or unreadable input file (-F dump, script)"},
	{VX_UNAVAILABLE, "the data asked for cannot be reached here (config, common or "
			 "features without register access; the message says why)"},
	{VX_CHECK, "check: the device failed a MUST check (or a SHOULD check with --strict)"},
};

#define HELP_WIDTH 79

/* A paragraph broken at spaces into lines of at most width columns after
 * indent (a word longer than that stays whole on its own line). */
static void print_wrapped(FILE *f, int indent, int width, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *end = p, *brk = NULL;

		while (*end && end - p < width) {
			if (*end == ' ')
				brk = end;
			end++;
		}
		if (*end && *end != ' ' && brk)
			end = brk;
		else if (*end && *end != ' ')
			while (*end && *end != ' ')
				end++;
		fprintf(f, "%*s%.*s\n", indent, "", (int)(end - p), p);
		p = end;
		while (*p == ' ')
			p++;
	}
}

/* "  CODE  meaning", the meaning wrapped under itself; -1 is 128+N. */
static void print_exit_row(FILE *f, int code, const char *meaning)
{
	enum { COL = 8 };
	char first[HELP_WIDTH + 1];
	size_t n = strlen(meaning);

	if (n > HELP_WIDTH - COL) {
		n = HELP_WIDTH - COL;
		while (n > 0 && meaning[n] != ' ')
			n--;
	}
	snprintf(first, sizeof(first), "%.*s", (int)n, meaning);
	if (code < 0)
		fprintf(f, "  %-5s %s\n", "128+N", first);
	else
		fprintf(f, "  %-5d %s\n", code, first);
	meaning += n;
	meaning += strspn(meaning, " ");
	if (*meaning)
		print_wrapped(f, COL, HELP_WIDTH - COL, meaning);
}

/* "  NAME  help", or NAME alone on its line when it is too wide; the help
 * wrapped under itself. */
static void print_row(FILE *f, const char *name, const char *help)
{
	enum { COL = 27 };
	const char *p = help;
	int first = HELP_WIDTH - COL;

	if (strlen(name) > 24) {
		fprintf(f, "  %s\n", name);
		print_wrapped(f, COL, first, help);
		return;
	}
	/* the first line after the name, the rest under it */
	fprintf(f, "  %-24s ", name);
	if ((int)strlen(p) <= first) {
		fprintf(f, "%s\n", p);
		return;
	}
	{
		const char *brk = p + first;

		while (brk > p && *brk != ' ')
			brk--;
		if (brk == p)
			brk = p + strcspn(p, " ");
		fprintf(f, "%.*s\n", (int)(brk - p), p);
		p = brk + strspn(brk, " ");
	}
	print_wrapped(f, COL, first, p);
}

static void print_option(FILE *f, const struct cmd_opt *o)
{
	char buf[64], help[512];

	snprintf(buf, sizeof(buf), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
		 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
		 o->arg ? " " : "", o->arg ? o->arg : "");
	print_row(f, buf, opt_describe(o, help, sizeof(help)));
}

/* An action's words and what it does: "set <feature...>", "<step>: take
 * one step: reset, ack, ...", "output text|json|pretty". */
static void action_row(const struct cmd_action *act, char *name, size_t nlen, char *help,
		       size_t hlen)
{
	char list[256];

	if (act->value)
		snprintf(name, nlen, "%s %s", act->name,
			 choice_join(act->value, "|", "|", list, sizeof(list)));
	else
		snprintf(name, nlen, act->words ? "<%s>%s%s" : "%s%s%s", act->name,
			 act->args && *act->args ? " " : "", act->args ? act->args : "");
	if (act->words)
		snprintf(help, hlen, "%s: %s", act->summary,
			 choice_join(act->words, ", ", " or ", list, sizeof(list)));
	else
		snprintf(help, hlen, "%s", act->summary);
}

static void print_commands(FILE *f, bool session)
{
	size_t n;
	const struct command *cmds = commands(&n);

	for (size_t i = 0; i < n; i++) {
		char buf[128], syn[128];

		if ((cmds[i].flags & CMD_HIDDEN) || !(cmds[i].flags & CMD_SESSION) != !session)
			continue;
		snprintf(buf, sizeof(buf), "%s %s", cmds[i].name,
			 command_synopsis(&cmds[i], syn, sizeof(syn)));
		print_row(f, buf, cmds[i].summary);
	}
}

void print_usage(FILE *f)
{
	size_t ng;
	const struct cmd_opt *g = global_options(&ng);

	fputs("Usage: virtioctl [OPTIONS] COMMAND [DEVICE] [ARGS]\n"
	      "       virtioctl [OPTIONS] [shell [DEVICE]]   (interactive shell)\n"
	      "       virtioctl [OPTIONS] -f FILE [DEVICE]   (script; '-' or a pipe: stdin)\n"
	      "Show and drive virtio-pci devices. DEVICE is DDDD:BB:DD.F or BB:DD.F.\n\n"
	      "Commands:\n",
	      f);
	print_commands(f, false);
	fputs("\nIn the shell and in scripts (DEVICE may be left out after 'open'):\n", f);
	print_commands(f, true);
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < ng; i++)
		print_option(f, &g[i]);
	fputs("\nExit status:\n", f);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		print_exit_row(f, exit_codes[i].code, exit_codes[i].meaning);
	print_exit_row(f, -1,
		       "ended by signal N (SIGTERM, SIGHUP; SIGINT ends one command "
		       "with 130), after cleanup");
	fputs("\n'virtioctl COMMAND --help' describes one command; see virtioctl(1).\n", f);
}

void print_command_help(FILE *f, const struct command *c)
{
	size_t ng;
	const struct cmd_opt *g = global_options(&ng);
	char syn[128], name[160], help[512];

	fprintf(f, "Usage: virtioctl [OPTIONS] %s %s\n%s.\n", c->name,
		command_synopsis(c, syn, sizeof(syn)), c->summary);
	if (c->help) {
		fputc('\n', f);
		print_wrapped(f, 0, HELP_WIDTH, c->help);
	}
	if (command_action_count(c)) {
		fputs("\nActions:\n", f);
		for (size_t i = 0; i < command_action_count(c); i++) {
			action_row(&c->actions[i], name, sizeof(name), help, sizeof(help));
			print_row(f, name, help);
		}
	}
	if (command_opt_count(c)) {
		fputs("\nOptions:\n", f);
		for (size_t i = 0; i < command_opt_count(c); i++)
			print_option(f, &c->opts[i]);
	}
	{
		char line[512];
		size_t o = (size_t)snprintf(line, sizeof(line), "Global options apply too:");

		for (size_t i = 0; i < ng && o < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " --%s%s", g[i].name,
					      i + 1 == ng ? "." : "");
		fputc('\n', f);
		print_wrapped(f, 0, HELP_WIDTH, line);
	}
}

CMD_HANDLER(cmd_version)
{
	struct rnode *n;

	(void)s;
	(void)a;
	(void)e;
	*out = r_new_root();
	n = r_str(*out, "version", "virtioctl", VIRTIOCTL_VERSION);
	if (n)
		n->flags |= RF_PLAIN; /* as --version, and as other tools print it */
	return 0;
}

static void choices_node(struct rnode *o, const char *key, const struct choices *c)
{
	struct rnode *arr;

	if (!c) {
		r_null(o, key, NULL);
		return;
	}
	arr = r_arr(o, key, NULL, RF_INLINE);
	for (unsigned v = 0; v < choice_end(c); v++)
		if (choice_name(c, v))
			r_str(arr, NULL, NULL, choice_name(c, v));
}

static const char *const opt_types[] = {
	[OPT_FLAG] = "flag", [OPT_UINT] = "uint",     [OPT_STRING] = "string",
	[OPT_FILE] = "file", [OPT_CHOICE] = "choice",
};

static void opt_node(struct rnode *arr, const struct cmd_opt *opt)
{
	struct rnode *o = r_obj(arr, NULL, NULL);
	char help[512];

	r_str(o, "name", NULL, opt->name);
	if (opt->short_name)
		r_strf(o, "short", NULL, "%c", opt->short_name);
	else
		r_null(o, "short", NULL);
	r_str(o, "arg", NULL, opt->arg);
	r_str(o, "help", NULL, opt_describe(opt, help, sizeof(help)));
	r_str(o, "type", NULL, opt_types[opt->type]);
	if (opt->type == OPT_UINT) {
		r_uint(o, "min", NULL, opt->min, NULL);
		r_uint(o, "max", NULL, opt->max, NULL);
	}
	if (opt->type == OPT_UINT && opt->has_default)
		r_uint(o, "default", NULL, opt->def, NULL);
	else if (opt->type == OPT_CHOICE && opt->has_default)
		r_str(o, "default", NULL, choice_name(opt->choices, (unsigned)opt->def));
	else
		r_null(o, "default", NULL);
	if (opt->type == OPT_CHOICE)
		choices_node(o, "choices", opt->choices);
}

static void action_node(struct rnode *arr, const struct cmd_action *act)
{
	struct rnode *o = r_obj(arr, NULL, NULL);
	char name[160], help[512];

	action_row(act, name, sizeof(name), help, sizeof(help));
	r_str(o, "name", NULL, act->name);
	r_str(o, "usage", NULL, name);
	r_str(o, "args", NULL, act->args ? act->args : "");
	r_str(o, "summary", NULL, help);
	r_bool(o, "writes", NULL, act->flags & CMD_WRITES);
	choices_node(o, "words", act->words);
	choices_node(o, "values", act->value);
}

static void command_node(struct rnode *arr, const struct command *c)
{
	struct rnode *o = r_obj(arr, NULL, NULL), *list;
	char syn[128];

	r_str(o, "name", NULL, c->name);
	r_str(o, "args", NULL, command_synopsis(c, syn, sizeof(syn)));
	r_str(o, "summary", NULL, c->summary);
	r_str(o, "help", NULL, c->help);
	r_bool(o, "device", NULL, c->flags & CMD_DEVICE);
	r_bool(o, "session_only", NULL, c->flags & CMD_SESSION);
	/* without an action word; null when one is required */
	if (c->run)
		r_bool(o, "writes", NULL, c->flags & CMD_WRITES);
	else
		r_null(o, "writes", NULL);
	list = r_arr(o, "actions", NULL, 0);
	for (size_t i = 0; i < command_action_count(c); i++)
		action_node(list, &c->actions[i]);
	list = r_arr(o, "options", NULL, 0);
	for (size_t i = 0; i < command_opt_count(c); i++)
		opt_node(list, &c->opts[i]);
}

/* The tables behind help: all commands, or only ONLY. */
static struct rnode *commands_report(const struct command *only)
{
	size_t n, ng;
	const struct command *cmds = commands(&n);
	const struct cmd_opt *g = global_options(&ng);
	struct rnode *root = r_new_root(), *arr;

	arr = r_arr(root, "commands", NULL, 0);
	for (size_t i = 0; i < n; i++)
		if (only ? &cmds[i] == only : !(cmds[i].flags & CMD_HIDDEN))
			command_node(arr, &cmds[i]);
	arr = r_arr(root, "global_options", NULL, 0);
	for (size_t i = 0; i < ng; i++)
		opt_node(arr, &g[i]);
	arr = r_arr(root, "exit_codes", NULL, 0);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++) {
		struct rnode *o = r_obj(arr, NULL, NULL);

		r_int(o, "code", NULL, exit_codes[i].code);
		r_str(o, "name", NULL, vx_code_name(exit_codes[i].code));
		r_str(o, "meaning", NULL, exit_codes[i].meaning);
	}
	return root;
}

/* For the man page check and the completion tests: they fail when a
 * consumer drifts from the tables. */
CMD_HANDLER(cmd_commands)
{
	(void)s;
	(void)a;
	(void)e;
	*out = commands_report(NULL);
	return 0;
}

/* Text: the usage or one command's help. JSON (--json, a script's
 * JSON Lines): the same tables as a document, never text in the stream. */
CMD_HANDLER(cmd_help)
{
	const struct command *c = NULL;

	if (a->argc > 0 && !(c = command_find(a->argv[0])))
		return verr_set(e, VX_USAGE, "unknown command '%s'", a->argv[0]);
	if (s->out.format == OUT_JSON) {
		*out = commands_report(c);
		return 0;
	}
	if (c)
		print_command_help(stdout, c);
	else
		print_usage(stdout);
	return 0;
}
