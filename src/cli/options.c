#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands_impl.h"
#include "sim/source.h"

static const struct cmd_opt gopts[] = {
	[GO_JSON] = OPT_FLAG("json", 'j', "print JSON instead of text"),
	[GO_PRETTY] = OPT_FLAG("pretty", 'p', "indent JSON (implies --json)"),
	[GO_DUMP_FILE] = OPT_FILE("dump-file", 'F', "FILE",
				  "read config space from an lspci -xxx/-xxxx dump instead of the "
				  "system"),
	[GO_SIMULATE] =
		OPT_STRING("simulate", 0, "SPEC",
			   "simulated devices instead of the system (repeatable): "
			   "TYPE[,key=value...]; '--simulate list' lists types, keys and bug "
			   "knobs"),
	[GO_SELECT] = OPT_FLAG("select", 0,
			       "on a driver-bound device, read registers behind selectors (saves "
			       "and restores them)"),
	[GO_FORCE] = OPT_FLAG("force", 0, "allow writes to a device bound to a kernel driver"),
	[GO_DMA] =
		OPT_CHOICE_DEF("dma", 0, "KIND", &dma_choices, DMA_AUTO, "DMA memory for queues"),
	[GO_TRANSPORT] = OPT_CHOICE("transport", 0, "IFACE", &iface_choices,
				    "interface of a transitional device (modern unless given)"),
	[GO_SCRIPT] = OPT_FILE("file", 'f', "FILE",
			       "run FILE as a script ('-': standard input); a DEVICE after it is "
			       "opened first"),
	[GO_VERSION] = OPT_FLAG("version", 'V', "print the version and exit"),
	[GO_HELP] = OPT_FLAG("help", 'h', "show help (after a command: that command's help)"),
};

const struct cmd_opt *global_options(size_t *count)
{
	*count = sizeof(gopts) / sizeof(gopts[0]);
	return gopts;
}

static void apply_global(struct session *s, enum gopt_id id, const struct opt_value *v,
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
		s->dump_file = v->s;
		break;
	case GO_SIMULATE:
		if (sim_spec_is_list(v->s))
			r->sim_list = true;
		else
			session_add_simulate(s, v->s);
		break;
	case GO_SELECT:
		s->select = true;
		break;
	case GO_FORCE:
		s->force = true;
		break;
	case GO_DMA:
		s->dma = (enum dma_kind)v->u;
		break;
	case GO_TRANSPORT:
		s->transport = (enum vdev_iface)v->u;
		break;
	case GO_SCRIPT:
		s->script = v->s;
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
	const struct cmd_opt *o;
};

static bool find_long(const struct command *c, const char *name, size_t len, struct found *f)
{
	for (size_t i = 0; i < sizeof(gopts) / sizeof(gopts[0]); i++)
		if (strlen(gopts[i].name) == len && strncmp(gopts[i].name, name, len) == 0) {
			*f = (struct found){(int)i, true, &gopts[i]};
			return true;
		}
	for (size_t i = 0; c && i < command_opt_count(c) && i < CMD_MAX_OPTS; i++)
		if (strlen(c->opts[i].name) == len && strncmp(c->opts[i].name, name, len) == 0) {
			*f = (struct found){(int)i, false, &c->opts[i]};
			return true;
		}
	return false;
}

static bool find_short(const struct command *c, char ch, struct found *f)
{
	for (size_t i = 0; i < sizeof(gopts) / sizeof(gopts[0]); i++)
		if (gopts[i].short_name && gopts[i].short_name == ch) {
			*f = (struct found){(int)i, true, &gopts[i]};
			return true;
		}
	for (size_t i = 0; c && i < command_opt_count(c) && i < CMD_MAX_OPTS; i++)
		if (c->opts[i].short_name && c->opts[i].short_name == ch) {
			*f = (struct found){(int)i, false, &c->opts[i]};
			return true;
		}
	return false;
}

/* A number as the row allows it: decimal or 0x hex, no sign, in range. */
static bool parse_uint(const struct cmd_opt *o, const char *val, uint64_t *u)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)val[0]))
		return false;
	errno = 0;
	n = strtoull(val, &end, 0);
	if (errno || *end || n < o->min || n > o->max)
		return false;
	*u = n;
	return true;
}

/* Checks a value against its row: one line naming the option and what it
 * takes. */
static int typed_value(const struct cmd_opt *o, const char *val, struct opt_value *v,
		       struct verr *e)
{
	char list[160];
	unsigned ch;

	*v = (struct opt_value){true, 0, val};
	switch (o->type) {
	case OPT_UINT:
		if (parse_uint(o, val, &v->u))
			return 0;
		if (o->max == OPT_UNBOUNDED)
			return verr_set(e, VX_USAGE, "--%s '%s': expected a number, at least %llu",
					o->name, val, (unsigned long long)o->min);
		return verr_set(e, VX_USAGE, "--%s '%s': expected a number from %llu to %llu",
				o->name, val, (unsigned long long)o->min,
				(unsigned long long)o->max);
	case OPT_CHOICE:
		if (choice_parse(o->choices, val, &ch)) {
			v->u = ch;
			return 0;
		}
		return verr_set(e, VX_USAGE, "--%s '%s': expected %s", o->name, val,
				choice_join(o->choices, ", ", " or ", list, sizeof(list)));
	case OPT_FLAG:
	case OPT_STRING:
	case OPT_FILE:
		break;
	}
	return 0;
}

static int apply(struct session *s, struct cmd_args *a, const struct found *f, const char *val,
		 struct parse_result *r, struct verr *e)
{
	struct opt_value v = {true, 0, NULL};

