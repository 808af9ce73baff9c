/* A device model opened as the virtio layer sees it, with DMA memory from
 * the model backend: the starting point of the driving tests. */
#ifndef VIRTIOCTL_TEST_MODEL_FIXTURE_H
#define VIRTIOCTL_TEST_MODEL_FIXTURE_H

#include <stdbool.h>

#include "dma/dma.h"
#include "sim/model.h"
#include "virtio/vdev.h"

struct fixture {
	struct pdev *pci;
	struct vdev v;
	struct dma *dma;
};

/* A writable model of `type` with built-in queue handlers, driven through
 * `iface` (VDEV_IFACE_DEFAULT picks as virtioctl does). Records a failed check
 * and returns false when anything fails. */
bool fixture_open(struct fixture *f, unsigned type, enum model_transport t, enum vdev_iface iface);
/* The same from a spec of the caller's (made writable here). */
bool fixture_open_spec(struct fixture *f, const struct model_spec *spec, enum vdev_iface iface);
void fixture_close(struct fixture *f);

#endif
