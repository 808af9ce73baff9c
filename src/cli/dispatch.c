#include "cli/dispatch.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "sim/source.h"
#include "util/escape.h"

void print_error(const char *fmt, ...)
{
	char msg[2048], esc[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "virtioctl: %s\n", str_escape(msg, esc, sizeof(esc)));
}

static int fail(const struct verr *e, const char *where)
{
	print_error("%s%s%s", where ? where : "", where ? ": " : "",
		    e->msg[0] ? e->msg : vx_code_name(e->code));
	return e->code ? (int)e->code : VX_FAIL;
}

/* -F, --simulate and -f choose where devices and commands come from: in
 * the shell and in scripts that was decided when virtioctl started. */
static int check_fixed(struct session *s, const char *dump_file, unsigned nsimulate,
		       const char *script, struct verr *e)
{
	if (s->mode == MODE_ONESHOT ||
	    (s->dump_file == dump_file && s->script == script && s->nsimulate == nsimulate))
		return 0;
	s->dump_file = dump_file;
	s->nsimulate = nsimulate;
	s->script = script;
	return verr_set(e, VX_USAGE,
			"-F, --simulate and -f are given when virtioctl starts, not to a command");
}

static int check_mode(const struct session *s, const struct command *c, struct verr *e)
{
	if ((c->flags & CMD_SESSION) && s->mode == MODE_ONESHOT)
		return verr_set(e, VX_USAGE, "%s: only in the shell or a script", c->name);
	return 0;
}

/* The safety rules of writing commands, applied here and nowhere else
 * (dispatch_may_write is this file's too): nothing is written to a -F
 * dump, to a device bound to a kernel driver other than vfio-pci (unless
 * --force), or to a device its backend did not open writable. */
int dispatch_may_write(struct session *s, struct sdev *d, bool named, struct verr *e)
{
	char addr[PCI_ADDR_STRLEN];
	bool sim;

	pci_addr_format(&d->pci->addr, addr);
	if (s->dump_file)
		return verr_set(e, VX_PERM, "%s: a -F dump file has no device to write to", addr);
	if (d->bound && !s->force) {
		sim = sim_source_device(s->sys, &d->pci->addr) != NULL;
		verr_set(e, VX_PERM, "%s is bound to kernel driver %s%s: refusing to write to it",
			 addr, d->pci->driver,
			 sim ? " (simulated: the driver= key of --simulate)" : "");
		/* --all takes no --force: the remedy is to name the device */
		if (!named)
			verr_append(e, " (name it to write to it)");
		else if (sim)
			verr_append(e, " (pass --force)");
		else
			verr_append(e,
				    " (unbind it first: echo %s > /sys/bus/pci/drivers/%s/unbind; "
				    "or pass --force)",
				    addr, d->pci->driver);
		return -1;
	}
	if (!d->pci->writable)
		return verr_set(e, VX_PERM, "%s: %s", addr, d->pci->write_why);
	return 0;
}

/* Before the handler runs: a command writes when its row, or the row of
 * the action given, has CMD_WRITES, or an option given is a writing one
 * (check --active; command.h). A line that visits every function (--all)
 * names no device here: its handler asks dispatch_may_write for each
 * function before writing to it. --force is not taken there: one line
 * must not write to every bound device of a host (the root disk's
 * among them); a bound device is written to only when named. */
static int check_safety(struct session *s, const struct command *c, const struct cmd_args *a,
			struct verr *e)
{
	struct sdev *d;

	if (!command_line_writes(c, a))
		return 0;
	if (command_line_every(c, a))
		return s->force ? verr_set(e, VX_USAGE,
					   "%s --all writes to no bound device: --force is "
					   "taken only with a device named",
					   c->name)
				: 0;
	if (session_device(s, a->argc > 0 ? a->argv[0] : NULL, &d, e))
		return -1;
	return dispatch_may_write(s, d, true, e);
}

/* Output that did not arrive (a full disk, a closed pipe) is a failure,
 * not a success nobody saw. The error is cleared so the next command of a
 * shell or script tries again. */
bool stdout_failed(struct verr *e)
{
	int err = 0;

	if (fflush(stdout) == EOF)
		err = errno;
	if (!ferror(stdout))
		return false;
	clearerr(stdout);
	verr_set(e, VX_FAIL, "writing standard output: %s", strerror(err ? err : EIO));
	return true;
}

/* In a script's JSON Lines every command yields one record: a failing one
 * says what failed and with which status, so the stream accounts for every
 * line (the message goes to stderr as well). */
static bool script_json(const struct session *s)
{
	return s->mode == MODE_SCRIPT && s->out.format == OUT_JSON;
}

static void add_error(struct rnode *r, const char *command, const struct verr *e, const char *where)
{
	struct rnode *o;

	r_str(r, "command", "Command", command);
	o = r_obj(r, "error", "Error");
	r_str(o, "message", "Message", e->msg[0] ? e->msg : vx_code_name(e->code));
	r_uint(o, "exit_status", "Exit status", e->code ? e->code : VX_FAIL, NULL);
	r_str(o, "where", "Where", where);
}

/* A failed command leaves no result, so a later `expect` cannot test a
 * stale one; session commands (open, set, expect...) never change it, so
 * several expects test one result. */
