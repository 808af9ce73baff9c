/* The command table: every command, its arguments, actions, options, help
 * and handler. The format is described at the top of command.h. */
#include "cli/commands_impl.h"

#include <string.h>

#include "dma/dma.h"
#include "virtio/bench.h"
#include "virtio/driver.h"
#include "virtio/vdev.h"
#include "virtio/vring.h"

/* ---- choice lists: each the one list of its words ---- */

static const char *step_word(unsigned v)
{
	return v < VSTEP_COUNT ? vstep_name((enum vstep)v) : NULL;
}

const struct choices step_choices = {.name_of = step_word, .count = VSTEP_COUNT};
const struct choices dma_choices = {.name_of = dma_kind_word, .count = DMA_PROVIDED};
const struct choices iface_choices = {.name_of = vdev_iface_word, .count = VDEV_IFACE_COUNT};
static const char *const output_words[] = {"text", "json", "pretty", NULL};
const struct choices output_formats = {.names = output_words};
static const char *const on_off_words[] = {"on", "off", NULL};
const struct choices on_off = {.names = on_off_words};
const struct choices ring_choices = {.name_of = vring_layout_word, .count = VRING_LAYOUT_COUNT};
const struct choices backoff_choices = {.name_of = vring_backoff_word,
					.count = VRING_BACKOFF_COUNT};
static const struct choices workload_choices = {.name_of = bench_workload_name,
						.count = BENCH_WORKLOADS};

/* ---- options ---- */

/* How a wait for used elements spins and backs off (vring.h), the same
 * three options for poll, selftest and bench; only the defaults differ. */
#define SPIN_OPTS(first, spins, backoff, sleep_us)                                             \
	[first] = OPT_UINT("spin", 0, "N", 0, 1000000000, spins,                               \
			   "empty looks at the used ring before backing off"),                 \
	[first + 1] =                                                                          \
		OPT_CHOICE_DEF("backoff", 0, "HOW", &backoff_choices, backoff,                 \
			       "after the spin budget, before each look: sleep (--sleep-us), " \
			       "yield (sched_yield), pause (CPU spin hint) or none"),          \
	[first + 2] = OPT_UINT("sleep-us", 0, "US", 1, 1000000, sleep_us,                      \
			       "--backoff sleep: microseconds per sleep")

static const struct cmd_opt poll_opts[] = {
	[POLL_TIMEOUT] = OPT_UINT("timeout", 't', "MS", 0, OPT_UNBOUNDED, 1000,
				  "give up after MS milliseconds without a used element"),
	[POLL_COUNT] = OPT_UINT("count", 'n', "N", 1, 4096, 1, "wait for N used elements"),
	[POLL_OUTPUT] =
		OPT_FILE("output", 'o', "FILE", "write the bytes the device returned to FILE"),
	[POLL_IRQ] = OPT_FLAG(
		"irq", 0, "wait on the queue's MSI-X interrupt (vfio-pci; 'vring setup --irq')"),
	SPIN_OPTS(POLL_SPIN, VRING_SPINS_DEFAULT, VRING_BACKOFF_SLEEP, VRING_SLEEP_US_DEFAULT),
	{0},
};

static const struct cmd_opt vring_opts[] = {
	[VRING_IRQ] = OPT_FLAG(
		"irq", 0,
		"setup: give the queue an MSI-X vector (vfio-pci only) instead of polling"),
	[VRING_RING] = OPT_CHOICE_DEF("ring", 0, "LAYOUT", &ring_choices, VRING_SPLIT,
				      "setup: ring layout (packed: VIRTIO_F_RING_PACKED "
				      "negotiated first)"),
	{0},
};

static const struct cmd_opt post_opts[] = {
	[POST_INDIRECT] = OPT_FLAG("indirect", 0,
				   "put the chain in an indirect descriptor table "
				   "(VIRTIO_F_INDIRECT_DESC negotiated)"),
	{0},
};

