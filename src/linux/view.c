#include "linux/view.h"

#include "pci/regs.h"
#include "util/fmt.h"
#include "util/sysattr.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool join(char *buf, size_t len, const char *dir, const char *leaf)
{
	return str_concat(buf, len, dir, "/", leaf, NULL);
}

/* A whole-string unsigned number in any base strtoul accepts ("0x0013"). */
static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s)
		return false;
	v = strtoul(s, &end, 0);
	if (*end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_features(const char *s, struct linux_view *v)
{
	uint64_t f = 0, hi = 0;
	bool above = false;
	size_t n = strlen(s);

	if (n == 0)
		return false;
	/* any length: bits up to 127 are kept, a set bit beyond is flagged */
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '0' && s[i] != '1')
			return false;
		if (s[i] == '1' && i < 64)
			f |= 1ull << i;
		else if (s[i] == '1' && i < 128)
			hi |= 1ull << (i - 64);
		else if (s[i] == '1')
			above = true;
	}
	v->features = f;
	v->features_hi = hi;
	v->features_above_63 = hi || above;
	v->features_above_127 = above;
	v->features_nbits = (unsigned)n;
	return v->has_features = true;
}

static bool parse_status(const char *s, struct linux_view *v)
{
	return v->has_status = parse_u32(s, &v->status);
}

static bool parse_device(const char *s, struct linux_view *v)
{
	return v->has_virtio_device_id = parse_u32(s, &v->virtio_device_id);
}

static bool parse_vendor(const char *s, struct linux_view *v)
{
	return v->has_virtio_vendor_id = parse_u32(s, &v->virtio_vendor_id);
}

static const struct {
	const char *file;
	bool (*parse)(const char *s, struct linux_view *v);
} virtio_attrs[] = {
	{"features", parse_features},
	{"status", parse_status},
	{"device", parse_device},
	{"vendor", parse_vendor},
};

/* The virtio device's uevent (Linux virtio_uevent(): MODALIAS=
 * virtio:dDDDDDDDDvVVVVVVVV, and DRIVER while bound): the device and
 * vendor IDs and the driver in one read instead of two attribute files
 * and the driver link. False when it lacks the IDs. */
static bool read_virtio_uevent(int vfd, struct linux_view *v)
{
	char buf[512], *save = NULL, drv[sizeof(v->virtio_driver)] = "";
	unsigned dev = 0, ven = 0;
	bool ids = false;

	if (!sysattr_read_at(vfd, "uevent", buf, sizeof(buf)))
		return false;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int end = 0;

		if (strncmp(l, "DRIVER=", 7) == 0)
			snprintf(drv, sizeof(drv), "%s", l + 7);
		else if (sscanf(l, "MODALIAS=virtio:d%8xv%8x%n", &dev, &ven, &end) == 2 && !l[end])
			ids = true;
	}
	if (!ids)
		return false;
	v->has_virtio_device_id = v->has_virtio_vendor_id = true;
	v->virtio_device_id = dev;
	v->virtio_vendor_id = ven;
	memcpy(v->virtio_driver, drv, sizeof(drv));
	v->has_virtio_driver = drv[0] != '\0';
	return true;
}

int linux_view_virtio_dir(const struct linux_view *v, const char *vdir)
{
	int fd = v->pci_dirfd >= 0 ? sysattr_dir_open_at(v->pci_dirfd, v->virtio_dev) : -1;

	return fd >= 0 ? fd : sysattr_dir_open(vdir);
}

/* The first two attributes (features, status) are read in any case; the
 * uevent, when whole, stands in for the others and the driver link. They
 * are read relative to the directory (one walk through the bus link). */
static void read_virtio(const char *vdir, bool names_only, struct linux_view *v)
{
	char path[PATH_MAX], buf[1024];
	int vfd = names_only ? AT_FDCWD : linux_view_virtio_dir(v, vdir);
	bool from_uevent = vfd >= 0 && !names_only && read_virtio_uevent(vfd, v);
	size_t nattrs = names_only || vfd < 0 ? 0
			: from_uevent	      ? 2
					      : sizeof(virtio_attrs) / sizeof(virtio_attrs[0]);

	for (size_t i = 0; i < nattrs; i++)
		if (sysattr_read_at(vfd, virtio_attrs[i].file, buf, sizeof(buf)))
			virtio_attrs[i].parse(buf, v);
	if (vfd >= 0)
		close(vfd);
	if (!from_uevent && join(path, sizeof(path), vdir, "driver"))
		v->has_virtio_driver =
			sysattr_link_basename(path, v->virtio_driver, sizeof(v->virtio_driver));
}

