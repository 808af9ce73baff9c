#include "virtio/common_cfg.h"

#include "virtio/features.h"

const struct common_field common_fields[] = {
	{"device_feature_select", CC_DEVICE_FEATURE_SELECT, 4, CC_GLOBAL, "%llu", 0},
	{"device_feature", CC_DEVICE_FEATURE, 4, CC_FEATURE_WORD, "0x%08llx", 0},
	{"driver_feature_select", CC_DRIVER_FEATURE_SELECT, 4, CC_GLOBAL, "%llu", 0},
	{"driver_feature", CC_DRIVER_FEATURE, 4, CC_FEATURE_WORD, "0x%08llx", 0},
	{"config_msix_vector", CC_CONFIG_MSIX_VECTOR, 2, CC_GLOBAL, "0x%04llx", 0},
	{"num_queues", CC_NUM_QUEUES, 2, CC_GLOBAL, "%llu", 0},
	{"device_status", CC_DEVICE_STATUS, 1, CC_GLOBAL, "0x%02llx", 0},
	{"config_generation", CC_CONFIG_GENERATION, 1, CC_GLOBAL, "%llu", 0},
	{"queue_select", CC_QUEUE_SELECT, 2, CC_GLOBAL, "%llu", 0},
	{"queue_size", CC_QUEUE_SIZE, 2, CC_QUEUE, "%llu", 0},
	{"queue_msix_vector", CC_QUEUE_MSIX_VECTOR, 2, CC_QUEUE, "0x%04llx", 0},
	{"queue_enable", CC_QUEUE_ENABLE, 2, CC_QUEUE, "%llu", 0},
	{"queue_notify_off", CC_QUEUE_NOTIFY_OFF, 2, CC_QUEUE, "%llu", 0},
	{"queue_desc", CC_QUEUE_DESC, 8, CC_QUEUE, "0x%016llx", 0},
	{"queue_driver", CC_QUEUE_DRIVER, 8, CC_QUEUE, "0x%016llx", 0},
	{"queue_device", CC_QUEUE_DEVICE, 8, CC_QUEUE, "0x%016llx", 0},
	/* virtio 1.3 names it queue_notif_config_data (1.2: queue_notify_data). */
	{"queue_notif_config_data", CC_QUEUE_NOTIFY_DATA, 2, CC_QUEUE, "0x%04llx",
	 VIRTIO_FB_NOTIF_CONFIG_DATA},
	{"queue_reset", CC_QUEUE_RESET, 2, CC_QUEUE, "%llu", VIRTIO_FB_RING_RESET},
	{"admin_queue_index", CC_ADMIN_QUEUE_INDEX, 2, CC_GLOBAL, "%llu", VIRTIO_FB_ADMIN_VQ},
	{"admin_queue_num", CC_ADMIN_QUEUE_NUM, 2, CC_GLOBAL, "%llu", VIRTIO_FB_ADMIN_VQ},
};

const size_t common_fields_count = sizeof(common_fields) / sizeof(common_fields[0]);
