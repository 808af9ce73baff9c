/* The CLI side of packed rings and indirect chains, through dispatch() on
 * a device model given as the session's device source: `vring setup
 * --ring packed` only when RING_PACKED is offered and negotiated (and
 * packed rings refused as split), `post --indirect` only with
 * INDIRECT_DESC, `selftest --ring packed` refused with one usage line on
 * a device that does not offer it. */
#include "check.h"
#include "cli/dispatch.h"
#include "cli/session.h"
#include "dma/dma.h"
#include "sim/model.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADDR "0000:00:01.0"

struct source {
	bool packed; /* the model offers RING_PACKED */
};

static int src_open(void *ctx, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	struct source *src = ctx;
	struct model_spec spec;

	model_spec_init(&spec, MODEL_ID_RNG, MODEL_MODERN);
	if (src->packed)
		spec.features |= MODEL_BIT(MODEL_F_RING_PACKED);
	spec.addr = *a;
	spec.writable = true;
	*out = model_pdev_new(&spec, e);
	if (!*out)
		return -1;
	model_use_builtin_handlers(*out);
	return 0;
}

static int src_dma(void *ctx, struct pdev *p, struct dma **out, struct verr *e)
{
	(void)ctx;
	return dma_open_backend(p, &model_dma_backend, out, e);
}

struct result {
	int rc;
	char out[8192];
	char err[512];
	unsigned err_lines;
};

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
}

/* One command line (words separated by spaces) through dispatch(). */
static struct result run(struct session *s, const char *line)
{
	struct result r = {0};
	char copy[256], *w[24], *save = NULL;
	int n = 0, out = dup(1), err = dup(2);
	FILE *fo = tmpfile(), *fe = tmpfile();

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok_r(copy, " ", &save); t && n < 23; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	w[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	r.rc = dispatch(s, n, w, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	slurp(fo, r.out, sizeof(r.out));
	slurp(fe, r.err, sizeof(r.err));
	for (const char *p = r.err; *p; p++)
		r.err_lines += *p == '\n';
	fclose(fo);
	fclose(fe);
	if (r.rc)
		printf("# %s -> %d: %s", line, r.rc, r.err);
	return r;
}

static void open_session(struct session *s, struct source *src, struct session_source *hook)
{
	*hook = (struct session_source){src_open, src_dma, src};
	session_init(s);
	s->sysfs_root = "/nonexistent";
	s->proc_root = "/nonexistent";
	s->source = hook;
	session_settle(s);
}

static void bring_up(struct session *s, const char *features)
{
	char line[128];

	CHECK_EQ(run(s, "status " ADDR " reset").rc, 0);
	CHECK_EQ(run(s, "status " ADDR " ack").rc, 0);
	CHECK_EQ(run(s, "status " ADDR " driver").rc, 0);
	snprintf(line, sizeof(line), "features " ADDR " set %s", features);
	CHECK_EQ(run(s, line).rc, 0);
	CHECK_EQ(run(s, "status " ADDR " features-ok").rc, 0);
}

static void test_packed_offered(void)
{
	struct source src = {true};
	struct session_source hook;
	struct session s;
	struct result r;

	open_session(&s, &src, &hook);
	bring_up(&s, "VERSION_1 RING_PACKED");
	/* Negotiated packed: a split ring is refused, with the way out. */
	r = run(&s, "vring " ADDR " setup 0 8");
	CHECK_EQ(r.rc, VX_USAGE);
	CHECK(strstr(r.err, "--ring packed") != NULL);
	CHECK_EQ(r.err_lines, 1);
	r = run(&s, "vring --json " ADDR " setup 0 8 --ring packed");
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.out, "\"layout\":\"packed\"") != NULL);
	CHECK_EQ(run(&s, "status " ADDR " driver-ok").rc, 0);
	/* INDIRECT_DESC was not negotiated. */
	r = run(&s, "post " ADDR " 0 --indirect w:8");
	CHECK_EQ(r.rc, VX_USAGE);
	CHECK(strstr(r.err, "INDIRECT_DESC") != NULL);
	CHECK_EQ(run(&s, "post " ADDR " 0 w:8").rc, 0);
	CHECK_EQ(run(&s, "kick " ADDR " 0").rc, 0);
	r = run(&s, "poll --json " ADDR " 0");
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.out, "\"len\":8") != NULL);
	r = run(&s, "vring --json " ADDR " show 0");
	CHECK(strstr(r.out, "\"next_avail\":1") != NULL);
	CHECK(strstr(r.out, "\"device_event\"") != NULL);
	CHECK_EQ(run(&s, "status " ADDR " reset").rc, 0);

	/* With INDIRECT_DESC too, on a fresh bring-up. */
	bring_up(&s, "VERSION_1 RING_PACKED INDIRECT_DESC");
	CHECK_EQ(run(&s, "vring " ADDR " setup 0 8 --ring packed").rc, 0);
	CHECK_EQ(run(&s, "status " ADDR " driver-ok").rc, 0);
	r = run(&s, "post --json " ADDR " 0 --indirect w:8 w:8");
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.out, "\"indirect\":true") != NULL);
	CHECK_EQ(run(&s, "kick " ADDR " 0").rc, 0);
	r = run(&s, "poll --json " ADDR " 0");
	CHECK(strstr(r.out, "\"len\":16") != NULL);
	r = run(&s, "selftest --json " ADDR " --ring packed");
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.out, "\"ring\":\"packed\"") != NULL);
	session_fini(&s);
}

static void test_packed_not_offered(void)
{
	struct source src = {false};
	struct session_source hook;
	struct session s;
	struct result r;

	open_session(&s, &src, &hook);
	bring_up(&s, "VERSION_1");
	r = run(&s, "vring " ADDR " setup 0 8 --ring packed");
	CHECK_EQ(r.rc, VX_USAGE);
	CHECK(strstr(r.err, "does not offer VIRTIO_F_RING_PACKED") != NULL);
	CHECK_EQ(r.err_lines, 1);
	r = run(&s, "selftest " ADDR " --ring packed");
	CHECK_EQ(r.rc, VX_USAGE);
	CHECK(strstr(r.err, "RING_PACKED") != NULL);
	CHECK_EQ(r.err_lines, 1);
	r = run(&s, "bench " ADDR " --ring bogus");
	CHECK_EQ(r.rc, VX_USAGE);
	CHECK(strstr(r.err, "split or packed") != NULL);
	/* The default stays split and works. */
	CHECK_EQ(run(&s, "selftest " ADDR).rc, 0);
	session_fini(&s);
}

int main(void)
{
	test_packed_offered();
	test_packed_not_offered();
	return check_done();
}