static int run(struct session *s, const struct command *c, const struct cmd_args *a,
	       const char *where, bool *recorded, struct verr *e)
{
	struct rnode *out = NULL;
	cmd_fn *fn = a->action ? a->action->run : c->run;
	int rc = fn(s, a, &out, e);

	/* A report that lost a node is not the answer: fail after the
	 * command's own cleanup instead of printing part of it. */
	if (rc == 0 && out && !r_complete(out)) {
		r_free(out);
		out = NULL;
		rc = verr_set(e, VX_FAIL, "out of memory while building the report");
	}
	/* Interrupted (Ctrl-C on one command, SIGTERM): the report may be
	 * partial, and the user stopped waiting for it, whether the command
	 * noticed (its error says "interrupted") or not. */
	if (s->signalled) {
		r_free(out);
		out = NULL;
		if (rc == 0)
			rc = verr_set(e, VX_FAIL, "interrupted");
	}
	/* A failing command that made a report (a verdict, a failed self-test's
	 * steps) is still one record in a script: the report carries the error. */
	if (out && rc && script_json(s)) {
		add_error(out, c->name, e, where);
		*recorded = r_complete(out);
	}
	if (out)
		render(stdout, out, &s->out);
	if (stdout_failed(e) && rc == 0)
		rc = -1;
	if (!(c->flags & CMD_SESSION) && (out || rc))
		session_set_result(s, out);
	else
		r_free(out);
	return rc;
}

static void error_record(struct session *s, const char *command, const struct verr *e,
			 const char *where)
{
	struct rnode *r;
	struct verr ignored = {0};

	if (!script_json(s))
		return;
	r = r_new_root();
	add_error(r, command, e, where);
	if (r_complete(r))
		render(stdout, r, &s->out);
	r_free(r);
	stdout_failed(&ignored); /* the command failed already: its status stands */
}

static int fail_record(struct session *s, const char *command, const struct verr *e,
		       const char *where)
{
	error_record(s, command, e, where);
	return fail(e, where);
}

int dispatch(struct session *s, int argc, char **argv, const char *where)
{
	const char *dump_file = s->dump_file, *script = s->script;
	unsigned nsimulate = s->nsimulate;
	struct parse_result pr = {0};
	struct cmd_args a = {0};
	struct verr e = {0};
	const struct command *c;
	bool recorded = false;
	int rc;

	session_restore(s);
	s->cancel = 0;
	c = argc > 0 ? command_find(argv[0]) : NULL;
	if (!c || (c->flags & CMD_HIDDEN && s->mode != MODE_ONESHOT)) {
		verr_set(&e, VX_USAGE, "unknown command '%s' (see '%s')", argc > 0 ? argv[0] : "",
			 s->mode == MODE_ONESHOT ? "virtioctl --help" : "help");
		return fail_record(s, argc > 0 ? argv[0] : NULL, &e, where);
	}
	rc = parse_command_args(s, c, argc - 1, argv + 1, &a, &pr, &e);
	if (rc == 0 && pr.sim_list)
		rc = verr_set(&e, VX_USAGE, "--simulate list comes alone, without a command");
	if (rc == 0)
		rc = check_fixed(s, dump_file, nsimulate, script, &e);
	/* A line that writes nothing reads each config dword of a device
	 * once (see pdev_cfg_snapshot); the snapshots end with the line. */
	session_snapshot(s, rc == 0 && !command_line_writes(c, &a));
	if (rc == 0 && pr.help)
		print_command_help(stdout, c);
	else if (rc == 0 && (rc = check_mode(s, c, &e)) == 0 &&
		 (rc = check_safety(s, c, &a, &e)) == 0)
		rc = run(s, c, &a, where, &recorded, &e);
	session_snapshot(s, false);
	free(a.argv);
	if (rc && recorded)
		return fail(&e, where);
	return rc ? fail_record(s, c->name, &e, where) : VX_OK;
}

int dispatch_line(struct session *s, const char *line, const char *where)
{
	struct verr e = {0};
	char **argv;
	int argc, rc;

	if (line_split(line, &argc, &argv, &e))
		return fail_record(s, NULL, &e, where);
	rc = argc ? dispatch(s, argc, argv, where) : VX_OK;
	free(argv);
	return rc;
}

/* Copies one word from p to *o, undoing quotes and escapes; returns where
 * it ended, or NULL for an unterminated quote. */
static const char *split_word(const char *p, char **o)
{
	char q = 0;

	for (; *p; p++) {
		if (q == '\'' && *p != q)
			*(*o)++ = *p;
		else if (q && *p == q)
			q = 0;
		else if (!q && (*p == '\'' || *p == '"'))
			q = *p;
		else if (!q && isspace((unsigned char)*p))
			break;
		else if (*p == '\\' && p[1] && (!q || p[1] == '"' || p[1] == '\\'))
			*(*o)++ = *++p;
		else
			*(*o)++ = *p;
	}
	return q ? NULL : p;
}

int line_split(const char *line, int *argc, char ***argv, struct verr *e)
{
	/* Words and their terminators fit in the line's own length. */
	size_t len = strlen(line), max = len / 2 + 2;
	char **v = malloc(max * sizeof(*v) + len + 1);
	char *o = (char *)(v + max);
	int n = 0;

	if (!v)
		return verr_set(e, VX_FAIL, "out of memory");
	for (const char *p = line;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		v[n++] = o;
		p = split_word(p, &o);
		if (!p) {
			free(v);
			return verr_set(e, VX_USAGE, "unterminated quote");
		}
		*o++ = '\0';
	}
	v[n] = NULL;
	*argc = n;
	*argv = v;
	return 0;
}
