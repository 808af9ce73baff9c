#include "virtio/features.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/fmt.h"
#include "virtio/ids.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every table is ordered by bit: virtio_feature_names() merges two of them
 * in one pass, and the unit tests hold the tables to it. */

/* clang-format off */
static const struct feature_bit transport_bits[] = {
	{24, "VIRTIO_F_NOTIFY_ON_EMPTY", "notify when a queue runs empty (legacy)", NULL},
	{27, "VIRTIO_F_ANY_LAYOUT", "any descriptor layout accepted (legacy)", NULL},
	{28, "VIRTIO_F_INDIRECT_DESC", "indirect descriptors", "VIRTIO_RING_F_INDIRECT_DESC"},
	{29, "VIRTIO_F_EVENT_IDX", "used_event and avail_event fields", "VIRTIO_RING_F_EVENT_IDX"},
	/* The spec calls bit 30 UNUSED; QEMU checks it to spot drivers from
	 * before feature negotiation worked. */
	{30, "UNUSED", "must not be negotiated (legacy)", "VIRTIO_F_BAD_FEATURE"},
	{32, "VIRTIO_F_VERSION_1", "complies with virtio 1.0 or later", NULL},
	{33, "VIRTIO_F_ACCESS_PLATFORM", "device access is limited or translated (IOMMU)",
	 "VIRTIO_F_IOMMU_PLATFORM"},
	{34, "VIRTIO_F_RING_PACKED", "packed virtqueue layout", NULL},
	{35, "VIRTIO_F_IN_ORDER", "buffers are used in the order made available", NULL},
	{36, "VIRTIO_F_ORDER_PLATFORM", "memory ordering as the platform describes", NULL},
	{37, "VIRTIO_F_SR_IOV", "single root I/O virtualization", NULL},
	{38, "VIRTIO_F_NOTIFICATION_DATA", "driver notifications carry extra data", NULL},
	{39, "VIRTIO_F_NOTIF_CONFIG_DATA", "device provides the notification value", NULL},
	{40, "VIRTIO_F_RING_RESET", "individual virtqueue reset", NULL},
	{41, "VIRTIO_F_ADMIN_VQ", "administration virtqueues", NULL},
	/* virtio 1.4 */
	{43, "VIRTIO_F_SUSPEND", "device can be suspended", NULL},
};

/* VIRTIO_NET_F_GUEST_RSC4 (legacy, bit 41) is left out: bit 41 is
 * VIRTIO_F_ADMIN_VQ, which is what a modern device means by it. */
