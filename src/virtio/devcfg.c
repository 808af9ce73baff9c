#include "virtio/devcfg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/ids.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FB(bit)	      (UINT64_C(1) << (bit))

#define HEX8  "0x%02" PRIx64
#define HEX16 "0x%04" PRIx64
#define HEX32 "0x%08" PRIx64

/* clang-format off */
/* Shorthand for the table rows below: position, then type and size. */
#define AT(k, l, off) .key = (k), .label = (l), .offset = (off)
#define U8 .kind = CF_U8, .size = 1
#define U16 .kind = CF_U16, .size = 2
#define U32 .kind = CF_U32, .size = 4
#define U64 .kind = CF_U64, .size = 8
#define X64 .kind = CF_X64, .size = 8
#define STRUCT(members, sz) .kind = CF_STRUCT, .size = (sz), .sub = (members), \
			    .nsub = ARRAY_SIZE(members)

/* Feature bits that make fields exist, by the spec's feature names. */
enum {
	NET_F_MTU = 3,
	NET_F_STATUS = 16,
	NET_F_MQ = 22,
	NET_F_HASH_TUNNEL = 51,
	NET_F_HASH_REPORT = 57,
	NET_F_RSS = 60,
	NET_F_SPEED_DUPLEX = 63,
	BLK_F_SIZE_MAX = 1,
	BLK_F_SEG_MAX = 2,
	BLK_F_GEOMETRY = 4,
	BLK_F_BLK_SIZE = 6,
	BLK_F_TOPOLOGY = 10,
	BLK_F_CONFIG_WCE = 11,
	BLK_F_MQ = 12,
	BLK_F_DISCARD = 13,
	BLK_F_WRITE_ZEROES = 14,
	BLK_F_SECURE_ERASE = 16,
	BLK_F_ZONED = 17,
	CONSOLE_F_SIZE = 0,
	CONSOLE_F_MULTIPORT = 1,
	BALLOON_F_FREE_PAGE_HINT = 3,
	BALLOON_F_PAGE_POISON = 4,
	GPU_F_BLOB_ALIGNMENT = 5,
	P9_F_MOUNT_TAG = 0,
	FS_F_NOTIFICATION = 0,
	IOMMU_F_INPUT_RANGE = 0,
	IOMMU_F_DOMAIN_RANGE = 1,
	IOMMU_F_PROBE = 4,
	IOMMU_F_BYPASS_CONFIG = 6,
	MEM_F_ACPI_PXM = 0,
	SND_F_CTLS = 0,
};

/* ---- network device ---- */

/* virtio 1.3, 5.1.4.1 Device Requirements: Device configuration layout. */
static const struct cfg_range net_pairs_range = {1, 0x8000, false, "5.1.4.1"};
static const struct cfg_range net_mtu_range = {68, 65535, false, "5.1.4.1"};
static const struct cfg_range net_key_range = {40, 0xff, false, "5.1.4.1"};
static const struct cfg_range net_indir_range = {128, 0xffff, false, "5.1.4.1"};

static const struct cfg_name net_status[] = {{1, "LINK_UP"}, {2, "ANNOUNCE"}, {0, NULL}};
static const struct cfg_name net_speed[] = {{0xffffffff, "unknown"}, {0, NULL}};
static const struct cfg_name net_duplex[] = {
	{0x00, "half"}, {0x01, "full"}, {0xff, "unknown"}, {0, NULL}};
static const struct cfg_name net_hash_types[] = {
	{1u << 0, "IPv4"},  {1u << 1, "TCPv4"},  {1u << 2, "UDPv4"},
	{1u << 3, "IPv6"},  {1u << 4, "TCPv6"},  {1u << 5, "UDPv6"},
	{1u << 6, "IP_EX"}, {1u << 7, "TCP_EX"}, {1u << 8, "UDP_EX"}, {0, NULL}};
static const struct cfg_name net_tunnel_types[] = {
	{1u << 0, "GRE_2784"},  {1u << 1, "GRE_2890"},  {1u << 2, "GRE_7676"},
	{1u << 3, "GRE_UDP"},   {1u << 4, "VXLAN"},     {1u << 5, "VXLAN_GPE"},
	{1u << 6, "GENEVE"},    {1u << 7, "IPIP"},      {1u << 8, "NVGRE"}, {0, NULL}};

