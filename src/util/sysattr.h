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

#endif