static const struct cmd_opt selftest_opts[] = {
	[ST_BYTES] = OPT_UINT_NODEF("bytes", 'b', "N", 1, 1u << 20,
				    "entropy: bytes to read, default 64; block, SCSI: bytes from "
				    "LBA 0, default 4096"),
	[ST_TIMEOUT] =
		OPT_UINT("timeout", 't', "MS", 1, OPT_UNBOUNDED, 2000, "per-request timeout"),
	[ST_ENDPOINT] = OPT_STRING("endpoint", 0, "ADDR",
				   "IOMMU: the endpoint (PCI address or ID) to probe and attach"),
	[ST_PATH] = OPT_STRING("path", 0, "PATH",
			       "9p, fs: the file to read, relative to the export (required)"),
	[ST_ARP] = OPT_STRING("arp", 0, "IPV4",
			      "net: ARP for this address from 10.0.2.15 and expect the reply "
			      "(10.0.2.2 is QEMU user networking's gateway)"),
	[ST_RING] = OPT_CHOICE_DEF("ring", 0, "LAYOUT", &ring_choices, VRING_SPLIT,
				   "ring layout (packed: negotiates VIRTIO_F_RING_PACKED, "
				   "refused when not offered)"),
	SPIN_OPTS(ST_SPIN, VRING_SPINS_DEFAULT, VRING_BACKOFF_SLEEP, VRING_SLEEP_US_DEFAULT),
	{0},
};

static const struct cmd_opt bench_opts[] = {
	[BENCH_DURATION] =
		OPT_UINT("duration", 'd', "MS", 1, 600000, 2000, "how long each workload runs"),
	[BENCH_RING] = OPT_CHOICE_DEF("ring", 0, "LAYOUT", &ring_choices, VRING_SPLIT,
				      "ring layout (packed: negotiates VIRTIO_F_RING_PACKED, "
				      "refused when not offered)"),
	SPIN_OPTS(BENCH_SPIN, BENCH_SPINS_DEFAULT, BENCH_BACKOFF_DEFAULT, BENCH_SLEEP_US_DEFAULT),
	[BENCH_WORKLOAD] = OPT_CHOICE("workload", 'w', "NAME", &workload_choices,
				      "run only this one of the device type's workloads (as "
				      "named in the results)"),
	{0},
};

static const struct cmd_opt check_opts[] = {
	[CHECK_ACTIVE] = OPT_FLAG_WRITES(
		"active", 0,
		"also drive the device (reset, negotiation, a queue, one request); refused on a "
		"device bound to a kernel driver unless --force"),
	[CHECK_ONLY] = OPT_STRING("only", 0, "IDS",
				  "run only these checks: ids, or prefixes ending in '*', "
				  "comma-separated"),
	[CHECK_STRICT] =
		OPT_FLAG("strict", 0, "failed SHOULD checks count for the exit status too"),
	[CHECK_LIST] = OPT_FLAG("list", 'l', "list the checks instead of running them"),
	[CHECK_ALL] = OPT_FLAG_EVERY("all", 'a',
				     "every virtio-pci function in one document; with --active, "
				     "each bound one is refused and left untouched"),
	{0},
};

static const struct cmd_opt metrics_opts[] = {
	[METRICS_TEXTFILE] = OPT_FILE("textfile", 0, "FILE",
				      "write FILE atomically (node_exporter's textfile collector) "
				      "instead of standard output"),
	{0},
};

static const struct cmd_opt dump_opts[] = {
	[DUMP_ALL] = OPT_FLAG_EVERY("all", 'a', "every virtio-pci function in one document"),
	{0},
};

static const struct cmd_opt diff_opts[] = {
	[DIFF_IGNORE] = OPT_STRING("ignore", 'i', "KEYS",
				   "keys to leave out at any depth, comma-separated (default: "
				   "notes); e.g. notes,address,linux"),
	{0},
};

static const struct cmd_opt watch_opts[] = {
	[WATCH_INTERVAL] = OPT_UINT("interval", 0, "MS", 10, OPT_UNBOUNDED, 1000,
				    "poll every MS milliseconds"),
	[WATCH_COUNT] = OPT_UINT_NODEF("count", 'n', "N", 1, OPT_UNBOUNDED,
				       "stop after N polls (without it: until Ctrl-C)"),
	{0},
};

