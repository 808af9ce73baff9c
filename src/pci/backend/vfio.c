/* The VFIO backend (see vfio.h): opening group, container and device, and
 * the pdev ops over the device's regions. */
#include "pci/backend/vfio.h"

#include "pci/backend/backend.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define WHY_LEN		sizeof(((struct pdev *)0)->bar_why)
#define MAX_SPARSE	8
#define MAX_IOVA_RANGES 16

struct vfio_map {
	uint64_t off, len; /* within the region */
	volatile uint8_t *p;
};

struct vfio_region {
	uint64_t off, size; /* offset of the region in the device file */
	uint32_t flags;
	struct vfio_map map[MAX_SPARSE];
	unsigned nmap;
	char decode_why[WHY_LEN];
};

struct vfio_iova_win {
	uint64_t lo, hi; /* [lo, hi) */
};

struct vfio_priv {
	int container, group, device;
	unsigned group_id;
	bool noiommu;
	int iommu_type;
	bool can_reset;
	struct vfio_region cfg;
	struct vfio_region bar[PCI_NUM_BARS];
	struct vfio_iova_win iova[MAX_IOVA_RANGES];
	unsigned niova; /* 0: the kernel did not say; all of it is usable */
	unsigned msix_count;
	int *irq_fd;
	unsigned nirq;
};

static struct vfio_priv *priv_of(const struct pdev *d)
{
	return d->priv;
}

/* ---- config space ---- */

static int region_io(int fd, bool write, void *buf, unsigned width, uint64_t at)
{
	ssize_t n = write ? pwrite(fd, buf, width, (off_t)at) : pread(fd, buf, width, (off_t)at);

	if (n == (ssize_t)width)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

static int vfio_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			 struct verr *e)
{
	struct vfio_priv *p = priv_of(d);
	uint8_t b[4] = {0};

	if (region_io(p->device, false, b, width, p->cfg.off + off))
		return verr_set(e, VX_DEVICE, "VFIO config read of %u bytes at 0x%x failed: %s",
				width, off, strerror(errno));
	*val = pci_le_value(b, width);
	return 0;
}

static void refresh_decode(struct pdev *d);

static int vfio_cfg_write(struct pdev *d, unsigned off, unsigned width, uint32_t val,
			  struct verr *e)
{
	struct vfio_priv *p = priv_of(d);
	uint8_t b[4];

	pci_le_bytes((uint32_t)val, width, b);
	if (region_io(p->device, true, b, width, p->cfg.off + off))
		return verr_set(e, VX_DEVICE, "VFIO config write of %u bytes at 0x%x failed: %s",
				width, off, strerror(errno));
	if (off < PCI_CFG_COMMAND + 2 && off + width > PCI_CFG_COMMAND)
		refresh_decode(d);
	return 0;
}

/* ---- decoding ---- */

static void refresh_bar_why(struct pdev *d)
{
	const struct vfio_priv *p = priv_of(d);
	unsigned implemented = 0;

	d->bar_why[0] = '\0';
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (d->bar[i].kind == PCI_BAR_NONE)
			continue;
		implemented++;
		if (p->bar[i].decode_why[0] && !d->bar_why[0])
			snprintf(d->bar_why, WHY_LEN, "%s", p->bar[i].decode_why);
	}
	if (!implemented)
		snprintf(d->bar_why, WHY_LEN, "the function implements no BARs");
}

/* vfio-pci makes a mapped BAR fault (SIGBUS) while memory decoding is off
 * in its command register, and region reads then fail: decide before the
 * access, from the register. */
static void refresh_decode(struct pdev *d)
{
	struct vfio_priv *p = priv_of(d);
	uint32_t cmd = 0;
	bool have = vfio_cfg_read(d, PCI_CFG_COMMAND, 2, &cmd, NULL) == 0;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		bool io = d->bar[i].kind == PCI_BAR_IO;
		char *why = p->bar[i].decode_why;

		why[0] = '\0';
		if (d->bar[i].kind == PCI_BAR_NONE)
			continue;
		if (d->bar[i].size == 0 || !(p->bar[i].flags & VFIO_REGION_INFO_FLAG_READ))
			snprintf(why, WHY_LEN, "VFIO gives no access to BAR %u", i);
		else if (!have)
			snprintf(why, WHY_LEN, "the command register cannot be read through VFIO");
		else if (!(cmd & (io ? PCI_CMD_IO_DECODE : PCI_CMD_MEM_DECODE)))
			snprintf(why, WHY_LEN,
				 "%s decoding is off in the command register (0x%04x)",
				 io ? "I/O" : "memory", (unsigned)cmd);
	}
	refresh_bar_why(d);
}

