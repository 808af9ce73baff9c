/* The command table's write flags hold, for every row: this test walks
 * the table itself (commands, their actions, each word of a word list) and
 * runs each line through dispatch() on a simulated device given to the
 * session as its device source.
 *
 * - On a device bound to a kernel driver, every command or action with
 *   CMD_WRITES is refused with VX_PERM and the driver's name, and no write
 *   reaches the device: also with --select, which lets selector writes
 *   through the pdev layer, so only dispatch() stands in the way.
 * - Each flag option is tried too: one that writes (check --active) must
 *   be marked so in the table and then counts as writing.
 * - Every other one is not refused; with --select it writes nothing but
 *   selector registers (and the config-access window that carries them),
 *   without it nothing at all. A row that writes without CMD_WRITES fails.
 * - On an unbound device the writing ones are not refused (the refusal is
 *   about the binding), and with --force on the bound one neither.
 *
 * A new argument kind needs a sample word below: the test says so. */
#include "check.h"
#include "cli/command.h"
#include "cli/dispatch.h"
#include "cli/session.h"
#include "dma/dma.h"
#include "sim/model.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADDR "0000:00:01.0"

/* The device source: a fresh entropy device model per session, bound to
 * a driver or not, its BARs reachable or not (then registers go through
 * the config-access window, which wraps the pdev's ops). */
struct source {
	bool bound, bars_hidden;
	struct pdev *dev; /* the last one opened */
	const struct pdev_ops *ops;
	void *priv;
	struct pdev dma_view; /* the model, for its DMA memory (src_dma) */
};

/* The model behind src->dev, even while the window wraps it. */
static struct pdev *model(struct source *src, struct pdev *view)
{
	*view = *src->dev;
	view->ops = src->ops;
	view->priv = src->priv;
	return view;
}

static int src_open(void *ctx, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	struct source *src = ctx;
	struct model_spec spec;

	model_spec_init(&spec, MODEL_ID_RNG, MODEL_MODERN);
	spec.addr = *a;
	spec.writable = true;
	if (src->bound)
		spec.driver = "virtio-pci";
	if (src->bars_hidden)
		spec.bar_why = "the BARs belong to the driver (test)";
	*out = model_pdev_new(&spec, e);
	if (!*out)
		return -1;
	model_use_builtin_handlers(*out);
	src->dev = *out;
	src->ops = (*out)->ops;
	src->priv = (*out)->priv;
	return 0;
}

/* The model's own bounded memory, found through the model even while the
 * window wraps p. */
static int src_dma(void *ctx, struct pdev *p, struct dma **out, struct verr *e)
{
	struct source *src = ctx;

	return dma_open_backend_ctx(p, &model_dma_backend, model(src, &src->dma_view), out, e);
}

/* One line of the test, as words. */
struct line {
	char *w[16];
	int n;
	char text[256];
	char opts[CMD_MAX_OPTS][48];
};

static void push(struct line *l, const char *w)
{
	if (l->n < 15)
		l->w[l->n++] = (char *)w;
	l->w[l->n] = NULL;
}

/* A word that parses as an argument of this kind, or NULL. */
static const char *sample(const char *kind)
{
	static const struct {
		const char *kind, *word;
	} samples[] = {
		{"device", ADDR},  {"queue", "0"},	     {"size", "8"},
		{"buffer", "w:8"}, {"feature", "VERSION_1"},
	};

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (strcmp(samples[i].kind, kind) == 0)
			return samples[i].word;
	return NULL;
}

/* Every required argument of a spec from `from` on, as samples; the last
 * one from `last` when the action says it is a word of that list. */
static bool add_args(struct line *l, const char *spec, int from, const struct choices *last)
{
	int min, max;
	char buf[64];

	spec_arity(spec, &min, &max);
	for (int i = from; i < min; i++) {
		const char *kind = spec_arg_kind(spec, i, buf, sizeof(buf));
		const char *w = last && i == min - 1 ? choice_name(last, 0)
				: kind		     ? sample(kind)
						     : NULL;

		if (!w) {
			check_fail("no sample word for argument kind '%s' (%s)", kind ? kind : "?",
				   spec);
			return false;
		}
		push(l, w);
	}
	return true;
}

/* "status 0000:00:01.0 reset": the command, its device, the action word
 * (word: for a word list) and its arguments. */
