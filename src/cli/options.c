#include "cli/options.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct gopt gopts[] = {
	{GO_JSON, "json", 'j', NULL, "print JSON instead of text"},
	{GO_PRETTY, "pretty", 'p', NULL, "indent JSON (implies --json)"},
	{GO_DUMP_FILE, "dump-file", 'F', "FILE",
	 "read config space from an lspci -xxx/-xxxx dump instead of the system"},
	{GO_SELECT, "select", 0, NULL,
	 "on a driver-bound device, read registers behind selectors (saves and restores them)"},
	{GO_FORCE, "force", 0, NULL, "allow writes to a device bound to a kernel driver"},
	{GO_DMA, "dma", 0, "KIND", "DMA memory for queues: auto, sysfs or vfio"},
	{GO_TRANSPORT, "transport", 0, "IFACE",
	 "interface of a transitional device: modern (default) or legacy"},
	{GO_SCRIPT, "file", 'f', "FILE",
	 "run FILE as a script ('-': standard input); a DEVICE after it is opened first"},
	{GO_VERSION, "version", 'V', NULL, "print the version and exit"},
	{GO_HELP, "help", 'h', NULL, "show help (after a command: that command's help)"},
};

const struct gopt *global_options(size_t *count)
{
	*count = sizeof(gopts) / sizeof(gopts[0]);
	return gopts;
}

static void apply_global(struct session *s, enum gopt_id id, const char *val,
			 struct parse_result *r)
{
	switch (id) {
	case GO_PRETTY:
		s->out.pretty = true;
		/* fall through */
	case GO_JSON:
		s->out.format = OUT_JSON;
		break;
	case GO_DUMP_FILE:
		s->dump_file = val;
		break;
	case GO_SELECT:
		s->select = true;
		break;
	case GO_FORCE:
		s->force = true;
		break;
	case GO_DMA:
		s->dma = val;
		break;
	case GO_TRANSPORT:
		s->transport = val;
		break;
	case GO_SCRIPT:
		s->script = val;
		break;
	case GO_VERSION:
		r->version = true;
		break;
	case GO_HELP:
		r->help = true;
		break;
	case GO_COUNT:
		break;
	}
}

/* One option, global or the command's: its index and whether it's global. */
struct found {
	int idx;
	bool global;
	const char *arg;
};

static bool find_long(const struct command *c, const char *name, size_t len, struct found *f)
{
	for (size_t i = 0; i < sizeof(gopts) / sizeof(gopts[0]); i++)
		if (strlen(gopts[i].name) == len && strncmp(gopts[i].name, name, len) == 0) {
			*f = (struct found){(int)i, true, gopts[i].arg};
			return true;
		}
	for (int i = 0; c && c->opts && c->opts[i].name && i < CMD_MAX_OPTS; i++)
		if (strlen(c->opts[i].name) == len && strncmp(c->opts[i].name, name, len) == 0) {
			*f = (struct found){i, false, c->opts[i].arg};
			return true;
		}
	return false;
}

static bool find_short(const struct command *c, char ch, struct found *f)
{
	for (size_t i = 0; i < sizeof(gopts) / sizeof(gopts[0]); i++)
		if (gopts[i].short_name && gopts[i].short_name == ch) {
			*f = (struct found){(int)i, true, gopts[i].arg};
			return true;
		}
	for (int i = 0; c && c->opts && c->opts[i].name && i < CMD_MAX_OPTS; i++)
		if (c->opts[i].short_name && c->opts[i].short_name == ch) {
			*f = (struct found){i, false, c->opts[i].arg};
			return true;
		}
	return false;
}

static void apply(struct session *s, struct cmd_args *a, const struct found *f, const char *val,
		  struct parse_result *r)
{
	if (f->global)
		apply_global(s, gopts[f->idx].id, val, r);
	else if (a)
		a->opt[f->idx] = val ? val : "";
}

