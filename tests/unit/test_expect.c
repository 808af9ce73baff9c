/* `expect` and the line splitter, on hand-made reports: operators, status
 * and feature names (by the report's device type), numbers held as hex
 * strings, signed values, null and booleans, and the exit statuses. */
#include "check.h"
#include "cli/dispatch.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rnode *report(void)
{
	struct rnode *root = r_new_root(), *q;

	r_str(root, "address", "Address", "0000:00:04.0");
	r_int(root, "virtio_device_id", NULL, 2); /* block */
	r_annot(r_uint(root, "device_status", "Status", 0x0b, "0x%02x"),
		"ACKNOWLEDGE DRIVER FEATURES_OK");
	/* VERSION_1 (32) and VIRTIO_BLK_F_FLUSH (9) */
	r_hex64(root, "driver_features", NULL, (1ull << 32) | (1ull << 9));
	r_int(root, "delta", NULL, -5);
	r_bool(root, "passed", NULL, true);
	r_bool(root, "refused", NULL, false);
	r_null(root, "driver", NULL);
	q = r_obj(r_arr(root, "queues", NULL, 0), NULL, NULL);
	r_uint(q, "size", NULL, 256, NULL);
	r_obj(root, "used", NULL);
	r_uint(r_find(root, "used"), "len", NULL, 64, NULL);
	return root;
}

static int expect(struct session *s, const char *expr)
{
	char line[256];

	snprintf(line, sizeof(line), "expect %s", expr);
	return dispatch_line(s, line, "test");
}

static const struct {
	const char *expr;
	int status;
} cases[] = {
	{"device_status & FEATURES_OK", VX_OK},
	{"device_status & ACKNOWLEDGE|DRIVER", VX_OK},
	{"device_status&DRIVER_OK", VX_EXPECT},
	{"device_status !& DRIVER_OK|FAILED", VX_OK},
	{"device_status !& DRIVER", VX_EXPECT},
	{"device_status == 0x0b", VX_OK},
	{"device_status == 11", VX_OK},
	{"device_status >= 12", VX_EXPECT},
	{"device_status != RESET", VX_OK},
	{"driver_features & VERSION_1", VX_OK},
	{"driver_features & VIRTIO_F_VERSION_1", VX_OK},
	{"driver_features & version_1", VX_OK},
	{"driver_features & FLUSH", VX_OK},
	{"driver_features & VIRTIO_BLK_F_FLUSH|VERSION_1", VX_OK},
	{"driver_features & RO", VX_EXPECT},
	{"driver_features !& RING_PACKED", VX_OK},
	{"driver_features == 0x100000200", VX_OK},
	{"driver_features > 0xffffffff", VX_OK},
	{"driver_features & NO_SUCH_FEATURE", VX_USAGE},
	{"delta < 0", VX_OK},
	{"delta == -5", VX_OK},
	{"delta > -6", VX_OK},
	{"delta >= 0", VX_EXPECT},
	{"passed", VX_OK},
	{"passed == true", VX_OK},
	{"refused", VX_EXPECT},
	{"refused == false", VX_OK},
	{"driver", VX_EXPECT},
	{"driver == null", VX_OK},
	{"address != null", VX_OK},
	{"driver != null", VX_EXPECT},
	{"address == 0000:00:04.0", VX_OK},
	{"address == \"0000:00:04.0\"", VX_OK},
	{"address != 0000:00:05.0", VX_OK},
	{"address > 1", VX_USAGE},
	{"queues.0.size == 256", VX_OK},
	{"queues.1.size == 256", VX_EXPECT},
	{"used.len >= 16", VX_OK},
	{"used.len < 16", VX_EXPECT},
	{"used", VX_OK},
	{"used == 1", VX_USAGE},
	{"status & FEATURES_OK", VX_EXPECT},
	{"", VX_USAGE},
};

static void test_expect(void)
{
	struct session s;

	session_init(&s);
	s.mode = MODE_SCRIPT;
	CHECK_EQ(expect(&s, "address"), VX_EXPECT); /* no result yet */
	session_set_result(&s, report());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = expect(&s, cases[i].expr);

		if (got != cases[i].status)
			fprintf(stderr, "# expect %s: %d, want %d\n", cases[i].expr, got,
				cases[i].status);
		CHECK_EQ(got, cases[i].status);
	}
	/* Failed expectations leave the result for the next one. */
	CHECK(s.last != NULL);
	session_fini(&s);
}

static void test_split(void)
{
	struct verr e = {0};
	char **v;
	int n;

	CHECK(line_split("  post 0 'r:de ad'  \"w:\\\"4\" a\\ b # comment", &n, &v, &e) == 0);
	CHECK_EQ(n, 5);
	CHECK_STR(v[0], "post");
	CHECK_STR(v[2], "r:de ad");
	CHECK_STR(v[3], "w:\"4");
	CHECK_STR(v[4], "a b");
	CHECK(v[5] == NULL);
	free(v);
	CHECK(line_split("# only a comment", &n, &v, &e) == 0 && n == 0);
	free(v);
	CHECK(line_split("", &n, &v, &e) == 0 && n == 0);
	free(v);
	CHECK(line_split("a#b ''", &n, &v, &e) == 0 && n == 2);
	CHECK_STR(v[0], "a#b");
	CHECK_STR(v[1], "");
	free(v);
	CHECK(line_split("echo 'open", &n, &v, &e) == -1);
	CHECK_EQ(e.code, VX_USAGE);
}

int main(void)
{
	test_split();
	test_expect();
	return check_done();
}