static bool build(struct line *l, const struct command *c, const struct cmd_action *act,
		  const char *word)
{
	size_t o = 0;

	l->n = 0;
	push(l, c->name);
	push(l, ADDR);
	if (!add_args(l, c->args, 1, NULL))
		return false;
	if (act)
		push(l, word ? word : act->name);
	if (act && !add_args(l, act->args, 0, act->value))
		return false;
	/* Numbers at the low end of their range: a bench of 1 ms, not 2 s. */
	for (size_t i = 0; i < command_opt_count(c) && l->n < 15; i++)
		if (c->opts[i].type == OPT_UINT) {
			snprintf(l->opts[i], sizeof(l->opts[i]), "--%s=%llu", c->opts[i].name,
				 (unsigned long long)c->opts[i].min);
			push(l, l->opts[i]);
		}
	for (int i = 0; i < l->n; i++)
		o += (size_t)snprintf(l->text + o, sizeof(l->text) - o, "%s%s", i ? " " : "",
				      l->w[i]);
	return true;
}

/* dispatch() with its output in a file; stderr's first line is kept. */
struct result {
	int rc;
	char err[512];
	size_t writes;	     /* model_write_count() */
	size_t non_selector; /* writes to anything but selectors and the cfg window */
};

static bool selector_write(const struct model_access *a)
{
	if (a->space == MODEL_SPACE_CFG)
		return strcmp(a->what, "cfg_cap") == 0 || strcmp(a->what, "cfg_window") == 0;
	return strstr(a->what, "select") != NULL;
}

