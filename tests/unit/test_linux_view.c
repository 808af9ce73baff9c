/* The Linux driver-model view, on fake sysfs trees and read-only on this
 * machine's /sys. */
#include "check.h"
#include "fakesys.h"
#include "linux/view.h"
#include "util/sysattr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV  "bus/pci/devices/0000:00:04.0"
#define VDEV "bus/virtio/devices/virtio3"

/* 128 bits as a 6.x kernel prints them; bits 0, 32, 35 and 100 set. */
static void features_text(char *buf)
{
	memset(buf, '0', 128);
	buf[0] = buf[32] = buf[35] = buf[100] = '1';
	strcpy(buf + 128, "\n");
}

static bool build_bound(struct fakesys *fs, const char *vdir)
{
	char features[160], rel[256];
	static const char *const irqs[] = {"43", "40", "42", "41"};
	bool ok = fakesys_create(fs) && fakesys_dir(fs, DEV "/virtio3") &&
		  fakesys_link(fs, DEV "/driver", "../../../bus/pci/drivers/virtio-pci");

	features_text(features);
	snprintf(rel, sizeof(rel), "%s/features", vdir);
	ok = ok && fakesys_text(fs, rel, features);
	snprintf(rel, sizeof(rel), "%s/status", vdir);
	ok = ok && fakesys_text(fs, rel, "0x0000000f\n");
	snprintf(rel, sizeof(rel), "%s/device", vdir);
	ok = ok && fakesys_text(fs, rel, "0x0013\n");
	snprintf(rel, sizeof(rel), "%s/vendor", vdir);
	ok = ok && fakesys_text(fs, rel, "0x1af4\n");
	snprintf(rel, sizeof(rel), "%s/driver", vdir);
	ok = ok &&
	     fakesys_link(fs, rel, "../../../../bus/virtio/drivers/vmw_vsock_virtio_transport");
	for (size_t i = 0; i < 4; i++) {
		snprintf(rel, sizeof(rel), DEV "/msi_irqs/%s", irqs[i]);
		ok = ok && fakesys_text(fs, rel, "msix\n");
	}
	ok = ok && fakesys_text(fs, DEV "/irq", "11\n");
	CHECK(ok);
	return ok;
}

