/* The one result every command builds. Text and JSON are two renderings of
 * the same tree, so they cannot disagree.
 *
 * Every node has a JSON key (snake_case; NULL for array elements) and a
 * label for people (NULL means "use the key"). Scalars carry their value and
 * an optional printf format for text, plus an optional annotation that the
 * text renderer prints after the value, e.g. "0x0f" "(ACKNOWLEDGE DRIVER
 * ...)". Annotations must be derived from the value; anything a machine
 * should see goes into its own node. */
#ifndef VIRTIOCTL_FORMAT_REPORT_H
#define VIRTIOCTL_FORMAT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

enum rkind { R_OBJ, R_ARR, R_UINT, R_INT, R_BOOL, R_STR, R_NULL, R_DOUBLE };

/* Rendering hints; text only, JSON ignores them. */
enum rflag {
	RF_TABLE = 1u << 0,   /* array of flat objects: render as columns */
	RF_INLINE = 1u << 1,  /* array of scalars: one line, comma-separated */
	RF_HEXDUMP = 1u << 2, /* string holding hex bytes: render as a dump */
	RF_LINES = 1u << 3,   /* array of scalars: one per line */
	RF_OOM = 1u << 4,     /* root: a node could not be allocated */
	/* Kinds of null, rendered as distinct words in text: plain r_null is
	 * "not applicable" (n/a); RF_NONE is "nothing there" (none);
	 * RF_UNKNOWN is "could not be read" (unknown, with the reason in
	 * why; JSON lists it in the document's "unavailable" object). */
	RF_NONE = 1u << 5,
	RF_UNKNOWN = 1u << 6,
	/* scalar: "label value", no colon or alignment (`virtioctl 0.1.0`) */
	RF_PLAIN = 1u << 7,
	/* root: a metrics model (format/metrics.h); text output is the
	 * Prometheus exposition format instead of labelled lines */
	RF_METRICS = 1u << 8,
	/* object inside a report: rendered in JSON as a document of its own
	 * (schema_version, unavailable), as each device of `dump --all` */
	RF_DOC = 1u << 9,
	/* array of objects in a table cell: text joins each element's `name`
	 * (`list`'s resources: "eth0, vda"); JSON has the whole objects */
	RF_NAMES = 1u << 10,
};

struct rnode {
	enum rkind kind;
	unsigned flags;
	char *key;
	char *label;
	char *fmt;   /* text format of a number, e.g. "0x%04x"; NULL: decimal */
	char *annot; /* text-only annotation derived from the value */
	char *why;   /* RF_UNKNOWN: why the value could not be read */
	union {
		uint64_t u;
		int64_t i;
		double d;
		bool b;
		char *s;
	} v;
	struct rnode *parent, *child, *last, *next;
	struct rarena *arena; /* where this report's nodes and strings live */
};

struct rnode *r_new_root(void);
/* A report whose top level is an array (e.g. `list`). */
struct rnode *r_new_root_array(unsigned flags);
void r_free(struct rnode *n);
/* False when root is NULL or lost a node to an allocation failure: the
 * report is not the whole answer and must not be printed as one. Every
 * r_* function takes a NULL node as a no-op returning NULL. */
bool r_complete(const struct rnode *root);

/* Containers. */
struct rnode *r_obj(struct rnode *parent, const char *key, const char *label);
struct rnode *r_arr(struct rnode *parent, const char *key, const char *label, unsigned flags);

/* Scalars; each returns the node so a caller can add an annotation. */
struct rnode *r_uint(struct rnode *p, const char *key, const char *label, uint64_t v,
		     const char *fmt);
struct rnode *r_int(struct rnode *p, const char *key, const char *label, int64_t v);
struct rnode *r_bool(struct rnode *p, const char *key, const char *label, bool v);
struct rnode *r_str(struct rnode *p, const char *key, const char *label, const char *s);
struct rnode *r_strf(struct rnode *p, const char *key, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* null meaning "not applicable" here (text: n/a). */
struct rnode *r_null(struct rnode *p, const char *key, const char *label);
/* null meaning "there is none" (text: none). r_str with a NULL string
 * makes one. */
struct rnode *r_none(struct rnode *p, const char *key, const char *label);
/* null meaning "could not be read", and why (text: unknown (why); JSON:
 * null, and the path maps to why in the document's "unavailable"). */
struct rnode *r_unknown(struct rnode *p, const char *key, const char *label, const char *why);
struct rnode *r_unknownf(struct rnode *p, const char *key, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* r_unknownf(p, key, label, "%s%s", what, why) without the format. */
struct rnode *r_unknown_cat(struct rnode *p, const char *key, const char *label, const char *what,
			    const char *why);
/* A measured quantity that is not an integer (seconds, say). */
struct rnode *r_double(struct rnode *p, const char *key, const char *label, double v);
/* A 64-bit value as the JSON string "0x%016llx" (JSON numbers lose bits). */
struct rnode *r_hex64(struct rnode *p, const char *key, const char *label, uint64_t v);
/* Bytes as a lowercase hex string; text renders a hex dump. */
struct rnode *r_bytes(struct rnode *p, const char *key, const char *label, const uint8_t *buf,
		      unsigned len);

/* Moves a node (and its subtree) to the end of another container and
 * returns it there. A subtree of another report is copied into the new
 * one (each report owns its memory): use the returned node, not n. A
 * whole report (n a root) joins the new one's memory instead, uncopied:
 * it is then freed with it, never on its own. */
struct rnode *r_move(struct rnode *n, struct rnode *new_parent);

struct rnode *r_annot(struct rnode *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* r_annot(n, "%s", s) without the format. */
struct rnode *r_annot_str(struct rnode *n, const char *s);
struct rnode *r_find(const struct rnode *obj, const char *key);
/* Looks up a dotted path such as "queues.0.size" (array elements by index). */
const struct rnode *r_path(const struct rnode *root, const char *path);
unsigned r_count(const struct rnode *n);

#endif
