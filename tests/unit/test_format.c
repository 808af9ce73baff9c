/* The report tree and its two renderers: JSON parses back to the values
 * put in, and text shows every scalar with its label. */
#include "check.h"
#include "format/render.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rnode *sample(void)
{
	struct rnode *root = r_new_root(), *o, *t, *row;
	const uint8_t bytes[20] = {'v', 'i', 'r', 't', 'i', 'o', 0, 1, 2, 0xff};

	r_str(root, "address", "Address", "0000:00:04.0");
	r_annot(r_uint(root, "device_status", "Status", 0x0f, "0x%02x"), "ACKNOWLEDGE DRIVER");
	r_hex64(root, "device_features", "Device features", 0x130000000ull);
	r_bool(root, "enabled", "Enabled", true);
	r_int(root, "delta", NULL, -5);
	r_null(root, "driver", "Driver");
	o = r_obj(root, "config", "Config");
	r_uint(o, "capacity", "Capacity", 1ull << 40, NULL);
	r_bytes(o, "raw", "Raw", bytes, sizeof(bytes));
	t = r_arr(root, "queues", "Queues", RF_TABLE);
	for (unsigned q = 0; q < 3; q++) {
		row = r_obj(t, NULL, NULL);
		r_uint(row, "index", "queue", q, NULL);
		r_uint(row, "size", "size", 256u >> q, NULL);
	}
	r_str(r_arr(root, "notes", "Notes", RF_LINES), NULL, NULL, "first note");
	return root;
}

static void test_json(void)
{
	struct rnode *root = sample();
	char *s = render_json_string(root, false);
	cJSON *j = cJSON_Parse(s), *q;

	CHECK(j != NULL);
	CHECK_STR(cJSON_GetObjectItem(j, "address")->valuestring, "0000:00:04.0");
	CHECK_EQ(cJSON_GetObjectItem(j, "device_status")->valuedouble, 15);
	CHECK_STR(cJSON_GetObjectItem(j, "device_features")->valuestring, "0x0000000130000000");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "enabled")));
	CHECK_EQ((int64_t)cJSON_GetObjectItem(j, "delta")->valuedouble, (uint64_t)-5);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "driver")));
	CHECK_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "capacity")->valuedouble,
		 1ull << 40);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "raw")->valuestring,
		  "76697274696f000102ff00000000000000000000");
	q = cJSON_GetObjectItem(j, "queues");
	CHECK_EQ(cJSON_GetArraySize(q), 3);
	CHECK_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(q, 2), "size")->valuedouble, 64);
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "notes"), 0)->valuestring,
		  "first note");
	/* The annotation is for people only. */
	CHECK(strstr(s, "ACKNOWLEDGE") == NULL);
	cJSON_Delete(j);
	cJSON_free(s);
	r_free(root);
}

static char *text_of(const struct rnode *root)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	render_text(f, root);
	fclose(f);
	return buf;
}

static void test_text(void)
{
	struct rnode *root = sample();
	char *t = text_of(root);

	CHECK(strstr(t, "Address:         0000:00:04.0\n") != NULL);
	CHECK(strstr(t, "Status:          0x0f (ACKNOWLEDGE DRIVER)\n") != NULL);
	CHECK(strstr(t, "Device features: 0x0000000130000000\n") != NULL);
	CHECK(strstr(t, "Enabled:         yes\n") != NULL);
	CHECK(strstr(t, "delta:           -5\n") != NULL);
	CHECK(strstr(t, "Driver:          n/a\n") != NULL);
	CHECK(strstr(t, "Config:\n  Capacity: 1099511627776\n") != NULL);
	CHECK(strstr(t, "  Raw:\n    0000: 76 69 72 74 69 6f 00 01 02 ff 00 00 00 00 00 00  "
			"|virtio..........|\n    0010: 00 00 00 00") != NULL);
	CHECK(strstr(t, "Queues:\n  queue  size\n  0      256\n  1      128\n  2      64\n") !=
	      NULL);
	CHECK(strstr(t, "Notes:\n  first note\n") != NULL);
	if (!strstr(t, "Queues:\n  queue"))
		printf("%s", t);
	free(t);
	r_free(root);
}

