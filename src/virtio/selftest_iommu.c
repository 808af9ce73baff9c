/* The IOMMU self-test (virtio 1.3, 5.13): PROBE an endpoint (when PROBE is
 * offered), ATTACH it to a domain, MAP one page of our DMA memory, UNMAP
 * it, DETACH; each request must complete with VIRTIO_IOMMU_S_OK. The
 * endpoint (a PCI requester ID behind the IOMMU) comes from --endpoint:
 * the device cannot tell us which endpoints exist. Its DMA is translated
 * by our domain while attached, so it should be a device nobody drives. */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define IOMMU_CFG_LEN	 36
#define IOMMU_F_INPUT	 0
#define IOMMU_F_DOMAIN	 1
#define IOMMU_F_MAP	 2
#define IOMMU_F_PROBE	 4
#define IOMMU_PROBE_MAX	 4096 /* probe_size beyond this is not plausible */
#define IOMMU_MAP_RW	 3    /* VIRTIO_IOMMU_MAP_F_READ | _WRITE */
#define IOMMU_PROBE_RESV 1

enum { IOMMU_ATTACH = 1, IOMMU_DETACH, IOMMU_MAP, IOMMU_UNMAP, IOMMU_PROBE };

static const char *const status_names[] = {"OK",    "IOERR", "UNSUPP", "DEVERR", "INVAL",
					   "RANGE", "NOENT", "FAULT",  "NOMEM"};

struct iommu_ctx {
	uint64_t page, iova, input_end;
	uint32_t domain, endpoint, probe_size;
	uint64_t phys;
};

static bool has(const struct st *t, unsigned bit)
{
	return t->features >> bit & 1;
}

/* One request: `len` device-readable bytes starting with the head, then
 * `out` bytes of properties (PROBE) and the 4-byte tail written back. */
static int iommu_req(struct st *t, const char *name, uint8_t *req, uint32_t len, uint32_t out,
		     uint8_t *props, struct verr *e)
{
	struct vseg segs[2] = {{false, req, len}, {true, NULL, out + 4}};
	struct vused u;
	char got[24];
	uint8_t status;

	if (st_roundtrip(t, 0, segs, 2, &u, e))
		return st_step(t, name, -1, e, NULL);
	if (u.len < out + 4) {
		vused_free(&u, 1);
		return st_step(t, name,
			       verr_set(e, VX_DEVICE, "used len %u, the reply is %u bytes", u.len,
					out + 4),
			       e, NULL);
	}
	if (props)
		memcpy(props, u.data, out);
	status = u.data[out];
	vused_free(&u, 1);
	st_step(t, name, 0, e, "completed");
	snprintf(got, sizeof(got), "%s (%u)",
		 status < sizeof(status_names) / sizeof(status_names[0]) ? status_names[status]
									 : "?",
		 status);
	return st_expect(t, name, "OK (0)", got, status == 0, e);
}

/* Property records: le16 type, le16 length, value; type 0 ends the list. */
static int check_props(struct st *t, const uint8_t *p, uint32_t size, struct verr *e)
{
	unsigned n = 0, resv = 0;
	uint32_t off = 0;
	char detail[64];

	while (off + 4 <= size && (st_get_le(p + off, 2) & 0xfff) != 0) {
		uint32_t len = (uint32_t)st_get_le(p + off + 2, 2);

		if (len > size - off - 4)
			return st_step(t, "probe-properties",
				       verr_set(e, VX_DEVICE,
						"property at %u: %u bytes run past the %u-byte "
						"buffer",
						off, len, size),
				       e, NULL);
		resv += (st_get_le(p + off, 2) & 0xfff) == IOMMU_PROBE_RESV;
		n++;
		off += 4 + len;
	}
	snprintf(detail, sizeof(detail), "%u properties, %u reserved regions", n, resv);
	return st_step(t, "probe-properties", 0, e, detail);
}

static int probe(struct st *t, struct iommu_ctx *c, struct verr *e)
{
	uint8_t req[72] = {IOMMU_PROBE}, props[IOMMU_PROBE_MAX];

	if (!has(t, IOMMU_F_PROBE) || c->probe_size == 0)
		return st_step(t, "probe", 0, e, "PROBE not offered: skipped");
	st_put_le(req + 4, 4, c->endpoint);
	return iommu_req(t, "probe", req, sizeof(req), c->probe_size, props, e) ||
	       check_props(t, props, c->probe_size, e);
}

