/* The live backend: identity and bound driver from the kernel's uevent
 * file (libpci's attribute files and the driver link where it is missing),
 * BAR sizes and config space through libpci (linux-sysfs method), BAR
 * registers through the sysfs resourceN files. */
#include "pci/backend/backend.h"
#include "pci/backend/libpci_guard.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHY_LEN sizeof(((struct pdev *)0)->bar_why)
/* The header the open reads in one block: 0x00-0x27 (IDs to BAR 5). */
#define OPEN_DWORDS ((PCI_CFG_BAR0 + 4 * PCI_NUM_BARS) / 4)
_Static_assert(OPEN_DWORDS == sizeof(((struct pdev *)0)->open_dwords) / 4,
	       "pdev holds the dwords the open reads");
#define LOCKDOWN_HINT "kernel lockdown? see /sys/kernel/security/lockdown"

/* Linux IORESOURCE_* bits as libpci passes them on in pci_dev.flags. */
#define IORESOURCE_IO	    0x00000100u
#define IORESOURCE_MEM	    0x00000200u
#define IORESOURCE_PREFETCH 0x00002000u
#define IORESOURCE_MEM_64   0x00100000u

/* One resourceN file: opened (read-only) when the device is opened, so that
 * pdev_has_bar_access() means something at once; mapped on first access. */
struct sysfs_bar {
	int fd;
	bool fd_rw;
	volatile uint8_t *map;
	size_t map_len;
	bool map_rw;
	char access_why[WHY_LEN]; /* file missing, unopenable or unmappable */
	char decode_why[WHY_LEN]; /* the command register turns decoding off */
};

struct sysfs_priv {
	struct pci_dev *pd;
	char dir[PATH_MAX];
	/* dir as an O_PATH descriptor (-1: none; files are then opened by
	 * path): the files of one function are opened relative to it, one walk
	 * through the bus symlink instead of one a file */
	int dirfd;
	char lockdown_why[WHY_LEN];
	struct sysfs_bar bar[PCI_NUM_BARS];
};

static struct sysfs_priv *priv_of(const struct pdev *d)
{
	return d->priv;
}

/* ---- config space ---- */

/* pci_read_block rather than pci_read_word & co: those return all-ones on
 * failure, which is also a valid register value. */
static int sysfs_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			  struct verr *e)
{
	uint8_t b[4] = {0};
	struct lpci_status st;

	if (!lpci_read_block(priv_of(d)->pd, (int)off, b, (int)width, &st))
		return verr_set(e, st.fatal ? VX_FAIL : VX_DEVICE,
				"reading %u bytes at 0x%x of %s/config failed%s%s", width, off,
				priv_of(d)->dir, st.msg[0] ? ": " : "", st.msg);
	*val = pci_le_value(b, width);
	return 0;
}

static int sysfs_cfg_read_block(struct pdev *d, unsigned off, uint8_t *buf, unsigned len,
				struct verr *e)
{
	struct lpci_status st;

	if (!lpci_read_block(priv_of(d)->pd, (int)off, buf, (int)len, &st))
		return verr_set(e, st.fatal ? VX_FAIL : VX_DEVICE,
				"reading %u bytes at 0x%x of %s/config failed%s%s", len, off,
				priv_of(d)->dir, st.msg[0] ? ": " : "", st.msg);
	return 0;
}

static void refresh_decode(struct pdev *d);

static int sysfs_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			   struct verr *e)
{
	uint8_t b[4];
	struct lpci_status st;
	int err;

	pci_le_bytes(val, width, b);
	errno = 0;
	if (!lpci_write_block(priv_of(d)->pd, (int)off, b, (int)width, &st)) {
		err = errno;
		if (st.fatal)
			return verr_set(e, VX_FAIL, "config write of %u bytes at 0x%x failed: %s",
					width, off, st.msg);
		return verr_set(e, err == EPERM || err == EACCES ? VX_PERM : VX_DEVICE,
				"config write of %u bytes at 0x%x failed: %s%s", width, off,
				err ? strerror(err) : "short write",
				err == EPERM ? " (" LOCKDOWN_HINT ")" : "");
	}
	/* Decoding may just have been turned on or off. */
	if (off < PCI_CFG_COMMAND + 2 && off + width > PCI_CFG_COMMAND)
		refresh_decode(d);
	return 0;
}

/* ---- why BARs cannot be reached ---- */

static const char *bar_reason(const struct sysfs_priv *p, unsigned i)
{
	if (p->lockdown_why[0])
		return p->lockdown_why;
	if (p->bar[i].access_why[0])
		return p->bar[i].access_why;
	return p->bar[i].decode_why;
}

/* bar_why names the first implemented BAR that cannot be reached: callers
 * treat a non-empty bar_why as "do not rely on BAR registers". */
