/* The memory-device self-test (virtio 1.4, 5.15): block size and region
 * from the config, validated; a requested_size change made by the host
 * (QEMU: QMP qom-set of the device's requested-size) waited for after
 * DRIVER_OK, as a config change; then one unplugged block, found with
 * STATE requests, is plugged and unplugged again, and plugged_size must
 * follow by exactly one block each time (the device's own view; QEMU's
 * `size` property and MEMORY_DEVICE_SIZE_CHANGE events give the host's).
 * Nothing is ever read or written in the device's memory region: with
 * UNPLUGGED_INACCESSIBLE (negotiated when offered, as QEMU refuses
 * FEATURES_OK without it) the driver may not touch unplugged memory, and
 * the plugged block is only ours for the time between the requests. */
#include <stdio.h>
#include <time.h>

#include "pci/device.h"
#include "virtio/selftest_impl.h"

#define MEM_CFG_LEN  56
#define MEM_REQ_LEN  24 /* struct virtio_mem_req */
#define MEM_RESP_LEN 10 /* struct virtio_mem_resp */
#define MEM_PAGE     4096u
/* Blocks asked about with STATE for an unplugged one, at most. */
#define MEM_SCAN_MAX 64u
#define MEM_POLL_MS  10

enum { MEM_F_ACPI_PXM = 0 };
enum { MEM_REQ_PLUG = 0, MEM_REQ_UNPLUG = 1, MEM_REQ_STATE = 3 };
enum { MEM_RESP_ACK = 0, MEM_RESP_NACK = 1, MEM_RESP_BUSY = 2, MEM_RESP_ERROR = 3 };
enum { MEM_STATE_PLUGGED = 0, MEM_STATE_UNPLUGGED = 1, MEM_STATE_MIXED = 2 };

struct mem_cfg {
	uint64_t block_size, addr, region_size, usable, plugged, requested;
	uint16_t node_id;
	bool have_gen; /* the interface has config_generation */
	uint32_t gen;
};

static const char *resp_name(unsigned type)
{
	static const char *const names[] = {"ACK", "NACK", "BUSY", "ERROR"};

	return type < 4 ? names[type] : "unknown";
}

static const char *state_name(unsigned s)
{
	static const char *const names[] = {"PLUGGED", "UNPLUGGED", "MIXED"};

	return s < 3 ? names[s] : "unknown";
}

static void decode(const uint8_t *b, struct mem_cfg *c)
{
	c->block_size = st_get_le(b, 8);
	c->node_id = (uint16_t)st_get_le(b + 8, 2);
	c->addr = st_get_le(b + 16, 8);
	c->region_size = st_get_le(b + 24, 8);
	c->usable = st_get_le(b + 32, 8);
	c->plugged = st_get_le(b + 40, 8);
	c->requested = st_get_le(b + 48, 8);
}

/* One snapshot of the config and the generation it was read at: the
 * generation read before and after must agree (4.1.4.3.1), so a change
 * in between is never recorded with the wrong generation. */
static int snapshot(struct st *t, struct mem_cfg *c, struct verr *e)
{
	int (*gen)(struct vdev *, uint32_t *, struct verr *) = t->v->ops->get_config_generation;
	uint8_t b[MEM_CFG_LEN];

	c->have_gen = gen != NULL;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t g1 = 0, g2 = 0;
		unsigned got = 0;

		if ((gen && gen(t->v, &g1, e)) || vdev_read_config(t->v, b, sizeof(b), &got, e) ||
		    (gen && gen(t->v, &g2, e)))
			return -1;
		if (got < MEM_CFG_LEN)
			return verr_set(e, VX_DEVICE, "device config has %u bytes, need %u", got,
					MEM_CFG_LEN);
		if (g1 == g2) {
			c->gen = g1;
			decode(b, c);
			return 0;
		}
	}
	return verr_set(e, VX_DEVICE, "config_generation changed during each of 8 reads");
}

/* What a driver relies on before it asks for a block (5.15.4.2): a
 * power-of-two block size, every address and size a multiple of it, the
 * sizes nested (plugged, requested <= usable <= region), no wrap. */
