/* The live backend (libpci + sysfs) against fake sysfs trees, where config
 * and resourceN are regular files, and a read-only look at this machine's
 * real /sys when it has the expected virtio functions. */
#include "check.h"
#include "fakesys.h"
#include "cli/dispatch.h"
#include "cli/session.h"
#include "cli/shell.h"
#include "pci/system.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NET	"0000:00:04.0"
#define NET_DIR "bus/pci/devices/" NET

/* A transitional virtio-net as QEMU builds it: legacy I/O BAR0, MSI-X in
 * mem32 BAR1, modern registers in the 64-bit prefetchable BAR4. */
static void make_cfg(uint8_t *cfg, uint16_t command)
{
	static const uint8_t head[0x40] = {
		0xf4, 0x1a, 0x00, 0x10, 0x07, 0x05, 0x10, 0x00, /* ids, command, status */
		0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, /* class 020000 */
		0x41, 0xc0, 0x00, 0x00, 0x00, 0x10, 0xbf, 0xfe, /* BAR0 io, BAR1 mem32 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x0c, 0x00, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00, /* BAR4/5 mem64 pref */
		0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x01, 0x00, /* subsystem 1af4:0001 */
		0x00, 0x00, 0x00, 0x00, 0x98, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x0b, 0x01, 0x00, 0x00,
	};

	memcpy(cfg, head, sizeof(head));
	cfg[4] = (uint8_t)command;
	cfg[5] = (uint8_t)(command >> 8);
	cfg[0x98] = 0x11;
}

static bool add_net(struct fakesys *fs, size_t cfg_len, uint16_t command, bool resources)
{
	static uint8_t cfg[4096];
	struct fake_fn fn = {
		.addr = NET,
		.cfg = cfg,
		.cfg_len = cfg_len,
		.bar =
			{
				{0xc040, 0x40, 0x40101},
				{0xfebf1000, 0x1000, 0x40200},
				{0},
				{0},
				{0xfe000000, 0x4000, 0x14220c},
			},
		.resource_files = resources,
		.driver = "virtio-pci",
	};

	memset(cfg, 0, sizeof(cfg));
	make_cfg(cfg, command);
	return fakesys_add_fn(fs, &fn);
}

/* An unbound function with no BARs at all, and a bridge on another bus. */
static bool add_others(struct fakesys *fs)
{
	static uint8_t host[256] = {0x86, 0x80, 0x57, 0x0d, [0x0b] = 0x06};
	/* 1b36:000c, class 060400, header type 1 */
	static uint8_t bridge[4096] = {
		0x36, 0x1b, 0x0c, 0x00, [0x0a] = 0x04, [0x0b] = 0x06, [0x0e] = 0x01};
	struct fake_fn a = {.addr = "0000:00:00.0", .cfg = host, .cfg_len = sizeof(host)};
	struct fake_fn b = {.addr = "0000:01:00.0",
			    .cfg = bridge,
			    .cfg_len = sizeof(bridge),
			    .driver = "pcieport"};

	return fakesys_add_fn(fs, &a) && fakesys_add_fn(fs, &b);
}

static struct pdev *open_net(struct fakesys *fs, struct psys **sp)
{
	struct verr e = {0};
	struct pci_addr a;
	struct pdev *d = NULL;

	*sp = psys_open_live(fs->root, &e);
	CHECK_STR(e.msg, "");
	if (!*sp)
		return NULL;
	pci_addr_parse(NET, &a);
	CHECK_EQ(psys_open_device(*sp, &a, &d, &e), 0);
	CHECK_STR(e.msg, "");
	return d;
}

static void close_all(struct pdev *d, struct psys *s, struct fakesys *fs)
{
	pdev_close(d);
	psys_close(s);
	fakesys_destroy(fs);
}

static bool setup(struct fakesys *fs, size_t cfg_len, uint16_t command, bool resources)
{
	bool ok = fakesys_create(fs) && add_net(fs, cfg_len, command, resources);

	CHECK(ok);
	return ok;
}

static void check_bridge(struct psys *s)
{
	struct pci_addr a = {0, 1, 0, 0};
	struct pdev *d = NULL;
	struct verr e = {0};

	CHECK_EQ(s ? psys_open_device(s, &a, &d, &e) : -1, 0);
	if (!d)
		return;
	CHECK_EQ(d->class_code, 0x060400);
	CHECK_EQ(d->cfg_size, 4096);
	CHECK_STR(d->driver, "pcieport");
	for (int i = 0; i < PCI_NUM_BARS; i++)
		CHECK_EQ(d->bar[i].kind, PCI_BAR_NONE);
	CHECK_STR(d->bar_why, "the function implements no BARs");
	CHECK(!pdev_has_bar_access(d));
	pdev_close(d);
}

