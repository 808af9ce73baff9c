/* The virtio decoder tables checked against the virtio 1.3 specification:
 * device IDs, PCI ID mapping, feature bit names, and configuration layouts
 * decoded from byte images built here. */
#include "check.h"
#include "format/render.h"
#include "format/report.h"
#include "virtio/devcfg.h"
#include "virtio/features.h"
#include "virtio/ids.h"
#include "virtio/vdev.h"

#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FB(bit)	      (UINT64_C(1) << (bit))

/* ---- helpers: byte images and report lookups ---- */

static void put16(uint8_t *b, unsigned off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, unsigned off, uint32_t v)
{
	put16(b, off, (uint16_t)v);
	put16(b, off + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *b, unsigned off, uint64_t v)
{
	put32(b, off, (uint32_t)v);
	put32(b, off + 4, (uint32_t)(v >> 32));
}

static struct rnode *decode(unsigned dev, const uint8_t *cfg, unsigned len, uint64_t features,
			    bool known)
{
	struct rnode *root = r_new_root();
	const struct cfg_layout *l = virtio_cfg_layout(dev);

	CHECK(l != NULL);
	virtio_cfg_decode(l, cfg, len, features, known, root);
	return root;
}

static void num_at(const struct rnode *root, const char *path, uint64_t want, int line)
{
	const struct rnode *n = r_path(root, path);

	check_impl(n && n->kind == R_UINT, __FILE__, line, path);
	if (n && n->kind == R_UINT)
		check_eq_u64(n->v.u, want, __FILE__, line, path);
}

static void str_at(const struct rnode *root, const char *path, const char *want, int line)
{
	const struct rnode *n = r_path(root, path);

	check_impl(n && n->kind == R_STR, __FILE__, line, path);
	check_eq_str(n && n->kind == R_STR ? n->v.s : NULL, want, __FILE__, line, path);
}

static void annot_at(const struct rnode *root, const char *path, const char *want, int line)
{
	const struct rnode *n = r_path(root, path);

	check_eq_str(n ? n->annot : NULL, want, __FILE__, line, path);
}

static void absent_at(const struct rnode *root, const char *path, int line)
{
	check_impl(r_path(root, path) == NULL, __FILE__, line, path);
}

#define CHECK_NUM(r, p, w)   num_at((r), (p), (w), __LINE__)
#define CHECK_STRAT(r, p, w) str_at((r), (p), (w), __LINE__)
#define CHECK_ANNOT(r, p, w) annot_at((r), (p), (w), __LINE__)
#define CHECK_ABSENT(r, p)   absent_at((r), (p), __LINE__)

/* ---- device IDs ---- */

/* clang-format off */
/* Every ID in the 1.3 "Device Types" table (14, 15 and 37 are unassigned). */
static const unsigned spec_ids[] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23,
	24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 38, 39, 40, 41, 42, 43, 44, 45,
	/* virtio 1.4 */
	46, 47, 48, 49,
};

/* clang-format on */
static void test_type_names(void)
{
	CHECK_STR(virtio_type_name(1), "net");
	CHECK_STR(virtio_type_name(2), "block");
	CHECK_STR(virtio_type_name(3), "console");
	CHECK_STR(virtio_type_name(4), "entropy");
	CHECK_STR(virtio_type_name(5), "balloon");
	CHECK_STR(virtio_type_name(8), "scsi");
	CHECK_STR(virtio_type_name(9), "9p");
	CHECK_STR(virtio_type_name(16), "gpu");
	CHECK_STR(virtio_type_name(18), "input");
	CHECK_STR(virtio_type_name(19), "vsock");
	CHECK_STR(virtio_type_name(20), "crypto");
	CHECK_STR(virtio_type_name(23), "iommu");
	CHECK_STR(virtio_type_name(24), "mem");
	CHECK_STR(virtio_type_name(25), "sound");
	CHECK_STR(virtio_type_name(26), "fs");
	CHECK_STR(virtio_type_name(27), "pmem");
	CHECK_STR(virtio_type_name(0), "unknown");
	CHECK_STR(virtio_type_name(14), "unknown");
	CHECK_STR(virtio_type_name(37), "unknown");
	CHECK_STR(virtio_type_name(1000), "unknown");
	CHECK(virtio_type_by_id(0) == NULL);
	CHECK_STR(virtio_type_by_id(1)->title, "Network device");
	CHECK_STR(virtio_type_by_id(13)->title, "Memory balloon");
	CHECK_STR(virtio_type_by_id(33)->title, "NitroSecureModule");
	/* virtio 1.4 titles */
	CHECK_STR(virtio_type_by_id(45)->title, "SPI controller");
	CHECK_STR(virtio_type_by_id(17)->title, "RTC (Real Time Clock) device");
	CHECK_STR(virtio_type_by_id(48)->title, "Media device");
	/* the device status bits by name, SUSPEND from virtio 1.4 2.1 */
	{
		char buf[128];

		CHECK_STR(virtio_status_str(0x1f, buf, sizeof(buf)),
			  "ACKNOWLEDGE DRIVER DRIVER_OK FEATURES_OK SUSPEND");
		CHECK_STR(virtio_status_str(0xc0, buf, sizeof(buf)), "DEVICE_NEEDS_RESET FAILED");
		CHECK_STR(virtio_status_str(0, buf, sizeof(buf)), "RESET");
		CHECK_STR(virtio_status_str(0xff, buf, sizeof(buf)),
			  "ACKNOWLEDGE DRIVER DRIVER_OK FEATURES_OK SUSPEND bit5 "
			  "DEVICE_NEEDS_RESET FAILED");
		/* cut as snprintf cuts: the first len - 1 bytes */
		CHECK_STR(virtio_status_str(0x03, buf, 13), "ACKNOWLEDGE ");
		CHECK_STR(virtio_status_str(0x03, buf, 12), "ACKNOWLEDGE");
		CHECK_STR(virtio_status_str(0, buf, 3), "RE");
	}
	/* feature words in hex, highest first, eight digits each */
	{
		struct vfeatures f = {.w = {0x30000000, 0x1, 0xffffffff}, .nwords = 0};
		char buf[64];

		CHECK_STR(vfeatures_hex(&f, buf, sizeof(buf)), "0x");
		f.nwords = 3;
		CHECK_STR(vfeatures_hex(&f, buf, sizeof(buf)), "0xffffffff0000000130000000");
		CHECK_STR(vfeatures_hex(&f, buf, 13), "0xffffffff00");
		CHECK_STR(vfeatures_hex(&f, buf, 2), "0");
	}
	/* VIRTIO_RING_F_* names (Linux's virtio_ring.h) are accepted */
	CHECK_EQ(virtio_feature_by_name(2, "VIRTIO_RING_F_INDIRECT_DESC"), 28);
	CHECK_EQ(virtio_feature_by_name(1, "virtio_ring_f_event_idx"), 29);
	CHECK_EQ(virtio_type_by_name("VSOCK")->id, 19);
	CHECK(virtio_type_by_name("nosuch") == NULL);
	for (size_t i = 0; i < ARRAY_SIZE(spec_ids); i++)
		CHECK(virtio_type_by_id(spec_ids[i]) != NULL);
}

