/* Running a self-test against the device model, for the self-test unit
 * tests: open a model of a type, run its self-test checking that the
 * device ends reset with its rings freed and saw no driver error, and read
 * the report. */
#ifndef VIRTIOCTL_TESTS_SELFTEST_RUN_H
#define VIRTIOCTL_TESTS_SELFTEST_RUN_H

#include <stdbool.h>

#include "model_fixture.h"
#include "virtio/selftest.h"

struct run {
	struct fixture f;
	struct rnode *out;
	struct verr e;
	int rc;
};

/* A modern model of `type`, its spec edited first when edit is not NULL. */
bool run_open_spec(struct run *r, unsigned type, void (*edit)(struct model_spec *s));
void run_selftest(struct run *r, const struct selftest_opts *o);
void run_done(struct run *r);
bool run_passed(const struct run *r);
/* The string at a report path, "" when there is none. */
const char *run_str(const struct run *r, const char *path);

#endif
