/* BAR access through the virtio PCI configuration access capability
 * (cfg_type 5, virtio 1.3 4.1.4.9): write bar/offset/length into the
 * capability, then access pci_cfg_data. Works where the BAR cannot be
 * mapped (a bound driver owns it) but costs four config accesses per
 * register, and every one is a config-space write: only for devices the
 * user allowed writes to. */
#ifndef VIRTIOCTL_PCI_CFGWIN_H
#define VIRTIOCTL_PCI_CFGWIN_H

#include "pci/device.h"

/* Routes d's BAR accesses through the capability at cap_offset (config
 * space stays with d's backend). Undone by pdev_close(). */
int cfgwin_wrap(struct pdev *d, unsigned cap_offset, struct verr *e);
bool cfgwin_active(const struct pdev *d);

#endif