static void check_bound(const struct linux_view *v)
{
	CHECK(v->has_pci_driver);
	CHECK_STR(v->pci_driver, "virtio-pci");
	CHECK(v->has_virtio_dev);
	CHECK_STR(v->virtio_dev, "virtio3");
	CHECK(v->has_features);
	CHECK_EQ(v->features, (1ull << 0) | (1ull << 32) | (1ull << 35));
	CHECK(v->features_above_63);
	CHECK_EQ(v->features_hi, 1ull << (100 - 64));
	CHECK(!v->features_above_127);
	CHECK_EQ(v->features_nbits, 128);
	CHECK(v->has_status);
	CHECK_EQ(v->status, 0x0f);
	CHECK(v->has_virtio_device_id);
	CHECK_EQ(v->virtio_device_id, 0x13);
	CHECK(v->has_virtio_vendor_id);
	CHECK_EQ(v->virtio_vendor_id, 0x1af4);
	CHECK(v->has_virtio_driver);
	CHECK_STR(v->virtio_driver, "vmw_vsock_virtio_transport");
	CHECK(v->has_msi_irqs);
	CHECK(v->msix);
	CHECK_EQ(v->n_msi_irqs, 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(v->msi_irqs[i], 40 + i);
	CHECK(!v->has_irq); /* MSI-X on: the INTx file is left unread */
}

static void test_bound(void)
{
	static const char *const vdirs[] = {VDEV, DEV "/virtio3"};

	/* From the virtio bus directory, and from the PCI device's child when
	 * a tree has no bus/virtio. */
	for (size_t i = 0; i < 2; i++) {
		struct fakesys fs;
		struct linux_view v;
		struct pci_addr a = {0, 0, 4, 0};

		if (!build_bound(&fs, vdirs[i]))
			return;
		CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
		check_bound(&v);
		/* with MSI rather than MSI-X, the irq file is read */
		for (size_t k = 0; k < 4; k++) {
			static const char *const irqs[] = {"43", "40", "42", "41"};
			char rel[64];

			snprintf(rel, sizeof(rel), DEV "/msi_irqs/%s", irqs[k]);
			CHECK(fakesys_text(&fs, rel, "msi\n"));
		}
		CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
		CHECK(!v.msix && v.has_irq && v.irq == 11);
		/* the names alone (list): the rest is left unread, not made up */
		CHECK_EQ(linux_view_read_names(fs.root, &a, &v), 0);
		CHECK(v.has_virtio_dev);
		CHECK_STR(v.virtio_dev, "virtio3");
		CHECK(v.has_virtio_driver);
		CHECK_STR(v.virtio_driver, "vmw_vsock_virtio_transport");
		CHECK(!v.has_features && !v.has_status && !v.has_msi_irqs && !v.has_irq);
		CHECK(!v.has_pci_driver && !v.has_virtio_device_id);
		fakesys_destroy(&fs);
	}
}

/* The virtio device's uevent stands in for its device and vendor files
 * and its driver link (removed here, so only the uevent can give them);
 * one without the IDs leaves the attribute files to be read. */
static void test_virtio_uevent(void)
{
	struct fakesys fs;
	struct linux_view v;
	struct pci_addr a = {0, 0, 4, 0};

	if (!build_bound(&fs, VDEV))
		return;
	CHECK(fakesys_remove(&fs, VDEV "/device") && fakesys_remove(&fs, VDEV "/vendor") &&
	      fakesys_remove(&fs, VDEV "/driver"));
	CHECK(fakesys_text(
		&fs, VDEV "/uevent",
		"DRIVER=vmw_vsock_virtio_transport\nMODALIAS=virtio:d00000013v00001AF4\n"));
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	check_bound(&v);
	/* unbound: no DRIVER line */
	CHECK(fakesys_text(&fs, VDEV "/uevent", "MODALIAS=virtio:d00000013v00001AF4\n"));
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	CHECK(!v.has_virtio_driver);
	CHECK_STR(v.virtio_driver, "");
	CHECK_EQ(v.virtio_device_id, 0x13);
	/* no usable MODALIAS: the attribute files, here device alone */
	CHECK(fakesys_text(&fs, VDEV "/uevent", "DRIVER=x\nMODALIAS=virtio:d13\n"));
	CHECK(fakesys_text(&fs, VDEV "/device", "0x0002\n"));
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	CHECK(v.has_virtio_device_id && v.virtio_device_id == 2);
	CHECK(!v.has_virtio_vendor_id && !v.has_virtio_driver);
	fakesys_destroy(&fs);
}

/* The virtio bus index: entries by the PCI function their link names as
 * parent, others (a vDPA device, a stray file) left out; with it, a view
 * takes its virtio device from the index, not from listing the function's
 * directory (which has no virtioN child in this tree). */
static void test_virtio_index(void)
{
	struct fakesys fs;
	struct linux_virtio_index ix;
	struct linux_view v;
	struct pci_addr a = {0, 0, 4, 0}, b = {0, 0, 5, 0};

	if (!fakesys_create(&fs) || !fakesys_dir(&fs, DEV) ||
	    !fakesys_dir(&fs, "bus/pci/devices/0000:00:05.0"))
		return;
	CHECK_EQ(linux_virtio_index_read(fs.root, &ix), -1); /* no bus/virtio */
	CHECK(fakesys_dir(&fs, "devices/pci0000:00/0000:00:04.0/virtio6"));
	CHECK(fakesys_text(&fs, "devices/pci0000:00/0000:00:04.0/virtio6/status", "0x0f\n"));
	CHECK(fakesys_link(&fs, "bus/virtio/devices/virtio6",
			   "../../../devices/pci0000:00/0000:00:04.0/virtio6"));
	CHECK(fakesys_dir(&fs, "devices/vdpa0/virtio7"));
	CHECK(fakesys_link(&fs, "bus/virtio/devices/virtio7", "../../../devices/vdpa0/virtio7"));
	CHECK(fakesys_text(&fs, "bus/virtio/devices/virtio8", "not a link\n"));
	CHECK_EQ(linux_virtio_index_read(fs.root, &ix), 0);
	CHECK_EQ(ix.n, 1);
	if (ix.n == 1) {
		CHECK_EQ(pci_addr_cmp(&ix.e[0].addr, &a), 0);
		CHECK_STR(ix.e[0].name, "virtio6");
	}
	CHECK_EQ(linux_view_read_in(fs.root, &a, &ix, NULL, &v), 0);
	CHECK(v.has_virtio_dev);
	CHECK_STR(v.virtio_dev, "virtio6");
	CHECK(v.has_status && v.status == 0x0f);
	/* with the PCI function's directory given, virtioN is read as its
	 * child (here a different directory, to show it), not through the bus */
	{
		struct linux_view_hint h = {NULL, -1};

		CHECK(fakesys_text(&fs, DEV "/virtio6/status", "0x03\n"));
		h.pci_dirfd = sysattr_dir_open(fakesys_path(&fs, DEV));
		CHECK_EQ(linux_view_read_in(fs.root, &a, &ix, &h, &v), 0);
		CHECK(v.has_status && v.status == 0x03);
		if (h.pci_dirfd >= 0)
			close(h.pci_dirfd);
		CHECK(fakesys_remove(&fs, DEV "/virtio6/status") &&
		      fakesys_remove(&fs, DEV "/virtio6"));
	}
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0); /* listing: no child here */
	CHECK(!v.has_virtio_dev);
	CHECK_EQ(linux_view_read_names_in(fs.root, &b, &ix, NULL, &v), 0);
	CHECK(!v.has_virtio_dev);
	linux_virtio_index_free(&ix);
	CHECK_EQ(ix.n, 0);
	fakesys_destroy(&fs);
}