static void test_scan(void)
{
	struct fakesys fs;
	struct verr e = {0};
	struct psys *s;
	struct psys_entry *v = NULL;
	size_t n = 0;

	if (!setup(&fs, 256, 7, true) || !add_others(&fs))
		return;
	/* an entry that vanished between readdir and the attribute reads */
	CHECK(fakesys_link(&fs, "bus/pci/devices/0000:00:09.0", "../../../devices/gone"));
	s = psys_open_live(fs.root, &e);
	CHECK(s != NULL);
	CHECK(s && !psys_is_dump(s));
	CHECK_STR(s ? psys_sysfs_root(s) : "", fs.root);
	CHECK_EQ(s ? psys_scan(s, &v, &n, &e) : -1, 0);
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK_EQ(v[0].addr.dev, 0);
		CHECK_EQ(v[0].vendor, 0x8086);
		CHECK_EQ(v[0].class_code, 0x060000);
		CHECK_STR(v[0].driver, "");
		CHECK_EQ(v[1].addr.dev, 4);
		CHECK_EQ(v[1].vendor, 0x1af4);
		CHECK_EQ(v[1].device, 0x1000);
		CHECK_EQ(v[1].subsys_device, 1);
		CHECK_EQ(v[1].class_code, 0x020000);
		CHECK_STR(v[1].driver, "virtio-pci");
		CHECK_EQ(v[2].addr.bus, 1);
		CHECK_STR(v[2].driver, "pcieport");
	}
	free(v);
	check_bridge(s);
	psys_close(s);
	fakesys_destroy(&fs);
}

static void test_identity(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_STR(d->ops->name, "sysfs");
	CHECK_EQ(d->vendor, 0x1af4);
	CHECK_EQ(d->device, 0x1000);
	CHECK_EQ(d->subsys_vendor, 0x1af4);
	CHECK_EQ(d->subsys_device, 1);
	CHECK_EQ(d->class_code, 0x020000);
	CHECK_EQ(d->cfg_size, 256);
	CHECK_STR(d->driver, "virtio-pci");
	CHECK_EQ(d->bar[0].kind, PCI_BAR_IO);
	CHECK_EQ(d->bar[0].base, 0xc040);
	CHECK_EQ(d->bar[0].size, 0x40);
	CHECK_EQ(d->bar[1].kind, PCI_BAR_MEM32);
	CHECK_EQ(d->bar[1].size, 0x1000);
	CHECK_EQ(d->bar[2].kind, PCI_BAR_NONE);
	CHECK_EQ(d->bar[4].kind, PCI_BAR_MEM64);
	CHECK(d->bar[4].prefetchable);
	CHECK_EQ(d->bar[4].base, 0xfe000000);
	CHECK_EQ(d->bar[4].size, 0x4000);
	CHECK_EQ(d->bar[5].kind, PCI_BAR_NONE);
	CHECK_EQ(pdev_cfg_read16(d, 0), 0x1af4);
	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x98);
	CHECK_EQ(pdev_cfg_read32(d, 0x98), 0x11);
	CHECK(!d->writable);
	CHECK(pdev_has_bar_access(d));
	CHECK_STR(d->bar_why, "");
	close_all(d, s, &fs);
}

/* The scan and the open of one function, for test_uevent. */
static void scan_and_open(struct fakesys *fs, uint16_t device, uint16_t subsys_device,
			  uint8_t revision, const char *driver)
{
	struct verr e = {0};
	struct psys *s = psys_open_live(fs->root, &e);
	struct psys_entry *v = NULL;
	struct pdev *d = NULL;
	struct pci_addr a;
	size_t n = 0;

	pci_addr_parse(NET, &a);
	CHECK_EQ(s ? psys_scan(s, &v, &n, &e) : -1, 0);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(v[0].device, device);
		CHECK_EQ(v[0].subsys_device, subsys_device);
		CHECK_EQ(v[0].class_code, 0x020000);
		CHECK_STR(v[0].driver, driver);
	}
	free(v);
	CHECK_EQ(s ? psys_open_device(s, &a, &d, &e) : -1, 0);
	CHECK_STR(e.msg, "");
	if (d) {
		CHECK_EQ(d->vendor, 0x1af4);
		CHECK_EQ(d->device, device);
		CHECK_EQ(d->subsys_device, subsys_device);
		CHECK_EQ(d->revision, revision);
		CHECK_EQ(d->class_code, 0x020000);
		CHECK_STR(d->driver, driver);
		CHECK_EQ(d->bar[4].size, 0x4000);
	}
	pdev_close(d);
	psys_close(s);
}

/* The identity comes from the kernel's uevent file (one read) where it is
 * whole, and the revision from config space: made to disagree with the
 * attribute files here, as a VF's config space disagrees with the kernel.
 * Without the file, or with one that lacks a field, the attribute files
 * and the driver link are read as before. */
