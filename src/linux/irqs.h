/* /proc/interrupts, parsed, and the link from a Linux IRQ back to the
 * MSI/MSI-X entry of the PCI function that raised it.
 *
 * A line reads
 *    36:          0      97735 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
 * : the IRQ, one count per online CPU, the irq chip, the hardware IRQ
 * number joined to the flow handler's name, and the handlers' names
 * (request_irq's name; virtio-pci uses "virtioN-config", "virtioN-<vq
 * name>", or "virtioN" for INTx). Kernels with CONFIG_GENERIC_IRQ_SHOW_LEVEL
 * put "Edge"/"Level" in between; both forms are accepted.
 *
 * The entry index comes from the chip and hwirq where the kernel makes it
 * exact (x86):
 *  - per-device MSI domains (Linux 6.2 on): chip "PCI-MSIX-<address>" or
 *    "PCI-MSI-<address>" (with "IR-" in front under interrupt remapping),
 *    hwirq = the entry index;
 *  - the global PCI-MSI domain (Linux 6.1 and before): chip "PCI-MSI" or
 *    "IR-PCI-MSI", hwirq = domain << 27 | bus << 19 | devfn << 11 | index
 *    (pci_msi_domain_calc_hwirq).
 * Elsewhere (an ARM ITS, say) it is unknown and callers fall back on the
 * order of msi_irqs (see linux_view.h). */
#ifndef VIRTIOCTL_PCI_LINUX_IRQS_H
#define VIRTIOCTL_PCI_LINUX_IRQS_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/addr.h"
#include "linux/view.h"

struct irq_line {
	unsigned irq;
	unsigned ncpu;
	uint64_t *count; /* ncpu per-CPU counts */
	uint64_t total;
	char chip[64];
	bool has_hwirq;
	uint64_t hwirq;
	char handler[24];  /* "edge", "fasteoi", ... ("" when not shown) */
	char actions[160]; /* "virtio1-req.0", "virtio0, virtio1" */
};

struct irq_table {
	unsigned ncpu; /* from the header line */
	unsigned n;
	struct irq_line *v;
};

/* Parses the text of /proc/interrupts; only numbered lines are kept (NMI,
 * LOC... are not device interrupts). Malformed lines are skipped. Returns
 * 0, or -1 when out of memory or without a CPU header. */
int irq_table_parse(const char *text, struct irq_table *out);
/* Reads and parses a file (normally "/proc/interrupts"). */
int irq_table_read(const char *path, struct irq_table *out);
void irq_table_free(struct irq_table *t);
const struct irq_line *irq_table_find(const struct irq_table *t, unsigned irq);

/* The MSI/MSI-X entry index of the function at a that this line is, or -1
 * when the chip does not say (or names another function). */
int irq_msi_index(const struct irq_line *l, const struct pci_addr *a);

/* Which Linux IRQ each MSI-X vector of the function at a became:
 * vec_irq[i] for vector i, 0 for none. Exact where the chip and hwirq say
 * (irq_msi_index), else msi_irqs in ascending order, the order the kernel
 * allocates them in (vector 0 first). Returns true when every IRQ was
 * placed exactly; false also when MSI-X is off or sysfs lists no IRQ. t
 * may be NULL (no /proc/interrupts). */
bool irq_map_msix(const struct linux_view *lv, const struct irq_table *t, const struct pci_addr *a,
		  unsigned *vec_irq, unsigned nvec);
/* The queue part of a virtio-pci IRQ name: "req.0" for "virtio1-req.0"
 * and "config" for "virtio1-config" when virtio_dev is "virtio1"; NULL for
 * another device's name, a shared line ("virtio0, virtio1") or INTx
 * ("virtio1"). */
const char *irq_virtio_name(const char *actions, const char *virtio_dev, char *buf, size_t len);
#endif