static bool cfg_sane(const struct mem_cfg *c)
{
	uint64_t bs = c->block_size;

	if (bs < MEM_PAGE || (bs & (bs - 1)))
		return false;
	if (c->addr % bs || c->region_size % bs || c->usable % bs || c->plugged % bs ||
	    c->requested % bs)
		return false;
	return c->usable <= c->region_size && c->plugged <= c->usable &&
	       c->requested <= c->usable && c->addr + c->region_size >= c->addr;
}

static int expect_sane(struct st *t, const char *what, const struct mem_cfg *c, struct verr *e)
{
	char got[200];

	snprintf(got, sizeof(got),
		 "block_size 0x%llx, addr 0x%llx, region_size 0x%llx, usable 0x%llx, "
		 "plugged 0x%llx, requested 0x%llx",
		 (unsigned long long)c->block_size, (unsigned long long)c->addr,
		 (unsigned long long)c->region_size, (unsigned long long)c->usable,
		 (unsigned long long)c->plugged, (unsigned long long)c->requested);
	return st_expect(t, what,
			 "block_size a power of two >= 4096; addr and sizes multiples of it; "
			 "plugged, requested <= usable <= region_size",
			 got, cfg_sane(c), e);
}

static void put_sizes(struct rnode *o, const struct mem_cfg *c)
{
	r_uint(o, "usable_region_size", "Usable region size", c->usable, "%llu bytes");
	r_uint(o, "plugged_size", "Plugged size", c->plugged, "%llu bytes");
	r_uint(o, "requested_size", "Requested size", c->requested, "%llu bytes");
	if (c->have_gen)
		r_uint(o, "config_generation", "Config generation", c->gen, NULL);
	else
		r_unknown(o, "config_generation", "Config generation",
			  "the interface has no config_generation");
}