static void test_type_table(void)
{
	size_t n;
	const struct virtio_type *t = virtio_types(&n);

	CHECK(n >= ARRAY_SIZE(spec_ids));
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].id != 0 && t[i].name && t[i].title);
		if (i > 0)
			CHECK(t[i - 1].id < t[i].id);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(t[i].name, t[j].name) != 0);
	}
}

static void test_pci_ids(void)
{
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x1000), VPCI_ID_TRANSITIONAL);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x103f), VPCI_ID_TRANSITIONAL);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x1040), VPCI_ID_MODERN);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x107f), VPCI_ID_MODERN);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x1080), VPCI_ID_NOT_VIRTIO);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x0fff), VPCI_ID_NOT_VIRTIO);
	CHECK_EQ(virtio_pci_classify(0x1af4, 0x1110), VPCI_ID_NOT_VIRTIO); /* ivshmem */
	CHECK_EQ(virtio_pci_classify(0x8086, 0x1041), VPCI_ID_NOT_VIRTIO);

	/* Modern: 0x1040 + device ID. */
	CHECK_EQ(virtio_pci_device_type(0x1041, 0x1100), 1);
	CHECK_EQ(virtio_pci_device_type(0x1042, 0), 2);
	CHECK_EQ(virtio_pci_device_type(0x1053, 0), 19);
	CHECK_EQ(virtio_pci_device_type(0x107f, 0), 63);
	CHECK_EQ(virtio_pci_device_type(0x1040, 0), -1);
	/* Transitional: the subsystem device ID carries the device ID. */
	CHECK_EQ(virtio_pci_device_type(0x1001, 2), 2);
	CHECK_EQ(virtio_pci_device_type(0x1000, 1), 1);
	CHECK_EQ(virtio_pci_device_type(0x103f, 18), 18);
	/* ... else the spec's transitional table. */
	CHECK_EQ(virtio_pci_device_type(0x1000, 0), 1);
	CHECK_EQ(virtio_pci_device_type(0x1001, 0), 2);
	CHECK_EQ(virtio_pci_device_type(0x1002, 0), 5);
	CHECK_EQ(virtio_pci_device_type(0x1003, 0), 3);
	CHECK_EQ(virtio_pci_device_type(0x1004, 0), 8);
	CHECK_EQ(virtio_pci_device_type(0x1005, 0), 4);
	CHECK_EQ(virtio_pci_device_type(0x1009, 0), 9);
	CHECK_EQ(virtio_pci_device_type(0x1000, 0x1100), 1);
	CHECK_EQ(virtio_pci_device_type(0x1006, 0), -1);
	CHECK_EQ(virtio_pci_device_type(0x1234, 0), -1);
}

/* ---- feature bits ---- */

struct spec_bit {
	unsigned dev, bit;
	const char *name;
};

/* clang-format off */
/* Every device feature bit of virtio 1.3, as its device type sections list
 * them (net's legacy GUEST_RSC4 aside: its bit is VIRTIO_F_ADMIN_VQ). */