static const struct feature_bit net_bits[] = {
	{0, "VIRTIO_NET_F_CSUM", "device handles partial checksum offload", NULL},
	{1, "VIRTIO_NET_F_GUEST_CSUM", "driver handles partial checksum", NULL},
	{2, "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS", "offloads reconfigurable via control queue", NULL},
	{3, "VIRTIO_NET_F_MTU", "maximum MTU reported in mtu", NULL},
	{5, "VIRTIO_NET_F_MAC", "device has given a MAC address", NULL},
	{6, "VIRTIO_NET_F_GSO", "any GSO type (legacy)", NULL},
	{7, "VIRTIO_NET_F_GUEST_TSO4", "driver can receive TSOv4", NULL},
	{8, "VIRTIO_NET_F_GUEST_TSO6", "driver can receive TSOv6", NULL},
	{9, "VIRTIO_NET_F_GUEST_ECN", "driver can receive TSO with ECN", NULL},
	{10, "VIRTIO_NET_F_GUEST_UFO", "driver can receive UFO", NULL},
	{11, "VIRTIO_NET_F_HOST_TSO4", "device can receive TSOv4", NULL},
	{12, "VIRTIO_NET_F_HOST_TSO6", "device can receive TSOv6", NULL},
	{13, "VIRTIO_NET_F_HOST_ECN", "device can receive TSO with ECN", NULL},
	{14, "VIRTIO_NET_F_HOST_UFO", "device can receive UFO", NULL},
	{15, "VIRTIO_NET_F_MRG_RXBUF", "driver can merge receive buffers", NULL},
	{16, "VIRTIO_NET_F_STATUS", "status field is available", NULL},
	{17, "VIRTIO_NET_F_CTRL_VQ", "control virtqueue", NULL},
	{18, "VIRTIO_NET_F_CTRL_RX", "control queue RX mode", NULL},
	{19, "VIRTIO_NET_F_CTRL_VLAN", "control queue VLAN filtering", NULL},
	{20, "VIRTIO_NET_F_CTRL_RX_EXTRA", "control queue extra RX modes", NULL},
	{21, "VIRTIO_NET_F_GUEST_ANNOUNCE", "driver can send gratuitous packets", NULL},
	{22, "VIRTIO_NET_F_MQ", "multiqueue with automatic receive steering", NULL},
	{23, "VIRTIO_NET_F_CTRL_MAC_ADDR", "set MAC address via control queue", NULL},
	{42, "VIRTIO_NET_F_GUEST_RSC6", "device coalesces TCP/IPv6 packets (legacy)", NULL},
	{50, "VIRTIO_NET_F_DEVICE_STATS", "device-level statistics (virtio 1.4)", NULL},
	{51, "VIRTIO_NET_F_HASH_TUNNEL", "inner header hash for encapsulated packets", NULL},
	{52, "VIRTIO_NET_F_VQ_NOTF_COAL", "per-virtqueue notification coalescing", NULL},
	{53, "VIRTIO_NET_F_NOTF_COAL", "notification coalescing", NULL},
	{54, "VIRTIO_NET_F_GUEST_USO4", "driver can receive USOv4", NULL},
	{55, "VIRTIO_NET_F_GUEST_USO6", "driver can receive USOv6", NULL},
	{56, "VIRTIO_NET_F_HOST_USO", "device can receive USO", NULL},
	{57, "VIRTIO_NET_F_HASH_REPORT", "per-packet hash reporting", NULL},
	{59, "VIRTIO_NET_F_GUEST_HDRLEN", "driver provides the exact hdr_len", NULL},
	{60, "VIRTIO_NET_F_RSS", "receive-side scaling", NULL},
	{61, "VIRTIO_NET_F_RSC_EXT", "extended receive segment coalescing info", NULL},
	{62, "VIRTIO_NET_F_STANDBY", "standby for a primary device with the same MAC", NULL},
	{63, "VIRTIO_NET_F_SPEED_DUPLEX", "speed and duplex reported", NULL},
	/* virtio 1.4: the feature space grew past 64 bits */
	{64, "VIRTIO_NET_F_RSS_CONTEXT", "multiple RSS contexts", NULL},
	{65, "VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO", "driver can receive UDP tunnel GSO", NULL},
	{66, "VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM", "driver handles UDP tunnel outer csum",
	 NULL},
	{67, "VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO", "device can receive UDP tunnel GSO", NULL},
	{68, "VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM", "device handles UDP tunnel outer csum",
	 NULL},
	{69, "VIRTIO_NET_F_OUT_NET_HEADER", "driver provides the outer network header", NULL},
	{70, "VIRTIO_NET_F_IPSEC", "inline IPsec processing", NULL},
};

