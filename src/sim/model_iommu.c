/* virtio-iommu in the model (virtio 1.3, 5.13): one endpoint, one domain
 * it can be attached to, and one mapping, with the status codes QEMU 7.2
 * gives for what the self-test sends and for the usual mistakes. */
#include "sim/model_types_impl.h"

#include <string.h>

enum { ATTACH = 1, DETACH, MAP, UNMAP, PROBE };
enum { S_OK = 0, S_UNSUPP = 2, S_INVAL = 4, S_RANGE = 5, S_NOENT = 6 };

#define PAGE_MASK      0xfffull
#define PROBE_RESV_MEM 1
#define RESV_MSI       1

/* Request bytes after the 4-byte head, before the tail (PROBE: 4 + 64). */
static const uint32_t payload[] = {0, 16, 16, 32, 24, 68};

static uint8_t attach(struct model_types *s, const uint8_t *r)
{
	if (model_le32(r + 8) != s->endpoint)
		return S_NOENT;
	if (model_le32(r + 12) != 0) /* flags: BYPASS not offered here */
		return S_INVAL;
	if (s->attached && s->domain != model_le32(r + 4))
		s->mapped = false; /* the old domain goes with its last endpoint */
	s->attached = true;
	s->domain = model_le32(r + 4);
	return S_OK;
}

static uint8_t detach(struct model_types *s, const uint8_t *r)
{
	if (model_le32(r + 8) != s->endpoint)
		return S_NOENT;
	if (!s->attached || s->domain != model_le32(r + 4))
		return S_INVAL;
	s->attached = false;
	s->mapped = false;
	return S_OK;
}

static uint8_t map(struct model_types *s, const uint8_t *r)
{
	uint64_t start = model_le64(r + 8), end = model_le64(r + 16), phys = model_le64(r + 24);

	if (!s->attached || s->domain != model_le32(r + 4))
		return S_NOENT;
	if (start & PAGE_MASK || (end + 1) & PAGE_MASK || phys & PAGE_MASK || end < start ||
	    model_le32(r + 32) & ~7u)
		return S_INVAL;
	if (s->mapped && start <= s->map_end && end >= s->map_start)
		return S_INVAL; /* overlaps the existing mapping */
	s->mapped = true;
	s->map_start = start;
	s->map_end = end;
	s->map_phys = phys;
	return S_OK;
}

static uint8_t unmap(struct model_types *s, const uint8_t *r)
{
	uint64_t start = model_le64(r + 8), end = model_le64(r + 16);

	if (!s->attached || s->domain != model_le32(r + 4))
		return S_NOENT;
	if (!s->mapped || end < s->map_start || start > s->map_end)
		return S_OK; /* nothing in range: not an error */
	if (start > s->map_start || end < s->map_end)
		return S_RANGE; /* would split the mapping */
	s->mapped = false;
	return S_OK;
}

/* One RESV_MEM property: the MSI doorbell range QEMU reports on x86. */
static uint8_t probe(struct model *m, struct model_types *s, const uint8_t *r,
		     const struct model_chain *c, uint32_t size)
{
	uint8_t prop[24] = {0};

	if (model_le32(r + 4) != s->endpoint)
		return S_NOENT;
	model_put(prop, 2, PROBE_RESV_MEM);
	model_put(prop + 2, 2, 20);
	prop[4] = RESV_MSI;
	model_put(prop + 8, 8, 0xfee00000ull);
	model_put(prop + 16, 8, 0xfeefffffull);
	if (size >= sizeof(prop))
		model_chain_write(c, 0, prop, sizeof(prop));
	(void)m;
	return S_OK;
}

int model_iommu_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint32_t probe_size = model_le32(m->spec.device_cfg + 32);
	uint8_t r[4 + 68] = {0}, tail[4] = {0};
	uint32_t out = 0;

	(void)qidx;
	(void)ctx;
	if (!s)
		return -1;
	if (c->readable < 4 || c->writable < sizeof(tail))
		return model_err(m, "iommu request of %zu/%zu bytes", c->readable, c->writable);
	model_chain_read(c, 0, r, 4);
	if (r[0] < ATTACH || r[0] > PROBE) {
		tail[0] = S_UNSUPP;
	} else if (c->readable < 4 + payload[r[0]]) {
		tail[0] = S_INVAL;
	} else {
		model_chain_read(c, 0, r, 4 + payload[r[0]]);
		if (r[0] == PROBE) {
			out = probe_size;
			tail[0] = c->writable < probe_size + 4 ? S_INVAL
							       : probe(m, s, r, c, probe_size);
		} else {
			tail[0] = r[0] == ATTACH   ? attach(s, r)
				  : r[0] == DETACH ? detach(s, r)
				  : r[0] == MAP	   ? map(s, r)
						   : unmap(s, r);
		}
		if (tail[0] == S_OK)
			s->iommu_ok[r[0]]++;
	}
	if (tail[0] == S_INVAL && r[0] == PROBE)
		out = 0;
	model_chain_write(c, out, tail, sizeof(tail));
	*used_len = out + sizeof(tail);
	return 0;
}

int model_iommu_set_endpoint(struct pdev *d, uint32_t id, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->endpoint = id;
	return 0;
}

bool model_iommu_attached(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types && m->types->attached;
}

unsigned model_iommu_ok_count(const struct pdev *d, unsigned type)
{
	struct model *m = model_of(d);

	return m->types && type < 6 ? m->types->iommu_ok[type] : 0;
}

unsigned model_iommu_mappings(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types && m->types->mapped ? 1 : 0;
}
