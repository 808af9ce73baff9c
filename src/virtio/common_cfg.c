#include "virtio/common_cfg.h"

const struct common_field common_fields[] = {
	{"device_feature_select", CC_DEVICE_FEATURE_SELECT, 4, CC_GLOBAL, "%llu"},
	{"device_feature", CC_DEVICE_FEATURE, 4, CC_FEATURE_WORD, "0x%08llx"},
	{"driver_feature_select", CC_DRIVER_FEATURE_SELECT, 4, CC_GLOBAL, "%llu"},
	{"driver_feature", CC_DRIVER_FEATURE, 4, CC_FEATURE_WORD, "0x%08llx"},
	{"config_msix_vector", CC_CONFIG_MSIX_VECTOR, 2, CC_GLOBAL, "0x%04llx"},
	{"num_queues", CC_NUM_QUEUES, 2, CC_GLOBAL, "%llu"},
	{"device_status", CC_DEVICE_STATUS, 1, CC_GLOBAL, "0x%02llx"},
	{"config_generation", CC_CONFIG_GENERATION, 1, CC_GLOBAL, "%llu"},
	{"queue_select", CC_QUEUE_SELECT, 2, CC_GLOBAL, "%llu"},
	{"queue_size", CC_QUEUE_SIZE, 2, CC_QUEUE, "%llu"},
	{"queue_msix_vector", CC_QUEUE_MSIX_VECTOR, 2, CC_QUEUE, "0x%04llx"},
	{"queue_enable", CC_QUEUE_ENABLE, 2, CC_QUEUE, "%llu"},
	{"queue_notify_off", CC_QUEUE_NOTIFY_OFF, 2, CC_QUEUE, "%llu"},
	{"queue_desc", CC_QUEUE_DESC, 8, CC_QUEUE, "0x%016llx"},
	{"queue_driver", CC_QUEUE_DRIVER, 8, CC_QUEUE, "0x%016llx"},
	{"queue_device", CC_QUEUE_DEVICE, 8, CC_QUEUE, "0x%016llx"},
	{"queue_notify_data", CC_QUEUE_NOTIFY_DATA, 2, CC_QUEUE, "0x%04llx"},
	{"queue_reset", CC_QUEUE_RESET, 2, CC_QUEUE, "%llu"},
	{"admin_queue_index", CC_ADMIN_QUEUE_INDEX, 2, CC_GLOBAL, "%llu"},
	{"admin_queue_num", CC_ADMIN_QUEUE_NUM, 2, CC_GLOBAL, "%llu"},
};

const size_t common_fields_count = sizeof(common_fields) / sizeof(common_fields[0]);
