/* What the session holds for a device it drives: DMA memory and queues,
 * and the teardown that makes every exit path safe (reset the device and
 * see the reset before freeing memory the device may write). */
#ifndef VIRTIOCTL_CLI_DRIVE_H
#define VIRTIOCTL_CLI_DRIVE_H

#include "cli/command.h"
#include "cli/session.h"
#include "virtio/vring.h"

#define DRIVE_MAX_QUEUES 64

struct drive {
	struct dma *dma;
	struct vring *rings[DRIVE_MAX_QUEUES];
	uint64_t features; /* driver features as last written by us */
	bool msix_on;	   /* MSI-X vectors routed to VFIO eventfds */
	bool features_written;
};

/* The device of a writing command (a->argv[0]), ready to drive: DMA memory
 * opened where the registers needed it (opening it switches memory
 * decoding on where firmware left it off), and VX_UNAVAILABLE when the
 * registers still cannot be reached. Whether the command may write at all
 * was dispatch()'s to decide (CMD_WRITES) before the handler ran. */
int drive_device(struct session *s, const struct cmd_args *a, struct sdev **d, struct verr *e);
/* The device's driving state, created on first use. */
struct drive *drive_of(struct sdev *d);
/* Opens DMA memory on first use (--dma chooses the backend). */
int drive_dma(struct session *s, struct sdev *d, struct dma **out, struct verr *e);
struct vring *drive_ring(struct sdev *d, unsigned q);
/* Resets the device, waits until it reads back 0, then frees our queues
 * (the device no longer uses them). */
int drive_reset(struct sdev *d, struct verr *e);
/* After a reset the device no longer uses its queues: free them. */
void drive_forget_rings(struct sdev *d);
/* Resets a device we gave queues and frees them; keeps (leaks) the memory
 * when the reset cannot be confirmed, and says so on stderr. Idempotent. */
void drive_release(struct session *s, struct sdev *d);

#endif