static void test_paths(void)
{
	struct rnode *root = sample();

	CHECK_EQ(r_path(root, "queues.1.size")->v.u, 128);
	CHECK_EQ(r_path(root, "config.capacity")->v.u, 1ull << 40);
	CHECK(r_path(root, "queues.7.size") == NULL);
	CHECK(r_path(root, "nope") == NULL);
	CHECK_EQ(r_count(r_find(root, "queues")), 3);
	r_free(root);
}

/* The reference: the tree through cJSON, as the renderer used to do it. */
static cJSON *to_cjson(const struct rnode *n)
{
	cJSON *j;

	switch (n->kind) {
	case R_OBJ:
	case R_ARR:
		j = n->kind == R_OBJ ? cJSON_CreateObject() : cJSON_CreateArray();
		for (const struct rnode *c = n->child; c; c = c->next) {
			if (n->kind == R_OBJ)
				cJSON_AddItemToObject(j, c->key ? c->key : "", to_cjson(c));
			else
				cJSON_AddItemToArray(j, to_cjson(c));
		}
		return j;
	case R_UINT:
		return cJSON_CreateNumber((double)n->v.u);
	case R_INT:
		return cJSON_CreateNumber((double)n->v.i);
	case R_DOUBLE:
		return cJSON_CreateNumber(n->v.d);
	case R_BOOL:
		return cJSON_CreateBool(n->v.b);
	case R_STR:
		return cJSON_CreateString(n->v.s);
	case R_NULL:
		break;
	}
	return cJSON_CreateNull();
}

/* The document as the cJSON renderer made it: the contract's version
 * first, then the members, then "unavailable" (paths of unknown values). */
static void unavailable_cjson(const struct rnode *n, const char *path, cJSON *map)
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
			unavailable_cjson(c, sub, map);
	}
}

static cJSON *doc_cjson(const struct rnode *n)
{
	cJSON *j, *map;

	if (n->kind != R_OBJ)
		return to_cjson(n);
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "schema_version", REPORT_SCHEMA_VERSION);
	for (const struct rnode *c = n->child; c; c = c->next)
		cJSON_AddItemToObject(j, c->key ? c->key : "", to_cjson(c));
	map = cJSON_CreateObject();
	unavailable_cjson(n, "", map);
	if (map->child)
		cJSON_AddItemToObject(j, "unavailable", map);
	else
		cJSON_Delete(map);
	return j;
}

static cJSON *root_cjson(const struct rnode *root)
{
	cJSON *j;

	if (root->kind != R_ARR)
		return doc_cjson(root);
	j = cJSON_CreateArray();
	for (const struct rnode *c = root->child; c; c = c->next)
		cJSON_AddItemToArray(j, doc_cjson(c));
	return j;
}

static void same_as_cjson(const struct rnode *root, const char *what)
{
	for (int pretty = 0; pretty < 2; pretty++) {
		cJSON *j = root_cjson(root);
		char *want = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
		char *got = render_json_string(root, pretty);

		if (!got || !want || strcmp(got, want) != 0)
			printf("FAIL %s (%s): got\n%s\nwant\n%s\n", what,
			       pretty ? "pretty" : "compact", got ? got : "(null)",
			       want ? want : "(null)");
		CHECK(got && want && strcmp(got, want) == 0);
		free(got);
		cJSON_free(want);
		cJSON_Delete(j);
	}
}

/* The renderer writes JSON itself; its output must stay byte for byte
 * what cJSON printed before (scripts may compare it). */
