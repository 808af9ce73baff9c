/* /proc/interrupts parsing on fixture text in the formats of the kernels
 * this tool meets, and the IRQ -> MSI-X entry link. */
#include "check.h"
#include "linux/irqs.h"

#include <stdio.h>
#include <string.h>

/* Linux 6.1 x86 guest (global PCI-MSI domain: hwirq = devid << 11 | index). */
static const char guest61[] = "           CPU0       \n"
			      "  0:         35   IO-APIC   2-edge      timer\n"
			      "  1:          9   IO-APIC   1-edge      i8042\n"
			      " 11:          0   IO-APIC  11-fasteoi   virtio0, virtio5\n"
			      " 24:          0   PCI-MSI 65536-edge      virtio1-config\n"
			      " 25:        412   PCI-MSI 65537-edge      virtio1-req.0\n"
			      " 26:          0   PCI-MSI 32768-edge      virtio2-config\n"
			      " 27:          3   PCI-MSI 32769-edge      virtio2-input.0\n"
			      " 28:          1   PCI-MSI 32770-edge      virtio2-output.0\n"
			      " 29:          0   PCI-MSI 524288-edge      virtio3-config\n"
			      "NMI:          0   Non-maskable interrupts\n"
			      "LOC:       1939   Local timer interrupts\n"
			      "ERR:          0\n"
			      "MIS:          0\n";

/* Linux 6.2+ x86 host (per-device domains: hwirq = index), two CPUs. */
static const char host6x[] =
	"           CPU0       CPU1       \n"
	" 36:          0      97735 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
	" 40:          0          0 PCI-MSIX-0000:00:04.0   0-edge      virtio3-config\n"
	" 41:       8369          0 PCI-MSIX-0000:00:04.0   1-edge      virtio3-rx\n"
	" 50:          2          3 IR-PCI-MSIX-0000:01:00.0   7-edge      nvme0q7\n"
	"PIN:          0          0   Posted-interrupt notification event\n";

/* An arm64 kernel (GENERIC_IRQ_SHOW_LEVEL) behind a GICv3 ITS. */
static const char arm64[] =
	"           CPU0       CPU1       CPU2       CPU3       \n"
	" 11:      12345      12000      11000      10000     GICv3  27 Level     arch_timer\n"
	" 45:          7          0          0          0   ITS-MSI 16384 Edge      "
	"virtio0-config\n"
	" 46:          1          2          3          4   ITS-MSI 16385 Edge  -edge  "
	"virtio0-req.0\n"
	"IPI0:       100        100        100        100       Rescheduling interrupts\n";

static void test_guest61(void)
{
	struct irq_table t;
	const struct irq_line *l;
	struct pci_addr d4 = {0, 0, 4, 0}, d2 = {0, 0, 2, 0}, d3 = {0, 0, 3, 0};
	struct pci_addr other = {0, 1, 0, 0};

	CHECK_EQ(irq_table_parse(guest61, &t), 0);
	CHECK_EQ(t.ncpu, 1);
	CHECK_EQ(t.n, 9);
	l = irq_table_find(&t, 11);
	CHECK(l != NULL);
	if (l) {
		CHECK_STR(l->chip, "IO-APIC");
		CHECK(l->has_hwirq);
		CHECK_EQ(l->hwirq, 11);
		CHECK_STR(l->handler, "fasteoi");
		CHECK_STR(l->actions, "virtio0, virtio5");
		CHECK_EQ(irq_msi_index(l, &d4), -1);
	}
	l = irq_table_find(&t, 25);
	CHECK(l != NULL);
	if (l) {
		CHECK_EQ(l->total, 412);
		CHECK_EQ(l->count[0], 412);
		CHECK_STR(l->chip, "PCI-MSI");
		CHECK_EQ(l->hwirq, 65537);
		CHECK_STR(l->actions, "virtio1-req.0");
		CHECK_EQ(irq_msi_index(l, &d4), 1);
		CHECK_EQ(irq_msi_index(l, &d2), -1);
	}
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 28), &d2), 2);
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 24), &d4), 0);
	/* 524288 = 1 << 19: bus 1, devfn 0 */
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 29), &other), 0);
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 29), &d3), -1);
	CHECK(irq_table_find(&t, 30) == NULL);
	irq_table_free(&t);
}