/* Parses the option at argv[*i]; advances *i past its value if separate. */
static int parse_one(struct session *s, const struct command *c, int argc, char **argv, int *i,
		     struct cmd_args *a, struct parse_result *r, struct verr *e)
{
	const char *arg = argv[*i];
	struct found f;

	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		if (!find_long(c, name, len, &f))
			return verr_set(e, VX_USAGE, "unknown option '--%.*s'", (int)len, name);
		if (!f.arg && eq)
			return verr_set(e, VX_USAGE, "option '--%.*s' takes no value", (int)len,
					name);
		if (f.arg && !eq && *i + 1 >= argc)
			return verr_set(e, VX_USAGE, "option '--%s' needs %s", name, f.arg);
		apply(s, a, &f, f.arg ? (eq ? eq + 1 : argv[++*i]) : NULL, r);
		return 0;
	}
	for (const char *p = arg + 1; *p; p++) {
		if (!find_short(c, *p, &f))
			return verr_set(e, VX_USAGE, "unknown option '-%c'", *p);
		if (!f.arg) {
			apply(s, a, &f, NULL, r);
			continue;
		}
		if (!p[1] && *i + 1 >= argc)
			return verr_set(e, VX_USAGE, "option '-%c' needs %s", *p, f.arg);
		apply(s, a, &f, p[1] ? p + 1 : argv[++*i], r);
		break;
	}
	return 0;
}

static bool is_option(const char *arg)
{
	/* A lone "-" is an argument (standard input), as usual, and so is a
	 * negative number (`expect delta > -1`): no option is a digit. */
	return arg[0] == '-' && arg[1] != '\0' && !isdigit((unsigned char)arg[1]);
}

int parse_global(struct session *s, int argc, char **argv, int *i, struct parse_result *r,
		 struct verr *e)
{
	for (; *i < argc && is_option(argv[*i]); (*i)++) {
		if (strcmp(argv[*i], "--") == 0) {
			(*i)++;
			break;
		}
		if (parse_one(s, NULL, argc, argv, i, NULL, r, e))
			return -1;
	}
	return 0;
}

/* The one place that decides whether a command line named its device: the
 * first positional is the device when it parses as a PCI address; else,
 * with a device open in the shell, that device goes in front of the
 * others (`status ack` after `open 00:04.0`). a->argv has room for it. */
static void use_current_device(const struct session *s, const struct command *c, struct cmd_args *a)
{
	struct pci_addr addr;

	if (!(c->flags & CMD_DEVICE) || !s->current[0])
		return;
	if (a->argc > 0 && pci_addr_parse(a->argv[0], &addr))
		return;
	memmove(a->argv + 1, a->argv, (size_t)a->argc * sizeof(*a->argv));
	a->argv[0] = (char *)s->current;
	a->argc++;
}

int parse_command_args(struct session *s, const struct command *c, int argc, char **argv,
		       struct cmd_args *a, struct parse_result *r, struct verr *e)
{
	bool options_done = false;
	int min, max;

	memset(a, 0, sizeof(*a));
	a->argv = calloc((size_t)argc + 2, sizeof(char *));
	if (!a->argv)
		return verr_set(e, VX_FAIL, "out of memory");
	for (int i = 0; i < argc; i++) {
		if (!options_done && strcmp(argv[i], "--") == 0)
			options_done = true;
		else if (!options_done && is_option(argv[i])) {
			if (parse_one(s, c, argc, argv, &i, a, r, e))
				return -1;
		} else
			a->argv[a->argc++] = argv[i];
	}
	if (r->help)
		return 0;
	use_current_device(s, c, a);
	command_arity(c, &min, &max);
	if (a->argc < min)
		return verr_set(e, VX_USAGE, "%s: missing argument (usage: %s %s)", c->name,
				c->name, c->args);
	if (max >= 0 && a->argc > max)
		return verr_set(e, VX_USAGE, "%s: too many arguments (usage: %s %s)", c->name,
				c->name, c->args);
	return 0;
}
