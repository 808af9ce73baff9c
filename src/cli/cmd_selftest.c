/* `selftest`: the built-in self-test of the device's type. */
#include "cli/commands_impl.h"

#include <stdlib.h>

#include "cli/drive.h"
#include "virtio/bench.h"
#include "virtio/selftest.h"

enum { ST_BYTES, ST_TIMEOUT };

static int selftest_options(const struct cmd_args *a, struct selftest_opts *o, struct verr *e)
{
	char *end;

	o->bytes = 0;
	o->timeout_ms = 2000;
	if (a->opt[ST_BYTES]) {
		unsigned long b = strtoul(a->opt[ST_BYTES], &end, 0);

		if (*end || b == 0 || b > (1u << 20))
			return verr_set(e, VX_USAGE, "--bytes: '%s' is not 1 to 1 MiB",
					a->opt[ST_BYTES]);
		o->bytes = (unsigned)b;
	}
	if (a->opt[ST_TIMEOUT]) {
		o->timeout_ms = (int)strtol(a->opt[ST_TIMEOUT], &end, 0);
		if (*end || o->timeout_ms <= 0)
			return verr_set(e, VX_USAGE, "--timeout: '%s' is not milliseconds",
					a->opt[ST_TIMEOUT]);
	}
	return 0;
}

/* Opens the device for a self-test or benchmark: writable, DMA ready, and
 * our earlier queues gone (freed only after a confirmed reset). */
static int prepare(struct session *s, const struct cmd_args *a, bool (*exists)(int),
		   struct sdev **d, struct dma **dma, struct rnode **out, struct verr *e)
{
	char addr[PCI_ADDR_STRLEN];

	if (session_device(s, a->argv[0], d, e) || drive_check_writable(s, *d, e))
		return -1;
	if (!exists((*d)->v.device_id))
		return verr_set(e, VX_USAGE, "nothing built in for this device type (%d)",
				(*d)->v.device_id);
	if (!drive_of(*d) || drive_dma(s, *d, dma, e) || drive_reset(*d, e))
		return -1;
	*out = r_new_root();
	pci_addr_format(&(*d)->pci->addr, addr);
	r_str(*out, "address", "Address", addr);
	return 0;
}

CMD_HANDLER(cmd_selftest)
{
	struct selftest_opts o;
	struct dma *dma;
	struct sdev *d;

	if (selftest_options(a, &o, e) || prepare(s, a, selftest_exists, &d, &dma, out, e))
		return -1;
	o.cancel = &s->cancel;
	return selftest_run(&d->v, dma, drive_of(d)->rings, DRIVE_MAX_QUEUES, &o, *out, e);
}

enum { BENCH_DURATION, BENCH_TIMEOUT };

CMD_HANDLER(cmd_bench)
{
	struct selftest_opts o = {0, 2000, &s->cancel};
	unsigned long duration = 2000;
	struct dma *dma;
	struct sdev *d;
	char *end;

	if (a->opt[BENCH_DURATION]) {
		duration = strtoul(a->opt[BENCH_DURATION], &end, 0);
		if (*end || duration == 0 || duration > 600000)
			return verr_set(e, VX_USAGE, "--duration: '%s' is not 1 to 600000 ms",
					a->opt[BENCH_DURATION]);
	}
	if (prepare(s, a, bench_exists, &d, &dma, out, e))
		return -1;
	return bench_run(&d->v, dma, drive_of(d)->rings, DRIVE_MAX_QUEUES, &o, (unsigned)duration,
			 *out, e);
}
