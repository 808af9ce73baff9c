/* Defaults, state and handler installation for model_scsi.c, model_pmem.c,
 * model_iommu.c and the other model_<type>.c. */
#include "sim/model_types_impl.h"

#include <stdlib.h>
#include <string.h>

#define MODEL_ID_SCSI_CFG_LEN 36
#define IOMMU_CFG_LEN	      40

struct model_types *model_types_of(struct model *m)
{
	if (m->types)
		return m->types;
	m->types = calloc(1, sizeof(*m->types));
	if (!m->types) {
		model_err(m, "model: out of memory");
		return NULL;
	}
	strcpy(m->types->vendor, "QEMU");
	strcpy(m->types->product, "QEMU HARDDISK");
	m->types->unit_attention = true;
	m->types->endpoint = 0x0100;
	m->types->gpu_w = m->types->gpu_edid_w = 1280;
	m->types->gpu_h = 800;
	m->types->mem_host_blocks = 2;
	return m->types;
}

static void scsi_cfg(struct model_spec *s)
{
	uint8_t *c = s->device_cfg;

	model_put(c, 4, 1);	     /* num_queues */
	model_put(c + 4, 4, 126);    /* seg_max */
	model_put(c + 8, 4, 0xffff); /* max_sectors */
	model_put(c + 12, 4, 128);   /* cmd_per_lun */
	model_put(c + 16, 4, 16);    /* event_info_size */
	model_put(c + 20, 4, 96);    /* sense_size */
	model_put(c + 24, 4, 32);    /* cdb_size */
	model_put(c + 30, 2, 255);   /* max_target */
	model_put(c + 32, 4, 16383); /* max_lun */
	s->device_cfg_len = MODEL_ID_SCSI_CFG_LEN;
}

static void iommu_cfg(struct model_spec *s)
{
	uint8_t *c = s->device_cfg;

	model_put(c, 8, ~0xfffull);	  /* page_size_mask: 4 KiB and up */
	model_put(c + 16, 8, UINT64_MAX); /* input_range [0, 2^64) */
	model_put(c + 28, 4, UINT32_MAX); /* domain_range [0, 2^32) */
	model_put(c + 32, 4, 512);	  /* probe_size */
	c[36] = 1;			  /* bypass */
	s->device_cfg_len = IOMMU_CFG_LEN;
	/* INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE, BYPASS_CONFIG */
	s->features |= MODEL_BIT(0) | MODEL_BIT(1) | MODEL_BIT(2) | MODEL_BIT(4) | MODEL_BIT(6);
	s->num_queues = 2;
}

void model_types_spec_init(struct model_spec *s)
{
	switch (s->device_id) {
	case MODEL_ID_SCSI:
		scsi_cfg(s);
		break;
	case MODEL_ID_PMEM:
		model_put(s->device_cfg, 8, 0x140000000ull); /* start */
		model_put(s->device_cfg + 8, 8, 4u << 20);   /* size */
		s->device_cfg_len = 16;
		break;
	case MODEL_ID_IOMMU:
		iommu_cfg(s);
		break;
	case MODEL_ID_INPUT:
		model_input_spec(s);
		break;
	case MODEL_ID_CRYPTO:
		model_crypto_spec(s);
		break;
	case MODEL_ID_GPU:
		model_gpu_spec(s);
		break;
	case MODEL_ID_MEM:
		model_mem_spec(s);
		break;
	default:
		break;
	}
}

void model_types_use_handlers(struct pdev *d)
{
	struct model *m = model_of(d);

	switch (m->spec.device_id) {
	case MODEL_ID_SCSI:
		for (unsigned q = 2; q < m->st.num_queues; q++)
			model_set_handler(d, q, model_scsi_handler, NULL);
		break;
	case MODEL_ID_PMEM:
		model_set_handler(d, 0, model_pmem_handler, NULL);
		break;
	case MODEL_ID_MEM:
		model_set_handler(d, 0, model_mem_handler, NULL);
		break;
	case MODEL_ID_IOMMU:
		model_set_handler(d, 0, model_iommu_handler, NULL);
		break;
	case MODEL_ID_BALLOON:
		for (unsigned q = 0; q < m->st.num_queues && q < 3; q++)
			model_set_handler(d, q, model_balloon_handler, NULL);
		break;
	case MODEL_ID_INPUT:
		model_set_handler(d, 0, model_input_handler, NULL);
		break;
	case MODEL_ID_GPU:
		model_set_handler(d, 0, model_gpu_handler, NULL);
		break;
	case MODEL_ID_CRYPTO:
		model_set_handler(d, 0, model_crypto_handler, NULL);
		model_set_handler(d, 1, model_crypto_handler, NULL);
		break;
	default:
		break;
	}
}

bool model_types_cfg_write(struct model *m, uint64_t rel, unsigned width, uint64_t v)
{
	switch (m->spec.device_id) {
	case MODEL_ID_BALLOON:
		return model_balloon_cfg_write(m, rel);
	case MODEL_ID_INPUT:
		return model_input_cfg_write(m, rel, width, v);
	default:
		return false;
	}
}

bool model_types_features_ok(const struct model *m)
{
	return m->spec.device_id != MODEL_ID_MEM || model_mem_features_ok(m);
}

void model_types_driver_ok(struct model *m)
{
	if (m->spec.device_id == MODEL_ID_MEM)
		model_mem_driver_ok(m);
}
