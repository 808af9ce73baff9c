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

#endif