static const struct feature_bit blk_bits[] = {
	{0, "VIRTIO_BLK_F_BARRIER", "request barriers (legacy)", NULL},
	{1, "VIRTIO_BLK_F_SIZE_MAX", "maximum segment size in size_max", NULL},
	{2, "VIRTIO_BLK_F_SEG_MAX", "maximum segments per request in seg_max", NULL},
	{4, "VIRTIO_BLK_F_GEOMETRY", "disk geometry in geometry", NULL},
	{5, "VIRTIO_BLK_F_RO", "device is read-only", NULL},
	{6, "VIRTIO_BLK_F_BLK_SIZE", "block size in blk_size", NULL},
	{7, "VIRTIO_BLK_F_SCSI", "SCSI packet commands (legacy)", NULL},
	{9, "VIRTIO_BLK_F_FLUSH", "cache flush command", "VIRTIO_BLK_F_WCE"},
	{10, "VIRTIO_BLK_F_TOPOLOGY", "optimal I/O alignment in topology", NULL},
	{11, "VIRTIO_BLK_F_CONFIG_WCE", "cache mode toggled via writeback", NULL},
	{12, "VIRTIO_BLK_F_MQ", "multiqueue", NULL},
	{13, "VIRTIO_BLK_F_DISCARD", "discard command", NULL},
	{14, "VIRTIO_BLK_F_WRITE_ZEROES", "write zeroes command", NULL},
	{15, "VIRTIO_BLK_F_LIFETIME", "storage lifetime information", NULL},
	{16, "VIRTIO_BLK_F_SECURE_ERASE", "secure erase command", NULL},
	{17, "VIRTIO_BLK_F_ZONED", "zoned block device", NULL},
};

static const struct feature_bit console_bits[] = {
	{0, "VIRTIO_CONSOLE_F_SIZE", "cols and rows are valid", NULL},
	{1, "VIRTIO_CONSOLE_F_MULTIPORT", "multiple ports, max_nr_ports valid", NULL},
	{2, "VIRTIO_CONSOLE_F_EMERG_WRITE", "emergency write via emerg_wr", NULL},
};

static const struct feature_bit balloon_bits[] = {
	{0, "VIRTIO_BALLOON_F_MUST_TELL_HOST", "host told before balloon pages are used", NULL},
	{1, "VIRTIO_BALLOON_F_STATS_VQ", "memory statistics virtqueue", NULL},
	{2, "VIRTIO_BALLOON_F_DEFLATE_ON_OOM", "deflate on guest out of memory", NULL},
	{3, "VIRTIO_BALLOON_F_FREE_PAGE_HINT", "free page hinting", NULL},
	{4, "VIRTIO_BALLOON_F_PAGE_POISON", "driver writes poison_val to deflated pages", NULL},
	{5, "VIRTIO_BALLOON_F_PAGE_REPORTING", "free page reporting", "VIRTIO_BALLOON_F_REPORTING"},
};

static const struct feature_bit scsi_bits[] = {
	{0, "VIRTIO_SCSI_F_INOUT", "requests with both in and out buffers", NULL},
	{1, "VIRTIO_SCSI_F_HOTPLUG", "hot-plug and hot-unplug events", NULL},
	{2, "VIRTIO_SCSI_F_CHANGE", "LUN parameter change events", NULL},
	{3, "VIRTIO_SCSI_F_T10_PI", "T10 protection information fields", NULL},
};

static const struct feature_bit p9_bits[] = {
	/* Not in the spec; Linux and QEMU define the 9P device. */
	{0, "VIRTIO_9P_MOUNT_TAG", "mount tag in tag_len and tag", NULL},
};

static const struct feature_bit gpu_bits[] = {
	{0, "VIRTIO_GPU_F_VIRGL", "virgl 3D mode", NULL},
	{1, "VIRTIO_GPU_F_EDID", "EDID", NULL},
	{2, "VIRTIO_GPU_F_RESOURCE_UUID", "resource UUIDs for export", NULL},
	{3, "VIRTIO_GPU_F_RESOURCE_BLOB", "size-based blob resources", NULL},
	{4, "VIRTIO_GPU_F_CONTEXT_INIT", "multiple context types and timelines", NULL},
	/* virtio 1.4 */
	{5, "VIRTIO_GPU_F_BLOB_ALIGNMENT", "blob_alignment is valid", NULL},
};

static const struct feature_bit clock_bits[] = {
	/* virtio 1.4 (RTC device) */
	{0, "VIRTIO_RTC_F_ALARM", "alarm", NULL},
};