/* ---- BAR access ---- */

static volatile uint8_t *mapped(const struct vfio_region *r, uint64_t off, unsigned width)
{
	for (unsigned i = 0; i < r->nmap; i++)
		if (off >= r->map[i].off && off - r->map[i].off + width <= r->map[i].len)
			return r->map[i].p + (off - r->map[i].off);
	return NULL;
}

static int bar_ready(struct pdev *d, unsigned bar, bool write, struct verr *e)
{
	const struct vfio_region *r = &priv_of(d)->bar[bar];

	if (r->decode_why[0])
		return verr_set(e, VX_UNAVAILABLE, "%s", r->decode_why);
	if (write && !(r->flags & VFIO_REGION_INFO_FLAG_WRITE))
		return verr_set(e, VX_UNAVAILABLE, "VFIO does not let BAR %u be written", bar);
	return 0;
}

/* Region reads and writes carry little-endian bytes, for I/O BARs too:
 * vfio-pci converts with ioread/iowrite. */
static int vfio_bar_read(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t *val,
			 struct verr *e)
{
	struct vfio_region *r = &priv_of(d)->bar[bar];
	volatile uint8_t *p;
	uint8_t b[8] = {0};

	if (bar_ready(d, bar, false, e))
		return -1;
	p = mapped(r, off, width);
	if (p) {
		*val = pci_mmio_load(p, width);
		return 0;
	}
	if (region_io(priv_of(d)->device, false, b, width, r->off + off))
		return verr_set(e, VX_DEVICE, "VFIO read of %u bytes at BAR %u offset 0x%llx: %s",
				width, bar, (unsigned long long)off, strerror(errno));
	*val = pci_le_value(b, width > 4 ? 4 : width);
	if (width == 8)
		*val |= (uint64_t)pci_le_value(b + 4, 4) << 32;
	return 0;
}

static int vfio_bar_write(struct pdev *d, unsigned bar, uint64_t off, unsigned width, uint64_t val,
			  struct verr *e)
{
	struct vfio_region *r = &priv_of(d)->bar[bar];
	volatile uint8_t *p;
	uint8_t b[8];

	if (bar_ready(d, bar, true, e))
		return -1;
	p = mapped(r, off, width);
	if (p) {
		pci_mmio_store(p, width, val);
		return 0;
	}
	pci_le_bytes((uint32_t)val, width > 4 ? 4 : width, b);
	if (width == 8)
		pci_le_bytes((uint32_t)(val >> 32), 4, b + 4);
	if (region_io(priv_of(d)->device, true, b, width, r->off + off))
		return verr_set(e, VX_DEVICE, "VFIO write of %u bytes at BAR %u offset 0x%llx: %s",
				width, bar, (unsigned long long)off, strerror(errno));
	return 0;
}

/* ---- closing ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void unmap_region(struct vfio_region *r)
{
	for (unsigned i = 0; i < r->nmap; i++)
		munmap((void *)r->map[i].p, (size_t)r->map[i].len);
	r->nmap = 0;
}

static void vfio_close(struct pdev *d)
{
	struct vfio_priv *p = priv_of(d);

	if (!p)
		return;
	vfio_msix_disable(d);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		unmap_region(&p->bar[i]);
	/* Device first: the group cannot leave the container while it is open. */
	close_fd(&p->device);
	close_fd(&p->group);
	close_fd(&p->container);
	free(p);
	d->priv = NULL;
}

static const struct pdev_ops vfio_ops = {
	.name = "vfio",
	.cfg_read = vfio_cfg_read,
	.cfg_write = vfio_cfg_write,
	.bar_read = vfio_bar_read,
	.bar_write = vfio_bar_write,
	.close = vfio_close,
};

bool vfio_pdev_is(const struct pdev *d)
{
	return d && d->ops == &vfio_ops;
}

bool vfio_pdev_noiommu(const struct pdev *d)
{
	return vfio_pdev_is(d) && priv_of(d)->noiommu;
}

