/* virtio-mem in the model (virtio 1.4, 5.15), answering as QEMU 7.2 does:
 * 64 blocks of 2 MiB at 0x140000000, UNPLUGGED_INACCESSIBLE offered and
 * required, nothing requested at first. The model plays the host too:
 * when the driver sets DRIVER_OK it asks for 2 blocks more (as a QMP
 * qom-set of requested-size would; back to 2 when the region is full;
 * a test may make it ask for fewer), growing the usable region and sending a config
 * change. PLUG, UNPLUG, UNPLUG_ALL and STATE keep a block bitmap and
 * plugged_size as QEMU's virtio_mem_state_change_request() does. */
#include "sim/model_types_impl.h"

#include <string.h>

#define MEM_BLOCK	 (2u << 20)
#define MEM_ADDR	 0x140000000ull
#define MEM_BLOCKS	 64u /* one bit each in mem_map */
#define MEM_CFG_LEN	 56
#define MEM_REQ_LEN	 24
#define MEM_RESP_LEN	 10
#define MEM_F_INACCESS	 1
#define MEM_USABLE_EXTRA (256u << 20) /* QEMU's VIRTIO_MEM_USABLE_EXTENT on x86 */

enum { C_BLOCK = 0, C_ADDR = 16, C_REGION = 24, C_USABLE = 32, C_PLUGGED = 40, C_REQUESTED = 48 };
enum { REQ_PLUG, REQ_UNPLUG, REQ_UNPLUG_ALL, REQ_STATE };
enum { RESP_ACK, RESP_NACK, RESP_BUSY, RESP_ERROR };
enum { ST_PLUGGED, ST_UNPLUGGED, ST_MIXED };

void model_mem_spec(struct model_spec *s)
{
	uint8_t *c = s->device_cfg;

	model_put(c + C_BLOCK, 8, MEM_BLOCK);
	model_put(c + C_ADDR, 8, MEM_ADDR);
	model_put(c + C_REGION, 8, (uint64_t)MEM_BLOCKS * MEM_BLOCK);
	s->device_cfg_len = MEM_CFG_LEN;
	s->features |= MODEL_BIT(MEM_F_INACCESS);
	s->queue_max[0] = 128; /* QEMU's guest-request queue */
}

static uint64_t cfg(const struct model *m, unsigned off)
{
	return model_le64(m->spec.device_cfg + off);
}

bool model_mem_features_ok(const struct model *m)
{
	return !(m->spec.features & MODEL_BIT(MEM_F_INACCESS)) ||
	       (m->st.driver_features & MODEL_BIT(MEM_F_INACCESS));
}

/* The host's requested-size change, as QEMU's setter makes it: the usable
 * region grows to fit (never shrinks here), then a config change. */
void model_mem_driver_ok(struct model *m)
{
	struct model_types *s = model_types_of(m);
	uint64_t bs = cfg(m, C_BLOCK), region = cfg(m, C_REGION), req = cfg(m, C_REQUESTED);
	uint64_t step, usable;

	if (!s || !s->mem_host_blocks || !bs)
		return;
	step = (uint64_t)(s->mem_host_blocks < 0 ? -s->mem_host_blocks : s->mem_host_blocks) * bs;
	if (s->mem_host_blocks < 0)
		req = req > step ? req - step : 0;
	else
		req = req + step <= region ? req + step : step;
	usable = req + MEM_USABLE_EXTRA < region ? req + MEM_USABLE_EXTRA : region;
	if (usable < cfg(m, C_USABLE))
		usable = cfg(m, C_USABLE);
	model_put(m->spec.device_cfg + C_REQUESTED, 8, req);
	model_put(m->spec.device_cfg + C_USABLE, 8, usable);
	if (!model_bug(m, MODEL_BUG_CONFIG_GENERATION_STUCK))
		m->st.generation++;
	model_config_irq(m);
}

/* Blocks [first, first + n) of the bitmap, when the range is valid: block
 * aligned, not empty, inside the usable region. */
