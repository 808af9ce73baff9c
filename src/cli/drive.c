#include "cli/drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dispatch.h"
#include "pci/backend/vfio.h"
#include "sim/source.h"
#include "virtio/driver.h"

int drive_device(struct session *s, const struct cmd_args *a, struct sdev **d, struct verr *e)
{
	char addr[PCI_ADDR_STRLEN];

	if (session_device(s, a->argv[0], d, e))
		return -1;
	if (!vdev_regs_readable(&(*d)->v)) {
		struct dma *dma;
		struct verr ignored = {0};

		if (drive_dma(s, *d, &dma, &ignored) == 0)
			vdev_recheck_access(&(*d)->v);
	}
	if (vdev_regs_readable(&(*d)->v))
		return 0;
	pci_addr_format(&(*d)->pci->addr, addr);
	return verr_set(e, VX_UNAVAILABLE, "%s: registers not reachable: %s", addr,
			(*d)->v.regs_why);
}

struct drive *drive_of(struct sdev *d)
{
	if (!d->priv) {
		d->priv = calloc(1, sizeof(struct drive));
		if (d->priv)
			d->release = drive_release;
	}
	return d->priv;
}

/* Where a device's queue memory comes from: a simulated device has its
 * own bounded memory, and only that; a test's source may bring its own;
 * everything else gets host memory of the --dma kind. */
static int open_dma(struct session *s, struct sdev *d, struct dma **out, struct verr *e)
{
	const struct session_source *src = s->source;
	struct pdev *sim = sim_source_device(s->sys, &d->pci->addr);
	int rc;

	if (sim && s->dma != DMA_AUTO)
		return verr_set(e, VX_USAGE,
				"--dma %s: a simulated device has its own DMA memory (--dma auto)",
				dma_kind_word(s->dma));
	if (sim)
		return sim_dma_open(d->pci, sim, out, e);
	rc = src && src->open_dma ? src->open_dma(src->ctx, d->pci, out, e)
				  : dma_open(d->pci, s->dma, out, e);
	/* the flag is the CLI's to name, when the user chose a kind, and
	 * the one that would work when the IOMMU rules physical addresses out */
	if (rc && s->dma != DMA_AUTO)
		verr_prefix(e, "--dma %s", dma_kind_word(s->dma));
	if (rc && s->dma != DMA_VFIO && e->code == VX_PERM &&
	    dma_iommu_translates("/sys", &d->pci->addr))
		verr_append(e, " (--dma vfio)");
	return rc;
}

int drive_dma(struct session *s, struct sdev *d, struct dma **out, struct verr *e)
{
	struct drive *dr = drive_of(d);

	if (!dr)
		return verr_set(e, VX_FAIL, "out of memory");
	if (!dr->dma && open_dma(s, d, &dr->dma, e))
		return -1;
	*out = dr->dma;
	return 0;
}

struct vring *drive_ring(struct sdev *d, unsigned q)
{
	struct drive *dr = d->priv;

	return dr && q < DRIVE_MAX_QUEUES ? dr->rings[q] : NULL;
}

void drive_forget_rings(struct sdev *d)
{
	struct drive *dr = d->priv;

	for (unsigned q = 0; dr && q < DRIVE_MAX_QUEUES; q++) {
		vring_destroy(dr->rings[q]);
		dr->rings[q] = NULL;
	}
}

int drive_reset(struct sdev *d, struct verr *e)
{
	if (vdev_reset(&d->v, VDEV_RESET_TIMEOUT_MS, e))
		return -1;
	drive_forget_rings(d);
	return 0;
}

static bool has_rings(const struct drive *dr)
{
	for (unsigned q = 0; q < DRIVE_MAX_QUEUES; q++)
		if (dr->rings[q])
			return true;
	return false;
}

void drive_release(struct session *s, struct sdev *d)
{
	struct drive *dr = d->priv;
	struct verr e = {0};
	char a[PCI_ADDR_STRLEN];

	(void)s;
	if (!dr)
		return;
	pci_addr_format(&d->pci->addr, a);
	/* We wrote to this device before (with whatever --force that took);
	 * putting it back is always allowed, whatever the last command said. */
	pdev_allow_writes(d->pci, true, NULL);
	/* A removed function is off the bus and cannot write into memory any
	 * more; the command that found it gone has said so already. */
	if (has_rings(dr) && !d->pci->removed && vdev_reset(&d->v, VDEV_RESET_TIMEOUT_MS, &e) &&
	    !d->pci->removed) {
		/* The device may still own the rings: never free them. */
		print_error("%s: %s; keeping its queue memory allocated so the device cannot "
			    "write into freed memory",
			    a, e.msg);
		if (dr->dma)
			dma_abandon(dr->dma);
	} else {
		drive_forget_rings(d);
		if (dr->msix_on)
			vfio_msix_disable(d->pci);
		if (dr->dma)
			dma_close(dr->dma);
	}
	free(dr);
	d->priv = NULL;
	d->release = NULL;
}
