/* State of the model_<type>.c behaviours, created on first use and freed
 * with the model. */
#ifndef VIRTIOCTL_SIM_MODEL_TYPES_IMPL_H
#define VIRTIOCTL_SIM_MODEL_TYPES_IMPL_H

#include "sim/model_impl.h"
#include "sim/model_types.h"

#define MODEL_BALLOON_MAX 64
#define MODEL_INPUT_MAX	  16
#define MODEL_NET_CLASSES 6 /* RX, MAC, VLAN, ANNOUNCE, MQ, GUEST_OFFLOADS */

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

	uint32_t balloon[MODEL_BALLOON_MAX];
	unsigned balloon_n, balloon_requests[2], stats_seen;
	bool stats_answer, ignore_actual;

	struct {
		uint16_t type, code;
		uint32_t value;
	} input[MODEL_INPUT_MAX];
	unsigned input_n, input_next;

	bool crypto_session, crypto_known_key;
	uint64_t crypto_session_id;
	uint8_t crypto_corrupt;
	unsigned crypto_destroyed;

	uint32_t gpu_w, gpu_h, gpu_edid_w, gpu_resource;
	bool gpu_backed;
	unsigned gpu_ok;

	uint8_t net_ack;
	unsigned net_ctrl[MODEL_NET_CLASSES];

	uint64_t mem_map, mem_size; /* plugged blocks (bit per block), bytes */
	int mem_host_blocks;	    /* the host's requested-size step */
	bool mem_cfg_stuck;
	unsigned mem_requests[4];
};

/* NULL (with an error in the model's list) when out of memory. */
struct model_types *model_types_of(struct model *m);

/* True when a device-config write is the device's business (ignored
 * here): model_regs.c asks before storing it. */
bool model_types_cfg_write(struct model *m, uint64_t rel, unsigned width, uint64_t v);
/* What a type adds to FEATURES_OK (false: refused) and does when the
 * driver sets DRIVER_OK: model_regs.c calls them. */
bool model_types_features_ok(const struct model *m);
void model_types_driver_ok(struct model *m);
bool model_balloon_cfg_write(struct model *m, uint64_t rel);
bool model_input_cfg_write(struct model *m, uint64_t rel, unsigned width, uint64_t v);
void model_input_spec(struct model_spec *s);
void model_crypto_spec(struct model_spec *s);
void model_gpu_spec(struct model_spec *s);
void model_mem_spec(struct model_spec *s);
/* virtio-mem: FEATURES_OK refused without UNPLUGGED_INACCESSIBLE when
 * offered (QEMU); the host's requested-size change at DRIVER_OK. */
bool model_mem_features_ok(const struct model *m);
void model_mem_driver_ok(struct model *m);

#endif
