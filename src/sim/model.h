/* A scriptable in-memory virtio-pci function: the device behind
 * `--simulate` (sim/source.h) and the unit tests.
 *
 * model_pdev_new() builds a struct pdev whose config space and BAR
 * registers behave like a virtio-pci device (QEMU's layout and semantics
 * unless noted), so the capability walker, both transports, the status
 * machine, the vrings and the self-tests can run without hardware. The
 * model never touches a real device.
 *
 * On top of the device it offers what a test needs: fault injection in
 * config space, an access log with a list of protocol errors the driver
 * made (wrong widths, writes to read-only fields, ...), direct access to
 * the device state, and queue processing with built-in device behaviours.
 *
 * The constants below are the model's own on purpose: it must not share
 * definitions with the virtio layer it is used to test. */
#ifndef VIRTIOCTL_PCI_MODEL_H
#define VIRTIOCTL_PCI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pci/device.h"
#include "util/err.h"

#define MODEL_MAX_QUEUES  64
#define MODEL_DEV_CFG_MAX 256
#define MODEL_NO_VECTOR	  0xffff

/* Virtio device types with built-in defaults in model_spec_init(). */
enum {
	MODEL_ID_NET = 1,
	MODEL_ID_BLOCK = 2,
	MODEL_ID_CONSOLE = 3,
	MODEL_ID_RNG = 4,
	MODEL_ID_BALLOON = 5,
	MODEL_ID_SCSI = 8,
	MODEL_ID_9P = 9,
};

/* Device status bits. */
enum {
	MODEL_S_ACKNOWLEDGE = 0x01,
	MODEL_S_DRIVER = 0x02,
	MODEL_S_DRIVER_OK = 0x04,
	MODEL_S_FEATURES_OK = 0x08,
	MODEL_S_NEEDS_RESET = 0x40,
	MODEL_S_FAILED = 0x80,
};

/* Feature bit numbers the model itself acts on. */
enum {
	MODEL_F_NOTIFY_ON_EMPTY = 24,
	MODEL_F_ANY_LAYOUT = 27,
	MODEL_F_INDIRECT_DESC = 28,
	MODEL_F_EVENT_IDX = 29,
	MODEL_F_VERSION_1 = 32,
	MODEL_F_ACCESS_PLATFORM = 33,
	MODEL_F_RING_PACKED = 34,
	MODEL_F_NOTIFICATION_DATA = 38,
	MODEL_F_NOTIF_CONFIG_DATA = 39,
	MODEL_F_RING_RESET = 40,
	MODEL_F_NET_MRG_RXBUF = 15,
};

#define MODEL_BIT(n) (1ull << (n))

enum model_transport {
	MODEL_MODERN,	    /* device id 0x1040 + type, revision 1, virtio caps only */
	MODEL_TRANSITIONAL, /* device id 0x1000-0x103f, legacy I/O BAR0 and virtio caps */
	MODEL_LEGACY,	    /* device id 0x1000-0x103f, legacy I/O BAR0, no virtio caps */
};

/* Config-space faults for walker tests. Each one edits the bytes that
 * model_pdev_new() would otherwise produce; the device behind the BARs is
 * unchanged. model_poke_cfg() covers anything not listed. */
enum model_fault {
	/* The last capability in the list points back to the first. */
	MODEL_FAULT_CAP_LOOP = 1u << 0,
	/* The capabilities pointer (0x34) is 0x20: inside the header. */
	MODEL_FAULT_CAP_PTR_LOW = 1u << 1,
	/* The common-cfg capability's cap_len is 8, less than the 16 of
	 * struct virtio_pci_cap. */
	MODEL_FAULT_CAP_TRUNCATED = 1u << 2,
	/* The device-cfg capability's length runs 0x1000 bytes past the end
	 * of its BAR. */
	MODEL_FAULT_CAP_BEYOND_BAR = 1u << 3,
	/* The ISR capability names BAR 6 (reserved: drivers must ignore it,
	 * so the device then effectively has no ISR capability). */
	MODEL_FAULT_CAP_BAR_INDEX = 1u << 4,
	/* The notify capability's offset is odd (spec: 2-byte aligned). The
	 * real notify region does not move. */
	MODEL_FAULT_NOTIFY_MISALIGNED = 1u << 5,
	/* The modern BAR has size 0 (pdev->bar[].size, and its config
	 * register has no writable address bits and reads base 0). */
	MODEL_FAULT_ZERO_SIZE_BAR = 1u << 6,
	/* The capabilities pointer has its two reserved low bits set; a
	 * correct walker masks them off. */
	MODEL_FAULT_CAP_PTR_UNALIGNED = 1u << 7,
};

