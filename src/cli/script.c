#include "cli/script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dispatch.h"

/* One line; returns its status, 0 for a line that is not a command. A
 * leading '-' makes a failure count as success. */
static int run_line(struct session *s, char *line, const char *where, bool *ignore)
{
	char *p = line + strspn(line, " \t");

	line[strcspn(line, "\r\n")] = '\0';
	*ignore = *p == '-';
	if (*ignore)
		p += 1 + strspn(p + 1, " \t");
	if (!*p || *p == '#')
		return 0;
	return dispatch_line(s, p, where);
}

/* Ctrl-C stops a script even on an ignored line: the user asked. */
static bool stop_now(struct session *s, int rc, bool ignore)
{
	if (s->quit || s->signalled || s->cancel)
		return true;
	return rc && !ignore && s->errexit;
}

int script_run(struct session *s, FILE *f, const char *name)
{
	char *line = NULL, where[320];
	size_t cap = 0;
	unsigned lineno = 0;
	int status = 0;
	ssize_t n;

	s->mode = MODE_SCRIPT;
	while ((n = getline(&line, &cap, f)) >= 0) {
		bool ignore;
		int rc;

		snprintf(where, sizeof(where), "%s:%u", name, ++lineno);
		/* a NUL byte: a binary file, like a malformed -F dump */
		if (memchr(line, '\0', (size_t)n)) {
			print_error("%s: a NUL byte: binary data, not a script", where);
			status = VX_INPUT;
			break;
		}
		rc = run_line(s, line, where, &ignore);
		if (rc && !ignore && !status)
			status = rc;
		if (stop_now(s, rc, ignore))
			break;
	}
	if (ferror(f) && !s->cancel && !s->signalled) {
		print_error("%s: %s", name, strerror(errno));
		status = status ? status : VX_INPUT;
	}
	if (s->cancel && !status) {
		print_error("%s:%u: interrupted", name, lineno);
		status = VX_FAIL;
	}
	free(line);
	return status;
}

int script_run_path(struct session *s, const char *path)
{
	FILE *f;
	int rc;

	if (strcmp(path, "-") == 0)
		return script_run(s, stdin, "stdin");
	f = fopen(path, "r");
	if (!f) {
		print_error("%s: %s", path, strerror(errno));
		return VX_INPUT;
	}
	rc = script_run(s, f, path);
	fclose(f);
	return rc;
}
