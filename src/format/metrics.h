/* A metrics model: metric families, each with samples made of labels and
 * a value, kept as a report tree of a fixed shape so that `--json` shows
 * the same model the Prometheus renderer (prometheus.c) prints:
 *
 *   {"families": [{"name": "virtioctl_device_info", "type": "gauge",
 *                  "help": "...",
 *                  "samples": [{"labels": {"address": "0000:00:02.0", ...},
 *                               "value": 1}]}]}
 *
 * Names follow Prometheus' practice: a prefix, base units in the name
 * (_seconds), _total for counters, _info for info metrics (a gauge of 1
 * whose labels carry the information). The renderer checks names and
 * escapes label values; callers only choose them. */
#ifndef VIRTIOCTL_FORMAT_METRICS_H
#define VIRTIOCTL_FORMAT_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "format/report.h"

enum mtype { M_GAUGE, M_COUNTER };

/* A family's description, for tables of families. */
struct mfamily_spec {
	const char *name;
	enum mtype type;
	const char *help;
};

/* An empty model: a root marked RF_METRICS holding "families". */
struct rnode *m_new(void);
/* Adds a family (in the order of the calls); returns it. */
struct rnode *m_family(struct rnode *root, const struct mfamily_spec *spec);
/* Adds a sample to a family; labels are added to it afterwards. */
struct rnode *m_sample_uint(struct rnode *family, uint64_t value);
struct rnode *m_sample_double(struct rnode *family, double value);
/* Adds a label; a NULL value is the empty string, which Prometheus treats
 * as an absent label. */
void m_label(struct rnode *sample, const char *name, const char *value);
void m_labelf(struct rnode *sample, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A label whose value is a number in decimal (a bit, a vector, an IRQ). */
void m_label_uint(struct rnode *sample, const char *name, unsigned value);
/* Samples in the whole model. */
unsigned m_count_samples(const struct rnode *root);

/* Metric and label names as the exposition format allows them. */
bool m_valid_metric_name(const char *s);
bool m_valid_label_name(const char *s);

#endif
