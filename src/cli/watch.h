/* `watch`: what can be read of each device without writing, as a list of
 * named values per device, and the events between two such snapshots. The
 * reading is in cmd_watch.c; this part is pure, for unit tests. */
#ifndef VIRTIOCTL_CLI_WATCH_H
#define VIRTIOCTL_CLI_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "format/report.h"
#include "pci/addr.h"

/* One named value: a number or a string (owned). */
struct wval {
	char name[64]; /* "status", "interrupts.req.0", ... */
	bool is_num;
	uint64_t u;
	char *s;
};

struct wdev {
	char addr[PCI_ADDR_STRLEN];
	unsigned n, cap;
	struct wval *v;
};

/* Devices in address order. */
struct wsnap {
	unsigned n, cap;
	struct wdev *d;
};

/* Adds a device (NULL when out of memory); devices must come in address
 * order. */
struct wdev *wsnap_add_dev(struct wsnap *s, const char *addr);
/* Adds a value; false when out of memory. */
bool wdev_num(struct wdev *d, const char *name, uint64_t u);
bool wdev_str(struct wdev *d, const char *name, const char *s);
void wsnap_free(struct wsnap *s);

/* Appends event rows {time, address, event, field, old, new} to `rows`:
 * with old NULL (the first poll) a "snapshot" row per value; else
 * "appeared" (then a "snapshot" row per value), "disappeared", and
 * "changed" for each value that differs, appeared or vanished (old or new
 * null). Returns the number of rows added. */
unsigned wsnap_events(const struct wsnap *old, const struct wsnap *cur, const char *time,
		      struct rnode *rows);

#endif
