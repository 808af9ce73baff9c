/* Differences between two JSON documents, field by field, as report
 * nodes: for `diff` (two dumps, or a dump and a live device).
 *
 * Objects are compared key by key. Arrays of objects that all carry one
 * identifying scalar (bit, index, offset, vector, irq or address: one key,
 * unique in both arrays) are matched by it, so an inserted feature bit shows
 * as one difference rather than a shifted tail; other arrays by position.
 * Paths join keys with dots; a matched element is written [key=value] and
 * a positional one by its index: "feature_bits[bit=29].driver",
 * "notes.0", "pci.device_id". */
#ifndef VIRTIOCTL_FORMAT_JSONDIFF_H
#define VIRTIOCTL_FORMAT_JSONDIFF_H

#include <cjson/cJSON.h>

#include "format/report.h"

/* Appends one object {path, a, b} per difference to the array `out`: a
 * and b are the values as compact JSON text, null where the field is
 * absent on that side. Object keys listed in `ignore` (NULL-terminated,
 * may be NULL) are skipped at any depth. Returns the number of differences. */
unsigned json_diff(const cJSON *a, const cJSON *b, const char *const *ignore, struct rnode *out);

#endif