static const struct spec_bit spec_bits[] = {
	{VIRTIO_DEV_NET, 0, "VIRTIO_NET_F_CSUM"},
	{VIRTIO_DEV_NET, 1, "VIRTIO_NET_F_GUEST_CSUM"},
	{VIRTIO_DEV_NET, 2, "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS"},
	{VIRTIO_DEV_NET, 3, "VIRTIO_NET_F_MTU"},
	{VIRTIO_DEV_NET, 5, "VIRTIO_NET_F_MAC"},
	{VIRTIO_DEV_NET, 6, "VIRTIO_NET_F_GSO"},
	{VIRTIO_DEV_NET, 7, "VIRTIO_NET_F_GUEST_TSO4"},
	{VIRTIO_DEV_NET, 8, "VIRTIO_NET_F_GUEST_TSO6"},
	{VIRTIO_DEV_NET, 9, "VIRTIO_NET_F_GUEST_ECN"},
	{VIRTIO_DEV_NET, 10, "VIRTIO_NET_F_GUEST_UFO"},
	{VIRTIO_DEV_NET, 11, "VIRTIO_NET_F_HOST_TSO4"},
	{VIRTIO_DEV_NET, 12, "VIRTIO_NET_F_HOST_TSO6"},
	{VIRTIO_DEV_NET, 13, "VIRTIO_NET_F_HOST_ECN"},
	{VIRTIO_DEV_NET, 14, "VIRTIO_NET_F_HOST_UFO"},
	{VIRTIO_DEV_NET, 15, "VIRTIO_NET_F_MRG_RXBUF"},
	{VIRTIO_DEV_NET, 16, "VIRTIO_NET_F_STATUS"},
	{VIRTIO_DEV_NET, 17, "VIRTIO_NET_F_CTRL_VQ"},
	{VIRTIO_DEV_NET, 18, "VIRTIO_NET_F_CTRL_RX"},
	{VIRTIO_DEV_NET, 19, "VIRTIO_NET_F_CTRL_VLAN"},
	{VIRTIO_DEV_NET, 20, "VIRTIO_NET_F_CTRL_RX_EXTRA"},
	{VIRTIO_DEV_NET, 21, "VIRTIO_NET_F_GUEST_ANNOUNCE"},
	{VIRTIO_DEV_NET, 22, "VIRTIO_NET_F_MQ"},
	{VIRTIO_DEV_NET, 23, "VIRTIO_NET_F_CTRL_MAC_ADDR"},
	{VIRTIO_DEV_NET, 42, "VIRTIO_NET_F_GUEST_RSC6"},
	{VIRTIO_DEV_NET, 51, "VIRTIO_NET_F_HASH_TUNNEL"},
	{VIRTIO_DEV_NET, 52, "VIRTIO_NET_F_VQ_NOTF_COAL"},
	{VIRTIO_DEV_NET, 53, "VIRTIO_NET_F_NOTF_COAL"},
	{VIRTIO_DEV_NET, 54, "VIRTIO_NET_F_GUEST_USO4"},
	{VIRTIO_DEV_NET, 55, "VIRTIO_NET_F_GUEST_USO6"},
	{VIRTIO_DEV_NET, 56, "VIRTIO_NET_F_HOST_USO"},
	{VIRTIO_DEV_NET, 57, "VIRTIO_NET_F_HASH_REPORT"},
	{VIRTIO_DEV_NET, 59, "VIRTIO_NET_F_GUEST_HDRLEN"},
	{VIRTIO_DEV_NET, 60, "VIRTIO_NET_F_RSS"},
	{VIRTIO_DEV_NET, 61, "VIRTIO_NET_F_RSC_EXT"},
	{VIRTIO_DEV_NET, 62, "VIRTIO_NET_F_STANDBY"},
	{VIRTIO_DEV_NET, 63, "VIRTIO_NET_F_SPEED_DUPLEX"},
	{VIRTIO_DEV_BLOCK, 0, "VIRTIO_BLK_F_BARRIER"},
	{VIRTIO_DEV_BLOCK, 1, "VIRTIO_BLK_F_SIZE_MAX"},
	{VIRTIO_DEV_BLOCK, 2, "VIRTIO_BLK_F_SEG_MAX"},
	{VIRTIO_DEV_BLOCK, 4, "VIRTIO_BLK_F_GEOMETRY"},
	{VIRTIO_DEV_BLOCK, 5, "VIRTIO_BLK_F_RO"},
	{VIRTIO_DEV_BLOCK, 6, "VIRTIO_BLK_F_BLK_SIZE"},
	{VIRTIO_DEV_BLOCK, 7, "VIRTIO_BLK_F_SCSI"},
	{VIRTIO_DEV_BLOCK, 9, "VIRTIO_BLK_F_FLUSH"},
	{VIRTIO_DEV_BLOCK, 10, "VIRTIO_BLK_F_TOPOLOGY"},
	{VIRTIO_DEV_BLOCK, 11, "VIRTIO_BLK_F_CONFIG_WCE"},
	{VIRTIO_DEV_BLOCK, 12, "VIRTIO_BLK_F_MQ"},
	{VIRTIO_DEV_BLOCK, 13, "VIRTIO_BLK_F_DISCARD"},
	{VIRTIO_DEV_BLOCK, 14, "VIRTIO_BLK_F_WRITE_ZEROES"},
	{VIRTIO_DEV_BLOCK, 15, "VIRTIO_BLK_F_LIFETIME"},
	{VIRTIO_DEV_BLOCK, 16, "VIRTIO_BLK_F_SECURE_ERASE"},
	{VIRTIO_DEV_BLOCK, 17, "VIRTIO_BLK_F_ZONED"},
	{VIRTIO_DEV_CONSOLE, 0, "VIRTIO_CONSOLE_F_SIZE"},
	{VIRTIO_DEV_CONSOLE, 1, "VIRTIO_CONSOLE_F_MULTIPORT"},
	{VIRTIO_DEV_CONSOLE, 2, "VIRTIO_CONSOLE_F_EMERG_WRITE"},
	{VIRTIO_DEV_BALLOON, 0, "VIRTIO_BALLOON_F_MUST_TELL_HOST"},
	{VIRTIO_DEV_BALLOON, 1, "VIRTIO_BALLOON_F_STATS_VQ"},
	{VIRTIO_DEV_BALLOON, 2, "VIRTIO_BALLOON_F_DEFLATE_ON_OOM"},
	{VIRTIO_DEV_BALLOON, 3, "VIRTIO_BALLOON_F_FREE_PAGE_HINT"},
	{VIRTIO_DEV_BALLOON, 4, "VIRTIO_BALLOON_F_PAGE_POISON"},
	{VIRTIO_DEV_BALLOON, 5, "VIRTIO_BALLOON_F_PAGE_REPORTING"},
	{VIRTIO_DEV_SCSI, 0, "VIRTIO_SCSI_F_INOUT"},
	{VIRTIO_DEV_SCSI, 1, "VIRTIO_SCSI_F_HOTPLUG"},
	{VIRTIO_DEV_SCSI, 2, "VIRTIO_SCSI_F_CHANGE"},
	{VIRTIO_DEV_SCSI, 3, "VIRTIO_SCSI_F_T10_PI"},
	{VIRTIO_DEV_GPU, 0, "VIRTIO_GPU_F_VIRGL"},
	{VIRTIO_DEV_GPU, 1, "VIRTIO_GPU_F_EDID"},
	{VIRTIO_DEV_GPU, 2, "VIRTIO_GPU_F_RESOURCE_UUID"},
	{VIRTIO_DEV_GPU, 3, "VIRTIO_GPU_F_RESOURCE_BLOB"},
	{VIRTIO_DEV_GPU, 4, "VIRTIO_GPU_F_CONTEXT_INIT"},
	{VIRTIO_DEV_VSOCK, 0, "VIRTIO_VSOCK_F_STREAM"},
	{VIRTIO_DEV_VSOCK, 1, "VIRTIO_VSOCK_F_SEQPACKET"},
	{VIRTIO_DEV_VSOCK, 2, "VIRTIO_VSOCK_F_NO_IMPLIED_STREAM"},
	{VIRTIO_DEV_CRYPTO, 0, "VIRTIO_CRYPTO_F_REVISION_1"},
	{VIRTIO_DEV_CRYPTO, 1, "VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE"},
	{VIRTIO_DEV_CRYPTO, 2, "VIRTIO_CRYPTO_F_HASH_STATELESS_MODE"},
	{VIRTIO_DEV_CRYPTO, 3, "VIRTIO_CRYPTO_F_MAC_STATELESS_MODE"},
	{VIRTIO_DEV_CRYPTO, 4, "VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE"},
	{VIRTIO_DEV_CRYPTO, 5, "VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE"},
	{VIRTIO_DEV_IOMMU, 0, "VIRTIO_IOMMU_F_INPUT_RANGE"},
	{VIRTIO_DEV_IOMMU, 1, "VIRTIO_IOMMU_F_DOMAIN_RANGE"},
	{VIRTIO_DEV_IOMMU, 2, "VIRTIO_IOMMU_F_MAP_UNMAP"},
	{VIRTIO_DEV_IOMMU, 3, "VIRTIO_IOMMU_F_BYPASS"},
	{VIRTIO_DEV_IOMMU, 4, "VIRTIO_IOMMU_F_PROBE"},
	{VIRTIO_DEV_IOMMU, 5, "VIRTIO_IOMMU_F_MMIO"},
	{VIRTIO_DEV_IOMMU, 6, "VIRTIO_IOMMU_F_BYPASS_CONFIG"},
	{VIRTIO_DEV_MEM, 0, "VIRTIO_MEM_F_ACPI_PXM"},
	{VIRTIO_DEV_MEM, 1, "VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE"},
	{VIRTIO_DEV_SOUND, 0, "VIRTIO_SND_F_CTLS"},
	{VIRTIO_DEV_FS, 0, "VIRTIO_FS_F_NOTIFICATION"},
	{VIRTIO_DEV_PMEM, 0, "VIRTIO_PMEM_F_SHMEM_REGION"},
	{VIRTIO_DEV_SCMI, 0, "VIRTIO_SCMI_F_P2A_CHANNELS"},
	{VIRTIO_DEV_SCMI, 1, "VIRTIO_SCMI_F_SHARED_MEMORY"},
	{VIRTIO_DEV_I2C, 0, "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST"},
	{VIRTIO_DEV_GPIO, 0, "VIRTIO_GPIO_F_IRQ"},
};