/* The spec: mac always exists, though it is only valid with VIRTIO_NET_F_MAC. */
static const struct cfg_field net_fields[] = {
	{AT("mac", "MAC address", 0), .kind = CF_MAC, .size = 6},
	{AT("status", "Status", 6), U16, .features = FB(NET_F_STATUS), .fmt = HEX16,
	 .flags = net_status},
	{AT("max_virtqueue_pairs", "Max virtqueue pairs", 8), U16,
	 .features = FB(NET_F_MQ) | FB(NET_F_RSS), .range = &net_pairs_range},
	{AT("mtu", "MTU", 10), U16, .features = FB(NET_F_MTU), .range = &net_mtu_range},
	{AT("speed", "Speed (Mbit/s)", 12), U32, .features = FB(NET_F_SPEED_DUPLEX),
	 .values = net_speed},
	{AT("duplex", "Duplex", 16), U8, .features = FB(NET_F_SPEED_DUPLEX), .fmt = HEX8,
	 .values = net_duplex},
	{AT("rss_max_key_size", "RSS max key size", 17), U8,
	 .features = FB(NET_F_RSS) | FB(NET_F_HASH_REPORT), .range = &net_key_range},
	{AT("rss_max_indirection_table_length", "RSS max indirection table length", 18), U16,
	 .features = FB(NET_F_RSS), .range = &net_indir_range},
	{AT("supported_hash_types", "Supported hash types", 20), U32,
	 .features = FB(NET_F_RSS) | FB(NET_F_HASH_REPORT), .fmt = HEX32,
	 .flags = net_hash_types},
	{AT("supported_tunnel_types", "Supported tunnel types", 24), U32,
	 .features = FB(NET_F_HASH_TUNNEL), .fmt = HEX32, .flags = net_tunnel_types},
};

/* ---- block device ---- */

static const struct cfg_field blk_geometry[] = {
	{AT("cylinders", "Cylinders", 0), U16},
	{AT("heads", "Heads", 2), U8},
	{AT("sectors", "Sectors", 3), U8},
};

static const struct cfg_field blk_topology[] = {
	{AT("physical_block_exp", "Physical block exponent", 0), U8},
	{AT("alignment_offset", "Alignment offset", 1), U8},
	{AT("min_io_size", "Min I/O size (blocks)", 2), U16},
	{AT("opt_io_size", "Optimal I/O size (blocks)", 4), U32},
};

static const struct cfg_name blk_zoned_model[] = {
	{0, "none"}, {1, "host-managed"}, {2, "host-aware"}, {0, NULL}};

static const struct cfg_field blk_zoned[] = {
	{AT("zone_sectors", "Zone sectors", 0), U32, .unit = 512},
	{AT("max_open_zones", "Max open zones", 4), U32},
	{AT("max_active_zones", "Max active zones", 8), U32},
	{AT("max_append_sectors", "Max append sectors", 12), U32, .unit = 512},
	{AT("write_granularity", "Write granularity (bytes)", 16), U32},
	{AT("model", "Model", 20), U8, .values = blk_zoned_model},
};

static const struct cfg_name blk_writeback[] = {{0, "writethrough"}, {1, "writeback"}, {0, NULL}};

static const struct cfg_field blk_fields[] = {
	{AT("capacity", "Capacity (512-byte sectors)", 0), U64, .unit = 512},
	{AT("size_max", "Max segment size", 8), U32, .features = FB(BLK_F_SIZE_MAX)},
	{AT("seg_max", "Max segments", 12), U32, .features = FB(BLK_F_SEG_MAX)},
	{AT("geometry", "Geometry", 16), STRUCT(blk_geometry, 4),
	 .features = FB(BLK_F_GEOMETRY)},
	{AT("blk_size", "Block size", 20), U32, .features = FB(BLK_F_BLK_SIZE)},
	{AT("topology", "Topology", 24), STRUCT(blk_topology, 8),
	 .features = FB(BLK_F_TOPOLOGY)},
	{AT("writeback", "Cache mode", 32), U8, .features = FB(BLK_F_CONFIG_WCE),
	 .values = blk_writeback},
	{AT("num_queues", "Queues", 34), U16, .features = FB(BLK_F_MQ)},
	{AT("max_discard_sectors", "Max discard sectors", 36), U32,
	 .features = FB(BLK_F_DISCARD)},
	{AT("max_discard_seg", "Max discard segments", 40), U32, .features = FB(BLK_F_DISCARD)},
	{AT("discard_sector_alignment", "Discard sector alignment", 44), U32,
	 .features = FB(BLK_F_DISCARD)},
	{AT("max_write_zeroes_sectors", "Max write zeroes sectors", 48), U32,
	 .features = FB(BLK_F_WRITE_ZEROES)},
	{AT("max_write_zeroes_seg", "Max write zeroes segments", 52), U32,
	 .features = FB(BLK_F_WRITE_ZEROES)},
	{AT("write_zeroes_may_unmap", "Write zeroes may unmap", 56), U8,
	 .features = FB(BLK_F_WRITE_ZEROES)},
	{AT("max_secure_erase_sectors", "Max secure erase sectors", 60), U32,
	 .features = FB(BLK_F_SECURE_ERASE)},
	{AT("max_secure_erase_seg", "Max secure erase segments", 64), U32,
	 .features = FB(BLK_F_SECURE_ERASE)},
	{AT("secure_erase_sector_alignment", "Secure erase sector alignment", 68), U32,
	 .features = FB(BLK_F_SECURE_ERASE)},
	{AT("zoned", "Zoned characteristics", 72), STRUCT(blk_zoned, 24),
	 .features = FB(BLK_F_ZONED)},
};

