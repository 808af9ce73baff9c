/* The JSON renderer: writes the report tree straight into one growing
 * buffer. It used to build a cJSON tree first, which cost a few
 * allocations per report node; reports of hostile devices (a thousand
 * queues) made that the bulk of the work. The output is byte for byte what
 * cJSON 1.7 prints for the same tree (tests/unit/test_format.c compares
 * the two), so scripts see no change. */
#include "format/render.h"

#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jbuf {
	char *p;
	size_t len, cap;
	bool failed; /* an allocation failed: the result is NULL */
};

static bool reserve(struct jbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* The terminating NUL is written once, at the end (render_json_string);
 * reserve() keeps a byte for it. */
static void put(struct jbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void putc_(struct jbuf *b, char c)
{
	if (b->len + 2 <= b->cap || reserve(b, 1))
		b->p[b->len++] = c;
}

static void tabs(struct jbuf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		putc_(b, '\t');
}

/* Whether any of the 8 bytes in w needs an escape: a control byte (below
 * 0x20), '"' or '\\'. The usual word-at-a-time tests (a byte below k: w -
 * k*0x01.. borrows into its top bit, where ~w has it set; a byte equal to
 * c: one below 1 after xor with c), eight bytes in a dozen instructions. */
static bool word_needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
}

/* The escape of c (one that needs one) at d; returns the end. */
static char *put_escape(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[32] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};

	*d++ = '\\';
	if (c == '"' || c == '\\') {
		*d++ = (char)c;
	} else if (short_esc[c]) {
		*d++ = short_esc[c];
	} else {
		memcpy(d, "u00", 3);
		d[3] = hex[c >> 4];
		d[4] = hex[c & 15];
		d += 5;
	}
	return d;
}

/* cJSON's escaping: the two JSON metacharacters and the short escapes,
 * other control bytes as \u00XX, everything else (UTF-8 included) as is.
 * Written straight into the buffer, room made once for the worst case (six
 * bytes a byte): strings, keys most of them, are most of what a dump
 * renders, and a call per run cost more than the bytes. */
static void put_string(struct jbuf *b, const char *s)
{
	size_t len = strlen(s), i = 0;
	char *d;

	if (!reserve(b, 6 * len + 2))
		return;
	d = b->p + b->len;
	*d++ = '"';
	while (i < len) {
		unsigned char c;
		uint64_t w;

		if (i + 8 <= len && (memcpy(&w, s + i, 8), !word_needs_escape(w))) {
			memcpy(d, &w, 8);
			d += 8;
			i += 8;
			continue;
		}
		c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\')
			*d++ = (char)c;
		else
			d = put_escape(d, c);
	}
	*d++ = '"';
	b->len = (size_t)(d - b->p);
}

/* cJSON's test of "reads back": equal within a relative DBL_EPSILON. */
static bool close_enough(double a, double b)
{
	double fa = a < 0 ? -a : a, fb = b < 0 ? -b : b, d = a - b;

	return (d < 0 ? -d : d) <= (fa > fb ? fa : fb) * DBL_EPSILON;
}

/* Numbers as cJSON prints them: through double, as an integer when the
 * value fits an int, else with 15 significant digits, or 17 when 15 do not
 * read back (close enough). Every integer the tool reports as a number
 * stays below 2^52 (64-bit values that may not are strings), so all of
 * them come out exactly. */
static void put_number(struct jbuf *b, double d)
{
	char tmp[32];
	double back;
	int n;

	/* Integers below 10^15 print in full either way: no printf needed. */
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		long long v = (long long)d;
		unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
		char *p = tmp + sizeof(tmp);

		do
			*--p = (char)('0' + u % 10);
		while (u /= 10);
		if (v < 0)
			*--p = '-';
		put(b, p, (size_t)(tmp + sizeof(tmp) - p));
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%1.15g", d);
	if (sscanf(tmp, "%lg", &back) != 1 || !close_enough(back, d))
		n = snprintf(tmp, sizeof(tmp), "%1.17g", d);
	put(b, tmp, n > 0 ? (size_t)n : 0);
}

