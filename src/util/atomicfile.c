#include "util/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int afile_open(struct afile *a, const char *path, unsigned mode, struct verr *e)
{
	int fd;

	memset(a, 0, sizeof(*a));
	if (!*path || snprintf(a->path, sizeof(a->path), "%s", path) >= (int)sizeof(a->path) ||
	    snprintf(a->tmp, sizeof(a->tmp), "%s.XXXXXX", path) >= (int)sizeof(a->tmp))
		return verr_set(e, VX_USAGE, "'%s': not a usable file name", path);
	fd = mkstemp(a->tmp);
	if (fd < 0)
		return verr_set(e, VX_FAIL, "%s: cannot create a temporary file beside it: %s",
				path, strerror(errno));
	if (fchmod(fd, (mode_t)mode) || !(a->f = fdopen(fd, "w"))) {
		verr_set(e, VX_FAIL, "%s: %s", a->tmp, strerror(errno));
		close(fd);
		unlink(a->tmp);
		return -1;
	}
	return 0;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	if (a->tmp[0])
		unlink(a->tmp);
	a->tmp[0] = '\0';
}

/* The rename is durable only once the directory entry is on disk too. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int afile_commit(struct afile *a, struct verr *e)
{
	int err = 0;

	if (fflush(a->f) || ferror(a->f) || fsync(fileno(a->f)))
		err = errno ? errno : EIO;
	if (fclose(a->f) && !err)
		err = errno ? errno : EIO;
	a->f = NULL;
	if (!err && rename(a->tmp, a->path))
		err = errno;
	if (err) {
		verr_set(e, VX_FAIL, "%s: not written: %s", a->path, strerror(err));
		afile_abort(a);
		return -1;
	}
	a->tmp[0] = '\0';
	sync_dir(a->path);
	return 0;
}
