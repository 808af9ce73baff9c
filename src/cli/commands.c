/* The command table: every command, its arguments, help and handler. */
#include "cli/commands_impl.h"

#include <string.h>

static const struct cmd_opt poll_opts[] = {
	{"timeout", 't', "MS", "give up after MS milliseconds without a used element (1000)"},
	{"count", 'n', "N", "wait for N used elements (1)"},
	{"output", 'o', "FILE", "write the bytes the device returned to FILE"},
	{"irq", 0, NULL, "wait on the queue's MSI-X interrupt (vfio-pci; 'vring setup --irq')"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt vring_opts[] = {
	{"irq", 0, NULL, "give the queue an MSI-X vector (vfio-pci only) instead of polling"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt selftest_opts[] = {
	{"bytes", 'b', "N", "entropy: bytes to read (64); block: bytes from LBA 0 (4096)"},
	{"timeout", 't', "MS", "per-request timeout (2000)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt bench_opts[] = {
	{"duration", 'd', "MS", "how long each workload runs (2000)"},
	{NULL, 0, NULL, NULL},
};

static const struct command table[] = {
	{"list", "", "list every virtio-pci function",
	 "Lists every virtio-pci function (vendor 0x1af4, device 0x1000-0x107f): address, PCI "
	 "ID, virtio device type, transport (modern, transitional, legacy), bound kernel driver, "
	 "the virtio bus device (virtioN) where Linux has one, and what its driver created "
	 "(eth0, vda, virtio_rng.0, ...).",
	 0, NULL, cmd_list},
	{"caps", "<device>", "show the PCI capability chain and decode virtio capabilities",
	 "Shows the BARs, the whole PCI capability chain, every virtio vendor capability "
	 "(cfg_type, bar, id, offset, length, notify_off_multiplier) checked against its BAR, "
	 "and the MSI-X capability with its table and PBA location. Reads config space only.",
	 CMD_DEVICE, NULL, cmd_caps},
	{"common", "<device>", "dump the common configuration structure and the queues",
	 "Dumps every common_cfg field the capability's length covers (virtio 1.0 fields, "
	 "queue_notif_config_data and queue_reset, admin queue fields) and, per queue, size, MSI-X "
	 "vector, enable, notify offset and ring addresses. Per-queue registers need "
	 "queue_select writes: on a device bound to a driver they are read only with --select. "
	 "A legacy or transitional device also shows its legacy I/O header as it reads (no "
	 "selector written, ISR not read); --transport legacy reads the queues through it.",
	 CMD_DEVICE, NULL, cmd_common},
	{"features", "<device> [set|negotiate] [feature...]",
	 "decode feature bits, or write the driver's features",
	 "Without an action: the device-offered and driver-accepted 64-bit feature words and "
	 "every set bit by its spec name (transport bits and the device type's own; unknown bits "
	 "as 'bit N'); on a bound device without --select the driver's features come from sysfs. "
	 "'set FEATURES' writes the driver features: spec names (VIRTIO_F_VERSION_1 or "
	 "VERSION_1), bit numbers or a 0x mask; '+NAME'/'-NAME' edit the current set. Only bits "
	 "the device offers, after DRIVER and before FEATURES_OK, unless --force. 'negotiate' "
	 "takes the default set: VERSION_1, and ACCESS_PLATFORM when offered.",
	 CMD_DEVICE, NULL, cmd_features},
	{"config", "<device>", "decode the device-specific configuration",
	 "Decodes the device-specific configuration (net, block, console, entropy, balloon, "
	 "SCSI, GPU, input, vsock, crypto, 9p, fs, ...) read with the config_generation retry "
	 "loop; unknown types as a hex dump.",
	 CMD_DEVICE, NULL, cmd_config},
	{"status", "<device> [step]", "show the device status, or take one step",
	 "Without a step: the device status byte decoded (ACKNOWLEDGE, DRIVER, FEATURES_OK, "
	 "DRIVER_OK, DEVICE_NEEDS_RESET, FAILED), from the registers or, when they cannot be "
	 "read, from the kernel driver's view in sysfs. With a step (reset, ack, driver, "
	 "features-ok, driver-ok, failed, next): sets that status bit. reset writes 0 and waits "
	 "until the device reads back 0; features-ok re-reads the status and fails when the "
	 "device refused the feature set; steps out of the spec's order are refused unless "
	 "--force.",
	 CMD_DEVICE, NULL, cmd_status},
	{"dump", "<device>", "everything: identity, caps, status, features, common, config",
	 "All of the above in one report, with the Linux driver-model view (driver, virtio bus "
	 "device, what the driver created, negotiated features and status from sysfs, compared "
	 "with the registers where both can be read) and the sections of any vendor extension "
	 "that knows the device.",
	 CMD_DEVICE, NULL, cmd_dump},
	{"irqs", "<device>", "show MSI-X vectors, the Linux IRQs they became, and INTx",
	 "Read-only. The MSI-X capability (enabled, function mask, table size), each table "
	 "entry (address, data, masked, pending) where the table BAR is readable, which vector "
	 "the config change and each queue use (queue vectors need queue_select: --select on a "
	 "bound device), and for each vector the Linux IRQ it became with its name and per-CPU "
	 "counts from /proc/interrupts. With MSI-X off: the INTx pin, its Linux IRQ and counts, "
	 "and the ISR, read only when no driver owns the device (reading it clears it).",
	 CMD_DEVICE, NULL, cmd_irqs},
	{"vendor", "<device>", "decode vendor-specific registers (e.g. Intel IFC VF)",
	 "Decodes the registers a vendor adds beside the standard virtio structures, for the "
	 "devices a vendor extension knows by PCI vendor, device and subsystem IDs; Intel IFC "
	 "VF: live-migration ring state and the multiqueue register in BAR 4. `dump` includes "
	 "the same sections. Read-only.",
	 CMD_DEVICE, NULL, cmd_vendor},
	{"vring", "<device> <setup|show> <queue> [size]", "set up or decode a test virtqueue",
	 "'setup' allocates a split virtqueue in DMA memory (descriptor table, driver and "
	 "device areas with the spec's alignment), programs queue_size, the three addresses and "
	 "queue_msix_vector (NO_VECTOR: virtioctl polls), computes the notify address and "
	 "enables the queue. SIZE defaults to the device maximum, at most 256. 'show' decodes "
	 "the ring: indices, flags, event fields, descriptor chains in flight. The queue lives "
	 "as long as the process: on exit the device is reset before its memory is freed.",
	 CMD_DEVICE | CMD_WRITES, vring_opts, cmd_vring},
	{"post", "<device> <queue> <buffer...>", "add a descriptor chain to a queue",
	 "Adds one chain of buffers to the queue's avail ring: r:HEX (device-readable bytes), "
	 "r@FILE (device-readable, from a file), w:LEN (LEN device-writable bytes). Readable "
	 "buffers must come before writable ones (virtio 1.3, 2.7.4.2). Does not notify: see "
	 "kick.",
	 CMD_DEVICE | CMD_WRITES, NULL, cmd_post},
	{"kick", "<device> <queue>", "notify the device about a queue",
	 "Writes the queue's notification (index, or notification data when negotiated) to its "
	 "notify address.",
	 CMD_DEVICE | CMD_WRITES, NULL, cmd_kick},
	{"poll", "<device> <queue>", "wait for used buffers and show them",
	 "Waits for used elements and prints each: id, len and the bytes the device wrote. "
	 "Everything the device writes back is validated: a used id not in flight, a len beyond "
	 "the chain's writable bytes, an index jump larger than the ring are device errors. "
	 "Ctrl-C cancels the wait.",
	 CMD_DEVICE | CMD_WRITES, poll_opts, cmd_poll},
	{"selftest", "<device>", "run the built-in self-test of the device type",
	 "Resets the device, negotiates features, sets up queues and runs one request: entropy "
	 "reads random bytes, block reads 4096 bytes from LBA 0, console writes to port 0, net "
	 "transmits one Ethernet frame. The device is reset at the end. Exit status 0 only when "
	 "it passed; JSON has passed, virtio_device_id, steps and data_sha256.",
	 CMD_DEVICE | CMD_WRITES, selftest_opts, cmd_selftest},
	{"bench", "<device>", "measure polled round trips on a queue",
	 "Entropy: bytes/s reading 4 KiB buffers; block: 4 KiB reads/s at queue depth 1 and 32 "
	 "(or what the ring holds) over the first MiB, or the whole disk if smaller; a failed "
	 "read fails the benchmark. Each workload runs for --duration. The device is reset at "
	 "the end. A benchmark: compare with a peer measured in the same run (bench/).",
	 CMD_DEVICE | CMD_WRITES, bench_opts, cmd_bench},
	{"shell", "[device]", "start the interactive shell",
	 "Reads commands with line editing, completion (Tab) and history. With DEVICE, opens it "
	 "first. Also what virtioctl without a command does on a terminal.",
	 0, NULL, cmd_shell},
	{"open", "<device>", "make a device the current one",
	 "Opens DEVICE: later commands may leave their device argument out, and the prompt shows "
	 "the device and its status.",
	 CMD_SESSION, NULL, cmd_open},
	{"close", "", "forget the current device",
	 "Commands need their device argument again. Queues set up on the device stay until "
	 "virtioctl ends, which resets the device.",
	 CMD_SESSION, NULL, cmd_close},
	{"set", "<setting> <value>", "change a setting of the shell or script",
	 "'output text|json|pretty': how reports are printed (json: one line per report). "
	 "'errexit on|off': whether a script stops at the first failing line (default on).",
	 CMD_SESSION, NULL, cmd_set},
	{"expect", "<path> [op] [operand]", "check the result of the previous command",
	 "Fails (exit status 7) unless the value at PATH in the previous command's report (its "
	 "JSON keys joined by dots, array elements by index: capabilities.0.cfg_type) compares "
	 "as asked: == != < <= > >= with a number, string, true, false or null; & (all these "
	 "bits set) and !& (none set) with numbers, status bit names (FEATURES_OK) or feature "
	 "names of the device type (VERSION_1), joined with |. Without an operator: PATH exists "
	 "and is not null or false.",
	 CMD_SESSION, NULL, cmd_expect},
	{"quit", "", "leave the shell, or end the script here", NULL, CMD_SESSION, NULL, cmd_quit},
	{"exit", "", "the same as quit", NULL, CMD_SESSION, NULL, cmd_quit},
	{"help", "[command]", "show help for all commands or one", NULL, 0, NULL, cmd_help},
	{"version", "", "show the version", NULL, 0, NULL, cmd_version},
	{"__commands", "", "the command table as a report (man page and completion tests)", NULL,
	 CMD_HIDDEN, NULL, cmd_commands},
	{"__complete", "[word...]", "completion candidates for the shell completion scripts", NULL,
	 CMD_HIDDEN, NULL, cmd_complete},
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
