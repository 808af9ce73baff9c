/* The checks, as data: `check --list`, docs/checks.md and the tests are
 * generated from or held to this table. Sections are virtio 1.3
 * (virtio-v1.3-csd01); "4.1.1" marks a rule of the PCI specification that
 * virtio makes binding there. Levels follow the spec's keyword; rules the
 * spec implies without one (a structure inside its BAR, a used id naming
 * a chain) are MUST when a driver cannot work otherwise, SHOULD when they
 * are conventions or health (docs/checks.md says which). */
#include "conform/checks.h"

#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Active checks that set up a queue build on these. */
#define NEEDS_QUEUE "active.features_ok.offered regs.queue_size cap.notify.queues"

/* clang-format off */
static const struct conform_check table[] = {
	/* PCI identity */
	{"pci.device_id", "4.1.2.1", CK_MUST, "pci", false, NULL,
	 "PCI device ID is 0x1040 + a virtio device ID (not 0) or one of the transitional IDs",
	 chk_pci_device_id},
	{"pci.transitional.revision", "4.1.2.3", CK_MUST, "pci", false, NULL,
	 "a transitional device (0x1000-0x103f) has revision ID 0", chk_pci_transitional_revision},
	{"pci.transitional.subsystem", "4.1.2.3", CK_MUST, "pci", false, NULL,
	 "a transitional device's subsystem device ID is the virtio type of its device ID",
	 chk_pci_transitional_subsystem},
	{"pci.modern.revision", "4.1.2.1", CK_SHOULD, "pci", false, NULL,
	 "a non-transitional device has revision ID 1 or higher", chk_pci_modern_revision},
	{"pci.modern.subsystem", "4.1.2.1", CK_SHOULD, "pci", false, NULL,
	 "a non-transitional device has subsystem device ID 0x40 or higher",
	 chk_pci_modern_subsystem},
	{"pci.class", "4.1.1", CK_SHOULD, "pci", false, NULL,
	 "the class code fits the device type (net: network, block and SCSI: mass storage...)",
	 chk_pci_class},
	/* Capabilities */
	{"cap.chain", "4.1.1", CK_MUST, "caps", false, NULL,
	 "the PCI capability list is well formed: pointers at 0x40 or above, no loop",
	 chk_cap_chain},
	{"cap.common.present", "4.1.4.3.1", CK_MUST, "caps", false, NULL,
	 "a common configuration capability is present", chk_cap_common_present},
	{"cap.notify.present", "4.1.4.4.1", CK_MUST, "caps", false, NULL,
	 "a notification capability is present", chk_cap_notify_present},
	{"cap.isr.present", "4.1.4.5.1", CK_MUST, "caps", false, NULL,
	 "an ISR status capability is present", chk_cap_isr_present},
	{"cap.device.present", "4.1.4.6", CK_MUST, "caps", false, NULL,
	 "a device configuration capability is present for types with device configuration",
	 chk_cap_device_present},
	{"cap.pci_cfg.present", "4.1.4.9.1", CK_MUST, "caps", false, NULL,
	 "a PCI configuration access capability is present", chk_cap_pci_cfg_present},
	{"cap.len", "4.1.4.2", CK_MUST, "caps", false, NULL,
	 "each capability's cap_len covers its structure and stays in config space", chk_cap_len},
	{"cap.bar.index", "4.1.4", CK_SHOULD, "caps", false, NULL,
	 "each structure names BAR 0 to 5 (other values are reserved: drivers ignore it)",
	 chk_cap_bar_index},
	{"cap.bar.implemented", "4.1.4", CK_MUST, "caps", false, NULL,
	 "each structure lies in a BAR the function implements", chk_cap_bar_implemented},
	{"cap.inside_bar", "4.1.4, 4.1.4.7.1", CK_MUST, "caps", false, NULL,
	 "each structure's offset + length lies inside its BAR", chk_cap_inside_bar},
	{"cap.common.align", "4.1.4.3.1", CK_MUST, "caps", false, NULL,
	 "the common configuration offset is 4-byte aligned", chk_cap_common_align},
	{"cap.common.length", "4.1.4.3", CK_MUST, "caps", false, NULL,
	 "the common configuration structure has at least the 0x38 bytes of virtio 1.0",
	 chk_cap_common_length},
	{"cap.notify.align", "4.1.4.4.1", CK_MUST, "caps", false, NULL,
	 "the notify offset is 2-byte aligned (4 with VIRTIO_F_NOTIFICATION_DATA)",
	 chk_cap_notify_align},
	{"cap.notify.length", "4.1.4.4.1", CK_MUST, "caps", false, NULL,
	 "the notify structure is at least 2 bytes (4 with VIRTIO_F_NOTIFICATION_DATA)",
	 chk_cap_notify_length},
	{"cap.notify.multiplier", "4.1.4.4.1", CK_MUST, "caps", false, NULL,
	 "notify_off_multiplier is 0 or an even power of 2 (a multiple of 4 with "
	 "NOTIFICATION_DATA)", chk_cap_notify_multiplier},
	{"cap.notify.queues", "4.1.4.4.1", CK_MUST, "caps", false, NULL,
	 "each queue's notify address (queue_notify_off x multiplier) lies inside the notify "
	 "structure", chk_cap_notify_queues},
	{"cap.isr.length", "4.1.4.5", CK_MUST, "caps", false, NULL,
	 "the ISR status region is at least 1 byte", chk_cap_isr_length},
	{"cap.device.align", "4.1.4.6.1", CK_MUST, "caps", false, NULL,
	 "the device configuration offset is 4-byte aligned", chk_cap_device_align},
	{"cap.shm.unique_id", "4.1.4.7.1", CK_MUST, "caps", false, NULL,
	 "shared memory capabilities have distinct ids", chk_cap_shm_unique},
	{"cap.vendor.length", "4.1.4.8.1", CK_MUST, "caps", false, NULL,
	 "a vendor data capability's size is a multiple of 4 bytes", chk_cap_vendor_length},
	{"cap.vendor.vendor_id", "4.1.4.8.1", CK_MUST, "caps", false, NULL,
	 "a vendor data capability's vendor_id is not 0x1af4", chk_cap_vendor_id},
	/* MSI-X */
	{"msix.inside_bar", "4.1.1", CK_MUST, "msix", false, NULL,
	 "the MSI-X table and PBA lie inside implemented memory BARs", chk_msix_inside_bar},
	{"msix.overlap", "4.1.1", CK_MUST, "msix", false, NULL,
	 "the MSI-X table and PBA overlap neither each other nor a virtio structure",
	 chk_msix_overlap},
	{"msix.table_size", "4.1.5.1.2.1", CK_SHOULD, "msix", false, NULL,
	 "the device has 2 to 0x800 MSI-X vectors", chk_msix_table_size},
	/* Registers */
	{"regs.status.reserved", "2.1", CK_SHOULD, "regs", false, NULL,
	 "device_status shows no reserved bit (0x20; 0x10 unless VIRTIO_F_SUSPEND is offered)", chk_regs_status_reserved},
	{"regs.status.error", "2.1.2", CK_SHOULD, "regs", false, NULL,
	 "device_status shows neither DEVICE_NEEDS_RESET nor FAILED", chk_regs_status_error},
	{"regs.version_1", "6.2", CK_MUST, "regs", false, NULL,
	 "the modern interface offers VIRTIO_F_VERSION_1", chk_regs_version_1},
	{"regs.feature_deps", "2.2.2", CK_MUST, "regs", false, NULL,
	 "no feature is offered without the features it requires (5.1.3.1, 5.2.5.2)",
	 chk_regs_feature_deps},
	{"regs.num_queues", "4.1.4.3", CK_MUST, "regs", false, NULL,
	 "num_queues covers the queues the device type defines (5.x.2)", chk_regs_num_queues},
	{"regs.queue_size", "4.1.4.3.1", CK_MUST, "regs", false, NULL,
	 "each queue_size is 0 or a power of 2 up to 32768", chk_regs_queue_size},
	{"regs.msix_vectors", "4.1.5.1.2.1", CK_MUST, "regs", false, NULL,
	 "config and queue MSI-X vectors are NO_VECTOR or entries of the MSI-X table",
	 chk_regs_msix_vectors},
	{"regs.config_generation", "4.1.4.3.1", CK_MUST, "regs", false, NULL,
	 "config_generation changes when the device configuration does (read twice)",
	 chk_regs_config_generation},
	/* Device configuration */
	{"config.ranges", "5.1.4.1, 5.11.4.2", CK_MUST, "config", false, NULL,
	 "device configuration fields lie in the ranges the spec gives (MUST)", chk_devcfg_must},
	{"config.ranges_should", "5.6.4", CK_SHOULD, "config", false, NULL,
	 "device configuration fields lie in the ranges the spec recommends (SHOULD)",
	 chk_devcfg_should},
	/* Linux */
	{"linux.features.subset", "2.2.1", CK_MUST, "linux", false, NULL,
	 "the features the kernel driver negotiated are among the offered ones",
	 chk_linux_features_subset},
	{"linux.status.match", "2.1", CK_SHOULD, "linux", false, NULL,
	 "the status the kernel reads (sysfs) is the status register", chk_linux_status_match},
	{"linux.msix.enabled", "4.1.5.1.2", CK_SHOULD, "linux", false, NULL,
	 "MSI-X is enabled and unmasked while a driver uses the device", chk_linux_msix_enabled},
	{"linux.msix.mapped", "4.1.5.1.2", CK_SHOULD, "linux", false, NULL,
	 "each MSI-X vector in use is backed by a Linux IRQ", chk_linux_msix_mapped},
	/* Active */
	{"active.reset", "4.1.4.3.1", CK_MUST, "active", true, NULL,
	 "writing 0 to device_status resets the device: it reads 0 within 1 s", chk_act_reset},
	{"active.features_ok.unoffered", "2.2.2", CK_SHOULD, "active", true, "active.reset",
	 "FEATURES_OK is refused when the driver accepted a bit the device did not offer",
	 chk_act_features_unoffered},
	{"active.features_ok.offered", "2.2.2", CK_SHOULD, "active", true, "active.reset",
	 "FEATURES_OK is kept for a valid subset of the offered features",
	 chk_act_features_offered},
	{"active.queue_size", "4.1.4.3", CK_MUST, "active", true,
	 "active.reset active.features_ok.offered",
	 "queue_size takes a smaller power of 2 written by the driver", chk_act_queue_size},
	{"active.queue.enable", "4.1.4.3", CK_MUST, "active", true, "active.reset " NEEDS_QUEUE,
	 "queue_enable reads 1 after the driver set the queue up", chk_act_queue_enable},
	{"active.needs_reset", "2.1.2", CK_SHOULD, "active", true, "active.reset " NEEDS_QUEUE,
	 "no DEVICE_NEEDS_RESET after a valid bring-up to DRIVER_OK", chk_act_needs_reset},
	{"active.reset.queue_state", "4.1.4.3.1, 4.1.5.1.2.1", CK_MUST, "active", true,
	 "active.reset " NEEDS_QUEUE,
	 "a reset clears queue_enable and queue_reset and unmaps every MSI-X vector",
	 chk_act_reset_queue_state},
	{"active.queue_reset", "4.1.4.3.1", CK_MUST, "active", true, "active.reset " NEEDS_QUEUE,
	 "with VIRTIO_F_RING_RESET, queue_reset completes and leaves queue_enable 0",
	 chk_act_queue_reset},
	{"active.notify", "4.1.4.4.1", CK_MUST, "active", true,
	 "active.reset active.features_ok.offered",
	 "each queue's notify address, for the negotiated features, lies in its BAR",
	 chk_act_notify},
	{"active.request", "2.7.8", CK_MUST, "active", true, "active.reset " NEEDS_QUEUE,
	 "a request of the type's self-test completes", chk_act_request},
	{"active.used.id", "2.7.8", CK_MUST, "active", true, "active.reset " NEEDS_QUEUE,
	 "the used element names the chain's head, and used idx moves by at most the ring size",
	 chk_act_used_id},
	{"active.used.len", "2.7.8.2", CK_MUST, "active", true, "active.reset " NEEDS_QUEUE,
	 "the used length is at most the chain's device-writable bytes", chk_act_used_len},
	{"active.status.reserved", "2.1", CK_SHOULD, "active", true, "active.reset",
	 "device_status shows no reserved bit while the driver sets it up",
	 chk_act_status_reserved},
};
/* clang-format on */

const struct conform_check *conform_checks(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

const struct conform_check *conform_check_find(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}

static const struct {
	const char *area, *title;
} areas[] = {
	{"pci", "PCI identity"}, {"caps", "Capabilities"},	     {"msix", "MSI-X"},
	{"regs", "Registers"},	 {"config", "Device configuration"}, {"linux", "Linux"},
	{"active", "Active"},
};

const char *ck_area_title(const char *area)
{
	for (size_t i = 0; i < ARRAY_SIZE(areas); i++)
		if (strcmp(areas[i].area, area) == 0)
			return areas[i].title;
	return area;
}

const char *ck_level_name(enum ck_level l)
{
	return l == CK_MUST ? "MUST" : "SHOULD";
}

const char *ck_result_name(enum ck_result r)
{
	static const char *const names[] = {"pass", "fail", "skip"};

	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

const char *ck_skip_name(enum ck_skip s)
{
	static const char *const names[] = {"not_applicable", "unreachable", "needs_active",
					    "bound", "depends"};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