static bool range(const struct model *m, uint64_t addr, unsigned n, unsigned *first)
{
	uint64_t bs = cfg(m, C_BLOCK), base = cfg(m, C_ADDR), usable = cfg(m, C_USABLE);

	if (!bs || addr % bs || n == 0 || addr < base || addr - base >= usable)
		return false;
	if ((uint64_t)n * bs > usable - (addr - base))
		return false;
	*first = (unsigned)((addr - base) / bs);
	return *first + n <= MEM_BLOCKS;
}

static uint64_t mask(unsigned first, unsigned n)
{
	return (n >= 64 ? ~0ull : ((1ull << n) - 1)) << first;
}

static void set_plugged(struct model *m, struct model_types *s)
{
	/* The knob: the device's config stops following its own state. */
	if (!s->mem_cfg_stuck)
		model_put(m->spec.device_cfg + C_PLUGGED, 8, s->mem_size);
}

static unsigned change(struct model *m, struct model_types *s, bool plug, uint64_t addr, unsigned n)
{
	uint64_t bs = cfg(m, C_BLOCK), bits;
	unsigned first;

	if (!range(m, addr, n, &first))
		return RESP_ERROR;
	if (plug && s->mem_size + (uint64_t)n * bs > cfg(m, C_REQUESTED))
		return RESP_NACK;
	bits = mask(first, n);
	if ((s->mem_map & bits) != (plug ? 0 : bits))
		return RESP_ERROR;
	s->mem_map = plug ? s->mem_map | bits : s->mem_map & ~bits;
	s->mem_size = plug ? s->mem_size + n * bs : s->mem_size - n * bs;
	set_plugged(m, s);
	return RESP_ACK;
}

static unsigned state(struct model *m, struct model_types *s, uint64_t addr, unsigned n,
		      unsigned *st)
{
	unsigned first;
	uint64_t bits;

	if (!range(m, addr, n, &first))
		return RESP_ERROR;
	bits = mask(first, n);
	*st = (s->mem_map & bits) == bits ? ST_PLUGGED
	      : (s->mem_map & bits)	  ? ST_MIXED
					  : ST_UNPLUGGED;
	return RESP_ACK;
}

int model_mem_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
		      uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t req[MEM_REQ_LEN], resp[MEM_RESP_LEN] = {0};
	unsigned type, n, st = 0, r;
	uint64_t addr;

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	/* QEMU: a protocol violation, the device needs a reset. */
	if (c->readable < MEM_REQ_LEN || c->writable < MEM_RESP_LEN)
		return model_err(m, "virtio-mem request of %zu/%zu bytes (need %u/%u)", c->readable,
				 c->writable, MEM_REQ_LEN, MEM_RESP_LEN);
	model_chain_read(c, 0, req, sizeof(req));
	type = model_le16(req);
	addr = model_le64(req + 8);
	n = model_le16(req + 16);
	if (type > REQ_STATE)
		return model_err(m, "virtio-mem request type %u", type);
	s->mem_requests[type]++;
	if (type == REQ_STATE) {
		r = state(m, s, addr, n, &st);
	} else if (type == REQ_UNPLUG_ALL) {
		s->mem_map = 0;
		s->mem_size = 0;
		set_plugged(m, s);
		r = RESP_ACK;
	} else {
		r = change(m, s, type == REQ_PLUG, addr, n);
	}
	model_put(resp, 2, r);
	if (r == RESP_ACK && type == REQ_STATE)
		model_put(resp + 8, 2, st);
	model_chain_write(c, 0, resp, sizeof(resp));
	*used_len = sizeof(resp);
	return 0;
}

int model_mem_set(struct pdev *d, int host_blocks, bool plugged_stuck, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->mem_host_blocks = host_blocks;
	s->mem_cfg_stuck = plugged_stuck;
	return 0;
}

uint64_t model_mem_plugged(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types ? m->types->mem_size : 0;
}

unsigned model_mem_requests(const struct pdev *d, unsigned type)
{
	struct model *m = model_of(d);

	return m->types && type < 4 ? m->types->mem_requests[type] : 0;
}