static const struct feature_bit vsock_bits[] = {
	{0, "VIRTIO_VSOCK_F_STREAM", "stream sockets", NULL},
	{1, "VIRTIO_VSOCK_F_SEQPACKET", "seqpacket sockets", NULL},
	{2, "VIRTIO_VSOCK_F_NO_IMPLIED_STREAM", "stream sockets not implied", NULL},
};

static const struct feature_bit crypto_bits[] = {
	{0, "VIRTIO_CRYPTO_F_REVISION_1", "revision 1 request format", NULL},
	{1, "VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE", "stateless CIPHER requests", NULL},
	{2, "VIRTIO_CRYPTO_F_HASH_STATELESS_MODE", "stateless HASH requests", NULL},
	{3, "VIRTIO_CRYPTO_F_MAC_STATELESS_MODE", "stateless MAC requests", NULL},
	{4, "VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE", "stateless AEAD requests", NULL},
	{5, "VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE", "stateless AKCIPHER requests", NULL},
};

static const struct feature_bit iommu_bits[] = {
	{0, "VIRTIO_IOMMU_F_INPUT_RANGE", "virtual address range in input_range", NULL},
	{1, "VIRTIO_IOMMU_F_DOMAIN_RANGE", "domain range in domain_range", NULL},
	{2, "VIRTIO_IOMMU_F_MAP_UNMAP", "map and unmap requests", NULL},
	{3, "VIRTIO_IOMMU_F_BYPASS", "unattached endpoints bypass the IOMMU", NULL},
	{4, "VIRTIO_IOMMU_F_PROBE", "PROBE request", NULL},
	{5, "VIRTIO_IOMMU_F_MMIO", "VIRTIO_IOMMU_MAP_F_MMIO flag", NULL},
	{6, "VIRTIO_IOMMU_F_BYPASS_CONFIG", "bypass field controls bypass", NULL},
};

static const struct feature_bit mem_bits[] = {
	{0, "VIRTIO_MEM_F_ACPI_PXM", "node_id is an ACPI PXM", NULL},
	{1, "VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE", "unplugged memory must not be accessed", NULL},
	/* virtio 1.4 */
	{2, "VIRTIO_MEM_F_PERSISTENT_SUSPEND", "guest may suspend to RAM", NULL},
};

static const struct feature_bit sound_bits[] = {
	{0, "VIRTIO_SND_F_CTLS", "control elements", NULL},
};

static const struct feature_bit fs_bits[] = {
	{0, "VIRTIO_FS_F_NOTIFICATION", "FUSE notify messages", NULL},
};

static const struct feature_bit pmem_bits[] = {
	{0, "VIRTIO_PMEM_F_SHMEM_REGION", "range given as a shared memory region", NULL},
};

static const struct feature_bit scmi_bits[] = {
	{0, "VIRTIO_SCMI_F_P2A_CHANNELS", "notifications or delayed responses", NULL},
	{1, "VIRTIO_SCMI_F_SHARED_MEMORY", "statistics shared memory region", NULL},
};

static const struct feature_bit i2c_bits[] = {
	{0, "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST", "zero-length requests, M_RD flag", NULL},
};

static const struct feature_bit can_bits[] = {
	/* virtio 1.4 */
	{0, "VIRTIO_CAN_F_CAN_CLASSIC", "classic CAN frames", NULL},
	{1, "VIRTIO_CAN_F_CAN_FD", "CAN FD frames", NULL},
	{2, "VIRTIO_CAN_F_RTR_FRAMES", "RTR frames", NULL},
	{3, "VIRTIO_CAN_F_LATE_TX_ACK", "TX acknowledged after transmission", NULL},
};

static const struct feature_bit bluetooth_bits[] = {
	/* Not in the spec; from Linux's virtio_bt.h. */
	{0, "VIRTIO_BT_F_VND_HCI", "vendor command support", NULL},
	{1, "VIRTIO_BT_F_MSFT_EXT", "Microsoft vendor extension", NULL},
	{2, "VIRTIO_BT_F_AOSP_EXT", "Android vendor extension", NULL},
};