static void test_uevent(void)
{
	struct fakesys fs;

	if (!setup(&fs, 256, 7, true))
		return;
	CHECK(fakesys_text(&fs, NET_DIR "/revision", "0x07\n"));
	CHECK(fakesys_text(&fs, NET_DIR "/uevent",
			   "DRIVER=vfio-pci\nPCI_CLASS=20000\nPCI_ID=1AF4:1041\n"
			   "PCI_SUBSYS_ID=1AF4:1100\nPCI_SLOT_NAME=" NET "\n"));
	scan_and_open(&fs, 0x1041, 0x1100, 0, "vfio-pci");
	/* no PCI_CLASS: not whole */
	CHECK(fakesys_text(&fs, NET_DIR "/uevent",
			   "DRIVER=vfio-pci\nPCI_ID=1AF4:1041\nPCI_SUBSYS_ID=1AF4:1100\n"));
	scan_and_open(&fs, 0x1000, 1, 7, "virtio-pci");
	CHECK(fakesys_remove(&fs, NET_DIR "/uevent"));
	scan_and_open(&fs, 0x1000, 1, 7, "virtio-pci");
	fakesys_destroy(&fs);
}

/* psys_keep_scans: within one command an open takes the identity and
 * driver its scan read (a uevent changed in between is not seen); off,
 * or with no scan kept, the open reads the function again. */
static void test_keep_scans(void)
{
	struct fakesys fs;
	struct verr e = {0};
	struct psys *s;
	struct psys_entry *v = NULL;
	struct pdev *d = NULL;
	struct pci_addr a;
	size_t n = 0;

	if (!setup(&fs, 256, 7, true))
		return;
	pci_addr_parse(NET, &a);
	s = psys_open_live(fs.root, &e);
	psys_keep_scans(s, true);
	CHECK_EQ(s ? psys_scan(s, &v, &n, &e) : -1, 0);
	free(v);
	CHECK(fakesys_text(&fs, NET_DIR "/uevent",
			   "DRIVER=vfio-pci\nPCI_CLASS=20000\nPCI_ID=1AF4:1041\n"
			   "PCI_SUBSYS_ID=1AF4:1100\n"));
	/* nor is the driver link read to choose the backend (a link to
	 * vfio-pci would take the open to VFIO, which this tree lacks) */
	CHECK(fakesys_remove(&fs, NET_DIR "/driver"));
	CHECK(fakesys_link(&fs, NET_DIR "/driver", "../../../bus/pci/drivers/vfio-pci"));
	CHECK_EQ(s ? psys_open_device(s, &a, &d, &e) : -1, 0);
	CHECK(d && d->device == 0x1000 && strcmp(d->driver, "virtio-pci") == 0);
	pdev_close(d);
	d = NULL;
	CHECK(fakesys_remove(&fs, NET_DIR "/driver"));
	CHECK(fakesys_link(&fs, NET_DIR "/driver", "../../../bus/pci/drivers/virtio-pci"));
	psys_keep_scans(s, false);
	CHECK_EQ(s ? psys_open_device(s, &a, &d, &e) : -1, 0);
	CHECK(d && d->device == 0x1041 && strcmp(d->driver, "vfio-pci") == 0);
	pdev_close(d);
	psys_close(s);
	fakesys_destroy(&fs);
}

/* Config files of 64 and 4096 bytes: what a process without CAP_SYS_ADMIN
 * gets, and a PCIe function. */
static void test_cfg_size(void)
{
	static const size_t lens[] = {64, 4096};

	for (size_t i = 0; i < 2; i++) {
		struct fakesys fs;
		struct psys *s;
		struct pdev *d;

		if (!setup(&fs, lens[i], 7, true) || !(d = open_net(&fs, &s)))
			return;
		CHECK_EQ(d->cfg_size, lens[i]);
		CHECK_EQ(d->bar[4].kind, PCI_BAR_MEM64);
		close_all(d, s, &fs);
	}
}

/* A revision ID that nothing holds (config space cut before it, no
 * revision attribute) is marked unread, not left as 0; the attribute alone
 * serves when config space does not. */
static void test_revision_unread(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	int fd;

	if (!setup(&fs, 256, 7, true))
		return;
	fd = open(fakesys_path(&fs, NET_DIR "/config"), O_RDWR);
	CHECK(fd >= 0 && ftruncate(fd, 8) == 0);
	if (fd >= 0)
		close(fd);
	CHECK(fakesys_text(&fs, NET_DIR "/revision", "0x01\n"));
	if ((d = open_net(&fs, &s))) {
		CHECK(!d->revision_unread);
		CHECK_EQ(d->revision, 1);
		pdev_close(d);
		psys_close(s);
	}
	CHECK(fakesys_remove(&fs, NET_DIR "/revision"));
	if ((d = open_net(&fs, &s))) {
		CHECK(d->revision_unread);
		pdev_close(d);
		psys_close(s);
	}
	fakesys_destroy(&fs);
}

/* Whether this process may read past 64 bytes is learned once per source:
 * after one 256-byte function read whole, a later open of the same source
 * does not probe byte 252 (shown by a config file cut to 64 bytes after
 * the first open: only a new source sees it). */
