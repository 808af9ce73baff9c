/* State of the model_<type>.c behaviours, created on first use and freed
 * with the model. */
#ifndef VIRTIOCTL_SIM_MODEL_TYPES_IMPL_H
#define VIRTIOCTL_SIM_MODEL_TYPES_IMPL_H

#include "sim/model_impl.h"
#include "sim/model_types.h"

struct model_types {
	char vendor[9], product[17];
	bool unit_attention;

	uint32_t pmem_ret;
	unsigned pmem_flushes;

	uint32_t endpoint;
	bool attached;
	uint32_t domain;
	bool mapped;
	uint64_t map_start, map_end, map_phys;
	unsigned iommu_ok[6];
};

/* NULL (with an error in the model's list) when out of memory. */
struct model_types *model_types_of(struct model *m);

#endif
