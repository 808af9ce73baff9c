#include "selftest_run.h"

#include <string.h>

#include "check.h"

bool run_open_spec(struct run *r, unsigned type, void (*edit)(struct model_spec *s))
{
	struct model_spec spec;

	memset(r, 0, sizeof(*r));
	model_spec_init(&spec, type, MODEL_MODERN);
	if (edit)
		edit(&spec);
	return fixture_open_spec(&r->f, &spec, VDEV_IFACE_DEFAULT);
}

/* Runs the self-test; the device must end reset with its rings freed and
 * the model must have seen no driver error. */
void run_selftest(struct run *r, const struct selftest_opts *o)
{
	struct vring *rings[8] = {0};
	struct verr e = {0};
	uint8_t status = 0xee;

	r->out = r_new_root();
	r->rc = selftest_run(&r->f.v, r->f.dma, rings, 8, o, r->out, &r->e);
	CHECK(r->f.v.ops->get_status(&r->f.v, &status, &e) == 0);
	CHECK_EQ(status, 0);
	for (unsigned q = 0; q < 8; q++)
		CHECK(rings[q] == NULL);
	CHECK_EQ(model_error_count(r->f.pci), 0);
	if (model_error_count(r->f.pci))
		model_log_dump(r->f.pci, stdout);
}

void run_done(struct run *r)
{
	r_free(r->out);
	fixture_close(&r->f);
}

bool run_passed(const struct run *r)
{
	const struct rnode *n = r_path(r->out, "passed");

	return n && n->kind == R_BOOL && n->v.b;
}

const char *run_str(const struct run *r, const char *path)
{
	const struct rnode *n = r_path(r->out, path);

	return n && n->kind == R_STR ? n->v.s : "";
}
