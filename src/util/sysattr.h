/* Small files under /sys and /proc: attributes and symlinks. Paths longer
 * than PATH_MAX, unreadable files and absent links are failures. */
#ifndef VIRTIOCTL_UTIL_SYSATTR_H
#define VIRTIOCTL_UTIL_SYSATTR_H

#include <stdbool.h>
#include <stddef.h>

/* Last component of the symlink at path (a driver name, say); false when
 * the link is absent or unreadable, leaving buf "". */
bool sysattr_link_basename(const char *path, char *buf, size_t len);
/* Reads a small attribute, without its trailing newline and spaces. */
bool sysattr_read(const char *path, char *buf, size_t len);
/* Calls fn for each entry of the directory at path but "." and "..", in
 * the kernel's order, until fn returns false. -1 when the directory cannot
 * be opened (or a later read of it fails), else 0. Unlike opendir() it
 * neither stats the directory nor allocates: in an emulated guest each
 * syscall and each heap growth is costly, and a function's sysfs view
 * lists several directories. */
int sysattr_dir_each(const char *path, bool (*fn)(const char *name, void *ctx), void *ctx);

/* The same relative to a directory descriptor (AT_FDCWD: the working
 * directory), for a run of files in one sysfs directory: the path walk to
 * it, through the /sys/bus/.../devices symlinks, costs more than the open
 * itself in an emulated guest (measured: 140 us for an open and close by
 * full path, 62 us relative to the directory), so it is walked once. */
bool sysattr_read_at(int dirfd, const char *rel, char *buf, size_t len);
bool sysattr_link_basename_at(int dirfd, const char *rel, char *buf, size_t len);
int sysattr_dir_each_at(int dirfd, const char *rel, bool (*fn)(const char *name, void *ctx),
			void *ctx);
/* An O_PATH descriptor of the directory at path (for the *_at calls), or
 * -1; the caller closes it. */
int sysattr_dir_open(const char *path);
int sysattr_dir_open_at(int dirfd, const char *rel);

#endif
