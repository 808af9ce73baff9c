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

int main(void)
{
	test_escaping();
	test_nulls();
	test_json();
	test_text();
	test_paths();
	test_move();
	return check_done();
}