/* ---- console, balloon, SCSI ---- */

/* emerg_wr (offset 8) is write-only: what a read returns means nothing. */
static const struct cfg_field console_fields[] = {
	{AT("cols", "Columns", 0), U16, .features = FB(CONSOLE_F_SIZE)},
	{AT("rows", "Rows", 2), U16, .features = FB(CONSOLE_F_SIZE)},
	{AT("max_nr_ports", "Max ports", 4), U32, .features = FB(CONSOLE_F_MULTIPORT)},
};

static const struct cfg_name balloon_cmd_id[] = {{0, "STOP"}, {1, "DONE"}, {0, NULL}};

/* Balloon page counts are in 4096-byte pages whatever the guest page size. */
static const struct cfg_field balloon_fields[] = {
	{AT("num_pages", "Requested pages", 0), U32, .unit = 4096},
	{AT("actual", "Actual pages", 4), U32, .unit = 4096},
	{AT("free_page_hint_cmd_id", "Free page hint command ID", 8), U32,
	 .features = FB(BALLOON_F_FREE_PAGE_HINT), .values = balloon_cmd_id},
	{AT("poison_val", "Poison value", 12), U32, .features = FB(BALLOON_F_PAGE_POISON),
	 .fmt = HEX32},
};

/* virtio 1.3, 5.6.4: "max_channel SHOULD be zero. max_target SHOULD be
 * less than or equal to 255. max_lun SHOULD be less than or equal to
 * 16383." */
static const struct cfg_range scsi_channel_range = {0, 0, true, "5.6.4"};
static const struct cfg_range scsi_target_range = {0, 255, true, "5.6.4"};
static const struct cfg_range scsi_lun_range = {0, 16383, true, "5.6.4"};

static const struct cfg_field scsi_fields[] = {
	{AT("num_queues", "Request queues", 0), U32},
	{AT("seg_max", "Max segments", 4), U32},
	{AT("max_sectors", "Max sectors", 8), U32},
	{AT("cmd_per_lun", "Commands per LUN", 12), U32},
	{AT("event_info_size", "Event info size", 16), U32},
	{AT("sense_size", "Sense size", 20), U32},
	{AT("cdb_size", "CDB size", 24), U32},
	{AT("max_channel", "Max channel", 28), U16, .range = &scsi_channel_range},
	{AT("max_target", "Max target", 30), U16, .range = &scsi_target_range},
	{AT("max_lun", "Max LUN", 32), U32, .range = &scsi_lun_range},
};

/* ---- GPU, input, vsock ---- */

static const struct cfg_name gpu_events[] = {{1, "DISPLAY"}, {0, NULL}};

/* events_clear (offset 4) is write-to-clear, not state. */
static const struct cfg_field gpu_fields[] = {
	{AT("events_read", "Pending events", 0), U32, .fmt = HEX32, .flags = gpu_events},
	{AT("num_scanouts", "Scanouts", 8), U32},
	{AT("num_capsets", "Capability sets", 12), U32},
	/* virtio 1.4 */
	{AT("blob_alignment", "Blob alignment", 16), U32, .features = FB(GPU_F_BLOB_ALIGNMENT)},
};

static const struct cfg_name input_select[] = {
	{0x00, "UNSET"},     {0x01, "ID_NAME"},   {0x02, "ID_SERIAL"}, {0x03, "ID_DEVIDS"},
	{0x10, "PROP_BITS"}, {0x11, "EV_BITS"},   {0x12, "ABS_INFO"},  {0, NULL}};

static const struct cfg_field input_devids[] = {
	{AT("bustype", "Bus type", 0), U16, .fmt = HEX16},
	{AT("vendor", "Vendor", 2), U16, .fmt = HEX16},
	{AT("product", "Product", 4), U16, .fmt = HEX16},
	{AT("version", "Version", 6), U16, .fmt = HEX16},
};

static const struct cfg_field input_absinfo[] = {
	{AT("min", "Minimum", 0), U32}, {AT("max", "Maximum", 4), U32},
	{AT("fuzz", "Fuzz", 8), U32},	{AT("flat", "Flat", 12), U32},
	{AT("res", "Resolution", 16), U32},
};

