#include "pci/backend/libpci_guard.h"

#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One guarded libpci call in progress on this thread: the frame to jump
 * back to on a fatal error, and what libpci said. */
struct guard {
	sigjmp_buf env;
	struct lpci_status st;
	struct guard *outer;
};

/* The one piece of state outside the session object, and why: libpci's
 * error and warning callbacks get no context argument (only the format
 * and its arguments), so the guard of the call in progress can be found
 * only through a variable. It is set only for the duration of one libpci
 * call (guard_push .. guard_pop) and is thread-local, so two threads, or a
 * call made while another guard is active, each find their own. */
static _Thread_local struct guard *active;

/* One line without control bytes: libpci messages can span lines. */
static void set_msg(struct lpci_status *st, const char *fmt, va_list ap)
{
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	for (char *c = st->msg; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
}

/* Must not return (libpci's contract). Every libpci call that can end
 * here runs in a guard (this file is the only caller of those), so
 * `active` is set; without one there is nothing to return an error to,
 * and the only way left is to trap, as for a failed assertion. */
static void __attribute__((noreturn, format(printf, 1, 2))) on_error(char *fmt, ...)
{
	struct guard *g = active;
	va_list ap;

	if (!g)
		__builtin_trap();
	va_start(ap, fmt);
	set_msg(&g->st, fmt, ap);
	va_end(ap);
	g->st.fatal = true;
	siglongjmp(g->env, 1);
}

/* Kept for the caller's message when the call then fails. */
static void __attribute__((format(printf, 1, 2))) on_warning(char *fmt, ...)
{
	int saved = errno; /* callers report errno after libpci returns */
	struct guard *g = active;
	va_list ap;

	if (g) {
		va_start(ap, fmt);
		set_msg(&g->st, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

static void on_debug(char *fmt, ...)
{
	(void)fmt;
}

static void guard_push(struct guard *g)
{
	g->st.fatal = false;
	g->st.msg[0] = '\0';
	g->outer = active;
	active = g;
}

static void guard_pop(struct guard *g)
{
	active = g->outer;
}

static int fatal(struct verr *e, const char *what, const struct guard *g)
{
	return verr_set(e, VX_FAIL, "libpci failed %s: %s", what, g->st.msg);
}

/* sigsetjmp may only be the whole controlling expression of an if (C11
 * 7.13.1.1), hence one small function per call rather than a macro. Only
 * locals set before sigsetjmp are used after a jump back. */

struct pci_access *lpci_open(const char *path, struct verr *e)
{
	struct pci_access *a = pci_alloc();
	struct guard g;

	if (!a) {
		verr_set(e, VX_FAIL, "out of memory");
		return NULL;
	}
	a->error = on_error;
	a->warning = on_warning;
	a->debug = on_debug;
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	a->writeable = 0; /* config is opened read-write only for an actual write */
	if (pci_set_param(a, "sysfs.path", (char *)path) != 0) {
		pci_cleanup(a);
		verr_set(e, VX_UNAVAILABLE, "libpci was built without the linux-sysfs method");
		return NULL;
	}
	guard_push(&g);
	if (sigsetjmp(g.env, 0)) {
		guard_pop(&g);
		fatal(e, "to start", &g);
		pci_cleanup(a);
		return NULL;
	}
	pci_init(a);
	guard_pop(&g);
	return a;
}

void lpci_close(struct pci_access *a)
{
	if (a)
		pci_cleanup(a);
}

struct pci_dev *lpci_get_dev(struct pci_access *a, int domain, int bus, int dev, int func, int fill,
			     struct verr *e)
{
	struct pci_dev *volatile pd = NULL;
	struct guard g;

	guard_push(&g);
	if (sigsetjmp(g.env, 0)) {
		guard_pop(&g);
		fatal(e, "to read the sysfs entry", &g);
		if (pd)
			pci_free_dev(pd);
		return NULL;
	}
	pd = pci_get_dev(a, domain, bus, dev, func);
	if (pd)
		pci_fill_info(pd, fill);
	guard_pop(&g);
	if (!pd)
		verr_set(e, VX_FAIL, "out of memory");
	return pd;
}

void lpci_free_dev(struct pci_dev *pd)
{
	if (pd)
		pci_free_dev(pd);
}

bool lpci_read_block(struct pci_dev *pd, int off, uint8_t *buf, int len, struct lpci_status *st)
{
	struct guard g;
	int ok;

	guard_push(&g);
	if (sigsetjmp(g.env, 0)) {
		guard_pop(&g);
		*st = g.st;
		return false;
	}
	ok = pci_read_block(pd, off, buf, len);
	guard_pop(&g);
	*st = g.st;
	return ok != 0;
}

bool lpci_write_block(struct pci_dev *pd, int off, uint8_t *buf, int len, struct lpci_status *st)
{
	struct guard g;
	int ok;

	guard_push(&g);
	if (sigsetjmp(g.env, 0)) {
		guard_pop(&g);
		*st = g.st;
		return false;
	}
	ok = pci_write_block(pd, off, buf, len);
	guard_pop(&g);
	*st = g.st;
	return ok != 0;
}
