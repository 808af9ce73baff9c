/* (a) The -F dump parser: arbitrary text as an `lspci -xxxx` dump, then
 * everything a user can do with it: list, and every function's dump and
 * irqs reports (which walk the capabilities), rendered as text and JSON. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/commands_impl.h"
#include "pci/system.h"
#include "virtio/caps.h"

/* Commands on at most this many functions per input, to keep runs fast. */
#define MAX_FUNCTIONS 32

/* The parser reads a path: the input goes into a memory file (a deleted
 * temporary file where memfd_create is missing), reopened by name. */
static const char *input_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	size_t done = 0;

	if (fd < 0) {
		fd = memfd_create("virtioctl-fuzz-dump", 0);
		if (fd < 0) {
			char tmpl[] = "/tmp/virtioctl-fuzz-XXXXXX";

			fd = mkstemp(tmpl);
			if (fd < 0)
				fuzz_fail("cannot create a temporary file");
			unlink(tmpl);
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0))
		fuzz_fail("ftruncate failed");
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			fuzz_fail("pwrite failed");
		done += (size_t)n;
	}
	return path;
}

/* Messages are printed as one line: whatever the file held, they must not
 * carry line breaks or terminal escapes to the user's terminal or log. */
static void check_msg(const struct verr *e)
{
	FUZZ_ASSERT(e->code != VX_OK);
	FUZZ_ASSERT(e->msg[0] != '\0');
	for (const char *c = e->msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			fuzz_fail("error message has control byte 0x%02x: %s", (unsigned char)*c,
				  e->msg);
}

/* Closes the devices a command opened: a dump may hold more functions
 * than a session keeps open. */
static void drop_devices(struct session *s)
{
	for (unsigned i = 0; i < s->ndev; i++) {
		pdev_close(s->dev[i]->pci);
		free(s->dev[i]);
	}
	s->ndev = 0;
}

static void run_command(struct session *s, CMD_HANDLER((*fn)), const char *addr)
{
	char *argv[] = {(char *)addr, NULL};
	struct cmd_args a = {.argc = addr ? 1 : 0, .argv = argv};
	struct rnode *out = NULL;
	struct verr e = {0};

	if (fn(s, &a, &out, &e))
		check_msg(&e);
	if (out) {
		fuzz_render(out);
		r_free(out);
	}
	drop_devices(s);
}

/* The capability walker on every function, virtio or not. */
static void walk(struct psys *sys, const struct psys_entry *p)
{
	struct pdev *d = NULL;
	struct verr e = {0};
	struct vcaps *caps = malloc(sizeof(*caps));

	if (!caps)
		fuzz_fail("out of memory");
	if (psys_open_device(sys, &p->addr, &d, &e) == 0) {
		FUZZ_ASSERT(d->cfg_size == 64 || d->cfg_size == 128 || d->cfg_size == 256 ||
			    d->cfg_size == 4096);
		FUZZ_ASSERT(pci_addr_cmp(&d->addr, &p->addr) == 0);
		if (vcaps_walk(d, caps, &e) == 0) {
			FUZZ_ASSERT(caps->pci.n <= PCI_CAPS_MAX && caps->nv <= VCAPS_MAX_VIRTIO);
			for (unsigned i = 0; i < caps->nv; i++)
				FUZZ_ASSERT(!caps->v[i].usable || caps->v[i].problem[0] == '\0');
		}
		pdev_close(d);
	} else {
		check_msg(&e);
	}
	free(caps);
}

int fuzz_dump(const uint8_t *data, size_t size)
{
	struct session s;
	struct psys_entry *ents = NULL;
	struct psys *sys;
	struct verr e = {0};
	size_t n = 0;

	session_init(&s);
	s.dump_file = input_file(data, size);
	s.sysfs_root = "/nonexistent";
	s.proc_root = "/nonexistent";
	if (session_system(&s, &sys, &e)) {
		FUZZ_ASSERT(e.code == VX_INPUT);
		check_msg(&e);
		session_fini(&s);
		return 0;
	}
	FUZZ_ASSERT(psys_is_dump(sys));
	if (psys_scan(sys, &ents, &n, &e))
		fuzz_fail("psys_scan failed on a parsed dump: %s", e.msg);
	FUZZ_ASSERT(n > 0);
	for (size_t i = 1; i < n; i++)
		FUZZ_ASSERT(pci_addr_cmp(&ents[i - 1].addr, &ents[i].addr) < 0);
	run_command(&s, cmd_list, NULL);
	for (size_t i = 0; i < n && i < MAX_FUNCTIONS; i++) {
		char addr[PCI_ADDR_STRLEN];

		walk(sys, &ents[i]);
		pci_addr_format(&ents[i].addr, addr);
		run_command(&s, cmd_dump, addr);
		run_command(&s, cmd_irqs, addr);
	}
	free(ents);
	session_fini(&s);
	return 0;
}
