/* A fake sysfs tree in a temporary directory, for tests of the live PCI
 * backend and the Linux view without real hardware. Regular files stand in
 * for config and resourceN: pread, pwrite and mmap work on them the same
 * way as far as the code under test can tell. */
#ifndef VIRTIOCTL_TEST_FAKESYS_H
#define VIRTIOCTL_TEST_FAKESYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fakesys {
	char root[256];
};

struct fake_bar {
	uint64_t start, size, flags; /* as in the sysfs resource file */
};

struct fake_fn {
	const char *addr;   /* "0000:00:04.0" */
	const uint8_t *cfg; /* config space bytes */
	size_t cfg_len;	    /* the config file's length: 64, 256 or 4096 */
	struct fake_bar bar[6];
	bool resource_files; /* create resourceN for each BAR with a size */
	const char *driver;  /* NULL: unbound */
	bool no_uevent;	     /* leave out uevent, as a tree from an old kernel might */
};

bool fakesys_create(struct fakesys *fs);
void fakesys_destroy(struct fakesys *fs);
/* Paths are relative to the root; parent directories are created. */
bool fakesys_file(struct fakesys *fs, const char *rel, const void *data, size_t len);
bool fakesys_text(struct fakesys *fs, const char *rel, const char *text);
bool fakesys_link(struct fakesys *fs, const char *rel, const char *target);
bool fakesys_dir(struct fakesys *fs, const char *rel);
bool fakesys_remove(struct fakesys *fs, const char *rel);
/* "<root>/rel" in a static buffer. */
const char *fakesys_path(struct fakesys *fs, const char *rel);
/* bus/pci/devices/ADDR with config, vendor, device, class, subsystem_*,
 * revision, uevent (as Linux writes it), resource, resourceN (filled with
 * byte i = i & 0xff) and driver. */
bool fakesys_add_fn(struct fakesys *fs, const struct fake_fn *fn);

#endif