/* Misbehaviour knobs: each one a real mistake of device authors, for
 * proving that a conformance check can fail (`--simulate TYPE,bug=NAME`).
 * model_bugs() lists them with what each changes. */
enum model_bug {
	/* Writing 0 to device_status does not reset the device: the status
	 * (and queue state) stay as they were. */
	MODEL_BUG_RESET_IGNORED = 1u << 0,
	/* FEATURES_OK is accepted even with feature bits set that the device
	 * did not offer (or without VERSION_1). */
	MODEL_BUG_FEATURES_OK_ALWAYS = 1u << 1,
	/* Each queue's maximum size (queue_size after reset, legacy
	 * queue_num) is not a power of two: the configured maximum minus 1
	 * (256 -> 255), or 3 for a maximum of 1 or 2. */
	MODEL_BUG_QUEUE_SIZE_ODD = 1u << 2,
	/* used.len is one more than the chain's device-writable bytes. */
	MODEL_BUG_USED_LEN_OVERFLOW = 1u << 3,
	/* used.id is the chain's head plus the queue size: never a head in
	 * flight (not even a descriptor index). */
	MODEL_BUG_USED_ID_BOGUS = 1u << 4,
	/* The device configuration changes (byte 0 is incremented) at every
	 * read of config_generation, and config_generation never changes,
	 * not even for model_set_device_cfg() or model_cfg_churn(). */
	MODEL_BUG_CONFIG_GENERATION_STUCK = 1u << 5,
	/* queue_notify_off of queue i reads notify_len / multiplier + i: the
	 * notify address lies past the end of the notify structure. */
	MODEL_BUG_NOTIFY_OFF_OUT_OF_RANGE = 1u << 6,
	/* No ISR capability in the chain (the ISR register still exists). */
	MODEL_BUG_NO_ISR_CAP = 1u << 7,
	/* device_status reads with reserved bit 0x20 set whenever it is not
	 * 0 (a reset still reads back 0). */
	MODEL_BUG_STATUS_RESERVED_BITS = 1u << 8,
};

struct model_bug_info {
	unsigned bit; /* enum model_bug */
	const char *name;
	const char *description; /* the device author's mistake */
	const char *changes;	 /* what the model does differently */
	bool modern_only;	 /* needs the modern interface */
	bool needs_device_cfg;	 /* needs device configuration bytes */
};

/* The table of knobs, in a stable order. */
const struct model_bug_info *model_bugs(size_t *n);
/* The knob called name[0..len), or NULL. */
const struct model_bug_info *model_bug_find(const char *name, size_t len);

/* Bus address -> pointer in this process, or NULL when unmapped. */
typedef void *model_dma_fn(void *ctx, uint64_t bus_addr, size_t len);

/* The model's own DMA memory (model_spec_init() defaults): bus addresses
 * from MODEL_DMA_BASE, far from any process pointer, and low enough for
 * a legacy queue's 32-bit page frame number. */
#define MODEL_DMA_BASE 0x10000000ull
#define MODEL_DMA_SIZE (4u << 20)

/* The device to build. Start from model_spec_init(): every field is then
 * taken literally (0 is a value, not "default"), except the PCI identity
 * fields noted below. */
struct model_spec {
	unsigned device_id; /* virtio device type */
	enum model_transport transport;
	/* 0: derived from device_id and transport (QEMU's choices). */
	uint16_t pci_device_id, subsys_vendor, subsys_device;
	uint32_t class_code;
	struct pci_addr addr;

	uint64_t features;    /* offered through device_feature */
	uint64_t features_hi; /* bits 64-127: device_feature_select 2 and 3 */
	/* Offered only through the legacy header's 32-bit host features, as
	 * QEMU hides NOTIFY_ON_EMPTY/ANY_LAYOUT from modern drivers. */
	uint64_t legacy_only_features;

	unsigned num_queues;
	uint16_t queue_max[MODEL_MAX_QUEUES]; /* max queue size, <= 32768 */
	/* queue_notify_off of each queue; model_spec_init() sets the queue
	 * index, as QEMU does. */
	uint16_t notify_off[MODEL_MAX_QUEUES];
	uint32_t notify_off_multiplier;