	if (val && typed_value(f->o, val, &v, e))
		return -1;
	if (f->global)
		apply_global(s, (enum gopt_id)f->idx, &v, r);
	else if (a)
		a->opt[f->idx] = v;
	return 0;
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
		if (!f.o->arg && eq)
			return verr_set(e, VX_USAGE, "option '--%.*s' takes no value", (int)len,
					name);
		if (f.o->arg && !eq && *i + 1 >= argc)
			return verr_set(e, VX_USAGE, "option '--%s' needs %s", name, f.o->arg);
		return apply(s, a, &f, f.o->arg ? (eq ? eq + 1 : argv[++*i]) : NULL, r, e);
	}
	for (const char *p = arg + 1; *p; p++) {
		if (!find_short(c, *p, &f))
			return verr_set(e, VX_USAGE, "unknown option '-%c'", *p);
		if (!f.o->arg) {
			if (apply(s, a, &f, NULL, r, e))
				return -1;
			continue;
		}
		if (!p[1] && *i + 1 >= argc)
			return verr_set(e, VX_USAGE, "option '-%c' needs %s", *p, f.o->arg);
		return apply(s, a, &f, p[1] ? p + 1 : argv[++*i], r, e);
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
 * others (`status ack` after `open 00:04.0`). a->argv has room for it.
 * A line that visits every function (--all) names none. */
static void use_current_device(const struct session *s, const struct command *c, struct cmd_args *a)
{
	struct pci_addr addr;

	if (!(c->flags & CMD_DEVICE) || !s->current[0] || command_line_every(c, a))
		return;
	if (a->argc > 0 && pci_addr_parse(a->argv[0], &addr))
		return;
	memmove(a->argv + 1, a->argv, (size_t)a->argc * sizeof(*a->argv));
	a->argv[0] = (char *)s->current;
	a->argc++;
}

/* Defaults from the rows, for the options not given. */
static void option_defaults(const struct command *c, struct cmd_args *a)
{
	for (size_t i = 0; i < command_opt_count(c) && i < CMD_MAX_OPTS; i++)
		if (!a->opt[i].given && c->opts[i].has_default)
			a->opt[i].u = c->opts[i].def;
}

/* Every word that names an action: "set or negotiate", "reset, ack, ...". */
static const char *action_words(const struct command *c, char *buf, size_t len)
{
	const char *words[64];
	size_t n = 0, o = 0;

	for (size_t i = 0; i < command_action_count(c); i++) {
		const struct cmd_action *act = &c->actions[i];

		for (unsigned v = 0; act->words && v < choice_end(act->words) && n < 64; v++)
			if (choice_name(act->words, v))
				words[n++] = choice_name(act->words, v);
		if (!act->words && n < 64)
			words[n++] = act->name;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      i == 0 ? "" : (i + 1 == n ? " or " : ", "), words[i]);
	return buf;
}

/* The action word follows the command's own arguments; it is taken out of
 * argv, so handlers see the device, then the action's arguments. */
static int take_action(const struct command *c, struct cmd_args *a, struct verr *e)
{
	int min, max, at;
	char buf[256];
	const char *w;

	spec_arity(c->args, &min, &max);
	at = min;
	if (!command_action_count(c) || (a->argc <= at && c->run))
		return 0;
	if (a->argc <= at)
		return verr_set(e, VX_USAGE, "%s: missing argument (usage: %s %s)", c->name,
				c->name, command_synopsis(c, buf, sizeof(buf)));
	w = a->argv[at];
	a->action = command_action(c, w, &a->choice);
	if (!a->action)
		return verr_set(e, VX_USAGE, "%s '%s': expected %s", c->name, w,
				action_words(c, buf, sizeof(buf)));
	memmove(a->argv + at, a->argv + at + 1, (size_t)(a->argc - at) * sizeof(*a->argv));
	a->argc--;
	return 0;
}

/* An action's argument that must be a word of a list (`set output json`). */
static int check_value(const struct command *c, struct cmd_args *a, struct verr *e)
{
	const struct cmd_action *act = a->action;
	char list[160];
	const char *w;

	if (!act || !act->value || a->argc < 1)
		return 0;
	w = a->argv[a->argc - 1];
	if (choice_parse(act->value, w, &a->choice))
		return 0;
	return verr_set(e, VX_USAGE, "%s %s '%s': expected %s", c->name, act->name, w,
			choice_join(act->value, ", ", " or ", list, sizeof(list)));
}

static int check_arity(const struct command *c, const struct cmd_args *a, struct verr *e)
{
	int min, max, pmin, pmax;
	char buf[256];

	spec_arity(c->args, &min, &max);
	if (a->action) {
		spec_arity(a->action->args, &pmin, &pmax);
		min += pmin;
		max = pmax < 0 ? -1 : max + pmax;
	}
	if (a->argc < min)
		return verr_set(e, VX_USAGE, "%s: missing argument (usage: %s %s)", c->name,
				c->name, action_usage(c, a->action, buf, sizeof(buf)));
	if (max >= 0 && a->argc > max)
		return verr_set(e, VX_USAGE, "%s: too many arguments (usage: %s %s)", c->name,
				c->name,
				a->action ? action_usage(c, a->action, buf, sizeof(buf))
					  : command_synopsis(c, buf, sizeof(buf)));
	return 0;
}

int parse_command_args(struct session *s, const struct command *c, int argc, char **argv,
		       struct cmd_args *a, struct parse_result *r, struct verr *e)
{
	bool options_done = false;

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
	option_defaults(c, a);
	if (r->help)
		return 0;
	use_current_device(s, c, a);
	if (take_action(c, a, e) || check_arity(c, a, e))
		return -1;
	return check_value(c, a, e);
}