/* "Reserved Feature Bits" and its legacy section. */
static const struct spec_bit spec_transport[] = {
	{0, 24, "VIRTIO_F_NOTIFY_ON_EMPTY"}, {0, 27, "VIRTIO_F_ANY_LAYOUT"},
	{0, 28, "VIRTIO_F_INDIRECT_DESC"},   {0, 29, "VIRTIO_F_EVENT_IDX"},
	{0, 30, "UNUSED"},                   {0, 32, "VIRTIO_F_VERSION_1"},
	{0, 33, "VIRTIO_F_ACCESS_PLATFORM"}, {0, 34, "VIRTIO_F_RING_PACKED"},
	{0, 35, "VIRTIO_F_IN_ORDER"},        {0, 36, "VIRTIO_F_ORDER_PLATFORM"},
	{0, 37, "VIRTIO_F_SR_IOV"},          {0, 38, "VIRTIO_F_NOTIFICATION_DATA"},
	{0, 39, "VIRTIO_F_NOTIF_CONFIG_DATA"}, {0, 40, "VIRTIO_F_RING_RESET"},
	{0, 41, "VIRTIO_F_ADMIN_VQ"},
};

/* clang-format on */
static void test_feature_spec_lists(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(spec_bits); i++) {
		const struct spec_bit *s = &spec_bits[i];

		CHECK_STR(virtio_feature_name(s->dev, s->bit), s->name);
		CHECK_EQ(virtio_feature_by_name(s->dev, s->name), s->bit);
	}
	for (size_t i = 0; i < ARRAY_SIZE(spec_transport); i++) {
		const struct spec_bit *s = &spec_transport[i];

		/* Transport bits mean the same on every device, known or not. */
		CHECK_STR(virtio_feature_name(VIRTIO_DEV_NET, s->bit), s->name);
		CHECK_STR(virtio_feature_name(VIRTIO_DEV_ENTROPY, s->bit), s->name);
		CHECK_STR(virtio_feature_name(99, s->bit), s->name);
		CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_BLOCK, s->name), s->bit);
	}
}

static void test_feature_lookup(void)
{
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "VIRTIO_F_VERSION_1"), 32);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "version_1"), 32);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_ENTROPY, "Version_1"), 32);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "csum"), 0);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "virtio_net_f_guest_csum"), 1);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "MQ"), 22);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_BLOCK, "MQ"), 12);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_BLOCK, "CSUM"), -1);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "F_CSUM"), -1);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, ""), -1);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, NULL), -1);
	/* Aliases from Linux, QEMU and older specs. */
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "VIRTIO_F_IOMMU_PLATFORM"), 33);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_BLOCK, "wce"), 9);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_BALLOON, "REPORTING"), 5);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_NET, "bad_feature"), 30);
	CHECK_EQ(virtio_feature_by_name(VIRTIO_DEV_9P, "MOUNT_TAG"), 0);

	CHECK(virtio_feature_name(VIRTIO_DEV_NET, 4) == NULL);
	CHECK(virtio_feature_name(VIRTIO_DEV_NET, 58) == NULL);
	CHECK(virtio_feature_name(VIRTIO_DEV_NET, 31) == NULL);
	CHECK(virtio_feature_name(VIRTIO_DEV_ENTROPY, 0) == NULL);
	CHECK(virtio_feature_name(VIRTIO_DEV_INPUT, 0) == NULL);
	CHECK(virtio_feature_name(99, 0) == NULL);
	CHECK(virtio_feature_name(VIRTIO_DEV_NET, 200) == NULL);
	CHECK_STR(virtio_feature_name(VIRTIO_DEV_9P, 0), "VIRTIO_9P_MOUNT_TAG");
	CHECK_STR(virtio_feature_name(VIRTIO_DEV_NET, 41), "VIRTIO_F_ADMIN_VQ");
	CHECK_STR(virtio_feature(VIRTIO_DEV_NET, 32)->desc, "complies with virtio 1.0 or later");
	CHECK_STR(virtio_feature_short("VIRTIO_NET_F_GUEST_USO4"), "GUEST_USO4");
	CHECK_STR(virtio_feature_short("UNUSED"), "UNUSED");
	CHECK_STR(virtio_feature_short("VIRTIO_9P_MOUNT_TAG"), "MOUNT_TAG");
	CHECK(virtio_feature_is_transport(24) && virtio_feature_is_transport(41));
	CHECK(!virtio_feature_is_transport(23) && !virtio_feature_is_transport(42));
}

/* Holds for every device type: ordered, round-trips by either name, and no
 * device bit hides in the transport range. */
static void check_feature_table(unsigned dev)
{
	const struct feature_bit *all[128];
	size_t n = virtio_feature_names(dev, all, ARRAY_SIZE(all));

	CHECK(n <= ARRAY_SIZE(all));
	CHECK_EQ(virtio_feature_names(dev, NULL, 0), n);
	for (size_t i = 0; i < n && i < ARRAY_SIZE(all); i++) {
		const struct feature_bit *f = all[i];

		CHECK(f->name && f->desc && *f->desc);
		if (i > 0)
			CHECK(all[i - 1]->bit < f->bit);
		CHECK(virtio_feature(dev, f->bit) == f);
		CHECK_EQ(virtio_feature_by_name(dev, f->name), f->bit);
		CHECK_EQ(virtio_feature_by_name(dev, virtio_feature_short(f->name)), f->bit);
		if (f->alias)
			CHECK_EQ(virtio_feature_by_name(dev, f->alias), f->bit);
	}
}

static void test_feature_tables(void)
{
	const struct feature_bit *one[1];

	for (unsigned dev = 0; dev < 64; dev++)
		check_feature_table(dev);
	/* Entropy has only the device-independent bits. */
	CHECK_EQ(virtio_feature_names(VIRTIO_DEV_ENTROPY, NULL, 0), ARRAY_SIZE(spec_transport) + 1);
	/* net: 36 bits from 1.3 (GUEST_RSC4 left out), 8 from 1.4; 16 transport. */
	CHECK_EQ(virtio_feature_names(VIRTIO_DEV_NET, one, 1), 36 + 8 + 16);
	CHECK_STR(one[0]->name, "VIRTIO_NET_F_CSUM");
}

/* ---- configuration layouts: the tables themselves ---- */

static unsigned kind_size(enum cfg_kind k)
{
	switch (k) {
	case CF_U8:
		return 1;
	case CF_U16:
		return 2;
	case CF_U32:
		return 4;
	case CF_U64:
	case CF_X64:
		return 8;
	case CF_MAC:
		return 6;
	default:
		return 0;
	}
}

