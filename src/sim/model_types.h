/* Device behaviours of the test model for the types beyond model_dev.c's:
 * SCSI (one scsi-hd-like disk at target 0, LUN 0), pmem (FLUSH) and IOMMU
 * (PROBE, ATTACH, DETACH, MAP, UNMAP for one endpoint). Each answers as
 * QEMU 7.2 does for what the self-tests send; the setters below let a test
 * make an answer wrong. model_use_builtin_handlers() installs them. */
#ifndef VIRTIOCTL_SIM_MODEL_TYPES_H
#define VIRTIOCTL_SIM_MODEL_TYPES_H

#include "sim/model.h"

enum {
	MODEL_ID_GPU = 16,
	MODEL_ID_INPUT = 18,
	MODEL_ID_CRYPTO = 20,
	MODEL_ID_IOMMU = 23,
	MODEL_ID_MEM = 24,
	MODEL_ID_PMEM = 27,
};

/* Config and queue defaults for these types (QEMU's values); called by
 * model_spec_init(). */
void model_types_spec_init(struct model_spec *s);
/* Installs the handler of the device type, if it is one of these. */
void model_types_use_handlers(struct pdev *d);

model_handler_fn model_scsi_handler; /* request queues: INQUIRY, TUR, READ CAPACITY(10), READ(10) */
model_handler_fn model_pmem_handler; /* FLUSH */
model_handler_fn model_iommu_handler;
model_handler_fn model_balloon_handler; /* inflate, deflate, stats */
model_handler_fn model_crypto_handler;	/* data queue 0, control queue 1 */
model_handler_fn model_gpu_handler;	/* control queue: 2D commands, display info, EDID */
model_handler_fn model_input_handler;	/* event queue: events queued by the test */
model_handler_fn model_mem_handler;	/* guest-request queue: PLUG, UNPLUG, UNPLUG_ALL, STATE */

/* SCSI: INQUIRY vendor and product (QEMU's "QEMU", "QEMU HARDDISK" by
 * default); the data is the disk of model_blk_set_disk() (1 MiB of zeros
 * when none was given). The first command other than INQUIRY after the
 * device is created gets UNIT ATTENTION, as from a freshly reset target. */
int model_scsi_set_inquiry(struct pdev *d, const char *vendor, const char *product, struct verr *e);
/* pmem: the ret a FLUSH returns (0), and FLUSHes seen. */
int model_pmem_set_flush_ret(struct pdev *d, uint32_t ret, struct verr *e);
unsigned model_pmem_flushes(const struct pdev *d);
/* IOMMU: the one endpoint ID that exists (0x0100 by default); whether it is
 * attached now, and the requests seen (by type 1-5) that ended OK. */
int model_iommu_set_endpoint(struct pdev *d, uint32_t id, struct verr *e);
bool model_iommu_attached(const struct pdev *d);
unsigned model_iommu_ok_count(const struct pdev *d, unsigned type);
unsigned model_iommu_mappings(const struct pdev *d);

/* Balloon: stats_answer returns the statistics buffer at once (QEMU with a
 * polling interval) instead of holding it; ignore_actual drops driver
 * writes of `actual` (a device whose view does not follow). */
int model_balloon_set(struct pdev *d, bool stats_answer, bool ignore_actual, struct verr *e);
unsigned model_balloon_pages(const struct pdev *d); /* now in the balloon */
/* Requests seen on queue q: 0 inflate, 1 deflate, 2 statistics buffers. */
unsigned model_balloon_requests(const struct pdev *d, unsigned q);
/* Input (a keyboard: "QEMU Virtio Keyboard", EV_KEY codes 1-127, EV_LED):
 * an event for the event queue, delivered when a buffer is offered. */
int model_input_queue_event(struct pdev *d, uint16_t type, uint16_t code, uint32_t value,
			    struct verr *e);
/* Net control queue (installed when CTRL_VQ is offered: the last queue):
 * the ack every command gets (0, VIRTIO_NET_OK), and commands seen per
 * class (0 RX, 1 MAC, ...). */
model_handler_fn model_net_ctrl_handler;
int model_net_set_ctrl_ack(struct pdev *d, uint8_t ack, struct verr *e);
unsigned model_net_ctrl_count(const struct pdev *d, unsigned cls);

/* Crypto: AES-CBC sessions; encrypts only the SP 800-38A F.2.1 vector
 * (its published ciphertext, first byte XORed with xor_first), NOTSUPP
 * for anything else. Sessions destroyed so far. */
int model_crypto_corrupt(struct pdev *d, uint8_t xor_first, struct verr *e);
unsigned model_crypto_destroyed(const struct pdev *d);

/* GPU: one 1280x800 scanout; the width the EDID's preferred mode gives
 * (1280 unless a test changes it); resource commands that ended OK. */
int model_gpu_set_edid_width(struct pdev *d, uint32_t w, struct verr *e);
unsigned model_gpu_ok_count(const struct pdev *d);

/* virtio-mem (64 blocks of 2 MiB, nothing requested at first): the blocks
 * the host asks for more at each DRIVER_OK (2; 0: the host never changes
 * requested_size; negative: it asks for fewer, down to 0), and plugged_stuck: the config's
 * plugged_size no longer follows the plugged blocks (a wrong known answer). model_mem_plugged() is
 * the host's view (QEMU's `size`); requests seen by type 0-3. */
int model_mem_set(struct pdev *d, int host_blocks, bool plugged_stuck, struct verr *e);
uint64_t model_mem_plugged(const struct pdev *d);
unsigned model_mem_requests(const struct pdev *d, unsigned type);

#endif