static void refresh_bar_why(struct pdev *d)
{
	const struct sysfs_priv *p = priv_of(d);
	unsigned implemented = 0;

	d->bar_why[0] = '\0';
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const char *why = bar_reason(p, i);

		if (d->bar[i].kind == PCI_BAR_NONE)
			continue;
		implemented++;
		if (why[0] && !d->bar_why[0])
			snprintf(d->bar_why, WHY_LEN, "%s", why);
	}
	if (!implemented)
		snprintf(d->bar_why, WHY_LEN, "the function implements no BARs");
}

/* With decoding off, memory reads return zeros and I/O reads all-ones:
 * plausible values that would be reported as device state. */
static void decode_from(struct pdev *d, bool have_cmd, uint32_t cmd);

static void refresh_decode(struct pdev *d)
{
	uint32_t cmd = 0;
	bool have_cmd = sysfs_cfg_read(d, PCI_CFG_COMMAND, 2, &cmd, NULL) == 0;

	decode_from(d, have_cmd, cmd);
}

/* cmd: the command register, when have_cmd. */
static void decode_from(struct pdev *d, bool have_cmd, uint32_t cmd)
{
	struct sysfs_priv *p = priv_of(d);

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		bool io = d->bar[i].kind == PCI_BAR_IO;
		uint32_t bit = io ? PCI_CMD_IO_DECODE : PCI_CMD_MEM_DECODE;
		char *why = p->bar[i].decode_why;

		why[0] = '\0';
		if (d->bar[i].kind == PCI_BAR_NONE)
			continue;
		if (!have_cmd)
			snprintf(why, WHY_LEN, "the command register cannot be read");
		else if (!(cmd & bit))
			snprintf(why, WHY_LEN,
				 "%s decoding is off in the command register (0x%04x); reads would "
				 "return %s",
				 io ? "I/O" : "memory", (unsigned)cmd, io ? "all-ones" : "zeros");
	}
	refresh_bar_why(d);
}

static void why_open(unsigned bar, int err, char *buf)
{
	switch (err) {
	case ENOENT:
		snprintf(buf, WHY_LEN,
			 "no resource%u file in sysfs (kernel without PCI resource files)", bar);
		break;
	case EACCES:
		snprintf(buf, WHY_LEN, "permission denied opening resource%u (run as root)", bar);
		break;
	case EPERM:
		snprintf(buf, WHY_LEN, "opening resource%u failed: %s (" LOCKDOWN_HINT ")", bar,
			 strerror(err));
		break;
	default:
		snprintf(buf, WHY_LEN, "cannot open resource%u: %s", bar, strerror(err));
	}
}

static void why_mmap(const struct pdev *d, unsigned bar, int err, char *buf)
{
	const char *hint = "";

	/* A claimed region is exclusive under CONFIG_IO_STRICT_DEVMEM, and
	 * pci_mmap_resource() then says EINVAL. */
	if (err == EINVAL && d->driver[0])
		hint = " (the bound driver owns the region and the kernel has "
		       "CONFIG_IO_STRICT_DEVMEM=y; unbind the driver or use vfio-pci)";
	else if (err == EPERM)
		hint = " (" LOCKDOWN_HINT ")";
	snprintf(buf, WHY_LEN, "mmap of resource%u failed: %s%s", bar, strerror(err), hint);
}

/* The lockdown file reads like "none [integrity] confidentiality". */
void sysfs_lockdown_why(const char *root, char *why, size_t len)
{
	char path[PATH_MAX], buf[128], *l, *r;

	why[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/kernel/security/lockdown", root) >= (int)sizeof(path))
		return;
	if (!sysattr_read(path, buf, sizeof(buf)))
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return;
	*r = '\0';
	if (strcmp(l + 1, "none") != 0)
		snprintf(why, len,
			 "kernel lockdown (%s) forbids BAR access from user space "
			 "(/sys/kernel/security/lockdown)",
			 l + 1);
}

/* ---- resourceN files ---- */

static bool resource_path(const struct sysfs_priv *p, unsigned bar, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/resource%u", p->dir, bar);

	return n >= 0 && (size_t)n < len;
}

/* A file of the function's directory (name: "resource4"), relative to its
 * descriptor when there is one; path is that file's full path. */
static int open_in(const struct sysfs_priv *p, const char *path, int flags)
{
	const char *name = strrchr(path, '/');

	return p->dirfd >= 0 && name ? openat(p->dirfd, name + 1, flags) : open(path, flags);
}

/* Opens resourceN (read-only) and keeps the fd, or records why it failed. */
static bool probe_bar_file(struct pdev *d, unsigned i)
{
	struct sysfs_bar *b = &priv_of(d)->bar[i];
	char path[PATH_MAX];

	if (d->bar[i].size == 0) {
		snprintf(b->access_why, WHY_LEN,
			 "BAR %u has no size in sysfs (the kernel did not assign it)", i);
		return false;
	}
	if (!resource_path(priv_of(d), i, path, sizeof(path))) {
		snprintf(b->access_why, WHY_LEN, "path of resource%u is too long", i);
		return false;
	}
	b->fd = open_in(priv_of(d), path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0)
		why_open(i, errno, b->access_why);
	return b->fd >= 0;
}

/* Whether BAR access can work is known at open (pdev_has_bar_access), from
 * one file: the files of a function share their owner and mode, so one
 * that opens says the others will. That one is the highest BAR, where
 * virtio devices (QEMU: BAR 4) keep their structures, so a read-only
 * command goes on to use it; the others open on first access. When it
 * does not open, every BAR is tried as before, so that bar_why names the
 * first BAR that cannot be reached, from its own error. Each open is a
 * path lookup, costly in an emulated guest (issue 13). */
static void probe_bar_files(struct pdev *d)
{
	int last = -1;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].kind != PCI_BAR_NONE && d->bar[i].size)
			last = (int)i;
	if (last >= 0 && probe_bar_file(d, (unsigned)last)) {
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].kind != PCI_BAR_NONE && d->bar[i].size == 0)
				probe_bar_file(d, i); /* records why, opens nothing */
		return;
	}
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].kind != PCI_BAR_NONE && (int)i != last)
			probe_bar_file(d, i);
}