static void test_cfg_full_learned(void)
{
	struct fakesys fs;
	struct psys *s, *s2;
	struct pdev *d, *d2;
	struct pci_addr a;
	struct verr e = {0};
	int fd;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_EQ(d->cfg_size, 256);
	pdev_close(d);
	fd = open(fakesys_path(&fs, NET_DIR "/config"), O_RDWR);
	CHECK(fd >= 0 && ftruncate(fd, 64) == 0);
	if (fd >= 0)
		close(fd);
	pci_addr_parse(NET, &a);
	d = NULL;
	CHECK_EQ(psys_open_device(s, &a, &d, &e), 0);
	CHECK(d && d->cfg_size == 256);
	pdev_close(d);
	if ((d2 = open_net(&fs, &s2)))
		CHECK_EQ(d2->cfg_size, 64);
	pdev_close(d2);
	psys_close(s2);
	psys_close(s);
	fakesys_destroy(&fs);
}

static void test_bar_reads(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	/* resourceN byte i holds i & 0xff; registers are little-endian */
	CHECK_EQ(pdev_bar_read(d, 4, 0x13, 1, &v, &e), 0);
	CHECK_EQ(v, 0x13);
	CHECK_EQ(pdev_bar_read(d, 4, 0x20, 2, &v, &e), 0);
	CHECK_EQ(v, 0x2120);
	CHECK_EQ(pdev_bar_read(d, 4, 0x3ffc, 4, &v, &e), 0);
	CHECK_EQ(v, 0xfffefdfc);
	CHECK_EQ(pdev_bar_read(d, 4, 0x1008, 8, &v, &e), 0);
	CHECK_EQ(v, 0x0f0e0d0c0b0a0908ull);
	CHECK_EQ(pdev_bar_read(d, 1, 0x800, 4, &v, &e), 0);
	CHECK_EQ(v, 0x03020100);
	CHECK_EQ(pdev_bar_read(d, 0, 0x12, 2, &v, &e), 0);
	CHECK_EQ(v, 0x1312);
	CHECK_EQ(pdev_bar_read(d, 0, 0x3c, 4, &v, &e), 0);
	CHECK_EQ(v, 0x3f3e3d3c);
	CHECK_STR(e.msg, "");
	CHECK_EQ(pdev_bar_read(d, 0, 0, 8, &v, &e), -1);
	CHECK_EQ(e.code, VX_FAIL);
	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 4, 0x4000, 1, &v, &e), -1);
	CHECK_EQ(e.code, VX_DEVICE);
	close_all(d, s, &fs);
}

static uint64_t file_value(struct fakesys *fs, const char *rel, off_t off, unsigned width)
{
	uint8_t b[8] = {0};
	uint64_t v = 0;
	int fd = open(fakesys_path(fs, rel), O_RDONLY);

	CHECK(fd >= 0 && pread(fd, b, width, off) == (ssize_t)width);
	if (fd >= 0)
		close(fd);
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static void test_bar_writes(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_EQ(pdev_bar_read(d, 4, 0, 4, &v, &e), 0); /* maps read-only first */
	CHECK_EQ(pdev_bar_write(d, 4, 0x10, 4, 0xdeadbeef, &e), -1);
	CHECK_EQ(e.code, VX_PERM);
	verr_clear(&e);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource4", 0x10, 4), 0x13121110);
	pdev_allow_writes(d, true, NULL);
	CHECK_EQ(pdev_bar_write(d, 4, 0x10, 4, 0xdeadbeef, &e), 0);
	CHECK_EQ(pdev_bar_write(d, 4, 0x18, 8, 0x0123456789abcdefull, &e), 0);
	CHECK_EQ(pdev_bar_write(d, 4, 0x22, 2, 0xcafe, &e), 0);
	CHECK_EQ(pdev_bar_write(d, 4, 0x3fff, 1, 0x5a, &e), 0);
	CHECK_EQ(pdev_bar_write(d, 0, 0x14, 2, 0x0102, &e), 0);
	CHECK_EQ(pdev_bar_write(d, 0, 0x18, 4, 0xa1b2c3d4, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ(file_value(&fs, NET_DIR "/resource4", 0x10, 4), 0xdeadbeef);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource4", 0x18, 8), 0x0123456789abcdefull);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource4", 0x20, 4), 0xcafe2120);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource4", 0x3fff, 1), 0x5a);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource0", 0x14, 2), 0x0102);
	CHECK_EQ(file_value(&fs, NET_DIR "/resource0", 0x18, 4), 0xa1b2c3d4);
	CHECK_EQ(pdev_bar_read(d, 4, 0x10, 4, &v, &e), 0);
	CHECK_EQ(v, 0xdeadbeef);
	close_all(d, s, &fs);
}

#define MEM_OFF "memory decoding is off in the command register (0x0005); reads would return zeros"
#define IO_OFF	"I/O decoding is off in the command register (0x0006); reads would return all-ones"

/* Decoding off: no plausible zeros; a config write that turns decoding
 * back on makes the BARs usable again. */
