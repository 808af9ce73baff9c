/* What virtio drivers created, found on fake sysfs trees shaped like a
 * Debian 6.1 guest's; and read-only on this machine's /sys. */
#include "check.h"
#include "fakesys.h"
#include "linux/resources.h"
#include "linux/view.h"
#include "util/sysattr.h"

#include <stdio.h>
#include <string.h>

/* A PCI function at 00:DEV.0 with virtioN bound to `driver`. */
static bool add_fn(struct fakesys *fs, unsigned dev, unsigned n, const char *driver)
{
	char rel[256], target[256];

	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:00:%02x.0/virtio%u", dev, n);
	if (!fakesys_dir(fs, rel))
		return false;
	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:00:%02x.0/driver", dev);
	if (!fakesys_link(fs, rel, "../../../bus/pci/drivers/virtio-pci"))
		return false;
	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:00:%02x.0/virtio%u/driver", dev, n);
	snprintf(target, sizeof(target), "../../../../bus/virtio/drivers/%s", driver);
	if (!fakesys_link(fs, rel, target))
		return false;
	snprintf(rel, sizeof(rel), "bus/virtio/drivers/%s/virtio%u", driver, n);
	return fakesys_link(fs, rel, "../../devices/virtio");
}

static bool text_at(struct fakesys *fs, unsigned dev, unsigned n, const char *leaf,
		    const char *text)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:00:%02x.0/virtio%u/%s", dev, n, leaf);
	return fakesys_text(fs, rel, text);
}

static unsigned read_res(struct fakesys *fs, unsigned dev, bool details, struct linux_resources *r)
{
	struct pci_addr a = {0, 0, dev, 0};
	struct linux_view lv;

	if (linux_view_read(fs->root, &a, &lv) != 0)
		return 0;
	return linux_resources_read(fs->root, &a, &lv, details, r);
}

static unsigned read_fn(struct fakesys *fs, unsigned dev, struct linux_resources *r)
{
	return read_res(fs, dev, true, r);
}

/* The names alone: the same resources, no detail read. */
static unsigned read_names(struct fakesys *fs, unsigned dev, struct linux_resources *r)
{
	return read_res(fs, dev, false, r);
}

static void check_res(const struct linux_resources *r, unsigned i, const char *kind,
		      const char *name, const char *detail)
{
	CHECK(i < r->n);
	if (i >= r->n)
		return;
	CHECK_STR(r->r[i].kind, kind);
	CHECK_STR(r->r[i].name, name);
	CHECK_STR(r->r[i].detail, detail);
}

static void test_net_blk_ports(void)
{
	struct fakesys fs;
	struct linux_resources r;
	char sum[128];

	if (!fakesys_create(&fs))
		return;
	CHECK(add_fn(&fs, 3, 2, "virtio_net"));
	CHECK(text_at(&fs, 3, 2, "net/eth0/address", "52:54:00:12:34:56\n"));
	CHECK(add_fn(&fs, 2, 1, "virtio_blk"));
	CHECK(text_at(&fs, 2, 1, "block/vdb/size", "4096\n"));
	CHECK(text_at(&fs, 2, 1, "block/vda/size", "2048\n"));
	CHECK(add_fn(&fs, 5, 4, "virtio_console"));
	CHECK(text_at(&fs, 5, 4, "virtio-ports/vport4p10/name", "\n"));
	CHECK(text_at(&fs, 5, 4, "virtio-ports/vport4p0/name", "org.qemu.guest_agent.0\n"));
	CHECK(text_at(&fs, 5, 4, "virtio-ports/vport4p1/dev", "244:1\n"));

	CHECK_EQ(read_fn(&fs, 3, &r), 1);
	check_res(&r, 0, "net", "eth0", "52:54:00:12:34:56");
	CHECK_EQ(read_names(&fs, 3, &r), 1);
	check_res(&r, 0, "net", "eth0", "");
	CHECK_EQ(read_names(&fs, 2, &r), 2);
	check_res(&r, 0, "block", "vda", "");
	CHECK_EQ(read_fn(&fs, 2, &r), 2);
	check_res(&r, 0, "block", "vda", "2048 sectors");
	check_res(&r, 1, "block", "vdb", "4096 sectors");
	CHECK_STR(linux_resources_summary(&r, sum, sizeof(sum)), "vda, vdb");
	/* cut as snprintf cut it: the first len - 1 bytes, then no more names */
	CHECK_STR(linux_resources_summary(&r, sum, 6), "vda, ");
	CHECK_STR(linux_resources_summary(&r, sum, 4), "vda");
	CHECK_STR(linux_resources_summary(&r, sum, 1), "");
	CHECK_EQ(read_fn(&fs, 5, &r), 3);
	check_res(&r, 0, "console_port", "vport4p0", "org.qemu.guest_agent.0");
	check_res(&r, 1, "console_port", "vport4p1", "");
	check_res(&r, 2, "console_port", "vport4p10", "");
	fakesys_destroy(&fs);
}