static int ensure_fd(struct pdev *d, unsigned bar, bool rw, struct verr *e)
{
	struct sysfs_bar *b = &priv_of(d)->bar[bar];
	char path[PATH_MAX], why[WHY_LEN];
	int fd, err;

	if (b->fd >= 0 && (b->fd_rw || !rw))
		return 0;
	if (!resource_path(priv_of(d), bar, path, sizeof(path)))
		return verr_set(e, VX_FAIL, "path of resource%u is too long", bar);
	fd = open_in(priv_of(d), path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		why_open(bar, err, why);
		/* a file first opened here (probe_bar_files) that will not open
		 * makes its BAR unreachable, as at open */
		if (b->fd < 0) {
			snprintf(b->access_why, WHY_LEN, "%s", why);
			refresh_bar_why(d);
		}
		return verr_set(e, err == EACCES || err == EPERM ? VX_PERM : VX_UNAVAILABLE, "%s",
				why);
	}
	if (b->fd >= 0)
		close(b->fd);
	b->fd = fd;
	b->fd_rw = rw;
	return 0;
}

static int ensure_map(struct pdev *d, unsigned bar, bool rw, struct verr *e)
{
	struct sysfs_bar *b = &priv_of(d)->bar[bar];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t size = d->bar[bar].size;
	void *map;

	if (b->map && (b->map_rw || !rw))
		return 0;
	if (size > SIZE_MAX - page)
		return verr_set(e, VX_UNAVAILABLE, "BAR %u is too large to map here", bar);
	if (ensure_fd(d, bar, rw, e))
		return -1;
	/* resourceN mappings are whole pages; a small BAR still gets one. */
	size = (size + page - 1) / page * page;
	map = mmap(NULL, (size_t)size, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, b->fd, 0);
	if (map == MAP_FAILED) {
		char why[WHY_LEN];

		why_mmap(d, bar, errno, why);
		/* A failed first mapping means the BAR is unreachable; a failed
		 * upgrade to read-write leaves the read-only one usable. */
		if (!b->map) {
			snprintf(b->access_why, WHY_LEN, "%s", why);
			refresh_bar_why(d);
		}
		return verr_set(e, VX_UNAVAILABLE, "%s", why);
	}
	if (b->map)
		munmap((void *)b->map, b->map_len);
	b->map = map;
	b->map_len = (size_t)size;
	b->map_rw = rw;
	return 0;
}

static int bar_ready(struct pdev *d, unsigned bar, bool write, struct verr *e)
{
	const char *why = bar_reason(priv_of(d), bar);
	bool rw = write || d->writable;

	if (why[0])
		return verr_set(e, VX_UNAVAILABLE, "%s", why);
	if (d->bar[bar].kind == PCI_BAR_IO)
		return ensure_fd(d, bar, rw, e);
	return ensure_map(d, bar, rw, e);
}

/* ---- register access ---- */

/* The kernel's I/O resource file hands over the inb/inw/inl result in host
 * byte order, and takes outb/outw/outl values the same way. */
static uint64_t host_value(const uint8_t *b, unsigned width)
{
	uint16_t v16;
	uint32_t v32;

	switch (width) {
	case 2:
		memcpy(&v16, b, 2);
		return v16;
	case 4:
		memcpy(&v32, b, 4);
		return v32;
	default:
		return b[0];
	}
}

static void host_bytes(uint64_t v, unsigned width, uint8_t *b)
{
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (width) {
	case 2:
		memcpy(b, &v16, 2);
		break;
	case 4:
		memcpy(b, &v32, 4);
		break;
	default:
		b[0] = (uint8_t)v;
	}
}