static const struct feature_bit gpio_bits[] = {
	{0, "VIRTIO_GPIO_F_IRQ", "interrupts on GPIO lines", NULL},
};

struct feature_table {
	unsigned device_id;
	const struct feature_bit *bits;
	size_t n;
};

#define TABLE(id, t) {id, t, ARRAY_SIZE(t)}

/* Entropy and input define no bits of their own. */
static const struct feature_table tables[] = {
	TABLE(VIRTIO_DEV_NET, net_bits),
	TABLE(VIRTIO_DEV_BLOCK, blk_bits),
	TABLE(VIRTIO_DEV_CONSOLE, console_bits),
	TABLE(VIRTIO_DEV_BALLOON, balloon_bits),
	TABLE(VIRTIO_DEV_SCSI, scsi_bits),
	TABLE(VIRTIO_DEV_9P, p9_bits),
	TABLE(VIRTIO_DEV_GPU, gpu_bits),
	TABLE(VIRTIO_DEV_CLOCK, clock_bits),
	TABLE(VIRTIO_DEV_VSOCK, vsock_bits),
	TABLE(VIRTIO_DEV_CRYPTO, crypto_bits),
	TABLE(VIRTIO_DEV_IOMMU, iommu_bits),
	TABLE(VIRTIO_DEV_MEM, mem_bits),
	TABLE(VIRTIO_DEV_SOUND, sound_bits),
	TABLE(VIRTIO_DEV_FS, fs_bits),
	TABLE(VIRTIO_DEV_PMEM, pmem_bits),
	TABLE(VIRTIO_DEV_SCMI, scmi_bits),
	TABLE(VIRTIO_DEV_I2C, i2c_bits),
	TABLE(VIRTIO_DEV_CAN, can_bits),
	TABLE(VIRTIO_DEV_BLUETOOTH, bluetooth_bits),
	TABLE(VIRTIO_DEV_GPIO, gpio_bits),
};

/* clang-format on */
static const struct feature_table transport = TABLE(0, transport_bits);
static const struct feature_table no_bits = {0, NULL, 0};

static const struct feature_table *device_table(unsigned device_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (tables[i].device_id == device_id)
			return &tables[i];
	return &no_bits;
}

static const struct feature_bit *find_bit(const struct feature_table *t, unsigned bit)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->bits[i].bit == bit)
			return &t->bits[i];
	return NULL;
}

bool virtio_feature_is_transport(unsigned bit)
{
	return (bit >= 24 && bit <= 41) || bit == VIRTIO_FB_SUSPEND;
}

const struct feature_bit *virtio_feature(unsigned device_id, unsigned bit)
{
	if (virtio_feature_is_transport(bit))
		return find_bit(&transport, bit);
	return find_bit(device_table(device_id), bit);
}

const char *virtio_feature_name(unsigned device_id, unsigned bit)
{
	const struct feature_bit *f = virtio_feature(device_id, bit);

	return f ? f->name : NULL;
}

const char *virtio_feature_short(const char *name)
{
	const char *p = strstr(name, "_F_");

	if (p)
		return p + 3;
	/* VIRTIO_9P_MOUNT_TAG has no "_F_": drop "VIRTIO_9P_" instead. */
	if (strncmp(name, "VIRTIO_", 7) == 0 && (p = strchr(name + 7, '_')) != NULL)
		return p + 1;
	return name;
}

static bool name_matches(const char *full, const char *name)
{
	return full &&
	       (strcasecmp(full, name) == 0 || strcasecmp(virtio_feature_short(full), name) == 0);
}

static int search_name(const struct feature_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct feature_bit *f = &t->bits[i];

		if (name_matches(f->name, name) || name_matches(f->alias, name))
			return (int)f->bit;
	}
	return -1;
}

int virtio_feature_by_name(unsigned device_id, const char *name)
{
	int bit;

	if (!name || !*name)
		return -1;
	bit = search_name(device_table(device_id), name);
	return bit >= 0 ? bit : search_name(&transport, name);
}

