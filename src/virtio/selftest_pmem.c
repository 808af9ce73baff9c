/* The persistent-memory self-test (virtio 1.3, 5.19): the region's start
 * and size from the config, and one FLUSH request that must complete with
 * ret 0 (QEMU fsyncs the backing file). */
#include <stdio.h>

#include "virtio/selftest_impl.h"

#define PMEM_CFG_LEN   16
#define PMEM_REQ_FLUSH 0
#define PMEM_PAGE      4096u

static int pmem_config(struct st *t, struct verr *e)
{
	uint8_t cfg[PMEM_CFG_LEN];
	uint64_t start, size;
	char got[80];

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	start = st_get_le(cfg, 8);
	size = st_get_le(cfg + 8, 8);
	r_hex64(t->out, "pmem_start", "Region start", start);
	r_uint(t->out, "pmem_size", "Region size", size, NULL);
	snprintf(got, sizeof(got), "start 0x%llx, size 0x%llx", (unsigned long long)start,
		 (unsigned long long)size);
	/* A region the guest can map: whole pages, not empty, not wrapping. */
	return st_expect(
		t, "region", "page-aligned start and size, size > 0", got,
		size && start % PMEM_PAGE == 0 && size % PMEM_PAGE == 0 && start + size > start, e);
}

int st_run_pmem(struct st *t, struct verr *e)
{
	uint8_t req[4];
	struct vseg segs[2] = {{false, req, 4}, {true, NULL, 4}};
	struct vused u;
	char got[32];
	int rc;

	st_put_le(req, 4, PMEM_REQ_FLUSH);
	if (pmem_config(t, e) || st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	if (st_roundtrip(t, 0, segs, 2, &u, e))
		return st_step(t, "flush", -1, e, NULL);
	if (u.len < 4) {
		rc = verr_set(e, VX_DEVICE, "used len %u, the response is 4 bytes", u.len);
		vused_free(&u, 1);
		return st_step(t, "flush", rc, e, NULL);
	}
	snprintf(got, sizeof(got), "%u", (unsigned)st_get_le(u.data, 4));
	rc = st_get_le(u.data, 4) == 0;
	vused_free(&u, 1);
	st_step(t, "flush", 0, e, "completed");
	return st_expect(t, "flush ret", "0", got, rc, e);
}
