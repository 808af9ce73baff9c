/* The PCI capability chains of a function: standard and (with 4 KiB of
 * config space) extended, plus the MSI-X capability decoded and checked
 * against its BARs. Config-space reads only. Every pointer comes from the
 * device, so a loop, a pointer into the header or off config space ends
 * the walk with a recorded problem, never a crash or a hang. */
#ifndef VIRTIOCTL_PCI_CAPS_H
#define VIRTIOCTL_PCI_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/device.h"

#define PCI_CAPS_MAX	    48
#define PCI_CAP_PROBLEM_LEN 160

struct pcicap {
	uint16_t offset;
	uint16_t id;
	bool extended; /* PCIe extended capability (config offset >= 0x100) */
	uint8_t version;
};

struct msix_info {
	bool present;
	uint16_t offset;
	bool enabled, function_masked;
	uint16_t table_size;
	uint8_t table_bar, pba_bar;
	uint32_t table_offset, pba_offset;
	char problem[PCI_CAP_PROBLEM_LEN];
};

struct pci_caps {
	struct pcicap cap[PCI_CAPS_MAX];
	unsigned n;
	struct msix_info msix; /* the first MSI-X capability */
	/* Chain-level problems: a loop, a pointer into the header, running off
	 * config space. The caps found before the problem are kept. */
	char chain_problem[PCI_CAP_PROBLEM_LEN];
	char ext_chain_problem[PCI_CAP_PROBLEM_LEN];
	/* Why the chain could not be read ("" when it could): it points into
	 * config space that was never read (64 bytes without root, a short
	 * dump). Nothing is guessed from bytes not read. */
	char unreadable[PCI_CAP_PROBLEM_LEN];
};

/* Never fails on bad device data: problems are recorded in the result. */
void pci_caps_walk(struct pdev *d, struct pci_caps *out);

const char *pci_cap_name(unsigned id); /* "MSI-X", ... or NULL */
const char *pci_ext_cap_name(unsigned id);

#endif
