/* Names of PCI capability IDs (PCI Local Bus / PCIe specs, as in
 * pciutils' header.h) and of virtio cfg_type values (virtio 1.3, 4.1.4). */
#include "caps.h"

#include <stddef.h>

struct id_name {
	unsigned id;
	const char *name;
};

static const struct id_name pci_caps[] = {
	{0x01, "Power Management"},
	{0x02, "AGP"},
	{0x03, "Vital Product Data"},
	{0x04, "Slot Identification"},
	{0x05, "MSI"},
	{0x06, "CompactPCI Hot Swap"},
	{0x07, "PCI-X"},
	{0x08, "HyperTransport"},
	{0x09, "Vendor Specific"},
	{0x0a, "Debug Port"},
	{0x0b, "CompactPCI Central Resource Control"},
	{0x0c, "PCI Hot-Plug"},
	{0x0d, "Bridge Subsystem Vendor ID"},
	{0x0e, "AGP 8x"},
	{0x0f, "Secure Device"},
	{0x10, "PCI Express"},
	{0x11, "MSI-X"},
	{0x12, "SATA Data/Index Configuration"},
	{0x13, "Advanced Features"},
	{0x14, "Enhanced Allocation"},
	{0x15, "Flattening Portal Bridge"},
};

static const struct id_name pci_ext_caps[] = {
	{0x0001, "Advanced Error Reporting"},
	{0x0002, "Virtual Channel"},
	{0x0003, "Device Serial Number"},
	{0x0004, "Power Budgeting"},
	{0x000b, "Vendor Specific"},
	{0x000d, "Access Control Services"},
	{0x000e, "Alternative Routing-ID Interpretation"},
	{0x000f, "Address Translation Services"},
	{0x0010, "Single Root I/O Virtualization"},
	{0x0013, "Page Request Interface"},
	{0x0015, "Resizable BAR"},
	{0x0017, "TPH Requester"},
	{0x0018, "Latency Tolerance Reporting"},
	{0x0019, "Secondary PCI Express"},
	{0x001b, "Process Address Space ID"},
	{0x001e, "L1 PM Substates"},
	{0x0023, "Designated Vendor-Specific"},
	{0x0025, "Data Link Feature"},
	{0x0026, "Physical Layer 16.0 GT/s"},
};

static const char *const cfg_type_names[] = {
	[VIRTIO_PCI_CAP_COMMON_CFG] = "common",
	[VIRTIO_PCI_CAP_NOTIFY_CFG] = "notify",
	[VIRTIO_PCI_CAP_ISR_CFG] = "isr",
	[VIRTIO_PCI_CAP_DEVICE_CFG] = "device",
	[VIRTIO_PCI_CAP_PCI_CFG] = "pci-cfg",
	[VIRTIO_PCI_CAP_SHARED_MEMORY_CFG] = "shared-memory",
	[VIRTIO_PCI_CAP_VENDOR_CFG] = "vendor",
};

static const char *lookup(const struct id_name *t, size_t n, unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].name;
	return NULL;
}

const char *pci_cap_name(unsigned id)
{
	return lookup(pci_caps, sizeof(pci_caps) / sizeof(pci_caps[0]), id);
}

const char *pci_ext_cap_name(unsigned id)
{
	return lookup(pci_ext_caps, sizeof(pci_ext_caps) / sizeof(pci_ext_caps[0]), id);
}

const char *vcap_cfg_type_name(unsigned cfg_type)
{
	if (cfg_type < sizeof(cfg_type_names) / sizeof(cfg_type_names[0]))
		return cfg_type_names[cfg_type];
	return NULL;
}