static void test_json_like_cjson(void)
{
	static const uint64_t nums[] = {0,
					1,
					255,
					2147483647,
					2147483648u,
					4294967295u,
					1099511627776ull,
					999999999999999ull,
					1000000000000000ull,
					1000000000000001ull,
					4503599627370497ull,
					9007199254740991ull,
					9007199254740993ull,
					UINT64_MAX};
	static const int64_t ints[] = {
		-1,	   -2147483648ll, -2147483649ll, -999999999999999ll, -1000000000000000ll,
		INT64_MIN, INT64_MAX};
	struct rnode *root = sample(), *o, *a, *e;
	char ctl[40];

	for (unsigned i = 0; i < 31; i++)
		ctl[i] = (char)(i + 1);
	memcpy(ctl + 31, "\"\\/\x7f\xc3\xa9x", 7);
	ctl[38] = '\0'; /* 31 control bytes, 7 more, the end */
	r_str(root, "control bytes", NULL, ctl);
	/* an escape at each place of the first two 8-byte words (the writer
	 * tests words at a time), next to bytes above 0x7f */
	for (unsigned pos = 0; pos < 17; pos++)
		for (unsigned k = 0; k < 3; k++) {
			char str[24], key[16];

			memset(str, pos % 2 ? 'a' : (char)0xe9, 20);
			str[20] = '\0';
			str[pos] = "\"\\\x1f"[k];
			snprintf(key, sizeof(key), "esc%u.%u", pos, k);
			r_str(root, key, NULL, str);
		}
	r_str(root, "", NULL, "");
	r_str(root, "k\"ey\n", NULL, "v");
	a = r_arr(root, "numbers", NULL, 0);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		r_uint(a, NULL, NULL, nums[i], NULL);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		r_int(a, NULL, NULL, ints[i]);
	r_obj(root, "empty_obj", NULL);
	r_arr(root, "empty_arr", NULL, 0);
	o = r_obj(r_obj(root, "deep", NULL), "deeper", NULL);
	e = r_arr(o, "mixed", NULL, 0);
	r_obj(e, NULL, NULL);
	r_arr(e, NULL, NULL, 0);
	r_bool(r_obj(e, NULL, NULL), "x", NULL, false);
	r_null(e, NULL, NULL);
	r_unknown(root, "gone", "Gone", "not read (test)");
	r_unknown(r_obj(o, "sub", NULL), "x", NULL, "why \"quoted\"");
	r_unknown(r_arr(o, "arr", NULL, 0), NULL, NULL, "element");
	same_as_cjson(root, "sample");
	r_free(root);
	root = r_new_root_array(0);
	same_as_cjson(root, "empty array root");
	r_uint(r_obj(root, NULL, NULL), "a", NULL, 1, NULL);
	r_unknown(r_obj(root, NULL, NULL), "b", NULL, "b unknown");
	r_obj(root, NULL, NULL);
	r_uint(root, NULL, NULL, 5, NULL);
	same_as_cjson(root, "array of documents");
	r_free(root);
	root = r_new_root();
	same_as_cjson(root, "empty object root");
	r_free(root);
}

/* Moving between two reports copies into the new one, which then
 * survives the old one. */
static void test_move_between(void)
{
	struct rnode *root = r_new_root(), *scratch = r_new_root(), *o, *moved;
	char *s;

	o = r_obj(scratch, "ext", "Ext");
	r_annot(r_uint(o, "n", "N", 7, "0x%x"), "seven");
	r_str(r_arr(o, "l", NULL, RF_LINES), NULL, NULL, "line");
	moved = r_move(o, root);
	CHECK(scratch->child == NULL);
	r_free(scratch);
	CHECK(moved && moved->parent == root && root->child == moved);
	CHECK_STR(r_path(root, "ext.n")->fmt, "0x%x");
	CHECK_STR(r_path(root, "ext.n")->annot, "seven");
	s = render_json_string(root, false);
	CHECK_STR(s, "{\"schema_version\":1,\"ext\":{\"n\":7,\"l\":[\"line\"]}}");
	free(s);
	r_free(root);
}

/* A whole report (a root) moved into another joins its memory: nothing
 * is copied, the nodes are the same, allocation in either part goes on,
 * and freeing the new root frees both (the sanitizer run and valgrind see
 * any leak or double free). An incomplete one leaves the new one marked. */