static int read_cfg(struct st *t, struct mem_cfg *c, struct verr *e)
{
	char detail[48];

	if (snapshot(t, c, e))
		return st_step(t, "read-config", -1, e, NULL);
	snprintf(detail, sizeof(detail), "%u bytes", MEM_CFG_LEN);
	st_step(t, "read-config", 0, e, detail);
	r_uint(t->out, "block_size", "Block size", c->block_size, "%llu bytes");
	r_hex64(t->out, "region_addr", "Region address", c->addr);
	r_uint(t->out, "region_size", "Region size", c->region_size, "%llu bytes");
	if (t->features >> MEM_F_ACPI_PXM & 1)
		r_uint(t->out, "node_id", "Node (ACPI PXM)", c->node_id, NULL);
	else
		r_unknown(t->out, "node_id", "Node (ACPI PXM)",
			  "VIRTIO_MEM_F_ACPI_PXM not offered");
	put_sizes(r_obj(t->out, "config_before", "Config before"), c);
	return expect_sane(t, "config", c, e);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Polls the config until requested_size differs from before's: the host
 * changes it and notifies (QEMU bumps config_generation while DRIVER_OK).
 * A notification that changes nothing (QEMU sends one for any qom-set)
 * is not the change waited for. */
static int wait_change(struct st *t, const struct mem_cfg *before, struct mem_cfg *after,
		       struct verr *e)
{
	long deadline = now_ms() + t->o->timeout_ms;
	struct timespec nap = {0, MEM_POLL_MS * 1000000L};

	for (;;) {
		/* A removed device reads all-ones: no change to report. */
		if (snapshot(t, after, e) || pdev_check_present(t->v->pci, e))
			return -1;
		if (after->requested != before->requested)
			return 0;
		if (t->o->cancel && *t->o->cancel)
			return verr_set(e, VX_FAIL, "interrupted");
		if (now_ms() > deadline)
			return verr_set(e, VX_TIMEOUT,
					"requested_size still 0x%llx after %d ms: the host changes "
					"it (QEMU: QMP qom-set of the device's requested-size)",
					(unsigned long long)before->requested, t->o->timeout_ms);
		nanosleep(&nap, NULL);
	}
}

static int config_change(struct st *t, const struct mem_cfg *before, struct mem_cfg *after,
			 struct verr *e)
{
	char x[96], g[96];

	if (wait_change(t, before, after, e))
		return st_step(t, "config-change", -1, e, NULL);
	snprintf(g, sizeof(g), "requested_size 0x%llx -> 0x%llx",
		 (unsigned long long)before->requested, (unsigned long long)after->requested);
	st_step(t, "config-change", 0, e, g);
	put_sizes(r_obj(t->out, "config_after", "Config after the change"), after);
	if (before->have_gen && after->have_gen) {
		snprintf(x, sizeof(x), "other than %u", before->gen);
		snprintf(g, sizeof(g), "%u", after->gen);
		if (st_expect(t, "config_generation", x, g, after->gen != before->gen, e))
			return -1;
	}
	if (expect_sane(t, "config after the change", after, e))
		return -1;
	/* The unchanging fields must not have changed (5.15.4.2). */
	snprintf(x, sizeof(x), "block_size 0x%llx, addr 0x%llx, region_size 0x%llx",
		 (unsigned long long)before->block_size, (unsigned long long)before->addr,
		 (unsigned long long)before->region_size);
	snprintf(g, sizeof(g), "block_size 0x%llx, addr 0x%llx, region_size 0x%llx",
		 (unsigned long long)after->block_size, (unsigned long long)after->addr,
		 (unsigned long long)after->region_size);
	return st_expect(t, "fixed fields", x, g,
			 after->block_size == before->block_size && after->addr == before->addr &&
				 after->region_size == before->region_size,
			 e);
}

/* One request for one block at addr; *resp and (STATE) *state from the
 * answer. A response shorter than 10 bytes is a device error. */
static int request(struct st *t, unsigned type, uint64_t addr, unsigned *resp, unsigned *state,
		   struct verr *e)
{
	uint8_t req[MEM_REQ_LEN] = {0};
	struct vseg segs[2] = {{false, req, MEM_REQ_LEN}, {true, NULL, MEM_RESP_LEN}};
	struct vused u;
	int rc = 0;

	st_put_le(req, 2, type);
	st_put_le(req + 8, 8, addr);
	st_put_le(req + 16, 2, 1); /* nb_blocks */
	if (st_roundtrip(t, 0, segs, 2, &u, e))
		return -1;
	if (u.len < MEM_RESP_LEN) {
		rc = verr_set(e, VX_DEVICE, "used len %u, the response is %u bytes", u.len,
			      MEM_RESP_LEN);
	} else {
		*resp = (unsigned)st_get_le(u.data, 2);
		*state = (unsigned)st_get_le(u.data + 8, 2);
	}
	vused_free(&u, 1);
	return rc;
}

/* A request whose response type must be ACK, as a step and a check. */
static int expect_ack(struct st *t, const char *name, unsigned type, uint64_t addr, unsigned *state,
		      struct verr *e)
{
	unsigned resp = 0;
	char g[48];

	if (request(t, type, addr, &resp, state, e))
		return st_step(t, name, -1, e, NULL);
	snprintf(g, sizeof(g), "block at 0x%llx: %s", (unsigned long long)addr, resp_name(resp));
	st_step(t, name, 0, e, g);
	snprintf(g, sizeof(g), "%s (%u)", resp_name(resp), resp);
	return st_expect(t, name, "ACK (0)", g, resp == MEM_RESP_ACK, e);
}

static int expect_state(struct st *t, const char *what, uint64_t addr, unsigned want,
			struct verr *e)
{
	unsigned resp = 0, state = 0;
	char x[48], g[48];

	if (request(t, MEM_REQ_STATE, addr, &resp, &state, e))
		return st_step(t, what, -1, e, NULL);
	snprintf(g, sizeof(g), "block at 0x%llx: %s", (unsigned long long)addr, resp_name(resp));
	st_step(t, what, 0, e, g);
	snprintf(x, sizeof(x), "ACK, %s (%u)", state_name(want), want);
	if (resp == MEM_RESP_ACK)
		snprintf(g, sizeof(g), "ACK, %s (%u)", state_name(state), state);
	else
		snprintf(g, sizeof(g), "%s (%u)", resp_name(resp), resp);
	return st_expect(t, what, x, g, resp == MEM_RESP_ACK && state == want, e);
}

/* plugged_size read back after a plug or an unplug: the device's view. */
static int expect_plugged(struct st *t, const char *what, uint64_t want, struct verr *e)
{
	struct mem_cfg c;
	char x[32], g[32];

	if (snapshot(t, &c, e))
		return st_step(t, what, -1, e, NULL);
	snprintf(x, sizeof(x), "0x%llx", (unsigned long long)want);
	snprintf(g, sizeof(g), "0x%llx", (unsigned long long)c.plugged);
	return st_expect(t, what, x, g, c.plugged == want, e);
}

/* The first unplugged block of the usable region, asked with STATE. */
static int find_block(struct st *t, const struct mem_cfg *c, uint64_t *addr, struct verr *e)
{
	uint64_t blocks = c->usable / c->block_size;
	char detail[64];

	for (uint64_t i = 0; i < blocks && i < MEM_SCAN_MAX; i++) {
		unsigned resp = 0, state = 0;

		*addr = c->addr + i * c->block_size;
		if (request(t, MEM_REQ_STATE, *addr, &resp, &state, e))
			return st_step(t, "find-block", -1, e, NULL);
		if (resp != MEM_RESP_ACK)
			return st_step(t, "find-block",
				       verr_set(e, VX_DEVICE, "STATE of 0x%llx: %s (%u)",
						(unsigned long long)*addr, resp_name(resp), resp),
				       e, NULL);
		if (state == MEM_STATE_UNPLUGGED) {
			snprintf(detail, sizeof(detail), "block %llu at 0x%llx: UNPLUGGED",
				 (unsigned long long)i, (unsigned long long)*addr);
			return st_step(t, "find-block", 0, e, detail);
		}
	}
	return st_step(
		t, "find-block",
		verr_set(e, VX_DEVICE, "no unplugged block among the first %llu",
			 (unsigned long long)(blocks < MEM_SCAN_MAX ? blocks : MEM_SCAN_MAX)),
		e, NULL);
}

/* Plug, check, unplug, check. A block left plugged by a failed check is
 * unplugged before the test ends, so the device is left as found. */
static int plug_unplug(struct st *t, const struct mem_cfg *c, struct verr *e)
{
	unsigned state;
	uint64_t addr = 0;
	struct verr fin = {0};
	int rc;

	/* A plug beyond requested_size is not refused here but by the device
	 * (QEMU: NACK), so the test also shows that the device refuses it. */
	if (find_block(t, c, &addr, e))
		return -1;
	r_hex64(t->out, "block_addr", "Block plugged", addr);
	if (expect_ack(t, "plug", MEM_REQ_PLUG, addr, &state, e))
		return -1;
	rc = expect_plugged(t, "plugged_size after plug", c->plugged + c->block_size, e) ||
	     expect_state(t, "state after plug", addr, MEM_STATE_PLUGGED, e);
	if (rc) {
		/* Give the block back; the first failure stays the test's. */
		expect_ack(t, "unplug after the failure", MEM_REQ_UNPLUG, addr, &state, &fin);
		return -1;
	}
	return expect_ack(t, "unplug", MEM_REQ_UNPLUG, addr, &state, e) ||
			       expect_plugged(t, "plugged_size after unplug", c->plugged, e) ||
			       expect_state(t, "state after unplug", addr, MEM_STATE_UNPLUGGED, e)
		       ? -1
		       : 0;
}

/* `check` has no host to change requested_size: one STATE request of the
 * first block, which changes nothing, is the request it completes; the
 * config is read again, as the usable region may have grown meanwhile. */
static int state_only(struct st *t, struct verr *e)
{
	struct mem_cfg c;
	unsigned state = 0;

	if (snapshot(t, &c, e))
		return st_step(t, "state", -1, e, NULL);
	if (c.usable < c.block_size)
		return st_step(
			t, "state",
			verr_set(e, VX_USAGE,
				 "the usable region is empty until the host requests memory"),
			e, NULL);
	return expect_ack(t, "state", MEM_REQ_STATE, c.addr, &state, e);
}

int st_run_mem(struct st *t, struct verr *e)
{
	struct mem_cfg before, after;

	if (read_cfg(t, &before, e) || st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	if (t->o->no_host_stimulus)
		return state_only(t, e);
	if (config_change(t, &before, &after, e))
		return -1;
	return plug_unplug(t, &after, e);
}
