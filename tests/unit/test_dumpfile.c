/* The -F backend against real lspci dumps of this project's machine, a
 * constructed PCIe dump, and malformed dumps. */
#include "check.h"
#include "pci/system.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct psys *open_dump(const char *name, struct verr *e)
{
	verr_clear(e);
	return psys_open_dump(fixture(name), e);
}

static struct pdev *open_fn(struct psys *s, const char *addr)
{
	struct pci_addr a;
	struct pdev *d = NULL;
	struct verr e = {0};

	CHECK(pci_addr_parse(addr, &a));
	CHECK_EQ(psys_open_device(s, &a, &d, &e), 0);
	CHECK_STR(e.msg, "");
	return d;
}

static void test_host_vsock(void)
{
	struct verr e;
	struct psys *s = open_dump("host-00-04.0.txt", &e);
	struct psys_entry *v;
	struct pdev *d;
	size_t n;
	uint64_t val;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(psys_is_dump(s));
	CHECK(psys_sysfs_root(s) == NULL);
	CHECK_EQ(psys_scan(s, &v, &n, &e), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(v[0].addr.dev, 4);
	CHECK_EQ(v[0].vendor, 0x1af4);
	CHECK_EQ(v[0].device, 0x1053);
	CHECK_EQ(v[0].subsys_vendor, 0x1af4);
	CHECK_EQ(v[0].subsys_device, 0x1053);
	CHECK_EQ(v[0].class_code, 0xffff00);
	CHECK_STR(v[0].driver, "");
	free(v);

	d = open_fn(s, "00:04.0");
	CHECK_EQ(d->vendor, 0x1af4);
	CHECK_EQ(d->device, 0x1053);
	CHECK_EQ(d->revision, 1);
	CHECK_EQ(d->cfg_size, 256);
	CHECK_EQ(pdev_cfg_read8(d, 0x34), 0x40);
	CHECK_EQ(pdev_cfg_read16(d, 0x04), 0x0406);
	CHECK_EQ(pdev_cfg_read32(d, 0x40), 0x01105009);
	CHECK_EQ(pdev_cfg_read32(d, 0xfc), 0);
	CHECK_EQ(d->bar[0].kind, PCI_BAR_MEM64);
	CHECK(!d->bar[0].prefetchable);
	CHECK_EQ(d->bar[0].base, 0x4000180000ull);
	CHECK_EQ(d->bar[0].size, 0);
	for (int i = 1; i < PCI_NUM_BARS; i++)
		CHECK_EQ(d->bar[i].kind, PCI_BAR_NONE);
	CHECK_STR(d->driver, "");
	CHECK_STR(d->bar_why, "config space only (-F dump file)");
	CHECK(!pdev_has_bar_access(d));
	CHECK(!d->writable);

	verr_clear(&e);
	CHECK_EQ(pdev_bar_read(d, 0, 0, 4, &val, &e), -1);
	CHECK_EQ(e.code, VX_UNAVAILABLE);
	CHECK_STR(e.msg, "config space only (-F dump file)");
	verr_clear(&e);
	CHECK_EQ(pdev_cfg_read(d, 0x100, 4, (uint32_t *)&val, &e), -1);
	verr_clear(&e);
	CHECK_EQ(pdev_cfg_write(d, 4, 2, 0, &e), -1);
	CHECK_EQ(e.code, VX_PERM);
	CHECK_STR(e.msg, "refusing to write: a -F dump file cannot be written");
	pdev_close(d);
	psys_close(s);
}

static const struct {
	const char *file, *addr;
	uint16_t device;
	uint32_t class_code;
	uint64_t bar0;
} host_fns[] = {
	{"host-00-01.0.txt", "00:01.0", 0x1045, 0xffff00, 0x4000000000ull},
	{"host-00-02.0.txt", "00:02.0", 0x1042, 0x018000, 0x4000080000ull},
	{"host-00-03.0.txt", "00:03.0", 0x1041, 0x020000, 0x4000100000ull},
	{"host-00-04.0.txt", "00:04.0", 0x1053, 0xffff00, 0x4000180000ull},
	{"host-00-05.0.txt", "00:05.0", 0x1044, 0xffff00, 0x4000200000ull},
};

static void check_host_fn(struct psys *s, size_t i)
{
	struct pdev *d = open_fn(s, host_fns[i].addr);

	if (!d)
		return;
	CHECK_EQ(d->vendor, 0x1af4);
	CHECK_EQ(d->device, host_fns[i].device);
	CHECK_EQ(d->subsys_device, host_fns[i].device);
	CHECK_EQ(d->class_code, host_fns[i].class_code);
	CHECK_EQ(d->cfg_size, 256);
	CHECK_EQ(d->bar[0].kind, PCI_BAR_MEM64);
	CHECK_EQ(d->bar[0].base, host_fns[i].bar0);
	CHECK_EQ(d->bar[1].kind, PCI_BAR_NONE);
	/* MSI-X capability at 0x98, the end of the chain */
	CHECK_EQ(pdev_cfg_read8(d, 0x98), 0x11);
	pdev_close(d);
}

static void test_host_files(void)
{
	for (size_t i = 0; i < sizeof(host_fns) / sizeof(host_fns[0]); i++) {
		struct verr e;
		struct psys *s = open_dump(host_fns[i].file, &e);

		CHECK(s != NULL);
		if (s)
			check_host_fn(s, i);
		psys_close(s);
	}
}

static void test_host_all(void)
{
	struct verr e;
	struct psys *s = open_dump("host-all.txt", &e);
	struct psys_entry *v;
	struct pdev *d;
	size_t n;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(psys_scan(s, &v, &n, &e), 0);
	CHECK_EQ(n, 6);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(v[i].addr.dev, i);
	CHECK_EQ(v[0].vendor, 0x8086);
	CHECK_EQ(v[0].device, 0x0d57);
	CHECK_EQ(v[0].class_code, 0x060000);
	free(v);
	d = open_fn(s, "0000:00:00.0");
	CHECK_EQ(d->cfg_size, 4096);
	CHECK_EQ(pdev_cfg_read32(d, 0xffc), 0);
	pdev_close(d);
	for (size_t i = 0; i < sizeof(host_fns) / sizeof(host_fns[0]); i++)
		check_host_fn(s, i);
	psys_close(s);
}

/* lspci -vxxx, lspci -D -x and lspci -xxx output in one file, out of order. */
static void test_mixed(void)
{
	struct verr e;
	struct psys *s = open_dump("host-mixed-v.txt", &e);
	struct psys_entry *v;
	struct pdev *d;
	size_t n;
	uint32_t val;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(psys_scan(s, &v, &n, &e), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(v[0].addr.dev, 1);
	CHECK_EQ(v[1].addr.dev, 3);
	CHECK_EQ(v[2].addr.dev, 5);
	free(v);
	d = open_fn(s, "00:01.0");
	CHECK_EQ(d->cfg_size, 64);
	CHECK_EQ(d->device, 0x1045);
	CHECK_EQ(d->bar[0].kind, PCI_BAR_MEM64);
	CHECK_EQ(pdev_cfg_read8(d, 0x3f), 0);
	verr_clear(&e);
	CHECK_EQ(pdev_cfg_read(d, 0x40, 1, &val, &e), -1);
	pdev_close(d);
	d = open_fn(s, "00:05.0");
	CHECK_EQ(d->cfg_size, 256);
	CHECK_EQ(d->device, 0x1044);
	pdev_close(d);
	psys_close(s);
}

static void test_pcie_4k(void)
{
	struct verr e;
	struct psys *s = open_dump("pcie-virtio-blk-4k.txt", &e);
	struct pdev *d;

	CHECK(s != NULL);
	if (!s)
		return;
	d = open_fn(s, "01:00.0");
	CHECK_EQ(d->cfg_size, 4096);
	CHECK_EQ(d->device, 0x1042);
	CHECK_EQ(d->subsys_device, 0x1100);
	CHECK_EQ(d->class_code, 0x010000);
	CHECK_EQ(pdev_cfg_read32(d, 0x100), 0x0001000f);
	CHECK_EQ(pdev_cfg_read32(d, 0xffc), 0);
	CHECK_EQ(d->bar[0].kind, PCI_BAR_NONE);
	CHECK_EQ(d->bar[1].kind, PCI_BAR_MEM32);
	CHECK_EQ(d->bar[1].base, 0xfe801000);
	CHECK_EQ(d->bar[4].kind, PCI_BAR_MEM64);
	CHECK(d->bar[4].prefetchable);
	CHECK_EQ(d->bar[4].base, 0xfe000000);
	CHECK_EQ(d->bar[5].kind, PCI_BAR_NONE);
	pdev_close(d);
	psys_close(s);
}

static void test_nodev(void)
{
	struct verr e;
	struct psys *s = open_dump("host-00-04.0.txt", &e);
	struct pci_addr a = {0, 0, 9, 0};
	struct pdev *d = (struct pdev *)&a;

	verr_clear(&e);
	CHECK_EQ(psys_open_device(s, &a, &d, &e), -1);
	CHECK(d == NULL);
	CHECK_EQ(e.code, VX_NODEV);
	CHECK(strstr(e.msg, "no function 0000:00:09.0 in dump file ") == e.msg);
	psys_close(s);
}

/* Writes text to a temporary file; returns its path (static). */
static const char *temp_dump(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/virtioctl-dump-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		CHECK(!"cannot write a temporary dump");
		return path;
	}
	close(fd);
	return path;
}

static void test_crlf(void)
{
	char text[4096] = "", line[128];
	FILE *f = fopen(fixture("host-00-04.0.txt"), "r");
	struct verr e = {0};
	struct psys *s;
	struct pdev *d;
	const char *path;

	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		strcat(text, line);
		strcat(text, " \r\n"); /* trailing blanks are tolerated too */
	}
	fclose(f);
	path = temp_dump(text, strlen(text));
	s = psys_open_dump(path, &e);
	CHECK_STR(e.msg, "");
	if (s) {
		d = open_fn(s, "00:04.0");
		CHECK_EQ(d->cfg_size, 256);
		CHECK_EQ(pdev_cfg_read8(d, 0xa2), 0x04);
		pdev_close(d);
	}
	psys_close(s);
	unlink(path);
}