/* virtio-pci registers one virtio device per function, as a child
 * directory named virtioN. */
static bool find_virtio_child(const char *dir, struct linux_view *v)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp)
		return false;
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		unsigned idx;
		int end = 0;

		if (sscanf(de->d_name, "virtio%u%n", &idx, &end) == 1 && de->d_name[end] == '\0' &&
		    len < sizeof(v->virtio_dev)) {
			memcpy(v->virtio_dev, de->d_name, len + 1);
			v->has_virtio_dev = true;
			break;
		}
	}
	closedir(dp);
	return v->has_virtio_dev;
}

/* The virtio bus entry is a link to the child directory; the child itself
 * serves when a tree lacks the bus directory. */
static void read_virtio_dev(const char *root, const char *pcidir, bool names_only, bool on_bus,
			    struct linux_view *v)
{
	char vdir[PATH_MAX];
	bool fits =
		str_concat(vdir, sizeof(vdir), root, "/bus/virtio/devices/", v->virtio_dev, NULL);

	/* on_bus: the index found it there */
	if (!fits || (!on_bus && !is_dir(vdir))) {
		if (!join(vdir, sizeof(vdir), pcidir, v->virtio_dev))
			return;
	}
	read_virtio(vdir, names_only, v);
}

static int cmp_unsigned(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return (a > b) - (a < b);
}

struct msi_scan {
	int dirfd;	 /* of the function's directory, or AT_FDCWD */
	const char *dir; /* msi_irqs, relative to dirfd */
	struct linux_view *v;
};

/* Each msi_irqs entry is named after a Linux IRQ and reads "msi" or "msix". */
static bool msi_entry(const char *name, void *ctx)
{
	struct msi_scan *m = ctx;
	struct linux_view *v = m->v;
	char path[PATH_MAX], mode[16];
	uint32_t irq;

	if (name[0] < '0' || name[0] > '9' || !parse_u32(name, &irq))
		return true;
	if (v->n_msi_irqs == 0 && join(path, sizeof(path), m->dir, name) &&
	    sysattr_read_at(m->dirfd, path, mode, sizeof(mode)))
		v->msix = strcmp(mode, "msix") == 0;
	if (v->n_msi_irqs < LINUX_VIEW_MAX_IRQS)
		v->msi_irqs[v->n_msi_irqs] = irq;
	v->n_msi_irqs++;
	return true;
}

/* pcidir: the function's directory, pcifd its descriptor (-1: none). */
static void read_msi(const char *pcidir, int pcifd, struct linux_view *v)
{
	char dir[PATH_MAX];
	struct msi_scan m = {pcifd >= 0 ? pcifd : AT_FDCWD, pcifd >= 0 ? "msi_irqs" : dir, v};

	if (pcifd < 0 && !join(dir, sizeof(dir), pcidir, "msi_irqs"))
		return;
	if (sysattr_dir_each_at(m.dirfd, m.dir, msi_entry, &m)) { /* none, or cut short */
		v->n_msi_irqs = 0;
		v->msix = false;
		return;
	}
	v->has_msi_irqs = true;
	qsort(v->msi_irqs,
	      v->n_msi_irqs < LINUX_VIEW_MAX_IRQS ? v->n_msi_irqs : LINUX_VIEW_MAX_IRQS,
	      sizeof(v->msi_irqs[0]), cmp_unsigned);
}

/* The index's entry for a, if any: it then names the virtio device. */
static void from_index(const struct linux_virtio_index *ix, const struct pci_addr *a,
		       struct linux_view *v)
{
	for (size_t i = 0; i < ix->n; i++)
		if (pci_addr_cmp(&ix->e[i].addr, a) == 0) {
			memcpy(v->virtio_dev, ix->e[i].name, sizeof(v->virtio_dev));
			v->has_virtio_dev = true;
			return;
		}
}

