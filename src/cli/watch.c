#include "cli/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wdev *wsnap_add_dev(struct wsnap *s, const char *addr)
{
	struct wdev *d;

	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 8;
		struct wdev *n = realloc(s->d, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->d = n;
		s->cap = cap;
	}
	d = &s->d[s->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	return d;
}

static struct wval *add_val(struct wdev *d, const char *name)
{
	struct wval *v;

	if (d->n == d->cap) {
		unsigned cap = d->cap ? 2 * d->cap : 16;
		struct wval *n = realloc(d->v, cap * sizeof(*n));

		if (!n)
			return NULL;
		d->v = n;
		d->cap = cap;
	}
	v = &d->v[d->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

bool wdev_num(struct wdev *d, const char *name, uint64_t u)
{
	struct wval *v = add_val(d, name);

	if (v) {
		v->is_num = true;
		v->u = u;
	}
	return v != NULL;
}

bool wdev_str(struct wdev *d, const char *name, const char *s)
{
	struct wval *v = add_val(d, name);

	if (v && !(v->s = strdup(s))) {
		d->n--;
		return false;
	}
	return v != NULL;
}

void wsnap_free(struct wsnap *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		for (unsigned k = 0; k < s->d[i].n; k++)
			free(s->d[i].v[k].s);
		free(s->d[i].v);
	}
	free(s->d);
	memset(s, 0, sizeof(*s));
}

static const struct wval *find_val(const struct wdev *d, const char *name)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

static const struct wdev *find_dev(const struct wsnap *s, const char *addr)
{
	for (unsigned i = 0; s && i < s->n; i++)
		if (strcmp(s->d[i].addr, addr) == 0)
			return &s->d[i];
	return NULL;
}

static bool same(const struct wval *a, const struct wval *b)
{
	if (a->is_num != b->is_num)
		return false;
	return a->is_num ? a->u == b->u : strcmp(a->s, b->s) == 0;
}

static void put_val(struct rnode *row, const char *key, const struct wval *v)
{
	if (!v)
		r_null(row, key, key);
	else if (v->is_num)
		r_uint(row, key, key, v->u, NULL);
	else
		r_str(row, key, key, v->s);
}

static void row(struct rnode *rows, const char *time, const char *addr, const char *event,
		const char *field, const struct wval *old, const struct wval *cur)
{
	struct rnode *o = r_obj(rows, NULL, NULL);

	r_str(o, "time", "time", time);
	r_str(o, "address", "address", addr);
	r_str(o, "event", "event", event);
	r_str(o, "field", "field", field);
	put_val(o, "old", old);
	put_val(o, "new", cur);
}

static unsigned snapshot_rows(const struct wdev *d, const char *time, struct rnode *rows)
{
	for (unsigned i = 0; i < d->n; i++)
		row(rows, time, d->addr, "snapshot", d->v[i].name, NULL, &d->v[i]);
	return d->n;
}

static unsigned changes(const struct wdev *o, const struct wdev *c, const char *time,
			struct rnode *rows)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const struct wval *was = find_val(o, c->v[i].name);

		if (!was || !same(was, &c->v[i])) {
			row(rows, time, c->addr, "changed", c->v[i].name, was, &c->v[i]);
			n++;
		}
	}
	for (unsigned i = 0; i < o->n; i++) {
		if (!find_val(c, o->v[i].name)) {
			row(rows, time, c->addr, "changed", o->v[i].name, &o->v[i], NULL);
			n++;
		}
	}
	return n;
}

unsigned wsnap_events(const struct wsnap *old, const struct wsnap *cur, const char *time,
		      struct rnode *rows)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cur->n; i++) {
		const struct wdev *c = &cur->d[i], *o = find_dev(old, c->addr);

		if (!old) {
			n += snapshot_rows(c, time, rows);
		} else if (!o) {
			row(rows, time, c->addr, "appeared", NULL, NULL, NULL);
			n += 1 + snapshot_rows(c, time, rows);
		} else {
			n += changes(o, c, time, rows);
		}
	}
	for (unsigned i = 0; old && i < old->n; i++) {
		if (!find_dev(cur, old->d[i].addr)) {
			row(rows, time, old->d[i].addr, "disappeared", NULL, NULL, NULL);
			n++;
		}
	}
	return n;
}