	uint8_t device_cfg[MODEL_DEV_CFG_MAX];
	unsigned device_cfg_len;

	unsigned msix_vectors; /* MSI-X table size; 0: no MSI-X capability */

	/* Modern regions: common at 0x0, ISR at 0x1000 (1 byte), device cfg at
	 * 0x2000 (0x1000 bytes), notify at 0x3000 (0x1000 bytes or more) of a
	 * 16 KiB (or larger) prefetchable memory BAR. */
	unsigned modern_bar;
	bool modern_bar_32bit;
	unsigned common_len; /* 0x38 (virtio 1.0) or 0x40 (notif data, reset, admin) */
	bool cfg_access_cap; /* VIRTIO_PCI_CAP_PCI_CFG */

	/* One shared-memory region (cfg_type 8) in its own 64-bit BAR. */
	bool shm;
	unsigned shm_bar;
	uint64_t shm_offset, shm_length;
	uint8_t shm_id;

	bool pcie; /* 4096-byte config space and a PCI Express capability */

	const char *driver; /* bound kernel driver, copied to pdev->driver */
	/* Non-NULL: BARs are unreachable (as on a bound device); copied to
	 * pdev->bar_why, and BAR accesses fail. The cfg-access window works. */
	const char *bar_why;
	bool writable; /* open with writes allowed */

	/* How the model reaches guest memory (the rings and buffers) when it
	 * processes a queue, in this order:
	 *  - dma_identity: a bus address is a pointer in this process (a few
	 *    unit tests with their own buffers; the model trusts them);
	 *  - dma_translate(dma_ctx, addr, len), which must check bounds;
	 *  - otherwise the model's own memory: dma_size bytes at bus address
	 *    dma_base (page-aligned, below 2^44), handed to a driver by
	 *    model_dma_backend (one arena). Every ring and buffer access is
	 *    checked against it: an address outside it is a device error
	 *    (DEVICE_NEEDS_RESET), never an access elsewhere. dma_size 0:
	 *    no memory, queue processing fails. */
	bool dma_identity;
	model_dma_fn *dma_translate;
	void *dma_ctx;
	uint64_t dma_base;
	size_t dma_size;

	unsigned faults; /* enum model_fault bits */
	/* A protocol error also fails the access (VX_DEVICE), so a test stops
	 * at the first one; normally the access completes as on hardware and
	 * only the error list records it. */
	bool strict;
	/* Reads of device_status (after writing 0) and queue_reset (after
	 * writing 1) that still show the old value before the reset
	 * completes: tests the driver's wait loops. */
	unsigned reset_delay_reads;
	unsigned bugs; /* enum model_bug bits */
	/* Keep no access log (model_log_*() see nothing): for long-lived
	 * simulated devices, whose drivers make millions of accesses. The
	 * error list and write count are kept. */
	bool no_log;
};

/* Defaults for one device type and transport: VERSION_1 (not legacy),
 * INDIRECT_DESC, EVENT_IDX and a few type features; QEMU's queue counts
 * and sizes (net 2x256, blk 1x256, console 2x128, rng 1x8, other 1x256);
 * a typical device config (net MAC 52:54:00:12:34:56 link up; blk 2048
 * sectors, seg_max 126, blk_size 512); MSI-X with num_queues + 1
 * vectors; modern BAR 4, 64-bit; common_len 0x38; notify multiplier 4;
 * cfg-access capability; 256-byte config space; read-only; DMA memory
 * of MODEL_DMA_SIZE at MODEL_DMA_BASE; no bugs. */
void model_spec_init(struct model_spec *s, unsigned device_id, enum model_transport t);

/* Builds the device. Errors (VX_USAGE) for an inconsistent spec. The
 * result is closed with pdev_close(). */
struct pdev *model_pdev_new(const struct model_spec *s, struct verr *e);
/* Another handle on the same device (state, memory, log), opened
 * read-only; the device lives until its last handle is closed. Each
 * handle has its own write permission (pdev_allow_writes). */
struct pdev *model_pdev_ref(struct pdev *d, struct verr *e);
bool model_is(const struct pdev *d);

/* DMA memory for a model device, for dma_open_backend(): the model's own
 * memory (model_spec.dma_base/dma_size) as one arena. */
