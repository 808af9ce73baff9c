/* Help text, generated from the command and option tables. */
#include "commands_impl.h"
#include "options.h"

#include <string.h>

static const struct {
	enum vx_code code;
	const char *meaning;
} exit_codes[] = {
	{VX_OK, "success"},
	{VX_FAIL, "other error"},
	{VX_USAGE, "usage error (bad command line or script syntax)"},
	{VX_NODEV, "no such PCI function"},
	{VX_NOTVIRTIO, "not a virtio-pci device"},
	{VX_PERM, "permission denied, or refused for safety"},
	{VX_DEVICE, "the device misbehaved, refused or failed"},
	{VX_EXPECT, "a script expectation did not hold"},
	{VX_TIMEOUT, "the device did not answer in time"},
	{VX_INPUT, "malformed input file"},
	{VX_UNAVAILABLE, "the data asked for cannot be reached here"},
};

static void print_option(FILE *f, char short_name, const char *name, const char *arg,
			 const char *help)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%c%s--%s%s%s", short_name ? "-" : "",
		 short_name ? short_name : ' ', short_name ? ", " : "  ", name, arg ? " " : "",
		 arg ? arg : "");
	fprintf(f, "  %-24s %s\n", short_name ? buf : buf + 1, help);
}

void print_usage(FILE *f)
{
	size_t n, ng;
	const struct command *cmds = commands(&n);
	const struct gopt *g = global_options(&ng);

	fputs("Usage: virtioctl [OPTIONS] COMMAND [DEVICE] [ARGS]\n"
	      "Show and drive virtio-pci devices. DEVICE is DDDD:BB:DD.F or BB:DD.F.\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s %s", cmds[i].name, cmds[i].args);
		fprintf(f, "  %-24s %s\n", buf, cmds[i].summary);
	}
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < ng; i++)
		print_option(f, g[i].short_name, g[i].name, g[i].arg, g[i].help);
	fputs("\nExit status:\n", f);
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(f, "  %-3d %s\n", exit_codes[i].code, exit_codes[i].meaning);
	fputs("\n'virtioctl COMMAND --help' describes one command; see virtioctl(1).\n", f);
}

void print_command_help(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: virtioctl [OPTIONS] %s %s\n%s.\n", c->name, c->args, c->summary);
	if (c->help)
		fprintf(f, "\n%s\n", c->help);
	if (c->opts && c->opts[0].name) {
		fputs("\nOptions:\n", f);
		for (int i = 0; i < CMD_MAX_OPTS && c->opts[i].name; i++)
			print_option(f, c->opts[i].short_name, c->opts[i].name, c->opts[i].arg,
				     c->opts[i].help);
	}
	fputs("\nGlobal options (-j, -p, -F, --select, --force) apply too.\n", f);
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