static void check_fields(unsigned dev, const struct cfg_field *f, size_t n, unsigned size)
{
	unsigned end = 0;

	for (size_t i = 0; i < n; i++) {
		CHECK(f[i].key && f[i].label);
		/* Increasing, not overlapping; a union is a second view of the
		 * bytes of the field just before it. */
		if (f[i].kind == CF_UNION)
			CHECK(i > 0 && f[i].offset == f[i - 1].offset &&
			      f[i].size == f[i - 1].size && f[i].select_at < f[i].offset);
		else
			CHECK(f[i].offset >= end);
		end = f[i].offset + f[i].size;
		CHECK(end <= size);
		if (kind_size(f[i].kind))
			CHECK_EQ(f[i].size, kind_size(f[i].kind));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(f[i].key, f[j].key) != 0);
		for (unsigned b = 0; b < 64; b++)
			if (f[i].features & FB(b))
				CHECK(virtio_feature_name(dev, b) != NULL);
		if (f[i].kind == CF_STRUCT)
			check_fields(dev, f[i].sub, f[i].nsub, f[i].size);
		for (size_t v = 0; f[i].kind == CF_UNION && v < f[i].nvariants; v++) {
			check_fields(dev, &f[i].variants[v].field, 1, f[i].size);
			for (size_t w = 0; w < v; w++)
				CHECK(f[i].variants[v].value != f[i].variants[w].value);
		}
		CHECK((f[i].kind == CF_UNION) == (f[i].nvariants > 0));
		/* A variable tail ends the struct, after the le16 giving its size. */
		if (f[i].kind == CF_LSTR16)
			CHECK(i == n - 1 && i > 0 && f[i - 1].kind == CF_U16 &&
			      f[i - 1].offset + 2 == f[i].offset && f[i].size == 0);
	}
}

static void test_layout_tables(void)
{
	size_t n;
	const struct cfg_layout *l = virtio_cfg_layouts(&n);

	CHECK(n >= 16);
	for (size_t i = 0; i < n; i++) {
		CHECK(virtio_type_by_id(l[i].device_id) != NULL);
		CHECK(virtio_cfg_layout(l[i].device_id) == &l[i]);
		check_fields(l[i].device_id, l[i].fields, l[i].nfields, l[i].size);
	}
	CHECK(virtio_cfg_layout(VIRTIO_DEV_ENTROPY) &&
	      virtio_cfg_layout(VIRTIO_DEV_ENTROPY)->nfields == 0);
	CHECK(virtio_cfg_layout(30) == NULL);
	CHECK(virtio_cfg_layout(0) == NULL);
}

static const struct cfg_field *field(unsigned dev, const char *key)
{
	const struct cfg_layout *l = virtio_cfg_layout(dev);

	for (size_t i = 0; l && i < l->nfields; i++)
		if (strcmp(l->fields[i].key, key) == 0)
			return &l->fields[i];
	return NULL;
}

/* Sizes of the spec's structs, summed by hand from the listings. */
static void test_layout_sizes(void)
{
	const struct cfg_field *f = field(VIRTIO_DEV_NET, "supported_hash_types");

	CHECK(f && f->offset + f->size == 24);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_NET)->size, 28);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_BLOCK)->size, 96);
	CHECK_EQ(field(VIRTIO_DEV_BLOCK, "zoned")->offset, 72);
	CHECK_EQ(field(VIRTIO_DEV_BLOCK, "num_queues")->offset, 34);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_CONSOLE)->size, 12);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_BALLOON)->size, 16);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_SCSI)->size, 36);
	/* 16 in 1.3; 1.4 appends blob_alignment. */
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_GPU)->size, 20);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_INPUT)->size, 136);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_VSOCK)->size, 8);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_CRYPTO)->size, 56);
	CHECK_EQ(field(VIRTIO_DEV_CRYPTO, "max_size")->offset, 48);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_FS)->size, 44);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_PMEM)->size, 16);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_IOMMU)->size, 40);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_MEM)->size, 56);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_SOUND)->size, 16);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_GPIO)->size, 8);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_RPMB)->size, 3);
	CHECK_EQ(virtio_cfg_layout(VIRTIO_DEV_9P)->size, 2);
}

/* ---- configuration layouts: decoding ---- */

static void net_image(uint8_t *b)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memset(b, 0, 28);
	memcpy(b, mac, 6);
	put16(b, 6, 1);	    /* VIRTIO_NET_S_LINK_UP */
	put16(b, 8, 4);	    /* max_virtqueue_pairs */
	put16(b, 10, 1500); /* mtu */
	put32(b, 12, 10000);
	b[16] = 1; /* full duplex */
	b[17] = 40;
	put16(b, 18, 128);
	put32(b, 20, 0x3f);
}

static void test_net(void)
{
	uint8_t b[28];
	uint64_t feat = FB(5) | FB(16) | FB(22) | FB(3) | FB(63) | FB(32);
	struct rnode *r;
	char *json;

	net_image(b);
	r = decode(VIRTIO_DEV_NET, b, sizeof(b), feat, true);
	CHECK_STRAT(r, "mac", "52:54:00:12:34:56");
	CHECK_NUM(r, "status", 1);
	CHECK_ANNOT(r, "status", "LINK_UP");
	CHECK_NUM(r, "max_virtqueue_pairs", 4);
	CHECK_NUM(r, "mtu", 1500);
	CHECK_NUM(r, "speed", 10000);
	CHECK_NUM(r, "duplex", 1);
	CHECK_ANNOT(r, "duplex", "full");
	CHECK_ABSENT(r, "rss_max_key_size");
	CHECK_ABSENT(r, "supported_hash_types");
	CHECK_ABSENT(r, "supported_tunnel_types");
	CHECK_EQ(r_count(r), 6);
	json = render_json_string(r, false);
	CHECK(json && strstr(json, "\"mac\":\"52:54:00:12:34:56\"") != NULL);
	CHECK(json && strstr(json, "\"mtu\":1500") != NULL);
	free(json);
	r_free(r);
}

static void test_net_gates(void)
{
	uint8_t b[28];
	struct rnode *r;

	net_image(b);
	put16(b, 6, 3);
	put32(b, 12, 0xffffffff);
	/* Hash reporting alone brings the key size and hash types, not the
	 * indirection table. */
	r = decode(VIRTIO_DEV_NET, b, sizeof(b), FB(16) | FB(57) | FB(63), true);
	CHECK_ANNOT(r, "status", "LINK_UP ANNOUNCE");
	CHECK_ABSENT(r, "max_virtqueue_pairs");
	CHECK_ABSENT(r, "mtu");
	CHECK_ANNOT(r, "speed", "unknown");
	CHECK_NUM(r, "rss_max_key_size", 40);
	CHECK_ABSENT(r, "rss_max_indirection_table_length");
	CHECK_NUM(r, "supported_hash_types", 0x3f);
	CHECK_ANNOT(r, "supported_hash_types", "IPv4 TCPv4 UDPv4 IPv6 TCPv6 UDPv6");
	r_free(r);
	/* RSS alone brings max_virtqueue_pairs too. */
	r = decode(VIRTIO_DEV_NET, b, sizeof(b), FB(60), true);
	CHECK_NUM(r, "max_virtqueue_pairs", 4);
	CHECK_NUM(r, "rss_max_indirection_table_length", 128);
	CHECK_ABSENT(r, "status");
	r_free(r);
	/* Unknown features: every field that fits. */
	r = decode(VIRTIO_DEV_NET, b, sizeof(b), 0, false);
	CHECK_EQ(r_count(r), 10);
	r_free(r);
}