struct dma_backend;
extern const struct dma_backend model_dma_backend;
/* The model's memory for the DMA backend: maps it on first use. Fails
 * when it is already handed out (one arena at a time) or the spec gives
 * none. model_dma_put() takes it back (its contents stay). */
int model_dma_take(struct pdev *d, uint8_t **va, uint64_t *bus, size_t *len, struct verr *e);
void model_dma_put(struct pdev *d);
/* Where [bus, bus+len) of guest memory is in this process, as the device
 * reaches it (dma_identity, dma_translate or its own memory, bounds
 * checked); NULL when the device cannot reach it. For tests that play
 * the device's part on the rings. */
void *model_dma_ptr(struct pdev *d, uint64_t bus, size_t len);

/* ---- Device state ---- */

struct model_queue {
	uint16_t max_size; /* 0: the queue is unavailable */
	uint16_t size;
	uint16_t msix_vector;
	bool enabled; /* modern queue_enable, or a legacy PFN written */
	uint16_t notify_off;
	uint16_t notif_config_data; /* the index; 0x8000|index when NOTIF_CONFIG_DATA is offered */
	uint64_t desc, driver, device; /* legacy: derived from the PFN */
	uint32_t pfn;		       /* legacy queue address >> 12 */
	uint16_t last_avail;	       /* next available-ring entry the device takes */
	uint16_t used_idx;
	/* Packed rings (model_packed.c): the next slot the device reads and
	 * the next it writes, each with its wrap counter (1 after a reset).
	 * last_avail and used_idx then count chains. */
	uint16_t packed_avail, packed_used;
	bool avail_wrap, used_wrap;
	unsigned notifies;    /* available-buffer notifications received */
	unsigned completed;   /* chains returned through the used ring */
	unsigned reset_reads; /* queue_reset reads left showing 1 */
};

/* Tests may edit fields directly to set up a scenario (say, firmware left
 * the device at status 0x0f with features negotiated). */
struct model_state {
	uint8_t status;
	uint64_t driver_features;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint16_t config_vector;
	uint8_t isr;
	uint8_t generation;
	unsigned num_queues;
	struct model_queue queue[MODEL_MAX_QUEUES];

	unsigned resets;	      /* device resets done */
	unsigned features_ok_refused; /* FEATURES_OK writes the device refused */
	unsigned irqs; /* interrupts sent: INTx, or MSI-X (entry mask bits not modelled) */
	uint16_t last_irq_vector; /* MSI-X vector of the last one; NO_VECTOR for INTx */
	unsigned dma_blocked;	  /* queue work skipped: bus mastering off */
	uint8_t status_shown;	  /* status reads show this while */
	unsigned reset_reads;	  /* ... this is non-zero (reset_delay_reads) */
};

struct model_state *model_state(struct pdev *d);
const struct model_spec *model_spec(const struct pdev *d);
bool model_msix_enabled(const struct pdev *d);

/* Changes device config bytes as the device would: bumps
 * config_generation and sends a configuration-change interrupt. */
int model_set_device_cfg(struct pdev *d, unsigned off, const void *data, unsigned len,
			 struct verr *e);
/* The next n device-config reads each bump config_generation, as if the
 * config kept changing under the reader. */
void model_cfg_churn(struct pdev *d, unsigned n);
/* Sets DEVICE_NEEDS_RESET and sends a configuration-change interrupt. */
void model_set_needs_reset(struct pdev *d);

/* ---- Config space, unlogged and without side effects ---- */

int model_poke_cfg(struct pdev *d, unsigned off, unsigned width, uint32_t val, struct verr *e);
uint32_t model_peek_cfg(const struct pdev *d, unsigned off, unsigned width);
/* Config offset of the first virtio capability of cfg_type as built
 * (before faults moved anything), or 0 when there is none. */
unsigned model_cap_offset(const struct pdev *d, unsigned cfg_type);
unsigned model_msix_cap_offset(const struct pdev *d);

/* ---- Access log and protocol errors ---- */

enum model_space { MODEL_SPACE_CFG, MODEL_SPACE_BAR };

struct model_access {
	enum model_space space;
	bool write;
	/* Made by the model for a cfg-access window read or write, not by the
	 * driver; never counted by model_write_count(). */
	bool indirect;
	bool bad; /* this access added to the error list */
	unsigned bar;
	uint64_t off; /* config offset, or offset in the BAR */
	unsigned width;
	uint64_t val;	  /* value written, or value returned */
	const char *what; /* register name: "queue_select", "isr", "config", ... */
};