/* virtio 1.3 5.8.4: what the union holds for each select value. */
static const struct cfg_variant input_union[] = {
	{0x01, {AT("name", "Name", 0), .kind = CF_STR, .size = 128}},
	{0x02, {AT("serial", "Serial", 0), .kind = CF_STR, .size = 128}},
	{0x03, {AT("ids", "Device IDs", 0), STRUCT(input_devids, 8)}},
	{0x10, {AT("prop_bits", "Property bits", 0), .kind = CF_BYTES, .size = 128}},
	{0x11, {AT("ev_bits", "Event bits", 0), .kind = CF_BYTES, .size = 128}},
	{0x12, {AT("abs", "Absolute axis", 0), STRUCT(input_absinfo, 20)}},
};

/* The union answers whatever select/subsel the driver last wrote; walking
 * it would take config writes, so it is shown as it stands: raw, and
 * decoded as the member the current select names. */
static const struct cfg_field input_fields[] = {
	{AT("select", "Select", 0), U8, .fmt = HEX8, .values = input_select},
	{AT("subsel", "Subselect", 1), U8, .fmt = HEX8},
	{AT("size", "Size", 2), U8},
	{AT("u", "Selected data", 8), .kind = CF_BYTES, .size = 128},
	{AT("selected", "Selected", 8), .kind = CF_UNION, .size = 128, .variants = input_union,
	 .nvariants = ARRAY_SIZE(input_union), .select_at = 0},
};

/* The upper 32 bits of the CID are reserved and zero. */
static const struct cfg_field vsock_fields[] = {
	{AT("guest_cid", "Guest CID", 0), U64},
};

/* ---- crypto ---- */

static const struct cfg_name crypto_status[] = {{1, "HW_READY"}, {0, NULL}};
static const struct cfg_name crypto_services[] = {
	{1u << 0, "CIPHER"}, {1u << 1, "HASH"}, {1u << 2, "MAC"},
	{1u << 3, "AEAD"},   {1u << 4, "AKCIPHER"}, {1u << 5, "IPSEC"}, {0, NULL}};
/* The algorithm masks set bit n for algorithm number n. */
static const struct cfg_name crypto_ciphers[] = {
	{1u << 0, "NO_CIPHER"}, {1u << 1, "ARC4"},        {1u << 2, "AES_ECB"},
	{1u << 3, "AES_CBC"},   {1u << 4, "AES_CTR"},     {1u << 5, "DES_ECB"},
	{1u << 6, "DES_CBC"},   {1u << 7, "3DES_ECB"},    {1u << 8, "3DES_CBC"},
	{1u << 9, "3DES_CTR"},  {1u << 10, "KASUMI_F8"},  {1u << 11, "SNOW3G_UEA2"},
	{1u << 12, "AES_F8"},   {1u << 13, "AES_XTS"},    {1u << 14, "ZUC_EEA3"}, {0, NULL}};
static const struct cfg_name crypto_hashes[] = {
	{1u << 0, "NO_HASH"},   {1u << 1, "MD5"},        {1u << 2, "SHA1"},
	{1u << 3, "SHA_224"},   {1u << 4, "SHA_256"},    {1u << 5, "SHA_384"},
	{1u << 6, "SHA_512"},   {1u << 7, "SHA3_224"},   {1u << 8, "SHA3_256"},
	{1u << 9, "SHA3_384"},  {1u << 10, "SHA3_512"},  {1u << 11, "SHA3_SHAKE128"},
	{1u << 12, "SHA3_SHAKE256"}, {0, NULL}};
static const struct cfg_name crypto_macs_lo[] = {
	{1u << 0, "NO_MAC"},       {1u << 1, "HMAC_MD5"},     {1u << 2, "HMAC_SHA1"},
	{1u << 3, "HMAC_SHA_224"}, {1u << 4, "HMAC_SHA_256"}, {1u << 5, "HMAC_SHA_384"},
	{1u << 6, "HMAC_SHA_512"}, {1u << 25, "CMAC_3DES"},   {1u << 26, "CMAC_AES"},
	{1u << 27, "KASUMI_F9"},   {1u << 28, "SNOW3G_UIA2"}, {0, NULL}};
/* mac_algo_h holds algorithms 32..63: bit n - 32. */
static const struct cfg_name crypto_macs_hi[] = {
	{1u << (41 - 32), "GMAC_AES"},   {1u << (42 - 32), "GMAC_TWOFISH"},
	{1u << (49 - 32), "CBCMAC_AES"}, {1u << (50 - 32), "CBCMAC_KASUMI_F9"},
	{1u << (53 - 32), "XCBC_AES"},   {1u << (54 - 32), "ZUC_EIA3"}, {0, NULL}};