/* A PCI driver the caller has from the uevent replaces the driver link
 * and the check of the directory: neither is looked at. */
static void test_known_driver(void)
{
	struct fakesys fs;
	struct linux_view v;
	struct pci_addr a = {0, 0, 4, 0}, gone = {0, 0, 9, 0};
	struct linux_view_hint vfio = {"vfio-pci", -1}, none = {"", -1};
	int fd;

	if (!fakesys_create(&fs) || !fakesys_dir(&fs, DEV) ||
	    !fakesys_link(&fs, DEV "/driver", "../../../bus/pci/drivers/virtio-pci"))
		return;
	CHECK_EQ(linux_view_read_in(fs.root, &a, NULL, NULL, &v), 0);
	CHECK(v.has_pci_driver);
	CHECK_STR(v.pci_driver, "virtio-pci");
	CHECK_EQ(linux_view_read_in(fs.root, &a, NULL, &vfio, &v), 0);
	CHECK(v.has_pci_driver);
	CHECK_STR(v.pci_driver, "vfio-pci");
	CHECK_EQ(linux_view_read_in(fs.root, &a, NULL, &none, &v), 0);
	CHECK(!v.has_pci_driver);
	CHECK_EQ(linux_view_read_in(fs.root, &gone, NULL, NULL, &v), -1);
	CHECK_EQ(linux_view_read_in(fs.root, &gone, NULL, &none, &v), 0);
	/* with the directory's descriptor its files are read through it (here
	 * another function's directory, to show it) */
	CHECK(fakesys_text(&fs, "bus/pci/devices/0000:00:05.0/msi_irqs/77", "msi\n"));
	fd = sysattr_dir_open(fakesys_path(&fs, "bus/pci/devices/0000:00:05.0"));
	CHECK(fd >= 0);
	none.pci_dirfd = fd;
	CHECK_EQ(linux_view_read_in(fs.root, &a, NULL, &none, &v), 0);
	CHECK(v.has_msi_irqs && v.n_msi_irqs == 1 && v.msi_irqs[0] == 77 && !v.msix);
	if (fd >= 0)
		close(fd);
	fakesys_destroy(&fs);
}

