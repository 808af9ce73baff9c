/* `check`: the device judged against the specification (src/conform),
 * read-only by default, actively with --active on a device virtioctl may
 * write; `check --list`: the table of checks. */
#include "cli/commands_impl.h"

#include <stdlib.h>
#include <string.h>

#include "cli/dispatch.h"
#include "cli/drive.h"
#include "cli/report.h"
#include "conform/conform.h"
#include "virtio/ids.h"

#define CHECK_MAX_ONLY 64

/* --only ID[,ID...]: ids or prefixes ending in '*'. The list points into
 * `buf`. */
static int parse_only(const char *arg, char *buf, size_t len, const char **ids, size_t *n,
		      struct verr *e)
{
	char *save = NULL;

	*n = 0;
	if (!arg)
		return 0;
	snprintf(buf, len, "%s", arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!conform_pattern_valid(t))
			return verr_set(e, VX_USAGE,
					"--only: no check is called '%s' (see 'check --list')", t);
		if (*n >= CHECK_MAX_ONLY)
			return verr_set(e, VX_USAGE, "--only: more than %d checks", CHECK_MAX_ONLY);
		ids[(*n)++] = t;
	}
	if (*n == 0)
		return verr_set(e, VX_USAGE, "--only: no check given");
	return 0;
}

/* What one `check` line asks, parsed once for every device it visits. */
struct check_run {
	char buf[1024];
	const char *ids[CHECK_MAX_ONLY];
	struct conform_opts o;
	bool active;
};

/* --active writes: dispatch() applied the rules of writing commands (the
 * option is a writing one in the table) before we got here, or, for
 * --all, open_for_check() asked dispatch_may_write() about this device.
 * DMA memory whose teardown (reset first) the session owns. */
static int prepare_active(struct session *s, const char *addr, struct sdev **d,
			  struct conform_env *env, struct verr *e)
{
	char *argv[] = {(char *)addr, NULL};
	struct cmd_args one = {.argc = 1, .argv = argv};
	struct drive *dr;

	if (drive_device(s, &one, d, e))
		return -1;
	dr = drive_of(*d);
	if (!dr)
		return verr_set(e, VX_FAIL, "out of memory");
	if (drive_dma(s, *d, &env->dma, e))
		return -1;
	env->active = true;
	env->rings = dr->rings;
	env->nrings = DRIVE_MAX_QUEUES;
	return 0;
}

/* The device at addr, opened for the checks asked. With --all nothing was
 * decided for this device before: dispatch's rules are asked here, before
 * anything is written (a bound device is refused, left untouched). */
static int open_for_check(struct session *s, const struct check_run *r, const char *addr,
			  bool every, struct sdev **d, struct conform_env *env, struct verr *e)
{
	if (!r->active)
		return session_device(s, addr, d, e);
	if (every && (session_device(s, addr, d, e) || dispatch_may_write(s, *d, false, e)))
		return -1;
	return prepare_active(s, addr, d, env, e);
}

/* One device judged: its report in *out. 0 when it passed, else -1 with e
 * set: VX_CHECK for failed checks (the report is whole), another code when
 * the device could not be checked. */
static int check_device(struct session *s, const struct check_run *r, const char *addr, bool every,
			struct rnode **out, struct verr *e)
{
	struct conform_env env = {0};
	struct conform_summary sum;
	struct sdev *d;
	struct rctx c;

	if (open_for_check(s, r, addr, every, &d, &env, e))
		return -1;
	*out = r_new_root();
	rctx_init(&c, s, d, *out);
	report_identity(&c);
	r_str(*out, "mode", "Mode", env.active ? "active" : "read-only");
	r_bool(*out, "strict", "Strict", r->o.strict);
	env.v = &d->v;
	env.bound_driver = d->bound ? d->pci->driver : "";
	env.lv = c.have_lv ? &c.lv : NULL;
	env.dump_file = s->dump_file != NULL;
	env.cancel = &s->cancel;
	env.timeout_ms = 2000;
	if (conform_run(&env, &r->o, *out, &sum, e)) {
		rctx_finish(&c);
		return -1;
	}
	rctx_finish(&c);
	if (!sum.ok)
		return verr_set(e, VX_CHECK, "%u MUST check%s failed%s", sum.must_failed,
				sum.must_failed == 1 ? "" : "s",
				r->o.strict && sum.should_failed ? " (and SHOULD checks, --strict)"
								 : "");
	return 0;
}

/* ---- check --all ---- */

/* What one --all line found so far; `worst` decides the exit status. */
struct fleet {
	struct rnode *devs, *skip;
	unsigned functions, passed, failed, skipped, not_checked;
	struct verr worst;
};

/* Exit statuses by how bad: a device that could not be checked (the
 * answer is incomplete) over a failed check over a pass, as diff(1) puts
 * trouble over a difference. */
static int rank(int code)
{
	return code == VX_OK ? 0 : code == VX_CHECK ? 1 : 2;
}