const char *vfio_pdev_iommu_name(const struct pdev *d)
{
	if (!vfio_pdev_is(d))
		return "";
	switch (priv_of(d)->iommu_type) {
	case VFIO_TYPE1v2_IOMMU:
		return "type1v2";
	case VFIO_TYPE1_IOMMU:
		return "type1";
	default:
		return "noiommu";
	}
}

/* ---- group and container ---- */

bool vfio_is_bound(const char *sysfs_root, const struct pci_addr *a)
{
	char path[PATH_MAX], drv[64];

	return pci_sysfs_path(path, sizeof(path), sysfs_root, a, "driver") &&
	       sysattr_link_basename(path, drv, sizeof(drv)) && strcmp(drv, "vfio-pci") == 0;
}

static int group_id(const char *root, const struct pci_addr *a, const char *name, unsigned *id,
		    struct verr *e)
{
	char path[PATH_MAX], base[32], *end;
	unsigned long v;

	if (!pci_sysfs_path(path, sizeof(path), root, a, "iommu_group"))
		return verr_set(e, VX_FAIL, "sysfs path of %s is too long", name);
	if (!sysattr_link_basename(path, base, sizeof(base)))
		return verr_set(e, VX_UNAVAILABLE,
				"%s is bound to vfio-pci but has no IOMMU group (%s missing): no "
				"IOMMU, and VFIO's no-IOMMU mode is off",
				name, path);
	errno = 0;
	v = strtoul(base, &end, 10);
	if (errno || *end || end == base || v > 0xffffffffu)
		return verr_set(e, VX_FAIL, "odd IOMMU group name %s for %s", base, name);
	*id = (unsigned)v;
	return 0;
}

static int group_open_error(const char *path, const char *name, unsigned gid, int err,
			    struct verr *e)
{
	if (err == EACCES || err == EPERM)
		return verr_set(e, VX_PERM,
				"cannot open %s for %s: %s (run as root, or give this "
				"user the group's device node)",
				path, name, strerror(err));
	if (err == EBUSY)
		return verr_set(e, VX_PERM,
				"cannot open %s for %s: %s (the IOMMU group is open "
				"elsewhere: a VM or another virtioctl)",
				path, name, strerror(err));
	if (err == ENOENT)
		return verr_set(e, VX_UNAVAILABLE,
				"cannot open %s for %s: no such device node "
				"(vfio-pci is bound, but /dev/vfio has no entry for group %u)",
				path, name, gid);
	return verr_set(e, VX_UNAVAILABLE, "cannot open %s for %s: %s", path, name, strerror(err));
}

/* In no-IOMMU mode the node is /dev/vfio/noiommu-N. */
static int open_group_fd(struct vfio_priv *p, const char *name, struct verr *e)
{
	char path[64], alt[64];
	int err;

	snprintf(path, sizeof(path), "/dev/vfio/%u", p->group_id);
	p->group = open(path, O_RDWR | O_CLOEXEC);
	if (p->group >= 0)
		return 0;
	err = errno;
	if (err != ENOENT)
		return group_open_error(path, name, p->group_id, err, e);
	snprintf(alt, sizeof(alt), "/dev/vfio/noiommu-%u", p->group_id);
	p->group = open(alt, O_RDWR | O_CLOEXEC);
	if (p->group >= 0) {
		p->noiommu = true;
		return 0;
	}
	if (errno == ENOENT)
		return group_open_error(path, name, p->group_id, ENOENT, e);
	return group_open_error(alt, name, p->group_id, errno, e);
}

/* Which devices keep the group from being viable: those bound to a driver
 * that uses the kernel's DMA API. Bridges (pcieport) and stubs do not. */
static void group_blockers(const char *root, unsigned gid, char *buf, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], drv[64];
	struct dirent *de;
	size_t used = 0;
	DIR *dp;

	buf[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%u/devices", root, gid);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((de = readdir(dp)) && used + 1 < len) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/driver", dir, de->d_name);
		if (!sysattr_link_basename(path, drv, sizeof(drv)) || !strcmp(drv, "vfio-pci") ||
		    !strcmp(drv, "pci-stub") || !strcmp(drv, "pcieport"))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s on %s", used ? ", " : "",
					 de->d_name, drv);
	}
	closedir(dp);
}

