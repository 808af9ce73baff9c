/* Help text, generated from the command and option tables. */
#include "cli/cmd_session.h"
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
	{VX_UNAVAILABLE, "the data asked for cannot be reached here"},
};

/* "  NAME  help", or NAME alone on its line when it is too wide. */
static void print_row(FILE *f, const char *name, const char *help)
{
	if (strlen(name) > 24)
		fprintf(f, "  %s\n  %-24s %s\n", name, "", help);
	else
		fprintf(f, "  %-24s %s\n", name, help);
}

static void print_option(FILE *f, char short_name, const char *name, const char *arg,
			 const char *help)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%c%c%c --%s%s%s", short_name ? '-' : ' ',
		 short_name ? short_name : ' ', short_name ? ',' : ' ', name, arg ? " " : "",
		 arg ? arg : "");
	print_row(f, buf, help);
}

static void print_commands(FILE *f, bool session)
{
	size_t n;
	const struct command *cmds = commands(&n);

	for (size_t i = 0; i < n; i++) {
		char buf[64];

		if ((cmds[i].flags & CMD_HIDDEN) || !(cmds[i].flags & CMD_SESSION) != !session)
			continue;
		snprintf(buf, sizeof(buf), "%s %s", cmds[i].name, cmds[i].args);
		print_row(f, buf, cmds[i].summary);
	}
}

void print_usage(FILE *f)
{
	size_t ng;
	const struct gopt *g = global_options(&ng);

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
		print_option(f, g[i].short_name, g[i].name, g[i].arg, g[i].help);
	fputs("\nExit status:\n", f);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(f, "  %-5d %s\n", exit_codes[i].code, exit_codes[i].meaning);
	fprintf(f, "  %-5s %s\n", "128+N", "ended by signal N (SIGTERM, SIGHUP), after cleanup");
	fputs("\n'virtioctl COMMAND --help' describes one command; see virtioctl(1).\n", f);
}

void print_command_help(FILE *f, const struct command *c)
{
	size_t ng;
	const struct gopt *g = global_options(&ng);

	fprintf(f, "Usage: virtioctl [OPTIONS] %s %s\n%s.\n", c->name, c->args, c->summary);
	if (c->help)
		fprintf(f, "\n%s\n", c->help);
	if (c->opts && c->opts[0].name) {
		fputs("\nOptions:\n", f);
		for (int i = 0; i < CMD_MAX_OPTS && c->opts[i].name; i++)
			print_option(f, c->opts[i].short_name, c->opts[i].name, c->opts[i].arg,
				     c->opts[i].help);
	}
	fputs("\nGlobal options apply too:", f);
	for (size_t i = 0; i < ng; i++)
		fprintf(f, " --%s", g[i].name);
	fputs(".\n", f);
}

CMD_HANDLER(cmd_help)
{
	const struct command *c;

	(void)s;
	(void)out;
	if (a->argc == 0) {
		print_usage(stdout);
		return 0;
	}
	c = command_find(a->argv[0]);
	if (!c)
		return verr_set(e, VX_USAGE, "unknown command '%s'", a->argv[0]);
	print_command_help(stdout, c);
	return 0;
}

CMD_HANDLER(cmd_version)
{
	(void)s;
	(void)a;
	(void)e;
	*out = r_new_root();
	r_str(*out, "version", "virtioctl", VIRTIOCTL_VERSION);
	return 0;
}

static struct rnode *opt_node(struct rnode *arr, const char *name, char short_name, const char *arg,
			      const char *help)
{
	struct rnode *o = r_obj(arr, NULL, NULL);

	r_str(o, "name", NULL, name);
	if (short_name)
		r_strf(o, "short", NULL, "%c", short_name);
	else
		r_null(o, "short", NULL);
	r_str(o, "arg", NULL, arg);
	r_str(o, "help", NULL, help);
	return o;
}

static void command_node(struct rnode *arr, const struct command *c)
{
	struct rnode *o = r_obj(arr, NULL, NULL), *opts;

	r_str(o, "name", NULL, c->name);
	r_str(o, "args", NULL, c->args);
	r_str(o, "summary", NULL, c->summary);
	r_str(o, "help", NULL, c->help);
	r_bool(o, "device", NULL, c->flags & CMD_DEVICE);
	r_bool(o, "session_only", NULL, c->flags & CMD_SESSION);
	opts = r_arr(o, "options", NULL, 0);
	for (int i = 0; c->opts && i < CMD_MAX_OPTS && c->opts[i].name; i++)
		opt_node(opts, c->opts[i].name, c->opts[i].short_name, c->opts[i].arg,
			 c->opts[i].help);
}

static void settings_node(struct rnode *root)
{
	size_t n;
	const struct setting *t = settings(&n);
	struct rnode *arr = r_arr(root, "settings", NULL, 0);

	for (size_t i = 0; i < n; i++) {
		struct rnode *o = r_obj(arr, NULL, NULL), *v;

		r_str(o, "name", NULL, t[i].name);
		v = r_arr(o, "values", NULL, RF_INLINE);
		for (int k = 0; k < SETTING_MAX_VALUES && t[i].values[k]; k++)
			r_str(v, NULL, NULL, t[i].values[k]);
		r_str(o, "help", NULL, t[i].help);
	}
}

/* The tables behind help, for the man page check and the completion
 * tests: they fail when a consumer drifts from them. */
CMD_HANDLER(cmd_commands)
{
	size_t n, ng;
	const struct command *cmds = commands(&n);
	const struct gopt *g = global_options(&ng);
	struct rnode *arr;

	(void)s;
	(void)a;
	(void)e;
	*out = r_new_root();
	arr = r_arr(*out, "commands", NULL, 0);
	for (size_t i = 0; i < n; i++)
		if (!(cmds[i].flags & CMD_HIDDEN))
			command_node(arr, &cmds[i]);
	arr = r_arr(*out, "global_options", NULL, 0);
	for (size_t i = 0; i < ng; i++)
		opt_node(arr, g[i].name, g[i].short_name, g[i].arg, g[i].help);
	arr = r_arr(*out, "exit_codes", NULL, 0);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++) {
		struct rnode *o = r_obj(arr, NULL, NULL);

		r_int(o, "code", NULL, exit_codes[i].code);
		r_str(o, "name", NULL, vx_code_name(exit_codes[i].code));
		r_str(o, "meaning", NULL, exit_codes[i].meaning);
	}
	settings_node(*out);
	return 0;
}
