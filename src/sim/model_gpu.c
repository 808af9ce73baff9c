/* virtio-gpu in the model (virtio 1.3, 5.7), 2D commands only: display
 * info of one enabled scanout, an EDID base block whose preferred mode is
 * that scanout's size (a test can make it disagree), and resources that
 * can be created once, backed, transferred to, flushed and unreferenced. */
#include "sim/model_types_impl.h"

#include <string.h>

#define GPU_HDR 24
enum {
	GPU_GET_DISPLAY_INFO = 0x0100,
	GPU_RESOURCE_CREATE_2D = 0x0101,
	GPU_RESOURCE_UNREF = 0x0102,
	GPU_RESOURCE_FLUSH = 0x0104,
	GPU_TRANSFER_TO_HOST_2D = 0x0105,
	GPU_RESOURCE_ATTACH_BACKING = 0x0106,
	GPU_GET_EDID = 0x010a,
	GPU_OK_NODATA = 0x1100,
	GPU_OK_DISPLAY_INFO = 0x1101,
	GPU_OK_EDID = 0x1104,
	GPU_ERR_UNSPEC = 0x1200,
	GPU_ERR_INVALID_RESOURCE_ID = 0x1203,
	GPU_ERR_INVALID_PARAMETER = 0x1205,
};

/* 128 bytes: header, one detailed timing descriptor of w x h, checksum. */
static void edid(uint8_t *b, uint32_t w, uint32_t h)
{
	static const uint8_t magic[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
	uint8_t sum = 0;

	memset(b, 0, 128);
	memcpy(b, magic, sizeof(magic));
	b[18] = 1; /* EDID 1.4 */
	b[19] = 4;
	b[54] = 0x01; /* pixel clock, non-zero: a timing descriptor */
	b[56] = (uint8_t)w;
	b[58] = (uint8_t)((w >> 8) << 4);
	b[59] = (uint8_t)h;
	b[61] = (uint8_t)((h >> 8) << 4);
	for (unsigned i = 0; i < 127; i++)
		sum = (uint8_t)(sum + b[i]);
	b[127] = (uint8_t)-sum;
}

static uint32_t resource_cmd(struct model_types *s, uint32_t type, const uint8_t *r, size_t len)
{
	uint32_t id = model_le32(r + GPU_HDR +
				 (type == GPU_RESOURCE_FLUSH	    ? 16
				  : type == GPU_TRANSFER_TO_HOST_2D ? 24
								    : 0));

	if (type == GPU_RESOURCE_CREATE_2D) {
		if (len < GPU_HDR + 16 || id == 0 || s->gpu_resource)
			return GPU_ERR_INVALID_PARAMETER;
		s->gpu_resource = id;
		return GPU_OK_NODATA;
	}
	if (id == 0 || id != s->gpu_resource)
		return GPU_ERR_INVALID_RESOURCE_ID;
	if (type == GPU_RESOURCE_ATTACH_BACKING) {
		if (len < GPU_HDR + 8 + 16ull * model_le32(r + GPU_HDR + 4))
			return GPU_ERR_INVALID_PARAMETER;
		s->gpu_backed = true;
	} else if (type == GPU_TRANSFER_TO_HOST_2D && !s->gpu_backed) {
		return GPU_ERR_UNSPEC;
	} else if (type == GPU_RESOURCE_UNREF) {
		s->gpu_resource = 0;
		s->gpu_backed = false;
	}
	s->gpu_ok++;
	return GPU_OK_NODATA;
}

int model_gpu_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
		      uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t r[GPU_HDR + 64] = {0}, out[GPU_HDR + 8 + 1024] = {0};
	size_t len = c->readable < sizeof(r) ? c->readable : sizeof(r);
	uint32_t type, reply = GPU_HDR;

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	if (c->readable < GPU_HDR || c->writable < GPU_HDR)
		return model_err(m, "gpu command of %zu/%zu bytes", c->readable, c->writable);
	model_chain_read(c, 0, r, len);
	type = model_le32(r);
	if (type == GPU_GET_DISPLAY_INFO) {
		model_put(out, 4, GPU_OK_DISPLAY_INFO);
		model_put(out + GPU_HDR + 8, 4, s->gpu_w);
		model_put(out + GPU_HDR + 12, 4, s->gpu_h);
		model_put(out + GPU_HDR + 16, 4, 1);
		reply = GPU_HDR + 16 * 24;
	} else if (type == GPU_GET_EDID) {
		bool ok = len >= GPU_HDR + 8 && model_le32(r + GPU_HDR) == 0;

		model_put(out, 4, ok ? GPU_OK_EDID : GPU_ERR_INVALID_PARAMETER);
		if (ok) {
			model_put(out + GPU_HDR, 4, 1024);
			edid(out + GPU_HDR + 8, s->gpu_edid_w, s->gpu_h);
			reply = sizeof(out);
		}
	} else {
		model_put(out, 4, resource_cmd(s, type, r, c->readable));
	}
	if (reply > c->writable)
		return model_err(m, "gpu reply of %u bytes, room for %zu", reply, c->writable);
	model_chain_write(c, 0, out, reply);
	*used_len = reply;
	return 0;
}

void model_gpu_spec(struct model_spec *s)
{
	model_put(s->device_cfg + 8, 4, 1); /* num_scanouts */
	s->device_cfg_len = 16;
	s->features |= MODEL_BIT(1); /* EDID */
	s->num_queues = 2;
}

int model_gpu_set_edid_width(struct pdev *d, uint32_t w, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->gpu_edid_w = w;
	return 0;
}

unsigned model_gpu_ok_count(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types ? m->types->gpu_ok : 0;
}