static const struct cfg_name crypto_aeads[] = {
	{1u << 0, "NO_AEAD"}, {1u << 1, "GCM"}, {1u << 2, "CCM"},
	{1u << 3, "CHACHA20_POLY1305"}, {0, NULL}};
static const struct cfg_name crypto_akciphers[] = {
	{1u << 0, "NO_AKCIPHER"}, {1u << 1, "RSA"}, {1u << 2, "ECDSA"}, {0, NULL}};

static const struct cfg_field crypto_fields[] = {
	{AT("status", "Status", 0), U32, .fmt = HEX32, .flags = crypto_status},
	{AT("max_dataqueues", "Max data queues", 4), U32},
	{AT("crypto_services", "Services", 8), U32, .fmt = HEX32, .flags = crypto_services},
	{AT("cipher_algo_l", "Cipher algorithms (low)", 12), U32, .fmt = HEX32,
	 .flags = crypto_ciphers},
	{AT("cipher_algo_h", "Cipher algorithms (high)", 16), U32, .fmt = HEX32},
	{AT("hash_algo", "Hash algorithms", 20), U32, .fmt = HEX32, .flags = crypto_hashes},
	{AT("mac_algo_l", "MAC algorithms (low)", 24), U32, .fmt = HEX32,
	 .flags = crypto_macs_lo},
	{AT("mac_algo_h", "MAC algorithms (high)", 28), U32, .fmt = HEX32,
	 .flags = crypto_macs_hi},
	{AT("aead_algo", "AEAD algorithms", 32), U32, .fmt = HEX32, .flags = crypto_aeads},
	{AT("max_cipher_key_len", "Max cipher key length", 36), U32},
	{AT("max_auth_key_len", "Max auth key length", 40), U32},
	{AT("akcipher_algo", "Akcipher algorithms", 44), U32, .fmt = HEX32,
	 .flags = crypto_akciphers},
	{AT("max_size", "Max request size", 48), U64},
};

/* ---- 9P, file system, PMEM ---- */

/* Not in the spec: Linux's and QEMU's struct virtio_9p_config, a le16
 * length and then the tag without a NUL. */
static const struct cfg_field p9_fields[] = {
	{AT("tag_len", "Tag length", 0), U16, .features = FB(P9_F_MOUNT_TAG)},
	{AT("tag", "Mount tag", 2), .kind = CF_LSTR16, .size = 0,
	 .features = FB(P9_F_MOUNT_TAG)},
};

/* virtio 1.3, 5.11.4.2: "The device MUST set num_request_queues to 1 or
 * greater." */
static const struct cfg_range fs_queues_range = {1, 0xffffffff, false, "5.11.4.2"};

static const struct cfg_field fs_fields[] = {
	{AT("tag", "Tag", 0), .kind = CF_STR, .size = 36},
	{AT("num_request_queues", "Request queues", 36), U32, .range = &fs_queues_range},
	{AT("notify_buf_size", "Notify buffer size", 40), U32,
	 .features = FB(FS_F_NOTIFICATION)},
};

/* Both are meaningless once VIRTIO_PMEM_F_SHMEM_REGION is negotiated, but
 * they exist either way. */
static const struct cfg_field pmem_fields[] = {
	{AT("start", "Start address", 0), X64},
	{AT("size", "Size", 8), U64, .unit = 1},
};

/* ---- IOMMU, memory, sound ---- */

static const struct cfg_field iommu_range64[] = {
	{AT("start", "Start", 0), X64},
	{AT("end", "End", 8), X64},
};

static const struct cfg_field iommu_range32[] = {
	{AT("start", "Start", 0), U32},
	{AT("end", "End", 4), U32},
};

static const struct cfg_field iommu_fields[] = {
	{AT("page_size_mask", "Page size mask", 0), X64},
	{AT("input_range", "Input range", 8), STRUCT(iommu_range64, 16),
	 .features = FB(IOMMU_F_INPUT_RANGE)},
	{AT("domain_range", "Domain range", 24), STRUCT(iommu_range32, 8),
	 .features = FB(IOMMU_F_DOMAIN_RANGE)},
	{AT("probe_size", "Probe size", 32), U32, .features = FB(IOMMU_F_PROBE)},
	{AT("bypass", "Bypass", 36), U8, .features = FB(IOMMU_F_BYPASS_CONFIG)},
};

