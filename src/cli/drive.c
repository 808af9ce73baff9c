#include "cli/drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci/backend/vfio.h"
#include "virtio/driver.h"

int drive_check_writable(struct session *s, struct sdev *d, struct verr *e)
{
	char a[PCI_ADDR_STRLEN];

	pci_addr_format(&d->pci->addr, a);
	if (s->dump_file)
		return verr_set(e, VX_PERM, "%s: a -F dump file has no device to write to", a);
	if (d->bound && !s->force)
		return verr_set(
			e, VX_PERM,
			"%s is bound to kernel driver %s: refusing to write to it (unbind it "
			"first: echo %s > /sys/bus/pci/drivers/%s/unbind; or pass --force)",
			a, d->pci->driver, a, d->pci->driver);
	if (!d->pci->writable)
		return verr_set(e, VX_PERM, "%s: %s", a, d->pci->write_why);
	/* Opening DMA switches decoding on where firmware left it off. */
	if (!vdev_regs_readable(&d->v)) {
		struct dma *dma;
		struct verr ignored = {0};

		if (drive_dma(s, d, &dma, &ignored) == 0)
			vdev_recheck_access(&d->v);
	}
	if (!vdev_regs_readable(&d->v))
		return verr_set(e, VX_UNAVAILABLE, "%s: registers not reachable: %s", a,
				d->v.regs_why);
	return 0;
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

static bool parse_dma(const char *s, enum dma_kind *k)
{
	if (!s) {
		*k = DMA_AUTO;
		return true;
	}
	return dma_kind_parse(s, k);
}

int drive_dma(struct session *s, struct sdev *d, struct dma **out, struct verr *e)
{
	struct drive *dr = drive_of(d);
	enum dma_kind k;

	if (!dr)
		return verr_set(e, VX_FAIL, "out of memory");
	if (!dr->dma) {
		if (!parse_dma(s->dma, &k))
			return verr_set(e, VX_USAGE, "--dma: '%s' is not auto, sysfs or vfio",
					s->dma);
		if (dma_open(d->pci, k, &dr->dma, e)) {
			if (s->dma)
				verr_prefix(e, "--dma %s", s->dma);
			return -1;
		}
	}
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
		fprintf(stderr,
			"virtioctl: %s: %s; keeping its queue memory allocated so the device "
			"cannot write into freed memory\n",
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