static int attach_detach(struct st *t, struct iommu_ctx *c, uint8_t type, struct verr *e)
{
	uint8_t req[20] = {type}; /* flags (ATTACH) and reserved stay 0 */

	st_put_le(req + 4, 4, c->domain);
	st_put_le(req + 8, 4, c->endpoint);
	return iommu_req(t, type == IOMMU_ATTACH ? "attach" : "detach", req, sizeof(req), 0, NULL,
			 e);
}

static int map_unmap(struct st *t, struct iommu_ctx *c, uint8_t type, struct verr *e)
{
	uint8_t req[36] = {type};

	st_put_le(req + 4, 4, c->domain);
	st_put_le(req + 8, 8, c->iova);
	st_put_le(req + 16, 8, c->iova + c->page - 1);
	if (type == IOMMU_MAP) {
		st_put_le(req + 24, 8, c->phys);
		st_put_le(req + 32, 4, IOMMU_MAP_RW);
		return iommu_req(t, "map", req, 36, 0, NULL, e);
	}
	return iommu_req(t, "unmap", req, 28, 0, NULL, e);
}

/* Page size, IOVA and domain from the config, each validated. */
static int iommu_config(struct st *t, struct iommu_ctx *c, struct verr *e)
{
	uint8_t cfg[IOMMU_CFG_LEN];
	uint64_t mask, start = 0;
	char got[96];

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	mask = st_get_le(cfg, 8);
	c->page = mask & -mask; /* the smallest granule */
	c->input_end = UINT64_MAX;
	if (has(t, IOMMU_F_INPUT)) {
		start = st_get_le(cfg + 8, 8);
		c->input_end = st_get_le(cfg + 16, 8);
	}
	c->domain = has(t, IOMMU_F_DOMAIN) ? (uint32_t)st_get_le(cfg + 24, 4) : 1;
	c->probe_size = (uint32_t)st_get_le(cfg + 32, 4);
	if (c->page)
		c->iova = (start + c->page - 1) & ~(c->page - 1);
	r_hex64(t->out, "page_size_mask", "Page size mask", mask);
	snprintf(got, sizeof(got), "page 0x%llx, IOVA 0x%llx, end 0x%llx, probe_size %u",
		 (unsigned long long)c->page, (unsigned long long)c->iova,
		 (unsigned long long)c->input_end, c->probe_size);
	return st_expect(
		t, "config", "a page size, a page in the input range, probe_size <= 4096", got,
		c->page && c->page <= (1ull << 30) && c->iova >= start &&
			c->iova + c->page - 1 >= c->iova && c->iova + c->page - 1 <= c->input_end &&
			(has(t, IOMMU_F_DOMAIN) ? st_get_le(cfg + 28, 4) >= c->domain : true) &&
			c->probe_size <= IOMMU_PROBE_MAX,
		e);
}

int st_run_iommu(struct st *t, struct verr *e)
{
	struct iommu_ctx c = {0};
	struct dma_mem page = {0};
	int rc;

	if (!t->o->have_endpoint)
		return st_step(t, "endpoint",
			       verr_set(e, VX_USAGE,
					"the IOMMU self-test needs an endpoint (the PCI address "
					"of a device behind the IOMMU that nobody drives)"),
			       e, NULL);
	c.endpoint = t->o->endpoint;
	if (!has(t, IOMMU_F_MAP))
		return st_step(t, "features", verr_set(e, VX_DEVICE, "MAP_UNMAP not offered"), e,
			       NULL);
	if (iommu_config(t, &c, e) || st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	/* The page mapped is one of ours, so the mapping points at real memory. */
	if (c.page > VRING_PAGE)
		return st_step(t, "dma-page",
			       verr_set(e, VX_UNAVAILABLE, "granule 0x%llx: above 4 KiB",
					(unsigned long long)c.page),
			       e, NULL);
	if (dma_alloc(t->dma, VRING_PAGE, VRING_PAGE, &page, e))
		return st_step(t, "dma-page", -1, e, NULL);
	c.phys = page.bus;
	rc = probe(t, &c, e) || attach_detach(t, &c, IOMMU_ATTACH, e) ||
	     map_unmap(t, &c, IOMMU_MAP, e) || map_unmap(t, &c, IOMMU_UNMAP, e) ||
	     attach_detach(t, &c, IOMMU_DETACH, e);
	dma_free(t->dma, &page);
	return rc ? -1 : 0;
}