static void note(struct fleet *f, const char *addr, const struct verr *e)
{
	if (rank((int)e->code) <= rank((int)f->worst.code))
		return;
	f->worst = *e;
	/* messages about a device mostly name it already */
	if (!strstr(e->msg, addr) && !strstr(e->msg, addr + 5))
		verr_prefix(&f->worst, "%s", addr);
}

static void skipped(struct fleet *f, const char *addr, const char *why, int code)
{
	struct rnode *o = r_obj(f->skip, NULL, NULL);

	r_str(o, "address", "address", addr);
	r_str(o, "reason", "reason", why);
	r_uint(o, "exit_status", "exit", (unsigned)code, NULL);
	f->skipped++;
}

/* One function into `devices`, or into `skipped` with the status `check
 * ADDR` would have ended with; the device is closed again (after the
 * teardown of anything --active gave it), so any number fit. */
static void check_listed(struct session *s, const struct check_run *r, const struct psys_entry *p,
			 struct fleet *f)
{
	char addr[PCI_ADDR_STRLEN];
	unsigned keep = s->ndev;
	const char *why = every_skip_why(s, p);
	struct verr e = {0};
	struct rnode *rep = NULL;
	int rc;

	pci_addr_format(&p->addr, addr);
	f->functions++;
	if (why) {
		skipped(f, addr, why, VX_OK);
		return;
	}
	rc = check_device(s, r, addr, true, &rep, &e);
	if (rc && !e.code)
		e.code = VX_FAIL;
	if (rep && r_complete(rep) && (rc == 0 || e.code == VX_CHECK)) {
		rep->flags |= RF_DOC; /* each device is a `check` document */
		r_move(rep, f->devs);
		*(rc ? &f->failed : &f->passed) += 1;
	} else {
		if (rc == 0)
			verr_set(&e, VX_FAIL, "out of memory");
		skipped(f, addr, e.msg, (int)e.code);
		f->not_checked++;
	}
	if (rep && rep->parent != f->devs)
		r_free(rep);
	session_close_last(s, keep);
	note(f, addr, &e);
}

static void counts(struct rnode *out, const struct fleet *f)
{
	struct rnode *o = r_obj(out, "counts", "Counts");

	r_uint(o, "functions", "Functions", f->functions, NULL);
	r_uint(o, "passed", "Passed", f->passed, NULL);
	r_uint(o, "failed", "Failed", f->failed, NULL);
	r_uint(o, "skipped", "Skipped", f->skipped, NULL);
}

static int check_all(struct session *s, const struct cmd_args *a, const struct check_run *r,
		     struct rnode **out, struct verr *e)
{
	struct psys_entry *ents = NULL;
	struct fleet f = {0};
	struct psys *sys;
	size_t n = 0;

	if (a->argc)
		return verr_set(e, VX_USAGE, "check --all takes no device");
	if (session_system(s, &sys, e) || psys_scan(sys, &ents, &n, e))
		return -1;
	*out = r_new_root();
	r_str(*out, "mode", "Mode", r->active ? "active" : "read-only");
	r_bool(*out, "strict", "Strict", r->o.strict);
	f.devs = r_arr(*out, "devices", "Devices", 0);
	f.skip = r_arr(*out, "skipped", "Skipped", RF_TABLE);
	for (size_t i = 0; i < n && !session_cancelled(s); i++)
		if (virtio_pci_classify(ents[i].vendor, ents[i].device) != VPCI_ID_NOT_VIRTIO)
			check_listed(s, r, &ents[i], &f);
	free(ents);
	counts(*out, &f);
	r_uint(*out, "exit_status", "Exit status", f.worst.code, NULL);
	if (f.worst.code == VX_CHECK)
		return verr_set(e, VX_CHECK, "%u of %u functions failed checks", f.failed,
				f.functions);
	if (f.worst.code) {
		*e = f.worst;
		if (f.not_checked > 1)
			verr_append(e, " (%u functions not checked: see skipped)", f.not_checked);
		return -1;
	}
	return 0;
}

CMD_HANDLER(cmd_check)
{
	struct check_run r = {.o = {.strict = a->opt[CHECK_STRICT].given},
			      .active = a->opt[CHECK_ACTIVE].given};
	bool every = a->opt[CHECK_ALL].given;

	if (a->opt[CHECK_LIST].given) {
		if (every || (a->argc > 0 && !s->current[0]))
			return verr_set(e, VX_USAGE, "check --list takes no device");
		*out = r_new_root();
		conform_list(*out);
		return 0;
	}
	r.o.only = r.ids;
	if (parse_only(a->opt[CHECK_ONLY].s, r.buf, sizeof(r.buf), r.ids, &r.o.nonly, e))
		return -1;
	if (every)
		return check_all(s, a, &r, out, e);
	if (a->argc < 1)
		return verr_set(e, VX_USAGE, "check: missing device (or --all, or --list)");
	return check_device(s, &r, a->argv[0], false, out, e);
}