size_t model_log_count(const struct pdev *d);
const struct model_access *model_log_entry(const struct pdev *d, size_t i);
/* Writes the driver made (config and BAR) since the last clear. */
size_t model_write_count(const struct pdev *d);
/* Reads of the ISR (which clear it), direct or through the config
 * window, since the last clear; counted with no_log too. */
size_t model_isr_read_count(const struct pdev *d);
/* Accesses of the driver to the named register since the last clear. */
size_t model_access_count(const struct pdev *d, const char *what, bool write);
/* Every protocol error counts; the text of the first 256 is kept (past
 * those, model_error() says it was not). */
size_t model_error_count(const struct pdev *d);
const char *model_error(const struct pdev *d, size_t i); /* NULL past the end */
/* Clears both the log and the error list. */
void model_log_clear(struct pdev *d);
void model_log_dump(const struct pdev *d, FILE *f);

/* ---- Queue processing ---- */

struct model_seg {
	uint64_t addr; /* bus address from the descriptor */
	uint32_t len;
	bool write;   /* device-writable */
	uint8_t *ptr; /* where it is in this process */
};

struct model_chain {
	uint16_t head;
	unsigned n;
	const struct model_seg *seg;
	size_t readable, writable; /* byte totals */
};

/* Called once per available chain, in ring order. Sets *used_len to the
 * bytes written into the chain's writable segments and returns 0 to put
 * it on the used ring; returns MODEL_HOLD to leave it (and the rest)
 * available, as a device that has not finished; a negative value makes
 * the device set DEVICE_NEEDS_RESET. */
typedef int model_handler_fn(struct pdev *d, unsigned qidx, const struct model_chain *c,
			     uint32_t *used_len, void *ctx);
#define MODEL_HOLD 1

/* Runs fn over every available chain of queue qidx and returns how many
 * went to the used ring, or -1: queue not available or not live (enabled
 * or legacy PFN set, DRIVER_OK, no NEEDS_RESET), rings unreachable, a
 * malformed chain (which also sets NEEDS_RESET, as QEMU does). With bus
 * mastering off it does nothing and returns 0, like a real device. Sends
 * a used-buffer interrupt unless suppressed (NO_INTERRUPT, EVENT_IDX). */
int model_process_queue(struct pdev *d, unsigned qidx, model_handler_fn *fn, void *ctx,
			struct verr *e);
/* Runs fn from within the notify write itself, so a driver that kicks
 * and then polls sees the used ring already updated. NULL removes it.
 * Errors go to the error list. */
void model_set_handler(struct pdev *d, unsigned qidx, model_handler_fn *fn, void *ctx);
/* Installs the built-in handler for the device type: rng queue 0, blk
 * every queue, console queue 1 (port 0 transmit), net odd queues
 * (transmit). */
void model_use_builtin_handlers(struct pdev *d);

/* Copy between a chain's device-readable (or -writable) segments, taken
 * as one byte stream, and a flat buffer. Return bytes copied. */
size_t model_chain_read(const struct model_chain *c, size_t off, void *dst, size_t len);
size_t model_chain_write(const struct model_chain *c, size_t off, const void *src, size_t len);

/* Built-in handlers. */
model_handler_fn model_entropy_handler;	   /* fills writable space with the pattern below */
model_handler_fn model_blk_handler;	   /* IN, OUT, FLUSH, GET_ID on the disk image */
model_handler_fn model_console_tx_handler; /* records the bytes */
model_handler_fn model_net_tx_handler;	   /* strips the virtio_net_hdr, records the frame */

/* Byte `pos` of the entropy stream: a fixed pattern tests can check. */
uint8_t model_entropy_byte(uint64_t pos);
/* The disk behind model_blk_handler: a copy of data (zeros when NULL). */
int model_blk_set_disk(struct pdev *d, const void *data, size_t len, struct verr *e);
const uint8_t *model_blk_disk(const struct pdev *d, size_t *len);
void model_blk_set_id(struct pdev *d, const char *id); /* GET_ID answer, up to 20 bytes */
const uint8_t *model_console_output(const struct pdev *d, size_t *len);
size_t model_net_frame_count(const struct pdev *d);
const uint8_t *model_net_frame(const struct pdev *d, size_t i, size_t *len);

#endif
