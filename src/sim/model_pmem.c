/* virtio-pmem in the model (virtio 1.3, 5.19): a FLUSH request answered
 * with a 4-byte ret, 0 unless a test asked for another value. */
#include "sim/model_types_impl.h"

#define PMEM_REQ_FLUSH 0

int model_pmem_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
		       uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t req[4], resp[4];

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	if (c->readable < sizeof(req) || c->writable < sizeof(resp))
		return model_err(m, "pmem request of %zu/%zu bytes (need 4/4)", c->readable,
				 c->writable);
	model_chain_read(c, 0, req, sizeof(req));
	/* QEMU answers every request as a FLUSH; the model wants the type right. */
	if (model_le32(req) != PMEM_REQ_FLUSH)
		return model_err(m, "pmem request type %u (0 is FLUSH)", model_le32(req));
	s->pmem_flushes++;
	model_put(resp, 4, s->pmem_ret);
	model_chain_write(c, 0, resp, sizeof(resp));
	*used_len = sizeof(resp);
	return 0;
}

int model_pmem_set_flush_ret(struct pdev *d, uint32_t ret, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->pmem_ret = ret;
	return 0;
}

unsigned model_pmem_flushes(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types ? m->types->pmem_flushes : 0;
}
