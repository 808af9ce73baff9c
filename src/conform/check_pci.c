/* PCI identity (virtio 1.3, 4.1.2): device ID ranges, the transitional
 * rules (revision 0, subsystem device ID = virtio type), the modern
 * SHOULDs, and a class code that fits the type. Config space only. */
#include "conform/checks.h"

#include <stdio.h>

#include "virtio/ids.h"

static bool is_transitional_id(uint16_t device)
{
	return device >= VIRTIO_PCI_TRANSITIONAL_FIRST && device <= VIRTIO_PCI_TRANSITIONAL_LAST;
}

CHECK_FN(chk_pci_device_id)
{
	uint16_t d = st->p->device;

	if (is_transitional_id(d)) {
		if (virtio_pci_transitional_type(d) < 0)
			ck_fail(o,
				"a transitional device ID from the spec's table (0x1000-0x1005, "
				"0x1009)",
				"PCI device ID 0x%04x is in the transitional range but names no "
				"device type",
				d);
		else
			ck_pass(o);
		return;
	}
	if (d == VIRTIO_PCI_MODERN_FIRST)
		ck_fail(o, "0x1040 + virtio device ID, and device ID 0 is reserved",
			"PCI device ID 0x1040 (virtio device ID 0)");
	else
		ck_pass(o);
}

CHECK_FN(chk_pci_transitional_revision)
{
	if (!is_transitional_id(st->p->device)) {
		ck_skip(o, CK_SKIP_NA, "not a transitional device ID");
		return;
	}
	if (st->p->revision_unread) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "the revision ID could not be read");
		return;
	}
	if (st->p->revision != 0) {
		ck_fail(o, "revision ID 0 on a transitional device",
			"revision ID 0x%02x on PCI device 0x%04x", st->p->revision, st->p->device);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_pci_transitional_subsystem)
{
	int want = virtio_pci_transitional_type(st->p->device);

	if (!is_transitional_id(st->p->device)) {
		ck_skip(o, CK_SKIP_NA, "not a transitional device ID");
		return;
	}
	if (want < 0) {
		ck_skip(o, CK_SKIP_NA, "the device ID names no type (see pci.device_id)");
		return;
	}
	if (st->p->subsys_device != want) {
		ck_fail(o,
			"subsystem device ID equal to the virtio device ID of the "
			"transitional PCI device ID",
			"subsystem device ID 0x%04x (%s) on PCI device 0x%04x (%s, %d)",
			st->p->subsys_device, virtio_type_name(st->p->subsys_device), st->p->device,
			virtio_type_name((unsigned)want), want);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_pci_modern_revision)
{
	if (is_transitional_id(st->p->device)) {
		ck_skip(o, CK_SKIP_NA, "transitional device ID");
		return;
	}
	if (st->p->revision_unread) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "the revision ID could not be read");
		return;
	}
	if (st->p->revision < 1) {
		ck_fail(o, "revision ID 1 or higher on a non-transitional device",
			"revision ID 0x%02x", st->p->revision);
		return;
	}
	ck_pass(o);
}

CHECK_FN(chk_pci_modern_subsystem)
{
	if (is_transitional_id(st->p->device)) {
		ck_skip(o, CK_SKIP_NA, "transitional device ID");
		return;
	}
	if (st->p->subsys_device < 0x40) {
		ck_fail(o, "subsystem device ID 0x40 or higher on a non-transitional device",
			"subsystem device ID 0x%04x", st->p->subsys_device);
		return;
	}
	ck_pass(o);
}

/* The PCI base class a function of each type presents ([PCI] Code and ID
 * Assignment), as QEMU and other implementations use them. Types not
 * listed have no natural class (entropy, balloon, vsock...). */
static const struct {
	unsigned type;
	uint8_t base;
	const char *name;
} classes[] = {
	{1, 0x02, "network controller"},       {2, 0x01, "mass storage controller"},
	{3, 0x07, "communication controller"}, {8, 0x01, "mass storage controller"},
	{16, 0x03, "display controller"},      {18, 0x09, "input device controller"},
};

/* The type the PCI device ID itself stands for: for a transitional ID the
 * spec's table decides, not the subsystem ID (pci.transitional.subsystem
 * judges that one). */
static int type_of_device_id(const struct pdev *p)
{
	if (is_transitional_id(p->device))
		return virtio_pci_transitional_type(p->device);
	return virtio_pci_device_type(p->device, p->subsys_device);
}

CHECK_FN(chk_pci_class)
{
	int type = type_of_device_id(st->p);
	uint8_t base = (uint8_t)(st->p->class_code >> 16);

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		char want[96];

		if ((int)classes[i].type != type)
			continue;
		if (base == classes[i].base) {
			ck_pass(o);
			return;
		}
		snprintf(want, sizeof(want), "base class 0x%02x (%s) for a %s device",
			 classes[i].base, classes[i].name, virtio_type_name(classes[i].type));
		{
			ck_fail(o, want, "class code 0x%06x", st->p->class_code);
			return;
		}
	}
	ck_skip(o, CK_SKIP_NA, "no class code is expected for device type %d (%s)", type,
		type >= 0 ? virtio_type_name((unsigned)type) : "unknown");
}