/* lspci -x shows 128 bytes of a CardBus bridge: accepted for header type 2
 * only. */
static void test_cardbus(void)
{
	char text[2048] = "02:00.0 CardBus bridge: Ricoh Co Ltd RL5c476 II (rev 80)\n";
	struct verr e = {0};
	struct psys *s;
	struct pdev *d;
	const char *path;

	for (unsigned off = 0; off < 128; off += 16) {
		char line[64];

		snprintf(line, sizeof(line), "%02x: %s\n", off,
			 off == 0      ? "80 11 76 04 07 00 10 02 80 00 07 06 00 a8 82 00"
			 : off == 0x40 ? "86 80 23 45 00 00 00 00 00 00 00 00 00 00 00 00"
				       : "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
		strcat(text, line);
	}
	path = temp_dump(text, strlen(text));
	s = psys_open_dump(path, &e);
	CHECK_STR(e.msg, "");
	if (s) {
		d = open_fn(s, "02:00.0");
		CHECK_EQ(d->cfg_size, 128);
		CHECK_EQ(d->subsys_vendor, 0x8086);
		CHECK_EQ(d->subsys_device, 0x4523);
		CHECK_EQ(d->bar[0].kind, PCI_BAR_NONE);
		pdev_close(d);
	}
	psys_close(s);
	unlink(path);
}

static const struct {
	const char *file;
	unsigned line; /* 0: the message names no line */
	const char *problem;
} bad[] = {
	{"bad-hex.txt", 4, "bad hex byte 'zz' at column 17"},
	{"bad-gap.txt", 4, "missing lines: expected offset 0x20, found 0x30"},
	{"bad-order.txt", 5, "offset 0x10 out of order (expected 0x30)"},
	{"bad-long.txt", 3, "more than 16 bytes on one line"},
	{"bad-short.txt", 5, "truncated line: 15 bytes, expected 16"},
	{"bad-empty.txt", 0, "no devices found (expected the output of lspci -x, -xxx or -xxxx)"},
	{"bad-size.txt", 9, "config space of 0000:00:04.0 ends at offset 0x7f; lspci -x, -xxx"},
	{"bad-noheader.txt", 1, "hex line outside a device"},
	{"bad-junk.txt", 6, "unrecognized line: expected a device header"},
	{"bad-dup.txt", 19, "device 0000:00:04.0 appears twice (first at line 1)"},
	{"bad-nohex.txt", 1, "device 0000:00:04.0 has no hex lines after its header"},
	{"bad-offset.txt", 18, "offset 0x1000 is beyond the 4096-byte config space"},
	{"bad-misaligned.txt", 3, "offset 0x8 is not a multiple of 16"},
	{"bad-addr.txt", 1, "bad PCI address '00:20.0' in device header"},
	{"bad-afterblank.txt", 7, "hex line after a blank line (blank lines separate devices)"},
	{"bad-space.txt", 7, "extra space at column 5"},
	{"no-such-file.txt", 0, "cannot open dump file "},
};

static void check_bad(const char *path, unsigned line, const char *problem)
{
	struct verr e = {0};
	struct psys *s = psys_open_dump(path, &e);
	char want[1024];

	CHECK(s == NULL);
	psys_close(s);
	CHECK_EQ(e.code, VX_INPUT);
	CHECK(strchr(e.msg, '\n') == NULL);
	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", path, line, problem);
	else
		snprintf(want, sizeof(want), "%s", problem);
	if (!strstr(e.msg, want)) {
		printf("message: %s\nwanted:  %s\n", e.msg, want);
		CHECK(!"error message as expected");
	}
}

static void test_bad(void)
{
	static const char nul[] = "00:04.0 x\n00: f4 1a\0 53\n";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(fixture(bad[i].file), bad[i].line, bad[i].problem);
	const char *path = temp_dump(nul, sizeof(nul) - 1);

	check_bad(path, 2, "NUL byte in line");
	unlink(path);
}

int main(void)
{
	test_host_vsock();
	test_host_files();
	test_host_all();
	test_mixed();
	test_pcie_4k();
	test_nodev();
	test_crlf();
	test_cardbus();
	test_bad();
	return check_done();
}
