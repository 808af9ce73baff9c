/* A minimal check library for the unit tests: every CHECK prints one line,
 * and the test exits 1 at the end if any failed. */
#ifndef VIRTIOCTL_TEST_CHECK_H
#define VIRTIOCTL_TEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

void check_impl(bool ok, const char *file, int line, const char *expr);
void check_eq_u64(uint64_t got, uint64_t want, const char *file, int line, const char *expr);
void check_eq_str(const char *got, const char *want, const char *file, int line, const char *expr);
int check_done(void);
/* Path of a file under tests/fixtures (VIRTIOCTL_FIXTURES). Static buffer. */
const char *fixture(const char *name);

#define CHECK(e) check_impl((e), __FILE__, __LINE__, #e)
#define CHECK_EQ(got, want) \
	check_eq_u64((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got)
#define CHECK_STR(got, want) check_eq_str((got), (want), __FILE__, __LINE__, #got)

#endif
