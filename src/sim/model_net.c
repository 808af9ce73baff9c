/* virtio-net's control queue in the model (virtio 1.3, 5.1.6.5): every
 * command (class, command, data) answered with one ack byte,
 * VIRTIO_NET_OK (0) unless a test asked for another value; commands are
 * counted per class. */
#include "sim/model_types_impl.h"

#define NET_CTRL_HDR 2

int model_net_ctrl_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			   uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t head[NET_CTRL_HDR];

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	/* QEMU refuses a command without its header or without an ack byte. */
	if (c->readable < sizeof(head) || c->writable < 1)
		return model_err(m, "net control command of %zu/%zu bytes (need 2/1)", c->readable,
				 c->writable);
	model_chain_read(c, 0, head, sizeof(head));
	if (head[0] < MODEL_NET_CLASSES)
		s->net_ctrl[head[0]]++;
	model_chain_write(c, 0, &s->net_ack, 1);
	*used_len = 1;
	return 0;
}

int model_net_set_ctrl_ack(struct pdev *d, uint8_t ack, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->net_ack = ack;
	return 0;
}

unsigned model_net_ctrl_count(const struct pdev *d, unsigned cls)
{
	struct model *m = model_of(d);

	return m->types && cls < MODEL_NET_CLASSES ? m->types->net_ctrl[cls] : 0;
}