/* node_id always exists, but the driver must ignore it without ACPI_PXM. */
static const struct cfg_field mem_fields[] = {
	{AT("block_size", "Block size", 0), U64, .unit = 1},
	{AT("node_id", "Node ID", 8), U16, .features = FB(MEM_F_ACPI_PXM)},
	{AT("addr", "Region address", 16), X64},
	{AT("region_size", "Region size", 24), U64, .unit = 1},
	{AT("usable_region_size", "Usable region size", 32), U64, .unit = 1},
	{AT("plugged_size", "Plugged size", 40), U64, .unit = 1},
	{AT("requested_size", "Requested size", 48), U64, .unit = 1},
};

static const struct cfg_field sound_fields[] = {
	{AT("jacks", "Jacks", 0), U32},
	{AT("streams", "PCM streams", 4), U32},
	{AT("chmaps", "Channel maps", 8), U32},
	{AT("controls", "Control elements", 12), U32, .features = FB(SND_F_CTLS)},
};

/* ---- RPMB, GPIO, CAN, SPI ---- */

static const struct cfg_field rpmb_fields[] = {
	{AT("capacity", "Capacity (128 KiB units)", 0), U8, .unit = 128 * 1024},
	{AT("max_wr_cnt", "Max write blocks", 1), U8},
	{AT("max_rd_cnt", "Max read blocks", 2), U8},
};

static const struct cfg_field gpio_fields[] = {
	{AT("ngpio", "GPIO lines", 0), U16},
	{AT("gpio_names_size", "Line names size", 4), U32},
};

static const struct cfg_name can_status[] = {{1, "BUSOFF"}, {0, NULL}};

/* virtio 1.4 */
static const struct cfg_field can_fields[] = {
	{AT("status", "Status", 0), U16, .fmt = HEX16, .flags = can_status},
};

static const struct cfg_name spi_nbits[] = {{1, "DUAL"}, {2, "QUAD"}, {4, "OCTAL"}, {0, NULL}};

/* virtio 1.4 */
/* virtio 1.4, Media Device: Device Configuration Layout */
static const struct cfg_field media_fields[] = {
	{AT("device_caps", "Device capabilities", 0), U32, .fmt = HEX32},
	{AT("device_type", "Device type", 4), U32},
	{AT("card", "Card", 8), .kind = CF_STR, .size = 32},
};

static const struct cfg_field spi_fields[] = {
	{AT("cs_max_number", "Max chip selects", 0), U8},
	{AT("cs_change_supported", "CS change supported", 1), U8},
	{AT("tx_nbits_supported", "TX n-bit modes", 2), U8, .fmt = HEX8, .flags = spi_nbits},
	{AT("rx_nbits_supported", "RX n-bit modes", 3), U8, .fmt = HEX8, .flags = spi_nbits},
	{AT("bits_per_word_mask", "Bits per word mask", 4), U32, .fmt = HEX32},
	{AT("mode_func_supported", "Mode functions", 8), U32, .fmt = HEX32},
	{AT("max_freq_hz", "Max frequency (Hz)", 12), U32},
	{AT("max_word_delay_ns", "Max word delay (ns)", 16), U32},
	{AT("max_cs_setup_ns", "Max CS setup (ns)", 20), U32},
	{AT("max_cs_hold_ns", "Max CS hold (ns)", 24), U32},
	{AT("max_cs_inactive_ns", "Max CS inactive (ns)", 28), U32},
};

#define LAYOUT(id, f, sz) {id, f, ARRAY_SIZE(f), sz}
#define EMPTY(id) {id, NULL, 0, 0}

static const struct cfg_layout layouts[] = {
	LAYOUT(VIRTIO_DEV_NET, net_fields, 28),
	LAYOUT(VIRTIO_DEV_BLOCK, blk_fields, 96),
	LAYOUT(VIRTIO_DEV_CONSOLE, console_fields, 12),
	EMPTY(VIRTIO_DEV_ENTROPY),
	LAYOUT(VIRTIO_DEV_BALLOON, balloon_fields, 16),
	LAYOUT(VIRTIO_DEV_SCSI, scsi_fields, 36),
	LAYOUT(VIRTIO_DEV_9P, p9_fields, 2),
	LAYOUT(VIRTIO_DEV_GPU, gpu_fields, 20),
	LAYOUT(VIRTIO_DEV_INPUT, input_fields, 136),
	LAYOUT(VIRTIO_DEV_VSOCK, vsock_fields, 8),
	LAYOUT(VIRTIO_DEV_CRYPTO, crypto_fields, 56),
	LAYOUT(VIRTIO_DEV_IOMMU, iommu_fields, 40),
	LAYOUT(VIRTIO_DEV_MEM, mem_fields, 56),
	LAYOUT(VIRTIO_DEV_SOUND, sound_fields, 16),
	LAYOUT(VIRTIO_DEV_FS, fs_fields, 44),
	LAYOUT(VIRTIO_DEV_PMEM, pmem_fields, 16),
	LAYOUT(VIRTIO_DEV_RPMB, rpmb_fields, 3),
	EMPTY(VIRTIO_DEV_SCMI),
	EMPTY(VIRTIO_DEV_I2C),
	LAYOUT(VIRTIO_DEV_CAN, can_fields, 2),
	LAYOUT(VIRTIO_DEV_GPIO, gpio_fields, 8),
	LAYOUT(VIRTIO_DEV_SPI, spi_fields, 32),
	LAYOUT(VIRTIO_DEV_MEDIA, media_fields, 40),
};

