/* Completion candidates from the command table: argument kinds, action
 * words, option values. */
#include "cli/complete.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands_impl.h"
#include "cli/expect.h"
#include "cli/options.h"
#include "sim/source.h"
#include "virtio/driver.h"
#include "virtio/features.h"
#include "virtio/ids.h"

#define MAX_POS 16

/* What the words before the cursor say. */
struct cctx {
	struct session *s;
	const struct command *cmd;
	const char *pos[MAX_POS]; /* positionals after the command */
	int npos;
	const struct cmd_opt *pending; /* the cursor is this option's value */
	int pending_gid;	       /* ... of this global option (-1: the command's) */
	bool dashdash, dead;	       /* after "--"; an unknown command */
	const char *cur;
	struct cands *out;
};

static void add(struct cctx *c, const char *word, const char *desc)
{
	struct cands *o = c->out;

	if (strncasecmp(word, c->cur, strlen(c->cur)) != 0)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		struct cand *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].word = strdup(word);
	o->v[o->n].desc = desc ? strdup(desc) : NULL;
	if (o->v[o->n].word)
		o->n++;
	else
		free(o->v[o->n].desc);
}

void cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].word);
		free(c->v[i].desc);
	}
	free(c->v);
	*c = (struct cands){0};
}

static bool is_addr(const char *w)
{
	struct pci_addr a;

	return w && pci_addr_parse(w, &a);
}

/* The device the line is about: its first positional when that is an
 * address, else the shell's open device. NULL when there is none. */
static struct sdev *line_device(struct cctx *c)
{
	const char *addr = c->npos > 0 && is_addr(c->pos[0]) ? c->pos[0] : c->s->current;
	struct sdev *d;

	if (!*addr || session_device(c->s, addr, &d, NULL))
		return NULL;
	return d;
}

static bool visible(const struct session *s, const struct command *cmd)
{
	if (cmd->flags & CMD_HIDDEN)
		return false;
	if ((cmd->flags & CMD_ONESHOT) && s->mode != MODE_ONESHOT)
		return false;
	return !(cmd->flags & CMD_SESSION) || s->mode != MODE_ONESHOT;
}

static void gen_commands(struct cctx *c)
{
	size_t n;
	const struct command *t = commands(&n);

	for (size_t i = 0; i < n; i++)
		if (visible(c->s, &t[i]))
			add(c, t[i].name, t[i].summary);
}

/* --simulate's value: a device type (keys follow it after a comma). */
static void gen_sim_types(struct cctx *c)
{
	size_t n;
	const struct sim_type *t = sim_types(&n);

	for (size_t i = 0; i < n; i++)
		add(c, t[i].name, "simulated device type");
	add(c, "list", "list the types, keys and bug knobs");
}

static void add_device(struct cctx *c, const struct psys_entry *p)
{
	int id = virtio_pci_device_type(p->device, p->subsys_device);
	const char *type = id >= 0 ? virtio_type_name((unsigned)id) : "virtio";
	char full[PCI_ADDR_STRLEN];

	pci_addr_format(&p->addr, full);
	/* Offer the form the user started typing: 0000:00:04.0 or 00:04.0. */
	if (p->addr.domain == 0 && *c->cur && strncasecmp(full, c->cur, strlen(c->cur)) != 0)
		add(c, full + 5, type);
	else
		add(c, full, type);
}

