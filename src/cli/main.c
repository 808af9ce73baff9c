/* virtioctl: one-shot entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/session.h"

static int fail(const struct verr *e)
{
	fprintf(stderr, "virtioctl: %s\n", e->msg[0] ? e->msg : vx_code_name(e->code));
	return e->code ? (int)e->code : VX_FAIL;
}

static int run_command(struct session *s, const struct command *c, int argc, char **argv)
{
	struct parse_result pr = {0};
	struct rnode *out = NULL;
	struct verr e = {0};
	struct cmd_args a;
	int rc;

	rc = parse_command_args(s, c, argc, argv, &a, &pr, &e);
	if (rc == 0 && pr.help) {
		print_command_help(stdout, c);
	} else if (rc == 0) {
		rc = c->run(s, &a, &out, &e);
		if (out)
			render(stdout, out, &s->out);
	}
	r_free(out);
	free(a.argv);
	if (rc)
		return fail(&e);
	return VX_OK;
}

int main(int argc, char **argv)
{
	struct parse_result pr = {0};
	struct session s;
	struct verr e = {0};
	const struct command *c;
	int i = 1, rc;

	session_init(&s);
	if (parse_global(&s, argc, argv, &i, &pr, &e)) {
		rc = fail(&e);
	} else if (pr.version) {
		printf("virtioctl %s\n", VIRTIOCTL_VERSION);
		rc = VX_OK;
	} else if (pr.help) {
		print_usage(stdout);
		rc = VX_OK;
	} else if (i >= argc) {
		print_usage(stderr);
		rc = VX_USAGE;
	} else if (!(c = command_find(argv[i]))) {
		verr_set(&e, VX_USAGE, "unknown command '%s' (see 'virtioctl --help')", argv[i]);
		rc = fail(&e);
	} else {
		rc = run_command(&s, c, argc - i - 1, argv + i + 1);
	}
	session_fini(&s);
	return rc;
}
