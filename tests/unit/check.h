/* A minimal check library for the unit tests: a failed CHECK prints one
 * line, and check_done() makes the exit status: 1 if any check failed or
 * if none ran at all (a test that checked nothing proved nothing), 0
 * otherwise. A setup step that fails is a failed check (check_fail), never
 * just a message. Tests of this machine's own /proc and /sys (suite
 * `host`) call check_skip() when it lacks what one of them needs; a binary
 * whose every test skipped exits 77, which meson counts as skipped. */
#ifndef VIRTIOCTL_TEST_CHECK_H
#define VIRTIOCTL_TEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

void check_impl(bool ok, const char *file, int line, const char *expr);
void check_eq_u64(uint64_t got, uint64_t want, const char *file, int line, const char *expr);
void check_eq_str(const char *got, const char *want, const char *file, int line, const char *expr);
/* A failure that is not a comparison: setup that did not work, a missing
 * node. Counts as a failed check. */
void check_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The host lacks what the calling test needs: prints why; the test then
 * returns. check_done() gives 77 when nothing but skips happened. */
void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int check_done(void);
/* True when the test binary runs as part of suite `host` (argument
 * --host): then it runs only its tests of this machine's /proc and /sys,
 * and the unit suite runs it without them. */
bool check_host_suite(int argc, char **argv);
/* Path of a file under tests/fixtures (VIRTIOCTL_FIXTURES). Static buffer. */
const char *fixture(const char *name);

#define CHECK(e) check_impl((e), __FILE__, __LINE__, #e)
#define CHECK_EQ(got, want) \
	check_eq_u64((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got)
#define CHECK_STR(got, want) check_eq_str((got), (want), __FILE__, __LINE__, #got)

#endif
