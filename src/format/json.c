#include "format/render.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *to_json(const struct rnode *n);

static cJSON *container_to_json(const struct rnode *n)
{
	cJSON *j = n->kind == R_OBJ ? cJSON_CreateObject() : cJSON_CreateArray();

	for (const struct rnode *c = n->child; c; c = c->next) {
		cJSON *v = to_json(c);

		if (n->kind == R_OBJ)
			cJSON_AddItemToObject(j, c->key ? c->key : "", v);
		else
			cJSON_AddItemToArray(j, v);
	}
	return j;
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

char *render_json_string(const struct rnode *root, bool pretty)
{
	cJSON *j = to_json(root);
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
