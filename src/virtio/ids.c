#include "virtio/ids.h"

#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format off */
/* Titles follow the spec's table; the spec leaves 14, 15 and 37 unassigned. */
static const struct virtio_type types[] = {
	{1, "net", "Network device"},
	{2, "block", "Block device"},
	{3, "console", "Console"},
	{4, "entropy", "Entropy source"},
	{5, "balloon", "Memory ballooning (traditional)"},
	{6, "iomem", "ioMemory"},
	{7, "rpmsg", "rpmsg"},
	{8, "scsi", "SCSI host"},
	{9, "9p", "9P transport"},
	{10, "mac80211_wlan", "mac80211 wlan"},
	{11, "rproc_serial", "rproc serial"},
	{12, "caif", "virtio CAIF"},
	{13, "memory_balloon", "Memory balloon"},
	{16, "gpu", "GPU device"},
	{17, "clock", "RTC (Real Time Clock) device"}, /* 1.4 title; 1.3: Timer/Clock */
	{18, "input", "Input device"},
	{19, "vsock", "Socket device"},
	{20, "crypto", "Crypto device"},
	{21, "signal_dist", "Signal Distribution Module"},
	{22, "pstore", "pstore device"},
	{23, "iommu", "IOMMU device"},
	{24, "mem", "Memory device"},
	{25, "sound", "Sound device"},
	{26, "fs", "File system device"},
	{27, "pmem", "PMEM device"},
	{28, "rpmb", "RPMB device"},
	{29, "mac80211_hwsim", "mac80211 hwsim wireless simulation device"},
	{30, "video_encoder", "Video encoder device"},
	{31, "video_decoder", "Video decoder device"},
	{32, "scmi", "SCMI device"},
	{33, "nsm", "NitroSecureModule"},
	{34, "i2c", "I2C adapter"},
	{35, "watchdog", "Watchdog"},
	{36, "can", "CAN device"},
	{38, "param_server", "Parameter Server"},
	{39, "audio_policy", "Audio policy device"},
	{40, "bluetooth", "Bluetooth device"},
	{41, "gpio", "GPIO device"},
	{42, "rdma", "RDMA device"},
	{43, "camera", "Camera device"},
	{44, "ism", "ISM device"},
	{45, "spi", "SPI controller"}, /* 1.4 title; 1.3: SPI master */
	/* virtio 1.4 */
	{46, "tee", "TEE device"},
	{47, "cpu_balloon", "CPU balloon device"},
	{48, "media", "Media device"},
	{49, "usb", "USB controller"},
};

/* clang-format on */
const struct virtio_type *virtio_type_by_id(unsigned id)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].id == id)
			return &types[i];
	return NULL;
}

const char *virtio_type_name(unsigned id)
{
	const struct virtio_type *t = virtio_type_by_id(id);

	return t ? t->name : "unknown";
}

const struct virtio_type *virtio_type_by_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(types); i++)
		if (strcasecmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

const struct virtio_type *virtio_types(size_t *count)
{
	*count = ARRAY_SIZE(types);
	return types;
}

enum virtio_pci_id_kind virtio_pci_classify(uint16_t vendor, uint16_t device)
{
	if (vendor != VIRTIO_PCI_VENDOR_ID)
		return VPCI_ID_NOT_VIRTIO;
	if (device >= VIRTIO_PCI_TRANSITIONAL_FIRST && device <= VIRTIO_PCI_TRANSITIONAL_LAST)
		return VPCI_ID_TRANSITIONAL;
	if (device >= VIRTIO_PCI_MODERN_FIRST && device <= VIRTIO_PCI_MODERN_LAST)
		return VPCI_ID_MODERN;
	return VPCI_ID_NOT_VIRTIO;
}

/* The spec's "Transitional PCI Device ID" table. */
int virtio_pci_transitional_type(uint16_t device)
{
	switch (device) {
	case 0x1000:
		return VIRTIO_DEV_NET;
	case 0x1001:
		return VIRTIO_DEV_BLOCK;
	case 0x1002:
		return VIRTIO_DEV_BALLOON;
	case 0x1003:
		return VIRTIO_DEV_CONSOLE;
	case 0x1004:
		return VIRTIO_DEV_SCSI;
	case 0x1005:
		return VIRTIO_DEV_ENTROPY;
	case 0x1009:
		return VIRTIO_DEV_9P;
	default:
		return -1;
	}
}

int virtio_pci_device_type(uint16_t device, uint16_t subsys_device)
{
	unsigned span = VIRTIO_PCI_MODERN_LAST - VIRTIO_PCI_MODERN_FIRST;

	if (device >= VIRTIO_PCI_MODERN_FIRST && device <= VIRTIO_PCI_MODERN_LAST) {
		/* 0x1040 would be device ID 0, which the spec reserves as invalid. */
		return device == VIRTIO_PCI_MODERN_FIRST ? -1 : device - VIRTIO_PCI_MODERN_FIRST;
	}
	if (device < VIRTIO_PCI_TRANSITIONAL_FIRST || device > VIRTIO_PCI_TRANSITIONAL_LAST)
		return -1;
	/* Transitional devices MUST put the virtio ID in the subsystem device
	 * ID (legacy drivers such as Linux's bind by it). Values outside the
	 * range a modern ID could express are an environment's own subsystem
	 * ID, e.g. QEMU's 0x1100, so the table is the better guess then. */
	if (subsys_device != 0 && subsys_device <= span)
		return subsys_device;
	return virtio_pci_transitional_type(device);
}