static int io_failed(const char *op, unsigned bar, uint64_t off, unsigned width, ssize_t n,
		     struct verr *e)
{
	int err = errno;

	if (n >= 0)
		return verr_set(e, VX_DEVICE,
				"%s of %u bytes at 0x%llx in resource%u: short transfer", op, width,
				(unsigned long long)off, bar);
	return verr_set(e, err == EPERM ? VX_PERM : VX_DEVICE,
			"%s of %u bytes at 0x%llx in resource%u failed: %s%s", op, width,
			(unsigned long long)off, bar, strerror(err),
			err == EPERM ? " (" LOCKDOWN_HINT ")" : "");
}

static int sysfs_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			  struct verr *e)
{
	struct sysfs_bar *b = &priv_of(d)->bar[bar];
	uint8_t buf[4];
	ssize_t n;

	if (bar_ready(d, bar, false, e))
		return -1;
	if (d->bar[bar].kind != PCI_BAR_IO) {
		*val = pci_mmio_load(b->map + off, width);
		return 0;
	}
	n = pread(b->fd, buf, width, (off_t)off);
	if (n != (ssize_t)width)
		return io_failed("pread", bar, off, width, n, e);
	*val = host_value(buf, width);
	return 0;
}

static int sysfs_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			   struct verr *e)
{
	struct sysfs_bar *b = &priv_of(d)->bar[bar];
	uint8_t buf[4];
	ssize_t n;

	if (bar_ready(d, bar, true, e))
		return -1;
	if (d->bar[bar].kind != PCI_BAR_IO) {
		pci_mmio_store(b->map + off, width, val);
		return 0;
	}
	host_bytes(val, width, buf);
	n = pwrite(b->fd, buf, width, (off_t)off);
	if (n != (ssize_t)width)
		return io_failed("pwrite", bar, off, width, n, e);
	return 0;
}

static void sysfs_close(struct pdev *d)
{
	struct sysfs_priv *p = priv_of(d);

	if (!p)
		return;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (p->bar[i].map)
			munmap((void *)p->bar[i].map, p->bar[i].map_len);
		if (p->bar[i].fd >= 0)
			close(p->bar[i].fd);
	}
	if (p->dirfd >= 0)
		close(p->dirfd);
	lpci_free_dev(p->pd);
	free(p);
	d->priv = NULL;
}

/* Hot-unplug removes the function's sysfs directory; a mapping of its
 * BAR may go on reading without a fault, so the directory is the proof. */
static bool sysfs_present(struct pdev *d)
{
	struct stat st;

	return stat(priv_of(d)->dir, &st) == 0;
}

static bool sysfs_maps(const struct pdev *d, const void *addr)
{
	const struct sysfs_priv *p = priv_of(d);
	const volatile uint8_t *a = addr;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (p->bar[i].map && a >= p->bar[i].map && a < p->bar[i].map + p->bar[i].map_len)
			return true;
	return false;
}

static int sysfs_dirfd(const struct pdev *d)
{
	return priv_of(d)->dirfd;
}

static const struct pdev_ops sysfs_ops = {
	.name = "sysfs",
	.present = sysfs_present,
	.maps = sysfs_maps,
	.cfg_read = sysfs_cfg_read,
	.cfg_write = sysfs_cfg_write,
	.bar_read = sysfs_bar_read,
	.bar_write = sysfs_bar_write,
	.close = sysfs_close,
	/* Each config read is a pread of sysfs `config`, and in a VM a config
	 * access the hypervisor traps (30-130 us each on this project's
	 * machines); reads have no side effect: read-only commands may keep
	 * them (pdev_cfg_snapshot says when that is safe). */
	.cfg_snapshots = true,
	.cfg_read_block = sysfs_cfg_read_block,
	.sysfs_dirfd = sysfs_dirfd,
};

/* ---- opening ---- */

#define SCAN_FILL (PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS)
#define BARS_FILL (PCI_FILL_BASES | PCI_FILL_SIZES | PCI_FILL_IO_FLAGS)
#define OPEN_FILL (SCAN_FILL | BARS_FILL)

/* ---- the kernel's uevent file ---- */

/* What a PCI function's uevent file says (Linux pci_uevent(): PCI_CLASS,
 * PCI_ID, PCI_SUBSYS_ID, and DRIVER while bound): the identity the kernel
 * holds, in one read where libpci reads six attribute files and the
 * driver link. In an emulated guest every file is an open, a read and a
 * close, each a trip through the guest kernel: most of what listing a
 * function costs there. The kernel's values are right where config space
 * is not (an SR-IOV VF reads 0xffff as its IDs). The revision is not in
 * it. Read into a scan entry's identity fields (all but addr). */
