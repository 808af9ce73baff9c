/* The vendor extension table. A row matches when every ID equals the
 * device's or is VENDOR_ANY; several rows may share a decoder. */
#include "virtio/vendor.h"

/* Intel IFC VF (the FPGA vDPA NICs, N3000 and later): the PCI IDs DPDK's
 * ifcvf vDPA driver probes (drivers/vdpa/ifc/ifcvf_vdpa.c, pci_id_ifcvf_map):
 * modern net with subsystem 8086:001a, transitional net 8086:0001, block
 * (modern and transitional) 8086:0002, and modern block with the default
 * subsystem 8086:0000. */
static const struct vendor_ext table[] = {
	{"intel_ifcvf", "Intel IFC VF", 0x1af4, 0x1041, 0x8086, 0x001a, vendor_ifcvf_decode},
	{"intel_ifcvf", "Intel IFC VF", 0x1af4, 0x1000, 0x8086, 0x0001, vendor_ifcvf_decode},
	{"intel_ifcvf", "Intel IFC VF", 0x1af4, 0x1001, 0x8086, 0x0002, vendor_ifcvf_decode},
	{"intel_ifcvf", "Intel IFC VF", 0x1af4, 0x1042, 0x8086, 0x0002, vendor_ifcvf_decode},
	{"intel_ifcvf", "Intel IFC VF", 0x1af4, 0x1042, 0x8086, 0x0000, vendor_ifcvf_decode},
};

const struct vendor_ext *vendor_exts(size_t *count)
{
	*count = sizeof(table) / sizeof(table[0]);
	return table;
}

static bool id_matches(uint32_t want, uint16_t have)
{
	return want == VENDOR_ANY || want == have;
}

size_t vendor_match(const struct pdev *p, const struct vendor_ext **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && n < max; i++)
		if (id_matches(table[i].vendor, p->vendor) &&
		    id_matches(table[i].device, p->device) &&
		    id_matches(table[i].subsys_vendor, p->subsys_vendor) &&
		    id_matches(table[i].subsys_device, p->subsys_device))
			out[n++] = &table[i];
	return n;
}
