#include "format/render.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *to_json(const struct rnode *n);

/* A document's object starts with the contract's version. */
static cJSON *container_to_json_doc(const struct rnode *n, bool doc)
{
	cJSON *j = n->kind == R_OBJ ? cJSON_CreateObject() : cJSON_CreateArray();

	if (doc && n->kind == R_OBJ)
		cJSON_AddNumberToObject(j, "schema_version", REPORT_SCHEMA_VERSION);
	for (const struct rnode *c = n->child; c; c = c->next) {
		cJSON *v = to_json(c);

		if (n->kind == R_OBJ)
			cJSON_AddItemToObject(j, c->key ? c->key : "", v);
		else
			cJSON_AddItemToArray(j, v);
	}
	return j;
}

static cJSON *container_to_json(const struct rnode *n)
{
	return container_to_json_doc(n, false);
}

/* Numbers go through double in cJSON; every integer the tool reports as a
 * number stays below 2^53 (64-bit values that may not are strings). */
static cJSON *to_json(const struct rnode *n)
{
	switch (n->kind) {
	case R_OBJ:
	case R_ARR:
		return container_to_json(n);
	case R_UINT:
		return cJSON_CreateNumber((double)n->v.u);
	case R_INT:
		return cJSON_CreateNumber((double)n->v.i);
	case R_BOOL:
		return cJSON_CreateBool(n->v.b);
	case R_STR:
		return cJSON_CreateString(n->v.s);
	case R_NULL:
		break;
	}
	return cJSON_CreateNull();
}

/* Every RF_UNKNOWN node under n, by its dotted path from the document
 * (array elements by index, as `expect` paths), mapped to why. */
static void collect_unavailable(const struct rnode *n, const char *path, cJSON *map)
{
	unsigned i = 0;

	for (const struct rnode *c = n->child; c; c = c->next, i++) {
		char sub[512];

		if (n->kind == R_OBJ)
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
				 c->key ? c->key : "");
		else
			snprintf(sub, sizeof(sub), "%s%s%u", path, *path ? "." : "", i);
		if (c->flags & RF_UNKNOWN)
			cJSON_AddItemToObject(map, sub, cJSON_CreateString(c->why ? c->why : ""));
		else
			collect_unavailable(c, sub, map);
	}
}

/* A document (the root object, or each object of a root array as in
 * `list`) says which of its fields could not be read and why. */
static void add_unavailable(const struct rnode *doc, cJSON *j)
{
	cJSON *map = cJSON_CreateObject();

	collect_unavailable(doc, "", map);
	if (map->child)
		cJSON_AddItemToObject(j, "unavailable", map);
	else
		cJSON_Delete(map);
}

static cJSON *document_to_json(const struct rnode *root)
{
	cJSON *j;

	if (root->kind == R_OBJ) {
		j = container_to_json_doc(root, true);
		add_unavailable(root, j);
	} else if (root->kind == R_ARR) {
		j = cJSON_CreateArray();
		for (const struct rnode *c = root->child; c; c = c->next) {
			cJSON *el = c->kind == R_OBJ ? container_to_json_doc(c, true) : to_json(c);

			if (c->kind == R_OBJ)
				add_unavailable(c, el);
			cJSON_AddItemToArray(j, el);
		}
	} else {
		j = to_json(root);
	}
	return j;
}

char *render_json_string(const struct rnode *root, bool pretty)
{
	cJSON *j = document_to_json(root);
	char *s = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

void render_json(FILE *f, const struct rnode *root, bool pretty)
{
	char *s = render_json_string(root, pretty);

	if (s) {
		fputs(s, f);
		fputc('\n', f);
	}
	cJSON_free(s);
}

void render(FILE *f, const struct rnode *root, const struct render_opts *o)
{
	if (o->format == OUT_JSON)
		render_json(f, root, o->pretty);
	else
		render_text(f, root);
}
