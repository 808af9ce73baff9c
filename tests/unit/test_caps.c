/* The capability walker on real dumps and on malformed chains derived from
 * them (tests/fixtures/make-caps-fixtures.py says what each changes). */
#include "check.h"
#include "pci/system.h"
#include "virtio/caps.h"
#include "virtio/vdev.h"

#include <stdio.h>
#include <string.h>

static struct psys *sys;
static struct pdev *dev;

static int walk(const char *file, const char *addr, struct vcaps *c)
{
	struct pci_addr a;
	struct verr e = {0};

	pdev_close(dev);
	psys_close(sys);
	dev = NULL;
	sys = psys_open_dump(fixture(file), &e);
	CHECK(sys != NULL);
	CHECK(pci_addr_parse(addr, &a));
	if (!sys || psys_open_device(sys, &a, &dev, &e)) {
		check_fail("setup: open %s %s: %s", file, addr, e.msg);
		return -1;
	}
	return vcaps_walk(dev, c, &e);
}

static void test_real_block(void)
{
	struct vcaps c;

	if (walk("host-00-02.0.txt", "00:02.0", &c))
		return;
	CHECK_EQ(c.pci.n, 6);
	CHECK_EQ(c.nv, 5);
	CHECK_STR(c.pci.chain_problem, "");
	CHECK_EQ(c.v[0].offset, 0x40);
	CHECK_EQ(c.v[0].cfg_type, VIRTIO_PCI_CAP_COMMON_CFG);
	CHECK_EQ(c.v[0].bar, 0);
	CHECK_EQ(c.v[0].bar_offset, 0);
	CHECK_EQ(c.v[0].length, 0x38);
	CHECK_EQ(c.v[1].cfg_type, VIRTIO_PCI_CAP_ISR_CFG);
	CHECK_EQ(c.v[1].bar_offset, 0x2000);
	CHECK_EQ(c.v[1].length, 1);
	CHECK_EQ(c.v[2].cfg_type, VIRTIO_PCI_CAP_DEVICE_CFG);
	CHECK_EQ(c.v[2].bar_offset, 0x4000);
	CHECK_EQ(c.v[2].length, 0x1000);
	CHECK_EQ(c.v[3].cfg_type, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK_EQ(c.v[3].notify_off_multiplier, 4);
	CHECK_EQ(c.v[3].bar_offset, 0x6000);
	CHECK_EQ(c.v[4].cfg_type, VIRTIO_PCI_CAP_PCI_CFG);
	CHECK_EQ(c.v[4].cap_len, 0x14);
	for (unsigned i = 0; i < c.nv; i++)
		CHECK(c.v[i].usable);
	CHECK_EQ(c.common, 0);
	CHECK_EQ(c.isr, 1);
	CHECK_EQ(c.device, 2);
	CHECK_EQ(c.notify, 3);
	CHECK_EQ(c.pci_cfg, 4);
	CHECK(c.pci.msix.present);
	CHECK_EQ(c.pci.msix.offset, 0x98);
	CHECK_EQ(c.pci.msix.table_size, 2);
	CHECK(c.pci.msix.enabled);
	CHECK(!c.pci.msix.function_masked);
	CHECK_EQ(c.pci.msix.table_bar, 0);
	CHECK_EQ(c.pci.msix.table_offset, 0x8000);
	CHECK_EQ(c.pci.msix.pba_offset, 0x48000);
	CHECK(vcaps_is_modern(&c));
	CHECK_EQ(c.pci.cap[5].id, 0x11);
}

static void test_chain_problems(void)
{
	struct vcaps c;

	if (walk("caps-loop.txt", "00:02.0", &c) == 0) {
		CHECK(strstr(c.pci.chain_problem, "looped at 0x40") != NULL);
		CHECK_EQ(c.pci.n, 6); /* every cap once, then the loop is seen */
	}
	if (walk("caps-header.txt", "00:02.0", &c) == 0) {
		CHECK(strstr(c.pci.chain_problem, "into the header") != NULL);
		CHECK_EQ(c.pci.n, 0);
		CHECK(!vcaps_is_modern(&c));
	}
	if (walk("caps-no-list.txt", "00:02.0", &c) == 0) {
		CHECK_EQ(c.pci.n, 0);
		CHECK_STR(c.pci.chain_problem, "");
	}
}

static void test_vcap_problems(void)
{
	struct vcaps c;

	if (walk("caps-truncated.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "too short") != NULL);
		CHECK_EQ(c.common, -1); /* no other common cap to fall back to */
		CHECK_EQ(c.pci.n, 6);	/* the walk goes on past a bad cap */
	}
	if (walk("caps-bar7.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "BAR index 7 is above 5") != NULL);
	}
	if (walk("caps-bar-unimpl.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[1].usable);
		CHECK(strstr(c.v[1].problem, "BAR 2 is not implemented") != NULL);
		CHECK_EQ(c.isr, -1);
	}
	if (walk("caps-misaligned.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[2].usable);
		CHECK(strstr(c.v[2].problem, "not 4-byte aligned") != NULL);
	}
	if (walk("caps-short-common.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[0].usable);
		CHECK(strstr(c.v[0].problem, "shorter than the 56 bytes") != NULL);
	}
	if (walk("caps-mult3.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[3].usable);
		CHECK(strstr(c.v[3].problem, "multiplier 3") != NULL);
		CHECK_EQ(c.notify, -1);
	}
	if (walk("caps-unknown-type.txt", "00:02.0", &c) == 0) {
		CHECK(!c.v[4].usable);
		CHECK(strstr(c.v[4].problem, "unknown cfg_type 7") != NULL);
		CHECK_EQ(c.pci_cfg, -1);
		CHECK_EQ(c.common, 0);
	}
}

static void test_names(void)
{
	CHECK_STR(vcap_cfg_type_name(1), "common");
	CHECK_STR(vcap_cfg_type_name(2), "notify");
	CHECK_STR(vcap_cfg_type_name(3), "isr");
	CHECK_STR(vcap_cfg_type_name(4), "device");
	CHECK_STR(vcap_cfg_type_name(5), "pci-cfg");
	CHECK_STR(vcap_cfg_type_name(8), "shared-memory");
	CHECK_STR(vcap_cfg_type_name(9), "vendor");
	CHECK(vcap_cfg_type_name(6) == NULL);
	CHECK(vcap_cfg_type_name(200) == NULL);
	CHECK_STR(pci_cap_name(0x11), "MSI-X");
	CHECK_STR(pci_cap_name(0x10), "PCI Express");
	CHECK_STR(pci_cap_name(0x01), "Power Management");
	CHECK_STR(pci_ext_cap_name(0x0001), "Advanced Error Reporting");
}

int main(void)
{
	test_real_block();
	test_chain_problems();
	test_vcap_problems();
	test_names();
	pdev_close(dev);
	psys_close(sys);
	return check_done();
}