static int check_viable(struct vfio_priv *p, const char *root, const char *name, struct verr *e)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char who[200];

	if (ioctl(p->group, VFIO_GROUP_GET_STATUS, &st) != 0)
		return verr_set(e, VX_FAIL, "VFIO_GROUP_GET_STATUS on group %u: %s", p->group_id,
				strerror(errno));
	if (st.flags & VFIO_GROUP_FLAGS_VIABLE)
		return 0;
	group_blockers(root, p->group_id, who, sizeof(who));
	return verr_set(e, VX_PERM,
			"VFIO group %u of %s is not viable: every device in it must be bound to "
			"vfio-pci or to no driver%s%s (see %s/kernel/iommu_groups/%u/devices)",
			p->group_id, name, who[0] ? "; bound elsewhere: " : "", who, root,
			p->group_id);
}

static int pick_iommu(struct vfio_priv *p, struct verr *e)
{
	static const int types[] = {VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU};

	if (p->noiommu) {
		if (ioctl(p->container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) > 0) {
			p->iommu_type = VFIO_NOIOMMU_IOMMU;
			return 0;
		}
		return verr_set(e, VX_UNAVAILABLE,
				"the VFIO container offers no no-IOMMU driver "
				"(vfio enable_unsafe_noiommu_mode=1)");
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (ioctl(p->container, VFIO_CHECK_EXTENSION, types[i]) > 0) {
			p->iommu_type = types[i];
			return 0;
		}
	return verr_set(e, VX_UNAVAILABLE,
			"the VFIO container offers no type1 IOMMU (is vfio_iommu_type1 loaded?)");
}

static int set_iommu(struct vfio_priv *p, struct verr *e)
{
	int err;

	if (ioctl(p->container, VFIO_SET_IOMMU, p->iommu_type) == 0)
		return 0;
	err = errno;
	if (err == EPERM && !p->noiommu)
		return verr_set(e, VX_PERM,
				"VFIO_SET_IOMMU for group %u: %s (the IOMMU has no "
				"interrupt remapping: enable it, or load vfio_iommu_type1 with "
				"allow_unsafe_interrupts=1)",
				p->group_id, strerror(err));
	return verr_set(e, VX_FAIL, "VFIO_SET_IOMMU for group %u: %s", p->group_id, strerror(err));
}

static int open_container(struct vfio_priv *p, struct verr *e)
{
	int err;

	p->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (p->container < 0) {
		err = errno;
		return verr_set(e, err == EACCES || err == EPERM ? VX_PERM : VX_UNAVAILABLE,
				"cannot open /dev/vfio/vfio: %s", strerror(err));
	}
	if (ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return verr_set(e, VX_UNAVAILABLE, "unknown VFIO API version");
	if (pick_iommu(p, e))
		return -1;
	if (ioctl(p->group, VFIO_GROUP_SET_CONTAINER, &p->container) != 0)
		return verr_set(e, VX_FAIL, "VFIO_GROUP_SET_CONTAINER for group %u: %s",
				p->group_id, strerror(errno));
	return set_iommu(p, e);
}

/* ---- IOVA ranges ---- */

static void parse_iova_ranges(struct vfio_priv *p, const uint8_t *buf, uint32_t argsz)
{
	const struct vfio_iommu_type1_info *info = (const void *)buf;
	uint32_t at = info->cap_offset;

	while (at && at + sizeof(struct vfio_info_cap_header) <= argsz) {
		const struct vfio_info_cap_header *h = (const void *)(buf + at);
		const struct vfio_iommu_type1_info_cap_iova_range *r = (const void *)h;

		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    at + sizeof(*r) + r->nr_iovas * sizeof(r->iova_ranges[0]) <= argsz) {
			for (uint32_t i = 0; i < r->nr_iovas && p->niova < MAX_IOVA_RANGES; i++) {
				uint64_t end = r->iova_ranges[i].end;

				p->iova[p->niova].lo = r->iova_ranges[i].start;
				p->iova[p->niova++].hi = end == UINT64_MAX ? end : end + 1;
			}
			return;
		}
		if (h->next <= at)
			return;
		at = h->next;
	}
}

static void read_iova_ranges(struct vfio_priv *p)
{
	struct vfio_iommu_type1_info probe = {.argsz = sizeof(probe)};
	uint8_t *buf;

	if (p->noiommu || ioctl(p->container, VFIO_IOMMU_GET_INFO, &probe) != 0 ||
	    !(probe.flags & VFIO_IOMMU_INFO_CAPS) || probe.argsz <= sizeof(probe))
		return;
	buf = calloc(1, probe.argsz);
	if (!buf)
		return;
	((struct vfio_iommu_type1_info *)buf)->argsz = probe.argsz;
	if (ioctl(p->container, VFIO_IOMMU_GET_INFO, buf) == 0)
		parse_iova_ranges(p, buf, probe.argsz);
	free(buf);
}

bool vfio_iova_window(const struct pdev *d, uint64_t start, uint64_t *lo, uint64_t *hi)
{
	const struct vfio_priv *p = priv_of(d);
	const struct vfio_iova_win *best = NULL;

	if (!p->niova) {
		*lo = 0;
		*hi = UINT64_MAX;
		return true;
	}
	for (unsigned i = 0; i < p->niova; i++) {
		const struct vfio_iova_win *w = &p->iova[i];

		if (start >= w->lo && start < w->hi) {
			best = w;
			break;
		}
		if (w->lo > start && (!best || w->lo < best->lo))
			best = w;
	}
	if (!best)
		return false;
	*lo = best->lo;
	*hi = best->hi;
	return true;
}

int vfio_dma_map(struct pdev *d, void *va, uint64_t iova, uint64_t len, struct verr *e)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)va,
		.iova = iova,
		.size = len,
	};
	int err;

	if (!vfio_pdev_is(d) || priv_of(d)->noiommu)
		return verr_set(e, VX_UNAVAILABLE, "no VFIO IOMMU to map DMA through");
	if (ioctl(priv_of(d)->container, VFIO_IOMMU_MAP_DMA, &m) == 0)
		return 0;
	err = errno;
	return verr_set(e, VX_FAIL, "VFIO_IOMMU_MAP_DMA of %llu bytes at IOVA 0x%llx: %s%s",
			(unsigned long long)len, (unsigned long long)iova, strerror(err),
			err == ENOMEM ? " (locked-memory limit? see ulimit -l)" : "");
}

