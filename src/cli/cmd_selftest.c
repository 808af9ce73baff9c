/* `selftest`: the built-in self-test of the device's type. */
#include "cli/commands_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli/drive.h"
#include "cli/report.h"
#include "virtio/bench.h"
#include "virtio/selftest.h"

/* Opens the device for a self-test or benchmark: writable, DMA ready, and
 * our earlier queues gone (freed only after a confirmed reset). */
static int prepare(struct session *s, const struct cmd_args *a, bool (*exists)(int),
		   struct sdev **d, struct dma **dma, struct rnode **out, struct verr *e)
{
	if (drive_device(s, a, d, e))
		return -1;
	if (!exists((*d)->v.device_id))
		return verr_set(e, VX_USAGE, "nothing built in for this device type (%d)",
				(*d)->v.device_id);
	if (!drive_of(*d) || drive_dma(s, *d, dma, e) || drive_reset(*d, e))
		return -1;
	*out = report_device_root(s, *d);
	return 0;
}

/* --endpoint: a PCI address (the requester ID bus:dev.fn) or a number. */
static int parse_endpoint(const char *s, struct selftest_opts *o, struct verr *e)
{
	struct pci_addr a;
	unsigned long n;
	char *end;

	if (pci_addr_parse(s, &a)) {
		o->endpoint = a.bus << 8 | a.dev << 3 | a.func;
	} else {
		n = strtoul(s, &end, 0);
		if (!*s || *end || n > 0xffffffffu)
			return verr_set(e, VX_USAGE,
					"--endpoint: '%s' is neither a PCI address nor a number",
					s);
		o->endpoint = (uint32_t)n;
	}
	o->have_endpoint = true;
	return 0;
}

/* The self-tests name no option: a usage error in a step that reads one
 * gets the option's name here, where options exist. */
static const struct {
	const char *step, *option;
	bool append; /* the option was missing: "(--path PATH)" after */
} step_options[] = {
	{"file", "--path PATH", true},	       /* 9p, fs: none given */
	{"walk", "--path", false},	       /* 9p */
	{"lookup", "--path", false},	       /* fs */
	{"arp", "--arp", false},	       /* net */
	{"endpoint", "--endpoint ADDR", true}, /* IOMMU: none given */
};

static void name_option(const struct rnode *report, struct verr *e)
{
	const struct rnode *steps = r_find(report, "steps"), *failed = NULL, *step;

	if (e->code != VX_USAGE || !steps)
		return;
	for (const struct rnode *row = steps->child; row; row = row->next) {
		const struct rnode *ok = r_find(row, "ok");

		if (ok && ok->kind == R_BOOL && !ok->v.b)
			failed = row; /* the reset at the end follows it */
	}
	step = failed ? r_find(failed, "step") : NULL;
	if (!step || step->kind != R_STR)
		return;
	for (size_t i = 0; i < sizeof(step_options) / sizeof(step_options[0]); i++) {
		if (strcmp(step->v.s, step_options[i].step) != 0)
			continue;
		if (step_options[i].append)
			verr_append(e, " (%s)", step_options[i].option);
		else
			verr_prefix(e, "%s", step_options[i].option);
		return;
	}
}

CMD_HANDLER(cmd_selftest)
{
	/* --bytes: 0 lets the test pick its type's default */
	struct selftest_opts o = {.bytes = (unsigned)a->opt[ST_BYTES].u,
				  .timeout_ms = (int)a->opt[ST_TIMEOUT].u,
				  .cancel = &s->cancel,
				  .path = a->opt[ST_PATH].s,
				  .arp = a->opt[ST_ARP].s,
				  .packed = a->opt[ST_RING].u == VRING_PACKED};
	struct vring_spin spin;
	struct dma *dma;
	struct sdev *d;

	spin_from_args(a, ST_SPIN, &spin);
	o.spin = &spin;
	if (a->opt[ST_ENDPOINT].s && parse_endpoint(a->opt[ST_ENDPOINT].s, &o, e))
		return -1;
	if (prepare(s, a, selftest_exists, &d, &dma, out, e))
		return -1;
	if (selftest_run(&d->v, dma, drive_of(d)->rings, DRIVE_MAX_QUEUES, &o, *out, e)) {
		name_option(*out, e);
		return -1;
	}
	return 0;
}

CMD_HANDLER(cmd_bench)
{
	struct selftest_opts o = {.timeout_ms = 2000,
				  .cancel = &s->cancel,
				  .packed = a->opt[BENCH_RING].u == VRING_PACKED};
	unsigned duration = (unsigned)a->opt[BENCH_DURATION].u;
	struct vring_spin spin;
	struct dma *dma;
	struct sdev *d;
	int slack, rc;

	spin_from_args(a, BENCH_SPIN, &spin);
	o.spin = &spin;
	o.spin_given = a->opt[BENCH_SPIN].given || a->opt[BENCH_BACKOFF].given ||
		       a->opt[BENCH_SLEEP_US].given;
	o.workload = a->opt[BENCH_WORKLOAD].given ? (unsigned)a->opt[BENCH_WORKLOAD].u + 1 : 0;
	if (prepare(s, a, bench_exists, &d, &dma, out, e))
		return -1;
	/* A sleep lasts its length plus the timer slack (50 us by default):
	 * bench's short sleeps are meant as a halt of about their length. The
	 * old slack is restored for the rest of a shell session. */
	slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	prctl(PR_SET_TIMERSLACK, BENCH_TIMER_SLACK_NS, 0, 0, 0);
	rc = bench_run(&d->v, dma, drive_of(d)->rings, DRIVE_MAX_QUEUES, &o, duration, *out, e);
	if (slack > 0)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
	return rc;
}
