/* Runs the table: selection (--only), dependencies between checks, the
 * final reset after active checks, and the report (areas with failures
 * first, counts, verdict). */
#include "conform/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool pattern_matches(const char *pattern, const char *id)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, id, n - 1) == 0;
	return strcmp(pattern, id) == 0;
}

bool conform_pattern_valid(const char *pattern)
{
	size_t n;
	const struct conform_check *t = conform_checks(&n);

	for (size_t i = 0; i < n; i++)
		if (pattern_matches(pattern, t[i].id))
			return true;
	return false;
}

static bool selected(const struct conform_opts *o, const char *id)
{
	if (!o->only || o->nonly == 0)
		return true;
	for (size_t i = 0; i < o->nonly; i++)
		if (pattern_matches(o->only[i], id))
			return true;
	return false;
}

/* The first check named in `needs` that ran and failed, or NULL. */
static const char *blocked_by(const char *needs, const struct conform_check *t, size_t n,
			      const bool *ran, const struct ck_out *res)
{
	for (const char *p = needs; p && *p;) {
		size_t len = strcspn(p, " ");

		for (size_t j = 0; j < n; j++)
			if (ran[j] && res[j].result == CK_FAIL && strncmp(t[j].id, p, len) == 0 &&
			    t[j].id[len] == '\0')
				return t[j].id;
		p += len;
		p += strspn(p, " ");
	}
	return NULL;
}

/* The blocker is looked for only when the check would run and something
 * failed before it: under a read-only run every active check (all the
 * checks with `needs`) is skipped as active whatever failed, and the
 * search (a pass over the table per needed check) cost a few per cent of
 * a fuzz run whose device failed a check. */
static void run_one(struct ck_state *st, const struct conform_check *t, size_t n, size_t i,
		    const bool *ran, struct ck_out *res, bool any_failed)
{
	const struct conform_check *c = &t[i];
	const char *blocker;

	if (c->active && !st->env->active) {
		ck_skip(&res[i], CK_SKIP_ACTIVE, "drives the device: an active check");
		return;
	}
	blocker = any_failed ? blocked_by(c->needs, t, n, ran, res) : NULL;
	if (blocker)
		ck_skip(&res[i], CK_SKIP_DEPENDS, "builds on %s, which failed", blocker);
	else
		c->run(st, &res[i]);
}

static void count(const struct conform_check *c, const struct ck_out *o,
		  struct conform_summary *sum)
{
	sum->checks++;
	if (o->result == CK_PASS)
		sum->passed++;
	else if (o->result == CK_SKIP)
		sum->skipped++;
	else {
		sum->failed++;
		if (c->level == CK_MUST)
			sum->must_failed++;
		else
			sum->should_failed++;
	}
}

static void row(struct rnode *arr, const struct conform_check *c, const struct ck_out *o)
{
	struct rnode *r = r_obj(arr, NULL, NULL);
	bool fail = o->result == CK_FAIL, skip = o->result == CK_SKIP;

	r_str(r, "result", "result", ck_result_name(o->result));
	r_str(r, "level", "level", ck_level_name(c->level));
	r_str(r, "id", "check", c->id);
	r_str(r, "section", "section", c->section);
	r_str(r, "seen", "seen", fail ? o->seen : NULL);
	r_str(r, "required", "required", fail ? o->required : NULL);
	r_str(r, "skip_kind", "skip", skip ? ck_skip_name(o->skip) : NULL);
	r_str(r, "reason", "reason", skip ? o->reason : NULL);
}

/* Scratch for the report, n entries each: the area of each check (the
 * index of the first check of that area), the rows of one area, and
 * what each area holds. */
struct area_scratch {
	size_t *area_of, *rows;
	unsigned char *holds;
};

enum { HOLDS_RAN = 1, HOLDS_FAIL = 2 };

/* One area: its failures, then passes, then skips, each in table order.
 * The area's checks are gathered once; scanning the whole table for each
 * result kind of each area cost more than the rows themselves. */
static void add_area(struct rnode *areas, const struct conform_check *t, size_t n, const bool *ran,
		     const struct ck_out *res, const struct area_scratch *sc, size_t a)
{
	static const enum ck_result order[] = {CK_FAIL, CK_PASS, CK_SKIP};
	const char *area = t[a].area;
	struct rnode *ar = r_obj(areas, NULL, ck_area_title(area)), *rows;
	size_t k = 0;

	r_str(ar, "area", "area", area);
	rows = r_arr(ar, "results", "results", RF_TABLE);
	for (size_t i = a; i < n; i++) /* an area starts at its first check */
		if (ran[i] && sc->area_of[i] == a)
			sc->rows[k++] = i;
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t r = 0; r < k; r++)
			if (res[sc->rows[r]].result == order[o])
				row(rows, &t[sc->rows[r]], &res[sc->rows[r]]);
}

/* The table keeps an area's checks together and names it with one string
 * literal: the previous check's area and a pointer comparison settle
 * almost every check; strcmp keeps any order and spelling right. */
