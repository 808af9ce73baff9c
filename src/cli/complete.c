/* Completion candidates from the command table's argument kinds. */
#include "cli/complete.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd_session.h"
#include "cli/commands_impl.h"
#include "cli/expect.h"
#include "cli/options.h"
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
	const char *pending; /* the cursor is this option's value (metavar) */
	int pending_gid;     /* ... of this global option (-1: the command's) */
	bool dashdash, dead; /* after "--"; an unknown command */
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

static void gen_steps(struct cctx *c)
{
	for (int i = 0; i < VSTEP_COUNT; i++)
		add(c, vstep_name((enum vstep)i), NULL);
}

/* Feature names of a device type; the typed part up to a sign or the
 * last comma ("+VERSION_1,EV") is kept in front of each candidate. */
static void add_features(struct cctx *c, int device_id)
{
	const char *sep = strrchr(c->cur, ',');
	size_t pre = sep ? (size_t)(sep - c->cur) + 1 : (*c->cur == '+' || *c->cur == '-');
	const struct feature_bit *fb[128];
	size_t n = virtio_feature_names(device_id >= 0 ? (unsigned)device_id : 0, fb, 128);

	if (pre < strlen(c->cur) && (c->cur[pre] == '+' || c->cur[pre] == '-'))
		pre++;
	for (size_t i = 0; i < n && i < 128; i++) {
		char w[128];

		snprintf(w, sizeof(w), "%.*s%s", (int)pre, c->cur,
			 virtio_feature_short(fb[i]->name));
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

static void gen_settings(struct cctx *c)
{
	size_t n;
	const struct setting *t = settings(&n);

	for (size_t i = 0; i < n; i++)
		add(c, t[i].name, t[i].help);
}

static void gen_values(struct cctx *c)
{
	size_t n;
	const struct setting *t = settings(&n);

	for (size_t i = 0; i < n && c->npos > 0; i++)
		for (int v = 0; strcmp(t[i].name, c->pos[c->npos - 1]) == 0 &&
				v < SETTING_MAX_VALUES && t[i].values[v];
		     v++)
			add(c, t[i].values[v], NULL);
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

static const struct {
	const char *kind;
	void (*gen)(struct cctx *c);
} kinds[] = {
	{"device", gen_devices},   {"queue", gen_queues},     {"step", gen_steps},
	{"feature", gen_features}, {"file", gen_files},	      {"command", gen_commands},
	{"setting", gen_settings}, {"value", gen_values},     {"path", gen_paths},
	{"op", gen_ops},	   {"operand", gen_operands},
};

/* Literal choices in the spec: "<set|negotiate>". */
static void gen_choices(struct cctx *c, const char *kind)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", kind);
	for (char *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save))
		add(c, w, NULL);
}

static void gen_kind(struct cctx *c, int i)
{
	char buf[128];
	const char *kind = command_arg_kind(c->cmd, i, buf, sizeof(buf));

	if (!kind)
		return;
	if (strchr(kind, '|')) {
		gen_choices(c, kind);
		return;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			kinds[k].gen(c);
}

/* With a device open, a device command's first argument may be the
 * device or already the next argument (see use_current_device). */
static void gen_positional(struct cctx *c)
{
	int i = c->npos;

	if ((c->cmd->flags & CMD_DEVICE) && c->s->current[0]) {
		if (i == 0)
			gen_kind(c, 1);
		else if (!is_addr(c->pos[0]))
			i++;
	}
	gen_kind(c, i);
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
	const struct gopt *g = global_options(&n);

	for (size_t i = 0; i < n; i++)
		add_option(c, g[i].name, g[i].help);
	for (int i = 0; c->cmd && c->cmd->opts && i < CMD_MAX_OPTS && c->cmd->opts[i].name; i++)
		add_option(c, c->cmd->opts[i].name, c->cmd->opts[i].help);
}

/* An option word: which option, and its value when attached to it. */
struct optword {
	const char *arg; /* metavar; NULL for a flag or an unknown option */
	int gid;	 /* global option id, -1 for a command's own */
	const char *val; /* attached value ("--dump-file=x", "-Fx"), or NULL */
};

static void global_option(const struct gopt *g, struct optword *o)
{
	o->arg = g->arg;
	o->gid = (int)g->id;
}

static struct optword long_option(const struct command *cmd, const char *w)
{
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w), n;
	const struct gopt *g = global_options(&n);
	struct optword o = {NULL, -1, eq && eq[1] ? eq + 1 : NULL};

	for (size_t i = 0; i < n; i++)
		if (strlen(g[i].name) == len && strncmp(g[i].name, w, len) == 0)
			global_option(&g[i], &o);
	for (int i = 0; cmd && cmd->opts && i < CMD_MAX_OPTS && cmd->opts[i].name; i++)
		if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, w, len) == 0)
			o.arg = cmd->opts[i].arg;
	return o;
}

static struct optword short_option(const struct command *cmd, const char *w)
{
	size_t n;
	const struct gopt *g = global_options(&n);
	struct optword o = {NULL, -1, NULL};

	for (; *w && !o.arg; w++) {
		for (size_t i = 0; i < n; i++)
			if (g[i].short_name == *w)
				global_option(&g[i], &o);
		for (int i = 0; cmd && cmd->opts && i < CMD_MAX_OPTS && cmd->opts[i].name; i++)
			if (cmd->opts[i].short_name == *w)
				o = (struct optword){cmd->opts[i].arg, -1, NULL};
	}
	o.val = o.arg && *w ? w : NULL;
	return o;
}

/* -F's file decides where devices come from, as it will for the command. */
static void take_value(struct cctx *c, int gid, const char *val)
{
	if (gid == GO_DUMP_FILE && c->s->mode == MODE_ONESHOT)
		c->s->dump_file = val;
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
		if (o.arg && o.val)
			take_value(c, o.gid, o.val);
		else if (o.arg)
			c->pending = o.arg;
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
	if (c.pending)
		out->files = strcmp(c.pending, "FILE") == 0;
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
