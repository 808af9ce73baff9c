/* Device-specific configuration layouts as data, and one decoder for all.
 *
 * Each layout lists the fields of a device type's struct virtio_*_config
 * (virtio 1.3, "Device configuration layout" of each device type) with the
 * feature bits that make a field exist. The decoder turns a copy of the
 * device's configuration region into report nodes, so the text and JSON
 * renderings come for free and no device type needs code of its own.
 *
 * Values are little-endian, as modern (VIRTIO_F_VERSION_1) devices present
 * them. A legacy device uses guest endianness for most of its fields; on a
 * little-endian host that is the same thing. */
#ifndef VIRTIOCTL_VIRTIO_DEVCFG_H
#define VIRTIOCTL_VIRTIO_DEVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/report.h"

/* Integers are unsigned and little-endian, and become JSON numbers unless
 * noted. */
enum cfg_kind {
	CF_U8,
	CF_U16,
	CF_U32,
	CF_U64,	   /* a count; a value of 2^53 or more falls back to CF_X64's string */
	CF_X64,	   /* an address or mask: always the JSON string "0x%016llx" */
	CF_MAC,	   /* 6 bytes: "52:54:00:12:34:56" */
	CF_STR,	   /* fixed size, NUL padded, not necessarily NUL terminated */
	CF_LSTR16, /* variable size: as many bytes as the le16 just before it says */
	CF_BYTES,  /* raw bytes, hex */
	CF_STRUCT, /* a nested struct: an object of the `sub` fields */
	/* A union whose member is chosen by a byte of the enclosing struct
	 * (`select_at`, from the struct's start): the member of `variants`
	 * whose value matches, decoded under its own key; nothing when none
	 * matches. */
	CF_UNION,
};

/* A named bit of a flags field, or a named value of an enumerated one. */
struct cfg_name {
	uint64_t value;
	const char *name;
};

/* A bound the spec puts on a field's value: min <= value <= max. `check`
 * verifies it (the devcfg.ranges checks); the decoder ignores it. */
struct cfg_range {
	uint64_t min, max;
	bool should;	     /* a SHOULD of the spec; false: a MUST */
	const char *section; /* virtio 1.3 section stating it */
};

struct cfg_field {
	const char *key;   /* JSON key: the spec's field name */
	const char *label; /* for people */
	unsigned offset;   /* from the start of the enclosing struct */
	unsigned size;	   /* bytes; 0 for CF_LSTR16, whose size is in the data */
	enum cfg_kind kind;
	/* The field exists when the device offers any one of these bits; 0 means
	 * always. A mask, not one bit, because the spec has fields such as
	 * net's max_virtqueue_pairs that exist with MQ or RSS. No config field
	 * depends on a feature above bit 63. */
	uint64_t features;
	const char *fmt;	       /* text format of a number; NULL: decimal */
	const struct cfg_name *flags;  /* bit names, ended by a NULL name */
	const struct cfg_name *values; /* value names, ended by a NULL name */
	/* Bytes per unit of the value, to annotate it as a size; 0: none. */
	uint64_t unit;
	const struct cfg_field *sub; /* CF_STRUCT members */
	size_t nsub;
	const struct cfg_variant *variants; /* CF_UNION members */
	size_t nvariants;
	unsigned select_at;
	const struct cfg_range *range; /* NULL: the spec bounds nothing */
};

struct cfg_variant {
	unsigned value; /* of the selector byte */
	struct cfg_field field;
};

struct cfg_layout {
	unsigned device_id;
	const struct cfg_field *fields;
	size_t nfields;
	unsigned size; /* the whole struct; for 9p the fixed part before the tag */
};

/* NULL for a device type without a known layout; the caller then shows a
 * hex dump. Types whose spec defines no configuration (entropy, I2C, SCMI)
 * have a layout without fields. */
const struct cfg_layout *virtio_cfg_layout(unsigned device_id);
/* Every layout, for the table tests. */
const struct cfg_layout *virtio_cfg_layouts(size_t *count);

/* Decodes `len` bytes of a device's configuration region into `out`, one
 * node per field. A field is left out when its bytes extend past len (the
 * device's region is shorter than the struct), or when features_known and
 * none of the bits that make it exist is offered. Write-only registers
 * (console emerg_wr, GPU events_clear) and padding are not shown. */
void virtio_cfg_decode(const struct cfg_layout *l, const uint8_t *cfg, unsigned len,
		       uint64_t offered_features, bool features_known, struct rnode *out);

/* Calls fn for every integer field that has a range, exists (no feature
 * condition, or one of its bits is in `offered`: pass only bits known to
 * be offered) and fits in len bytes, with its offset and value. */
typedef void cfg_range_fn(void *ctx, const struct cfg_field *f, unsigned off, uint64_t value);
void virtio_cfg_ranges(const struct cfg_layout *l, const uint8_t *cfg, unsigned len,
		       uint64_t offered, cfg_range_fn *fn, void *ctx);

/* For device types without a layout: the region as bytes, key "raw". */
void virtio_cfg_hexdump(const uint8_t *cfg, unsigned len, struct rnode *out);

#endif