static size_t area_head(const struct conform_check *t, const size_t *area_of, size_t i)
{
	if (i > 0 && (t[i - 1].area == t[i].area || strcmp(t[i - 1].area, t[i].area) == 0))
		return area_of[i - 1];
	for (size_t j = 0; j < i; j++)
		if (area_of[j] == j && strcmp(t[j].area, t[i].area) == 0)
			return j;
	return i;
}

/* Areas in table order, those with a failure first. */
static void add_areas(struct rnode *out, const struct conform_check *t, size_t n, const bool *ran,
		      const struct ck_out *res, const struct area_scratch *sc)
{
	struct rnode *areas = r_arr(out, "areas", "Areas", 0);

	for (size_t i = 0; i < n; i++) {
		sc->area_of[i] = area_head(t, sc->area_of, i);
		sc->holds[i] = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (ran[i])
			sc->holds[sc->area_of[i]] |=
				HOLDS_RAN | (res[i].result == CK_FAIL ? HOLDS_FAIL : 0);
	for (int pass = 0; pass < 2; pass++)
		for (size_t a = 0; a < n; a++) {
			bool failing = sc->holds[a] & HOLDS_FAIL;

			if ((sc->holds[a] & HOLDS_RAN) && failing == (pass == 0))
				add_area(areas, t, n, ran, res, sc, a);
		}
}

static void add_summary(struct rnode *out, const struct conform_summary *s, bool strict)
{
	struct rnode *c = r_obj(out, "counts", "Counts"), *v;

	r_uint(c, "checks", "checks", s->checks, NULL);
	r_uint(c, "passed", "passed", s->passed, NULL);
	r_uint(c, "failed", "failed", s->failed, NULL);
	r_uint(c, "skipped", "skipped", s->skipped, NULL);
	r_uint(c, "must_failed", "MUST failed", s->must_failed, NULL);
	r_uint(c, "should_failed", "SHOULD failed", s->should_failed, NULL);
	v = r_str(out, "verdict", "Verdict", s->ok ? "pass" : "fail");
	r_annot(v, "%u checks: %u passed, %u failed (%u MUST, %u SHOULD%s), %u skipped", s->checks,
		s->passed, s->failed, s->must_failed, s->should_failed,
		strict ? ", SHOULD counted (strict)" : "", s->skipped);
}

int conform_run(const struct conform_env *env, const struct conform_opts *o, struct rnode *out,
		struct conform_summary *sum, struct verr *e)
{
	size_t n;
	const struct conform_check *t = conform_checks(&n);
	struct ck_state st = {.env = env, .v = env->v, .p = env->v->pci, .caps = &env->v->caps};
	/* not calloc: 57 results of 1.5 KB zeroed per device were a tenth of
	 * what `metrics` spent on a function; each result starts as a pass
	 * with empty texts, which is all a check relies on */
	struct ck_out *res = malloc(n * sizeof(*res));
	bool *ran = calloc(n, sizeof(*ran)), active_ran = false;
	size_t *idx = malloc(2 * n * sizeof(*idx));
	struct area_scratch sc = {idx, idx ? idx + n : NULL, malloc(n)};

	memset(sum, 0, sizeof(*sum));
	if (!res || !ran || !idx || !sc.holds) {
		free(res);
		free(ran);
		free(idx);
		free(sc.holds);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		res[i].result = CK_PASS;
		res[i].skip = CK_SKIP_NA;
		res[i].required[0] = res[i].seen[0] = '\0';
		res[i].no_text = out == NULL;
		if (!selected(o, t[i].id))
			continue;
		/* nothing failed yet: nothing can block */
		run_one(&st, t, n, i, ran, res, sum->failed > 0);
		ran[i] = true;
		active_ran |= t[i].active && env->active;
		count(&t[i], &res[i], sum);
	}
	if (active_ran)
		ck_active_finish(&st);
	sum->ok = sum->must_failed == 0 && (!o->strict || sum->should_failed == 0);
	if (out) { /* NULL: the counts alone (metrics) */
		add_areas(out, t, n, ran, res, &sc);
		add_summary(out, sum, o->strict);
	}
	ck_free_state(&st);
	free(res);
	free(ran);
	free(idx);
	free(sc.holds);
	return 0;
}

void conform_list(struct rnode *out)
{
	size_t n;
	const struct conform_check *t = conform_checks(&n);
	struct rnode *arr = r_arr(out, "checks", "Checks", RF_TABLE);

	for (size_t i = 0; i < n; i++) {
		struct rnode *r = r_obj(arr, NULL, NULL);

		r_str(r, "id", "check", t[i].id);
		r_str(r, "level", "level", ck_level_name(t[i].level));
		r_str(r, "section", "section", t[i].section);
		r_str(r, "area", "area", t[i].area);
		r_bool(r, "active", "active", t[i].active);
		r_str(r, "description", "description", t[i].desc);
	}
}