/* "XXXX:YYYY" in hex, each at most 16 bits. */
static bool parse_id_pair(const char *s, uint16_t *a, uint16_t *b)
{
	char *end;
	unsigned long x = strtoul(s, &end, 16), y;

	if (end == s || *end != ':' || x > 0xffff)
		return false;
	s = end + 1;
	y = strtoul(s, &end, 16);
	if (end == s || *end || y > 0xffff)
		return false;
	*a = (uint16_t)x;
	*b = (uint16_t)y;
	return true;
}

static bool parse_class(const char *s, uint32_t *class_code)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	if (end == s || *end || v > 0xffffff)
		return false;
	*class_code = (uint32_t)v;
	return true;
}

/* One line; returns the bit of what it gave (0: nothing of ours). */
static unsigned uevent_line(char *line, struct psys_entry *u)
{
	if (strncmp(line, "PCI_ID=", 7) == 0)
		return parse_id_pair(line + 7, &u->vendor, &u->device) ? 1u : 0u;
	if (strncmp(line, "PCI_SUBSYS_ID=", 14) == 0)
		return parse_id_pair(line + 14, &u->subsys_vendor, &u->subsys_device) ? 2u : 0u;
	if (strncmp(line, "PCI_CLASS=", 10) == 0)
		return parse_class(line + 10, &u->class_code) ? 4u : 0u;
	if (strncmp(line, "DRIVER=", 7) == 0)
		snprintf(u->driver, sizeof(u->driver), "%s", line + 7);
	return 0;
}

/* False unless the file gave the IDs, the subsystem IDs and the class: the
 * caller then asks libpci (a kernel too old, a tree without the file). */
static bool read_uevent(const char *dir, struct psys_entry *u)
{
	char path[PATH_MAX + 8], buf[1024], *save = NULL;
	unsigned have = 0;

	memset(u, 0, sizeof(*u));
	if (snprintf(path, sizeof(path), "%s/uevent", dir) >= (int)sizeof(path) ||
	    !sysattr_read(path, buf, sizeof(buf)))
		return false;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		have |= uevent_line(l, u);
	return have == 7;
}

/* libpci calls its error handler, which must not return, when one of these
 * is missing; checking first turns that into an ordinary error. */
static const struct {
	int fill;
	const char *file;
} required_files[] = {
	{0, "config"},
	{PCI_FILL_IDENT, "vendor"},
	{PCI_FILL_IDENT, "device"},
	{PCI_FILL_CLASS, "class"},
	{PCI_FILL_BASES, "resource"},
};

static int check_entry(const char *root, const struct pci_addr *a, int fill, char *dir, size_t len,
		       struct verr *e)
{
	char name[PCI_ADDR_STRLEN], path[PATH_MAX + 16];
	struct stat st;

	pci_addr_format(a, name);
	if (!pci_sysfs_path(dir, len, root, a, NULL))
		return verr_set(e, VX_FAIL, "sysfs path of %s is too long", name);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return verr_set(e, VX_NODEV, "no PCI function %s (%s does not exist)", name, dir);
	for (size_t i = 0; i < sizeof(required_files) / sizeof(required_files[0]); i++) {
		if (required_files[i].fill & ~fill)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, required_files[i].file);
		if (access(path, R_OK) != 0)
			return verr_set(e, VX_FAIL, "incomplete sysfs entry: cannot read %s: %s",
					path, strerror(errno));
	}
	return 0;
}

static struct pci_dev *get_dev(struct pci_access *pacc, const char *root, const struct pci_addr *a,
			       int fill, char *dir, size_t len, struct verr *e)
{
	if (check_entry(root, a, fill, dir, len, e))
		return NULL;
	return lpci_get_dev(pacc, (int)a->domain, (int)a->bus, (int)a->dev, (int)a->func, fill, e);
}

/* The last dword of each size is probed: the config file is as long as the
 * kernel lets this process read (64 bytes without CAP_SYS_ADMIN). 0 after
 * a libpci fatal error (e set). *full_ok: set once a 256-byte function
 * read whole, which says this process may read past 64 bytes (a matter of
 * its capabilities, the same for every function of the source): the
 * probe of byte 252 is then not made again, a config read a function
 * fewer. */
static unsigned probe_cfg_size(struct pci_dev *pd, bool *full_ok, struct verr *e)
{
	static const unsigned sizes[] = {4096, 256};
	struct lpci_status st;
	uint8_t b[4];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] == 256 && *full_ok)
			return 256;
		if (lpci_read_block(pd, (int)sizes[i] - 4, b, 4, &st)) {
			*full_ok |= sizes[i] == 256;
			return sizes[i];
		}
		if (st.fatal) {
			verr_set(e, VX_FAIL, "libpci failed to read config space: %s", st.msg);
			return 0;
		}
	}
	return 64;
}

/* A BAR whose register reads 0 but which the kernel sized (assigned at
 * address 0, or a register that reads back oddly) takes its kind from the
 * kernel's resource flags. */
