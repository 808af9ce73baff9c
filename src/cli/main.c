/* virtioctl: picks the mode (one command, shell, or script) and leaves
 * through session_fini on every path, so devices given queues are reset. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_session.h"
#include "cli/dispatch.h"
#include "cli/options.h"
#include "cli/script.h"
#include "cli/session.h"
#include "cli/shell.h"

static int fail(const struct verr *e)
{
	print_error("%s", e->msg[0] ? e->msg : vx_code_name(e->code));
	return e->code ? (int)e->code : VX_FAIL;
}

/* -f FILE [DEVICE]: the device is opened first, so one self-test script
 * serves every device of its type. */
static int run_script(struct session *s, int argc, char **argv)
{
	struct pci_addr addr;
	struct verr e = {0};

	if (argc > 1 || (argc == 1 && !pci_addr_parse(argv[0], &addr))) {
		verr_set(&e, VX_USAGE, "-f FILE takes a DEVICE after it, no command ('%s')",
			 argv[0]);
		return fail(&e);
	}
	s->mode = MODE_SCRIPT;
	if (argc == 1 && session_open_current(s, argv[0], &e))
		return fail(&e);
	return script_run_path(s, s->script);
}

/* No command: the shell on a terminal, else standard input as a script. */
static int run_mode(struct session *s, int argc, char **argv)
{
	struct verr e = {0};

	if (s->script)
		return run_script(s, argc, argv);
	if (argc > 0)
		return dispatch(s, argc, argv, NULL);
	if (!isatty(STDIN_FILENO))
		return script_run(s, stdin, "stdin");
	return shell_run(s, &e) ? fail(&e) : VX_OK;
}

int main(int argc, char **argv)
{
	struct parse_result pr = {0};
	struct session s;
	struct verr e = {0};
	int i = 1, rc;

	session_init(&s);
	interrupt_trap(&s);
	/* A closed pipe is a write error (EPIPE) to report and clean up
	 * after, not a silent death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (parse_global(&s, argc, argv, &i, &pr, &e)) {
		rc = fail(&e);
	} else if (pr.sim_list) {
		rc = simulate_list(&s);
	} else if (pr.version) {
		/* the `version` command: the same output, --json included */
		char *argv_version[] = {"version", NULL};

		session_settle(&s);
		rc = dispatch(&s, 1, argv_version, NULL);
	} else if (pr.help) {
		print_usage(stdout);
		rc = VX_OK;
	} else if (session_check_source(&s, &e)) {
		rc = fail(&e);
	} else {
		session_settle(&s);
		rc = run_mode(&s, argc - i, argv + i);
	}
	if (stdout_failed(&e) && rc == VX_OK)
		rc = fail(&e);
	session_fini(&s);
	/* Like a shell: ended by signal N gives 128 + N, after the cleanup. */
	return s.signalled ? 128 + s.signalled : rc;
}