static void test_decode(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	pdev_allow_writes(d, true, NULL);
	CHECK_EQ(pdev_cfg_write(d, 4, 2, 0x0005, &e), 0);
	CHECK_EQ(file_value(&fs, NET_DIR "/config", 4, 2), 0x0005);
	CHECK_STR(d->bar_why, MEM_OFF);
	CHECK(!pdev_has_bar_access(d));
	CHECK_EQ(pdev_bar_read(d, 4, 0, 4, &v, &e), -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK_STR(e.msg, MEM_OFF);
	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 0, 0, 4, &v, &e), 0); /* I/O decoding is still on */
	CHECK_EQ(pdev_cfg_write(d, 4, 4, 0x00100007, &e), 0);
	CHECK_STR(d->bar_why, "");
	CHECK_EQ(pdev_bar_read(d, 4, 0, 4, &v, &e), 0);
	CHECK_EQ(v, 0x03020100);
	close_all(d, s, &fs);

	if (!setup(&fs, 256, 6, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_STR(d->bar_why, IO_OFF);
	CHECK_EQ(pdev_bar_read(d, 0, 0, 1, &v, &e), -1);
	CHECK_STR(e.msg, IO_OFF);
	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 4, 0, 1, &v, &e), 0);
	close_all(d, s, &fs);
}