static void test_net_truncated(void)
{
	uint8_t b[28];
	struct rnode *r;

	net_image(b);
	r = decode(VIRTIO_DEV_NET, b, 8, 0, false);
	CHECK_STRAT(r, "mac", "52:54:00:12:34:56");
	CHECK_NUM(r, "status", 1);
	CHECK_EQ(r_count(r), 2);
	r_free(r);
	r = decode(VIRTIO_DEV_NET, b, 7, 0, false);
	CHECK_EQ(r_count(r), 1);
	r_free(r);
	r = decode(VIRTIO_DEV_NET, b, 0, 0, false);
	CHECK_EQ(r_count(r), 0);
	r_free(r);
}

static void blk_image(uint8_t *b)
{
	memset(b, 0, 96);
	put64(b, 0, 2048);
	put32(b, 8, 65536);
	put32(b, 12, 126);
	put16(b, 16, 2);
	b[18] = 16;
	b[19] = 63;
	put32(b, 20, 512);
	b[24] = 3;
	b[25] = 1;
	put16(b, 26, 8);
	put32(b, 28, 256);
	b[32] = 1;
	put16(b, 34, 2);
	put32(b, 36, 0x3fffff);
	put32(b, 40, 1);
	put32(b, 44, 8);
	put32(b, 72, 524288);
	b[92] = 1;
}

static void test_blk(void)
{
	uint8_t b[96];
	uint64_t feat = FB(1) | FB(2) | FB(4) | FB(6) | FB(10) | FB(11) | FB(12) | FB(13);
	struct rnode *r;

	blk_image(b);
	r = decode(VIRTIO_DEV_BLOCK, b, sizeof(b), feat, true);
	CHECK_NUM(r, "capacity", 2048);
	CHECK_ANNOT(r, "capacity", "1 MiB");
	CHECK_NUM(r, "size_max", 65536);
	CHECK_NUM(r, "seg_max", 126);
	CHECK_NUM(r, "geometry.cylinders", 2);
	CHECK_NUM(r, "geometry.heads", 16);
	CHECK_NUM(r, "geometry.sectors", 63);
	CHECK_NUM(r, "blk_size", 512);
	CHECK_NUM(r, "topology.physical_block_exp", 3);
	CHECK_NUM(r, "topology.alignment_offset", 1);
	CHECK_NUM(r, "topology.min_io_size", 8);
	CHECK_NUM(r, "topology.opt_io_size", 256);
	CHECK_NUM(r, "writeback", 1);
	CHECK_ANNOT(r, "writeback", "writeback");
	CHECK_NUM(r, "num_queues", 2);
	CHECK_NUM(r, "max_discard_sectors", 0x3fffff);
	CHECK_NUM(r, "discard_sector_alignment", 8);
	CHECK_ABSENT(r, "max_write_zeroes_sectors");
	CHECK_ABSENT(r, "write_zeroes_may_unmap");
	CHECK_ABSENT(r, "max_secure_erase_sectors");
	CHECK_ABSENT(r, "zoned");
	CHECK(r_path(r, "geometry")->kind == R_OBJ);
	r_free(r);
}

static void test_blk_zoned_truncated(void)
{
	uint8_t b[96];
	struct rnode *r;

	blk_image(b);
	r = decode(VIRTIO_DEV_BLOCK, b, sizeof(b), FB(17), true);
	CHECK_NUM(r, "capacity", 2048);
	CHECK_ABSENT(r, "geometry");
	CHECK_NUM(r, "zoned.zone_sectors", 524288);
	CHECK_ANNOT(r, "zoned.zone_sectors", "256 MiB");
	CHECK_NUM(r, "zoned.model", 1);
	CHECK_ANNOT(r, "zoned.model", "host-managed");
	r_free(r);
	/* A region that ends inside the zoned struct loses all of it, and one
	 * that ends inside topology keeps geometry. */
	r = decode(VIRTIO_DEV_BLOCK, b, 95, 0, false);
	CHECK_ABSENT(r, "zoned");
	CHECK_NUM(r, "secure_erase_sector_alignment", 0);
	r_free(r);
	r = decode(VIRTIO_DEV_BLOCK, b, 30, 0, false);
	CHECK_NUM(r, "geometry.heads", 16);
	CHECK_NUM(r, "blk_size", 512);
	CHECK_ABSENT(r, "topology");
	CHECK_EQ(r_count(r), 5);
	r_free(r);
}

static void test_console_balloon(void)
{
	uint8_t b[16] = {0};
	struct rnode *r;

	put16(b, 0, 80);
	put16(b, 2, 25);
	put32(b, 4, 31);
	put32(b, 8, 'x');
	r = decode(VIRTIO_DEV_CONSOLE, b, 12, FB(0) | FB(1) | FB(2), true);
	CHECK_NUM(r, "cols", 80);
	CHECK_NUM(r, "rows", 25);
	CHECK_NUM(r, "max_nr_ports", 31);
	CHECK_ABSENT(r, "emerg_wr");
	r_free(r);
	r = decode(VIRTIO_DEV_CONSOLE, b, 12, FB(1), true);
	CHECK_ABSENT(r, "cols");
	CHECK_NUM(r, "max_nr_ports", 31);
	r_free(r);

	memset(b, 0, sizeof(b));
	put32(b, 0, 256);
	put32(b, 4, 128);
	put32(b, 8, 1);
	put32(b, 12, 0xaa);
	r = decode(VIRTIO_DEV_BALLOON, b, 16, FB(3), true);
	CHECK_NUM(r, "num_pages", 256);
	CHECK_ANNOT(r, "num_pages", "1 MiB");
	CHECK_NUM(r, "actual", 128);
	CHECK_ANNOT(r, "actual", "512 KiB");
	CHECK_NUM(r, "free_page_hint_cmd_id", 1);
	CHECK_ANNOT(r, "free_page_hint_cmd_id", "DONE");
	CHECK_ABSENT(r, "poison_val");
	r_free(r);
}