static void bar_from_flags(struct pci_bar *b, uint64_t flags, uint64_t base)
{
	if (flags & IORESOURCE_IO) {
		b->kind = PCI_BAR_IO;
		b->base = base & PCI_ADDR_IO_MASK;
	} else if (flags & IORESOURCE_MEM) {
		b->kind = flags & IORESOURCE_MEM_64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
		b->prefetchable = (flags & IORESOURCE_PREFETCH) != 0;
		b->base = base & PCI_ADDR_MEM_MASK;
	}
}

/* The BAR registers: from the snapshot when one is on (the header is in
 * it: sysfs_pdev_open_caps), else in one pread (the kernel still reads
 * them one dword at a time: a syscall is what a config read costs in an
 * emulated guest), dword by dword when the block fails. */
static unsigned read_bars(struct pdev *d, const uint8_t *header, uint32_t *raw)
{
	uint32_t hdr = 0;
	uint8_t b[4 * PCI_NUM_BARS];
	unsigned n;

	if (header) { /* the open read it (0x08-0x27) */
		n = pci_header_num_bars(header[PCI_CFG_HEADER_TYPE]);
		for (unsigned i = 0; i < n; i++)
			raw[i] = (uint32_t)pci_le_value(header + PCI_CFG_BAR0 + 4 * i, 4);
		return n;
	}
	if (d->snap) {
		n = pci_header_num_bars(pdev_cfg_read8(d, PCI_CFG_HEADER_TYPE));
		for (unsigned i = 0; i < n; i++)
			raw[i] = pdev_cfg_read32(d, PCI_CFG_BAR0 + 4 * i);
		return n;
	}
	sysfs_cfg_read(d, PCI_CFG_HEADER_TYPE, 1, &hdr, NULL);
	n = pci_header_num_bars((uint8_t)hdr);
	if (n && sysfs_cfg_read_block(d, PCI_CFG_BAR0, b, 4 * n, NULL) == 0)
		for (unsigned i = 0; i < n; i++)
			raw[i] = pci_le_value(b + 4 * i, 4);
	else
		for (unsigned i = 0; i < n; i++)
			sysfs_cfg_read(d, PCI_CFG_BAR0 + 4 * i, 4, &raw[i], NULL);
	return n;
}

/* A BAR as the kernel's resource file gives it. */
struct bar_res {
	uint64_t start, size, flags;
};

/* libpci's view of the BARs (the opens without a uevent). */
static bool res_from_libpci(const struct pci_dev *pd, struct bar_res *r)
{
	if (!(pd->known_fields & PCI_FILL_SIZES))
		return false;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		r[i] = (struct bar_res){(uint64_t)pd->base_addr[i], (uint64_t)pd->size[i],
					(uint64_t)pd->flags[i]};
	return true;
}

/* One "0x%016llx" field of the resource file and the blanks before it,
 * by hand: strtoull's locale and base handling cost more than the rest of
 * the open. False when it is not 1 to 16 hex digits followed by a blank,
 * a newline or the end. */
static bool hex_field(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	unsigned n = 0;

	while (*p == ' ')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (*v = 0;; p++, n++) {
		unsigned c = (unsigned char)*p, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (n == 16)
			return false;
		*v = *v << 4 | d;
	}
	*pp = p;
	return n > 0 && (!*p || *p == ' ' || *p == '\n');
}

/* The resource file: a line "0x<start> 0x<end> 0x<flags>" per resource,
 * BARs first; an unassigned one is all zeros, and lines past the end are
 * too. Read in one read() (the kernel prints it whole, well under a page)
 * and parsed here rather than by libpci (fstat, two reads and sscanf:
 * about a tenth of what `metrics` spends on a function). -1 with e set
 * when it cannot be read or a line is not three numbers. */
static int read_resources(const struct sysfs_priv *sp, struct bar_res *r, struct verr *e)
{
	char path[PATH_MAX + 16], buf[4096];
	const char *p = buf;

	memset(r, 0, PCI_NUM_BARS * sizeof(*r));
	if (snprintf(path, sizeof(path), "%s/resource", sp->dir) >= (int)sizeof(path))
		return verr_set(e, VX_FAIL, "path of %s/resource is too long", sp->dir);
	if (!(sp->dirfd >= 0 ? sysattr_read_at(sp->dirfd, "resource", buf, sizeof(buf))
			     : sysattr_read(path, buf, sizeof(buf))))
		return verr_set(e, VX_FAIL, "cannot read %s: %s", path, strerror(errno));
	for (unsigned i = 0; i < PCI_NUM_BARS && *p; i++) {
		uint64_t v[3];

		for (unsigned k = 0; k < 3; k++)
			if (!hex_field(&p, &v[k]))
				return verr_set(e, VX_FAIL,
						"malformed %s: line %u is not three numbers", path,
						i + 1);
		r[i] = (struct bar_res){v[0], v[1] && v[1] >= v[0] ? v[1] - v[0] + 1 : 0, v[2]};
		p += *p == '\n';
	}
	return 0;
}

