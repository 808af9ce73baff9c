/* The Linux driver-model view from sysfs: who owns the function and what
 * the kernel driver negotiated. Read-only, available without BAR access. */
#include "cli/report.h"

#include "virtio/features.h"

void report_linux(struct rctx *c)
{
	const struct linux_view *lv = &c->lv;
	struct rnode *o;

	if (!c->have_lv) {
		if (c->s->nsimulate) {
			r_null(c->root, "linux", "Linux");
			rctx_note(c, "Linux: none, the device is simulated (--simulate)");
		} else if (c->s->dump_file) {
			r_unknown(c->root, "linux", "Linux", DUMP_NO_LINUX);
		} else {
			r_unknown(c->root, "linux", "Linux", "the function is not in sysfs");
		}
		return;
	}
	o = r_obj(c->root, "linux", "Linux");
	r_str(o, "pci_driver", "PCI driver", lv->has_pci_driver ? lv->pci_driver : NULL);
	r_str(o, "virtio_device", "Virtio device", lv->has_virtio_dev ? lv->virtio_dev : NULL);
	r_str(o, "virtio_driver", "Virtio driver",
	      lv->has_virtio_dev && lv->has_virtio_driver ? lv->virtio_driver : NULL);
	if (lv->has_features) {
		struct vfeatures f;
		char hex[8 + 8 * VIRTIO_FEATURE_WORDS];

		rctx_sysfs_feature_words(c, &f);
		r_hex64(o, "features", "Negotiated features", lv->features);
		r_str(o, "features_ex", "Negotiated features (all)",
		      vfeatures_hex(&f, hex, sizeof(hex)));
	} else
		r_unknown(o, "features", "Negotiated features",
			  lv->has_virtio_dev ? "sysfs has no features file"
					     : "no virtio bus device in sysfs");
	if (lv->has_status)
		r_status(o, "status", "Status", (uint8_t)lv->status);
	else
		r_unknown(o, "status", "Status",
			  lv->has_virtio_dev ? "sysfs has no status file"
					     : "no virtio bus device in sysfs");
	report_linux_match(c, o);
	report_linux_resources(c, o);
}