static void test_scsi(void)
{
	static const uint32_t v32[] = {4, 126, 0xffff, 128, 16, 96, 32};
	uint8_t b[36];
	struct rnode *r;

	for (unsigned i = 0; i < ARRAY_SIZE(v32); i++)
		put32(b, 4 * i, v32[i]);
	put16(b, 28, 0);
	put16(b, 30, 255);
	put32(b, 32, 16383);
	r = decode(VIRTIO_DEV_SCSI, b, sizeof(b), 0, true);
	CHECK_NUM(r, "num_queues", 4);
	CHECK_NUM(r, "seg_max", 126);
	CHECK_NUM(r, "max_sectors", 0xffff);
	CHECK_NUM(r, "cmd_per_lun", 128);
	CHECK_NUM(r, "event_info_size", 16);
	CHECK_NUM(r, "sense_size", 96);
	CHECK_NUM(r, "cdb_size", 32);
	CHECK_NUM(r, "max_channel", 0);
	CHECK_NUM(r, "max_target", 255);
	CHECK_NUM(r, "max_lun", 16383);
	CHECK_EQ(r_count(r), 10);
	r_free(r);
}

static void test_gpu_input(void)
{
	uint8_t b[136] = {0};
	struct rnode *r;

	put32(b, 0, 1);
	put32(b, 4, 1);
	put32(b, 8, 1);
	put32(b, 12, 2);
	put32(b, 16, 4096);
	r = decode(VIRTIO_DEV_GPU, b, 20, FB(0) | FB(1), true);
	CHECK_NUM(r, "events_read", 1);
	CHECK_ANNOT(r, "events_read", "DISPLAY");
	CHECK_ABSENT(r, "events_clear");
	CHECK_NUM(r, "num_scanouts", 1);
	CHECK_NUM(r, "num_capsets", 2);
	CHECK_ABSENT(r, "blob_alignment");
	r_free(r);
	r = decode(VIRTIO_DEV_GPU, b, 16, 0, false);
	CHECK_EQ(r_count(r), 3);
	r_free(r);

	memset(b, 0, sizeof(b));
	b[0] = 0x01; /* VIRTIO_INPUT_CFG_ID_NAME */
	b[2] = 4;
	memcpy(b + 8, "QEMU", 4);
	r = decode(VIRTIO_DEV_INPUT, b, sizeof(b), 0, true);
	CHECK_NUM(r, "select", 1);
	CHECK_ANNOT(r, "select", "ID_NAME");
	CHECK_NUM(r, "subsel", 0);
	CHECK_NUM(r, "size", 4);
	CHECK(r_path(r, "u") && strncmp(r_path(r, "u")->v.s, "51454d5500", 10) == 0);
	CHECK(r_path(r, "u") && strlen(r_path(r, "u")->v.s) == 256);
	CHECK_STRAT(r, "selected.name", "QEMU");
	r_free(r);

	/* The union decoded as the member select names (virtio 1.3 5.8.4). */
	memset(b, 0, sizeof(b));
	b[0] = 0x12; /* VIRTIO_INPUT_CFG_ABS_INFO */
	b[1] = 0x01; /* ABS_Y */
	b[2] = 20;
	put32(b, 12, 32767); /* max */
	put32(b, 24, 3);     /* res */
	r = decode(VIRTIO_DEV_INPUT, b, sizeof(b), 0, true);
	CHECK_NUM(r, "selected.abs.min", 0);
	CHECK_NUM(r, "selected.abs.max", 32767);
	CHECK_NUM(r, "selected.abs.res", 3);
	CHECK_ABSENT(r, "selected.name");
	r_free(r);
	b[0] = 0x03; /* VIRTIO_INPUT_CFG_ID_DEVIDS */
	put16(b, 8, 0x06);
	put16(b, 10, 0x0627);
	r = decode(VIRTIO_DEV_INPUT, b, sizeof(b), 0, true);
	CHECK_NUM(r, "selected.ids.bustype", 6);
	CHECK_NUM(r, "selected.ids.vendor", 0x0627);
	r_free(r);
	b[0] = 0x00; /* UNSET: nothing selected */
	r = decode(VIRTIO_DEV_INPUT, b, sizeof(b), 0, true);
	CHECK_ABSENT(r, "selected");
	r_free(r);
	/* A union cut off by the region is not decoded from missing bytes. */
	b[0] = 0x01;
	r = decode(VIRTIO_DEV_INPUT, b, 100, 0, true);
	CHECK_ABSENT(r, "selected.name");
	r_free(r);
}

/* virtio 1.4: media device configuration; crypto's IPSEC service bit. */
static void test_media_crypto_14(void)
{
	uint8_t b[56] = {0};
	struct rnode *r;

	put32(b, 0, 0x04200001);
	put32(b, 4, 2);
	memcpy(b + 8, "vivid", 5);
	r = decode(VIRTIO_DEV_MEDIA, b, 40, 0, true);
	CHECK_NUM(r, "device_caps", 0x04200001);
	CHECK_NUM(r, "device_type", 2);
	CHECK_STRAT(r, "card", "vivid");
	r_free(r);
	memset(b, 0, sizeof(b));
	put32(b, 8, 1u << 5 | 1u << 0);
	r = decode(VIRTIO_DEV_CRYPTO, b, sizeof(b), 0, true);
	CHECK_ANNOT(r, "crypto_services", "CIPHER IPSEC");
	r_free(r);
}

static void test_vsock(void)
{
	uint8_t b[8];
	struct rnode *r;

	put64(b, 0, 3);
	r = decode(VIRTIO_DEV_VSOCK, b, sizeof(b), 0, true);
	CHECK_NUM(r, "guest_cid", 3);
	r_free(r);
	r = decode(VIRTIO_DEV_VSOCK, b, 4, 0, true);
	CHECK_ABSENT(r, "guest_cid");
	r_free(r);
	/* Past 2^53 a JSON number would lose bits: the value becomes a string. */
	put64(b, 0, UINT64_C(0x1000000000000001));
	r = decode(VIRTIO_DEV_VSOCK, b, sizeof(b), 0, true);
	CHECK_STRAT(r, "guest_cid", "0x1000000000000001");
	r_free(r);
}

static void test_crypto(void)
{
	uint8_t b[56] = {0};
	struct rnode *r;

	put32(b, 0, 1);
	put32(b, 4, 2);
	put32(b, 8, 0x1f);
	put32(b, 12, (1u << 3) | (1u << 31));
	put32(b, 20, 1u << 4);
	put32(b, 24, 1u << 4);
	put32(b, 28, 1u << (41 - 32));
	put32(b, 32, 1u << 1);
	put32(b, 36, 64);
	put32(b, 44, 1u << 1);
	put64(b, 48, 0xffffffff);
	r = decode(VIRTIO_DEV_CRYPTO, b, sizeof(b), 0, true);
	CHECK_NUM(r, "status", 1);
	CHECK_ANNOT(r, "status", "HW_READY");
	CHECK_NUM(r, "max_dataqueues", 2);
	CHECK_ANNOT(r, "crypto_services", "CIPHER HASH MAC AEAD AKCIPHER");
	CHECK_ANNOT(r, "cipher_algo_l", "AES_CBC 0x80000000");
	CHECK_ANNOT(r, "hash_algo", "SHA_256");
	CHECK_ANNOT(r, "mac_algo_l", "HMAC_SHA_256");
	CHECK_ANNOT(r, "mac_algo_h", "GMAC_AES");
	CHECK_ANNOT(r, "aead_algo", "GCM");
	CHECK_NUM(r, "max_cipher_key_len", 64);
	CHECK_ANNOT(r, "akcipher_algo", "RSA");
	CHECK_NUM(r, "max_size", 0xffffffff);
	CHECK_EQ(r_count(r), 13);
	r_free(r);
}

