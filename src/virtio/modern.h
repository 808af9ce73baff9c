/* Raw access to the modern common_cfg structure, for the transport and for
 * the `common` command's field-by-field listing. */
#ifndef VIRTIOCTL_VIRTIO_MODERN_H
#define VIRTIOCTL_VIRTIO_MODERN_H

#include "virtio/features.h"
#include "virtio/vdev.h"

int modern_common_read(struct vdev *v, unsigned off, unsigned width, uint64_t *val, struct verr *e);
int modern_common_write(struct vdev *v, unsigned off, unsigned width, uint64_t val, struct verr *e);
/* Every feature word the device (or, with driver, the driver side)
 * offers: words 0 to VIRTIO_FEATURE_WORDS_KNOWN - 1, then more while the
 * last one read was not 0, at most VIRTIO_FEATURE_WORDS. The selector is
 * put back as it was. */
int modern_feature_words(struct vdev *v, bool driver, struct vfeatures *out, struct verr *e);

#endif
