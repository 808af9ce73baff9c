#include "linux/resources.h"

#include "pci/regs.h"
#include "util/fmt.h"
#include "util/sysattr.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define MAX_ENTRIES 64

/* Directory entries, sorted so that "vdb" follows "vda" and "vport1p10"
 * follows "vport1p9". */
struct names {
	unsigned n;
	char v[MAX_ENTRIES][64];
};

static int cmp_names(const void *a, const void *b)
{
	return strverscmp(a, b);
}

struct list_scan {
	const char *prefix;
	size_t plen;
	struct names *out;
};

static bool list_entry(const char *name, void *ctx)
{
	struct list_scan *l = ctx;

	if (name[0] != '.' && strncmp(name, l->prefix, l->plen) == 0 &&
	    strlen(name) < sizeof(l->out->v[0]))
		strcpy(l->out->v[l->out->n++], name);
	return l->out->n < MAX_ENTRIES;
}

/* The virtio device's directory as an O_PATH descriptor: paths under it
 * are opened relative to it (one walk through the bus link for the
 * device, not one a file: each costly in an emulated guest). NULL, or fd
 * -1: paths are opened as they are. */
struct anchor {
	int fd;
	const char *dir;
	size_t len;
};

/* path relative to the anchor (*fd set to it), or path itself (AT_FDCWD). */
static const char *anchored(const struct anchor *an, const char *path, int *fd)
{
	*fd = AT_FDCWD;
	if (!an || an->fd < 0 || strncmp(path, an->dir, an->len) != 0 ||
	    (path[an->len] && path[an->len] != '/'))
		return path;
	*fd = an->fd;
	return path[an->len] ? path + an->len + 1 : ".";
}

static bool read_attr(const struct anchor *an, const char *path, char *buf, size_t len)
{
	int fd;
	const char *rel = anchored(an, path, &fd);

	return sysattr_read_at(fd, rel, buf, len);
}

/* Entries of dir whose names start with prefix (any when ""), sorted;
 * false (and none) when dir cannot be listed. */
static bool list_dir_ok(const struct anchor *an, const char *dir, const char *prefix,
			struct names *out)
{
	struct list_scan l = {prefix, strlen(prefix), out};
	int fd;
	const char *rel = anchored(an, dir, &fd);

	out->n = 0;
	if (sysattr_dir_each_at(fd, rel, list_entry, &l)) {
		out->n = 0; /* none, or a listing cut short */
		return false;
	}
	qsort(out->v, out->n, sizeof(out->v[0]), cmp_names);
	return true;
}

static unsigned list_dir(const struct anchor *an, const char *dir, const char *prefix,
			 struct names *out)
{
	list_dir_ok(an, dir, prefix, out);
	return out->n;
}