static void test_9p(void)
{
	uint8_t b[16] = {0};
	struct rnode *r;

	put16(b, 0, 6);
	memcpy(b + 2, "hostfs", 6);
	r = decode(VIRTIO_DEV_9P, b, 8, FB(0), true);
	CHECK_NUM(r, "tag_len", 6);
	CHECK_STRAT(r, "tag", "hostfs");
	r_free(r);
	/* The tag runs past the region: it goes, its length stays. */
	r = decode(VIRTIO_DEV_9P, b, 7, FB(0), true);
	CHECK_NUM(r, "tag_len", 6);
	CHECK_ABSENT(r, "tag");
	r_free(r);
	r = decode(VIRTIO_DEV_9P, b, 8, 0, true);
	CHECK_EQ(r_count(r), 0);
	r_free(r);
}

static void test_fs_strings(void)
{
	uint8_t b[44] = {0};
	struct rnode *r;

	memcpy(b, "myfs", 4);
	put32(b, 36, 1);
	put32(b, 40, 4096);
	r = decode(VIRTIO_DEV_FS, b, sizeof(b), 0, true);
	CHECK_STRAT(r, "tag", "myfs");
	CHECK_NUM(r, "num_request_queues", 1);
	CHECK_ABSENT(r, "notify_buf_size");
	r_free(r);
	/* A full-length tag has no NUL; broken UTF-8 is masked, control
	 * bytes and valid UTF-8 kept (the text renderer escapes controls). */
	memset(b, 'a', 36);
	r = decode(VIRTIO_DEV_FS, b, sizeof(b), FB(0), true);
	CHECK(r_path(r, "tag") && strlen(r_path(r, "tag")->v.s) == 36);
	CHECK_NUM(r, "notify_buf_size", 4096);
	r_free(r);
	memset(b, 0, 36);
	memcpy(b, "a\x01\xc3\xa9\xff\xc3", 6);
	r = decode(VIRTIO_DEV_FS, b, sizeof(b), 0, true);
	CHECK_STRAT(r, "tag", "a\x01\xc3\xa9??");
	r_free(r);
	memcpy(b, "\xf8\x80\x80\xe2\x82\xac!", 7); /* no 5-byte forms; a euro sign */
	r = decode(VIRTIO_DEV_FS, b, sizeof(b), 0, true);
	CHECK_STRAT(r, "tag", "???\xe2\x82\xac!");
	r_free(r);
}

static void test_iommu_mem_pmem(void)
{
	uint8_t b[56] = {0};
	struct rnode *r;

	put64(b, 0, 0xfffffffffffff000);
	put64(b, 8, 0);
	put64(b, 16, UINT64_MAX);
	put32(b, 24, 0);
	put32(b, 28, 0xffff);
	put32(b, 32, 512);
	b[36] = 1;
	r = decode(VIRTIO_DEV_IOMMU, b, 40, FB(0) | FB(1) | FB(6), true);
	CHECK_STRAT(r, "page_size_mask", "0xfffffffffffff000");
	CHECK_STRAT(r, "input_range.start", "0x0000000000000000");
	CHECK_STRAT(r, "input_range.end", "0xffffffffffffffff");
	CHECK_NUM(r, "domain_range.end", 0xffff);
	CHECK_ABSENT(r, "probe_size");
	CHECK_NUM(r, "bypass", 1);
	r_free(r);

	memset(b, 0, sizeof(b));
	put64(b, 0, 2 << 20);
	put16(b, 8, 1);
	put64(b, 16, UINT64_C(0x140000000));
	put64(b, 24, UINT64_C(8) << 30);
	put64(b, 32, UINT64_C(8) << 30);
	put64(b, 40, UINT64_C(1) << 30);
	put64(b, 48, UINT64_C(3) << 29);
	r = decode(VIRTIO_DEV_MEM, b, 56, 0, true);
	CHECK_NUM(r, "block_size", 2 << 20);
	CHECK_ANNOT(r, "block_size", "2 MiB");
	CHECK_ABSENT(r, "node_id");
	CHECK_STRAT(r, "addr", "0x0000000140000000");
	CHECK_ANNOT(r, "region_size", "8 GiB");
	CHECK_ANNOT(r, "requested_size", "1.5 GiB");
	r_free(r);

	r = decode(VIRTIO_DEV_PMEM, b + 16, 16, 0, true);
	CHECK_STRAT(r, "start", "0x0000000140000000");
	CHECK_NUM(r, "size", UINT64_C(8) << 30);
	r_free(r);
}

static void test_sound_others(void)
{
	uint8_t b[16] = {0};
	struct rnode *r;

	put32(b, 0, 1);
	put32(b, 4, 2);
	put32(b, 8, 3);
	put32(b, 12, 4);
	r = decode(VIRTIO_DEV_SOUND, b, 16, 0, true);
	CHECK_NUM(r, "jacks", 1);
	CHECK_NUM(r, "streams", 2);
	CHECK_NUM(r, "chmaps", 3);
	CHECK_ABSENT(r, "controls");
	r_free(r);
	r = decode(VIRTIO_DEV_ENTROPY, b, 16, 0, true);
	CHECK_EQ(r_count(r), 0);
	r_free(r);
}

static void test_hexdump(void)
{
	static const uint8_t b[4] = {0xde, 0xad, 0x00, 0x01};
	struct rnode *r = r_new_root();

	virtio_cfg_hexdump(b, sizeof(b), r);
	CHECK_STRAT(r, "raw", "dead0001");
	CHECK(r_path(r, "raw")->flags & RF_HEXDUMP);
	virtio_cfg_decode(NULL, b, sizeof(b), 0, false, r);
	CHECK_EQ(r_count(r), 1);
	r_free(r);
}

int main(void)
{
	test_type_names();
	test_type_table();
	test_pci_ids();
	test_feature_spec_lists();
	test_feature_lookup();
	test_feature_tables();
	test_layout_tables();
	test_layout_sizes();
	test_net();
	test_net_gates();
	test_net_truncated();
	test_blk();
	test_blk_zoned_truncated();
	test_console_balloon();
	test_scsi();
	test_gpu_input();
	test_vsock();
	test_media_crypto_14();
	test_crypto();
	test_9p();
	test_fs_strings();
	test_iommu_mem_pmem();
	test_sound_others();
	test_hexdump();
	return check_done();
}
