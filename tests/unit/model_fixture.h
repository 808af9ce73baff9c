/* The one way unit tests open a simulated device (sim/model.h): the model
 * as a pdev, as the virtio layer sees it, and with the model's own DMA
 * memory. Every step that fails is a failed check (check_fail) naming the
 * step and the error, so a test whose setup breaks fails. */
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

/* What fixture_open_flags() leaves out. */
enum {
	FX_NO_DMA = 1u << 0,	  /* no DMA memory (f->dma NULL) */
	FX_NO_HANDLERS = 1u << 1, /* the model's built-in queue handlers not installed */
	FX_NO_SELECT = 1u << 2,	  /* selector writes not allowed */
};

/* model_spec_init() plus what the tests need: writable. */
void fixture_spec(struct model_spec *s, unsigned type, enum model_transport t);
/* The model of spec as a pdev; NULL (a failed check) when it cannot be built. */
struct pdev *fixture_pdev(const struct model_spec *s);
/* vdev_open, the interface (VDEV_IFACE_DEFAULT picks as virtioctl does)
 * and the selector policy; false (a failed check) on failure. */
bool fixture_vdev(struct pdev *pci, struct vdev *v, enum vdev_iface iface, bool select);
/* All of it from a spec (made writable here: the fixture drives): pdev,
 * vdev, handlers, DMA; flags leave parts out. On failure f is closed and
 * false returned (a failed check). */
bool fixture_open_flags(struct fixture *f, const struct model_spec *s, enum vdev_iface iface,
			unsigned flags);
/* The same with nothing left out. */
bool fixture_open_spec(struct fixture *f, const struct model_spec *s, enum vdev_iface iface);
/* A writable model of `type` with built-in queue handlers and DMA. */
bool fixture_open(struct fixture *f, unsigned type, enum model_transport t, enum vdev_iface iface);
void fixture_close(struct fixture *f);

#endif
