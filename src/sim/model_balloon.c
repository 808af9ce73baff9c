/* virtio-balloon in the model (virtio 1.3, 5.5): the inflate and deflate
 * queues keep the set of pages in the balloon (a deflate of a page not in
 * it is a driver error); the statistics queue holds its buffer, as QEMU
 * does without a polling interval, unless a test asks for it back. */
#include "sim/model_types_impl.h"

#include <string.h>

#define BAL_ACTUAL 4

static int pfn_list(struct model *m, struct model_types *s, const struct model_chain *c,
		    bool inflate)
{
	for (size_t off = 0; off + 4 <= c->readable; off += 4) {
		uint8_t b[4];
		uint32_t pfn;
		unsigned i;

		model_chain_read(c, off, b, 4);
		pfn = model_le32(b);
		for (i = 0; i < s->balloon_n && s->balloon[i] != pfn; i++)
			;
		if (inflate && i == s->balloon_n) {
			if (s->balloon_n == MODEL_BALLOON_MAX)
				return model_err(m, "balloon: more than %u pages",
						 MODEL_BALLOON_MAX);
			s->balloon[s->balloon_n++] = pfn;
		} else if (!inflate) {
			if (i == s->balloon_n)
				return model_err(m, "balloon: deflate of PFN 0x%x not inflated",
						 pfn);
			s->balloon[i] = s->balloon[--s->balloon_n];
		}
	}
	return 0;
}

int model_balloon_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			  uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);

	(void)ctx;
	if (!s)
		return -1;
	*used_len = 0;
	if (c->writable || c->readable == 0 || (qidx < 2 && c->readable % 4))
		return model_err(m, "balloon queue %u: chain of %zu/%zu bytes", qidx, c->readable,
				 c->writable);
	if (qidx == 2) {
		s->stats_seen++;
		return s->stats_answer ? 0 : MODEL_HOLD;
	}
	s->balloon_requests[qidx]++;
	return pfn_list(m, s, c, qidx == 0);
}

bool model_balloon_cfg_write(struct model *m, uint64_t rel)
{
	return m->types && m->types->ignore_actual && rel == BAL_ACTUAL;
}

int model_balloon_set(struct pdev *d, bool stats_answer, bool ignore_actual, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->stats_answer = stats_answer;
	s->ignore_actual = ignore_actual;
	return 0;
}

unsigned model_balloon_pages(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types ? m->types->balloon_n : 0;
}

unsigned model_balloon_requests(const struct pdev *d, unsigned q)
{
	struct model *m = model_of(d);

	if (!m->types)
		return 0;
	return q < 2 ? m->types->balloon_requests[q] : q == 2 ? m->types->stats_seen : 0;
}