int vfio_dma_unmap(struct pdev *d, uint64_t iova, uint64_t len, struct verr *e)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = len};

	if (!vfio_pdev_is(d) || priv_of(d)->noiommu)
		return verr_set(e, VX_UNAVAILABLE, "no VFIO IOMMU to unmap DMA from");
	if (ioctl(priv_of(d)->container, VFIO_IOMMU_UNMAP_DMA, &u) != 0 || u.size != len)
		return verr_set(e, VX_FAIL, "VFIO_IOMMU_UNMAP_DMA of %llu bytes at IOVA 0x%llx: %s",
				(unsigned long long)len, (unsigned long long)iova,
				u.size != len ? "partly unmapped" : strerror(errno));
	return 0;
}

/* ---- regions ---- */

static int region_info(struct vfio_priv *p, unsigned index, struct vfio_region_info **out)
{
	struct vfio_region_info probe = {.argsz = sizeof(probe), .index = index};
	struct vfio_region_info *ri;

	*out = NULL;
	if (ioctl(p->device, VFIO_DEVICE_GET_REGION_INFO, &probe) != 0)
		return -1;
	ri = calloc(1, probe.argsz > sizeof(probe) ? probe.argsz : sizeof(probe));
	if (!ri)
		return -1;
	ri->argsz = probe.argsz > sizeof(probe) ? probe.argsz : sizeof(probe);
	ri->index = index;
	if (ioctl(p->device, VFIO_DEVICE_GET_REGION_INFO, ri) != 0) {
		free(ri);
		return -1;
	}
	*out = ri;
	return 0;
}

static const struct vfio_info_cap_header *find_cap(const struct vfio_region_info *ri, uint16_t id)
{
	uint32_t at = (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) ? ri->cap_offset : 0;

	while (at && at + sizeof(struct vfio_info_cap_header) <= ri->argsz) {
		const struct vfio_info_cap_header *h = (const void *)((const uint8_t *)ri + at);

		if (h->id == id)
			return h;
		if (h->next <= at)
			break;
		at = h->next;
	}
	return NULL;
}

static void map_one(int fd, struct vfio_region *r, uint64_t off, uint64_t len)
{
	void *m;

	if (!len || r->nmap == MAX_SPARSE || len > SIZE_MAX)
		return;
	m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(r->off + off));
	if (m == MAP_FAILED)
		return; /* pread/pwrite still reach the region */
	r->map[r->nmap++] = (struct vfio_map){off, len, m};
}

/* The whole region when it may be mapped, else the areas the sparse-mmap
 * capability lists (the MSI-X table is usually carved out). */
