/* Raw access to the modern common_cfg structure, for the transport and for
 * the `common` command's field-by-field listing. */
#ifndef VIRTIOCTL_VIRTIO_MODERN_H
#define VIRTIOCTL_VIRTIO_MODERN_H

#include "virtio/vdev.h"

int modern_common_read(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e);
int modern_common_write(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e);

#endif
