/* The command table: every command, its arguments, help and handler. */
#include "commands_impl.h"

#include <string.h>

static const struct command table[] = {
	{"list", "", "list every virtio-pci function",
	 "Lists every virtio-pci function (vendor 0x1af4, device 0x1000-0x107f): address, PCI "
	 "ID, virtio device type, transport (modern, transitional, legacy), bound kernel driver "
	 "and the virtio bus device (virtioN) where Linux has one.",
	 0, NULL, cmd_list},
	{"caps", "<device>", "show the PCI capability chain and decode virtio capabilities",
	 "Shows the BARs, the whole PCI capability chain, every virtio vendor capability "
	 "(cfg_type, bar, id, offset, length, notify_off_multiplier) checked against its BAR, "
	 "and the MSI-X capability with its table and PBA location. Reads config space only.",
	 CMD_DEVICE, NULL, cmd_caps},
	{"common", "<device>", "dump the common configuration structure and the queues",
	 "Dumps every common_cfg field the capability's length covers (virtio 1.0 fields, "
	 "queue_notify_data and queue_reset, admin queue fields) and, per queue, size, MSI-X "
	 "vector, enable, notify offset and ring addresses. Per-queue registers need "
	 "queue_select writes: on a device bound to a driver they are read only with --select.",
	 CMD_DEVICE, NULL, cmd_common},
	{"features", "<device>", "decode device and driver feature bits",
	 "Shows the device-offered and driver-accepted 64-bit feature words and every set bit "
	 "by its spec name (transport bits and the device type's own; unknown bits as 'bit N'). "
	 "On a bound device without --select the driver's features come from sysfs.",
	 CMD_DEVICE, NULL, cmd_features},
	{"config", "<device>", "decode the device-specific configuration",
	 "Decodes the device-specific configuration (net, block, console, entropy, balloon, "
	 "SCSI, GPU, input, vsock, crypto, 9p, fs, ...) read with the config_generation retry "
	 "loop; unknown types as a hex dump.",
	 CMD_DEVICE, NULL, cmd_config},
	{"status", "<device>", "show the device status byte",
	 "Shows the device status byte decoded (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, "
	 "DEVICE_NEEDS_RESET, FAILED), from the registers or, when they cannot be read, from "
	 "the kernel driver's view in sysfs.",
	 CMD_DEVICE, NULL, cmd_status},
	{"dump", "<device>", "everything: identity, caps, status, features, common, config",
	 "All of the above in one report, with the Linux driver-model view (driver, virtio bus "
	 "device, negotiated features and status from sysfs).",
	 CMD_DEVICE, NULL, cmd_dump},
	{"help", "[command]", "show help for all commands or one", NULL, 0, NULL, cmd_help},
	{"version", "", "show the version", NULL, 0, NULL, cmd_version},
};

const struct command *commands(size_t *count)
{
	*count = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}