void spin_from_args(const struct cmd_args *a, unsigned first, struct vring_spin *out)
{
	*out = (struct vring_spin){.spins = (uint32_t)a->opt[first].u,
				   .backoff = (enum vring_backoff)a->opt[first + 1].u,
				   .sleep_us = (uint32_t)a->opt[first + 2].u};
}

/* ---- actions ---- */

static const struct cmd_action features_actions[] = {
	{.name = "set",
	 .args = "<feature...>",
	 .summary = "write the driver features",
	 .flags = CMD_WRITES,
	 .run = cmd_features_set},
	{.name = "negotiate",
	 .summary = "write the default driver features",
	 .flags = CMD_WRITES,
	 .run = cmd_features_negotiate},
	{0},
};

static const struct cmd_action status_actions[] = {
	{.name = "step",
	 .words = &step_choices,
	 .summary = "take one step",
	 .flags = CMD_WRITES,
	 .run = cmd_status_step},
	{0},
};

static const struct cmd_action vring_actions[] = {
	{.name = "setup",
	 .args = "<queue> [size]",
	 .summary = "set up a virtqueue (split, or --ring packed)",
	 .flags = CMD_WRITES,
	 .run = cmd_vring_setup},
	{.name = "show",
	 .args = "<queue>",
	 .summary = "decode a virtqueue virtioctl set up",
	 .run = cmd_vring_show},
	{0},
};

static const struct cmd_action set_actions[] = {
	{.name = "output",
	 .args = "<value>",
	 .value = &output_formats,
	 .summary = "how reports are printed (json: one line per report; pretty: indented JSON)",
	 .run = cmd_set_output},
	{.name = "errexit",
	 .args = "<value>",
	 .value = &on_off,
	 .summary = "whether a script stops at the first failing line (default on)",
	 .run = cmd_set_errexit},
	{0},
};

