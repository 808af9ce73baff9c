/* The GPU self-test (virtio 1.3, 5.7), 2D only: GET_DISPLAY_INFO (scanout
 * 0's size and whether it is enabled, reported as xres/yres), GET_EDID
 * when EDID is offered (the EDID header, the base block's checksum, and a
 * preferred mode equal to the display info's size), then a 32x32
 * B8G8R8X8 resource created, backed by one page of our DMA memory,
 * transferred to the host, flushed and unreferenced: each answer must be
 * the response type the spec gives for success. */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define GPU_F_EDID	 1
#define GPU_HDR		 24
#define GPU_MAX_SCANOUTS 16
#define GPU_RES_ID	 1
#define GPU_RES_SIDE	 32 /* 32 x 32 x 4 bytes: one page */
#define GPU_FORMAT_BGRX	 2
#define GPU_EDID_MAX	 1024

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
};

/* One command; `resp` gets `rlen` bytes of the reply, whose type must be
 * `want`. */
static int gpu_cmd(struct st *t, const char *name, const uint8_t *req, uint32_t len, uint8_t *resp,
		   uint32_t rlen, uint32_t want, struct verr *e)
{
	struct vseg segs[2] = {{false, req, len}, {true, NULL, rlen}};
	struct vused u;
	char x[32], g[32];
	uint32_t type;

	if (st_roundtrip(t, 0, segs, 2, &u, e))
		return st_step(t, name, -1, e, NULL);
	if (u.len < GPU_HDR) {
		vused_free(&u, 1);
		return st_step(t, name,
			       verr_set(e, VX_DEVICE, "used len %u, shorter than a header", u.len),
			       e, NULL);
	}
	memset(resp, 0, rlen);
	memcpy(resp, u.data, u.len < rlen ? u.len : rlen);
	vused_free(&u, 1);
	type = (uint32_t)st_get_le(resp, 4);
	st_step(t, name, 0, e, "completed");
	snprintf(x, sizeof(x), "0x%04x", want);
	snprintf(g, sizeof(g), "0x%04x", type);
	return st_expect(t, name, x, g, type == want, e);
}

static void hdr(uint8_t *req, uint32_t type)
{
	memset(req, 0, GPU_HDR);
	st_put_le(req, 4, type);
}

static int display_info(struct st *t, uint32_t *w, uint32_t *h, struct verr *e)
{
	uint8_t req[GPU_HDR], resp[GPU_HDR + GPU_MAX_SCANOUTS * 24];
	struct rnode *d;
	char g[48];

	hdr(req, GPU_GET_DISPLAY_INFO);
	if (gpu_cmd(t, "get-display-info", req, sizeof(req), resp, sizeof(resp),
		    GPU_OK_DISPLAY_INFO, e))
		return -1;
	/* pmodes[0]: rect x, y, width, height; enabled; flags */
	*w = (uint32_t)st_get_le(resp + GPU_HDR + 8, 4);
	*h = (uint32_t)st_get_le(resp + GPU_HDR + 12, 4);
	d = r_obj(t->out, "scanout0", "Scanout 0");
	r_uint(d, "xres", "Width", *w, NULL);
	r_uint(d, "yres", "Height", *h, NULL);
	r_bool(d, "enabled", "Enabled", st_get_le(resp + GPU_HDR + 16, 4) != 0);
	snprintf(g, sizeof(g), "%ux%u, enabled %u", *w, *h,
		 (unsigned)st_get_le(resp + GPU_HDR + 16, 4));
	return st_expect(t, "scanout 0", "enabled, a non-zero size", g,
			 *w && *h && st_get_le(resp + GPU_HDR + 16, 4), e);
}

/* The EDID (VESA E-EDID 1.4): 8-byte header, base block summing to 0 mod
 * 256, preferred mode in the first detailed timing descriptor (byte 54). */
