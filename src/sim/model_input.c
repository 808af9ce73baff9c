/* virtio-input in the model (virtio 1.3, 5.8): a keyboard like QEMU's
 * virtio-keyboard. Writing select/subsel fills size and the union; events
 * a test queued go into the event buffers the driver offers, one each,
 * and buffers wait (held) while nothing is queued. */
#include "sim/model_types_impl.h"

#include <string.h>

#define IN_CFG_LEN 136
#define IN_UNION   8
#define IN_EV_KEY  1
#define IN_EV_LED  0x11
#define IN_NAME	   "QEMU Virtio Keyboard"

static unsigned fill(struct model *m, uint8_t sel, uint8_t sub, uint8_t *u)
{
	static const uint8_t ids[8] = {0x06, 0, 0x27, 0x06, 0x01, 0, 0x01, 0};

	(void)m;
	switch (sel) {
	case 1:					     /* ID_NAME */
		memcpy(u, IN_NAME, sizeof(IN_NAME)); /* with its NUL, as QEMU */
		return sizeof(IN_NAME);
	case 3: /* ID_DEVIDS */
		memcpy(u, ids, sizeof(ids));
		return sizeof(ids);
	case 0x11: /* EV_BITS */
		if (sub == IN_EV_KEY) {
			for (unsigned k = 1; k < 128; k++) /* KEY_ESC .. */
				u[k / 8] |= (uint8_t)(1u << (k % 8));
			return 16;
		}
		if (sub == IN_EV_LED) {
			u[0] = 0x07; /* NUML, CAPSL, SCROLLL */
			return 1;
		}
		return 0;
	default: /* no serial, no properties, no axes */
		return 0;
	}
}

bool model_input_cfg_write(struct model *m, uint64_t rel, unsigned width, uint64_t v)
{
	uint8_t *c = m->spec.device_cfg;

	if (rel >= 2) /* size and the union are the device's */
		return model_err(m, "input: driver wrote config offset %llu",
				 (unsigned long long)rel) != 0;
	model_put(c + rel, width, v);
	memset(c + 2, 0, IN_CFG_LEN - 2);
	c[2] = (uint8_t)fill(m, c[0], c[1], c + IN_UNION);
	return true;
}

int model_input_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t ev[8];

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	if (c->readable || c->writable < sizeof(ev))
		return model_err(m, "input event buffer of %zu/%zu bytes", c->readable,
				 c->writable);
	if (s->input_next == s->input_n)
		return MODEL_HOLD;
	model_put(ev, 2, s->input[s->input_next].type);
	model_put(ev + 2, 2, s->input[s->input_next].code);
	model_put(ev + 4, 4, s->input[s->input_next].value);
	s->input_next++;
	model_chain_write(c, 0, ev, sizeof(ev));
	*used_len = sizeof(ev);
	return 0;
}

void model_input_spec(struct model_spec *s)
{
	s->num_queues = 2;
	s->queue_max[0] = s->queue_max[1] = 64;
	s->device_cfg_len = IN_CFG_LEN;
}

int model_input_queue_event(struct pdev *d, uint16_t type, uint16_t code, uint32_t value,
			    struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	if (s->input_n == MODEL_INPUT_MAX)
		return verr_set(e, VX_USAGE, "model: more than %u events", MODEL_INPUT_MAX);
	s->input[s->input_n].type = type;
	s->input[s->input_n].code = code;
	s->input[s->input_n].value = value;
	s->input_n++;
	return 0;
}
