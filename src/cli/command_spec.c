/* Reading the command table: argument spec strings, actions, choice
 * lists, and the synopses and option descriptions derived from them. */
#include "cli/command.h"

#include <stdio.h>
#include <string.h>

/* ---- choice lists ---- */

unsigned choice_end(const struct choices *c)
{
	unsigned n = 0;

	if (c->name_of)
		return c->count;
	while (c->names && c->names[n])
		n++;
	return n;
}

const char *choice_name(const struct choices *c, unsigned v)
{
	if (v >= choice_end(c))
		return NULL;
	return c->name_of ? c->name_of(v) : c->names[v];
}

bool choice_parse(const struct choices *c, const char *word, unsigned *v)
{
	for (unsigned i = 0; i < choice_end(c); i++) {
		const char *n = choice_name(c, i);

		if (n && strcmp(n, word) == 0) {
			*v = i;
			return true;
		}
	}
	return false;
}

const char *choice_join(const struct choices *c, const char *sep, const char *last_sep, char *buf,
			size_t len)
{
	unsigned end = choice_end(c), total = 0, k = 0;
	size_t o = 0;

	for (unsigned i = 0; i < end; i++)
		total += choice_name(c, i) != NULL;
	buf[0] = '\0';
	for (unsigned i = 0; i < end && o < len; i++) {
		const char *n = choice_name(c, i);

		if (!n)
			continue;
		k++;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      k == 1 ? "" : (k == total ? last_sep : sep), n);
	}
	return buf;
}

/* ---- spec strings: "<device> <queue> [size]" ---- */

static const char *next_word(const char *p, const char **start, size_t *len)
{
	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	*start = p;
	while (*p && *p != ' ')
		p++;
	*len = (size_t)(p - *start);
	return p;
}

/* "[word...]", "<buffer...>", "word...": the argument repeats. */
static bool repeats(const char *w, size_t len)
{
	while (len && strchr(">]", w[len - 1]))
		len--;
	return len >= 3 && strncmp(w + len - 3, "...", 3) == 0;
}

void spec_arity(const char *spec, int *min, int *max)
{
	const char *p = spec ? spec : "", *w;
	size_t len;

	*min = *max = 0;
	while ((p = next_word(p, &w, &len))) {
		if (w[0] == '<')
			(*min)++;
		if (repeats(w, len))
			*max = -1;
		else if (*max >= 0)
			(*max)++;
	}
}

/* "<device>" -> "device", "[feature...]" -> "feature". */
static const char *word_kind(const char *w, size_t wl, char *buf, size_t len)
{
	while (wl && strchr("<[", *w)) {
		w++;
		wl--;
	}
	while (wl && strchr(">].", w[wl - 1]))
		wl--;
	if (wl >= len)
		wl = len - 1;
	memcpy(buf, w, wl);
	buf[wl] = '\0';
	return buf;
}

/* Word i of a spec; the last one stands for every later one when it
 * repeats. False past the end. */
static bool spec_word(const char *spec, int i, const char **w, size_t *wl, bool *more)
{
	const char *p = spec ? spec : "";

	*more = false;
	for (int n = 0; n <= i; n++) {
		const char *nw;
		size_t nl;

		p = next_word(p, &nw, &nl);
		if (!p)
			return *more;
		*w = nw;
		*wl = nl;
		*more = repeats(nw, nl);
	}
	return true;
}

const char *spec_arg_kind(const char *spec, int i, char *buf, size_t len)
{
	const char *w = NULL;
	size_t wl = 0;
	bool more;

	if (!len || !spec_word(spec, i, &w, &wl, &more))
		return NULL;
	return word_kind(w, wl, buf, len);
}

/* ---- commands and actions ---- */

size_t command_opt_count(const struct command *c)
{
	size_t n = 0;

	while (c->opts && c->opts[n].name)
		n++;
	return n;
}

size_t command_action_count(const struct command *c)
{
	size_t n = 0;

	while (c->actions && c->actions[n].name)
		n++;
	return n;
}

const struct cmd_action *command_action(const struct command *c, const char *word, unsigned *choice)
{
	for (size_t i = 0; i < command_action_count(c); i++) {
		const struct cmd_action *act = &c->actions[i];

		if (act->words ? choice_parse(act->words, word, choice)
			       : strcmp(act->name, word) == 0)
			return act;
	}
	return NULL;
}

bool command_writes(const struct command *c, const struct cmd_action *act)
{
	return ((act ? act->flags : c->flags) & CMD_WRITES) != 0;
}