static void run_line(struct session *s, struct source *src, struct line *l, struct result *r)
{
	FILE *tmp = tmpfile();
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	struct pdev view;
	size_t from = src->dev ? model_log_count(model(src, &view)) : 0;
	size_t before = src->dev ? model_write_count(model(src, &view)) : 0;

	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(fileno(tmp), 2);
	r->rc = dispatch(s, l->n, l->w, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	rewind(tmp);
	r->err[0] = '\0';
	if (!fgets(r->err, sizeof(r->err), tmp))
		r->err[0] = '\0';
	fclose(tmp);
	r->writes = r->non_selector = 0;
	if (!src->dev || !s->ndev)
		return;
	r->writes = model_write_count(model(src, &view)) - before;
	for (size_t i = from; i < model_log_count(model(src, &view)); i++) {
		const struct model_access *a = model_log_entry(model(src, &view), i);

		if (a->write && !selector_write(a))
			r->non_selector++;
	}
}

static void new_session(struct session *s, struct source *src, struct session_source *hook,
			bool bound, bool bars_hidden)
{
	*src = (struct source){.bound = bound, .bars_hidden = bars_hidden};
	*hook = (struct session_source){src_open, src_dma, src};
	session_init(s);
	s->sysfs_root = "/nonexistent";
	s->proc_root = "/nonexistent";
	s->source = hook;
	session_settle(s);
}

/* A ring of ours on queue 0, so post, kick and poll have something to
 * act on: set up with --force, as a user who means it would. */
static void with_ring(struct session *s, struct source *src)
{
	char *setup[] = {"vring", "--force", ADDR, "setup", "0", "8", NULL};
	struct line l = {.n = 6};
	struct result r;

	memcpy(l.w, setup, sizeof(setup));
	run_line(s, src, &l, &r);
	if (r.rc != VX_OK)
		printf("FAIL vring setup with --force: %s\n", r.err);
	CHECK_EQ(r.rc, VX_OK);
}

static int n_writing, n_reading;

/* One row on a bound device, with and without --select, with its BARs
 * reachable (a ring of ours set up first) and not. */
static void check_bound(struct line *l, bool writes)
{
	for (int v = 0; v < 4; v++) {
		bool select = v & 1, hidden = v & 2;
		struct session_source hook;
		struct source src;
		struct session s;
		struct result r;

		new_session(&s, &src, &hook, true, hidden);
		if (!hidden)
			with_ring(&s, &src);
		if (select)
			push(l, "--select");
		run_line(&s, &src, l, &r);
		if (select)
			l->w[--l->n] = NULL;
		printf("%s %s%s (bound%s): exit %d, %zu writes\n", writes ? "writes" : "reads ",
		       l->text, select ? " --select" : "", hidden ? ", BARs hidden" : "", r.rc,
		       r.writes);
		if (writes) {
			CHECK_EQ(r.rc, VX_PERM);
			CHECK(strstr(r.err, "is bound to kernel driver virtio-pci: refusing") !=
			      NULL);
			CHECK_EQ(r.writes, 0);
		} else {
			CHECK(r.rc != VX_PERM);
			CHECK(strstr(r.err, "refusing") == NULL);
			CHECK_EQ(r.non_selector, 0);
			if (!select)
				CHECK_EQ(r.writes, 0);
		}
		session_fini(&s);
	}
}

/* The writing rows are refused for the binding only: not on an unbound
 * device, and not with --force (a ring of ours set up first, so post,
 * kick and poll run too). */
static void check_allowed(struct line *l)
{
	for (int bound = 0; bound < 2; bound++) {
		struct session_source hook;
		struct source src;
		struct session s;
		struct result r;

		new_session(&s, &src, &hook, bound, false);
		with_ring(&s, &src);
		if (bound)
			push(l, "--force");
		run_line(&s, &src, l, &r);
		if (bound)
			l->w[--l->n] = NULL;
		printf("writes %s%s: exit %d, %zu writes\n", l->text,
		       bound ? " --force (bound)" : " (unbound)", r.rc, r.writes);
		if (r.rc == VX_PERM)
			printf("FAIL %s%s: %s", l->text, bound ? " --force" : " (unbound)", r.err);
		CHECK(r.rc != VX_PERM);
		session_fini(&s);
	}
}

static void check_case(const struct command *c, const struct cmd_action *act, const char *word)
{
	bool writes = command_writes(c, act);
	struct line l;

	if (!build(&l, c, act, word))
		return;
	check_bound(&l, writes);
	if (writes)
		check_allowed(&l);
	*(writes ? &n_writing : &n_reading) += 1;
}

/* Every flag option of a command without an action word, on its own: one
 * that makes the command write (check --active) must say so (.writes) and
 * then counts like CMD_WRITES (refused on a bound device, without a write,
 * allowed otherwise); one that does not say so must write nothing. */
static void check_flag_options(const struct command *c)
{
	for (size_t i = 0; i < command_opt_count(c); i++) {
		bool writes = command_writes(c, NULL) || c->opts[i].writes;
		char opt[64];
		struct line l;
		size_t o;

		if (c->opts[i].type != OPT_FLAG || !build(&l, c, NULL, NULL))
			continue;
		snprintf(opt, sizeof(opt), "--%s", c->opts[i].name);
		push(&l, opt);
		o = strlen(l.text);
		snprintf(l.text + o, sizeof(l.text) - o, " %s", opt);
		check_bound(&l, writes);
		if (writes)
			check_allowed(&l);
		*(writes ? &n_writing : &n_reading) += 1;
	}
}

/* What the rules rest on: a command that can write names its device. */
static void check_table_shape(const struct command *c)
{
	bool any_writes = command_writes(c, NULL);

	for (size_t i = 0; i < command_opt_count(c); i++)
		any_writes |= c->opts[i].writes;

	for (size_t i = 0; i < command_action_count(c); i++)
		any_writes |= command_writes(c, &c->actions[i]);
	if (any_writes && !(c->flags & CMD_DEVICE))
		printf("FAIL %s writes but names no device (CMD_DEVICE)\n", c->name);
	CHECK(!any_writes || (c->flags & CMD_DEVICE));
	CHECK(!any_writes || !(c->flags & CMD_SESSION));
	/* cmd_args has room for this many option values */
	CHECK(command_opt_count(c) <= CMD_MAX_OPTS);
}

static void test_every_row(void)
{
	size_t n;
	const struct command *t = commands(&n);

	for (size_t i = 0; i < n; i++) {
		const struct command *c = &t[i];

		check_table_shape(c);
		if (!(c->flags & CMD_DEVICE) || (c->flags & (CMD_HIDDEN | CMD_SESSION)))
			continue;
		if (c->run) {
			check_case(c, NULL, NULL);
			check_flag_options(c);
		}
		for (size_t k = 0; k < command_action_count(c); k++) {
			const struct cmd_action *act = &c->actions[k];

			for (unsigned v = 0; act->words && v < choice_end(act->words); v++)
				if (choice_name(act->words, v))
					check_case(c, act, choice_name(act->words, v));
			if (!act->words)
				check_case(c, act, NULL);
		}
	}
	/* The table as it stands: the walk reached the rows it should. */
	printf("%d writing and %d read-only lines\n", n_writing, n_reading);
	CHECK(n_writing >= 15); /* 7 status steps, set, negotiate, vring setup, post...bench,
				   check --active */
	CHECK(n_reading >= 9);	/* caps ... vendor, features, status, vring show */
}

/* -F: no device to write to, whatever the device would allow. */
static void test_dump_file(void)
{
	struct session_source hook;
	struct source src;
	struct session s;
	struct result r;
	struct line l = {.n = 0};

	new_session(&s, &src, &hook, false, false);
	s.dump_file = "dump.txt";
	push(&l, "status");
	push(&l, ADDR);
	push(&l, "reset");
	run_line(&s, &src, &l, &r);
	CHECK_EQ(r.rc, VX_PERM);
	CHECK(strstr(r.err, "a -F dump file has no device to write to") != NULL);
	CHECK_EQ(r.writes, 0);
	session_fini(&s);
}

int main(void)
{
	test_every_row();
	test_dump_file();
	return check_done();
}
