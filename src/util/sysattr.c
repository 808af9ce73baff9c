/* Small files under /sys and /proc: attributes and symlinks. */
#include "util/sysattr.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool sysattr_link_basename(const char *path, char *buf, size_t len)
{
	return sysattr_link_basename_at(AT_FDCWD, path, buf, len);
}

bool sysattr_link_basename_at(int dirfd, const char *rel, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, rel, target, sizeof(target) - 1);
	const char *slash;

	if (len)
		buf[0] = '\0';
	if (n <= 0 || !len)
		return false;
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : target);
	return buf[0] != '\0';
}

bool sysattr_read(const char *path, char *buf, size_t len)
{
	return sysattr_read_at(AT_FDCWD, path, buf, len);
}

bool sysattr_read_at(int dirfd, const char *rel, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (len)
		buf[0] = '\0';
	if (len < 2)
		return false;
	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

int sysattr_dir_open(const char *path)
{
	return sysattr_dir_open_at(AT_FDCWD, path);
}

int sysattr_dir_open_at(int dirfd, const char *rel)
{
	return openat(dirfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int sysattr_dir_each(const char *path, bool (*fn)(const char *name, void *ctx), void *ctx)
{
	return sysattr_dir_each_at(AT_FDCWD, path, fn, ctx);
}

int sysattr_dir_each_at(int dirfd, const char *rel, bool (*fn)(const char *name, void *ctx),
			void *ctx)
{
	alignas(struct dirent64) char buf[8192];
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			const char *name = de->d_name;

			if (!de->d_reclen)
				break; /* not what the kernel writes: stop, not spin */
			off += de->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (!fn(name, ctx)) {
				close(fd);
				return 0;
			}
		}
	close(fd);
	return n < 0 ? -1 : 0;
}