size_t virtio_feature_names(unsigned device_id, const struct feature_bit **out, size_t max)
{
	const struct feature_table *d = device_table(device_id);
	size_t i = 0, j = 0, n = 0;

	while (i < d->n || j < transport.n) {
		const struct feature_bit *f;

		if (j == transport.n || (i < d->n && d->bits[i].bit < transport.bits[j].bit))
			f = &d->bits[i++];
		else
			f = &transport.bits[j++];
		if (n < max)
			out[n] = f;
		n++;
	}
	return n;
}

bool vfeatures_has(const struct vfeatures *f, unsigned bit)
{
	return bit / 32 < f->nwords && bit / 32 < VIRTIO_FEATURE_WORDS &&
	       (f->w[bit / 32] >> (bit % 32) & 1);
}

uint64_t vfeatures_low64(const struct vfeatures *f)
{
	return (f->nwords > 0 ? f->w[0] : 0) | (uint64_t)(f->nwords > 1 ? f->w[1] : 0) << 32;
}

const char *vfeatures_hex(const struct vfeatures *f, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_puts(&b, "0x");
	for (unsigned i = f->nwords; i-- > 0 && sb_ok(&b);)
		sb_hex(&b, f->w[i], 8);
	return buf;
}

#define DEP(bit) (UINT64_C(1) << (bit))

/* virtio 1.3, 5.1.3.1 (network device: "Feature bit requirements") and
 * 5.2.5.2 (block device: "MUST offer [FLUSH] if they offer
 * VIRTIO_BLK_F_CONFIG_WCE"). */
static const struct feature_dep deps[] = {
	{VIRTIO_DEV_NET, 7, DEP(1), "5.1.3.1"},		    /* GUEST_TSO4: GUEST_CSUM */
	{VIRTIO_DEV_NET, 8, DEP(1), "5.1.3.1"},		    /* GUEST_TSO6: GUEST_CSUM */
	{VIRTIO_DEV_NET, 9, DEP(7) | DEP(8), "5.1.3.1"},    /* GUEST_ECN: GUEST_TSO4 or 6 */
	{VIRTIO_DEV_NET, 10, DEP(1), "5.1.3.1"},	    /* GUEST_UFO: GUEST_CSUM */
	{VIRTIO_DEV_NET, 11, DEP(0), "5.1.3.1"},	    /* HOST_TSO4: CSUM */
	{VIRTIO_DEV_NET, 12, DEP(0), "5.1.3.1"},	    /* HOST_TSO6: CSUM */
	{VIRTIO_DEV_NET, 13, DEP(11) | DEP(12), "5.1.3.1"}, /* HOST_ECN: HOST_TSO4 or 6 */
	{VIRTIO_DEV_NET, 14, DEP(0), "5.1.3.1"},	    /* HOST_UFO: CSUM */
	{VIRTIO_DEV_NET, 18, DEP(17), "5.1.3.1"},	    /* CTRL_RX: CTRL_VQ */
	{VIRTIO_DEV_NET, 19, DEP(17), "5.1.3.1"},	    /* CTRL_VLAN: CTRL_VQ */
	{VIRTIO_DEV_NET, 21, DEP(17), "5.1.3.1"},	    /* GUEST_ANNOUNCE: CTRL_VQ */
	{VIRTIO_DEV_NET, 22, DEP(17), "5.1.3.1"},	    /* MQ: CTRL_VQ */
	{VIRTIO_DEV_NET, 23, DEP(17), "5.1.3.1"},	    /* CTRL_MAC_ADDR: CTRL_VQ */
	{VIRTIO_DEV_NET, 60, DEP(17), "5.1.3.1"},	    /* RSS: CTRL_VQ */
	{VIRTIO_DEV_BLOCK, 11, DEP(9), "5.2.5.2"},	    /* CONFIG_WCE: FLUSH */
};

const struct feature_dep *virtio_feature_deps(size_t *count)
{
	*count = ARRAY_SIZE(deps);
	return deps;
}