bool command_line_writes(const struct command *c, const struct cmd_args *a)
{
	if (command_writes(c, a->action))
		return true;
	for (size_t i = 0; i < command_opt_count(c) && i < CMD_MAX_OPTS; i++)
		if (c->opts[i].writes && a->opt[i].given)
			return true;
	return false;
}

bool command_line_every(const struct command *c, const struct cmd_args *a)
{
	for (size_t i = 0; i < command_opt_count(c) && i < CMD_MAX_OPTS; i++)
		if (c->opts[i].every && a->opt[i].given)
			return true;
	return false;
}

static void append(char *buf, size_t len, size_t *o, const char *fmt, const char *s)
{
	if (*o < len)
		*o += (size_t)snprintf(buf + *o, len - *o, fmt, s);
}

/* The action slot: "[set|negotiate]", "<setup|show>", "[step]". */
static void action_slot(const struct command *c, char *buf, size_t len, size_t *o)
{
	append(buf, len, o, "%s", *o ? " " : "");
	append(buf, len, o, "%s", c->run ? "[" : "<");
	for (size_t i = 0; i < command_action_count(c); i++)
		append(buf, len, o, i ? "|%s" : "%s", c->actions[i].name);
	append(buf, len, o, "%s", c->run ? "]" : ">");
}

/* Word p after the action word, over every action: required only when
 * every action requires it (and one must be given); repeats when one does. */
static bool union_word(const struct command *c, int p, char *kind, size_t klen, bool *required,
		       bool *more)
{
	bool any = false;

	*required = !c->run;
	*more = false;
	for (size_t i = 0; i < command_action_count(c); i++) {
		const char *w;
		size_t wl;
		bool m;

		if (!spec_word(c->actions[i].args, p, &w, &wl, &m)) {
			*required = false;
			continue;
		}
		if (!any)
			word_kind(w, wl, kind, klen);
		any = true;
		*required &= w[0] == '<';
		*more |= m;
	}
	return any;
}

const char *command_synopsis(const struct command *c, char *buf, size_t len)
{
	size_t o = 0;
	char kind[64];
	bool req, more;

	buf[0] = '\0';
	append(buf, len, &o, "%s", c->args ? c->args : "");
	if (!command_action_count(c))
		return buf;
	action_slot(c, buf, len, &o);
	for (int p = 0; p < 8 && union_word(c, p, kind, sizeof(kind), &req, &more); p++) {
		append(buf, len, &o, " %s", req ? "<" : "[");
		append(buf, len, &o, "%s", kind);
		append(buf, len, &o, "%s", more ? "..." : "");
		append(buf, len, &o, "%s", req ? ">" : "]");
		if (more)
			break;
	}
	return buf;
}

const char *action_usage(const struct command *c, const struct cmd_action *act, char *buf,
			 size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	append(buf, len, &o, "%s", c->args ? c->args : "");
	if (!act)
		return buf;
	append(buf, len, &o, "%s", o ? " " : "");
	append(buf, len, &o, act->words ? "<%s>" : "%s", act->name);
	if (act->args && *act->args)
		append(buf, len, &o, " %s", act->args);
	return buf;
}

/* ---- options ---- */

const char *opt_describe(const struct cmd_opt *o, char *buf, size_t len)
{
	char list[160];
	int n = snprintf(buf, len, "%s", o->help ? o->help : "");
	size_t at = n < 0 ? 0 : (size_t)n;

	if (at >= len)
		return buf;
	if (o->type == OPT_UINT && o->max != OPT_UNBOUNDED && o->has_default)
		snprintf(buf + at, len - at, " (%llu to %llu, default %llu)",
			 (unsigned long long)o->min, (unsigned long long)o->max,
			 (unsigned long long)o->def);
	else if (o->type == OPT_UINT && o->max != OPT_UNBOUNDED)
		snprintf(buf + at, len - at, " (%llu to %llu)", (unsigned long long)o->min,
			 (unsigned long long)o->max);
	else if (o->type == OPT_UINT && o->has_default)
		snprintf(buf + at, len - at, " (default %llu)", (unsigned long long)o->def);
	else if (o->type == OPT_CHOICE && o->has_default)
		snprintf(buf + at, len - at, ": %s (default %s)",
			 choice_join(o->choices, ", ", " or ", list, sizeof(list)),
			 choice_name(o->choices, (unsigned)o->def));
	else if (o->type == OPT_CHOICE)
		snprintf(buf + at, len - at, ": %s",
			 choice_join(o->choices, ", ", " or ", list, sizeof(list)));
	return buf;
}
