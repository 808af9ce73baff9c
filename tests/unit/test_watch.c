/* watch's events between two snapshots: snapshot rows first, then only
 * what changed, appeared or disappeared. */
#include "check.h"
#include "cli/watch.h"

#include <stdio.h>
#include <string.h>

static const struct rnode *field(const struct rnode *row, const char *key)
{
	return r_find(row, key);
}

static const char *str(const struct rnode *row, const char *key)
{
	const struct rnode *n = field(row, key);

	return n && n->kind == R_STR ? n->v.s : n && n->kind == R_NULL ? "(null)" : "?";
}

static void fill(struct wsnap *s, const char *addr, unsigned status, uint64_t irqs, bool config)
{
	struct wdev *d = wsnap_add_dev(s, addr);

	wdev_str(d, "pci_driver", "virtio-pci");
	wdev_num(d, "status", status);
	wdev_num(d, "interrupts.req.0", irqs);
	if (config)
		wdev_str(d, "config", "00ff");
}

int main(void)
{
	struct wsnap a = {0}, b = {0};
	struct rnode *rows = r_new_root_array(0);
	const struct rnode *r;

	fill(&a, "0000:00:02.0", 0x0f, 100, true);
	fill(&a, "0000:00:03.0", 0x0f, 5, false);
	CHECK_EQ(wsnap_events(NULL, &a, "t0", rows), 7);
	for (r = rows->child; r; r = r->next)
		CHECK_STR(str(r, "event"), "snapshot");
	CHECK_STR(str(rows->child, "time"), "t0");
	r_free(rows);

	/* 02.0: interrupts rose, config vanished; 03.0 gone; 04.0 new */
	fill(&b, "0000:00:02.0", 0x0f, 150, false);
	fill(&b, "0000:00:04.0", 0x4f, 0, false);
	rows = r_new_root_array(0);
	CHECK_EQ(wsnap_events(&a, &b, "t1", rows), 7);
	r = rows->child;
	CHECK_STR(str(r, "event"), "changed");
	CHECK_STR(str(r, "field"), "interrupts.req.0");
	CHECK_EQ(field(r, "old")->v.u, 100);
	CHECK_EQ(field(r, "new")->v.u, 150);
	r = r->next;
	CHECK_STR(str(r, "field"), "config");
	CHECK_STR(str(r, "old"), "00ff");
	CHECK_STR(str(r, "new"), "(null)");
	r = r->next;
	CHECK_STR(str(r, "event"), "appeared");
	CHECK_STR(str(r, "address"), "0000:00:04.0");
	CHECK_STR(str(r, "field"), "(null)");
	for (int i = 0; i < 3; i++) {
		r = r->next;
		CHECK_STR(str(r, "event"), "snapshot");
	}
	r = r->next;
	CHECK_STR(str(r, "event"), "disappeared");
	CHECK_STR(str(r, "address"), "0000:00:03.0");
	CHECK(r->next == NULL);
	r_free(rows);

	/* nothing changed: nothing to say */
	rows = r_new_root_array(0);
	CHECK_EQ(wsnap_events(&b, &b, "t2", rows), 0);
	r_free(rows);
	wsnap_free(&a);
	wsnap_free(&b);
	return check_done();
}