static const struct command table[] = {
	{.name = "list",
	 .summary = "list every virtio-pci function",
	 .help = "Lists every virtio-pci function (vendor 0x1af4, device 0x1000-0x107f): address, "
		 "PCI ID, virtio device type, transport (modern, transitional, legacy), bound "
		 "kernel driver, the virtio bus device (virtioN) where Linux has one, and what "
		 "its driver created (eth0, vda, virtio_rng.0, ...).",
	 .run = cmd_list},
	{.name = "caps",
	 .args = "<device>",
	 .summary = "show the PCI capability chain and decode virtio capabilities",
	 .help = "Shows the BARs, the whole PCI capability chain, every virtio vendor capability "
		 "(cfg_type, bar, id, offset, length, notify_off_multiplier) checked against its "
		 "BAR, and the MSI-X capability with its table and PBA location. Reads config "
		 "space only.",
	 .flags = CMD_DEVICE,
	 .run = cmd_caps},
	{.name = "common",
	 .args = "<device>",
	 .summary = "dump the common configuration structure and the queues",
	 .help = "Dumps every common_cfg field the capability's length covers (virtio 1.0 fields, "
		 "queue_notif_config_data and queue_reset, admin queue fields) and, per queue, "
		 "size, MSI-X vector, enable, notify offset and ring addresses. Per-queue "
		 "registers need queue_select writes: on a device bound to a driver they are read "
		 "only with --select. A legacy or transitional device also shows its legacy I/O "
		 "header as it reads (no selector written, ISR not read); --transport legacy "
		 "reads the queues through it.",
	 .flags = CMD_DEVICE,
	 .run = cmd_common},
	{.name = "features",
	 .args = "<device>",
	 .summary = "decode feature bits, or write the driver's features",
	 .help = "Without an action: the device-offered and driver-accepted 64-bit feature words "
		 "and every set bit by its spec name (transport bits and the device type's own; "
		 "unknown bits as 'bit N'); on a bound device without --select the driver's "
		 "features come from sysfs. 'set FEATURES' writes the driver features: spec names "
		 "(VIRTIO_F_VERSION_1 or VERSION_1), bit numbers or a 0x mask; '+NAME'/'-NAME' "
		 "edit the current set. Only bits the device offers, after DRIVER and before "
		 "FEATURES_OK, unless --force. 'negotiate' takes the default set: VERSION_1, and "
		 "ACCESS_PLATFORM when offered; for virtio-mem also UNPLUGGED_INACCESSIBLE when "
		 "offered (QEMU refuses FEATURES_OK without it).",
	 .flags = CMD_DEVICE,
	 .actions = features_actions,
	 .run = cmd_features},
	{.name = "config",
	 .args = "<device>",
	 .summary = "decode the device-specific configuration",
	 .help = "Decodes the device-specific configuration (net, block, console, entropy, "
		 "balloon, SCSI, GPU, input, vsock, crypto, 9p, fs, ...) read with the "
		 "config_generation retry loop; unknown types as a hex dump.",
	 .flags = CMD_DEVICE,
	 .run = cmd_config},
	{.name = "status",
	 .args = "<device>",
	 .summary = "show the device status, or take one step",
	 .help = "Without a step: the device status byte decoded (ACKNOWLEDGE, DRIVER, "
		 "FEATURES_OK, DRIVER_OK, DEVICE_NEEDS_RESET, FAILED), from the registers or, "
		 "when they cannot be read, from the kernel driver's view in sysfs. With a step: "
		 "sets that status bit (next: the one the spec's order puts next). reset writes 0 "
		 "and waits until the device reads back 0; features-ok re-reads the status and "
		 "fails when the device refused the feature set; steps out of the spec's order "
		 "are refused unless --force.",
	 .flags = CMD_DEVICE,
	 .actions = status_actions,
	 .run = cmd_status},
	{.name = "dump",
	 .args = "[device]",
	 .summary = "everything: identity, caps, status, features, common, config",
	 .help = "All of the above in one report, with the Linux driver-model view (driver, "
		 "virtio bus device, what the driver created, negotiated features and status from "
		 "sysfs, compared with the registers where both can be read) and the sections of "
		 "any vendor extension that knows the device. --all: every virtio-pci function in "
		 "one document, {devices: [dump...], skipped: [{address, reason}]}; functions "
		 "bound to vfio-pci are skipped (opening them through VFIO resets them).",
	 .flags = CMD_DEVICE,
	 .opts = dump_opts,
	 .run = cmd_dump},
	{.name = "irqs",
	 .args = "<device>",
	 .summary = "show MSI-X vectors, the Linux IRQs they became, and INTx",
	 .help = "Read-only. The MSI-X capability (enabled, function mask, table size), each "
		 "table entry (address, data, masked, pending) where the table BAR is readable, "
		 "which vector the config change and each queue use (queue vectors need "
		 "queue_select: --select on a bound device), and for each vector the Linux IRQ it "
		 "became with its name and per-CPU counts from /proc/interrupts. With MSI-X off: "
		 "the INTx pin, its Linux IRQ and counts, and the ISR, read only when no driver "
		 "owns the device (reading it clears it).",
	 .flags = CMD_DEVICE,
	 .run = cmd_irqs},
	{.name = "vendor",
	 .args = "<device>",
	 .summary = "decode vendor-specific registers (e.g. Intel IFC VF)",
	 .help = "Decodes the registers a vendor adds beside the standard virtio structures, for "
		 "the devices a vendor extension knows by PCI vendor, device and subsystem IDs; "
		 "Intel IFC VF: live-migration ring state and the multiqueue register in BAR 4. "
		 "`dump` includes the same sections. Read-only.",
	 .flags = CMD_DEVICE,
	 .run = cmd_vendor},
	{.name = "metrics",
	 .args = "[device...]",
	 .summary = "Prometheus metrics of every virtio-pci function",
	 .help = "Prints the Prometheus text exposition format (0.0.4) for every virtio-pci "
		 "function, or the ones given: an info metric (type, transport, PCI driver, "
		 "virtio bus device, virtio driver, what it created), the status byte and each "
		 "status bit, offered and negotiated feature bits, the queue count, per MSI-X "
		 "vector its interrupt count from /proc/interrupts labelled with its queue, the "
		 "read-only conformance checks of `check` failed by level (must, should), how "
		 "long the collection took, and what could not be read "
		 "(virtioctl_collection_errors, by reason: never a 0 in its place). Read-only "
		 "whatever the options: no selector write, no ISR read, no VFIO open. --json "
		 "prints the same model as JSON. See docs/monitoring.md.",
	 .opts = metrics_opts,
	 .run = cmd_metrics},
	{.name = "diff",
	 .args = "<dump> <dump>",
	 .summary = "compare two devices or saved dumps field by field",
	 .help = "Each DUMP is a saved '--json dump' (or 'dump --all') file or a live DEVICE "
		 "(dumped now, as `dump` reads it); a PCI address means a device (./00:02.0 names "
		 "a file). "
		 "Prints every field that differs (identity, capabilities, status, features, "
		 "queues, configuration, Linux view) by its JSON path with both values as JSON; "
		 "arrays of rows are matched by bit, index, offset, vector, irq or address "
		 "(feature_bits[bit=29].driver). Notes are left out unless --ignore says "
		 "otherwise. Exit status as diff(1): 0 equal, 1 different, 2 and up for errors. "
		 "For a device before and after a migration, across hosts, or against a "
		 "baseline.",
	 .opts = diff_opts,
	 .run = cmd_diff},
	{.name = "watch",
	 .args = "[device...]",
	 .summary = "follow devices: a snapshot, then every change",
	 .help = "Polls every virtio-pci function, or the ones given, reading only what needs no "
		 "write: driver binding (PCI driver, virtio bus device and driver), status, "
		 "negotiated and offered features, the device configuration with its "
		 "config_generation, per MSI-X vector interrupt counts (interrupts.QUEUE), and "
		 "functions appearing and disappearing. Prints the first snapshot, then only "
		 "changes: a table per poll, or with --json one event per line (time, address, "
		 "event snapshot|changed|appeared|disappeared, field, old, new). Ctrl-C ends it "
		 "with status 0. No selector write, no ISR read, no VFIO open, whatever the "
		 "options.",
	 .opts = watch_opts,
	 .run = cmd_watch},
	{.name = "vring",
	 .args = "<device>",
	 .summary = "set up or decode a test virtqueue",
	 .help = "'setup' allocates a virtqueue in DMA memory (split: descriptor table, driver "
		 "and device areas with the spec's alignment; --ring packed, when "
		 "VIRTIO_F_RING_PACKED was negotiated: descriptor ring and the two event "
		 "suppression structures), programs queue_size, the three addresses and "
		 "queue_msix_vector (NO_VECTOR: virtioctl polls), computes the notify address and "
		 "enables the queue. SIZE defaults to the device maximum, at most 256. 'show' "
		 "decodes the ring: indices (packed: slots and wrap counters), flags, event fields "
		 "(packed: driver and device event suppression), descriptor chains in flight with "
		 "their indirect tables. The queue lives as long as the process: on exit the "
		 "device is reset before its memory is freed.",
	 .flags = CMD_DEVICE,
	 .opts = vring_opts,
	 .actions = vring_actions},
	{.name = "post",
	 .args = "<device> <queue> <buffer...>",
	 .summary = "add a descriptor chain to a queue",
	 .help = "Adds one chain of buffers to the queue's avail ring: r:HEX (device-readable "
		 "bytes), r@FILE (device-readable, from a file), w:LEN (LEN device-writable "
		 "bytes). Readable buffers must come before writable ones (virtio 1.3, 2.7.4.2). "
		 "With --indirect the chain goes in an indirect table and takes one ring "
		 "descriptor. Does not notify: see kick.",
	 .flags = CMD_DEVICE | CMD_WRITES,
	 .opts = post_opts,
	 .run = cmd_post},
	{.name = "kick",
	 .args = "<device> <queue>",
	 .summary = "notify the device about a queue",
	 .help = "Writes the queue's notification (index, or notification data when negotiated) "
		 "to its notify address, even when the device asked for none (the output says "
		 "so): bench honours the device's suppression.",
	 .flags = CMD_DEVICE | CMD_WRITES,
	 .run = cmd_kick},
	{.name = "poll",
	 .args = "<device> <queue>",
	 .summary = "wait for used buffers and show them",
	 .help = "Waits for used elements and prints each: id, len and the bytes the device "
		 "wrote. Everything the device writes back is validated: a used id not in flight, "
		 "a len beyond the chain's writable bytes, an index jump larger than the ring, a "
		 "packed descriptor with the wrong wrap counter are device errors. The wait spins "
		 "--spin empty looks, then backs off (--backoff; --irq waits on the interrupt "
		 "instead). Ctrl-C cancels the wait.",
	 .flags = CMD_DEVICE | CMD_WRITES,
	 .opts = poll_opts,
	 .run = cmd_poll},
	{.name = "selftest",
	 .args = "<device>",
	 .summary = "run the built-in self-test of the device type",
	 .help = "Resets the device, negotiates features, sets up queues and runs known-answer "
		 "requests: entropy reads random bytes, block reads 4096 bytes from LBA 0, "
		 "console writes to port 0 (with MULTIPORT: the control-queue handshake, "
		 "DEVICE_READY, PORT_READY per DEVICE_ADD, PORT_OPEN, port names reported, then "
		 "the bytes through ports 0 and 1), net transmits one Ethernet frame (with "
		 "CTRL_VQ: promiscuous on and off and MAC_TABLE_SET, each acknowledged OK; with "
		 "--arp: an ARP request and the reply from that address); SCSI sends INQUIRY "
		 "(vendor QEMU, product QEMU HARDDISK), READ CAPACITY(10) and READ(10) of 4096 "
		 "bytes from LBA 0 to target 0 LUN 0; pmem reads start and size and FLUSHes (ret "
		 "0); balloon inflates and deflates one page, writing actual and reading it back, "
		 "and offers statistics; input decodes the config selects and waits (--timeout) "
		 "for one event from the host, which must match its EV_BITS and be followed by "
		 "EV_SYN; crypto encrypts the NIST SP 800-38A F.2.1 AES-128-CBC vector in a "
		 "session and compares the ciphertext; GPU reads scanout 0's size "
		 "(GET_DISPLAY_INFO), "
		 "checks the EDID against it when offered and creates, backs, transfers, flushes "
		 "and unrefs a 2D resource; IOMMU sends PROBE, ATTACH, MAP, UNMAP and "
		 "DETACH for --endpoint (each status OK); 9p sends Tversion (9P2000.L), Tattach, "
		 "Twalk, Tgetattr, Tlopen and Tread of --path, fs FUSE_INIT, LOOKUP, OPEN, READ "
		 "and RELEASE of --path (bytes read equal to the file's size; data_sha256 of its "
		 "content; the mount tag reported); vsock reads the guest CID (3 or more); memory "
		 "(virtio-mem) reads block size and region, waits (--timeout) for the host to "
		 "change requested_size (QEMU: QMP qom-set requested-size), then plugs and unplugs "
		 "one block (ACK each, plugged_size following, STATE confirming). --ring "
		 "packed drives packed virtqueues. The "
		 "device is reset at the end. Exit status 0 only when it passed; JSON has passed, "
		 "steps, checks (expected and got) and data_sha256 (entropy, block, SCSI, 9p, fs).",
	 .flags = CMD_DEVICE | CMD_WRITES,
	 .opts = selftest_opts,
	 .run = cmd_selftest},
	{.name = "bench",
	 .args = "<device>",
	 .summary = "measure polled round trips on a queue",
	 .help = "Entropy: 64-byte requests (virtio_rng's size), one in flight and 32 (or what the "
		 "ring holds); block: 4 "
		 "KiB reads at queue depth 1 and 32 (or what the ring holds) over the first MiB, "
		 "or the whole disk if smaller; SCSI: READ(10) of 4 KiB from target 0 LUN 0, "
		 "depth 1 and 32, over the first MiB; net: 60-byte broadcast frames (EtherType "
		 "0x88b5) transmitted 128 deep. A failed request (status, residual, length) "
		 "fails the benchmark. Each workload runs for --duration. With "
		 "VIRTIO_F_EVENT_IDX offered it is negotiated and a notification is sent only "
		 "when the device asks for one (results count both). Waiting for completions "
		 "spins --spin empty looks, then backs off as --backoff says (results count the "
		 "waits, empty looks and back-offs); without a budget given, the net workload, "
		 "bound by the device, looks 20 times and then sleeps 1 us at a time. --ring "
		 "packed drives a packed virtqueue. "
		 "The device is reset at the end. A benchmark: compare with a peer measured in "
		 "the same run (bench/).",
	 .flags = CMD_DEVICE | CMD_WRITES,
	 .opts = bench_opts,
	 .run = cmd_bench},
	{.name = "check",
	 .args = "[device]",
	 .summary = "judge the device against the virtio 1.3 specification",
	 .help = "Runs the conformance checks (see 'check --list' and docs/checks.md): PCI "
		 "identity, capabilities, MSI-X, registers, device configuration ranges and, for "
		 "a device a kernel driver owns, what Linux negotiated. Each check passes, fails "
		 "(what was seen, what the spec requires) or is skipped (why). Read-only by "
		 "default: on a bound device nothing is written, so registers behind selectors "
		 "are read only with --select. --active also drives the device (reset, "
		 "FEATURES_OK, queue setup, a self-test request) and resets it at the end. Exit "
		 "status 11 when a MUST check failed (or a SHOULD one with --strict). --all: every "
		 "virtio-pci function in one document, {mode, strict, devices: [check...], "
		 "skipped: [{address, reason, exit_status}], counts, exit_status}; functions "
		 "bound to vfio-pci are skipped; with --active each function goes through the "
		 "rules of writing commands (a bound one is refused, not written; --force is "
		 "not taken). Its exit status is the worst: a function that could not be "
		 "checked (its own status, the first in address order), else 11 when one "
		 "failed, else 0.",
	 .flags = CMD_DEVICE,
	 .opts = check_opts,
	 .run = cmd_check},
	{.name = "shell",
	 .args = "[device]",
	 .summary = "start the interactive shell",
	 .help = "Reads commands with line editing, completion (Tab) and history. With DEVICE, "
		 "opens it first. Also what virtioctl without a command does on a terminal.",
	 .flags = CMD_ONESHOT,
	 .run = cmd_shell},
	{.name = "open",
	 .args = "<device>",
	 .summary = "make a device the current one",
	 .help = "Opens DEVICE: later commands may leave their device argument out, and the "
		 "prompt shows the device and its status.",
	 .flags = CMD_SESSION,
	 .run = cmd_open},
	{.name = "close",
	 .summary = "forget the current device",
	 .help = "Commands need their device argument again. Queues set up on the device stay "
		 "until virtioctl ends, which resets the device.",
	 .flags = CMD_SESSION,
	 .run = cmd_close},
	{.name = "set",
	 .summary = "change a setting of the shell or script",
	 .help = "Changes one setting for the rest of the shell or script; options given on a "
		 "command line still hold for that line only.",
	 .flags = CMD_SESSION,
	 .actions = set_actions},
	{.name = "expect",
	 .args = "<path> [op] [operand]",
	 .summary = "check the result of the previous command",
	 .help = "Fails (exit status 7) unless the value at PATH in the previous command's report "
		 "(its JSON keys joined by dots, array elements by index: "
		 "capabilities.0.cfg_type) compares as asked: == != < <= > >= with a number, "
		 "string, true, false or null; & (all these bits set) and !& (none set) with "
		 "numbers, status bit names (FEATURES_OK) or feature names of the device type "
		 "(VERSION_1), joined with |. Without an operator: PATH exists and is not null or "
		 "false.",
	 .flags = CMD_SESSION,
	 .run = cmd_expect},
	{.name = "quit",
	 .summary = "leave the shell, or end the script here",
	 .flags = CMD_SESSION,
	 .run = cmd_quit},
	{.name = "exit", .summary = "the same as quit", .flags = CMD_SESSION, .run = cmd_quit},
	{.name = "help",
	 .args = "[command]",
	 .summary = "show help for all commands or one",
	 .help = "With --json (and in a script's JSON Lines): the command table as one "
		 "document, every command (or COMMAND) with its actions and options, the "
		 "global options and the exit statuses.",
	 .run = cmd_help},
	{.name = "version", .summary = "show the version", .run = cmd_version},
	{.name = "__commands",
	 .summary = "the command table as a report (man page and completion tests)",
	 .flags = CMD_HIDDEN,
	 .run = cmd_commands},
	{.name = "__complete",
	 .args = "[word...]",
	 .summary = "completion candidates for the shell completion scripts",
	 .flags = CMD_HIDDEN,
	 .run = cmd_complete},
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
