/* PCI capability chains and MSI-X (PCI Local Bus 3.0, 6.7-6.8; PCIe 6.0,
 * 7.6). Names of capability IDs as in pciutils' header.h. */
#include "pci/caps.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pci/regs.h"

#define problem(buf, ...) snprintf((buf), PCI_CAP_PROBLEM_LEN, __VA_ARGS__)

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

static void decode_msix(struct pdev *d, uint8_t pos, struct msix_info *m)
{
	uint16_t ctrl;
	uint32_t table, pba;
	uint64_t table_len, pba_len;

	/* the capability in one read where config reads are kept */
	pdev_cfg_prefetch(d, pos, PCI_MSIX_PBA + 4);
	ctrl = pdev_cfg_read16(d, pos + PCI_MSIX_FLAGS);
	table = pdev_cfg_read32(d, pos + PCI_MSIX_TABLE);
	pba = pdev_cfg_read32(d, pos + PCI_MSIX_PBA);

	m->present = true;
	m->offset = pos;
	m->table_size = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	m->function_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->table_bar = table & 7;
	m->table_offset = table & ~7u;
	m->pba_bar = pba & 7;
	m->pba_offset = pba & ~7u;
	table_len = (uint64_t)m->table_size * PCI_MSIX_ENTRY_SIZE;
	pba_len = ((m->table_size + 63) / 64) * 8;
	if (m->table_bar >= PCI_NUM_BARS || m->pba_bar >= PCI_NUM_BARS)
		problem(m->problem, "table or PBA BAR index above 5");
	else if (d->bar[m->table_bar].size &&
		 !pdev_bar_contains(d, m->table_bar, m->table_offset, table_len))
		problem(m->problem, "vector table (%llu bytes at 0x%x) exceeds BAR %u",
			(unsigned long long)table_len, m->table_offset, m->table_bar);
	else if (d->bar[m->pba_bar].size &&
		 !pdev_bar_contains(d, m->pba_bar, m->pba_offset, pba_len))
		problem(m->problem, "PBA (%llu bytes at 0x%x) exceeds BAR %u",
			(unsigned long long)pba_len, m->pba_offset, m->pba_bar);
}

/* A capability at pos lies in config space that was not read: the chain
 * stops there and says why, instead of reading 0xff that was never there. */
static bool beyond_read(struct pdev *d, unsigned pos, unsigned len, struct pci_caps *out)
{
	if (pos + len <= d->cfg_size)
		return false;
	if (d->cfg_why[0])
		problem(out->unreadable, "%s", d->cfg_why);
	else
		problem(out->unreadable,
			"capability at 0x%02x lies beyond the %u bytes of config space read", pos,
			d->cfg_size);
	return true;
}

/* Marks the bytes of the capability at pos that a pointer must not land
 * on: a vendor-specific one's declared length (byte 2), MSI-X's twelve.
 * A chain that points into a capability is broken, and reading there can
 * do harm: virtio's PCI configuration access capability turns a read of
 * its pci_cfg_data into an access to the device's BAR (an ISR read clears
 * the ISR a bound driver waits on). Only capabilities found before the
 * pointer can be known. */
static void mark_body(struct pdev *d, unsigned pos, uint8_t id, uint8_t *owner)
{
	unsigned len = id == PCI_CAP_ID_VNDR   ? pdev_cfg_read8(d, pos + 2)
		       : id == PCI_CAP_ID_MSIX ? PCI_MSIX_PBA + 4
					       : 0;

	for (unsigned i = pos + 1; i < pos + len && i < PCI_CFG_SPACE_SIZE; i++)
		if (!owner[i])
			owner[i] = (uint8_t)pos;
}

static void walk_standard(struct pdev *d, struct pci_caps *out)
{
	bool been_there[PCI_CFG_SPACE_SIZE] = {false};
	uint8_t owner[PCI_CFG_SPACE_SIZE] = {0}; /* the capability a byte is in */
	unsigned pos;

	if (!(pdev_cfg_read16(d, PCI_CFG_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	pos = pdev_cfg_read8(d, PCI_CFG_CAP_PTR) & ~3u;
	while (pos) {
		uint8_t id;

		if (pos >= PCI_CFG_HEADER_END && pos <= PCI_CFG_SPACE_SIZE - 2 &&
		    beyond_read(d, pos, 2, out))
			return;
		if (pos < PCI_CFG_HEADER_END || pos > PCI_CFG_SPACE_SIZE - 2) {
			problem(out->chain_problem, "capability pointer 0x%02x points %s", pos,
				pos < PCI_CFG_HEADER_END ? "into the header" : "past config space");
			return;
		}
		if (been_there[pos]) {
			problem(out->chain_problem, "chain looped at 0x%02x", pos);
			return;
		}
		if (owner[pos]) {
			problem(out->chain_problem,
				"capability pointer 0x%02x points into the capability at 0x%02x",
				pos, owner[pos]);
			return;
		}
		if (out->n >= PCI_CAPS_MAX) {
			problem(out->chain_problem, "more than %d capabilities", PCI_CAPS_MAX);
			return;
		}
		been_there[pos] = true;
		/* A capability's first 16 bytes in one read (with a snapshot):
		 * a virtio capability's header and fields, MSI-X's header and
		 * table and PBA locations, so a function's walk is a read per
		 * capability, not two. No more dwords than the fields need for
		 * them; and none of a known configuration access window's data
		 * (at +16 of its capability), as a pointer into a capability
		 * seen before is refused above. */
		pdev_cfg_prefetch(d, pos, 16);
		id = pdev_cfg_read8(d, pos);
		out->cap[out->n++] = (struct pcicap){.offset = (uint16_t)pos, .id = id};
		if (id == PCI_CAP_ID_MSIX && !out->msix.present &&
		    !beyond_read(d, pos, PCI_MSIX_PBA + 4, out))
			decode_msix(d, (uint8_t)pos, &out->msix);
		mark_body(d, pos, id, owner);
		pos = pdev_cfg_read8(d, pos + 1) & ~3u;
	}
}

static void walk_extended(struct pdev *d, struct pci_caps *out)
{
	bool been_there[4096 / 4] = {false};
	unsigned pos = PCI_CFG_EXT_START;

	if (d->cfg_size < 4096)
		return;
	while (pos) {
		uint32_t hdr;

		if (pos < PCI_CFG_EXT_START || pos > d->cfg_size - 4) {
			problem(out->ext_chain_problem,
				"extended capability pointer 0x%03x is "
				"outside extended config space",
				pos);
			return;
		}
		if (been_there[pos / 4]) {
			problem(out->ext_chain_problem, "extended chain looped at 0x%03x", pos);
			return;
		}
		been_there[pos / 4] = true;
		hdr = pdev_cfg_read32(d, pos);
		/* All-ones or zero at 0x100 means no extended capabilities. */
		if (hdr == 0 || hdr == 0xffffffffu)
			return;
		if (out->n >= PCI_CAPS_MAX) {
			problem(out->ext_chain_problem, "more than %d capabilities", PCI_CAPS_MAX);
			return;
		}
		out->cap[out->n++] = (struct pcicap){.offset = (uint16_t)pos,
						     .id = hdr & 0xffff,
						     .extended = true,
						     .version = (hdr >> 16) & 0xf};
		pos = (hdr >> 20) & ~3u;
	}
}

void pci_caps_walk(struct pdev *d, struct pci_caps *out)
{
	memset(out, 0, sizeof(*out));
	walk_standard(d, out);
	walk_extended(d, out);
}