static void gen_devices(struct cctx *c)
{
	struct psys_entry *ents = NULL;
	struct psys *sys;
	size_t n = 0;

	if (session_system(c->s, &sys, NULL) || psys_scan(sys, &ents, &n, NULL))
		return;
	for (size_t i = 0; i < n; i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			add_device(c, &ents[i]);
	free(ents);
}

static void gen_queues(struct cctx *c)
{
	struct sdev *d = line_device(c);
	unsigned nq;

	if (!d || !vdev_regs_readable(&d->v) || d->v.ops->get_num_queues(&d->v, &nq, NULL))
		return;
	for (unsigned q = 0; q < nq; q++) {
		char w[16];

		snprintf(w, sizeof(w), "%u", q);
		add(c, w, NULL);
	}
}

static void gen_choices(struct cctx *c, const struct choices *list)
{
	for (unsigned v = 0; v < choice_end(list); v++)
		if (choice_name(list, v))
			add(c, choice_name(list, v), NULL);
}

/* Feature names of a device type; the typed part up to a sign or the
 * last comma ("+VERSION_1,EV") is kept in front of each candidate. */
static void add_features(struct cctx *c, int device_id)
{
	const char *sep = strrchr(c->cur, ',');
	size_t pre = sep ? (size_t)(sep - c->cur) + 1 : (*c->cur == '+' || *c->cur == '-');
	const struct feature_bit *fb[128];
	size_t n = virtio_feature_names(device_id >= 0 ? (unsigned)device_id : 0, fb, 128);

	const char *rest;
	bool full;

	if (pre < strlen(c->cur) && (c->cur[pre] == '+' || c->cur[pre] == '-'))
		pre++;
	/* the long names `features` prints, once the word starts like one */
	rest = c->cur + pre;
	full = strlen(rest) >= 2 &&
	       strncasecmp(rest, "VIRTIO_", strlen(rest) < 7 ? strlen(rest) : 7) == 0;
	for (size_t i = 0; i < n && i < 128; i++) {
		char w[128];

		snprintf(w, sizeof(w), "%.*s%s", (int)pre, c->cur,
			 full ? fb[i]->name : virtio_feature_short(fb[i]->name));
		add(c, w, fb[i]->desc);
	}
}

static void gen_features(struct cctx *c)
{
	struct sdev *d = line_device(c);

	add_features(c, d ? d->v.device_id : -1);
}

static void gen_files(struct cctx *c)
{
	c->out->files = true;
}

/* Keys under the dotted prefix of the word, from the last report;
 * containers end in '.' so the next Tab goes on into them. */
static void gen_paths(struct cctx *c)
{
	const char *dot = strrchr(c->cur, '.');
	const struct rnode *n;
	char parent[256];
	unsigned i = 0;

	snprintf(parent, sizeof(parent), "%.*s", dot ? (int)(dot - c->cur) : 0, c->cur);
	n = dot ? r_path(c->s->last, parent) : c->s->last;
	for (const struct rnode *k = n ? n->child : NULL; k; k = k->next, i++) {
		bool inner = k->kind == R_OBJ || k->kind == R_ARR;
		char idx[16], w[384];

		snprintf(idx, sizeof(idx), "%u", i);
		snprintf(w, sizeof(w), "%s%s%s%s", parent, dot ? "." : "",
			 n->kind == R_ARR ? idx : k->key, inner ? "." : "");
		add(c, w, NULL);
	}
}

static void gen_ops(struct cctx *c)
{
	size_t n;
	const char *const *ops = expect_operators(&n);

	for (size_t i = 0; i < n; i++)
		add(c, ops[i], NULL);
}

static void gen_operands(struct cctx *c)
{
	char names[16];

	for (unsigned b = 0; b < 8; b++) {
		virtio_status_str((uint8_t)(1u << b), names, sizeof(names));
		if (strncmp(names, "bit", 3) != 0)
			add(c, names, "status bit");
	}
	add_features(c, expect_device_id(c->s));
}

/* `diff`: a device, or a saved `--json dump` file. */
static void gen_dumps(struct cctx *c)
{
	gen_devices(c);
	gen_files(c);
}

static const struct {
	const char *kind;
	void (*gen)(struct cctx *c);
} kinds[] = {
	{"dump", gen_dumps},	   {"device", gen_devices}, {"queue", gen_queues},
	{"feature", gen_features}, {"file", gen_files},	    {"command", gen_commands},
	{"path", gen_paths},	   {"op", gen_ops},	    {"operand", gen_operands},
};

/* Argument i of an args spec, by its kind. */
static void gen_spec(struct cctx *c, const char *spec, int i)
{
	char buf[64];
	const char *kind = spec_arg_kind(spec, i, buf, sizeof(buf));

	for (size_t k = 0; kind && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			kinds[k].gen(c);
}

static void gen_actions(struct cctx *c)
{
	for (size_t i = 0; i < command_action_count(c->cmd); i++) {
		const struct cmd_action *act = &c->cmd->actions[i];

		if (act->words)
			gen_choices(c, act->words);
		else
			add(c, act->name, act->summary);
	}
}

/* Positional i of the line as the parser sees it (the device first);
 * shift: 1 when the shell's open device stands for a device left out. */
static void gen_at(struct cctx *c, int i, int shift)
{
	const struct cmd_action *act = NULL;
	int k, max, amin, amax;
	unsigned choice;

	spec_arity(c->cmd->args, &k, &max);
	if (!command_action_count(c->cmd) || i < k) {
		gen_spec(c, c->cmd->args, i);
		return;
	}
	if (i == k) {
		gen_actions(c);
		return;
	}
	if (k - shift >= 0 && k - shift < c->npos)
		act = command_action(c->cmd, c->pos[k - shift], &choice);
	if (!act)
		return;
	spec_arity(act->args, &amin, &amax);
	if (act->value && i - k - 1 == amax - 1)
		gen_choices(c, act->value);
	else
		gen_spec(c, act->args, i - k - 1);
}

/* With a device open, a device command's first argument may be the
 * device or already the next argument (see use_current_device). */
static void gen_positional(struct cctx *c)
{
	int shift = 0;

	if ((c->cmd->flags & CMD_DEVICE) && c->s->current[0]) {
		if (c->npos == 0)
			gen_at(c, 1, 1);
		else if (!is_addr(c->pos[0]))
			shift = 1;
	}
	gen_at(c, c->npos + shift, shift);
}

static void add_option(struct cctx *c, const char *name, const char *help)
{
	char w[64];

	snprintf(w, sizeof(w), "--%s", name);
	add(c, w, help);
}

static void gen_options(struct cctx *c)
{
	size_t n;
	const struct cmd_opt *g = global_options(&n);

	for (size_t i = 0; i < n; i++)
		add_option(c, g[i].name, g[i].help);
	for (size_t i = 0; c->cmd && i < command_opt_count(c->cmd); i++)
		add_option(c, c->cmd->opts[i].name, c->cmd->opts[i].help);
}

/* An option word: which option, and its value when attached to it. */
struct optword {
	const struct cmd_opt *o; /* NULL for an unknown option */
	int gid;		 /* global option id, -1 for a command's own */
	const char *val;	 /* attached value ("--dump-file=x", "-Fx"), or NULL */
};

static struct optword long_option(const struct command *cmd, const char *w)
{
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w), n;
	const struct cmd_opt *g = global_options(&n);
	struct optword o = {NULL, -1, eq && eq[1] ? eq + 1 : NULL};

	for (size_t i = 0; i < n; i++)
		if (strlen(g[i].name) == len && strncmp(g[i].name, w, len) == 0)
			o = (struct optword){&g[i], (int)i, o.val};
	for (size_t i = 0; cmd && i < command_opt_count(cmd); i++)
		if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, w, len) == 0)
			o = (struct optword){&cmd->opts[i], -1, o.val};
	return o;
}