static int read_view(const char *sysfs_root, const struct pci_addr *a,
		     const struct linux_virtio_index *ix, const struct linux_view_hint *h,
		     bool names_only, struct linux_view *out)
{
	const char *pci_driver = h ? h->pci_driver : NULL;
	int pcifd = h ? h->pci_dirfd : -1;
	char dir[PATH_MAX], path[PATH_MAX], buf[32];

	memset(out, 0, sizeof(*out));
	out->pci_dirfd = pcifd;
	if (!sysfs_root || !pci_sysfs_path(dir, sizeof(dir), sysfs_root, a, NULL) ||
	    (!pci_driver && !is_dir(dir)))
		return -1;
	if (!names_only) {
		if (pci_driver) {
			snprintf(out->pci_driver, sizeof(out->pci_driver), "%s", pci_driver);
			out->has_pci_driver = pci_driver[0] != '\0';
		} else if (join(path, sizeof(path), dir, "driver"))
			out->has_pci_driver = sysattr_link_basename(path, out->pci_driver,
								    sizeof(out->pci_driver));
		read_msi(dir, pcifd, out);
		/* with MSI-X vectors the INTx line is not in use, and the file
		 * is one read fewer (see has_irq) */
		if (!(out->msix && out->n_msi_irqs) && join(path, sizeof(path), dir, "irq") &&
		    sysattr_read_at(pcifd >= 0 ? pcifd : AT_FDCWD, pcifd >= 0 ? "irq" : path, buf,
				    sizeof(buf)))
			out->has_irq = parse_u32(buf, &out->irq);
	}
	if (ix)
		from_index(ix, a, out);
	if (ix ? out->has_virtio_dev : find_virtio_child(dir, out))
		read_virtio_dev(sysfs_root, dir, names_only, ix != NULL, out);
	return 0;
}

int linux_view_read(const char *sysfs_root, const struct pci_addr *a, struct linux_view *out)
{
	return read_view(sysfs_root, a, NULL, NULL, false, out);
}

int linux_view_read_names(const char *sysfs_root, const struct pci_addr *a, struct linux_view *out)
{
	return read_view(sysfs_root, a, NULL, NULL, true, out);
}

int linux_view_read_in(const char *sysfs_root, const struct pci_addr *a,
		       const struct linux_virtio_index *ix, const struct linux_view_hint *h,
		       struct linux_view *out)
{
	return read_view(sysfs_root, a, ix, h, false, out);
}

int linux_view_read_names_in(const char *sysfs_root, const struct pci_addr *a,
			     const struct linux_virtio_index *ix, const struct linux_view_hint *h,
			     struct linux_view *out)
{
	return read_view(sysfs_root, a, ix, h, true, out);
}

/* The link reads ../../../devices/pci0000:00/0000:00:03.0/virtio2: the
 * parent's name is the PCI address. */
static bool parent_pci_addr(const char *bus_dir, const char *name, struct pci_addr *a)
{
	char path[PATH_MAX], target[PATH_MAX], *slash;
	ssize_t n;

	if (!join(path, sizeof(path), bus_dir, name) ||
	    (n = readlink(path, target, sizeof(target) - 1)) <= 0)
		return false;
	target[n] = '\0';
	slash = strrchr(target, '/');
	if (!slash || strcmp(slash + 1, name) != 0)
		return false;
	*slash = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	/* sysfs names functions in full, DDDD:BB:DD.F */
	return strlen(slash) == PCI_ADDR_STRLEN - 1 && pci_addr_parse(slash, a);
}

static bool index_add(struct linux_virtio_index *ix, size_t *cap, const struct pci_addr *a,
		      const char *name)
{
	if (ix->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct linux_virtio_entry *e = realloc(ix->e, ncap * sizeof(*e));

		if (!e)
			return false;
		ix->e = e;
		*cap = ncap;
	}
	ix->e[ix->n].addr = *a;
	snprintf(ix->e[ix->n].name, sizeof(ix->e[ix->n].name), "%s", name);
	ix->n++;
	return true;
}

int linux_virtio_index_read(const char *sysfs_root, struct linux_virtio_index *ix)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	DIR *dp;
	int rc = 0;

	memset(ix, 0, sizeof(*ix));
	if (!sysfs_root || !join(dir, sizeof(dir), sysfs_root, "bus/virtio/devices") ||
	    !(dp = opendir(dir)))
		return -1;
	while (rc == 0 && (de = readdir(dp))) {
		struct pci_addr a;

		if (strncmp(de->d_name, "virtio", 6) == 0 &&
		    strlen(de->d_name) < LINUX_VIEW_NAME_LEN &&
		    parent_pci_addr(dir, de->d_name, &a) && !index_add(ix, &cap, &a, de->d_name))
			rc = -1;
	}
	closedir(dp);
	if (rc)
		linux_virtio_index_free(ix);
	return rc;
}

void linux_virtio_index_free(struct linux_virtio_index *ix)
{
	free(ix->e);
	memset(ix, 0, sizeof(*ix));
}
