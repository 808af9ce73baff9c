#include "format/jsondiff.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

/* Keys that identify an element of an array of objects, in the order
 * they are tried. */
static const char *const id_keys[] = {"bit", "index", "offset", "vector", "irq", "address", NULL};

struct walk {
	struct rnode *out;
	const char *const *ignore;
	unsigned n;
};

static void add(struct walk *w, const char *path, const cJSON *a, const cJSON *b)
{
	struct rnode *o = r_obj(w->out, NULL, NULL);
	char *ta = a ? cJSON_PrintUnformatted(a) : NULL;
	char *tb = b ? cJSON_PrintUnformatted(b) : NULL;

	r_str(o, "path", "path", path);
	r_str(o, "a", "a", ta);
	r_str(o, "b", "b", tb);
	free(ta);
	free(tb);
	w->n++;
}

static void walk(struct walk *w, const char *path, const cJSON *a, const cJSON *b);

static void join(char *buf, const char *path, const char *key)
{
	snprintf(buf, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", key);
}

static bool is_ignored(const char *key, const char *const *ignore)
{
	for (; ignore && *ignore; ignore++)
		if (strcmp(*ignore, key) == 0)
			return true;
	return false;
}

static void objects(struct walk *w, const char *path, const cJSON *a, const cJSON *b)
{
	const char *const *ignore = w->ignore;
	char sub[PATH_MAX_LEN];
	const cJSON *x;

	cJSON_ArrayForEach(x, a)
	{
		if (is_ignored(x->string, ignore))
			continue;
		join(sub, path, x->string);
		walk(w, sub, x, cJSON_GetObjectItemCaseSensitive(b, x->string));
	}
	cJSON_ArrayForEach(x, b)
	{
		if (is_ignored(x->string, ignore) || cJSON_GetObjectItemCaseSensitive(a, x->string))
			continue;
		join(sub, path, x->string);
		add(w, sub, NULL, x);
	}
}

/* The element of arr whose `key` equals v (compared as JSON). */
static const cJSON *find_by(const cJSON *arr, const char *key, const cJSON *v)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, arr) if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(x, key), v,
						     true)) return x;
	return NULL;
}

/* True when every element of arr is an object with a unique scalar key. */
static bool keyed_by(const cJSON *arr, const char *key)
{
	const cJSON *x, *y;

	cJSON_ArrayForEach(x, arr)
	{
		const cJSON *v =
			cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, key) : NULL;

		if (!v || cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v))
			return false;
		for (y = x->next; y; y = y->next)
			if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(y, key), v, true))
				return false;
	}
	return true;
}

static const char *array_key(const cJSON *a, const cJSON *b)
{
	if (!cJSON_GetArraySize(a) && !cJSON_GetArraySize(b))
		return NULL;
	for (const char *const *k = id_keys; *k; k++)
		if (keyed_by(a, *k) && keyed_by(b, *k))
			return *k;
	return NULL;
}

static void element_path(char *buf, const char *path, const char *key, const cJSON *v)
{
	char *t = cJSON_PrintUnformatted(v);

	/* strings unquoted: [address=0000:00:02.0] */
	if (t && cJSON_IsString(v))
		snprintf(buf, PATH_MAX_LEN, "%s[%s=%s]", path, key, v->valuestring);
	else
		snprintf(buf, PATH_MAX_LEN, "%s[%s=%s]", path, key, t ? t : "?");
	free(t);
}

static void keyed_arrays(struct walk *w, const char *path, const cJSON *a, const cJSON *b,
			 const char *key)
{
	char sub[PATH_MAX_LEN];
	const cJSON *x;

	cJSON_ArrayForEach(x, a)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, key);

		element_path(sub, path, key, id);
		walk(w, sub, x, find_by(b, key, id));
	}
	cJSON_ArrayForEach(x, b)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, key);

		if (find_by(a, key, id))
			continue;
		element_path(sub, path, key, id);
		add(w, sub, NULL, x);
	}
}

static void arrays(struct walk *w, const char *path, const cJSON *a, const cJSON *b)
{
	const char *key = array_key(a, b);
	int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
	char sub[PATH_MAX_LEN];

	if (key) {
		keyed_arrays(w, path, a, b, key);
		return;
	}
	for (int i = 0; i < na || i < nb; i++) {
		char idx[16];

		snprintf(idx, sizeof(idx), "%d", i);
		join(sub, path, idx);
		walk(w, sub, i < na ? cJSON_GetArrayItem(a, i) : NULL,
		     i < nb ? cJSON_GetArrayItem(b, i) : NULL);
	}
}

static void walk(struct walk *w, const char *path, const cJSON *a, const cJSON *b)
{
	if (a && b && cJSON_IsObject(a) && cJSON_IsObject(b))
		objects(w, path, a, b);
	else if (a && b && cJSON_IsArray(a) && cJSON_IsArray(b))
		arrays(w, path, a, b);
	else if (!a || !b || !cJSON_Compare(a, b, true))
		add(w, path, a, b);
}

unsigned json_diff(const cJSON *a, const cJSON *b, const char *const *ignore, struct rnode *out)
{
	struct walk w = {out, ignore, 0};

	walk(&w, "", a, b);
	return w.n;
}