static void test_no_resource_files(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;

	if (!setup(&fs, 256, 7, false) || !(d = open_net(&fs, &s)))
		return;
	CHECK_STR(d->bar_why, "no resource0 file in sysfs (kernel without PCI resource files)");
	CHECK(!pdev_has_bar_access(d));
	CHECK_EQ(pdev_bar_read(d, 4, 0, 4, &v, &e), -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK_STR(e.msg, "no resource4 file in sysfs (kernel without PCI resource files)");
	close_all(d, s, &fs);
}

/* A BAR found unreachable on first access: bar_why says so from then on,
 * and the other BARs still work. Two ways: a directory in place of
 * resource4 opens but cannot be mapped; a missing resource0 is not seen
 * at open, as only the highest BAR's file is opened then (the others on
 * first access, relative to the function's directory). */
static void lazy_failure(const char *file, bool as_dir, unsigned bad, unsigned good,
			 const char *msg)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;
	char rel[128];

	snprintf(rel, sizeof(rel), NET_DIR "/%s", file);
	if (!setup(&fs, 256, 7, true))
		return;
	CHECK(fakesys_remove(&fs, rel));
	CHECK(!as_dir || fakesys_dir(&fs, rel));
	if (!(d = open_net(&fs, &s)))
		return;
	CHECK(pdev_sysfs_dirfd(d) >= 0);
	CHECK_STR(d->bar_why, "");
	CHECK(pdev_has_bar_access(d));
	CHECK_EQ(pdev_bar_read(d, bad, 0, 1, &v, &e), -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK(strncmp(e.msg, msg, strlen(msg)) == 0);
	CHECK_STR(d->bar_why, e.msg);
	CHECK(!pdev_has_bar_access(d));
	verr_clear(&e);
	/* the good BAR reads its own file (byte i holds i & 0xff) */
	CHECK_EQ(pdev_bar_read(d, good, 0x10, 4, &v, &e), 0);
	CHECK_EQ(v, 0x13121110);
	close_all(d, s, &fs);
}

static void test_lazy_failures(void)
{
	lazy_failure("resource4", true, 4, 1, "mmap of resource4 failed: ");
	lazy_failure("resource0", false, 0, 4,
		     "no resource0 file in sysfs (kernel without PCI resource files)");
}

static void test_lockdown(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;

	if (!setup(&fs, 256, 7, true))
		return;
	CHECK(fakesys_text(&fs, "kernel/security/lockdown", "[none] integrity confidentiality\n"));
	if (!(d = open_net(&fs, &s)))
		return;
	CHECK_STR(d->bar_why, "");
	pdev_close(d);
	psys_close(s);
	CHECK(fakesys_text(&fs, "kernel/security/lockdown", "none [integrity] confidentiality\n"));
	if (!(d = open_net(&fs, &s)))
		return;
	CHECK_STR(d->bar_why, "kernel lockdown (integrity) forbids BAR access from user space "
			      "(/sys/kernel/security/lockdown)");
	pdev_close(d);
	/* read once per source: the next open of the same source keeps it */
	CHECK(fakesys_text(&fs, "kernel/security/lockdown", "[none] integrity confidentiality\n"));
	d = NULL;
	{
		struct pci_addr a;
		struct verr e = {0};

		pci_addr_parse(NET, &a);
		CHECK_EQ(psys_open_device(s, &a, &d, &e), 0);
	}
	CHECK_STR(d ? d->bar_why : "", "kernel lockdown (integrity) forbids BAR access from user "
				       "space (/sys/kernel/security/lockdown)");
	close_all(d, s, &fs);
}

/* As an unprivileged user (a forked child that drops root), resourceN
 * files (mode 0600 like the kernel's) cannot be opened. */
static void test_permission(void)
{
	struct fakesys fs;
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		check_skip("the permission test needs root to drop privileges");
		return;
	}
	if (!setup(&fs, 256, 7, true))
		return;
	pid = fork();
	if (pid == 0) {
		struct psys *s;
		struct pdev *d;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		d = open_net(&fs, &s);
		CHECK_STR(d ? d->bar_why : "", "permission denied opening resource0 (run as root)");
		pdev_close(d);
		psys_close(s);
		_exit(check_done() ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fakesys_destroy(&fs);
}

static void test_errors(void)
{
	struct fakesys fs;
	struct verr e = {0};
	struct psys *s;
	struct pdev *d = NULL;
	struct pci_addr a = {0, 0, 9, 0};

	s = psys_open_live("/nonexistent-virtioctl-root", &e);
	CHECK(s == NULL);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK(strstr(e.msg, "cannot read /nonexistent-virtioctl-root/bus/pci/devices: ") == e.msg);
	if (!setup(&fs, 256, 7, true))
		return;
	verr_clear(&e);
	s = psys_open_live(fs.root, &e);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK(strncmp(e.msg, "no PCI function 0000:00:09.0 (", 30) == 0);
	CHECK(d == NULL);
	/* A broken entry is an error, not an exit from inside libpci. */
	CHECK(fakesys_remove(&fs, NET_DIR "/resource"));
	pci_addr_parse(NET, &a);
	verr_clear(&e);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
	CHECK_EQ(e.code, VX_FAIL);
	CHECK(strstr(e.msg, "incomplete sysfs entry: cannot read ") == e.msg);
	CHECK(strstr(e.msg, NET "/resource: No such file or directory") != NULL);
	psys_close(s);
	fakesys_destroy(&fs);
}

/* A malformed resource file is an error of the open, named by virtioctl's
 * own parser where the uevent file is there. Without one, libpci parses
 * the file and reports through its error callback, which must not return
 * (its default exits the process): the guard makes it an error of the
 * open, and everything goes on: the same source opens the function once
 * the file is right again, and a second fatal error is caught as well (the
 * guard was left clean). */
static void test_libpci_fatal(void)
{
	struct fakesys fs;
	struct verr e = {0};
	struct psys *s;
	struct pdev *d = NULL;
	struct pci_addr a;

	if (!setup(&fs, 256, 7, true))
		return;
	s = psys_open_live(fs.root, &e);
	CHECK(s != NULL);
	if (!s) {
		fakesys_destroy(&fs);
		return;
	}
	pci_addr_parse(NET, &a);
	CHECK(fakesys_text(&fs, NET_DIR "/resource", "not a resource line\n"));
	CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
	CHECK(d == NULL);
	CHECK_EQ(e.code, VX_FAIL);
	CHECK(strstr(e.msg, "malformed ") == e.msg);
	CHECK(strstr(e.msg, NET "/resource: line 1 is not three numbers") != NULL);
	CHECK(fakesys_remove(&fs, NET_DIR "/uevent"));
	for (int round = 0; round < 2; round++) {
		verr_clear(&e);
		CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
		CHECK(d == NULL);
		CHECK_EQ(e.code, VX_FAIL);
		CHECK(strstr(e.msg, "libpci failed to read the sysfs entry: Syntax error in ") ==
		      e.msg);
		CHECK(strstr(e.msg, NET "/resource") != NULL);
		CHECK(strchr(e.msg, '\n') == NULL);
	}
	CHECK(fakesys_text(&fs, NET_DIR "/resource",
			   "0x000000000000c040 0x000000000000c07f 0x0000000000040101\n"));
	verr_clear(&e);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK(d && d->vendor == 0x1af4);
	pdev_close(d);
	psys_close(s);
	fakesys_destroy(&fs);
}

/* Read-only: config reads through libpci and sysfs attributes; no BAR
 * register is touched and nothing is opened for writing. */
static void test_real_sys(void)
{
	struct verr e = {0};
	struct psys *s;
	struct psys_entry *v = NULL;
	struct pdev *d = NULL;
	struct pci_addr a;
	size_t n = 0;
	char vendor[16] = "";
	FILE *f = fopen("/sys/bus/pci/devices/0000:00:04.0/device", "r");

	if (!f || !fgets(vendor, sizeof(vendor), f) || strncmp(vendor, "0x1053", 6) != 0) {
		check_skip("no virtio-vsock at 0000:00:04.0 in /sys");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	s = psys_open_live("/sys", &e);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(psys_scan(s, &v, &n, &e), 0);
	CHECK(n >= 5);
	for (size_t i = 1; i < n; i++)
		CHECK(pci_addr_cmp(&v[i - 1].addr, &v[i].addr) < 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].addr.bus == 0 && v[i].addr.dev == 4)
			CHECK_STR(v[i].driver, "virtio-pci");
	free(v);
	pci_addr_parse(NET, &a);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), 0);
	if (d) {
		CHECK_EQ(d->vendor, 0x1af4);
		CHECK_EQ(d->device, 0x1053);
		CHECK_EQ(pdev_cfg_read16(d, 2), 0x1053);
		CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x40);
		CHECK(d->cfg_size == (geteuid() == 0 ? 256u : 64u) || d->cfg_size == 4096);
		CHECK_EQ(d->bar[0].kind, PCI_BAR_MEM64);
		CHECK_EQ(d->bar[0].size, 0x80000);
		CHECK_EQ(d->bar[1].kind, PCI_BAR_NONE);
		CHECK_STR(d->driver, "virtio-pci");
		CHECK(!d->writable);
		if (access("/sys/bus/pci/devices/" NET "/resource0", F_OK) != 0)
			CHECK_STR(d->bar_why,
				  "no resource0 file in sysfs (kernel without PCI resource files)");
		CHECK(pdev_has_bar_access(d) == (d->bar_why[0] == '\0'));
	}
	pdev_close(d);
	a.dev = 0x1f;
	a.func = 7;
	verr_clear(&e);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	psys_close(s);
}

