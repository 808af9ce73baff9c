#include "check.h"
#include "pci/addr.h"

#include <string.h>

static void test_parse_ok(void)
{
	struct pci_addr a;
	char buf[PCI_ADDR_STRLEN];

	CHECK(pci_addr_parse("0000:00:04.0", &a));
	CHECK_EQ(a.domain, 0);
	CHECK_EQ(a.bus, 0);
	CHECK_EQ(a.dev, 4);
	CHECK_EQ(a.func, 0);
	CHECK(pci_addr_parse("00:1f.7", &a));
	CHECK_EQ(a.dev, 0x1f);
	CHECK_EQ(a.func, 7);
	CHECK(pci_addr_parse("ABCD:Ef:1F.3", &a));
	CHECK_EQ(a.domain, 0xabcd);
	CHECK_EQ(a.bus, 0xef);
	pci_addr_format(&a, buf);
	CHECK_STR(buf, "abcd:ef:1f.3");
	/* leading zeros, and fields wider than PCI's masked to theirs */
	a = (struct pci_addr){0x10002, 0x104, 0x3f, 9};
	pci_addr_format(&a, buf);
	CHECK_STR(buf, "0002:04:1f.1");
	a = (struct pci_addr){0, 0, 0, 0};
	pci_addr_format(&a, buf);
	CHECK_STR(buf, "0000:00:00.0");
}

static void test_parse_bad(void)
{
	static const char *const bad[] = {
		"",
		"0000:00:04",
		"0000:00:20.0",
		"0000:00:04.8",
		"00:04.0x",
		"10000:00:04.0",
		"0000:100:04.0",
		"foo",
		"0000:00:04.0 ",
		":00:04.0",
		"0000::04.0",
		"000:04.0",
		"0000:00:04.",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pci_addr a;

		if (pci_addr_parse(bad[i], &a))
			CHECK(!"accepted a bad address" || !bad[i]);
	}
	CHECK(1);
}

/* IDs and sysfs paths without printf (issue 13): the same strings, the
 * same cut and the same false when a path does not fit. */
static void test_ids_and_paths(void)
{
	struct pci_addr a = {0, 0, 4, 0};
	const char *want = "/sys/bus/pci/devices/0000:00:04.0/config";
	char id[PCI_ID_STRLEN], buf[64];

	CHECK_STR(pci_id_format(0, 0, id), "0000:0000");
	CHECK_STR(pci_id_format(0xffff, 0xffff, id), "ffff:ffff");
	CHECK_STR(pci_id_format(0x1af4, 0x1041, id), "1af4:1041");
	CHECK_STR(pci_id_format(0x11af4, 0x21041, id), "1af4:1041"); /* masked */
	CHECK(pci_sysfs_path(buf, sizeof(buf), "/sys", &a, NULL));
	CHECK_STR(buf, "/sys/bus/pci/devices/0000:00:04.0");
	CHECK(pci_sysfs_path(buf, strlen(want) + 1, "/sys", &a, "config"));
	CHECK_STR(buf, want);
	CHECK(!pci_sysfs_path(buf, strlen(want), "/sys", &a, "config"));
	CHECK_EQ(strlen(buf), strlen(want) - 1);
	CHECK(strncmp(buf, want, strlen(want) - 1) == 0);
	CHECK(!pci_sysfs_path(buf, 1, "/sys", &a, NULL));
	CHECK_STR(buf, "");
}

int main(void)
{
	test_ids_and_paths();
	test_parse_ok();
	test_parse_bad();
	return check_done();
}
