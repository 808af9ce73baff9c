/* Renderers of a report. They know nothing of devices. */
#ifndef VIRTIOCTL_FORMAT_RENDER_H
#define VIRTIOCTL_FORMAT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "format/report.h"

enum out_format { OUT_TEXT, OUT_JSON };

/* The version of the JSON contract (docs/json.md): every JSON document
 * (each element of an array document such as `list`) carries it as
 * "schema_version". Raised when a key changes meaning. */
#define REPORT_SCHEMA_VERSION 1

struct render_opts {
	enum out_format format;
	bool pretty; /* JSON: indented */
};

void render_text(FILE *f, const struct rnode *root);
/* One JSON document followed by a newline. */
void render_json(FILE *f, const struct rnode *root, bool pretty);
/* A metrics model (format/metrics.h) in the Prometheus text exposition
 * format 0.0.4. */
void render_metrics(FILE *f, const struct rnode *root);
void render(FILE *f, const struct rnode *root, const struct render_opts *o);
/* The JSON document as a malloc'd string (tests, JSON Lines). */
char *render_json_string(const struct rnode *root, bool pretty);

#endif