static void fill_bars(struct pdev *d, const uint8_t *header, const struct bar_res *res)
{
	uint32_t raw[PCI_NUM_BARS] = {0};
	unsigned nbars = read_bars(d, header, raw);

	pci_bars_decode(raw, nbars, d->bar);
	if (!res)
		return;
	for (unsigned i = 0; i < nbars; i++) {
		bool upper_half = i > 0 && d->bar[i - 1].kind == PCI_BAR_MEM64;

		if (d->bar[i].kind == PCI_BAR_NONE && !upper_half && res[i].size)
			bar_from_flags(&d->bar[i], res[i].flags, res[i].start);
		if (d->bar[i].kind != PCI_BAR_NONE)
			d->bar[i].size = res[i].size;
	}
}

static void fill_bars_libpci(struct pdev *d)
{
	struct bar_res res[PCI_NUM_BARS];

	fill_bars(d, NULL, res_from_libpci(priv_of(d)->pd, res) ? res : NULL);
}

static void fill_identity(struct pdev *d)
{
	struct pci_dev *pd = priv_of(d)->pd;

	d->vendor = pd->vendor_id;
	d->device = pd->device_id;
	d->subsys_vendor = pd->subsys_vendor_id;
	d->subsys_device = pd->subsys_id;
	d->revision = pd->rev_id;
	d->class_code = (uint32_t)pd->device_class << 8 | pd->prog_if;
}

/* The revision is not in uevent: from the header the open read, else one
 * config byte, else its attribute. */
static void identity_from_uevent(struct pdev *d, const struct psys_entry *u, const uint8_t *header)
{
	char path[PATH_MAX + 16], buf[16];
	uint32_t rev = header ? header[PCI_CFG_REVISION] : 0;

	d->vendor = u->vendor;
	d->device = u->device;
	d->subsys_vendor = u->subsys_vendor;
	d->subsys_device = u->subsys_device;
	d->class_code = u->class_code;
	snprintf(d->driver, sizeof(d->driver), "%s", u->driver);
	d->driver_known = true;
	if (!header && sysfs_cfg_read(d, PCI_CFG_REVISION, 1, &rev, NULL) != 0) {
		snprintf(path, sizeof(path), "%s/revision", priv_of(d)->dir);
		if (sysattr_read(path, buf, sizeof(buf)))
			rev = (uint32_t)strtoul(buf, NULL, 16);
		else
			d->revision_unread = true;
	}
	d->revision = (uint8_t)rev;
}

static void fill_driver(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/driver", dir);
	sysattr_link_basename(path, buf, len);
}

/* A host function's pdev with no file open yet: both opens start here. */
static struct pdev *sysfs_pdev_new(const struct pci_addr *a, struct verr *e)
{
	struct pdev *d = calloc(1, sizeof(*d));
	struct sysfs_priv *p = calloc(1, sizeof(*p));

