/* The legacy I/O header of legacy and transitional devices, field by
 * field as it reads: no selector is written, so the queue fields are those
 * of the queue the last driver selected, and the ISR is never read here
 * (reading clears it). */
#include "cli/report.h"

#include "virtio/legacy.h"

static void header_fields(struct rnode *o, const struct legacy_header *h)
{
	struct rnode *n;

	/* the header is I/O BAR 0 up to the device-specific configuration */
	report_location(o, 0, 0, h->config_offset);
	r_uint(o, "host_features", "Host features", h->host_features, "0x%08llx");
	r_uint(o, "guest_features", "Guest features", h->guest_features, "0x%08llx");
	r_uint(o, "queue_sel", "Queue select", h->queue_sel, NULL);
	r_uint(o, "queue_num", "Queue size", h->queue_num, NULL);
	n = r_uint(o, "queue_pfn", "Queue PFN", h->queue_pfn, "0x%llx");
	if (h->queue_pfn)
		r_annot(n, "ring at 0x%llx", (unsigned long long)h->queue_pfn << 12);
	r_status(o, "status", "Status", h->status);
	r_unknown(o, "isr", "ISR", "not read: reading it clears it");
	r_bool(o, "msix_enabled", "MSI-X enabled", h->msix_enabled);
	if (h->msix_enabled) {
		r_uint(o, "config_vector", "Config vector", h->config_vector, "0x%04llx");
		r_uint(o, "queue_vector", "Queue vector", h->queue_vector, "0x%04llx");
	} else {
		r_null(o, "config_vector", "Config vector");
		r_null(o, "queue_vector", "Queue vector");
	}
	r_uint(o, "device_config_offset", "Device config at", h->config_offset, "0x%02llx");
}

void report_legacy_header(struct rctx *c)
{
	struct vdev *v = &c->d->v;
	struct legacy_header h;
	struct verr e = {0};

	if (!legacy_present(v, NULL))
		return;
	/* Tried even when another BAR failed: the I/O BAR answers on devices
	 * whose memory BARs a driver owns. */
	if (legacy_header_read(v, &h, &e)) {
		rctx_note(c, "%s not read: %s",
			  e.code == VX_UNAVAILABLE ? "registers" : "legacy header", e.msg);
		r_unknown(c->root, "legacy_header", "Legacy header", e.msg);
		return;
	}
	header_fields(r_obj(c->root, "legacy_header", "Legacy header"), &h);
}
