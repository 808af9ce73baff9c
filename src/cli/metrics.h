/* One metrics collection (cmd_metrics.c), also used by tests on the
 * device model: begin, add functions opened read-only, end. */
#ifndef VIRTIOCTL_CLI_METRICS_H
#define VIRTIOCTL_CLI_METRICS_H

#include "cli/session.h"
#include "format/metrics.h"
#include "linux/irqs.h"
#include "linux/view.h"

struct mc;

struct mc *metrics_begin(struct session *s, struct verr *e);
/* Adds a function: its info, status, features, queues and interrupts, as
 * far as they can be read without writing anything (pci opened read-only,
 * v without selector writes); what cannot be read becomes a collection
 * error. */
void metrics_add(struct mc *m, struct pdev *pci, struct vdev *v);
/* Adds the collection's duration and returns the model. */
struct rnode *metrics_end(struct mc *m);

/* The MSI-X table size while MSI-X is enabled, else 0 (config space). */
int msix_table_size(struct pdev *pci, const struct msix_info *mx);

/* One MSI-X vector's interrupts from /proc/interrupts. */
struct msix_count {
	unsigned vector, irq;
	uint64_t count;
	char queue[160]; /* the IRQ's name after "virtioN-": config, req.0... */
};

/* Fills out[] for the vectors (of nvec) that became a Linux IRQ listed in
 * procs; returns how many. */
int msix_counts(struct pdev *pci, const struct linux_view *lv, const struct irq_table *procs,
		struct msix_count *out, unsigned nvec);

#endif