static void test_move_root(void)
{
	struct rnode *root = r_new_root(), *doc = r_new_root(), *arr, *n, *big;
	char *s;

	arr = r_arr(root, "devices", NULL, 0);
	n = r_str(doc, "name", NULL, "first");
	/* enough to take the document past its first chunk */
	big = r_arr(doc, "many", NULL, RF_LINES);
	for (unsigned i = 0; i < 500; i++)
		r_strf(big, NULL, NULL, "line %u", i);
	CHECK(r_move(doc, arr) == doc);
	CHECK(doc->parent == arr && arr->child == doc);
	CHECK(r_path(root, "devices.0.name") == n);
	r_str(doc, "after", NULL, "added");
	r_str(root, "tail", NULL, "also");
	CHECK(r_complete(root));
	s = render_json_string(root, false);
	CHECK(strstr(s, "\"name\":\"first\"") && strstr(s, "\"line 499\"") &&
	      strstr(s, "\"after\":\"added\"") && strstr(s, "\"tail\":\"also\""));
	cJSON_free(s);
	r_free(root);

	root = r_new_root();
	doc = r_new_root();
	doc->flags |= RF_OOM;
	r_move(doc, root);
	CHECK(!r_complete(root));
	r_free(root);
}

static void test_move(void)
{
	struct rnode *root = r_new_root(), *scratch = r_new_root();
	struct rnode *notes = r_arr(scratch, "notes", NULL, RF_LINES);
	char *s;

	r_str(notes, NULL, NULL, "x");
	r_uint(root, "a", NULL, 1, NULL);
	r_move(notes, root);
	CHECK(scratch->child == NULL && scratch->last == NULL);
	s = render_json_string(root, false);
	CHECK_STR(s, "{\"schema_version\":1,\"a\":1,\"notes\":[\"x\"]}");
	cJSON_free(s);
	r_free(scratch);
	r_free(root);
}

/* Three kinds of null, three words in text; JSON says null for each and
 * lists the unknown ones, by path, in the document's "unavailable". */
static void test_nulls(void)
{
	struct rnode *root = r_new_root(), *arr = r_new_root_array(RF_TABLE), *t, *row;
	char *txt, *s;
	cJSON *j, *u;

	r_null(root, "multiplier", "Multiplier");
	r_none(root, "driver", "Driver");
	r_unknown(root, "features", "Features", "registers not reachable");
	r_arr(root, "empty", "Empty", RF_INLINE);
	t = r_arr(root, "queues", "Queues", RF_TABLE);
	row = r_obj(t, NULL, NULL);
	r_uint(row, "index", "queue", 0, NULL);
	r_unknownf(row, "size", "size", "queue %d not selected", 0);
	txt = text_of(root);
	CHECK(strstr(txt, "Multiplier: n/a\n") != NULL);
	CHECK(strstr(txt, "Driver:     none\n") != NULL);
	CHECK(strstr(txt, "Features:   unknown (registers not reachable)\n") != NULL);
	CHECK(strstr(txt, "\nEmpty") && strstr(strstr(txt, "\nEmpty"), " none\n"));
	CHECK(strstr(txt, "  size unknown: queue 0 not selected\n") != NULL);
	CHECK(strstr(txt, "  0      unknown\n") != NULL);
	s = render_json_string(root, false);
	j = cJSON_Parse(s);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "multiplier")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "features")));
	CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "empty")), 0);
	u = cJSON_GetObjectItem(j, "unavailable");
	CHECK(u != NULL);
	CHECK_EQ(cJSON_GetArraySize(u), 2);
	CHECK_STR(cJSON_GetObjectItem(u, "features")->valuestring, "registers not reachable");
	CHECK_STR(cJSON_GetObjectItem(u, "queues.0.size")->valuestring, "queue 0 not selected");
	cJSON_Delete(j);
	cJSON_free(s);
	free(txt);
	/* a root array: each element object is a document of its own */
	row = r_obj(arr, NULL, NULL);
	r_str(row, "transport", "transport", "modern");
	row = r_obj(arr, NULL, NULL);
	r_unknown(row, "transport", "transport", "caps not read");
	s = render_json_string(arr, false);
	j = cJSON_Parse(s);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "unavailable") == NULL);
	u = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "unavailable");
	CHECK_STR(cJSON_GetObjectItem(u, "transport")->valuestring, "caps not read");
	cJSON_Delete(j);
	cJSON_free(s);
	r_free(root);
	r_free(arr);
}

/* Device strings, sysfs names, arguments: text shows control bytes
 * escaped, JSON carries the string itself (escaped the JSON way). */
