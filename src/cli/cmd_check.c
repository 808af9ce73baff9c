/* `check`: the device judged against the specification (src/conform),
 * read-only by default, actively with --active on a device virtioctl may
 * write; `check --list`: the table of checks. */
#include "cli/commands_impl.h"

#include <stdlib.h>
#include <string.h>

#include "cli/drive.h"
#include "cli/report.h"
#include "conform/conform.h"

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

/* --active writes: dispatch() applied the rules of writing commands (the
 * option is a writing one in the table) before we got here. DMA memory
 * whose teardown (reset first) the session owns. */
static int prepare_active(struct session *s, const struct cmd_args *a, struct sdev **d,
			  struct conform_env *env, struct verr *e)
{
	struct drive *dr;

	if (drive_device(s, a, d, e))
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

static int run_checks(struct session *s, const struct cmd_args *a, struct rnode **out,
		      struct verr *e)
{
	char buf[1024];
	const char *ids[CHECK_MAX_ONLY];
	struct conform_opts o = {ids, 0, a->opt[CHECK_STRICT].given};
	struct conform_env env = {0};
	struct conform_summary sum;
	struct sdev *d;
	struct rctx c;

	if (parse_only(a->opt[CHECK_ONLY].s, buf, sizeof(buf), ids, &o.nonly, e))
		return -1;
	if (a->opt[CHECK_ACTIVE].given ? prepare_active(s, a, &d, &env, e)
				       : session_device(s, a->argv[0], &d, e))
		return -1;
	*out = r_new_root();
	rctx_init(&c, s, d, *out);
	report_identity(&c);
	r_str(*out, "mode", "Mode", env.active ? "active" : "read-only");
	r_bool(*out, "strict", "Strict", o.strict);
	env.v = &d->v;
	env.bound_driver = d->bound ? d->pci->driver : "";
	env.lv = c.have_lv ? &c.lv : NULL;
	env.dump_file = s->dump_file != NULL;
	env.cancel = &s->cancel;
	env.timeout_ms = 2000;
	if (conform_run(&env, &o, *out, &sum, e)) {
		rctx_finish(&c);
		return -1;
	}
	rctx_finish(&c);
	if (!sum.ok)
		return verr_set(e, VX_CHECK, "%u MUST check%s failed%s", sum.must_failed,
				sum.must_failed == 1 ? "" : "s",
				o.strict && sum.should_failed ? " (and SHOULD checks, --strict)"
							      : "");
	return 0;
}

CMD_HANDLER(cmd_check)
{
	if (a->opt[CHECK_LIST].given) {
		if (a->argc > 0 && !s->current[0])
			return verr_set(e, VX_USAGE, "check --list takes no device");
		*out = r_new_root();
		conform_list(*out);
		return 0;
	}
	if (a->argc < 1)
		return verr_set(e, VX_USAGE, "check: missing device (or --list)");
	return run_checks(s, a, out, e);
}