/* cJSON's layout: objects one member a line, indented by tabs, with a tab
 * after the colon; arrays on one line, ", " between elements, but one
 * level deeper for the objects in them. */
static void member(struct jbuf *b, const char *key, bool *first, bool pretty, unsigned depth)
{
	if (!*first) {
		putc_(b, ',');
		if (pretty)
			putc_(b, '\n');
	}
	*first = false;
	if (pretty)
		tabs(b, depth + 1);
	put_string(b, key);
	put(b, pretty ? ":\t" : ":", pretty ? 2 : 1);
}

/* Appends a path segment (a "." first unless the path is empty), cut at
 * JSON_PATH_MAX - 1 bytes as snprintf into the same buffer would. */
#define JSON_PATH_MAX 512
static size_t path_push(char *path, size_t len, const char *seg, size_t n)
{
	if (len && len < JSON_PATH_MAX - 1)
		path[len++] = '.';
	if (n > JSON_PATH_MAX - 1 - len)
		n = JSON_PATH_MAX - 1 - len;
	memcpy(path + len, seg, n);
	len += n;
	path[len] = '\0';
	return len;
}

/* What a document collects while it is rendered: every RF_UNKNOWN node
 * under it, by its dotted path from the document (array elements by index,
 * as `expect` paths), as members "path": "why" of its "unavailable"
 * object, in document order. Gathered in the one walk that renders the
 * document (a second walk to find them cost a tenth of `dump --all`); the
 * path grows only towards containers and unknown leaves: a report of a
 * thousand queues has tens of thousands of scalar leaves. */
struct unavail {
	struct jbuf b;
	bool first;
	unsigned depth; /* of the members of the "unavailable" object */
	char path[JSON_PATH_MAX];
};

static void put_value(struct jbuf *b, const struct rnode *n, bool pretty, unsigned depth,
		      struct unavail *u, size_t plen);

/* An array index as a path segment; digits written backwards from the end
 * of buf (no printf: this runs for every container in an array). */
static const char *index_seg(unsigned i, char *buf, size_t len, size_t *n)
{
	char *p = buf + len;

	do
		*--p = (char)('0' + i % 10);
	while (i /= 10);
	*n = (size_t)(buf + len - p);
	return p;
}

/* n under the path so far (plen long): named by key in an object, by its
 * index in an array (key NULL). The path grows only where it can lead to
 * an unknown node. */
static void put_child(struct jbuf *b, const struct rnode *n, bool pretty, unsigned depth,
		      struct unavail *u, size_t plen, const char *key, unsigned index)
{
	size_t len = plen;

	if (u && (n->child || (n->flags & RF_UNKNOWN)) && !(n->flags & RF_DOC)) {
		char num[16];
		size_t nlen;
		const char *seg = key ? key : index_seg(index, num, sizeof(num), &nlen);

		len = path_push(u->path, plen, seg, key ? strlen(key) : nlen);
	}
	put_value(b, n, pretty, depth, u, len);
	if (u)
		u->path[plen] = '\0';
}

/* The node is unknown: its path and why join the document's list. */
static void note_unknown(const struct rnode *n, bool pretty, struct unavail *u)
{
	member(&u->b, u->path, &u->first, pretty, u->depth);
	put_string(&u->b, n->why ? n->why : "");
}

/* A document (the root object, or each object of a root array as in
 * `list`) starts with the contract's version and ends with which of its
 * fields could not be read and why ("unavailable", when any). */
static void put_object(struct jbuf *b, const struct rnode *n, bool pretty, unsigned depth, bool doc,
		       struct unavail *u, size_t plen)
{
	struct unavail *own = NULL;
	bool first = true;