static void test_scsi_9p_input_drm(void)
{
	struct fakesys fs;
	struct linux_resources r;
	static const char tag[] = "share\0\n";

	if (!fakesys_create(&fs))
		return;
	CHECK(add_fn(&fs, 7, 5, "virtio_scsi"));
	CHECK(text_at(&fs, 7, 5, "host2/target2:0:0/2:0:0:0/block/sda/size", "2048\n"));
	CHECK(text_at(&fs, 7, 5, "host2/target2:0:1/2:0:1:0/block/sdb/size", "2048\n"));
	CHECK(text_at(&fs, 7, 5, "host2/scsi_host/host2/proc_name", "virtio_scsi\n"));
	CHECK(add_fn(&fs, 8, 6, "9pnet_virtio"));
	CHECK(fakesys_file(&fs, "bus/pci/devices/0000:00:08.0/virtio6/mount_tag", tag,
			   sizeof(tag) - 1));
	CHECK(add_fn(&fs, 9, 7, "virtio_input"));
	CHECK(text_at(&fs, 9, 7, "input/input5/name", "QEMU Virtio Keyboard\n"));
	CHECK(add_fn(&fs, 10, 8, "virtio_gpu"));
	CHECK(text_at(&fs, 10, 8, "drm/card0/dev", "226:0\n"));
	CHECK(text_at(&fs, 10, 8, "drm/renderD128/dev", "226:128\n"));

	CHECK_EQ(read_fn(&fs, 7, &r), 1);
	check_res(&r, 0, "scsi_host", "host2", "sda sdb");
	CHECK_EQ(read_fn(&fs, 8, &r), 1);
	check_res(&r, 0, "9p_mount_tag", "share", "");
	CHECK_EQ(read_fn(&fs, 9, &r), 1);
	check_res(&r, 0, "input", "input5", "QEMU Virtio Keyboard");
	CHECK_EQ(read_fn(&fs, 10, &r), 2);
	check_res(&r, 0, "drm", "card0", "");
	check_res(&r, 1, "drm", "renderD128", "");
	fakesys_destroy(&fs);
}

static void test_hwrng_vsock(void)
{
	struct fakesys fs;
	struct linux_resources r;

	if (!fakesys_create(&fs))
		return;
	CHECK(add_fn(&fs, 4, 3, "virtio_rng"));
	CHECK(fakesys_text(&fs, "class/misc/hw_random/rng_available", "virtio_rng.0 \n"));
	CHECK(fakesys_text(&fs, "class/misc/hw_random/rng_current", "virtio_rng.0\n"));
	CHECK_EQ(read_fn(&fs, 4, &r), 1);
	check_res(&r, 0, "hwrng", "virtio_rng.0", "current");

	/* Two: virtio_rng.K is allocated in probe order, matched by rank. */
	CHECK(add_fn(&fs, 12, 11, "virtio_rng"));
	CHECK(fakesys_text(&fs, "class/misc/hw_random/rng_available",
			   "virtio_rng.1 tpm-rng-0 virtio_rng.0\n"));
	CHECK_EQ(read_fn(&fs, 4, &r), 1);
	check_res(&r, 0, "hwrng", "virtio_rng.0", "current; matched by probe order");
	CHECK_EQ(read_fn(&fs, 12, &r), 1);
	check_res(&r, 0, "hwrng", "virtio_rng.1", "available; matched by probe order");

	/* Counts disagree (a device still probing): no guess. */
	CHECK(fakesys_text(&fs, "class/misc/hw_random/rng_available", "virtio_rng.0\n"));
	CHECK_EQ(read_fn(&fs, 12, &r), 1);
	check_res(&r, 0, "hwrng", "virtio_rng.?",
		  "1 virtio_rng names for 2 devices: which is this one is unknown");

	CHECK(add_fn(&fs, 13, 12, "vmw_vsock_virtio_transport"));
	CHECK_EQ(read_fn(&fs, 13, &r), 0);
	CHECK(fakesys_dir(&fs, "class/misc/vsock"));
	CHECK_EQ(read_fn(&fs, 13, &r), 1);
	check_res(&r, 0, "vsock", "vsock", "/dev/vsock");
	fakesys_destroy(&fs);
}