static void test_unbound_and_broken(void)
{
	struct fakesys fs;
	struct linux_view v;
	struct pci_addr a = {0, 0, 4, 0};

	if (!fakesys_create(&fs) || !fakesys_dir(&fs, DEV))
		return;
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	CHECK(!v.has_pci_driver && !v.has_virtio_dev && !v.has_features && !v.has_status);
	CHECK(!v.has_virtio_device_id && !v.has_virtio_vendor_id && !v.has_virtio_driver);
	CHECK(!v.has_msi_irqs);
	CHECK_STR(v.pci_driver, "");

	/* Unparseable attributes are absent, not zero. */
	CHECK(fakesys_dir(&fs, DEV "/virtio7"));
	CHECK(fakesys_text(&fs, DEV "/virtio7/features", "0102\n"));
	CHECK(fakesys_text(&fs, DEV "/virtio7/status", "0xzz\n"));
	CHECK(fakesys_text(&fs, DEV "/virtio7/device", "\n"));
	CHECK(fakesys_text(&fs, DEV "/virtio7/vendor", "0x1af4\n"));
	CHECK(fakesys_dir(&fs, DEV "/msi_irqs"));
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	CHECK_STR(v.virtio_dev, "virtio7");
	CHECK(!v.has_features && !v.has_status && !v.has_virtio_device_id);
	CHECK(v.has_virtio_vendor_id);
	CHECK(v.has_msi_irqs);
	CHECK_EQ(v.n_msi_irqs, 0);

	a.dev = 5;
	CHECK_EQ(linux_view_read(fs.root, &a, &v), -1);
	CHECK(!v.has_pci_driver);
	CHECK_EQ(linux_view_read(NULL, &a, &v), -1);
	fakesys_destroy(&fs);
}

/* This machine's five virtio functions, when present: only what does not
 * change between boots is asserted. */
static void test_real_sys(void)
{
	unsigned found = 0;

	for (unsigned dev = 1; dev <= 5; dev++) {
		struct pci_addr a = {0, 0, dev, 0};
		struct linux_view v;
		char path[64], id[16] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/0000:00:%02x.0/device", dev);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
		if (strncmp(id, "0x10", 4) != 0 || linux_view_read("/sys", &a, &v) != 0)
			continue;
		found++;
		CHECK(v.has_virtio_dev);
		CHECK(strncmp(v.virtio_dev, "virtio", 6) == 0);
		CHECK_STR(v.pci_driver, "virtio-pci");
		/* a modern device's PCI ID is 0x1040 + virtio type */
		if (strtoul(id, NULL, 0) >= 0x1040) {
			CHECK(v.has_virtio_device_id);
			CHECK_EQ(v.virtio_device_id, strtoul(id, NULL, 0) - 0x1040);
		}
		CHECK(v.has_virtio_vendor_id);
		CHECK(v.has_features);
	}
	if (!found)
		check_skip("no virtio functions at 0000:00:01.0-05.0 in /sys");
}

/* The kernel's string may be any length: bits to 127 are kept, a set
 * bit beyond is flagged. */
static void test_features_any_length(void)
{
	struct fakesys fs;
	struct linux_view v;
	struct pci_addr a = {0, 0, 4, 0};
	char big[202];

	if (!fakesys_create(&fs) || !fakesys_dir(&fs, DEV "/virtio9")) {
		check_fail("setup: fake sysfs tree");
		return;
	}
	memset(big, '0', 200);
	big[1] = big[127] = big[150] = '1';
	strcpy(big + 200, "\n");
	CHECK(fakesys_text(&fs, DEV "/virtio9/features", big));
	CHECK_EQ(linux_view_read(fs.root, &a, &v), 0);
	CHECK(v.has_features);
	CHECK_EQ(v.features, 2);
	CHECK_EQ(v.features_hi, 1ull << 63);
	CHECK(v.features_above_63 && v.features_above_127);
	CHECK_EQ(v.features_nbits, 200);
	fakesys_destroy(&fs);
}

int main(int argc, char **argv)
{
	if (check_host_suite(argc, argv)) {
		test_real_sys();
		return check_done();
	}
	test_features_any_length();
	test_bound();
	test_virtio_uevent();
	test_virtio_index();
	test_known_driver();
	test_unbound_and_broken();
	return check_done();
}