/* clang-format on */
const struct cfg_layout *virtio_cfg_layout(unsigned device_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].device_id == device_id)
			return &layouts[i];
	return NULL;
}

const struct cfg_layout *virtio_cfg_layouts(size_t *count)
{
	*count = ARRAY_SIZE(layouts);
	return layouts;
}

/* ---- the decoder ---- */

/* JSON numbers pass through a double; above this they would lose bits. */
#define JSON_EXACT_MAX (UINT64_C(1) << 53)

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static bool offered(const struct cfg_field *f, uint64_t features, bool known)
{
	return f->features == 0 || !known || (f->features & features) != 0;
}

/* For range checks: the field exists for certain. */
static bool offered_bits(const struct cfg_field *f, uint64_t offered)
{
	return f->features == 0 || (f->features & offered) != 0;
}

/* Whether the field's bytes lie inside the region. The variable-size tag
 * takes its size from the le16 just before it. */
static bool field_fits(const struct cfg_field *f, const uint8_t *cfg, unsigned len, unsigned off)
{
	unsigned size = f->size;

	if (f->kind == CF_LSTR16) {
		if (off < 2 || off > len)
			return false;
		size = (unsigned)get_le(cfg + off - 2, 2);
	}
	return off <= len && size <= len - off;
}

static const char *value_name(const struct cfg_name *names, uint64_t v)
{
	for (; names && names->name; names++)
		if (names->value == v)
			return names->name;
	return NULL;
}

static void annotate_flags(struct rnode *n, const struct cfg_name *flags, uint64_t v)
{
	char buf[512] = "";
	size_t used = 0;
	uint64_t rest = v;

	for (; flags->name; flags++) {
		if ((v & flags->value) != flags->value || flags->value == 0)
			continue;
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? " " : "",
					 flags->name);
		rest &= ~flags->value;
		if (used >= sizeof(buf))
			return;
	}
	if (rest)
		snprintf(buf + used, sizeof(buf) - used, "%s0x%" PRIx64, used ? " " : "", rest);
	if (buf[0])
		r_annot_str(n, buf);
}

