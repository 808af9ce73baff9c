/* Replacing a file so that readers see the old contents or the new, never
 * a part: a temporary file in the same directory, written, flushed to disk
 * (fsync), then renamed over the target, and the directory synced. For
 * files another program reads at any moment (node_exporter's textfile
 * collector). */
#ifndef VIRTIOCTL_UTIL_ATOMICFILE_H
#define VIRTIOCTL_UTIL_ATOMICFILE_H

#include <limits.h>
#include <stdio.h>

#include "util/err.h"

struct afile {
	FILE *f; /* write the new contents here */
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

/* Creates the temporary file "PATH.XXXXXX" with mode `mode` (umask not
 * applied: the reader may be another user). */
int afile_open(struct afile *a, const char *path, unsigned mode, struct verr *e);
/* Flushes, syncs and renames; on failure the temporary file is removed
 * and the target left as it was. */
int afile_commit(struct afile *a, struct verr *e);
/* Drops the temporary file. */
void afile_abort(struct afile *a);

#endif
