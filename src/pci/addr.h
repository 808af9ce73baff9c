/* PCI function addresses: DDDD:BB:DD.F */
#ifndef VIRTIOCTL_PCI_ADDR_H
#define VIRTIOCTL_PCI_ADDR_H

#include <stdbool.h>
#include <stddef.h>

struct pci_addr {
	unsigned domain; /* 0..0xffff */
	unsigned bus;	 /* 0..0xff */
	unsigned dev;	 /* 0..0x1f */
	unsigned func;	 /* 0..7 */
};

#define PCI_ADDR_STRLEN 13 /* "dddd:bb:dd.f" + NUL */

/* Accepts DDDD:BB:DD.F and BB:DD.F (domain 0), hex digits, any case.
 * Returns false on anything else, including trailing characters. */
bool pci_addr_parse(const char *s, struct pci_addr *out);
void pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN]);
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);

#define PCI_ID_STRLEN 10 /* "vvvv:dddd" + NUL */

/* "%04x:%04x" of a vendor and device ID; returns buf. */
const char *pci_id_format(unsigned vendor, unsigned device, char buf[PCI_ID_STRLEN]);

/* "<root>/bus/pci/devices/DDDD:BB:DD.F", plus "/leaf" when leaf is not
 * NULL: the function's directory in a sysfs tree. False when it does not
 * fit in len. */
bool pci_sysfs_path(char *buf, size_t len, const char *root, const struct pci_addr *a,
		    const char *leaf);

#endif