static void annotate_size(struct rnode *n, uint64_t count, uint64_t unit)
{
	static const char *const sfx[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	uint64_t bytes, scale = 1;
	unsigned i = 0;

	if (count > UINT64_MAX / unit)
		return;
	bytes = count * unit;
	while (i + 1 < ARRAY_SIZE(sfx) && bytes / scale >= 1024) {
		scale *= 1024;
		i++;
	}
	if (bytes % scale == 0)
		r_annot(n, "%" PRIu64 " %s", bytes / scale, sfx[i]);
	else
		r_annot(n, "%.1f %s", (double)bytes / (double)scale, sfx[i]);
}

static void emit_number(const struct cfg_field *f, uint64_t v, struct rnode *out)
{
	struct rnode *n;
	const char *name;

	if (f->kind == CF_X64 || (f->kind == CF_U64 && v >= JSON_EXACT_MAX)) {
		r_hex64(out, f->key, f->label, v);
		return;
	}
	n = r_uint(out, f->key, f->label, v, f->fmt);
	name = value_name(f->values, v);
	if (name)
		r_annot_str(n, name);
	else if (f->flags)
		annotate_flags(n, f->flags, v);
	else if (f->unit && v)
		annotate_size(n, v, f->unit);
}

/* Length of the valid UTF-8 sequence at p, or 0. Overlong forms are let
 * through; the point is output that stays well-formed, not validation. */
static unsigned utf8_len(const uint8_t *p, unsigned avail)
{
	unsigned n = 0;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	if (n == 0 || n > avail)
		return 0;
	for (unsigned i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Device strings go to a terminal and into JSON: bytes that are neither
 * printable ASCII nor valid UTF-8 become '?'. Stops at the first NUL. */
static void emit_string(const struct cfg_field *f, const uint8_t *p, unsigned size,
			struct rnode *out)
{
	/* Table string fields are at most a few hundred bytes; longer ones
	 * are cut, never overrun. */
	char s[1024];
	unsigned i = 0, o = 0;

	if (size > sizeof(s) - 1)
		size = sizeof(s) - 1;
	while (i < size && p[i]) {
		unsigned u = p[i] >= 0x80 ? utf8_len(p + i, size - i) : 0;

		if (u) {
			memcpy(s + o, p + i, u);
			o += u;
			i += u;
			continue;
		}
		/* ASCII is kept as it is, control bytes too: JSON escapes them
		 * and text shows them as \xNN (util/escape.h). Bytes that are
		 * not UTF-8 cannot go into a JSON string: '?'. */
		s[o++] = p[i] < 0x80 ? (char)p[i] : '?';
		i++;
	}
	s[o] = '\0';
	r_str(out, f->key, f->label, s);
}

static void emit_mac(const struct cfg_field *f, const uint8_t *p, struct rnode *out)
{
	r_strf(out, f->key, f->label, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4],
	       p[5]);
}

static void decode_fields(const struct cfg_field *fields, size_t n, const uint8_t *cfg,
			  unsigned len, unsigned base, uint64_t features, bool known,
			  struct rnode *out);

static void decode_field(const struct cfg_field *f, const uint8_t *cfg, unsigned len, unsigned base,
			 uint64_t features, bool known, struct rnode *out);

static void decode_union(const struct cfg_field *f, const uint8_t *cfg, unsigned len, unsigned base,
			 unsigned off, uint64_t features, bool known, struct rnode *out)
{
	unsigned sel;

	if (base + f->select_at >= len)
		return;
	sel = cfg[base + f->select_at];
	for (size_t i = 0; i < f->nvariants; i++)
		if (f->variants[i].value == sel)
			decode_field(&f->variants[i].field, cfg, len, off, features, known,
				     r_obj(out, f->key, f->label));
}

static void decode_field(const struct cfg_field *f, const uint8_t *cfg, unsigned len, unsigned base,
			 uint64_t features, bool known, struct rnode *out)
{
	unsigned off = base + f->offset;

	if (!offered(f, features, known) || !field_fits(f, cfg, len, off))
		return;
	switch (f->kind) {
	case CF_U8:
	case CF_U16:
	case CF_U32:
	case CF_U64:
	case CF_X64:
		emit_number(f, get_le(cfg + off, f->size), out);
		break;
	case CF_MAC:
		emit_mac(f, cfg + off, out);
		break;
	case CF_STR:
		emit_string(f, cfg + off, f->size, out);
		break;
	case CF_LSTR16:
		emit_string(f, cfg + off, (unsigned)get_le(cfg + off - 2, 2), out);
		break;
	case CF_BYTES:
		r_bytes(out, f->key, f->label, cfg + off, f->size);
		break;
	case CF_STRUCT:
		decode_fields(f->sub, f->nsub, cfg, len, off, features, known,
			      r_obj(out, f->key, f->label));
		break;
	case CF_UNION:
		decode_union(f, cfg, len, base, off, features, known, out);
		break;
	}
}

static void decode_fields(const struct cfg_field *fields, size_t n, const uint8_t *cfg,
			  unsigned len, unsigned base, uint64_t features, bool known,
			  struct rnode *out)
{
	for (size_t i = 0; i < n; i++)
		decode_field(&fields[i], cfg, len, base, features, known, out);
}

void virtio_cfg_decode(const struct cfg_layout *l, const uint8_t *cfg, unsigned len,
		       uint64_t offered_features, bool features_known, struct rnode *out)
{
	if (!l || !cfg)
		return;
	decode_fields(l->fields, l->nfields, cfg, len, 0, offered_features, features_known, out);
}

static void ranges_of(const struct cfg_field *fields, size_t n, const uint8_t *cfg, unsigned len,
		      unsigned base, uint64_t offered, cfg_range_fn *fn, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_field *f = &fields[i];
		unsigned off = base + f->offset;

		if (!offered_bits(f, offered) || !field_fits(f, cfg, len, off))
			continue;
		if (f->kind == CF_STRUCT)
			ranges_of(f->sub, f->nsub, cfg, len, off, offered, fn, ctx);
		else if (f->range && f->kind <= CF_X64)
			fn(ctx, f, off, get_le(cfg + off, f->size));
	}
}

void virtio_cfg_ranges(const struct cfg_layout *l, const uint8_t *cfg, unsigned len,
		       uint64_t offered, cfg_range_fn *fn, void *ctx)
{
	if (l && cfg)
		ranges_of(l->fields, l->nfields, cfg, len, 0, offered, fn, ctx);
}

void virtio_cfg_hexdump(const uint8_t *cfg, unsigned len, struct rnode *out)
{
	r_bytes(out, "raw", "Raw bytes", cfg, cfg ? len : 0);
}