static void test_host6x(void)
{
	struct irq_table t;
	const struct irq_line *l;
	struct pci_addr d4 = {0, 0, 4, 0}, d2 = {0, 0, 2, 0}, nvme = {0, 1, 0, 0};

	CHECK_EQ(irq_table_parse(host6x, &t), 0);
	CHECK_EQ(t.ncpu, 2);
	CHECK_EQ(t.n, 4);
	l = irq_table_find(&t, 36);
	CHECK(l != NULL);
	if (l) {
		CHECK_EQ(l->ncpu, 2);
		CHECK_EQ(l->count[1], 97735);
		CHECK_EQ(l->total, 97735);
		CHECK_STR(l->chip, "PCI-MSIX-0000:00:02.0");
		CHECK_EQ(irq_msi_index(l, &d2), 1);
		CHECK_EQ(irq_msi_index(l, &d4), -1);
	}
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 41), &d4), 1);
	CHECK_STR(irq_table_find(&t, 41)->actions, "virtio3-rx");
	CHECK_EQ(irq_msi_index(irq_table_find(&t, 50), &nvme), 7);
	irq_table_free(&t);
}

static void test_arm64(void)
{
	struct irq_table t;
	const struct irq_line *l;
	struct pci_addr d = {0, 0, 1, 0};

	CHECK_EQ(irq_table_parse(arm64, &t), 0);
	CHECK_EQ(t.ncpu, 4);
	CHECK_EQ(t.n, 3);
	l = irq_table_find(&t, 11);
	CHECK(l && l->total == 12345 + 12000 + 11000 + 10000);
	CHECK(l && strcmp(l->actions, "arch_timer") == 0);
	l = irq_table_find(&t, 46);
	CHECK(l != NULL);
	if (l) {
		CHECK_STR(l->chip, "ITS-MSI");
		CHECK_EQ(l->hwirq, 16385);
		CHECK_STR(l->handler, "edge");
		CHECK_STR(l->actions, "virtio0-req.0");
		CHECK_EQ(l->total, 10);
		/* an ITS does not say which entry: callers fall back on order */
		CHECK_EQ(irq_msi_index(l, &d), -1);
	}
	irq_table_free(&t);
}

static void test_malformed(void)
{
	struct irq_table t;

	CHECK_EQ(irq_table_parse("", &t), -1);
	CHECK_EQ(irq_table_parse("no header here\n 1: 2 x\n", &t), -1);
	CHECK_EQ(irq_table_parse("  CPU0\n", &t), 0);
	CHECK_EQ(t.n, 0);
	irq_table_free(&t);
	/* short and junk lines are skipped or kept without crashing */
	CHECK_EQ(irq_table_parse("  CPU0 CPU1\n 5:\n x: 1 2\n 7: 1\n 8: 1 2 chip\n", &t), 0);
	CHECK(irq_table_find(&t, 8) != NULL);
	CHECK(irq_table_find(&t, 8) && !irq_table_find(&t, 8)->has_hwirq);
	irq_table_free(&t);
}

/* This machine's /proc/interrupts: parseable, and every virtio MSI-X line
 * of 00:0N.0 gives an entry index. */
static void test_real_proc(void)
{
	struct irq_table t;
	unsigned virtio = 0;

	if (irq_table_read("/proc/interrupts", &t) != 0) {
		check_skip("/proc/interrupts not readable");
		return;
	}
	CHECK(t.ncpu >= 1);
	for (unsigned i = 0; i < t.n; i++) {
		unsigned dev;

		if (sscanf(t.v[i].chip, "PCI-MSIX-0000:00:%02x.0", &dev) != 1 ||
		    strncmp(t.v[i].actions, "virtio", 6) != 0)
			continue;
		virtio++;
		CHECK(irq_msi_index(&t.v[i], &(struct pci_addr){0, 0, dev, 0}) >= 0);
	}
	printf("  %u IRQs, %u CPUs, %u virtio MSI-X lines\n", t.n, t.ncpu, virtio);
	irq_table_free(&t);
}

/* The queue name after "virtioN-", cut to the buffer as snprintf cut it. */
static void test_virtio_name(void)
{
	char buf[8];

	CHECK_STR(irq_virtio_name("virtio3-input.0", "virtio3", buf, sizeof(buf)), "input.0");
	CHECK_STR(irq_virtio_name("virtio3-requests.0", "virtio3", buf, sizeof(buf)), "request");
	CHECK(irq_virtio_name("virtio3-", "virtio3", buf, sizeof(buf)) == NULL);
	CHECK(irq_virtio_name("virtio3-a, virtio3-b", "virtio3", buf, sizeof(buf)) == NULL);
	CHECK(irq_virtio_name("virtio31-config", "virtio3", buf, sizeof(buf)) == NULL);
}

int main(int argc, char **argv)
{
	if (check_host_suite(argc, argv)) {
		test_real_proc();
		return check_done();
	}
	test_guest61();
	test_host6x();
	test_arm64();
	test_malformed();
	test_virtio_name();
	return check_done();
}