/* Hot-unplug: the function's sysfs directory goes away while its BAR is
 * mapped. The presence check says so, and every access after it fails
 * with VX_NODEV instead of reading what is no longer a device. */
static void test_removed(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	char dir[4096], gone[4200];
	uint64_t v = 0;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_EQ(pdev_bar_read(d, 4, 0x10, 4, &v, &e), 0);
	CHECK_EQ(pdev_check_present(d, &e), 0);
	snprintf(dir, sizeof(dir), "%s", fakesys_path(&fs, NET_DIR));
	snprintf(gone, sizeof(gone), "%s.gone", dir);
	CHECK_EQ(rename(dir, gone), 0);
	CHECK_EQ(pdev_check_present(d, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK_STR(e.msg, NET ": device removed (its sysfs entry is gone)");
	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 4, 0x10, 4, &v, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK(rename(gone, dir) == 0);
	close_all(d, s, &fs);
}

/* A BAR mapping that faults (here: its file truncated under it, the way a
 * mapping of a removed device can) raises SIGBUS; the CLI's handler turns
 * the access into an all-ones read and marks the device removed, where the
 * process used to die. */
static void test_sigbus(void)
{
	struct fakesys fs;
	struct session ses;
	struct sdev sd = {0};
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};
	uint64_t v = 0;
	int fd;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	session_init(&ses);
	sd.pci = d;
	ses.dev[0] = &sd;
	ses.ndev = 1;
	interrupt_trap(&ses);
	CHECK_EQ(pdev_bar_read(d, 4, 0x2000, 4, &v, &e), 0);
	CHECK_EQ(v, 0x03020100);
	fd = open(fakesys_path(&fs, NET_DIR "/resource4"), O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_EQ(pdev_bar_read(d, 4, 0x2000, 4, &v, &e), 0);
	CHECK_EQ(v, 0xffffffff);
	CHECK(d->removed);
	CHECK_EQ(pdev_bar_read(d, 4, 0x2000, 4, &v, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	ses.ndev = 0;
	ses.dev[0] = NULL;
	session_fini(&ses);
	signal(SIGBUS, SIG_DFL);
	close_all(d, s, &fs);
}

static void poke(struct fakesys *fs, off_t off, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	int fd = open(fakesys_path(fs, NET_DIR "/config"), O_WRONLY);

	CHECK(fd >= 0 && pwrite(fd, b, 2, off) == 2);
	if (fd >= 0)
		close(fd);
}

/* The header dwords the open read (0x00-0x27) are the first snapshot's
 * first reads: a change after the open is not seen by that command, and is
 * by the next one (or without a snapshot: the open's copy is dropped). */
static void test_open_dwords(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	CHECK_EQ(d->n_open_dwords, 10);
	poke(&fs, 0x00, 0x1234);
	poke(&fs, 0x24, 0x5678);
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x00), 0x1af4); /* as the open read it */
	CHECK_EQ(pdev_cfg_read16(d, 0x04), 7);
	CHECK_EQ(pdev_cfg_read16(d, 0x24), 0);
	CHECK_EQ(d->n_open_dwords, 0);
	pdev_cfg_snapshot(d, false);
	pdev_cfg_snapshot(d, true); /* the next command reads the device */
	CHECK_EQ(pdev_cfg_read16(d, 0x00), 0x1234);
	CHECK_EQ(pdev_cfg_read16(d, 0x24), 0x5678);
	pdev_close(d);
	psys_close(s);
	/* a function opened by a command without a snapshot drops them */
	if (!(d = open_net(&fs, &s)))
		return;
	poke(&fs, 0x00, 0x4321);
	pdev_cfg_snapshot(d, false);
	CHECK_EQ(d->n_open_dwords, 0);
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x00), 0x4321);
	pdev_close(d);
	psys_close(s);
	fakesys_destroy(&fs);
}

/* pdev_cfg_snapshot: a dword is read once, on first use, then served from
 * memory (the file changed under it is not seen); off, any write (config
 * or BAR) and a removal check go to the file again. */