	if (doc) { /* a document inside lists its own */
		own = calloc(1, sizeof(*own));
		if (!own)
			b->failed = true;
		else
			*own = (struct unavail){.first = true, .depth = depth + 1};
		u = own;
		plen = 0;
	}
	putc_(b, '{');
	if (pretty)
		putc_(b, '\n');
	if (doc) {
		member(b, "schema_version", &first, pretty, depth);
		put_number(b, REPORT_SCHEMA_VERSION);
	}
	for (const struct rnode *c = n->child; c; c = c->next) {
		const char *key = c->key ? c->key : "";

		member(b, key, &first, pretty, depth);
		put_child(b, c, pretty, depth + 1, u, plen, key, 0);
	}
	if (own && own->b.len) {
		member(b, "unavailable", &first, pretty, depth);
		putc_(b, '{');
		if (pretty)
			putc_(b, '\n');
		put(b, own->b.p, own->b.len);
		b->failed |= own->b.failed;
		if (pretty) {
			putc_(b, '\n');
			tabs(b, depth + 1);
		}
		putc_(b, '}');
	}
	if (own) {
		free(own->b.p);
		free(own);
	}
	if (pretty) {
		if (!first)
			putc_(b, '\n');
		tabs(b, depth);
	}
	putc_(b, '}');
}

static void put_array(struct jbuf *b, const struct rnode *n, bool pretty, unsigned depth,
		      struct unavail *u, size_t plen)
{
	unsigned i = 0;

	putc_(b, '[');
	for (const struct rnode *c = n->child; c; c = c->next, i++) {
		put_child(b, c, pretty, depth + 1, u, plen, NULL, i);
		if (c->next)
			put(b, ", ", pretty ? 2 : 1);
	}
	putc_(b, ']');
}

static void put_value(struct jbuf *b, const struct rnode *n, bool pretty, unsigned depth,
		      struct unavail *u, size_t plen)
{
	if ((n->flags & RF_UNKNOWN) && u)
		note_unknown(n, pretty, u);
	switch (n->kind) {
	case R_OBJ:
		/* RF_DOC: a document of its own (each device of dump --all) */
		put_object(b, n, pretty, depth, n->flags & RF_DOC, u, plen);
		return;
	case R_ARR:
		put_array(b, n, pretty, depth, u, plen);
		return;
	case R_UINT:
		put_number(b, (double)n->v.u);
		return;
	case R_INT:
		put_number(b, (double)n->v.i);
		return;
	case R_DOUBLE:
		put_number(b, n->v.d);
		return;
	case R_BOOL:
		put(b, n->v.b ? "true" : "false", n->v.b ? 4 : 5);
		return;
	case R_STR:
		if (n->v.s) {
			put_string(b, n->v.s);
			return;
		}
		break;
	case R_NULL:
		break;
	}
	put(b, "null", 4);
}

char *render_json_string(const struct rnode *root, bool pretty)
{
	struct jbuf b = {0};

	if (!root)
		return NULL;
	if (root->kind == R_OBJ) {
		put_object(&b, root, pretty, 0, true, NULL, 0);
	} else if (root->kind == R_ARR) {
		putc_(&b, '[');
		for (const struct rnode *c = root->child; c; c = c->next) {
			if (c->kind == R_OBJ)
				put_object(&b, c, pretty, 1, true, NULL, 0);
			else
				put_value(&b, c, pretty, 1, NULL, 0);
			if (c->next)
				put(&b, ", ", pretty ? 2 : 1);
		}
		putc_(&b, ']');
	} else {
		put_value(&b, root, pretty, 0, NULL, 0);
	}
	if (b.failed || !b.p) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	return b.p;
}

void render_json(FILE *f, const struct rnode *root, bool pretty)
{
	char *s = render_json_string(root, pretty);

	if (s) {
		fputs(s, f);
		fputc('\n', f);
	}
	free(s);
}

void render(FILE *f, const struct rnode *root, const struct render_opts *o)
{
	if (o->format == OUT_JSON)
		render_json(f, root, o->pretty);
	else if (root->flags & RF_METRICS)
		render_metrics(f, root);
	else
		render_text(f, root);
}