static void test_nothing(void)
{
	struct fakesys fs;
	struct linux_resources r;
	struct linux_view lv;
	struct pci_addr a = {0, 0, 6, 0};
	char sum[8];

	if (!fakesys_create(&fs))
		return;
	/* unbound: no virtio device */
	CHECK(fakesys_dir(&fs, "bus/pci/devices/0000:00:06.0"));
	CHECK_EQ(read_fn(&fs, 6, &r), 0);
	/* virtio_pci bound, no virtio driver: nothing, even with children */
	CHECK(fakesys_dir(&fs, "bus/pci/devices/0000:00:06.0/virtio9/block/vda"));
	CHECK_EQ(read_fn(&fs, 6, &r), 0);
	/* balloon: a driver that creates nothing */
	CHECK(add_fn(&fs, 1, 0, "virtio_balloon"));
	CHECK_EQ(read_fn(&fs, 1, &r), 0);
	CHECK_STR(linux_resources_summary(&r, sum, sizeof(sum)), "");
	memset(&lv, 0, sizeof(lv));
	CHECK_EQ(linux_resources_read(NULL, &a, &lv, true, &r), 0);
	fakesys_destroy(&fs);
}

/* This machine's functions: whatever is found must be well-formed. */
static void test_real_sys(void)
{
	for (unsigned dev = 1; dev <= 5; dev++) {
		struct pci_addr a = {0, 0, dev, 0};
		struct linux_resources r;
		struct linux_view lv;

		if (linux_view_read("/sys", &a, &lv) != 0)
			continue;
		linux_resources_read("/sys", &a, &lv, true, &r);
		for (unsigned i = 0; i < r.n; i++) {
			CHECK(r.r[i].kind != NULL);
			CHECK(r.r[i].name[0] != '\0');
			printf("  00:%02x.0 %s: %s %s %s\n", dev, lv.virtio_dev, r.r[i].kind,
			       r.r[i].name, r.r[i].detail);
		}
	}
}

struct seen {
	char names[8][16];
	unsigned n, stop_after;
};

static bool note_name(const char *name, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 8)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	s->n++;
	return s->n != s->stop_after;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (unsigned i = 0; i < s->n && i < 8; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

/* The listing under every sysfs view: each entry but "." and "..", a stop
 * when the callback says so, and -1 for what is not a directory. */
static void test_dir_each(void)
{
	struct fakesys fs;
	struct seen s = {.stop_after = 0};
	char path[512];

	if (!fakesys_create(&fs) || !fakesys_dir(&fs, "d") || !fakesys_text(&fs, "d/a", "1\n") ||
	    !fakesys_dir(&fs, "d/b") || !fakesys_text(&fs, "d/..c", "2\n"))
		return;
	snprintf(path, sizeof(path), "%s/d", fs.root);
	CHECK_EQ(sysattr_dir_each(path, note_name, &s), 0);
	CHECK_EQ(s.n, 3);
	CHECK(seen_has(&s, "a") && seen_has(&s, "b") && seen_has(&s, "..c"));
	s = (struct seen){.stop_after = 2};
	CHECK_EQ(sysattr_dir_each(path, note_name, &s), 0);
	CHECK_EQ(s.n, 2);
	snprintf(path, sizeof(path), "%s/d/a", fs.root);
	CHECK_EQ(sysattr_dir_each(path, note_name, &s), -1);
	snprintf(path, sizeof(path), "%s/none", fs.root);
	CHECK_EQ(sysattr_dir_each(path, note_name, &s), -1);
	fakesys_destroy(&fs);
}

int main(void)
{
	test_net_blk_ports();
	test_scsi_9p_input_drm();
	test_hwrng_vsock();
	test_nothing();
	test_dir_each();
	test_real_sys();
	return check_done();
}