static void test_cfg_snapshot(void)
{
	struct fakesys fs;
	struct psys *s;
	struct pdev *d;
	struct verr e = {0};

	if (!setup(&fs, 256, 7, true) || !(d = open_net(&fs, &s)))
		return;
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x1af4);
	poke(&fs, 0x2c, 0xabcd);
	poke(&fs, 0x2e, 0x4321);
	poke(&fs, 0x30, 0x7777);
	poke(&fs, 0x50, 0x7777);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x1af4); /* kept */
	CHECK_EQ(pdev_cfg_read8(d, 0x2e), 0x01);    /* same dword: kept */
	CHECK_EQ(pdev_cfg_read32(d, 0x2c), 0x00011af4);
	CHECK_EQ(pdev_cfg_read16(d, 0x30), 0x7777); /* first read of that dword */
	CHECK_EQ(pdev_cfg_read16(d, 0x50), 0x7777);
	pdev_cfg_snapshot(d, false);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0xabcd);
	/* a config write ends it */
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0xabcd);
	poke(&fs, 0x2c, 0x1111);
	pdev_allow_writes(d, true, NULL);
	CHECK_EQ(pdev_cfg_write(d, 0x3c, 1, 0x0a, &e), 0);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x1111);
	CHECK(d->snap == NULL);
	/* so does a BAR write */
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x1111);
	poke(&fs, 0x2c, 0x2222);
	CHECK_EQ(pdev_bar_write(d, 4, 0x10, 4, 1, &e), 0);
	CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0x2222);
	/* a prefetch reads the dwords not held yet in one block, and keeps
	 * them; held ones are not read again */
	pdev_cfg_snapshot(d, false);
	pdev_cfg_prefetch(d, 0x50, 8); /* no snapshot: nothing */
	pdev_cfg_snapshot(d, true);
	poke(&fs, 0x50, 0x1234);
	CHECK_EQ(pdev_cfg_read16(d, 0x50), 0x1234);
	poke(&fs, 0x50, 0x5678);
	poke(&fs, 0x54, 0x9abc);
	poke(&fs, 0x58, 0xdef0);
	pdev_cfg_prefetch(d, 0x50, 12);
	poke(&fs, 0x54, 0x1111);
	poke(&fs, 0x58, 0x2222);
	CHECK_EQ(pdev_cfg_read16(d, 0x50), 0x1234);
	CHECK_EQ(pdev_cfg_read16(d, 0x54), 0x9abc);
	CHECK_EQ(pdev_cfg_read16(d, 0x58), 0xdef0);
	/* a held dword inside the range is not read again: 0x54 and 0x5c are
	 * held, so 0x58 and 0x60 are two reads and 0x54 keeps its value */
	pdev_cfg_snapshot(d, false);
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0x54), 0x1111);
	CHECK_EQ(pdev_cfg_read16(d, 0x5c), 0);
	poke(&fs, 0x54, 0x3333);
	poke(&fs, 0x58, 0x4444);
	poke(&fs, 0x60, 0x5555);
	pdev_cfg_prefetch(d, 0x54, 16);
	poke(&fs, 0x58, 0x6666);
	poke(&fs, 0x60, 0x7777);
	CHECK_EQ(pdev_cfg_read16(d, 0x54), 0x1111);
	CHECK_EQ(pdev_cfg_read16(d, 0x58), 0x4444);
	CHECK_EQ(pdev_cfg_read16(d, 0x60), 0x5555);
	/* the removal check reads past it, and ends it */
	pdev_cfg_snapshot(d, true);
	CHECK_EQ(pdev_cfg_read16(d, 0), 0x1af4);
	poke(&fs, 0, 0xffff);
	CHECK_EQ(pdev_cfg_read16(d, 0), 0x1af4);
	CHECK_EQ(pdev_check_present(d, &e), -1);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK(d->snap == NULL);
	CHECK_STR(d->ops->name, "sysfs");
	close_all(d, s, &fs);
}

/* Through dispatch(), as the shell runs commands: a read-only command's
 * devices have snapshots only while it runs; the device stays open, and
 * the next command reads the file again. */
static void test_snapshot_per_command(void)
{
	struct fakesys fs;
	struct session ses;
	char *caps[] = {"caps", NET, NULL};

	if (!setup(&fs, 256, 7, true))
		return;
	session_init(&ses);
	ses.sysfs_root = fs.root;
	ses.proc_root = "/nonexistent";
	ses.mode = MODE_SHELL;
	session_settle(&ses);
	CHECK_EQ(dispatch(&ses, 2, caps, NULL), VX_OK);
	CHECK_EQ(ses.ndev, 1);
	if (ses.ndev == 1) {
		struct pdev *d = ses.dev[0]->pci;

		CHECK(d->snap == NULL);
		poke(&fs, 0x2c, 0xabcd);
		CHECK_EQ(pdev_cfg_read16(d, 0x2c), 0xabcd);
		CHECK_EQ(dispatch(&ses, 2, caps, NULL), VX_OK);
		CHECK(d->snap == NULL);
	}
	session_fini(&ses);
	fakesys_destroy(&fs);
}

int main(int argc, char **argv)
{
	if (check_host_suite(argc, argv)) {
		test_permission();
		test_real_sys();
		return check_done();
	}
	test_scan();
	test_identity();
	test_uevent();
	test_keep_scans();
	test_cfg_size();
	test_cfg_full_learned();
	test_revision_unread();
	test_bar_reads();
	test_bar_writes();
	test_cfg_snapshot();
	test_open_dwords();
	test_snapshot_per_command();
	test_decode();
	test_no_resource_files();
	test_lazy_failures();
	test_lockdown();
	test_errors();
	test_libpci_fatal();
	test_removed();
	test_sigbus();
	return check_done();
}
