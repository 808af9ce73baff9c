/* PCI configuration-space layout: the one list of offsets and bits that
 * every layer uses (PCI Local Bus 3.0, 6.2; PCIe 6.0, 7.5). Names follow
 * Linux's pci_regs.h where one exists, so they can be looked up there. */
#ifndef VIRTIOCTL_PCI_REGS_H
#define VIRTIOCTL_PCI_REGS_H

/* Type 0 header. */
enum {
	PCI_CFG_VENDOR = 0x00,
	PCI_CFG_DEVICE = 0x02,
	PCI_CFG_COMMAND = 0x04,
	PCI_CFG_STATUS = 0x06,
	PCI_CFG_REVISION = 0x08,
	PCI_CFG_CLASS = 0x09, /* prog-if, then sub-class, then base class */
	PCI_CFG_HEADER_TYPE = 0x0e,
	PCI_CFG_BAR0 = 0x10,
	PCI_CFG_SUBSYS_VENDOR = 0x2c, /* header type 0 */
	PCI_CFG_SUBSYS_DEVICE = 0x2e,
	PCI_CFG_CAP_PTR = 0x34,
	PCI_CFG_INTERRUPT_LINE = 0x3c,
	PCI_CFG_INTERRUPT_PIN = 0x3d,
	PCI_CFG_CB_SUBSYS_VENDOR = 0x40, /* header type 2 (CardBus) */
	PCI_CFG_CB_SUBSYS_DEVICE = 0x42,
};

/* Sizes and boundaries of config space. */
enum {
	PCI_CFG_HEADER_END = 0x40, /* capabilities start at or after this */
	PCI_CFG_SPACE_SIZE = 256,  /* conventional PCI */
	PCI_CFG_EXT_START = 0x100, /* PCIe extended capabilities */
	PCI_CFG_SPACE_EXP_SIZE = 4096,
};

/* Command register bits. */
#define PCI_CMD_IO_DECODE    0x0001u
#define PCI_CMD_MEM_DECODE   0x0002u
#define PCI_CMD_BUS_MASTER   0x0004u
#define PCI_CMD_PARITY	     0x0040u
#define PCI_CMD_SERR	     0x0100u
#define PCI_CMD_INTX_DISABLE 0x0400u

/* Status register bits. */
#define PCI_STATUS_INTERRUPT	    0x0008u
#define PCI_STATUS_CAP_LIST	    0x0010u
#define PCI_STATUS_MASTER_PARITY    0x0100u
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800u
#define PCI_STATUS_REC_TARGET_ABORT 0x1000u
#define PCI_STATUS_REC_MASTER_ABORT 0x2000u
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000u
#define PCI_STATUS_DETECTED_PARITY  0x8000u

/* Capability IDs the tool acts on. */
enum {
	PCI_CAP_ID_VNDR = 0x09,
	PCI_CAP_ID_EXP = 0x10,
	PCI_CAP_ID_MSIX = 0x11,
};

/* MSI-X capability fields (offsets from the capability). */
enum {
	PCI_MSIX_FLAGS = 2,
	PCI_MSIX_TABLE = 4,
	PCI_MSIX_PBA = 8,
};
#define PCI_MSIX_FLAGS_QSIZE   0x07ffu
#define PCI_MSIX_FLAGS_MASKALL 0x4000u
#define PCI_MSIX_FLAGS_ENABLE  0x8000u
#define PCI_MSIX_ENTRY_SIZE    16u

#endif
