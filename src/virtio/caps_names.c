/* Names of virtio cfg_type values (virtio 1.3, 4.1.4). */
#include "virtio/caps.h"

#include <stddef.h>

static const char *const cfg_type_names[] = {
	[VIRTIO_PCI_CAP_COMMON_CFG] = "common",
	[VIRTIO_PCI_CAP_NOTIFY_CFG] = "notify",
	[VIRTIO_PCI_CAP_ISR_CFG] = "isr",
	[VIRTIO_PCI_CAP_DEVICE_CFG] = "device",
	[VIRTIO_PCI_CAP_PCI_CFG] = "pci-cfg",
	[VIRTIO_PCI_CAP_SHARED_MEMORY_CFG] = "shared-memory",
	[VIRTIO_PCI_CAP_VENDOR_CFG] = "vendor",
};

const char *vcap_cfg_type_name(unsigned cfg_type)
{
	if (cfg_type < sizeof(cfg_type_names) / sizeof(cfg_type_names[0]))
		return cfg_type_names[cfg_type];
	return NULL;
}