static void map_region(int fd, struct vfio_region *r, const struct vfio_region_info *ri)
{
	const struct vfio_info_cap_header *h;
	const struct vfio_region_info_cap_sparse_mmap *sp;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return;
	h = find_cap(ri, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (!h) {
		map_one(fd, r, 0, ri->size);
		return;
	}
	sp = (const void *)h;
	for (uint32_t i = 0; i < sp->nr_areas; i++)
		if ((const uint8_t *)&sp->areas[i + 1] <= (const uint8_t *)ri + ri->argsz)
			map_one(fd, r, sp->areas[i].offset, sp->areas[i].size);
}

static int read_regions(struct pdev *d, struct verr *e)
{
	struct vfio_priv *p = priv_of(d);
	struct vfio_region_info *ri;

	if (region_info(p, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return verr_set(e, VX_FAIL, "VFIO config region info: %s", strerror(errno));
	p->cfg.off = ri->offset;
	p->cfg.size = ri->size;
	free(ri);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (region_info(p, VFIO_PCI_BAR0_REGION_INDEX + i, &ri))
			continue;
		p->bar[i].off = ri->offset;
		p->bar[i].size = ri->size;
		p->bar[i].flags = ri->flags;
		if (ri->size)
			map_region(p->device, &p->bar[i], ri);
		free(ri);
	}
	return 0;
}

static void read_msix_count(struct vfio_priv *p)
{
	struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX};

	if (ioctl(p->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0 &&
	    (ii.flags & VFIO_IRQ_INFO_EVENTFD))
		p->msix_count = ii.count;
}

/* ---- identity ---- */

static void fill_identity(struct pdev *d)
{
	d->vendor = pdev_cfg_read16(d, PCI_CFG_VENDOR);
	d->device = pdev_cfg_read16(d, PCI_CFG_DEVICE);
	pdev_read_revision(d);
	d->class_code = pdev_cfg_read32(d, PCI_CFG_REVISION) >> 8;
	if ((pdev_cfg_read8(d, PCI_CFG_HEADER_TYPE) & 0x7f) == 0) {
		d->subsys_vendor = pdev_cfg_read16(d, PCI_CFG_SUBSYS_VENDOR);
		d->subsys_device = pdev_cfg_read16(d, PCI_CFG_SUBSYS_DEVICE);
	}
}

/* Kinds and bases from the (virtualized) BAR registers, sizes from the
 * regions, which are what VFIO lets us reach. */
static void fill_bars(struct pdev *d)
{
	const struct vfio_priv *p = priv_of(d);
	uint32_t raw[PCI_NUM_BARS] = {0};
	unsigned nbars = pci_header_num_bars(pdev_cfg_read8(d, PCI_CFG_HEADER_TYPE));

	for (unsigned i = 0; i < nbars; i++)
		raw[i] = pdev_cfg_read32(d, PCI_CFG_BAR0 + 4 * i);
	pci_bars_decode(raw, nbars, d->bar);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].kind != PCI_BAR_NONE)
			d->bar[i].size = p->bar[i].size;
}