static bool path_of(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	return str_concat(buf, len, dir, "/", a, b ? "/" : "", b ? b : "", NULL);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void add(struct linux_resources *out, const char *kind, const char *name, const char *detail)
{
	struct linux_resource *r;

	if (out->n >= LINUX_RES_MAX) {
		out->truncated = true;
		return;
	}
	r = &out->r[out->n++];
	r->kind = kind;
	str_copy(r->name, sizeof(r->name), name);
	str_copy(r->detail, sizeof(r->detail), detail ? detail : "");
}

/* ---- details of one entry (path is the entry's directory) ---- */

/* The attribute's value, then suffix. */
static void attr_detail(const struct anchor *an, const char *path, const char *attr,
			const char *suffix, char *buf, size_t len)
{
	char p[PATH_MAX], v[96];

	buf[0] = '\0';
	if (path_of(p, sizeof(p), path, attr, NULL) && read_attr(an, p, v, sizeof(v)) && v[0])
		str_concat(buf, len, v, suffix, NULL);
}

static void net_detail(const struct anchor *an, const char *path, char *buf, size_t len)
{
	attr_detail(an, path, "address", "", buf, len);
}

static void block_detail(const struct anchor *an, const char *path, char *buf, size_t len)
{
	attr_detail(an, path, "size", " sectors", buf, len);
}

static void port_detail(const struct anchor *an, const char *path, char *buf, size_t len)
{
	attr_detail(an, path, "name", "", buf, len);
}

static void input_detail(const struct anchor *an, const char *path, char *buf, size_t len)
{
	attr_detail(an, path, "name", "", buf, len);
}

/* A SCSI host's disks: hostH/targetH:C:T/H:C:T:L/block/sdX. */
static void scsi_detail(const struct anchor *an, const char *path, char *buf, size_t len)
{
	struct names targets, luns, disks;
	char tdir[PATH_MAX], ldir[PATH_MAX];
	struct sbuf b;

	sb_init(&b, buf, len);
	list_dir(an, path, "target", &targets);
	for (unsigned t = 0; t < targets.n; t++) {
		if (!path_of(tdir, sizeof(tdir), path, targets.v[t], NULL))
			continue;
		list_dir(an, tdir, "", &luns);
		for (unsigned l = 0; l < luns.n; l++) {
			if (!strchr(luns.v[l], ':') ||
			    !path_of(ldir, sizeof(ldir), tdir, luns.v[l], "block"))
				continue;
			list_dir(an, ldir, "", &disks);
			for (unsigned k = 0; k < disks.n && sb_ok(&b); k++) {
				if (b.n)
					sb_putc(&b, ' ');
				sb_puts(&b, disks.v[k]);
			}
		}
	}
}

/* Resources that are directories under a class directory of virtioN. */
static const struct {
	const char *dir;    /* under virtioN; NULL: the entries are virtioN's own */
	const char *prefix; /* entries to take */
	const char *kind;
	void (*detail)(const struct anchor *an, const char *path, char *buf, size_t len);
} classes[] = {
	{"net", "", "net", net_detail},
	{"block", "", "block", block_detail},
	{"virtio-ports", "vport", "console_port", port_detail},
	{NULL, "host", "scsi_host", scsi_detail},
	{"input", "input", "input", input_detail},
	{"drm", "", "drm", NULL},
};

static bool listed(const struct names *top, const char *name)
{
	for (unsigned i = 0; i < top->n; i++)
		if (strcmp(top->v[i], name) == 0)
			return true;
	return false;
}

/* Entries of `ents` (a directory's, sorted) with the prefix. */
static void take(const struct names *ents, const char *prefix, struct names *out)
{
	size_t plen = strlen(prefix);

	out->n = 0;
	for (unsigned k = 0; k < ents->n; k++)
		if (strncmp(ents->v[k], prefix, plen) == 0)
			strcpy(out->v[out->n++], ents->v[k]);
}

/* One class; `top` is virtioN's own listing: a class directory that is
 * not in it is not opened (one readdir instead of a failed open per
 * class: what a syscall costs counts in an emulated guest). */
static void read_class(const struct anchor *an, const char *vdir, const struct names *top, size_t i,
		       bool details, struct linux_resources *out)
{
	char dir[PATH_MAX], path[PATH_MAX], detail[128];
	struct names ents;

	if (classes[i].dir && !listed(top, classes[i].dir))
		return;
	if (classes[i].dir ? !path_of(dir, sizeof(dir), vdir, classes[i].dir, NULL)
			   : !str_copy(dir, sizeof(dir), vdir))
		return;
	if (classes[i].dir)
		list_dir(an, dir, classes[i].prefix, &ents);
	else
		take(top, classes[i].prefix, &ents);
	for (unsigned k = 0; k < ents.n; k++) {
		detail[0] = '\0';
		if (details && classes[i].detail &&
		    path_of(path, sizeof(path), dir, ents.v[k], NULL))
			classes[i].detail(an, path, detail, sizeof(detail));
		add(out, classes[i].kind, ents.v[k], detail);
	}
}

static void read_mount_tag(const struct anchor *an, const char *vdir, const struct names *top,
			   struct linux_resources *out)
{
	char path[PATH_MAX], tag[64];

	if (listed(top, "mount_tag") && path_of(path, sizeof(path), vdir, "mount_tag", NULL) &&
	    read_attr(an, path, tag, sizeof(tag)) && tag[0])
		add(out, "9p_mount_tag", tag, NULL);
}

/* ---- driver-wide resources (hwrng, vsock) ---- */

static int virtio_index(const char *name)
{
	unsigned idx;
	int end = 0;

	return sscanf(name, "virtio%u%n", &idx, &end) == 1 && name[end] == '\0' ? (int)idx : -1;
}

/* This device's rank among the devices its driver drives (ordered by
 * virtio index, which follows registration and so probe order). */
static int driver_rank(const char *root, const struct linux_view *lv, unsigned *count)
{
	char dir[PATH_MAX];
	struct names devs;
	int rank = -1;

	*count = 0;
	if (!str_concat(dir, sizeof(dir), root, "/bus/virtio/drivers/", lv->virtio_driver, NULL))
		return -1;
	list_dir(NULL, dir, "virtio", &devs);
	for (unsigned i = 0; i < devs.n; i++) {
		if (virtio_index(devs.v[i]) < 0)
			continue;
		if (strcmp(devs.v[i], lv->virtio_dev) == 0)
			rank = (int)*count;
		(*count)++;
	}
	return rank;
}

/* rng_available is one line of space-separated names. */
static unsigned virtio_rng_names(const char *list, struct names *out)
{
	char copy[512], *save = NULL;

	out->n = 0;
	str_copy(copy, sizeof(copy), list);
	for (char *t = strtok_r(copy, " ", &save); t && out->n < MAX_ENTRIES;
	     t = strtok_r(NULL, " ", &save))
		if (strncmp(t, "virtio_rng.", 11) == 0 && strlen(t) < sizeof(out->v[0]))
			strcpy(out->v[out->n++], t);
	qsort(out->v, out->n, sizeof(out->v[0]), cmp_names);
	return out->n;
}

static void read_hwrng(const char *root, const struct linux_view *lv, struct linux_resources *out)
{
	char path[PATH_MAX], avail[512], current[64] = "", detail[128];
	struct names names;
	unsigned count;
	int rank;

	if (!str_concat(path, sizeof(path), root, "/class/misc/hw_random/rng_available", NULL) ||
	    !sysattr_read(path, avail, sizeof(avail)) || !virtio_rng_names(avail, &names))
		return;
	str_concat(path, sizeof(path), root, "/class/misc/hw_random/rng_current", NULL);
	sysattr_read(path, current, sizeof(current));
	rank = driver_rank(root, lv, &count);
	if (rank < 0 || count != names.n) {
		snprintf(detail, sizeof(detail),
			 "%u virtio_rng names for %u devices: which is this one is unknown",
			 names.n, count);
		add(out, "hwrng", "virtio_rng.?", detail);
		return;
	}
	str_concat(detail, sizeof(detail),
		   strcmp(current, names.v[rank]) == 0 ? "current" : "available",
		   count > 1 ? "; matched by probe order" : "", NULL);
	add(out, "hwrng", names.v[rank], detail);
}

static void read_vsock(const char *root, const struct linux_view *lv, struct linux_resources *out)
{
	char path[PATH_MAX];

	(void)lv;
	if (str_concat(path, sizeof(path), root, "/class/misc/vsock", NULL) && exists(path))
		add(out, "vsock", "vsock", "/dev/vsock");
}

/* Resources that belong to a driver rather than to a sysfs child. */
static const struct {
	const char *driver_part; /* matched as a substring of the driver's name */
	void (*read)(const char *root, const struct linux_view *lv, struct linux_resources *out);
} by_driver[] = {
	{"virtio_rng", read_hwrng}, {"vsock", read_vsock}, /* vmw_vsock_virtio_transport */
};

static void read_driver_wide(const char *root, const struct linux_view *lv,
			     struct linux_resources *out)
{
	for (size_t i = 0; i < sizeof(by_driver) / sizeof(by_driver[0]); i++)
		if (strstr(lv->virtio_driver, by_driver[i].driver_part))
			by_driver[i].read(root, lv, out);
}

/* The virtio device's directory, opened into *an and listed into *top: the
 * bus entry is a link to the child of the PCI function; the child serves
 * when a tree has no bus directory (as in linux_view.c). The open itself
 * tells whether the bus entry is a directory (no stat first). */
static bool virtio_dir(const char *root, const struct pci_addr *a, const struct linux_view *lv,
		       char *buf, size_t len, struct anchor *an, struct names *top)
{
	char pcidir[PATH_MAX];

	an->fd = -1;
	if (!str_concat(buf, len, root, "/bus/virtio/devices/", lv->virtio_dev, NULL) ||
	    (an->fd = linux_view_virtio_dir(lv, buf)) < 0) {
		if (!pci_sysfs_path(pcidir, sizeof(pcidir), root, a, NULL) ||
		    !path_of(buf, len, pcidir, lv->virtio_dev, NULL))
			return false;
		an->fd = sysattr_dir_open(buf);
	}
	an->dir = buf;
	an->len = strlen(buf);
	return list_dir_ok(an, buf, "", top);
}

unsigned linux_resources_read(const char *sysfs_root, const struct pci_addr *a,
			      const struct linux_view *lv, bool details,
			      struct linux_resources *out)
{
	char vdir[PATH_MAX];
	struct names top;
	struct anchor an = {-1, NULL, 0};

	memset(out, 0, sizeof(*out));
	if (sysfs_root && lv->has_virtio_dev && lv->has_virtio_driver &&
	    virtio_dir(sysfs_root, a, lv, vdir, sizeof(vdir), &an, &top)) {
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			read_class(&an, vdir, &top, i, details, out);
		read_mount_tag(&an, vdir, &top, out);
		read_driver_wide(sysfs_root, lv, out);
	}
	if (an.fd >= 0)
		close(an.fd);
	return out->n;
}

const char *linux_resources_summary(const struct linux_resources *r, char *buf, unsigned len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	for (unsigned i = 0; i < r->n && sb_ok(&b); i++) {
		if (b.n)
			sb_puts(&b, ", ");
		sb_puts(&b, r->r[i].name);
	}
	return buf;
}
