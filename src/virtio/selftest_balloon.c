/* The balloon self-test (virtio 1.3, 5.5): one page of our DMA memory
 * inflated (its PFN on the inflate queue) and deflated again, `actual`
 * written after each as a driver does, and read back: the device's view
 * must follow. With STATS_VQ the first statistics buffer is offered at
 * once (5.5.6.3) and the test waits, bounded, for the device to hand it
 * back to ask for fresh statistics. */
#include <stdio.h>

#include "virtio/selftest_impl.h"

#define BAL_INFLATE   0
#define BAL_DEFLATE   1
#define BAL_STATS     2
#define BAL_F_STATS   1
#define BAL_PFN_SHIFT 12
#define BAL_CFG_LEN   8
#define BAL_ACTUAL    4
/* The one statistic offered: a tag no device knows, which the device must
 * ignore (5.5.6.3.1), so no value is made up for it. */
#define BAL_STAT_TAG 0xffff

static int pfn_request(struct st *t, unsigned q, uint32_t pfn, struct verr *e)
{
	const char *name = q == BAL_INFLATE ? "inflate" : "deflate";
	uint8_t buf[4];
	struct vseg s = {false, buf, 4};
	struct vused u;
	char detail[32];

	st_put_le(buf, 4, pfn);
	if (st_roundtrip(t, q, &s, 1, &u, e))
		return st_step(t, name, -1, e, NULL);
	vused_free(&u, 1);
	snprintf(detail, sizeof(detail), "PFN 0x%x", pfn);
	return st_step(t, name, 0, e, detail);
}

/* Writes `actual` and reads it back: the device's view of the balloon. */
static int set_actual(struct st *t, const char *what, uint32_t want, struct verr *e)
{
	uint64_t got = 0;
	char x[16], g[16];

	if (!t->v->ops->write_config)
		return st_step(t, what, verr_set(e, VX_UNAVAILABLE, "no config writes here"), e,
			       NULL);
	if (t->v->ops->write_config(t->v, BAL_ACTUAL, 4, want, e) ||
	    t->v->ops->read_config(t->v, BAL_ACTUAL, 4, &got, e))
		return st_step(t, what, -1, e, NULL);
	st_step(t, what, 0, e, NULL);
	snprintf(x, sizeof(x), "%u", want);
	snprintf(g, sizeof(g), "%u", (unsigned)got);
	return st_expect(t, what, x, g, got == want, e);
}

static int stats_offer(struct st *t, struct verr *e)
{
	static const uint8_t stat[10] = {BAL_STAT_TAG & 0xff, BAL_STAT_TAG >> 8};
	struct vseg s = {false, stat, sizeof(stat)};
	uint16_t head;
	bool suppressed;

	if (vring_post(t->rings[BAL_STATS], &s, 1, &head, e) ||
	    vring_kick(t->rings[BAL_STATS], &suppressed, e))
		return st_step(t, "stats-offer", -1, e, NULL);
	return st_step(t, "stats-offer", 0, e, "one entry, tag 0xffff");
}

/* The device returns the buffer when it wants new statistics (QEMU: at
 * its polling interval, never when none is set): not an error if not. */
static int stats_answer(struct st *t, struct verr *e)
{
	struct vused u;
	unsigned got = 0;
	char detail[64];

	if (vring_poll(t->rings[BAL_STATS], &u, 1, &got, t->o->timeout_ms, t->o->cancel, e)) {
		if (e->code != VX_TIMEOUT)
			return st_step(t, "stats-answer", -1, e, NULL);
		*e = (struct verr){0};
		snprintf(detail, sizeof(detail), "not asked for within %d ms", t->o->timeout_ms);
		r_bool(t->out, "stats_answered", "Statistics asked for", false);
		return st_step(t, "stats-answer", 0, e, detail);
	}
	vused_free(&u, 1);
	r_bool(t->out, "stats_answered", "Statistics asked for", true);
	return st_step(t, "stats-answer", 0, e, "the device asked for fresh statistics");
}

int st_run_balloon(struct st *t, struct verr *e)
{
	bool stats = t->features >> BAL_F_STATS & 1;
	struct dma_mem page = {0};
	uint8_t cfg[BAL_CFG_LEN];
	uint32_t actual;
	int rc;

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	actual = (uint32_t)st_get_le(cfg + BAL_ACTUAL, 4);
	r_uint(t->out, "num_pages", "Pages the device asks for", st_get_le(cfg, 4), NULL);
	r_uint(t->out, "actual_before", "Pages in the balloon before", actual, NULL);
	if (st_setup_queue(t, BAL_INFLATE, e) || st_setup_queue(t, BAL_DEFLATE, e) ||
	    (stats && st_setup_queue(t, BAL_STATS, e)) || st_driver_ok(t, e) ||
	    (stats && stats_offer(t, e)))
		return -1;
	if (dma_alloc(t->dma, 1u << BAL_PFN_SHIFT, 1u << BAL_PFN_SHIFT, &page, e))
		return st_step(t, "dma-page", -1, e, NULL);
	if (page.bus >> BAL_PFN_SHIFT >> 32)
		rc = st_step(t, "dma-page",
			     verr_set(e, VX_UNAVAILABLE, "page at 0x%llx: PFN beyond 32 bits",
				      (unsigned long long)page.bus),
			     e, NULL);
	else
		rc = pfn_request(t, BAL_INFLATE, (uint32_t)(page.bus >> BAL_PFN_SHIFT), e) ||
		     set_actual(t, "actual after inflate", actual + 1, e) ||
		     pfn_request(t, BAL_DEFLATE, (uint32_t)(page.bus >> BAL_PFN_SHIFT), e) ||
		     set_actual(t, "actual after deflate", actual, e) ||
		     (stats && stats_answer(t, e));
	/* The page was given back (deflated) or never given: ours to free. */
	dma_free(t->dma, &page);
	return rc ? -1 : 0;
}