static int edid(struct st *t, uint32_t w, uint32_t h, struct verr *e)
{
	static const uint8_t magic[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
	uint8_t req[GPU_HDR + 8] = {0}, resp[GPU_HDR + 8 + GPU_EDID_MAX];
	const uint8_t *b = resp + GPU_HDR + 8;
	uint32_t size, hw, vh;
	uint8_t sum = 0;
	char x[48], g[48];

	if (!(t->features >> GPU_F_EDID & 1))
		return st_step(t, "get-edid", 0, e, "EDID not offered: skipped");
	hdr(req, GPU_GET_EDID); /* scanout 0, padding 0 */
	if (gpu_cmd(t, "get-edid", req, sizeof(req), resp, sizeof(resp), GPU_OK_EDID, e))
		return -1;
	size = (uint32_t)st_get_le(resp + GPU_HDR, 4);
	snprintf(g, sizeof(g), "%u bytes", size);
	if (st_expect(t, "edid size", "128 to 1024 bytes", g, size >= 128 && size <= GPU_EDID_MAX,
		      e))
		return -1;
	for (unsigned i = 0; i < 128; i++)
		sum = (uint8_t)(sum + b[i]);
	snprintf(g, sizeof(g), "header %s, checksum %u",
		 memcmp(b, magic, sizeof(magic)) ? "wrong" : "00 ff ff ff ff ff ff 00", sum);
	if (st_expect(t, "edid base block", "header 00 ff ff ff ff ff ff 00, checksum 0", g,
		      memcmp(b, magic, sizeof(magic)) == 0 && sum == 0, e))
		return -1;
	hw = b[56] | (uint32_t)(b[58] >> 4) << 8;
	vh = b[59] | (uint32_t)(b[61] >> 4) << 8;
	snprintf(x, sizeof(x), "%ux%u (the display info)", w, h);
	snprintf(g, sizeof(g), "%ux%u", hw, vh);
	return st_expect(t, "edid preferred mode", x, g, hw == w && vh == h, e);
}

static void rect(uint8_t *p, uint32_t w, uint32_t h)
{
	st_put_le(p, 4, 0);
	st_put_le(p + 4, 4, 0);
	st_put_le(p + 8, 4, w);
	st_put_le(p + 12, 4, h);
}

/* Create, back, transfer, flush, unref one small resource. */
static int resource(struct st *t, uint64_t backing, struct verr *e)
{
	uint8_t req[GPU_HDR + 48] = {0}, resp[GPU_HDR];

	hdr(req, GPU_RESOURCE_CREATE_2D);
	st_put_le(req + GPU_HDR, 4, GPU_RES_ID);
	st_put_le(req + GPU_HDR + 4, 4, GPU_FORMAT_BGRX);
	st_put_le(req + GPU_HDR + 8, 4, GPU_RES_SIDE);
	st_put_le(req + GPU_HDR + 12, 4, GPU_RES_SIDE);
	if (gpu_cmd(t, "resource-create-2d", req, GPU_HDR + 16, resp, sizeof(resp), GPU_OK_NODATA,
		    e))
		return -1;
	/* resource_id, nr_entries = 1, then one mem entry: addr, length, padding */
	hdr(req, GPU_RESOURCE_ATTACH_BACKING);
	st_put_le(req + GPU_HDR, 4, GPU_RES_ID);
	st_put_le(req + GPU_HDR + 4, 4, 1);
	st_put_le(req + GPU_HDR + 8, 8, backing);
	st_put_le(req + GPU_HDR + 16, 4, GPU_RES_SIDE * GPU_RES_SIDE * 4);
	st_put_le(req + GPU_HDR + 20, 4, 0);
	if (gpu_cmd(t, "attach-backing", req, GPU_HDR + 24, resp, sizeof(resp), GPU_OK_NODATA, e))
		return -1;
	/* rect, offset 0, resource_id, padding */
	hdr(req, GPU_TRANSFER_TO_HOST_2D);
	rect(req + GPU_HDR, GPU_RES_SIDE, GPU_RES_SIDE);
	st_put_le(req + GPU_HDR + 16, 8, 0);
	st_put_le(req + GPU_HDR + 24, 4, GPU_RES_ID);
	st_put_le(req + GPU_HDR + 28, 4, 0);
	if (gpu_cmd(t, "transfer-to-host-2d", req, GPU_HDR + 32, resp, sizeof(resp), GPU_OK_NODATA,
		    e))
		return -1;
	hdr(req, GPU_RESOURCE_FLUSH);
	rect(req + GPU_HDR, GPU_RES_SIDE, GPU_RES_SIDE);
	st_put_le(req + GPU_HDR + 16, 4, GPU_RES_ID);
	st_put_le(req + GPU_HDR + 20, 4, 0);
	if (gpu_cmd(t, "resource-flush", req, GPU_HDR + 24, resp, sizeof(resp), GPU_OK_NODATA, e))
		return -1;
	hdr(req, GPU_RESOURCE_UNREF);
	st_put_le(req + GPU_HDR, 4, GPU_RES_ID);
	st_put_le(req + GPU_HDR + 4, 4, 0);
	return gpu_cmd(t, "resource-unref", req, GPU_HDR + 8, resp, sizeof(resp), GPU_OK_NODATA, e);
}

int st_run_gpu(struct st *t, struct verr *e)
{
	uint8_t cfg[16];
	struct dma_mem page = {0};
	uint32_t w = 0, h = 0;
	char g[16];
	int rc;

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	snprintf(g, sizeof(g), "%u", (unsigned)st_get_le(cfg + 8, 4));
	if (st_expect(t, "num_scanouts", "1 to 16", g,
		      st_get_le(cfg + 8, 4) >= 1 && st_get_le(cfg + 8, 4) <= GPU_MAX_SCANOUTS, e))
		return -1;
	if (st_setup_queue(t, 0, e) || st_driver_ok(t, e) || display_info(t, &w, &h, e) ||
	    edid(t, w, h, e))
		return -1;
	if (dma_alloc(t->dma, VRING_PAGE, VRING_PAGE, &page, e))
		return st_step(t, "dma-page", -1, e, NULL);
	/* A gradient, so the host gets real pixels (B, G, R, X). */
	for (unsigned i = 0; i < VRING_PAGE; i++)
		((uint8_t *)page.va)[i] = (uint8_t)(i % 4 == 3 ? 0 : i / 4 * (i % 4 + 1));
	rc = resource(t, page.bus, e);
	dma_free(t->dma, &page);
	return rc;
}