static void test_escaping(void)
{
	struct rnode *root = r_new_root(), *t;
	char *txt, *s;
	cJSON *j;

	r_str(root, "tag", "Tag", "fs\x1b[2J\x07");
	r_annot(r_uint(root, "n", "N", 1, NULL), "port \x1b]0;x\x07");
	r_unknown(root, "u", "U", "file a\nb");
	t = r_arr(root, "ports", "Ports", RF_TABLE);
	r_str(r_obj(t, NULL, NULL), "name", "name", "con\rsole");
	r_str(r_arr(root, "notes", "Notes", RF_LINES), NULL, NULL, "note\x1b[1m");
	txt = text_of(root);
	CHECK(strstr(txt, "fs\\x1b[2J\\x07\n") != NULL);
	CHECK(strstr(txt, "(port \\x1b]0;x\\x07)") != NULL);
	CHECK(strstr(txt, "(file a\\x0ab)") != NULL);
	CHECK(strstr(txt, "con\\x0dsole") != NULL);
	CHECK(strstr(txt, "note\\x1b[1m") != NULL);
	for (const char *p = txt; *p; p++)
		CHECK((unsigned char)*p >= 0x20 || *p == '\n');
	s = render_json_string(root, false);
	j = cJSON_Parse(s);
	CHECK_STR(cJSON_GetObjectItem(j, "tag")->valuestring, "fs\x1b[2J\x07");
	cJSON_Delete(j);
	cJSON_free(s);
	free(txt);
	r_free(root);
}

/* The writers that replaced printf (issue 13): hex at both ends of the
 * range, no bytes, array indices of more than one digit in the paths of
 * "unavailable". */
static void test_hex_and_indices(void)
{
	struct rnode *root = r_new_root(), *a = r_arr(root, "a", NULL, 0);
	char *s;

	r_hex64(root, "lo", NULL, 0);
	r_hex64(root, "hi", NULL, UINT64_MAX);
	r_bytes(root, "none", NULL, NULL, 0);
	r_bytes(root, "ends", NULL, (const uint8_t[]){0x00, 0x0f, 0xf0, 0xff}, 4);
	for (unsigned i = 0; i < 12; i++)
		if (i == 0 || i == 10 || i == 11)
			r_unknown(a, NULL, NULL, "gone");
		else
			r_uint(a, NULL, NULL, i, NULL);
	s = render_json_string(root, false);
	CHECK_STR(s, "{\"schema_version\":1,\"a\":[null,1,2,3,4,5,6,7,8,9,null,null],"
		     "\"lo\":\"0x0000000000000000\",\"hi\":\"0xffffffffffffffff\","
		     "\"none\":\"\",\"ends\":\"000ff0ff\","
		     "\"unavailable\":{\"a.0\":\"gone\",\"a.10\":\"gone\",\"a.11\":\"gone\"}}");
	CHECK(r_path(root, "ends")->flags & RF_HEXDUMP);
	cJSON_free(s);
	r_free(root);
}

/* The printf-free variants keep what the formatted ones keep: the same
 * string, cut at 1023 bytes. */
static void test_cat_variants(void)
{
	struct rnode *root = r_new_root(), *n;
	char long_why[1100];

	memset(long_why, 'w', sizeof(long_why) - 1);
	long_why[sizeof(long_why) - 1] = '\0';
	n = r_unknown_cat(root, "a", NULL, "registers not read: ", "no BAR");
	CHECK_STR(n->why, "registers not read: no BAR");
	n = r_unknown_cat(root, "b", NULL, "x: ", long_why);
	CHECK_EQ(strlen(n->why), 1023);
	CHECK(strncmp(n->why, "x: www", 6) == 0);
	n = r_annot_str(r_uint(root, "c", NULL, 1, NULL), "one");
	CHECK_STR(n->annot, "one");
	CHECK_EQ(strlen(r_annot_str(n, long_why)->annot), 1023);
	CHECK(r_annot_str(NULL, "x") == NULL);
	CHECK(r_unknown_cat(NULL, "d", NULL, "a", "b") == NULL);
	r_free(root);
}

int main(void)
{
	test_cat_variants();
	test_hex_and_indices();
	test_escaping();
	test_nulls();
	test_json();
	test_text();
	test_paths();
	test_move();
	test_json_like_cjson();
	test_move_between();
	test_move_root();
	return check_done();
}
