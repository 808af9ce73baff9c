#include "check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_checks, n_failed, n_skipped;

void check_impl(bool ok, const char *file, int line, const char *expr)
{
	n_checks++;
	if (!ok) {
		n_failed++;
		printf("FAIL %s:%d: %s\n", file, line, expr);
	}
}

void check_eq_u64(uint64_t got, uint64_t want, const char *file, int line, const char *expr)
{
	n_checks++;
	if (got != want) {
		n_failed++;
		printf("FAIL %s:%d: %s = 0x%" PRIx64 " (%" PRIu64 "), want 0x%" PRIx64 " (%" PRIu64
		       ")\n",
		       file, line, expr, got, got, want, want);
	}
}

void check_eq_str(const char *got, const char *want, const char *file, int line, const char *expr)
{
	n_checks++;
	if (!got || !want || strcmp(got, want) != 0) {
		n_failed++;
		printf("FAIL %s:%d: %s = \"%s\", want \"%s\"\n", file, line, expr,
		       got ? got : "(null)", want ? want : "(null)");
	}
}

void check_fail(const char *fmt, ...)
{
	va_list ap;

	n_checks++;
	n_failed++;
	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void check_skip(const char *fmt, ...)
{
	va_list ap;

	n_skipped++;
	fputs("skip: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int check_done(void)
{
	printf("%d checks, %d passed, %d failed\n", n_checks, n_checks - n_failed, n_failed);
	if (n_checks == 0 && n_skipped) {
		printf("skipped: this host lacks what every test here needs\n");
		return 77;
	}
	if (n_checks == 0) {
		printf("FAIL no check ran: a test that checks nothing proves nothing\n");
		return 1;
	}
	return n_failed ? 1 : 0;
}

bool check_host_suite(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--host") == 0;
}

const char *fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("VIRTIOCTL_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
	return path;
}