static int open_device(struct pdev *d, const char *root, const char *name, struct verr *e)
{
	struct vfio_priv *p = priv_of(d);
	struct vfio_device_info info = {.argsz = sizeof(info)};

	if (open_group_fd(p, name, e) || check_viable(p, root, name, e) || open_container(p, e))
		return -1;
	p->device = ioctl(p->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (p->device < 0)
		return verr_set(e, errno == EBUSY ? VX_PERM : VX_FAIL,
				"VFIO_GROUP_GET_DEVICE_FD for %s: %s", name, strerror(errno));
	if (ioctl(p->device, VFIO_DEVICE_GET_INFO, &info) != 0 ||
	    !(info.flags & VFIO_DEVICE_FLAGS_PCI))
		return verr_set(e, VX_FAIL, "%s: VFIO does not present a PCI device", name);
	p->can_reset = (info.flags & VFIO_DEVICE_FLAGS_RESET) != 0;
	read_iova_ranges(p);
	read_msix_count(p);
	return read_regions(d, e);
}

static struct pdev *pdev_alloc(const struct pci_addr *a)
{
	struct pdev *d = calloc(1, sizeof(*d));
	struct vfio_priv *p = calloc(1, sizeof(*p));

	if (!d || !p) {
		free(d);
		free(p);
		return NULL;
	}
	p->container = p->group = p->device = -1;
	d->ops = &vfio_ops;
	d->on_host = true;
	d->priv = p;
	d->addr = *a;
	return d;
}

int vfio_pdev_open(const char *sysfs_root, const struct pci_addr *a, struct pdev **out,
		   struct verr *e)
{
	char name[PCI_ADDR_STRLEN];
	struct pdev *d = pdev_alloc(a);

	*out = NULL;
	if (!d)
		return verr_set(e, VX_FAIL, "out of memory");
	pci_addr_format(a, name);
	if (group_id(sysfs_root, a, name, &priv_of(d)->group_id, e) ||
	    open_device(d, sysfs_root, name, e)) {
		pdev_close(d);
		return -1;
	}
	d->cfg_size = priv_of(d)->cfg.size >= 4096 ? 4096 : priv_of(d)->cfg.size >= 256 ? 256 : 64;
	fill_identity(d);
	fill_bars(d);
	snprintf(d->driver, sizeof(d->driver), "vfio-pci");
	refresh_decode(d);
	*out = d;
	return 0;
}

int vfio_device_reset(struct pdev *d, struct verr *e)
{
	if (!vfio_pdev_is(d))
		return verr_set(e, VX_USAGE,
				"a function-level reset needs the device opened "
				"through VFIO");
	if (!priv_of(d)->can_reset)
		return verr_set(e, VX_UNAVAILABLE, "VFIO offers no reset for this function");
	if (ioctl(priv_of(d)->device, VFIO_DEVICE_RESET) != 0)
		return verr_set(e, VX_DEVICE, "VFIO_DEVICE_RESET: %s", strerror(errno));
	/* The reset may have cleared the command register. */
	refresh_decode(d);
	return 0;
}

/* ---- MSI-X eventfds ---- */

unsigned vfio_msix_count(const struct pdev *d)
{
	return vfio_pdev_is(d) ? priv_of(d)->msix_count : 0;
}

static int set_irqs(struct vfio_priv *p, const int *fds, unsigned n)
{
	size_t sz = sizeof(struct vfio_irq_set) + n * sizeof(int32_t);
	struct vfio_irq_set *s = calloc(1, sz);
	int rc;

	if (!s)
		return -1;
	s->argsz = (uint32_t)sz;
	s->flags = (n ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) |
		   VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSIX_IRQ_INDEX;
	s->count = n;
	for (unsigned i = 0; i < n; i++)
		((int32_t *)s->data)[i] = fds[i];
	rc = ioctl(p->device, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return rc;
}

static void close_irq_fds(struct vfio_priv *p)
{
	for (unsigned i = 0; i < p->nirq; i++)
		close_fd(&p->irq_fd[i]);
	free(p->irq_fd);
	p->irq_fd = NULL;
	p->nirq = 0;
}

int vfio_msix_enable(struct pdev *d, unsigned n, struct verr *e)
{
	struct vfio_priv *p;
	int *fds;

	if (!vfio_pdev_is(d))
		return verr_set(e, VX_USAGE, "interrupts need the device opened through VFIO");
	p = priv_of(d);
	if (n == 0 || n > p->msix_count)
		return verr_set(e, VX_USAGE, "%u MSI-X vectors asked for; the device has %u", n,
				p->msix_count);
	vfio_msix_disable(d);
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return verr_set(e, VX_FAIL, "out of memory");
	p->irq_fd = fds;
	for (unsigned i = 0; i < n; i++, p->nirq++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0) {
			close_irq_fds(p);
			return verr_set(e, VX_FAIL, "eventfd: %s", strerror(errno));
		}
	}
	if (set_irqs(p, fds, n) != 0) {
		int err = errno;

		close_irq_fds(p);
		return verr_set(e, VX_FAIL, "VFIO_DEVICE_SET_IRQS (MSI-X, %u vectors): %s", n,
				strerror(err));
	}
	return 0;
}

int vfio_msix_eventfd(const struct pdev *d, unsigned vector)
{
	if (!vfio_pdev_is(d) || vector >= priv_of(d)->nirq)
		return -1;
	return priv_of(d)->irq_fd[vector];
}

void vfio_msix_disable(struct pdev *d)
{
	struct vfio_priv *p;

	if (!vfio_pdev_is(d) || !d->priv)
		return;
	p = priv_of(d);
	if (!p->nirq)
		return;
	set_irqs(p, NULL, 0);
	close_irq_fds(p);
}
