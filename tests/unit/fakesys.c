#include "fakesys.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fakesys_create(struct fakesys *fs)
{
	snprintf(fs->root, sizeof(fs->root), "/tmp/virtioctl-fakesys-XXXXXX");
	if (!mkdtemp(fs->root))
		return false;
	/* Tests that drop privileges need to reach the tree. */
	return chmod(fs->root, 0755) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fakesys_destroy(struct fakesys *fs)
{
	if (fs->root[0] && strncmp(fs->root, "/tmp/virtioctl-fakesys-", 23) == 0)
		nftw(fs->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fs->root[0] = '\0';
}

const char *fakesys_path(struct fakesys *fs, const char *rel)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", fs->root, rel);
	return path;
}

static bool mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static bool mkparent(const char *path)
{
	char buf[1024];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return mkdirs(buf);
}

bool fakesys_dir(struct fakesys *fs, const char *rel)
{
	return mkdirs(fakesys_path(fs, rel));
}

bool fakesys_file(struct fakesys *fs, const char *rel, const void *data, size_t len)
{
	const char *path = fakesys_path(fs, rel);
	int fd;
	bool ok;

	if (!mkparent(path))
		return false;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok;
}

bool fakesys_text(struct fakesys *fs, const char *rel, const char *text)
{
	return fakesys_file(fs, rel, text, strlen(text));
}

bool fakesys_link(struct fakesys *fs, const char *rel, const char *target)
{
	const char *path = fakesys_path(fs, rel);

	return mkparent(path) && symlink(target, path) == 0;
}

bool fakesys_remove(struct fakesys *fs, const char *rel)
{
	return remove(fakesys_path(fs, rel)) == 0;
}

static bool add_attr(struct fakesys *fs, const char *dir, const char *name, unsigned width,
		     unsigned value)
{
	char rel[512], text[32];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	snprintf(text, sizeof(text), "0x%0*x\n", (int)width, value);
	return fakesys_text(fs, rel, text);
}

static unsigned cfg16(const struct fake_fn *fn, unsigned off)
{
	return fn->cfg[off] | (unsigned)fn->cfg[off + 1] << 8;
}

static bool add_ids(struct fakesys *fs, const char *dir, const struct fake_fn *fn)
{
	unsigned cls = fn->cfg[9] | (unsigned)fn->cfg[10] << 8 | (unsigned)fn->cfg[11] << 16;

	return add_attr(fs, dir, "vendor", 4, cfg16(fn, 0)) &&
	       add_attr(fs, dir, "device", 4, cfg16(fn, 2)) && add_attr(fs, dir, "class", 6, cls) &&
	       add_attr(fs, dir, "revision", 2, fn->cfg[8]) &&
	       add_attr(fs, dir, "subsystem_vendor", 4, cfg16(fn, 0x2c)) &&
	       add_attr(fs, dir, "subsystem_device", 4, cfg16(fn, 0x2e));
}

/* Linux's pci_uevent(): the identity the kernel holds, upper-case hex. */
static bool add_uevent(struct fakesys *fs, const char *dir, const struct fake_fn *fn)
{
	unsigned cls = fn->cfg[9] | (unsigned)fn->cfg[10] << 8 | (unsigned)fn->cfg[11] << 16;
	char rel[512], text[512], drv[96] = "";

	if (fn->driver)
		snprintf(drv, sizeof(drv), "DRIVER=%s\n", fn->driver);
	snprintf(text, sizeof(text),
		 "%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n",
		 drv, cls, cfg16(fn, 0), cfg16(fn, 2), cfg16(fn, 0x2c), cfg16(fn, 0x2e), fn->addr);
	snprintf(rel, sizeof(rel), "%s/uevent", dir);
	return fakesys_text(fs, rel, text);
}

/* The kernel's resource file: six BARs, then the ROM, each "start end flags". */
static bool add_resource(struct fakesys *fs, const char *dir, const struct fake_fn *fn)
{
	char rel[512], text[1024];
	size_t n = 0;

	for (int i = 0; i < 7; i++) {
		const struct fake_bar *b = i < 6 ? &fn->bar[i] : &(struct fake_bar){0};
		uint64_t end = b->size ? b->start + b->size - 1 : 0;

		n += (size_t)snprintf(text + n, sizeof(text) - n, "0x%016llx 0x%016llx 0x%016llx\n",
				      (unsigned long long)b->start, (unsigned long long)end,
				      (unsigned long long)b->flags);
	}
	snprintf(rel, sizeof(rel), "%s/resource", dir);
	return fakesys_text(fs, rel, text);
}

static bool add_bar_file(struct fakesys *fs, const char *dir, int i, uint64_t size)
{
	char rel[512];
	uint8_t *buf = malloc(size);
	bool ok;

	if (!buf)
		return false;
	for (uint64_t j = 0; j < size; j++)
		buf[j] = (uint8_t)j;
	snprintf(rel, sizeof(rel), "%s/resource%d", dir, i);
	ok = fakesys_file(fs, rel, buf, size) && chmod(fakesys_path(fs, rel), 0600) == 0;
	free(buf);
	return ok;
}

bool fakesys_add_fn(struct fakesys *fs, const struct fake_fn *fn)
{
	char dir[256], rel[512], target[256];

	snprintf(dir, sizeof(dir), "bus/pci/devices/%s", fn->addr);
	snprintf(rel, sizeof(rel), "%s/config", dir);
	if (!fakesys_file(fs, rel, fn->cfg, fn->cfg_len) || !add_ids(fs, dir, fn) ||
	    !add_resource(fs, dir, fn) || (!fn->no_uevent && !add_uevent(fs, dir, fn)))
		return false;
	for (int i = 0; i < 6 && fn->resource_files; i++)
		if (fn->bar[i].size && !add_bar_file(fs, dir, i, fn->bar[i].size))
			return false;
	if (!fn->driver)
		return true;
	snprintf(rel, sizeof(rel), "%s/driver", dir);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", fn->driver);
	return fakesys_link(fs, rel, target);
}
