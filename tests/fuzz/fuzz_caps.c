/* (b) Config space from the input over the device model: the capability
 * walker, then both transports reading the model's registers wherever the
 * (possibly hostile) capabilities point, and every report.
 *
 * Input: one selector byte, then config space bytes poked from offset 0;
 * bytes past the input keep what the model built, so a short input is a
 * small edit of a well-formed device. The selector:
 *   bits 0-2  device type: net, block, console, rng, balloon, scsi, 9p, gpu
 *             (gpu is always modern)
 *   bits 3-4  0 modern, 1 transitional, 2 legacy, 3 transitional + MSI-X off
 *   bit 5     PCI Express (4096-byte config space)
 *   bit 6     bound to a kernel driver (BARs unreachable: config window)
 *   bit 7     --select (selector writes; with bit 6 the window is used) */
#include "fuzz.h"

#include <string.h>

#include "virtio/cfgwin.h"
#include "sim/model.h"

/* Whether virtioctl could have known that the model's configuration access
 * window is there before any read of its data. The model, like QEMU, answers
 * at the window's offset whatever the (fuzzed) chain says. virtioctl learns
 * of a window only from the chain: a vendor capability with cfg_type
 * VIRTIO_PCI_CAP_PCI_CFG. A window the chain does not list as one, or lists
 * only after a capability within reach of its data (a standard capability
 * is read at most 64 bytes from its start), is invisible until it is read:
 * no reader of the chain, lspci included, can avoid it. A read of the data
 * after the window is known is virtioctl's fault and still fails. */
static bool window_was_known(const struct pdev *pci)
{
	unsigned c = model_cap_offset(pci, 5 /* PCI_CFG */), p, steps = 0;

	if (!c || model_peek_cfg(pci, c, 1) != 0x09 || model_peek_cfg(pci, c + 3, 1) != 5)
		return false;
	p = model_peek_cfg(pci, 0x34, 1) & 0xfc;
	for (; p >= 0x40 && p < 0x100 && steps < 48; steps++) {
		if (p == c)
			return true;
		if (p < c + 20 && p + 64 > c + 16)
			return false;
		p = model_peek_cfg(pci, p + 1, 1) & 0xfc;
	}
	return false;
}

int fuzz_caps(const uint8_t *data, size_t size)
{
	static const unsigned types[8] = {
		MODEL_ID_NET,	  MODEL_ID_BLOCK, MODEL_ID_CONSOLE, MODEL_ID_RNG,
		MODEL_ID_BALLOON, MODEL_ID_SCSI,  MODEL_ID_9P,	    16 /* gpu */};
	static const enum model_transport transports[4] = {MODEL_MODERN, MODEL_TRANSITIONAL,
							   MODEL_LEGACY, MODEL_TRANSITIONAL};
	struct model_spec spec;
	struct verr e = {0};
	struct pdev *pci;
	uint8_t sel;
	bool bound, select;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	/* gpu has no legacy PCI device id: always modern */
	model_spec_init(&spec, types[sel & 7],
			(sel & 7) == 7 ? MODEL_MODERN : transports[sel >> 3 & 3]);
	if ((sel >> 3 & 3) == 3)
		spec.msix_vectors = 0;
	spec.pcie = sel & 0x20;
	bound = sel & 0x40;
	select = sel & 0x80;
	spec.addr = (struct pci_addr){0, 0x42, 0, 0};
	spec.writable = true;
	/* The checks below need only the write and ISR-read counts, which
	 * the model keeps without its access log; the log (tens of thousands
	 * of entries for a report of many queues) cost a sixth of the run. */
	spec.no_log = true;
	if (bound) {
		spec.driver = "virtio-pci";
		spec.bar_why = "the BARs belong to virtio-pci (fuzz)";
	}
	pci = model_pdev_new(&spec, &e);
	if (!pci)
		fuzz_fail("model_pdev_new: %s", e.msg);
	for (size_t off = 0; off < size && off < pci->cfg_size; off++)
		if (model_poke_cfg(pci, (unsigned)off, 1, data[off], &e))
			fuzz_fail("model_poke_cfg: %s", e.msg);
	model_log_clear(pci);
	fuzz_device_reports(pci, bound, select);
	/* The safety promise: a device bound to a driver sees no write
	 * without --select, and its ISR (read to clear) is never read. BAR reads
	 * while bar_why is set are not checked: backends refuse them per BAR
	 * (sysfs), and report_irqs tries the MSI-X table BAR on purpose. A bound
	 * device's BARs are refused, so its ISR can be read only through the
	 * window. */
	if (cfgwin_active(pci)) /* the model's own API needs the model's ops */
		goto out;
	if (bound && !select && model_write_count(pci))
		fuzz_fail("%zu writes to a bound device without --select", model_write_count(pci));
	if (bound && model_isr_read_count(pci) && window_was_known(pci))
		fuzz_fail("the ISR of a bound device was read (reading clears it)");
out:
	pdev_close(pci);
	return 0;
}
