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

static void run_one(struct ck_state *st, const struct conform_check *c, const char *blocker,
		    struct ck_out *o)
{
	if (c->active && !st->env->active)
		ck_skip(o, CK_SKIP_ACTIVE, "drives the device: an active check");
	else if (blocker)
		ck_skip(o, CK_SKIP_DEPENDS, "builds on %s, which failed", blocker);
	else
		c->run(st, o);
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

/* One area: its failures, then passes, then skips. */
static void add_area(struct rnode *areas, const struct conform_check *t, size_t n, const bool *ran,
		     const struct ck_out *res, const size_t *area_of, size_t a)
{
	static const enum ck_result order[] = {CK_FAIL, CK_PASS, CK_SKIP};
	const char *area = t[a].area;
	struct rnode *ar = r_obj(areas, NULL, ck_area_title(area)), *rows;

	r_str(ar, "area", "area", area);
	rows = r_arr(ar, "results", "results", RF_TABLE);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < n; i++)
			if (ran[i] && area_of[i] == a && res[i].result == order[k])
				row(rows, &t[i], &res[i]);
}

/* Areas in table order, those with a failure first. Each check's area is
 * named by the first check of that area (area_of, n entries): comparing
 * area names pairwise for every check of every area was most of the cost
 * of a report. */
static void add_areas(struct rnode *out, const struct conform_check *t, size_t n, const bool *ran,
		      const struct ck_out *res, size_t *area_of)
{
	struct rnode *areas = r_arr(out, "areas", "Areas", 0);

	for (size_t i = 0; i < n; i++) {
		area_of[i] = i;
		for (size_t j = 0; j < i; j++)
			if (area_of[j] == j && strcmp(t[j].area, t[i].area) == 0) {
				area_of[i] = j;
				break;
			}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t a = 0; a < n; a++) {
			bool any = false, failing = false;

			if (area_of[a] != a)
				continue;
			for (size_t i = a; i < n; i++)
				if (ran[i] && area_of[i] == a) {
					any = true;
					failing |= res[i].result == CK_FAIL;
				}
			if (any && failing == (pass == 0))
				add_area(areas, t, n, ran, res, area_of, a);
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
	size_t *area_of = calloc(n, sizeof(*area_of));

	memset(sum, 0, sizeof(*sum));
	if (!res || !ran || !area_of) {
		free(res);
		free(ran);
		free(area_of);
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
		run_one(&st, &t[i], sum->failed ? blocked_by(t[i].needs, t, n, ran, res) : NULL,
			&res[i]);
		ran[i] = true;
		active_ran |= t[i].active && env->active;
		count(&t[i], &res[i], sum);
	}
	if (active_ran)
		ck_active_finish(&st);
	sum->ok = sum->must_failed == 0 && (!o->strict || sum->should_failed == 0);
	if (out) { /* NULL: the counts alone (metrics) */
		add_areas(out, t, n, ran, res, area_of);
		add_summary(out, sum, o->strict);
	}
	ck_free_state(&st);
	free(res);
	free(ran);
	free(area_of);
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