static struct optword short_option(const struct command *cmd, const char *w)
{
	size_t n;
	const struct cmd_opt *g = global_options(&n);
	struct optword o = {NULL, -1, NULL};

	for (; *w && !(o.o && o.o->arg); w++) {
		for (size_t i = 0; i < n; i++)
			if (g[i].short_name == *w)
				o = (struct optword){&g[i], (int)i, NULL};
		for (size_t i = 0; cmd && i < command_opt_count(cmd); i++)
			if (cmd->opts[i].short_name == *w)
				o = (struct optword){&cmd->opts[i], -1, NULL};
	}
	o.val = o.o && o.o->arg && *w ? w : NULL;
	return o;
}

/* -F's file and --simulate's specs decide where devices come from, as
 * they will for the command. */
static void take_value(struct cctx *c, int gid, const char *val)
{
	if (gid == GO_DUMP_FILE && c->s->mode == MODE_ONESHOT)
		c->s->dump_file = val;
	if (gid == GO_SIMULATE && c->s->mode == MODE_ONESHOT && !sim_spec_is_list(val))
		session_add_simulate(c->s, val);
}

static void take_word(struct cctx *c, const char *w)
{
	struct optword o;

	if (c->pending) {
		take_value(c, c->pending_gid, w);
		c->pending = NULL;
	} else if (!c->dashdash && w[0] == '-' && w[1] && !isdigit((unsigned char)w[1])) {
		c->dashdash = strcmp(w, "--") == 0;
		if (c->dashdash)
			return;
		o = w[1] == '-' ? long_option(c->cmd, w + 2) : short_option(c->cmd, w + 1);
		if (o.o && o.o->arg && o.val)
			take_value(c, o.gid, o.val);
		else if (o.o && o.o->arg)
			c->pending = o.o;
		c->pending_gid = o.gid;
	} else if (!c->cmd) {
		c->cmd = command_find(w);
		c->dead = !c->cmd || !visible(c->s, c->cmd);
	} else if (c->npos < MAX_POS) {
		c->pos[c->npos++] = w;
	}
}

void complete_line(struct session *s, int argc, char **argv, const char *cur, struct cands *out)
{
	struct cctx c = {.s = s, .cur = cur ? cur : "", .out = out};

	for (int i = 0; i < argc && !c.dead; i++)
		take_word(&c, argv[i]);
	if (c.dead)
		return;
	if (c.pending && c.pending_gid == GO_SIMULATE)
		gen_sim_types(&c);
	else if (c.pending && c.pending->type == OPT_CHOICE)
		gen_choices(&c, c.pending->choices);
	else if (c.pending)
		out->files = c.pending->type == OPT_FILE;
	else if (!c.dashdash && c.cur[0] == '-')
		gen_options(&c);
	else if (!c.cmd)
		gen_commands(&c);
	else
		gen_positional(&c);
}

/* `virtioctl __complete -- WORD... CUR`, for the completion scripts: one
 * candidate per line as "word<TAB>description"; a line "@file" asks the
 * calling shell to complete file names itself. */
CMD_HANDLER(cmd_complete)
{
	struct cands c = {0};

	(void)out;
	(void)e;
	complete_line(s, a->argc > 0 ? a->argc - 1 : 0, a->argv,
		      a->argc > 0 ? a->argv[a->argc - 1] : "", &c);
	if (c.files)
		puts("@file");
	for (size_t i = 0; i < c.n; i++)
		printf("%s%s%s\n", c.v[i].word, c.v[i].desc ? "\t" : "",
		       c.v[i].desc ? c.v[i].desc : "");
	cands_free(&c);
	return 0;
}