	if (!d || !p) {
		free(d);
		free(p);
		verr_set(e, VX_FAIL, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		p->bar[i].fd = -1;
	p->dirfd = -1;
	d->ops = &sysfs_ops;
	d->on_host = true;
	d->priv = p;
	d->addr = *a;
	return d;
}

/* The header dwords read at open, for the command's snapshot. */
static void keep_open_dwords(struct pdev *d, const uint8_t *hdr)
{
	for (unsigned i = 0; i < OPEN_DWORDS; i++)
		d->open_dwords[i] = (uint32_t)pci_le_value(hdr + 4 * i, 4);
	d->n_open_dwords = OPEN_DWORDS;
}

int sysfs_pdev_open(struct pci_access *pacc, const char *sysfs_root, struct live_facts *facts,
		    const struct psys_entry *known, const struct pci_addr *a, struct pdev **out,
		    struct verr *e)
{
	struct pdev *d = sysfs_pdev_new(a, e);
	struct sysfs_priv *p;
	struct psys_entry u;
	uint8_t hdr[PCI_CFG_HEADER_END]; /* 0x08-0x27 read, the rest zero */
	struct bar_res res[PCI_NUM_BARS];
	bool have_u, have_hdr, have_res = false;

	if (!d)
		return -1;
	p = d->priv;
	have_u = pci_sysfs_path(p->dir, sizeof(p->dir), sysfs_root, a, NULL);
	if (have_u && known)
		u = *known;
	else if (have_u)
		have_u = read_uevent(p->dir, &u);
	/* The uevent proved the directory there: the resource file and libpci
	 * go first, and the entry's files are checked only to explain a
	 * failure (three path lookups a function fewer, each costly in an
	 * emulated guest). */
	if (have_u)
		p->dirfd = sysattr_dir_open(p->dir);
	if (have_u && (have_res = read_resources(p, res, e) == 0))
		p->pd = lpci_get_dev(pacc, (int)a->domain, (int)a->bus, (int)a->dev, (int)a->func,
				     0, e);
	else if (!have_u)
		p->pd = get_dev(pacc, sysfs_root, a, OPEN_FILL, p->dir, sizeof(p->dir), e);
	if (!p->pd || !(d->cfg_size = probe_cfg_size(p->pd, &facts->cfg_full_ok, e))) {
		struct verr why = {0};

		if (have_u && check_entry(sysfs_root, a, BARS_FILL, p->dir, sizeof(p->dir), &why))
			*e = why;
		pdev_close(d);
		return -1;
	}
	/* command, revision, header type and BARs in one read of the ten
	 * dwords from 0x00 to 0x27: one syscall, and no dword the open and the
	 * command's first reads (IDs, status) do not need (a hypervisor may
	 * trap each one) */
	memset(hdr, 0, sizeof(hdr));
	have_hdr = sysfs_cfg_read_block(d, 0, hdr, OPEN_DWORDS * 4, NULL) == 0;
	if (have_u)
		identity_from_uevent(d, &u, have_hdr ? hdr : NULL);
	else
		fill_identity(d);
	if (d->cfg_size < PCI_CFG_SPACE_SIZE)
		snprintf(d->cfg_why, sizeof(d->cfg_why),
			 "not readable without root: Linux lets other users read only the first "
			 "%u bytes of config space",
			 d->cfg_size);
	if (!have_res)
		have_res = res_from_libpci(p->pd, res);
	fill_bars(d, have_hdr ? hdr : NULL, have_res ? res : NULL);
	if (!have_u)
		fill_driver(p->dir, d->driver, sizeof(d->driver));
	snprintf(p->lockdown_why, sizeof(p->lockdown_why), "%s", facts->lockdown_why);
	probe_bar_files(d);
	if (have_hdr) {
		decode_from(d, true, (uint32_t)pci_le_value(hdr + PCI_CFG_COMMAND, 2));
		keep_open_dwords(d, hdr);
	} else {
		refresh_decode(d);
	}
	*out = d;
	return 0;
}

/* The identity from config space (the header in one read, kept by the
 * snapshot) rather than six sysfs files. */
static void identity_from_cfg(struct pdev *d)
{
	uint32_t sub;

	pdev_cfg_prefetch(d, 0, PCI_CFG_HEADER_END);
	d->vendor = pdev_cfg_read16(d, PCI_CFG_VENDOR);
	d->device = pdev_cfg_read16(d, PCI_CFG_DEVICE);
	pdev_read_revision(d);
	d->class_code = pdev_cfg_read32(d, PCI_CFG_REVISION) >> 8;
	sub = pdev_cfg_read32(d, PCI_CFG_SUBSYS_VENDOR);
	d->subsys_vendor = (uint16_t)sub;
	d->subsys_device = (uint16_t)(sub >> 16);
}

int sysfs_pdev_open_caps(struct pci_access *pacc, const char *sysfs_root, struct live_facts *facts,
			 const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	struct pdev *d = sysfs_pdev_new(a, e);
	struct sysfs_priv *p;

	if (!d)
		return -1;
	p = d->priv;
	p->pd = get_dev(pacc, sysfs_root, a, PCI_FILL_BASES | PCI_FILL_SIZES | PCI_FILL_IO_FLAGS,
			p->dir, sizeof(p->dir), e);
	if (!p->pd || !(d->cfg_size = probe_cfg_size(p->pd, &facts->cfg_full_ok, e))) {
		pdev_close(d);
		return -1;
	}
	pdev_cfg_snapshot(d, true);
	identity_from_cfg(d);
	fill_bars_libpci(d);
	snprintf(d->bar_why, sizeof(d->bar_why), "opened for its capabilities only");
	pdev_allow_writes(d, false, "opened for its capabilities only");
	*out = d;
	return 0;
}

int sysfs_scan_entry(struct pci_access *pacc, const char *sysfs_root, const struct pci_addr *a,
		     struct psys_entry *out, struct verr *e)
{
	char dir[PATH_MAX];
	struct pci_dev *pd;

	if (pci_sysfs_path(dir, sizeof(dir), sysfs_root, a, NULL) && read_uevent(dir, out)) {
		out->addr = *a;
		return 0;
	}
	pd = get_dev(pacc, sysfs_root, a, SCAN_FILL, dir, sizeof(dir), e);
	if (!pd)
		return -1;
	memset(out, 0, sizeof(*out));
	out->addr = *a;
	out->vendor = pd->vendor_id;
	out->device = pd->device_id;
	out->subsys_vendor = pd->subsys_vendor_id;
	out->subsys_device = pd->subsys_id;
	out->class_code = (uint32_t)pd->device_class << 8 | pd->prog_if;
	fill_driver(dir, out->driver, sizeof(out->driver));
	lpci_free_dev(pd);
	return 0;
}
